"""Each report's numbers on the hand-built data set (tests/reports/conftest.py), worked out by hand.

The period is 1–9 June 2026 (UTC, both days included): [2026-06-01T00:00Z, 2026-06-10T00:00Z), which
touches ISO weeks 2026-W23 (Mon 1 – Sun 7 June) and 2026-W24 (Mon 8 June on). The clock is NOW,
Wednesday 10 June 2026 12:00 UTC.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db


def get(api, name, **params):
    response = api.get(reverse(name), {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_sla_attainment_by_week_tier_priority_and_metric(api):
    body = get(api, "report-sla-attainment")

    # First response (decided = met_at when met, breached_at when breached), in the period:
    #   W23 gold P1: met a7 (1 Jun 00:00, the period's first instant), a2 (2 Jun), a3 (3 Jun);
    #                breached a10 (due 4 Jun 07:00)                         → 3 met, 1 breached: 3/4
    #   W23 silver P2: breached b1 (due 5 Jun 09:00)                        → 0 met, 1 breached: 0
    #   W24 gold P1: met a4 (8 Jun)                                         → 1/1
    #   Left out: a5 (met 31 May 23:59:59), a6 (met 10 Jun 00:00), a8 (running), b2 (not applicable).
    # Resolution:
    #   W23 gold P1: met a1 (6 Jun); breached a5 (due 1 Jun 07:30; stopped later, still breached) → 1/2
    #   W24 silver P2: breached b1 (due 9 Jun 10:00, still running)         → 0/1
    #   a7's is paused (not decided); a2's next-update timer is not reported.
    # Order: week, then tier in the plan order (silver before gold), priority, metric.
    assert body["cells"] == [
        cell("2026-W23", "2026-06-01", "silver", "P2", "first_response", 0, 1, 0.0),
        cell("2026-W23", "2026-06-01", "gold", "P1", "first_response", 3, 1, 0.75),
        cell("2026-W23", "2026-06-01", "gold", "P1", "resolution", 1, 1, 0.5),
        cell("2026-W24", "2026-06-08", "silver", "P2", "resolution", 0, 1, 0.0),
        cell("2026-W24", "2026-06-08", "gold", "P1", "first_response", 1, 0, 1.0),
    ]
    # Per week and metric, across tiers and priorities:
    #   W23 first response: 3 + 0 met, 1 + 1 breached → 3/5 = 0.6;  W23 resolution: 1/2
    #   W24 first response: 1/1;  W24 resolution: 0/1
    assert [(w["week"], w["metric"], w["met"], w["breached"], w["attainment"]) for w in body["weeks"]] == [
        ("2026-W23", "first_response", 3, 2, 0.6),
        ("2026-W23", "resolution", 1, 1, 0.5),
        ("2026-W24", "first_response", 1, 0, 1.0),
        ("2026-W24", "resolution", 0, 1, 0.0),
    ]
    # Whole period: first response 4 met, 2 breached → 4/6; resolution 1 met, 2 breached → 1/3.
    assert body["totals"] == [
        {"metric": "first_response", "met": 4, "breached": 2, "attainment": pytest.approx(4 / 6)},
        {"metric": "resolution", "met": 1, "breached": 2, "attainment": pytest.approx(1 / 3)},
    ]
    assert body["period"] == {"start": "2026-06-01", "end": "2026-06-09", "days": 9}


def cell(week, week_start, tier, priority, metric, met, breached, attainment):
    return {
        "week": week,
        "week_start": week_start,
        "tier": tier,
        "priority": priority,
        "metric": metric,
        "met": met,
        "breached": breached,
        "attainment": attainment,
    }


def test_sla_attainment_filtered_by_company_and_priority(api, world):
    silver = get(api, "report-sla-attainment", company=world.bouquet.pk)
    p1 = get(api, "report-sla-attainment", priority="P1")

    assert {(c["tier"], c["priority"]) for c in silver["cells"]} == {("silver", "P2")}
    # Bouquet: b1 missed both its first response and its resolution.
    assert silver["totals"] == [
        {"metric": "first_response", "met": 0, "breached": 1, "attainment": 0.0},
        {"metric": "resolution", "met": 0, "breached": 1, "attainment": 0.0},
    ]
    assert {(c["tier"], c["priority"]) for c in p1["cells"]} == {("gold", "P1")}
    # P1 first response: 4 met (a7, a2, a3, a4), 1 breached (a10) → 4/5.
    assert p1["totals"][0] == {"metric": "first_response", "met": 4, "breached": 1, "attainment": 0.8}


def test_response_and_resolution_time_percentiles_in_business_time(api):
    body = get(api, "report-response-times")
    rows = {(r["metric"], r["priority"]): r for r in body["rows"]}

    # Business seconds a stopped timer ran = target × 60 − remaining, for timers stopped in the period:
    #   first response P1: a7 3600−3300 = 300, a2 3600−3000 = 600, a3 3600−2400 = 1200,
    #                      a4 3600−0 = 3600, a10 3600−(−1800) = 5400 (late, still stopped)
    #   percentile_cont over n sorted values: position f × (n − 1), interpolated linearly.
    #   P1 [300, 600, 1200, 3600, 5400]: p50 at 2 → 1200; p90 at 3.6 → 3600 + 0.6 × (5400 − 3600) = 4680
    assert pick(rows["first_response", "P1"]) == (5, 1200.0, 4680.0)
    #   P2 [b1: 14400 − (−3600) = 18000] → 18000 both
    assert pick(rows["first_response", "P2"]) == (1, 18000.0, 18000.0)
    assert pick(rows["first_response", "P3"]) == (0, None, None)
    #   all [300, 600, 1200, 3600, 5400, 18000]: p50 at 2.5 → (1200 + 3600) / 2 = 2400;
    #   p90 at 4.5 → 5400 + 0.5 × (18000 − 5400) = 11700
    assert pick(rows["first_response", None]) == (6, 2400.0, 11700.0)
    # Resolution P1: a1 28800 − 10800 = 18000, a5 28800 − (−9000) = 37800 (b1's is still running):
    #   p50 at 0.5 → 27900; p90 at 0.9 → 18000 + 0.9 × 19800 = 35820
    assert pick(rows["resolution", "P1"]) == (2, 27900.0, 35820.0)
    assert pick(rows["resolution", None]) == (2, 27900.0, 35820.0)
    assert [(r["metric"], r["priority"]) for r in body["rows"]] == [
        (metric, priority)
        for metric in ("first_response", "resolution")
        for priority in ("P1", "P2", "P3", None)
    ]


def pick(row):
    return row["count"], row["p50_seconds"], row["p90_seconds"]


def test_backlog_by_status_and_age(api):
    body = get(api, "report-backlog")

    # Not closed at NOW (10 June 12:00), age = NOW − opened:
    #   open: a8 25 h (1–3 d), a9 exactly 24 h (1–3 d: the lower bound is in), b2 70 d (30 d+)
    #   in progress: a6 12.5 h (<1 d), a4 2 d 4 h (1–3 d), a10 6 d 6 h and b1 6 d 3 h (3–7 d),
    #                a2 8 d 3 h (7–30 d)
    #   pending customer: a3 7 d 4 h; verify resolution: a7 9 d 12 h (both 7–30 d)
    #   a1, a5, b3 are closed.
    assert {row["status"]: row["counts"] for row in body["rows"]} == {
        "open": buckets(0, 2, 0, 0, 1),
        "in_progress": buckets(1, 1, 2, 1, 0),
        "pending_release": buckets(0, 0, 0, 0, 0),
        "pending_engineering": buckets(0, 0, 0, 0, 0),
        "pending_customer": buckets(0, 0, 0, 1, 0),
        "verify_resolution": buckets(0, 0, 0, 1, 0),
    }
    assert [row["total"] for row in body["rows"]] == [3, 5, 0, 0, 1, 1]
    assert body["total"] == 10
    assert body["as_of"] == "2026-06-10T12:00:00Z"
    assert [b["code"] for b in body["buckets"]] == ["under_1d", "1d_3d", "3d_7d", "7d_30d", "30d_plus"]


def buckets(under_1d, d1_3, d3_7, d7_30, d30_plus):
    return {"under_1d": under_1d, "1d_3d": d1_3, "3d_7d": d3_7, "7d_30d": d7_30, "30d_plus": d30_plus}


def test_backlog_filtered_by_analyst_and_product(api, world):
    ann = get(api, "report-backlog", analyst=world.ann.pk)
    time_tracking = get(api, "report-backlog", product="time-tracking")

    # Ann's open cases: a6 (<1 d), b1 (3–7 d), a2 (7–30 d), all in progress.
    assert {row["status"]: row["total"] for row in ann["rows"] if row["total"]} == {"in_progress": 3}
    # Time tracking: a9 (open, 1–3 d) and a3 (pending customer, 7–30 d).
    assert {row["status"]: row["counts"] for row in time_tracking["rows"] if row["total"]} == {
        "open": buckets(0, 1, 0, 0, 0),
        "pending_customer": buckets(0, 0, 0, 1, 0),
    }


def test_reopen_rate_by_week_of_the_closing(api, world):
    body = get(api, "report-reopens")

    # Closings in the period (every move into closed), and whether each was reopened since (the case is
    # not closed now, or was closed again later):
    #   W23: a5 1 Jun (still closed: no), a7 2 Jun (closed again 8 Jun: yes), a2 3 Jun (in progress
    #        now: yes), a1 6 Jun (auto-closed, still closed: no)          → 2 of 4 = 0.5
    #   W24: a7 8 Jun (in verify resolution now: yes), b3 9 Jun 23:59 (no) → 1 of 2 = 0.5
    #   a1's closing of 30 May is before the period.
    assert [(w["week"], w["closed"], w["reopened"], w["reopen_rate"]) for w in body["weeks"]] == [
        ("2026-W23", 4, 2, 0.5),
        ("2026-W24", 2, 1, 0.5),
    ]
    assert body["total"] == {"closed": 6, "reopened": 3, "reopen_rate": 0.5}

    # Bouquet only: b3, not reopened; W23 has no closing (rate unknown, not 0).
    bouquet = get(api, "report-reopens", company=world.bouquet.pk)
    assert [(w["closed"], w["reopened"], w["reopen_rate"]) for w in bouquet["weeks"]] == [
        (0, 0, None),
        (1, 0, 0.0),
    ]


def test_escalations_by_week_and_decision(api, world):
    body = get(api, "report-escalations")

    # Requests made in the period: W23 a10 (accepted), a3 (declined); W24 a3 again (pending), b1
    # (accepted). a1's of 30 May is before the period. Cases: a10, a3, b1.
    assert [
        (w["week"], w["requested"], w["accepted"], w["declined"], w["pending"]) for w in body["weeks"]
    ] == [("2026-W23", 2, 1, 1, 0), ("2026-W24", 2, 1, 0, 1)]
    assert body["total"] == {"requested": 4, "accepted": 2, "declined": 1, "pending": 1}
    assert body["cases"] == 3


def test_satisfaction_ratio_and_response_rate(api):
    body = get(api, "report-satisfaction")

    # Answers given in the period, by week of the answer:
    #   W23: a5 bad (2 Jun), a1 bad (3 Jun, for its May closing), a1 good (6 Jun): 1 good, 2 bad,
    #        3 with a comment → satisfaction 1 / (1 + 2) = 1/3
    #   W24: a7 good (8 Jun, with a comment) → 1/1. b3's answer came on 10 June: after the period.
    assert [(w["week"], w["good"], w["bad"], w["comments"]) for w in body["weeks"]] == [
        ("2026-W23", 1, 2, 3),
        ("2026-W24", 1, 0, 1),
    ]
    assert body["weeks"][0]["satisfaction"] == pytest.approx(1 / 3)
    assert body["total"] == {"good": 2, "bad": 2, "satisfaction": 0.5, "comments": 4}
    # Surveys sent in the period: a5 (1 Jun), a7 (2 Jun), a1 (6 Jun), a7 (8 Jun), b3 (9 Jun 23:59) = 5;
    # answered so far: all but a7's of 8 June = 4 → 4/5.
    assert (body["sent"], body["answered"], body["response_rate"]) == (5, 4, 0.8)


def test_satisfaction_comments_newest_first(api):
    body = get(api, "report-satisfaction-comments")

    assert [(c["case_number"], c["rating"], c["comment"]) for c in body["results"]] == [
        (number("a7"), "good", "+1 great"),
        (number("a1"), "good", "Quick and clear"),
        (number("a1"), "bad", "@support too slow"),
        (number("a5"), "bad", '=HYPERLINK("http://evil.test","x")'),
    ]


def number(name):
    from cases.models import Case

    return Case.objects.get(subject=f"Case {name}").number


def test_analyst_load(api, world):
    body = get(api, "report-analyst-load")

    # Open cases assigned now: Bob a3, a4, a7, a10 = 4; Ann a2, a6, b1 = 3.
    # Public replies by staff in the 9 days: Ann 2 Jun, 3 Jun (a2), 4 Jun (b1) = 3 (her internal note
    # and her reply of 31 May do not count); Bob 8 Jun (a4), 9 Jun 23:59:59 (a3) = 2 (not 10 Jun);
    # Max 6 Jun (a1) = 1. The customer's comment is no reply.
    assert [
        (r["analyst"]["username"], r["open_cases"], r["replies"], r["replies_per_day"]) for r in body["rows"]
    ] == [
        ("bob", 4, 2, pytest.approx(2 / 9)),
        ("ann", 3, 3, pytest.approx(3 / 9)),
        ("max", 0, 1, pytest.approx(1 / 9)),
    ]

    ann = get(api, "report-analyst-load", analyst=world.ann.pk)
    bouquet = get(api, "report-analyst-load", company=world.bouquet.pk)
    assert [(r["analyst"]["username"], r["open_cases"], r["replies"]) for r in ann["rows"]] == [("ann", 3, 3)]
    # Bouquet's cases: b1 is Ann's, with one reply (4 Jun).
    assert [(r["analyst"]["username"], r["open_cases"], r["replies"]) for r in bouquet["rows"]] == [
        ("ann", 1, 1)
    ]


def test_default_period_is_twelve_iso_weeks_to_today(api):
    body = api.get(reverse("report-reopens")).json()

    # Today is Wednesday 10 June 2026 (W24): from Monday 23 March (W13) to today.
    assert body["period"] == {"start": "2026-03-23", "end": "2026-06-10", "days": 80}
    assert [w["week"] for w in body["weeks"]][:1] + [w["week"] for w in body["weeks"]][-1:] == [
        "2026-W13",
        "2026-W24",
    ]
    assert len(body["weeks"]) == 12


def test_a_reopening_belongs_to_the_closing_just_before_it_even_at_the_same_instant(world):
    from cases.models import CaseEvent, CaseStatus
    from reports.selectors import ReportFilters, reopen_report
    from tests.reports.conftest import at

    # b2: closed and reopened in the same instant (a frozen clock), closed again and reopened a
    # week later; closed a third time, still closed. Three closings, the first two reopened.
    case = world.cases["b2"]
    for when, from_status, to_status in [
        (at(2, 9), CaseStatus.IN_PROGRESS, CaseStatus.CLOSED),
        (at(2, 9), CaseStatus.CLOSED, CaseStatus.IN_PROGRESS),
        (at(8, 9), CaseStatus.IN_PROGRESS, CaseStatus.CLOSED),
        (at(9, 9), CaseStatus.CLOSED, CaseStatus.IN_PROGRESS),
        (at(9, 10), CaseStatus.IN_PROGRESS, CaseStatus.CLOSED),
    ]:
        CaseEvent.objects.create(
            case=case, type="transition", from_status=from_status, to_status=to_status, created_at=when
        )

    only_b2 = ReportFilters(start=at(1).date(), end=at(9).date(), company=world.bouquet, priorities=("P3",))
    report = reopen_report(filters=only_b2)

    assert [(w.closed, w.reopened) for w in report.weeks] == [(1, 1), (2, 1)]
