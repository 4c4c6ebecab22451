"""The weekly SLA attainment summary: complete weeks read from it (as counted, with ``as_of``), the
rest of the period live, and the refresh that counts the stalest weeks again."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from cases.models import Case
from config.beat import DEFAULT_SCHEDULE
from reports.models import ReopenSummaryWeek, ReplySummaryWeek, SlaAttainmentWeek, SummaryWeek
from reports.services import report_summaries_refresh, report_summary_week_count, summary_window
from tests.concurrency import run_together
from tests.reports.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db

W20, W21, W22, W23, W24 = (date(2026, 5, 11) + timedelta(weeks=n) for n in range(5))


def attainment(api, **params):
    response = api.get(reverse("report-sla-attainment"), {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()


def gold_p1_first_response(body, week="2026-W23"):
    return [
        (c["met"], c["breached"])
        for c in body["cells"]
        if (c["week"], c["tier"], c["priority"], c["metric"]) == (week, "gold", "P1", "first_response")
    ]


def test_a_counted_week_answers_as_counted_until_it_is_counted_again(api, world):
    live = attainment(api)
    assert live["as_of"] is None

    report_summaries_refresh(now=NOW)
    summarised = attainment(api)
    # W23 (1–7 June) is complete and settled: read from the summary, with the same figures; W24's
    # two days (8–9 June) are live.
    assert SlaAttainmentWeek.objects.filter(week=W23).exists()
    assert {k: v for k, v in summarised.items() if k != "as_of"} == {
        k: v for k, v in live.items() if k != "as_of"
    }
    assert summarised["as_of"] == NOW.isoformat().replace("+00:00", "Z")

    # a3 (met in W23, gold P1) becomes P2 after the count: the summary still holds it under P1.
    Case.objects.filter(pk=world.cases["a3"].pk).update(priority="P2")
    assert gold_p1_first_response(attainment(api)) == [(3, 1)]
    # One company's report reads the timers only, so it sees the change at once.
    assert gold_p1_first_response(attainment(api, company=world.acme.pk)) == [(2, 1)]

    later = NOW + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        report_summaries_refresh(now=later, weeks=None)
        recounted = attainment(api)
    assert gold_p1_first_response(recounted) == [(2, 1)]
    assert recounted["as_of"] == later.isoformat().replace("+00:00", "Z")


def test_a_period_of_partial_weeks_reads_no_summary(api):
    report_summaries_refresh(now=NOW)
    # 2–9 June: W23 lacks its Monday, W24 its end; both are counted live.
    body = attainment(api, **{"from": "2026-06-02"})
    assert body["as_of"] is None
    # a7 (met 1 June 00:00) is left out with the Monday: W23 gold P1 first response 2 met, 1 missed.
    assert gold_p1_first_response(body) == [(2, 1)]


def test_refresh_counts_weeks_never_counted_newest_first_then_the_stalest(world):
    assert report_summaries_refresh(now=NOW, weeks=2) == [W23, W22]
    assert report_summaries_refresh(now=NOW + timedelta(minutes=1), weeks=2) == [W21, W20]
    report_summaries_refresh(now=NOW + timedelta(minutes=2), weeks=None)
    window = summary_window(NOW)
    assert set(SummaryWeek.objects.values_list("week", flat=True)) == set(window)
    # Now every week has been counted: the two counted longest ago go first (W23 before W22 only
    # because they tie and the older Monday wins).
    assert report_summaries_refresh(now=NOW + timedelta(minutes=3), weeks=2) == sorted(window)[:2]


def test_the_window_ends_with_the_last_settled_week_and_drops_weeks_that_left_it(world):
    # An hour after W23 ended (Mon 8 June 01:00) it is settled; a minute earlier it is not.
    assert summary_window(NOW.replace(day=8, hour=1, minute=0))[-1] == W23
    assert summary_window(NOW.replace(day=8, hour=0, minute=59))[-1] == W22
    window = summary_window(NOW)
    assert (NOW.date() - window[0]).days <= 731 + 6
    old = window[0] - timedelta(weeks=1)
    assert report_summary_week_count(week=old, now=NOW)
    report_summaries_refresh(now=NOW, weeks=1)
    assert not SummaryWeek.objects.filter(week=old).exists()
    assert not SlaAttainmentWeek.objects.filter(week__lt=window[0]).exists()


def test_backfill_command_counts_every_week_of_the_window(world, frozen_now):
    out = io.StringIO()
    call_command("report_summaries_backfill", stdout=out)
    assert SummaryWeek.objects.filter(refreshed_at=NOW).count() == len(summary_window(NOW))
    assert f"{len(summary_window(NOW))} weeks counted" in out.getvalue()
    # W23's rows are the week's timers: gold P1 first response 3 met and 1 missed, gold P1
    # resolution 1 and 1, silver P2 first response 0 and 1.
    assert sorted(
        SlaAttainmentWeek.objects.filter(week=W23).values_list(
            "tier", "priority", "metric", "met", "breached"
        )
    ) == [
        ("gold", "P1", "first_response", 3, 1),
        ("gold", "P1", "resolution", 1, 1),
        ("silver", "P2", "first_response", 0, 1),
    ]


def test_beat_runs_the_refresh_every_minute():
    assert DEFAULT_SCHEDULE["reports-summaries-refresh"] == (
        "reports.tasks.report_summaries_refresh_task",
        60,
    )


def test_reopens_of_a_counted_week_answer_as_counted(api, world):
    live = api.get(reverse("report-reopens"), PERIOD).json()
    report_summaries_refresh(now=NOW)
    summarised = api.get(reverse("report-reopens"), PERIOD).json()
    assert summarised["as_of"] is not None
    assert {k: v for k, v in summarised.items() if k != "as_of"} == {
        k: v for k, v in live.items() if k != "as_of"
    }
    assert ReopenSummaryWeek.objects.filter(week=W23).exists()
    # By priority: the summary keeps each week's closings per priority, so the filter still applies.
    for priority in ("P1", "P2", "P3"):
        live_one = api.get(reverse("report-reopens"), {**PERIOD, "priority": priority}).json()
        report_summaries_refresh(now=NOW, weeks=0)
        assert (
            api.get(reverse("report-reopens"), {**PERIOD, "priority": priority}).json()["total"]
            == live_one["total"]
        )


def test_replies_of_a_counted_week_answer_as_counted(api, world):
    live = api.get(reverse("report-analyst-load"), PERIOD).json()
    live_p1 = api.get(reverse("report-analyst-load"), {**PERIOD, "priority": "P1"}).json()
    report_summaries_refresh(now=NOW)
    assert ReplySummaryWeek.objects.filter(week=W23).exists()
    summarised = api.get(reverse("report-analyst-load"), PERIOD).json()
    summarised_p1 = api.get(reverse("report-analyst-load"), {**PERIOD, "priority": "P1"}).json()
    assert live["summary_as_of"] is None
    assert summarised["summary_as_of"] == NOW.isoformat().replace("+00:00", "Z")
    assert summarised["rows"] == live["rows"]
    assert summarised_p1["rows"] == live_p1["rows"]
    assert sum(row["replies"] for row in summarised["rows"]) > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_count_the_same_week_at_once(world):
    # Both workers count W23 at the same instant: one does, the other finds the week's row locked and
    # skips it (SKIP LOCKED); the week ends with one set of rows, not two or a mix.
    results = run_together([lambda: report_summary_week_count(week=W23, now=NOW)] * 2)
    assert sorted(results) in (
        [False, True],
        [True, True],
    )  # True twice: the second came after the first's commit
    assert SummaryWeek.objects.get(week=W23).refreshed_at == NOW
    assert sorted(
        SlaAttainmentWeek.objects.filter(week=W23).values_list(
            "tier", "priority", "metric", "met", "breached"
        )
    ) == [
        ("gold", "P1", "first_response", 3, 1),
        ("gold", "P1", "resolution", 1, 1),
        ("silver", "P2", "first_response", 0, 1),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_week_being_counted_is_skipped_not_waited_for(world):
    report_summary_week_count(week=W23, now=NOW)
    with transaction.atomic():
        SummaryWeek.objects.select_for_update().get(week=W23)  # another worker's count, still open
        assert run_together([lambda: report_summary_week_count(week=W23, now=NOW)]) == [False]
