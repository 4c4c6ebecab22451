"""Response times from the weekly summary of durations: the complete weeks read as counted (sorted
lists of business seconds), the rest live, and the percentiles taken over those lists together,
equal to the all-live ``percentile_cont`` to the last bit."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Company
from cases.models import Case
from reports.models import DurationSummaryWeek, SlaAttainmentWeek, SummaryWeek
from reports.selectors import ReportFilters, response_times_report
from reports.selectors.aggregates import durations_pack, durations_unpack, percentile_cont_runs
from reports.services import report_summaries_refresh, report_summary_week_count
from reports.tasks import report_summaries_refresh_task
from sla.models import Metric, SlaTimer
from tests.factories import CaseFactory, CompanyFactory, ProductInstanceFactory
from tests.reports.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db

State = SlaTimer.State
FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0, 1 / 3)


def postgres_percentile_cont(values: list[int], fraction: float) -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) AS v",
            [fraction, values],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "runs",
    [
        [[], []],
        [[7]],
        [[], [7], []],
        [[5, 5, 5], [5], [5, 5]],  # every value the same
        [[1, 2, 2, 9], [2, 2, 3], [], [0, 2, 10]],  # duplicates across lists
        [[-60, 0, 30], [-5, 1]],  # a negative duration (a clock corrected backwards)
        [[1], [2]],
        [[10, 20], [15]],
    ],
)
def test_percentile_of_sorted_lists_is_postgres_percentile_cont_of_their_union(runs):
    union = sorted(value for run in runs for value in run)
    for fraction in FRACTIONS:
        assert percentile_cont_runs(runs, fraction) == postgres_percentile_cont(union, fraction)


@pytest.mark.postgres
def test_percentile_of_many_random_lists_is_postgres_percentile_cont():
    rng = random.Random(20)
    for _ in range(20):
        runs = [
            sorted(rng.choice((rng.randint(0, 40), rng.randint(0, 10**7))) for _ in range(rng.randint(0, 60)))
            for _ in range(rng.randint(1, 9))
        ]
        union = sorted(value for run in runs for value in run)
        for fraction in FRACTIONS:
            assert percentile_cont_runs(runs, fraction) == postgres_percentile_cont(union, fraction)


def test_durations_pack_round_trips_32_bit_values_and_refuses_larger_ones():
    values = [-(2**31), -1, 0, 1, 4680, 2**31 - 1]
    assert durations_pack(values)[:4] == b"\x00\x00\x00\x80"  # little-endian on every machine
    assert list(durations_unpack(durations_pack(values))) == values
    with pytest.raises(OverflowError):
        durations_pack([2**31])


# --- a data set over several weeks ------------------------------------------------------------------

# Wednesday 10 June 2026 (conftest's NOW) is in W24; the period runs from Thursday 30 April (W18,
# clipped) to today, so W19–W23 are complete and W24 is the current week, clipped by the clock.
SPAN = {"from": "2026-04-30", "to": "2026-06-10"}
FIRST_INSTANT = datetime(2026, 4, 27, tzinfo=UTC)  # W18's Monday, before the period


def several_weeks_of_timers(seed: int = 24) -> None:
    """Stopped first-response and resolution timers spread from before the period to NOW, on cases of
    every priority and two companies, with repeated durations (the same target and remaining time)."""
    rng = random.Random(seed)
    companies = [CompanyFactory(name="Cardinal Ltd"), CompanyFactory(name="Dune GmbH")]
    instances = [ProductInstanceFactory(company=company) for company in companies]
    span = (NOW - FIRST_INSTANT).total_seconds()
    for n in range(90):
        instance = instances[n % 2]
        opened = FIRST_INSTANT + timedelta(seconds=rng.uniform(0, span - 3600))
        case = CaseFactory(
            company=instance.company,
            product_instance=instance,
            priority=rng.choice(("P1", "P2", "P2", "P3")),
            created_at=opened,
        )
        for metric, target in ((Metric.FIRST_RESPONSE, 60), (Metric.RESOLUTION, 480)):
            if metric == Metric.RESOLUTION and n % 3 == 0:
                continue  # no resolution target
            stopped = opened + timedelta(seconds=rng.uniform(60, (NOW - opened).total_seconds()))
            remaining = rng.choice((0, 600, 600, 1800, -900, rng.randint(-20000, target * 60)))
            late = remaining < 0
            SlaTimer.objects.create(
                case=case,
                metric=metric,
                state=State.BREACHED if late else State.MET,
                target_minutes=target,
                remaining_seconds=remaining,
                started_at=opened,
                met_at=stopped,
                breached_at=stopped - timedelta(seconds=-remaining) if late else None,
                updated_at=stopped,
            )


def times(api, **params):
    response = api.get(reverse("report-response-times"), {**SPAN, **params})
    assert response.status_code == 200, response.content
    return response.json()


FILTERS = [{}, {"priority": "P1"}, {"priority": ["P2", "P3"]}]


def test_summarised_weeks_and_live_rest_answer_exactly_as_all_live(api):
    several_weeks_of_timers()
    live = [times(api, **params) for params in FILTERS]
    assert all(body["as_of"] is None for body in live)
    assert live[0]["rows"][0]["count"] > 20  # enough to interpolate between different values

    report_summaries_refresh(now=NOW, weeks=None)
    counted_weeks = set(DurationSummaryWeek.objects.values_list("week", flat=True))
    # W19–W23 complete inside the period; W18 (clipped) and W24 (now) live.
    assert {date(2026, 5, 4) + timedelta(weeks=n) for n in range(5)} <= counted_weeks
    summarised = [times(api, **params) for params in FILTERS]
    for before, after in zip(live, summarised, strict=True):
        assert after["as_of"] == NOW.isoformat().replace("+00:00", "Z")
        assert after["rows"] == before["rows"]  # the same floats, not nearly


def test_a_summary_mostly_not_counted_yet_leaves_the_percentiles_to_postgresql(api):
    """Right after a deploy, before the backfill: one counted week of five would send the other
    four weeks' timers to Python one by one; the whole period is read live instead."""
    several_weeks_of_timers()
    live = times(api)
    report_summary_week_count(week=date(2026, 5, 4), now=NOW)  # W19 only
    partly_counted = times(api)
    assert partly_counted["as_of"] is None  # nothing read from the summary
    assert partly_counted["rows"] == live["rows"]

    report_summaries_refresh(now=NOW, weeks=None)
    assert times(api)["as_of"] is not None  # all counted: the summary answers


def test_a_week_counted_before_a_timer_stopped_in_it_shows_the_timer_after_the_next_count(api):
    several_weeks_of_timers()
    report_summaries_refresh(now=NOW, weeks=None)
    counted = times(api)
    w22_wednesday = datetime(2026, 5, 27, 12, tzinfo=UTC)
    case = CaseFactory(priority="P3", created_at=w22_wednesday - timedelta(hours=2))
    SlaTimer.objects.create(
        case=case,
        metric=Metric.FIRST_RESPONSE,
        state=State.MET,
        target_minutes=60,
        remaining_seconds=3599,
        started_at=case.created_at,
        met_at=w22_wednesday,  # recorded late, after W22 was counted
        updated_at=w22_wednesday,
    )
    assert times(api) == counted  # W22 answers as counted until it is counted again
    one_company = {(r["metric"], r["priority"]): r for r in times(api, company=case.company.pk)["rows"]}
    assert one_company["first_response", "P3"]["count"] == 1  # one company: live

    later = NOW + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        report_summaries_refresh(now=later, weeks=None)
        recounted = times(api)
    assert recounted["as_of"] == later.isoformat().replace("+00:00", "Z")
    first_response = {row["priority"]: row for row in recounted["rows"] if row["metric"] == "first_response"}
    before = {row["priority"]: row for row in counted["rows"] if row["metric"] == "first_response"}
    assert first_response["P3"]["count"] == before["P3"]["count"] + 1
    assert first_response[None]["count"] == before[None]["count"] + 1
    with time_machine.travel(later, tick=False):
        DurationSummaryWeek.objects.all().delete()
        SummaryWeek.objects.all().delete()
        assert times(api)["rows"] == recounted["rows"]  # and it equals the all-live answer


def test_a_week_stores_each_priority_s_durations_sorted(world, frozen_now):
    report_summary_week_count(week=date(2026, 6, 1), now=NOW)
    stored = {
        (row.metric, row.priority): (row.count, list(durations_unpack(row.seconds)))
        for row in DurationSummaryWeek.objects.filter(week=date(2026, 6, 1))
    }
    # W23's stopped timers (tests/reports/test_numbers.py works them out): a7 300, a2 600, a3 1,200,
    # a10 5,400 (P1 first response; a4's is W24); b1 18,000 (P2); a1 18,000, a5 37,800 (P1 resolution).
    assert stored == {
        ("first_response", "P1"): (4, [300, 600, 1200, 5400]),
        ("first_response", "P2"): (1, [18000]),
        ("resolution", "P1"): (2, [18000, 37800]),
    }


def test_a_customer_manager_still_gets_only_their_company_s_figures(world, frozen_now):
    report_summaries_refresh(now=NOW, weeks=None)
    assert DurationSummaryWeek.objects.filter(week=date(2026, 6, 1), priority="P2").exists()  # b1
    client = APIClient()
    client.force_authenticate(world.acme_manager)
    body = client.get(reverse("report-response-times"), PERIOD).json()
    rows = {(row["metric"], row["priority"]): row for row in body["rows"]}
    assert body["filters"]["company"] == world.acme.pk
    assert body["as_of"] is None  # one company: every figure live
    # Acme's first responses only: [300, 600, 1200, 3600, 5400]; Bouquet's b1 (18,000 s) left out.
    assert (rows["first_response", None]["count"], rows["first_response", None]["p90_seconds"]) == (5, 4680.0)
    assert rows["first_response", "P2"]["count"] == 0


def test_the_selector_reads_the_summary_only_for_all_companies(world, frozen_now):
    report_summaries_refresh(now=NOW, weeks=None)
    everyone = ReportFilters(start=date(2026, 6, 1), end=date(2026, 6, 9))
    acme = ReportFilters(
        start=date(2026, 6, 1), end=date(2026, 6, 9), company=Company.objects.get(pk=world.acme.pk)
    )
    assert response_times_report(filters=everyone).as_of == NOW
    assert response_times_report(filters=acme).as_of is None
    Case.objects.filter(pk=world.cases["b1"].pk).update(priority="P3")
    # The summary keeps b1 under P2 as counted; the live path sees P3 at once.
    rows = {(r.metric, r.priority): r.count for r in response_times_report(filters=everyone).rows}
    assert (rows["first_response", "P2"], rows["first_response", "P3"]) == (1, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_week_s_durations_are_written_in_the_same_transaction_as_its_other_rows(world):
    def writers(week):
        # xmin: the transaction that wrote each row version.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM reports_durationsummaryweek WHERE week = %s "
                "UNION SELECT DISTINCT xmin::text FROM reports_slaattainmentweek WHERE week = %s "
                "UNION SELECT xmin::text FROM reports_summaryweek WHERE week = %s",
                [week, week, week],
            )
            return {row[0] for row in cursor.fetchall()}

    week = date(2026, 6, 1)
    with time_machine.travel(NOW, tick=False):
        assert report_summaries_refresh_task() == 2  # the beat job: W23 and W22, never counted yet
    first = writers(week)
    assert len(first) == 1
    assert DurationSummaryWeek.objects.filter(week=week).count() == 3
    assert SlaAttainmentWeek.objects.filter(week=week).exists()
    assert report_summary_week_count(week=week, now=NOW + timedelta(minutes=1))
    second = writers(week)
    assert len(second) == 1 and second != first
    assert DurationSummaryWeek.objects.filter(week=week).count() == 3  # replaced, not added
