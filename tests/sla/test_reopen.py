"""Reopening a closed case gives support a running deadline again: the next-update timer restarts
from the reopening, with an event. Expected instants by hand (06:00–18:00 Mon–Fri, Europe/Paris)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from cases.models import Case, CaseEvent
from cases.services import case_transition, comment_create
from sla.models import Metric, SlaTarget, SlaTimer
from sla.services import sla_timers_sweep
from tests.factories import AnalystFactory
from tests.sla.test_timers import open_case

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def seeded_policy(db):
    call_command("bootstrap", verbosity=0)


def timers(case: Case) -> dict[str, SlaTimer]:
    return {t.metric: t for t in SlaTimer.objects.filter(case=case)}


def answered_resolved_and_confirmed(time_machine) -> Case:
    """A band-2 P2 case answered, resolved and confirmed on Monday (closed at 12:00)."""
    time_machine.move_to(datetime(2026, 6, 1, 9, 0, tzinfo=PARIS), tick=False)
    case = open_case(at=datetime(2026, 6, 1, 9, 0, tzinfo=PARIS), band=2, priority="P2")
    analyst = AnalystFactory()
    case = case_transition(case=case, actor=analyst, transition="start").case
    time_machine.move_to(datetime(2026, 6, 1, 10, 0, tzinfo=PARIS), tick=False)
    comment_create(case=case, author=analyst, body="Looking into it.")
    time_machine.move_to(datetime(2026, 6, 1, 11, 0, tzinfo=PARIS), tick=False)
    case = case_transition(
        case=case, actor=analyst, transition="propose_resolution", resolution="Patched."
    ).case
    time_machine.move_to(datetime(2026, 6, 1, 12, 0, tzinfo=PARIS), tick=False)
    case = case_transition(case=case, actor=case.opened_by, transition="confirm_resolution").case
    assert case.status == Case.Status.CLOSED
    return case


@pytest.fixture
def closed_case(time_machine):
    """A band-2 P2 case (next update: 12 business hours) answered, resolved and confirmed on Monday."""
    case = answered_resolved_and_confirmed(time_machine)
    # The seeded policy has first-response and next-update targets (no resolution target).
    assert {metric: t.state for metric, t in timers(case).items()} == {
        Metric.FIRST_RESPONSE: "met",
        Metric.NEXT_UPDATE: "met",
    }
    return case


def test_reopening_starts_the_next_update_timer_again(closed_case, time_machine):
    reopened_at = datetime(2026, 6, 3, 9, 0, tzinfo=PARIS)  # Wednesday
    time_machine.move_to(reopened_at, tick=False)

    case = case_transition(case=closed_case, actor=closed_case.opened_by, transition="reopen").case

    update = timers(case)[Metric.NEXT_UPDATE]
    # 12 h of business time from Wednesday 09:00: 9 h Wednesday, 3 h Thursday from 06:00 → 09:00.
    due = datetime(2026, 6, 4, 9, 0, tzinfo=PARIS)
    assert (update.state, update.started_at, update.due_at, update.met_at) == (
        "running",
        reopened_at,
        due,
        None,
    )
    assert (update.breached_at, update.warnings_sent, update.target_minutes) == (None, 0, 720)
    # The first response was given once and stays met.
    assert timers(case)[Metric.FIRST_RESPONSE].state == "met"
    reopened, restarted = case.events.filter(created_at=reopened_at).order_by("id")
    assert reopened.type == CaseEvent.Type.REOPENED
    assert (restarted.type, restarted.is_internal, restarted.actor) == (
        CaseEvent.Type.SLA_RESTARTED,
        True,
        None,
    )
    assert restarted.data == {
        "metric": "next_update",
        "target_minutes": 720,
        "due_at": due.astimezone(UTC).isoformat(),
    }

    # It is a real deadline: the sweep warns at 75 % and breaches it at the due instant.
    assert sla_timers_sweep(now=datetime(2026, 6, 4, 8, 59, tzinfo=PARIS))["breached"] == 0
    assert sla_timers_sweep(now=due)["breached"] == 1


def test_support_reply_after_reopening_meets_the_deadline_and_starts_the_next(closed_case, time_machine):
    time_machine.move_to(datetime(2026, 6, 3, 9, 0, tzinfo=PARIS), tick=False)
    case = case_transition(case=closed_case, actor=closed_case.opened_by, transition="reopen").case
    time_machine.move_to(datetime(2026, 6, 3, 15, 0, tzinfo=PARIS), tick=False)

    comment_create(case=case, author=AnalystFactory(), body="Reproduced; fixing.")

    update = timers(case)[Metric.NEXT_UPDATE]
    # The update was given in time; the clock now runs for the next one: 3 h Wednesday, 9 h Thursday.
    assert (update.state, update.breached_at) == ("running", None)
    assert update.due_at == datetime(2026, 6, 4, 15, 0, tzinfo=PARIS)


def test_reopening_off_production_starts_nothing(time_machine):
    time_machine.move_to(datetime(2026, 6, 1, 9, 0, tzinfo=PARIS), tick=False)
    case = open_case(at=datetime(2026, 6, 1, 9, 0, tzinfo=PARIS), priority="P3", environment="sandbox")
    analyst = AnalystFactory()
    case = case_transition(case=case, actor=analyst, transition="start").case
    case = case_transition(case=case, actor=analyst, transition="propose_resolution", resolution="Done.").case
    case = case_transition(case=case, actor=case.opened_by, transition="confirm_resolution").case

    case = case_transition(case=case, actor=case.opened_by, transition="reopen").case

    assert set(timers(case)[m].state for m in Metric) == {"not_applicable"}
    assert not case.events.filter(type=CaseEvent.Type.SLA_RESTARTED).exists()


def test_a_case_that_never_had_a_next_update_timer_gets_one_on_reopening(time_machine):
    # The policy had no next-update target while the case ran: no timer was ever started for it.
    next_update_targets = list(SlaTarget.objects.filter(metric=Metric.NEXT_UPDATE))
    SlaTarget.objects.filter(metric=Metric.NEXT_UPDATE).delete()
    case = answered_resolved_and_confirmed(time_machine)
    assert set(timers(case)) == {Metric.FIRST_RESPONSE}
    SlaTarget.objects.bulk_create(next_update_targets)  # the policy defines one now
    reopened_at = datetime(2026, 6, 3, 9, 0, tzinfo=PARIS)
    time_machine.move_to(reopened_at, tick=False)

    case = case_transition(case=case, actor=case.opened_by, transition="reopen").case

    update = timers(case)[Metric.NEXT_UPDATE]
    assert (update.state, update.started_at, update.due_at, update.target_minutes) == (
        "running",
        reopened_at,
        datetime(2026, 6, 4, 9, 0, tzinfo=PARIS),  # 12 business hours, as above
        720,
    )
    assert case.events.filter(type=CaseEvent.Type.SLA_RESTARTED).count() == 1


def test_reopening_under_a_policy_without_a_next_update_target_starts_nothing(time_machine):
    SlaTarget.objects.filter(metric=Metric.NEXT_UPDATE).delete()
    case = answered_resolved_and_confirmed(time_machine)
    time_machine.move_to(datetime(2026, 6, 3, 9, 0, tzinfo=PARIS), tick=False)

    case = case_transition(case=case, actor=case.opened_by, transition="reopen").case

    assert case.status == Case.Status.IN_PROGRESS
    assert {metric: t.state for metric, t in timers(case).items()} == {Metric.FIRST_RESPONSE: "met"}
    assert not case.events.filter(type=CaseEvent.Type.SLA_RESTARTED).exists()
