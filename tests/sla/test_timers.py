"""SLA timers on real cases: every seed cell, pause/resume, recompute, non-production, DST, holidays,
and the sweep. Expected instants are worked out by hand in the comments (06:00–18:00 Mon–Fri local)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.models import Membership, PlanTier, ProductInstance
from cases.models import CaseEvent
from cases.services import case_create, case_priority_override, case_transition, comment_create
from sla.models import Calendar, Metric, SlaPolicy, SlaTarget, SlaTimer
from sla.services import sla_timers_sweep
from tests.concurrency import run_together
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    USCompanyFactory,
    member,
)

pytestmark = pytest.mark.django_db
PARIS, LA = ZoneInfo("Europe/Paris"), ZoneInfo("America/Los_Angeles")
TIERS = {1: PlanTier.ESSENTIAL, 2: PlanTier.SILVER, 3: PlanTier.GOLD}
IMPACT = {"P1": ("organisation", "high"), "P2": ("organisation", "medium"), "P3": ("individual", "low")}


@pytest.fixture(autouse=True)
def seeded_policy(db):
    call_command("bootstrap", verbosity=0)  # the seeded policy, calendars and priority matrix


def open_case(*, at, band=2, priority="P2", company=None, environment="production"):
    company = company or CompanyFactory(plan_tier=TIERS[band])
    instance = ProductInstanceFactory(company=company, environment=environment)
    scope, impact = IMPACT[priority]
    case, _ = case_create(
        opened_by=member(company, role=Membership.Role.DSU),
        company=company,
        product_instance=instance,
        subject="Problem",
        problem_summary="Something fails",
        reason=CaseReasonFactory(),
        application_area=ApplicationAreaFactory(code="any-product", name="Any product"),
        business_impact_scope=scope,
        business_impact=impact,
        now=at,
    )
    assert case.priority == priority
    return case


def timer(case, metric=Metric.FIRST_RESPONSE):
    return SlaTimer.objects.get(case=case, metric=metric)


def p2_target(metric, minutes, *, policy=None):
    """A band-2 P2 target of ``metric`` in business hours on ``policy`` (the seeded one by default)."""
    return SlaTarget.objects.create(
        policy=policy or SlaPolicy.objects.get(),
        sla_band=2,
        priority="P2",
        metric=metric,
        minutes=minutes,
        calendar=Calendar.objects.get(kind="business_hours"),
    )


MONDAY_9_PARIS = datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("band", "priority", "due_local"),
    [
        # P1: 1 hour around the clock, every band.
        (1, "P1", datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)),
        (2, "P1", datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)),
        (3, "P1", datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)),
        # P2: 4 h / 4 h / 2 h of business time from Monday 09:00.
        (1, "P2", datetime(2026, 6, 1, 13, 0, tzinfo=PARIS)),
        (2, "P2", datetime(2026, 6, 1, 13, 0, tzinfo=PARIS)),
        (3, "P2", datetime(2026, 6, 1, 11, 0, tzinfo=PARIS)),
        # P3: 8 h / 8 h / 4 h.
        (1, "P3", datetime(2026, 6, 1, 17, 0, tzinfo=PARIS)),
        (2, "P3", datetime(2026, 6, 1, 17, 0, tzinfo=PARIS)),
        (3, "P3", datetime(2026, 6, 1, 13, 0, tzinfo=PARIS)),
    ],
)
def test_every_cell_of_the_first_response_table(band, priority, due_local):
    case = open_case(at=MONDAY_9_PARIS, band=band, priority=priority)

    first = timer(case)

    assert first.due_at == due_local
    assert first.state == SlaTimer.State.RUNNING
    assert first.holidays_version


@pytest.mark.parametrize(
    ("opened", "band", "priority", "company_factory", "due_utc"),
    [
        # The example: Friday 16:30 Paris, 4 h → 1 h 30 Friday, 2 h 30 Monday from 06:00 → 08:30.
        (
            datetime(2026, 6, 5, 16, 30, tzinfo=PARIS),
            2,
            "P2",
            CompanyFactory,
            datetime(2026, 6, 8, 6, 30, tzinfo=UTC),
        ),
        # Spring forward in Los Angeles (Sunday 8 March 2026): Friday 17:00 PST, 2 h → 1 h Friday,
        # 1 h Monday from 06:00 PDT (13:00 UTC) → 07:00 PDT = 14:00 UTC.
        (
            datetime(2026, 3, 6, 17, 0, tzinfo=LA),
            3,
            "P2",
            USCompanyFactory,
            datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
        ),
        # Fall back in Los Angeles (Sunday 1 November 2026): Friday 17:00 PDT, 2 h → Monday 07:00 PST = 15:00 UTC.
        (
            datetime(2026, 10, 30, 17, 0, tzinfo=LA),
            3,
            "P2",
            USCompanyFactory,
            datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        ),
        # Spring forward in Paris (Sunday 29 March 2026): Friday 14:00 CET, 8 h → 4 h Friday, 4 h Monday
        # from 06:00 CEST → 10:00 CEST = 08:00 UTC.
        (
            datetime(2026, 3, 27, 14, 0, tzinfo=PARIS),
            1,
            "P3",
            CompanyFactory,
            datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        ),
        # Fall back in Paris (Sunday 25 October 2026): Friday 14:00 CEST, 8 h → Monday 10:00 CET = 09:00 UTC.
        (
            datetime(2026, 10, 23, 14, 0, tzinfo=PARIS),
            1,
            "P3",
            CompanyFactory,
            datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
        ),
        # US Labor Day (Monday 7 September 2026): Friday 17:30 PDT, 2 h → 30 min Friday, Monday closed,
        # 1 h 30 Tuesday from 06:00 → 07:30 PDT = 14:30 UTC.
        (
            datetime(2026, 9, 4, 17, 30, tzinfo=LA),
            3,
            "P2",
            USCompanyFactory,
            datetime(2026, 9, 8, 14, 30, tzinfo=UTC),
        ),
        # Bastille Day (Tuesday 14 July 2026): Monday 16:00 CEST, 4 h → 2 h Monday, Tuesday closed,
        # 2 h Wednesday from 06:00 → 08:00 CEST = 06:00 UTC.
        (
            datetime(2026, 7, 13, 16, 0, tzinfo=PARIS),
            1,
            "P2",
            CompanyFactory,
            datetime(2026, 7, 15, 6, 0, tzinfo=UTC),
        ),
        # P1 counts around the clock in real time, across the Paris spring-forward night: Sunday 01:30 CET
        # (00:30 UTC) + 1 h = 01:30 UTC, which the wall clock shows as 03:30 CEST (02:00-03:00 never happens).
        (
            datetime(2026, 3, 29, 1, 30, tzinfo=PARIS),
            2,
            "P1",
            CompanyFactory,
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_deadlines_across_weekends_dst_and_holidays(opened, band, priority, company_factory, due_utc):
    company = company_factory(plan_tier=TIERS[band])

    case = open_case(at=opened, band=band, priority=priority, company=company)

    assert timer(case).due_at == due_utc


def test_clock_pauses_while_it_is_the_customers_move_and_resumes_with_the_time_left():
    p2_target(Metric.RESOLUTION, 16 * 60)
    analyst = AnalystFactory()
    case = open_case(at=MONDAY_9_PARIS)
    case = case_transition(case=case, actor=analyst, transition="start", now=MONDAY_9_PARIS).case

    # Monday 11:00: 2 h used, then waiting for the customer until Tuesday 09:00.
    case = case_transition(
        case=case,
        actor=analyst,
        transition="request_customer_action",
        message="Log please",
        now=datetime(2026, 6, 1, 11, 0, tzinfo=PARIS),
    ).case
    paused = timer(case, Metric.RESOLUTION)
    assert (paused.state, paused.due_at, paused.remaining_seconds) == ("paused", None, 14 * 3600)

    comment_create(
        case=case, author=case.opened_by, body="Here", now=datetime(2026, 6, 2, 9, 0, tzinfo=PARIS)
    )

    # 14 h left from Tuesday 09:00: 9 h Tuesday, 5 h Wednesday from 06:00 → Wednesday 11:00.
    resumed = timer(case, Metric.RESOLUTION)
    assert resumed.state == "running"
    assert resumed.due_at == datetime(2026, 6, 3, 11, 0, tzinfo=PARIS)
    # First response was met by the public request at 11:00 (target 4 h: due 13:00).
    first = timer(case)
    assert (first.state, first.met_at) == ("met", datetime(2026, 6, 1, 11, 0, tzinfo=PARIS))


def test_priority_change_recomputes_from_the_original_start_and_says_why():
    case = open_case(at=MONDAY_9_PARIS, band=2, priority="P3")  # 8 h: due 17:00
    assert timer(case).due_at == datetime(2026, 6, 1, 17, 0, tzinfo=PARIS)

    case_priority_override(
        case=case,
        actor=AnalystFactory(),
        priority="P1",
        reason="Payroll blocked",
        now=datetime(2026, 6, 1, 9, 30, tzinfo=PARIS),
    )

    assert timer(case).due_at == datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)  # 1 h from 09:00, not from 09:30
    event = CaseEvent.objects.get(case=case, type=CaseEvent.Type.SLA_RECOMPUTED)
    assert "Payroll blocked" in event.note
    assert event.data == {"targets": {"first_response": {"from_minutes": 480, "to_minutes": 60}}}


@pytest.mark.parametrize(
    "environment", [ProductInstance.Environment.SANDBOX, ProductInstance.Environment.DEMO]
)
def test_sla_does_not_apply_off_production(environment):
    case = open_case(at=MONDAY_9_PARIS, environment=environment, priority="P3")

    assert set(SlaTimer.objects.filter(case=case).values_list("state", flat=True)) == {"not_applicable"}
    assert sla_timers_sweep(now=MONDAY_9_PARIS + timedelta(days=30)) == {"warned": 0, "breached": 0}


def test_sweep_warns_at_75_percent_and_breaches_at_due_exactly_once_each():
    case = open_case(at=MONDAY_9_PARIS, band=2, priority="P2")  # 4 h: warning 12:00, due 13:00
    first = timer(case)
    assert first.warning_at == datetime(2026, 6, 1, 12, 0, tzinfo=PARIS)

    assert sla_timers_sweep(now=datetime(2026, 6, 1, 11, 59, tzinfo=PARIS)) == {"warned": 0, "breached": 0}
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 12, 0, tzinfo=PARIS)) == {"warned": 1, "breached": 0}
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 12, 30, tzinfo=PARIS)) == {"warned": 0, "breached": 0}
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 13, 0, tzinfo=PARIS)) == {"warned": 0, "breached": 1}
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 14, 0, tzinfo=PARIS)) == {"warned": 0, "breached": 0}

    first.refresh_from_db()
    assert (first.state, first.breached_at) == ("breached", datetime(2026, 6, 1, 13, 0, tzinfo=PARIS))
    types = list(CaseEvent.objects.filter(case=case, is_internal=True).values_list("type", flat=True))
    assert types == ["sla_warning", "sla_breached"]


def test_long_targets_warn_twice_at_75_percent_and_one_hour_before():
    case = open_case(at=MONDAY_9_PARIS, band=2, priority="P3")  # 8 h: 75 % at 15:00, 1 h before at 16:00

    assert sla_timers_sweep(now=datetime(2026, 6, 1, 15, 0, tzinfo=PARIS))["warned"] == 1
    assert timer(case).warning_at == datetime(2026, 6, 1, 16, 0, tzinfo=PARIS)
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 16, 0, tzinfo=PARIS))["warned"] == 1
    assert timer(case).warning_at is None


def test_reply_after_due_but_before_the_sweep_still_counts_as_breached():
    case = open_case(at=MONDAY_9_PARIS, band=3, priority="P2")  # 2 h: due 11:00
    analyst = AnalystFactory()

    comment_create(case=case, author=analyst, body="Looking", now=datetime(2026, 6, 1, 11, 30, tzinfo=PARIS))

    first = timer(case)
    assert (first.state, first.breached_at) == ("breached", datetime(2026, 6, 1, 11, 0, tzinfo=PARIS))
    assert first.met_at == datetime(2026, 6, 1, 11, 30, tzinfo=PARIS)
    next_update = timer(case, Metric.NEXT_UPDATE)  # P2: one business day (12 h) from the reply
    assert next_update.due_at == datetime(2026, 6, 2, 11, 30, tzinfo=PARIS)


def test_case_detail_shows_timers_in_utc_and_local_time(api_client, time_machine):
    time_machine.move_to(datetime(2026, 6, 1, 10, 0, tzinfo=PARIS), tick=False)
    case = open_case(at=MONDAY_9_PARIS, band=2, priority="P2")
    api_client.force_authenticate(case.opened_by)

    sla = {t["metric"]: t for t in api_client.get(f"/api/v1/cases/{case.pk}/").json()["sla"]}

    first = sla["first_response"]
    assert first["state"] == "running"
    assert first["due_at"] == "2026-06-01T11:00:00Z"
    assert first["due_at_local"] == "2026-06-01T13:00:00+02:00"
    assert first["business_seconds_remaining"] == 3 * 3600


def test_policies_endpoint_lists_the_policy_in_force(api_client):
    company = CompanyFactory()
    api_client.force_authenticate(member(company))

    policies = api_client.get("/api/v1/sla/policies/").json()

    assert [p["name"] for p in policies] == ["Standard support"]
    cells = {(t["metric"], t["sla_band"], t["priority"]): t["minutes"] for t in policies[0]["targets"]}
    assert cells[("first_response", 3, "P2")] == 120


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_mark_each_timer_once():
    call_command("bootstrap", verbosity=0)  # the seeded policy, calendars and priority matrix
    cases = [open_case(at=MONDAY_9_PARIS, band=3, priority="P2") for _ in range(20)]
    at = datetime(2026, 6, 1, 12, 0, tzinfo=PARIS)  # past every due instant (11:00)

    results = run_together([lambda: sla_timers_sweep(now=at), lambda: sla_timers_sweep(now=at)])

    assert sum(r["breached"] for r in results) == 20, results
    breaches = CaseEvent.objects.filter(case__in=cases, type=CaseEvent.Type.SLA_BREACHED).count()
    assert breaches == 20


def test_auto_close_stops_the_paused_timers_as_met():
    from cases.services import case_auto_close_due

    p2_target(Metric.RESOLUTION, 16 * 60)
    analyst = AnalystFactory()
    case = open_case(at=MONDAY_9_PARIS)
    case = case_transition(case=case, actor=analyst, transition="start", now=MONDAY_9_PARIS).case
    case = case_transition(
        case=case,
        actor=analyst,
        transition="propose_resolution",
        resolution="Fixed",
        now=datetime(2026, 6, 1, 10, 0, tzinfo=PARIS),
    ).case
    assert timer(case, Metric.RESOLUTION).state == "paused"

    closed_at = datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)
    assert case_auto_close_due(now=closed_at) == [case.pk]

    resolution = timer(case, Metric.RESOLUTION)
    assert (resolution.state, resolution.met_at) == ("met", closed_at)
    assert timer(case, Metric.NEXT_UPDATE).state == "met"


def test_targets_of_several_metrics_come_from_one_query_best_rank_per_metric(django_assert_num_queries):
    from sla.selectors import sla_target_for, sla_targets_for

    company = CompanyFactory(plan_tier=TIERS[2])
    seeded = SlaPolicy.objects.get()
    # A better-ranked policy for this company only, defining resolution but not first response.
    assert seeded.rank > 0
    better = SlaPolicy.objects.create(name="Key account", rank=seeded.rank - 1)
    better.companies.add(company)
    better_resolution = p2_target(Metric.RESOLUTION, 90, policy=better)
    # ... and one for another company, which must not apply.
    other = SlaPolicy.objects.create(name="Someone else's", rank=better.rank + 1000)
    other.companies.add(CompanyFactory(plan_tier=TIERS[2]))
    p2_target(Metric.FIRST_RESPONSE, 1, policy=other)

    with django_assert_num_queries(1):
        found = sla_targets_for(
            company=company,
            priority="P2",
            metrics=[Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.NEXT_UPDATE],
        )

    assert found[Metric.RESOLUTION] == better_resolution
    assert found[Metric.FIRST_RESPONSE].policy == seeded
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.NEXT_UPDATE):
        assert found.get(metric) == sla_target_for(company=company, priority="P2", metric=metric)
