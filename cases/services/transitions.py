from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from accounts.models import User
from cases.models import Attachment, Case, CaseEvent, CaseStatus, Comment, OutOfScopeReason
from cases.notices.customers import NOTICE_RELATED, notifications_for_auto_closed
from cases.selectors import TRANSITION_INPUTS, case_acting_check, case_lock_for_write, reopen_window_expired
from cases.services.comments import comment_add
from cases.services.events import case_event_record, case_events_record_bulk
from core.errors import Conflict, PermissionRefused, ValidationFailed
from sla.services import sla_public_reply, sla_timers_refresh, sla_timers_reopen, sla_timers_stop_closed

# Fields a transition may set on the row; saved together with the status.
_STATE_FIELDS = [
    "status",
    "status_changed_at",
    "updated_at",
    "tentative_release_date",
    "resolution",
    "auto_close_at",
    "closed_at",
    "out_of_scope_reason",
    "last_customer_activity_at",
    "assignee",
]

# How a refusal names each customer move ("only a designated support user may ...").
_CUSTOMER_ACTIONS = {
    "respond": "answer support on a case",
    "confirm_resolution": "confirm a resolution",
    "reject_resolution": "reject a resolution",
    "reopen": "reopen a case",
}
# Transitions whose message is posted as a public comment by the actor.
_MESSAGE_AS_COMMENT = {"request_customer_action", "respond", "reject_resolution"}
# While a case is the customer's move, a public comment from the customer side is their answer: it
# makes this move, which hands the case back to support (``case_customer_answer``).
CUSTOMER_ANSWERS: dict[str, str] = {
    CaseStatus.PENDING_CUSTOMER: "respond",
    CaseStatus.VERIFY_RESOLUTION: "reject_resolution",
}
_ANSWER_NOTES = {
    "respond": "The customer answered (comment #{comment}): the case is back with support.",
    "reject_resolution": (
        "The customer answered the proposed resolution (comment #{comment}), so it is not confirmed: "
        "the case is back with support and will not close automatically."
    ),
}
# Support moves that answer the customer publicly without a comment (the SLA counts them as replies).
_PUBLIC_ANSWER = {"propose_resolution", "close_out_of_scope"}


def _lock(case: Case | None, case_id: int | None, actor: User) -> Case:
    """Lock the row (``case_lock_for_write``). Given the case the caller read, refuse when its status
    changed since (someone else acted first); given only its id, the locking read is also the
    visibility check, for ``actor`` (404)."""
    if case is None:
        assert case_id is not None, "case or case_id"
        return case_lock_for_write(case_id=case_id, user=actor)
    locked = case_lock_for_write(case_id=case.pk)
    if locked.status != case.status:
        raise Conflict(
            _("%(case)s changed while you were acting: it is now '%(status)s'. Reload it and try again.")
            % {"case": locked.number, "status": locked.get_status_display()},
            code="conflict",
        )
    return locked


def _refuse_unavailable(case: Case, actor: User, name: str) -> None:
    method = getattr(Case, name, None)
    if name not in TRANSITION_INPUTS or method is None:
        raise ValidationFailed(
            _("There is no transition called '%(name)s'.") % {"name": name}, code="unknown_transition"
        )
    meta = method._django_fsm  # django-fsm's record of the transition's sources, targets, permissions
    transition = meta.get_transition(case.status)
    if transition is None:
        raise Conflict(
            _("'%(name)s' is not possible while %(case)s is '%(status)s'.")
            % {"name": name, "case": case.number, "status": case.get_status_display()},
            code="invalid_transition",
        )
    if not transition.has_perm(case, actor):
        raise PermissionRefused(
            (
                _("'%(name)s' is the customer's move.")
                if actor.is_staff
                else _("'%(name)s' is support's move.")
            )
            % {"name": name},
            code="transition_not_allowed",
        )


def _check_reopen(case: Case, actor: User, reason: str, now: datetime) -> None:
    if not reopen_window_expired(case=case, now=now):
        return
    if actor.is_staff and actor.is_support_manager:
        if not reason:
            raise ValidationFailed(
                _("Reopening after the 3-day window needs a reason."),
                code="reason_required",
                extra={"field": "reason"},
            )
        return
    raise Conflict(
        _(
            "%(case)s closed more than 3 days ago and can no longer be reopened. Open a new case with "
            "follow_up_of=%(id)s: it links the two and keeps the product and analyst."
        )
        % {"case": case.number, "id": case.pk},
        code="reopen_window_expired",
        extra={"follow_up_of": case.pk},
    )


@dataclass(frozen=True)
class TransitionDone:
    """What ``case_transition`` did: the case as saved, and the public comment it posted with the
    move's message (None when the move posts none, or a stored comment made it)."""

    case: Case
    comment: Comment | None = None


@transaction.atomic
def case_transition(
    *,
    case: Case | None = None,
    case_id: int | None = None,
    actor: User,
    transition: str,
    message: str = "",
    resolution: str = "",
    tentative_release_date: date | None = None,
    out_of_scope_reason: OutOfScopeReason | None = None,
    reason: str = "",
    comment_source: str = Comment.Source.API,
    answering: Comment | None = None,
    now: datetime | None = None,
) -> TransitionDone:
    """Move ``case`` through ``transition`` for ``actor``: lock, check, apply, save, record the event;
    answers the case and the comment the move posted (``TransitionDone``).

    ``case`` is the row as the caller saw it; if its status moved meanwhile the answer is 409 ``conflict``.
    ``case_id`` instead, for a caller that read nothing (the API): the one locking read checks that
    ``actor`` may see the case (404).
    A customer-side actor must be allowed to act for the case's company (``case_acting_check``)
    before anything else is said about the move. ``answering``: the customer's comment (already
    stored) that makes this move; it is the move's message, and the event names it.
    """
    now = now or timezone.now()
    case = _lock(case, case_id, actor)
    case_acting_check(case=case, user=actor, action=_CUSTOMER_ACTIONS.get(transition, "move a case"))
    _refuse_unavailable(case, actor, transition)
    if answering is not None:
        message = answering.body
    message, resolution = message.strip(), resolution.strip()
    given: dict[str, object] = {
        "message": message,
        "resolution": resolution,
        "tentative_release_date": tentative_release_date,
        "out_of_scope_reason": out_of_scope_reason,
    }
    for field in TRANSITION_INPUTS[transition]:
        if not given[field]:
            raise ValidationFailed(
                _("'%(transition)s' needs %(field)s.")
                % {"transition": transition, "field": field.replace("_", " ")},
                code="field_required",
                extra={"field": field},
            )
    if transition == "await_release" and tentative_release_date and tentative_release_date < now.date():
        raise ValidationFailed(_("The tentative release date is in the past."), code="release_date_in_past")
    if transition == "close_out_of_scope" and out_of_scope_reason and not out_of_scope_reason.is_active:
        raise ValidationFailed(
            _("That out-of-scope reason is no longer offered."), code="inactive_out_of_scope_reason"
        )
    if transition == "reopen":
        _check_reopen(case, actor, reason, now)

    from_status = case.status
    kwargs: dict[str, Any] = {"at": now}
    if transition == "await_release":
        kwargs["tentative_release_date"] = tentative_release_date
    elif transition == "propose_resolution":
        kwargs["resolution"] = resolution
    elif transition == "close_out_of_scope":
        kwargs["reason"] = out_of_scope_reason
    getattr(case, transition)(**kwargs)
    if transition == "start" and case.assignee_id is None:
        case.assignee = actor  # taking an open case makes it yours
    try:
        case.save(update_fields=_STATE_FIELDS)
    except ConcurrentTransition as exc:  # belt and braces beside the row lock
        raise Conflict(
            _("%(case)s changed while you were acting; reload it.") % {"case": case.number}, code="conflict"
        ) from exc

    data: dict[str, Any] = {}
    if tentative_release_date:
        data["tentative_release_date"] = str(tentative_release_date)
    comment: Comment | None = None
    if transition in _MESSAGE_AS_COMMENT and answering is None:
        comment = comment_add(
            case=case,
            author=actor,
            body=message,
            is_internal=False,
            at=now,
            source=comment_source,
            within=transition,  # the transition's notice carries the message: one e-mail, not two
        )
    note = message or resolution or reason
    if out_of_scope_reason is not None:
        note = f"{out_of_scope_reason.name}: {out_of_scope_reason.referral}"
    if answering is not None:
        note = _ANSWER_NOTES[transition].format(comment=answering.pk)
        data.update(comment_id=answering.pk, cause="customer_comment")
        if answering.is_escalation_request:
            # The escalation request's own notice told everyone, with the text: one e-mail, not two.
            data["within"] = "escalation_request"
    case_event_record(
        case=case,
        type=CaseEvent.Type.REOPENED if transition == "reopen" else CaseEvent.Type.TRANSITION,
        actor=actor,
        at=now,
        transition=transition,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data,
    )
    if transition in _PUBLIC_ANSWER:
        sla_public_reply(case=case, at=now)
    sla_timers_refresh(case=case, now=now)
    if transition == "reopen":
        sla_timers_reopen(case=case, now=now)
    return TransitionDone(case=case, comment=comment)


def customer_answer_transition(*, case: Case, author: User, is_internal: bool) -> str:
    """The move a comment by ``author`` on ``case`` (as it is now) makes: ``respond`` or
    ``reject_resolution`` for a public comment from the customer side while the case is the
    customer's move, else "" (the comment is only a comment)."""
    if is_internal or author.is_staff:
        return ""
    return CUSTOMER_ANSWERS.get(case.status, "")


def case_customer_answer(*, case: Case, comment: Comment, now: datetime) -> Case:
    """A public comment from the customer side on a case that is the customer's move answers it:
    Pending Customer Action → ``respond``, Verify Resolution → ``reject_resolution`` (the fix is not
    confirmed), both back to In Progress with an event naming the comment. Any other comment, or
    any other status, changes nothing. Part of the caller's transaction (the one that stored it)."""
    transition = customer_answer_transition(case=case, author=comment.author, is_internal=comment.is_internal)
    if not transition:
        return case
    return case_transition(
        case=case, actor=comment.author, transition=transition, answering=comment, now=now
    ).case


AUTO_CLOSE_NOTE = "No answer within 9 days of the proposed resolution."
HANDED_BACK_NOTE = (
    "The customer side was active after the resolution was proposed, so the case is not closed "
    "automatically: it is back with support."
)
# Rows locked and written per batch: every statement is set-based, so a batch holds its locks briefly.
AUTO_CLOSE_BATCH = 1000


def customer_answered_since_verify_resolution() -> Q:
    """Cases in Verify Resolution whose customer side did something after the case entered it: the
    case's own mark (``last_customer_activity_at``), a public comment or an upload by a non-staff
    user. Such a case answered; the customer's comment hands it back at once
    (``case_customer_answer``), and this is the sweeps' second line, should that move ever be missed."""
    entered = OuterRef("status_changed_at")
    customer_comment = Comment.objects.filter(
        case=OuterRef("pk"), is_internal=False, author__is_staff=False, created_at__gte=entered
    )
    customer_upload = Attachment.objects.filter(
        case=OuterRef("pk"), uploaded_by__is_staff=False, created_at__gte=entered
    )
    return (
        Q(last_customer_activity_at__gte=F("status_changed_at"))
        | Q(Exists(customer_comment))
        | Q(Exists(customer_upload))
    )


@transaction.atomic
def case_auto_close_due(*, now: datetime | None = None, batch_size: int = AUTO_CLOSE_BATCH) -> list[int]:
    """Close cases left in Verify Resolution for 9 days without an answer (one bounded batch;
    concurrent runs skip each other's rows). Answers the closed case ids. A due case whose customer
    side was active since it entered Verify Resolution is never closed: it is handed back to support
    (``case_hand_back_answered``).

    Set-based, because a backlog can be large (100,000 cases after an outage of the job): the
    batch is locked by id, the transition runs once on a stand-in case to get its field values
    (every due case gets the same ones), then one UPDATE, one INSERT … SELECT of events, the SLA
    timers stopped and the notices written by the database; no row becomes a Python object.
    """
    now = now or timezone.now()
    due = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CaseStatus.VERIFY_RESOLUTION, auto_close_at__lte=now)
        .annotate(answered=ExpressionWrapper(customer_answered_since_verify_resolution(), BooleanField()))
        .order_by("auto_close_at", "pk")
        .values_list("pk", "answered")[:batch_size]
    )
    answered = [pk for pk, was_answered in due if was_answered]
    if answered:
        case_hand_back_answered(case_ids=answered, now=now)
    ids = [pk for pk, was_answered in due if not was_answered]
    if not ids:
        return []
    closing = Case(status=CaseStatus.VERIFY_RESOLUTION)
    closing.auto_close(at=now)  # the transition's rules and fields, on a stand-in
    Case.objects.filter(pk__any_of=ids).update(
        status=closing.status,
        closed_at=closing.closed_at,
        auto_close_at=closing.auto_close_at,
        status_changed_at=closing.status_changed_at,
        updated_at=closing.updated_at,
    )
    case_events_record_bulk(
        case_ids=ids,
        type=CaseEvent.Type.AUTO_CLOSED,
        at=now,
        transition="auto_close",
        from_status=CaseStatus.VERIFY_RESOLUTION,
        to_status=closing.status,
        note=AUTO_CLOSE_NOTE,
    )
    sla_timers_stop_closed(case_ids=ids, at=now)
    notifications_for_auto_closed(case_ids=ids, at=now)
    return ids


def case_hand_back_answered(*, case_ids: list[int], now: datetime) -> None:
    """The sweep's second line: Verify Resolution cases (locked by the caller) whose customer side
    answered without the move that should have followed. The system makes it: back to In Progress,
    with an event saying why. Expected to be rare, so one case at a time."""
    for case in Case.objects.filter(pk__any_of=case_ids).select_related("product_instance", *NOTICE_RELATED):
        case.reject_resolution(at=now)
        case.save(update_fields=_STATE_FIELDS)
        case_event_record(
            case=case,
            type=CaseEvent.Type.TRANSITION,
            actor=None,
            at=now,
            transition="reject_resolution",
            from_status=CaseStatus.VERIFY_RESOLUTION,
            to_status=case.status,
            note=HANDED_BACK_NOTE,
            data={"cause": "customer_activity"},
        )
        sla_timers_refresh(case=case, now=now)


AUTO_CLOSE_REMINDER_BEFORE = timedelta(days=2)


@transaction.atomic
def case_auto_close_reminders_due(*, now: datetime | None = None, batch_size: int = 500) -> list[int]:
    """Remind customers two days before a Verify Resolution case closes by itself (once per stay in
    that status, never once they answered; concurrent runs skip each other's rows). Answers the
    reminded case ids."""
    now = now or timezone.now()
    already = CaseEvent.objects.filter(
        case=OuterRef("pk"),
        type=CaseEvent.Type.AUTO_CLOSE_REMINDER,
        created_at__gte=OuterRef("status_changed_at"),
    )
    due = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CaseStatus.VERIFY_RESOLUTION, auto_close_at__lte=now + AUTO_CLOSE_REMINDER_BEFORE)
        .exclude(Exists(already))
        .exclude(customer_answered_since_verify_resolution())
        .order_by("auto_close_at", "pk")[:batch_size]
    )
    for case in due:
        case_event_record(
            case=case,
            type=CaseEvent.Type.AUTO_CLOSE_REMINDER,
            actor=None,
            at=now,
            note=f"Closes automatically at {case.auto_close_at:%Y-%m-%d %H:%M} UTC unless the customer answers.",
        )
    return [case.pk for case in due]
