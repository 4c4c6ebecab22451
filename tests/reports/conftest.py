"""A small data set built by hand for the reports: two companies, two analysts, eleven cases with their
SLA timers, status history, replies, escalations and surveys. Every row is written here with the
instant it happened; ``tests/reports/test_numbers.py`` works out each report from these rows.

The clock is NOW (Wednesday 10 June 2026, 12:00 UTC) and the period asked for is PERIOD: Monday
1 June to Tuesday 9 June 2026, UTC, both days included, so [2026-06-01T00:00Z, 2026-06-10T00:00Z):
ISO week 2026-W23 (1–7 June) and the first two days of 2026-W24 (8–9 June).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Membership, PlanTier, ProductInstance
from cases.models import Case, CaseEvent, CaseStatus, Comment, EscalationRequest, SatisfactionSurvey
from sla.models import Metric, SlaTimer
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    ProductFactory,
    ProductInstanceFactory,
    SupportManagerFactory,
    member,
)

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
PERIOD = {"from": "2026-06-01", "to": "2026-06-09"}
S = CaseStatus
State = SlaTimer.State


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class World:
    acme: object = None
    bouquet: object = None
    financials: object = None
    time_tracking: object = None
    ann: object = None
    bob: object = None
    max: object = None
    acme_manager: object = None
    bouquet_manager: object = None
    acme_dsu: object = None
    cases: dict[str, Case] = field(default_factory=dict)


def _case(world: World, name: str, *, company, instance, priority, status, created, assignee=None) -> Case:
    case = CaseFactory(
        company=company,
        product_instance=instance,
        opened_by=world.acme_dsu if company == world.acme else world.bouquet_manager,
        subject=f"Case {name}",
        priority=priority,
        status=status,
        status_changed_at=created,
        created_at=created,
        assignee=assignee,
    )
    world.cases[name] = case
    return case


def _timer(case, metric, *, state, target, remaining=None, met_at=None, breached_at=None, started=None):
    return SlaTimer.objects.create(
        case=case,
        metric=metric,
        state=state,
        target_minutes=target,
        remaining_seconds=remaining,
        started_at=started or case.created_at,
        met_at=met_at,
        breached_at=breached_at,
        updated_at=met_at or breached_at or case.created_at,
    )


def _moved(case, when, from_status, to_status, type=CaseEvent.Type.TRANSITION):
    CaseEvent.objects.create(
        case=case, type=type, from_status=from_status, to_status=to_status, created_at=when
    )


def _comment(case, author, when, *, internal=False, escalation=False):
    return Comment.objects.create(
        case=case,
        author=author,
        body="…",
        is_internal=internal,
        is_escalation_request=escalation,
        created_at=when,
    )


def _escalation(case, requester, when, status):
    comment = _comment(case, requester, when, escalation=True)
    return EscalationRequest.objects.create(
        case=case, comment=comment, requested_by=requester, status=status, created_at=when
    )


def _survey(case, respondent, created, *, rating="", comment="", answered=None):
    return SatisfactionSurvey.objects.create(
        case=case,
        respondent=respondent,
        created_at=created,
        rating=rating,
        comment=comment,
        answered_at=answered,
    )


@pytest.fixture
def world(db) -> World:
    w = World()
    w.acme = CompanyFactory(
        name="Acme Corp", plan_tier=PlanTier.GOLD, country="GB", time_zone="Europe/London"
    )
    w.bouquet = CompanyFactory(name="Bouquet SARL", plan_tier=PlanTier.SILVER)
    w.financials = ProductFactory(name="Financials", code="financials")
    w.time_tracking = ProductFactory(name="Time tracking", code="time-tracking")
    acme_fin = ProductInstanceFactory(company=w.acme, product=w.financials)
    acme_time = ProductInstanceFactory(company=w.acme, product=w.time_tracking)
    bouquet_fin = ProductInstanceFactory(company=w.bouquet, product=w.financials)
    bouquet_sandbox = ProductInstanceFactory(
        company=w.bouquet, product=w.financials, environment=ProductInstance.Environment.SANDBOX
    )
    w.ann = AnalystFactory(username="ann", first_name="Ann", last_name="Analyst")
    w.bob = AnalystFactory(username="bob", first_name="Bob", last_name="Builder")
    w.max = SupportManagerFactory(username="max", first_name="Max", last_name="Manager")
    w.acme_manager = member(w.acme, role=Membership.Role.MANAGER, username="acme.manager")
    w.bouquet_manager = member(w.bouquet, role=Membership.Role.MANAGER, username="bouquet.manager")
    w.acme_dsu = member(w.acme, role=Membership.Role.DSU, username="acme.dsu")

    def case(name, instance, priority, status, created, assignee=None):
        return _case(
            w, name, company=instance.company, instance=instance, priority=priority, status=status,
            created=created, assignee=assignee,
        )  # fmt: skip

    # name, instance, priority, status now, opened, assignee
    a1 = case("a1", acme_fin, "P1", S.CLOSED, at(28, 10, month=5), w.ann)
    a2 = case("a2", acme_fin, "P1", S.IN_PROGRESS, at(2, 9), w.ann)
    a3 = case("a3", acme_time, "P1", S.PENDING_CUSTOMER, at(3, 8), w.bob)
    a4 = case("a4", acme_fin, "P1", S.IN_PROGRESS, at(8, 8), w.bob)
    a5 = case("a5", acme_fin, "P1", S.CLOSED, at(31, 23, 30, month=5), w.ann)
    a6 = case("a6", acme_fin, "P1", S.IN_PROGRESS, at(9, 23, 30), w.ann)
    a7 = case("a7", acme_fin, "P1", S.VERIFY_RESOLUTION, at(31, 23, 55, month=5), w.bob)
    a8 = case("a8", acme_fin, "P1", S.OPEN, at(9, 11))
    a9 = case("a9", acme_time, "P2", S.OPEN, at(9, 12))  # exactly one day old at NOW
    a10 = case("a10", acme_fin, "P1", S.IN_PROGRESS, at(4, 6), w.bob)
    b1 = case("b1", bouquet_fin, "P2", S.IN_PROGRESS, at(4, 9), w.ann)
    b2 = case("b2", bouquet_sandbox, "P3", S.OPEN, at(1, 9, month=4))
    b3 = case("b3", bouquet_fin, "P2", S.CLOSED, at(20, 9, month=5))

    # SLA timers. P1 first response: 60 min; P1 resolution: 480 min; P2 first response: 240 min.
    fr, res, nu = Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.NEXT_UPDATE
    _timer(a2, fr, state=State.MET, target=60, remaining=3000, met_at=at(2, 9, 10))  # ran 600 s
    _timer(a3, fr, state=State.MET, target=60, remaining=2400, met_at=at(3, 8, 20))  # 1,200 s
    _timer(
        a7, fr, state=State.MET, target=60, remaining=3300, met_at=at(1)
    )  # 300 s, at the period's first instant
    _timer(
        a10, fr, state=State.BREACHED, target=60, remaining=-1800, breached_at=at(4, 7), met_at=at(4, 7, 30)
    )  # 5,400 s
    _timer(a4, fr, state=State.MET, target=60, remaining=0, met_at=at(8, 9))  # 3,600 s
    _timer(
        b1, fr, state=State.BREACHED, target=240, remaining=-3600, breached_at=at(5, 9), met_at=at(6, 10)
    )  # 18,000 s
    _timer(
        a5, fr, state=State.MET, target=60, remaining=1801, met_at=at(31, 23, 59, 59, month=5)
    )  # before the period
    _timer(a6, fr, state=State.MET, target=60, remaining=1800, met_at=at(10))  # the first instant after it
    _timer(a8, fr, state=State.RUNNING, target=60, remaining=3600)  # not decided yet
    SlaTimer.objects.create(
        case=b2, metric=fr, state=State.NOT_APPLICABLE, updated_at=b2.created_at
    )  # sandbox
    _timer(a2, nu, state=State.MET, target=120, remaining=100, met_at=at(3, 9))  # next update: not reported
    _timer(a1, res, state=State.MET, target=480, remaining=10800, met_at=at(6, 10))  # 18,000 s
    _timer(
        a5, res, state=State.BREACHED, target=480, remaining=-9000, breached_at=at(1, 7, 30), met_at=at(1, 10)
    )  # 37,800 s
    _timer(
        b1, res, state=State.BREACHED, target=2400, remaining=-60, breached_at=at(9, 10)
    )  # missed, still running
    _timer(a7, res, state=State.PAUSED, target=480, remaining=20000)

    # Closings and reopenings (the history the reopen report reads).
    closing, reopening = CaseEvent.Type.TRANSITION, CaseEvent.Type.REOPENED
    _moved(a1, at(30, 9, month=5), S.VERIFY_RESOLUTION, S.CLOSED, closing)  # before the period
    _moved(a1, at(31, 9, month=5), S.CLOSED, S.IN_PROGRESS, reopening)
    _moved(a1, at(6, 10), S.VERIFY_RESOLUTION, S.CLOSED, CaseEvent.Type.AUTO_CLOSED)  # W23, still closed
    _moved(a5, at(1, 10), S.IN_PROGRESS, S.CLOSED, closing)  # W23, still closed
    _moved(a7, at(2, 10), S.VERIFY_RESOLUTION, S.CLOSED, closing)  # W23, closed again later
    _moved(a7, at(2, 12), S.CLOSED, S.IN_PROGRESS, reopening)
    _moved(a2, at(3, 12), S.IN_PROGRESS, S.CLOSED, closing)  # W23, open now
    _moved(a2, at(4, 9), S.CLOSED, S.IN_PROGRESS, reopening)
    _moved(a7, at(8, 10), S.VERIFY_RESOLUTION, S.CLOSED, closing)  # W24, in verify resolution now
    _moved(a7, at(8, 11), S.CLOSED, S.IN_PROGRESS, reopening)
    _moved(a7, at(9, 9), S.IN_PROGRESS, S.VERIFY_RESOLUTION)
    _moved(b3, at(9, 23, 59), S.VERIFY_RESOLUTION, S.CLOSED, closing)  # W24, still closed

    # Escalation requests.
    _escalation(a1, w.acme_dsu, at(30, 8, month=5), EscalationRequest.Status.DECLINED)  # before the period
    _escalation(a10, w.acme_dsu, at(4, 8), EscalationRequest.Status.ACCEPTED)  # W23
    _escalation(a3, w.acme_dsu, at(5, 8), EscalationRequest.Status.DECLINED)  # W23
    _escalation(a3, w.acme_dsu, at(8, 8), EscalationRequest.Status.PENDING)  # W24
    _escalation(b1, w.bouquet_manager, at(9, 8), EscalationRequest.Status.ACCEPTED)  # W24

    # Replies: public comments by support staff.
    _comment(a2, w.ann, at(2, 9, 10))
    _comment(a2, w.ann, at(3, 10))
    _comment(b1, w.ann, at(4, 10))
    _comment(a2, w.ann, at(5, 10), internal=True)  # an internal note is no reply
    _comment(a5, w.ann, at(31, 23, 59, 59, month=5))  # before the period
    _comment(a4, w.bob, at(8, 9))
    _comment(a3, w.bob, at(9, 23, 59, 59))
    _comment(a4, w.bob, at(10))  # after the period
    _comment(a1, w.max, at(6, 9))  # a support manager replying counts too
    _comment(a2, w.acme_dsu, at(4, 10))  # the customer's comment is no reply

    # Satisfaction surveys: one per closing.
    _survey(a1, w.acme_dsu, at(6, 10), rating="good", comment="Quick and clear", answered=at(6, 12))
    _survey(
        a5,
        w.acme_dsu,
        at(1, 10),
        rating="bad",
        comment='=HYPERLINK("http://evil.test","x")',
        answered=at(2, 8),
    )
    _survey(
        b3, w.bouquet_manager, at(9, 23, 59), rating="good", answered=at(10, 9)
    )  # answered after the period
    _survey(a7, w.acme_dsu, at(2, 10), rating="good", comment="+1 great", answered=at(8, 15))
    _survey(a7, w.acme_dsu, at(8, 10))  # not answered
    _survey(a1, w.acme_dsu, at(30, 9, month=5), rating="bad", comment="@support too slow", answered=at(3, 9))
    assert (a9.created_at, b2.status) == (at(9, 12), S.OPEN)
    return w


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def api(world, frozen_now) -> APIClient:
    """A client signed in as the support manager Max."""
    client = APIClient()
    client.force_authenticate(world.max)
    return client
