"""SLA timers: start, stop on public replies, pause and resume with the case, recompute, sweep.

Timers are recomputed from the case's status history (see ``sla.clock``) whenever the case
changes, and the sweep marks warnings and breaches exactly once each. ``cases.services`` calls
these; this module reads ``cases.models`` and never calls ``cases.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models as sql
from django.db import transaction
from django.utils import timezone

from accounts.models import ProductInstance
from cases.models import SUPPORT_HOLDS, Case, CaseEvent, CaseStatus
from cases.services.events import case_event_record
from core.publish import publish_after_commit
from sla.clock import read_clock
from sla.models import Calendar, Metric, SlaTarget, SlaTimer
from sla.selectors import (
    HOLIDAYS_VERSION,
    calendar_for_company,
    case_status_history,
    running_segments,
    sla_target_for,
    sla_targets_for,
    sla_timers_lock_for_write,
)

State = SlaTimer.State
FINAL = frozenset({State.MET, State.NOT_APPLICABLE})
# Metrics started with the case; next_update starts at the first public reply.
STARTED_WITH_CASE = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)

_TIMER_FIELDS = [
    "state",
    "target_minutes",
    "calendar",
    "policy",
    "holidays_version",
    "calendar_version",
    "started_at",
    "due_at",
    "warning_at",
    "warnings_sent",
    "remaining_seconds",
    "warned_at",
    "breached_at",
    "met_at",
    "updated_at",
]


def warning_thresholds(target: timedelta) -> list[timedelta]:
    """Running time after which a warning is due, ascending (75% of the target; 1 h before due for long ones)."""
    amounts = {target * settings.SLA_WARNING_FRACTION}
    if target >= settings.SLA_LONG_TARGET:
        amounts.add(target - settings.SLA_WARNING_BEFORE_DUE)
    return sorted(amount for amount in amounts if timedelta(0) < amount < target)


def _event(case: Case, type: str, at: datetime, note: str, data: dict[str, object]) -> CaseEvent:
    """An SLA entry in the case's history, by the system; hidden from customers. Notifies staff
    (``cases.notices``: the case's analyst and support managers)."""
    return case_event_record(case=case, type=type, actor=None, at=at, note=note, data=data, is_internal=True)


def _live(timer: SlaTimer) -> bool:
    return not (
        timer.state in FINAL or timer.met_at is not None or timer.started_at is None or timer.calendar is None
    )


def _follow_calendar(timer: SlaTimer, case: Case, history: list[tuple[datetime, str]], now: datetime) -> bool:
    """If the timer's calendar was edited since the timer was last computed (``calendar_version``),
    work out where the edit alone puts it: the timer as it stood at its last computation, read again
    with the edited calendar. A move (due instant or time left) is recorded as an event on the case
    saying what changed, so no edit moves a deadline silently. Answers whether it moved (no save)."""
    calendar_row = timer.calendar
    if not _live(timer) or calendar_row is None or timer.calendar_version == calendar_row.updated_at:
        return False
    unknown = timer.calendar_version is None  # a row no service computed: nothing to compare with
    timer.calendar_version = calendar_row.updated_at
    if unknown:
        return False
    then = timer.updated_at
    assert timer.started_at is not None  # a live timer has started
    reading = read_clock(
        calendar=calendar_for_company(calendar=calendar_row, company=case.company, at=then),
        segments=running_segments(
            history=[entry for entry in history if entry[0] <= then], since=timer.started_at
        ),
        target=timedelta(minutes=timer.target_minutes or 0),
        now=then,
    )
    before = (timer.due_at, timer.remaining_seconds)
    after = (reading.due_at, int(reading.remaining.total_seconds()))
    # A running timer is compared by its due instant (its stored time left may be older than its
    # last touch: the sweep marks a breach without recomputing); a paused one by its time left.
    if before[0] == after[0] and (before[0] is not None or before[1] == after[1]):
        return False

    def shown(due: datetime | None, seconds: int | None) -> str:
        if due is not None:
            return f"{due:%Y-%m-%d %H:%M} UTC"
        return f"paused, {timedelta(seconds=seconds or 0)} left"

    why = f"calendar '{calendar_row.name}' changed" + (
        f" ({calendar_row.change_note})" if calendar_row.change_note else ""
    )
    _event(
        case,
        CaseEvent.Type.SLA_RECOMPUTED,
        now,
        f"{timer.get_metric_display()}: {shown(*before)} → {shown(*after)}: {why}.",
        {
            "metric": timer.metric,
            "cause": "calendar_edit",
            "calendar_id": calendar_row.pk,
            "calendar": calendar_row.name,
            "from_due_at": before[0].isoformat() if before[0] else None,
            "to_due_at": after[0].isoformat() if after[0] else None,
            "from_remaining_seconds": before[1],
            "to_remaining_seconds": after[1],
        },
    )
    return True


def _refresh(timer: SlaTimer, case: Case, history: list[tuple[datetime, str]], now: datetime) -> None:
    """Recompute due, warning and state of a live timer from the history (no save). A calendar edit
    since its last computation is followed first, with its event (``_follow_calendar``)."""
    _follow_calendar(timer, case, history, now)
    timer.updated_at = now
    if not _live(timer):
        return
    assert timer.calendar is not None and timer.started_at is not None
    calendar = calendar_for_company(calendar=timer.calendar, company=case.company, at=now)
    segments = running_segments(history=history, since=timer.started_at)
    target = timedelta(minutes=timer.target_minutes or 0)
    reading = read_clock(calendar=calendar, segments=segments, target=target, now=now)
    running = case.status in SUPPORT_HOLDS
    timer.due_at = reading.due_at
    timer.remaining_seconds = int(reading.remaining.total_seconds())
    if timer.state == State.BREACHED and reading.due_at is not None and reading.due_at > now:
        timer.state, timer.breached_at = (
            State.RUNNING,
            None,
        )  # a longer target after recompute: no longer late
    if timer.state != State.BREACHED:
        timer.state = State.RUNNING if running else State.PAUSED
    pending = warning_thresholds(target)[timer.warnings_sent :]
    timer.warning_at = None
    if pending and timer.state == State.RUNNING:
        timer.warning_at = read_clock(calendar=calendar, segments=segments, target=pending[0], now=now).due_at


def _stop(timer: SlaTimer, case: Case, history: list[tuple[datetime, str]], at: datetime) -> None:
    """The obligation is discharged at ``at``: met, or breached if the due instant came first."""
    if timer.state in FINAL or timer.met_at is not None:
        return
    _refresh(timer, case, history, at)
    timer.met_at = at
    timer.warning_at = None
    if timer.state != State.BREACHED and timer.remaining_seconds is not None and timer.remaining_seconds < 0:
        timer.state, timer.breached_at = State.BREACHED, timer.due_at
        _event(
            case,
            CaseEvent.Type.SLA_BREACHED,
            at,
            f"{timer.get_metric_display()} target missed.",
            {"metric": timer.metric, "due_at": timer.due_at.isoformat() if timer.due_at else None},
        )
    elif timer.state != State.BREACHED:
        timer.state = State.MET


def _new_timer(case: Case, metric: str, started_at: datetime, now: datetime) -> SlaTimer | None:
    target = sla_target_for(company=case.company, priority=case.priority, metric=metric)
    return _timer_for(case, metric, target, started_at, now)


def _timer_for(
    case: Case, metric: str, target: SlaTarget | None, started_at: datetime, now: datetime
) -> SlaTimer | None:
    if target is None:
        return None
    return SlaTimer(
        case=case,
        metric=metric,
        state=State.RUNNING,
        target_minutes=target.minutes,
        calendar=target.calendar,
        policy=target.policy,
        holidays_version=HOLIDAYS_VERSION,
        calendar_version=target.calendar.updated_at,
        started_at=started_at,
        updated_at=now,
    )


# sla_timers_start, sla_public_reply and sla_timers_refresh run inside the case services'
# transactions: savepoint=False spares a SAVEPOINT / RELEASE round trip pair per call. Nothing catches
# their errors, so the enclosing transaction rolls back as a whole either way; called on their own,
# they are one transaction as before.


@transaction.atomic(savepoint=False)
def sla_timers_start(*, case: Case, now: datetime | None = None) -> list[SlaTimer]:
    """Create the case's first-response and resolution timers (``not_applicable`` off production)."""
    now = now or timezone.now()
    if case.product_instance.environment != ProductInstance.Environment.PRODUCTION:
        return SlaTimer.objects.bulk_create(
            SlaTimer(case=case, metric=metric, state=State.NOT_APPLICABLE, updated_at=now)
            for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_UPDATE, Metric.RESOLUTION)
        )
    history: list[tuple[datetime, str]] = [(case.created_at, CaseStatus.OPEN)]
    targets = sla_targets_for(company=case.company, priority=case.priority, metrics=STARTED_WITH_CASE)
    timers = [
        t
        for metric in STARTED_WITH_CASE
        if (t := _timer_for(case, metric, targets.get(metric), case.created_at, now))
    ]
    for timer in timers:
        _refresh(timer, case, history, now)
    return SlaTimer.objects.bulk_create(timers)


def _save_timers(timers: list[SlaTimer], fields: list[str]) -> None:
    """One UPDATE per timer: bulk_update builds a CASE WHEN per row and field, which costs far more
    than the SQL for these fields (benchmarks/results/auto_close.md)."""
    for timer in timers:
        timer.save(update_fields=fields)


def _locked_timers(case: Case) -> list[SlaTimer]:
    return sla_timers_lock_for_write(case_id=case.pk)


@transaction.atomic(savepoint=False)
def sla_public_reply(*, case: Case, at: datetime) -> None:
    """Support answered publicly: first response is met; the next-update clock starts again."""
    timers = {t.metric: t for t in _locked_timers(case)}
    if not timers or any(t.state == State.NOT_APPLICABLE for t in timers.values()):
        return
    history = case_status_history(case=case)
    first = timers.get(Metric.FIRST_RESPONSE)
    if first is not None:
        _stop(first, case, history, at)
    update = timers.get(Metric.NEXT_UPDATE)
    if update is None:
        update = _new_timer(case, Metric.NEXT_UPDATE, at, at)
        if update is not None:
            _refresh(update, case, history, at)
            update.save()
    else:
        update.started_at, update.met_at, update.breached_at, update.warned_at = at, None, None, None
        update.state, update.warnings_sent = State.RUNNING, 0
        if update.calendar is not None:  # a new obligation, under the calendar as it is now
            update.calendar_version = update.calendar.updated_at
        _refresh(update, case, history, at)
    _save_timers([t for t in timers.values() if t.pk], _TIMER_FIELDS)


@transaction.atomic(savepoint=False)
def sla_timers_refresh(*, case: Case, now: datetime | None = None) -> None:
    """Follow a status change: pause, resume with the time left, or stop everything when closed."""
    now = now or timezone.now()
    timers = _locked_timers(case)
    if case.status == CaseStatus.CLOSED:  # a finished timer stays as it is: nothing to write
        timers = [t for t in timers if t.state not in FINAL and t.met_at is None]
    if not timers:
        return
    history = case_status_history(case=case)
    for timer in timers:
        if case.status == CaseStatus.CLOSED:
            _stop(timer, case, history, case.closed_at or now)
        else:
            _refresh(timer, case, history, now)
    _save_timers(timers, _TIMER_FIELDS)


@transaction.atomic(savepoint=False)
def sla_timers_reopen(*, case: Case, now: datetime | None = None) -> SlaTimer | None:
    """A reopened case is support's move again and its customer is owed an update: the next-update
    timer starts again from the reopening, with the target the policy in force gives the case's
    priority now (created if the case never had one), and an event says so. First response and
    resolution stay as they ended (met or breached). Off production nothing runs."""
    now = now or timezone.now()
    timers = {t.metric: t for t in _locked_timers(case)}
    if not timers or any(t.state == State.NOT_APPLICABLE for t in timers.values()):
        return None
    target = sla_target_for(company=case.company, priority=case.priority, metric=Metric.NEXT_UPDATE)
    fresh = _timer_for(case, Metric.NEXT_UPDATE, target, now, now)
    if fresh is None:  # no policy defines the next update for this case
        return None
    update = timers.get(Metric.NEXT_UPDATE)
    if update is not None:  # the same row, started afresh
        for field in _TIMER_FIELDS:
            setattr(update, field, getattr(fresh, field))
        fresh = update
    _refresh(fresh, case, case_status_history(case=case), now)
    fresh.save()
    _event(
        case,
        CaseEvent.Type.SLA_RESTARTED,
        now,
        f"Reopened: the next update is due again, by {fresh.due_at:%Y-%m-%d %H:%M} UTC."
        if fresh.due_at
        else "Reopened: the next-update clock runs again.",
        {
            "metric": Metric.NEXT_UPDATE,
            "target_minutes": fresh.target_minutes,
            "due_at": fresh.due_at.isoformat() if fresh.due_at else None,
        },
    )
    return fresh


@transaction.atomic
def sla_timers_recompute(*, case: Case, reason: str, now: datetime | None = None) -> None:
    """Re-read targets for the case's current priority and recompute from the original starts; record why."""
    now = now or timezone.now()
    timers = [t for t in _locked_timers(case) if t.state not in FINAL and t.met_at is None]
    history = case_status_history(case=case)
    changes = {}
    for timer in timers:
        target = sla_target_for(company=case.company, priority=case.priority, metric=timer.metric)
        if target is None:
            continue
        changes[timer.metric] = {"from_minutes": timer.target_minutes, "to_minutes": target.minutes}
        _follow_calendar(timer, case, history, now)  # an edit of the old calendar first, on its own
        timer.target_minutes, timer.calendar, timer.policy = target.minutes, target.calendar, target.policy
        timer.calendar_version = target.calendar.updated_at
        timer.warnings_sent = 0
        _refresh(timer, case, history, now)
    _save_timers(timers, _TIMER_FIELDS)
    if changes:
        _event(case, CaseEvent.Type.SLA_RECOMPUTED, now, reason, {"targets": changes})


@transaction.atomic
def sla_timers_sweep(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Mark timers past a warning threshold or past due, exactly once each (concurrent sweeps skip
    each other's rows). Reads only due rows through partial indexes."""
    now = now or timezone.now()
    warned = list(
        SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=State.RUNNING, warning_at__lte=now)
        .select_related("case__company", "calendar")
        .order_by("warning_at")[:batch_size]
    )
    for timer in warned:
        timer.warnings_sent += 1
        timer.warned_at = timer.warned_at or now
        _event(
            timer.case,
            CaseEvent.Type.SLA_WARNING,
            now,
            f"{timer.get_metric_display()} due soon.",
            {
                "metric": timer.metric,
                "due_at": timer.due_at.isoformat() if timer.due_at else None,
                "warning": timer.warnings_sent,
            },
        )
        _refresh(timer, timer.case, case_status_history(case=timer.case), now)
    _save_timers(warned, _TIMER_FIELDS)

    breached = list(
        SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state__in=[State.RUNNING, State.PAUSED], breached_at__isnull=True, due_at__lte=now)
        .select_related("case")
        .order_by("due_at")[:batch_size]
    )
    for timer in breached:
        timer.state, timer.breached_at, timer.warning_at, timer.updated_at = (
            State.BREACHED,
            timer.due_at,
            None,
            now,
        )
        _event(
            timer.case,
            CaseEvent.Type.SLA_BREACHED,
            now,
            f"{timer.get_metric_display()} target missed.",
            {"metric": timer.metric, "due_at": timer.due_at.isoformat() if timer.due_at else None},
        )
    SlaTimer.objects.bulk_update(breached, ["state", "breached_at", "warning_at", "updated_at"])
    return {"warned": len(warned), "breached": len(breached)}


@transaction.atomic(savepoint=False)
def sla_timers_stop_closed(*, case_ids: list[int], at: datetime) -> None:
    """Stop the timers of cases just closed from a customer's-move status (the auto-close batch).

    Their clocks are paused, so each timer's time left is already known: one UPDATE settles them
    all (paused → met; breached ones keep their state and get met_at). A timer still running, or
    paused past its target (not expected from Verify Resolution), takes the exact per-case path.
    """
    live = SlaTimer.objects.filter(case_id__any_of=case_ids, met_at__isnull=True).exclude(state__in=FINAL)
    odd = set(
        live.filter(
            sql.Q(state=State.RUNNING) | sql.Q(state=State.PAUSED, remaining_seconds__lt=0)
        ).values_list("case_id", flat=True)
    )
    live.exclude(case_id__in=odd).filter(state__in=(State.PAUSED, State.BREACHED)).update(
        state=sql.Case(sql.When(state=State.PAUSED, then=sql.Value(State.MET)), default=sql.F("state")),
        met_at=at,
        warning_at=None,
        updated_at=at,
    )
    for case in Case.objects.filter(pk__in=odd):
        sla_timers_refresh(case=case, now=at)


# --- calendar edits -------------------------------------------------------------------------------
#
# Choice: an edit of a calendar (hours, holidays, zone, country) applies to the timers already
# running under it, and every timer it moves gets an SLA_RECOMPUTED event saying from what due
# instant to what, and why. A policy edit does not touch running timers (they copied their target
# when they started; see sla.models): sla_policy_running_timers_count tells staff how many keep
# the old one, and sla_timers_recompute applies the new targets to a case, with its event.

# Live timers recomputed per calendar edit in the admin's request; the rest follow on the SLA sweep.
CALENDAR_FOLLOW_BATCH = 500
_LIVE_STATES = (State.RUNNING, State.PAUSED, State.BREACHED)


@dataclass(frozen=True)
class CalendarFollow:
    checked: int  # live timers recomputed for an edited calendar
    moved: int  # of which the edit moved (each with its event)
    outdated: bool  # some remain for the next run


def _outdated_timers(calendar: Calendar) -> sql.QuerySet[SlaTimer]:
    return SlaTimer.objects.filter(
        calendar=calendar, met_at__isnull=True, state__in=_LIVE_STATES, calendar_version__isnull=False
    ).exclude(calendar_version=calendar.updated_at)


@transaction.atomic
def sla_calendar_changed(
    *, calendar: Calendar, note: str, now: datetime | None = None, batch_size: int = CALENDAR_FOLLOW_BATCH
) -> CalendarFollow:
    """Staff edited ``calendar``: record the edit as its new version (``note`` says what changed;
    every resolved calendar is keyed by the version, so the edit applies at once everywhere), then
    recompute its live timers, a first batch now and the rest after commit or on the SLA sweep.
    Each timer the edit moves gets an event on its case."""
    now = now or timezone.now()
    Calendar.objects.filter(pk=calendar.pk).update(
        updated_at=now, change_note=note[:500], timers_outdated=True
    )
    result = sla_timers_follow_calendars(now=now, batch_size=batch_size, calendar_ids=[calendar.pk])
    if result.outdated:
        publish_after_commit("sla.tasks.sla_timers_follow_calendars_task")
    return result


@transaction.atomic
def sla_timers_follow_calendars(
    *,
    now: datetime | None = None,
    batch_size: int = CALENDAR_FOLLOW_BATCH,
    calendar_ids: list[int] | None = None,
) -> CalendarFollow:
    """Recompute live timers computed under an earlier version of their calendar, at most
    ``batch_size`` (concurrent runs skip each other's rows), recording each move (``_follow_calendar``).
    A calendar is done when none of its live timers is outdated."""
    now = now or timezone.now()
    calendars = Calendar.objects.filter(timers_outdated=True).order_by("pk")
    if calendar_ids is not None:
        calendars = calendars.filter(pk__in=calendar_ids)
    checked = moved = 0
    outdated = False
    for calendar in calendars:
        budget = batch_size - checked
        if budget <= 0:
            outdated = True
            break
        timers = list(
            _outdated_timers(calendar)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("calendar", "case__company")
            .order_by("pk")[:budget]
        )
        for timer in timers:
            case = timer.case
            history = case_status_history(case=case)
            moved += _follow_calendar(timer, case, history, now)
            _refresh(timer, case, history, now)
        _save_timers(timers, _TIMER_FIELDS)
        checked += len(timers)
        if _outdated_timers(calendar).exists():  # also rows another transaction holds: next run
            outdated = True
        else:
            Calendar.objects.filter(pk=calendar.pk, updated_at=calendar.updated_at).update(
                timers_outdated=False
            )
    return CalendarFollow(checked=checked, moved=moved, outdated=outdated)


def sla_policy_running_timers_count(*, policy_id: int) -> int:
    """Live timers that copied a target of this policy when they started: a policy edit leaves them
    as they are (the admin says how many)."""
    return SlaTimer.objects.filter(policy_id=policy_id, met_at__isnull=True, state__in=_LIVE_STATES).count()
