"""Business time end to end: a case worked through the real services, its SLA timers kept by them, and
the reports reading what the timers recorded when they stopped (``target × 60 − remaining``), in the
company's calendar (06:00–18:00 Monday to Friday, Europe/Paris, French holidays)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.models import Membership, PlanTier
from cases.services import case_create, case_transition, comment_create
from reports.selectors import ReportFilters, response_times_report, sla_attainment_report
from sla.models import Calendar, Metric, SlaPolicy, SlaTarget, SlaTimer
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    member,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def worked_case():
    call_command("bootstrap", verbosity=0)  # the seeded policy (no resolution targets), calendars, matrix
    SlaTarget.objects.create(
        policy=SlaPolicy.objects.get(),
        sla_band=2,
        priority="P2",
        metric=Metric.RESOLUTION,
        minutes=2400,
        calendar=Calendar.objects.get(kind=Calendar.Kind.BUSINESS_HOURS),
    )
    company = CompanyFactory(plan_tier=PlanTier.SILVER)  # band 2, Europe/Paris, France
    dsu = member(company, role=Membership.Role.DSU)
    analyst = AnalystFactory()
    case, _ = case_create(
        opened_by=dsu,
        company=company,
        product_instance=ProductInstanceFactory(company=company),
        subject="Payment run stopped",
        problem_summary="The bank file is rejected.",
        reason=CaseReasonFactory(),
        application_area=ApplicationAreaFactory(code="any-product", name="Any product"),
        business_impact_scope="organisation",
        business_impact="medium",
        now=paris(5, 16, 30),  # Friday
    )
    assert case.priority == "P2"
    case = case_transition(case=case, actor=analyst, transition="start", now=paris(8, 7)).case  # Monday
    comment_create(case=case, author=analyst, body="Looking at the bank file.", now=paris(8, 7))
    case = case_transition(
        case=case, actor=analyst, transition="request_customer_action", message="The file?", now=paris(8, 9)
    ).case
    case = case_transition(
        case=case, actor=dsu, transition="respond", message="Attached.", now=paris(9, 10)
    ).case
    case = case_transition(
        case=case, actor=analyst, transition="propose_resolution", resolution="Fixed.", now=paris(9, 11)
    ).case
    return case_transition(
        case=case, actor=dsu, transition="confirm_resolution", now=paris(10, 8)
    ).case  # Wednesday


def test_percentiles_are_the_business_time_the_timers_ran(worked_case):
    filters = ReportFilters(start=datetime(2026, 6, 1).date(), end=datetime(2026, 6, 14).date())

    rows = {(r.metric, r.priority): r for r in response_times_report(filters=filters).rows}

    # First response: opened Friday 16:30, first public reply Monday 07:00 (Paris):
    #   Friday 16:30–18:00 = 1 h 30 + Monday 06:00–07:00 = 1 h → 2 h 30 = 9,000 s (the weekend and
    #   the nights are outside business hours; 65 h 30 of wall-clock time).
    assert (rows[Metric.FIRST_RESPONSE, "P2"].count, rows[Metric.FIRST_RESPONSE, "P2"].p50_seconds) == (
        1,
        9000,
    )
    # Resolution: the clock runs while support holds the case: Friday 16:30 → Monday 09:00 (asked the
    # customer), then Tuesday 10:00 (answered) → 11:00 (resolution proposed); closed Wednesday 08:00.
    #   Friday 1 h 30 + Monday 06:00–09:00 = 3 h + Tuesday 10:00–11:00 = 1 h → 5 h 30 = 19,800 s.
    assert (rows[Metric.RESOLUTION, "P2"].count, rows[Metric.RESOLUTION, "P2"].p90_seconds) == (1, 19800)
    assert SlaTimer.objects.get(case=worked_case, metric=Metric.RESOLUTION).met_at == paris(10, 8)


def test_attainment_counts_the_met_targets_in_the_week_they_were_met(worked_case):
    filters = ReportFilters(start=datetime(2026, 6, 1).date(), end=datetime(2026, 6, 14).date())

    report = sla_attainment_report(filters=filters)

    # 2 h 30 of a 4 h target, met Monday 8 June (W24); 5 h 30 of 40 h, met Wednesday 10 June (W24).
    assert [(c.week.isoformat(), c.tier, c.metric, c.met, c.breached) for c in report.cells] == [
        ("2026-06-08", "silver", Metric.FIRST_RESPONSE, 1, 0),
        ("2026-06-08", "silver", Metric.RESOLUTION, 1, 0),
    ]
