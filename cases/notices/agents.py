"""Who hears about a case event, and what they read: the support side.

Every case event goes through ``cases.notices.case_event_notices_write`` (called by the one event
writer, in the event's transaction). The customer side (opener, contact, followers, webhooks) is
``cases.notices.customers``'s; this module decides the staff side:

- **Agent notices**: the analyst a case event concerns gets a line in their admin inbox
  (``AgentNotice``, unread until they open the case) and, by their preference
  (``AnalystProfile.email_notices``), an e-mail at once, a place in their next digest, or nothing.
  Who: the case's assignee; an unassigned case's queue analysts who are available; never the person
  who acted. What: a customer's public comment (API or e-mail) or upload, a customer's answer to
  Pending Customer Action, a rejected resolution, a reopen, an escalation request, a case assigned to
  them (the new assignee), an SLA warning or breach on the case; and a mention (``@username``) in an
  internal note, for the mentioned staff member whoever the case belongs to.
- **Support managers** get the escalation to review and every SLA warning and breach by e-mail, as
  before; one who is also an agent recipient of the same event gets only the agent notice.

One e-mail per event per recipient; each has a key, so processing an event again writes nothing.
One notice per thing the customer did: a comment that answers a case that was the customer's move
(by the API or by e-mail) is part of the move it makes (``respond``, ``reject_resolution``), whose
notice quotes it; so is an escalation request's comment, and the hand-back it causes.
Staff read their e-mails in ``User.language`` (default en) with dates in
``AnalystProfile.time_zone`` (UTC while it is empty).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import AgentNotice, AnalystProfile, Case, CaseEvent, Comment
from notifications.messages import METRIC_LABELS, in_language
from notifications.outbox import OutboxEmail, outbox_emails_write
from notifications.rendering import render_headline

Kind = AgentNotice.Kind
Type = CaseEvent.Type

# ``@username`` in an internal note: Django's username characters; not the middle of an address
# (``ann@example.com``); a trailing full stop or dash is punctuation.
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")
# The most an e-mail quotes of what was written, and the inbox line's excerpt.
MESSAGE_MAX_CHARS = 5000
EXCERPT_MAX_CHARS = 300
# Digest items collected per sweep run (the next run takes the rest).
DIGEST_BATCH = 2000


def support_managers() -> list[User]:
    """Active staff who may manage support (superusers, or the ``manage_support`` permission, given
    to them or to one of their groups), with their profiles. Subqueries, not joins and DISTINCT: the
    joins' estimated cost crossed PostgreSQL's JIT threshold, which costs more than the query."""
    by_user = User.user_permissions.through.objects.filter(permission__codename="manage_support")
    by_group = User.groups.through.objects.filter(group__permissions__codename="manage_support")
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .filter(
            Q(is_superuser=True) | Q(pk__in=by_user.values("user_id")) | Q(pk__in=by_group.values("user_id"))
        )
        .select_related("analyst_profile")
        .order_by("pk")
    )


def staff_profile(user: User) -> AnalystProfile | None:
    """The user's profile if it was loaded with them (``select_related("analyst_profile")``) or exists."""
    try:
        return user.analyst_profile
    except AnalystProfile.DoesNotExist:
        return None


def staff_locale(user: User) -> tuple[str, str]:
    """(language, time zone) a staff member reads their e-mails in."""
    profile = staff_profile(user)
    return user.language or "en", (profile.time_zone or "UTC") if profile else "UTC"


def admin_case_url(case_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('admin:cases_case_change', args=[case_id])}"


def mentioned_usernames(text: str) -> list[str]:
    """The ``@username`` mentions in ``text``, each once, in order."""
    names = (match.rstrip(".-") for match in MENTION.findall(text))
    return list(dict.fromkeys(name for name in names if name))


def _staff(ids: list[int]) -> list[User]:
    """Active staff among ``ids``, with their profiles (one query)."""
    if not ids:
        return []
    users = User.objects.filter(pk__in=ids, is_active=True, is_staff=True).select_related("analyst_profile")
    return sorted(users, key=lambda user: ids.index(user.pk))


def _case_audience(case: Case) -> list[User]:
    """Who hears about the case as its analyst: the assignee, or, unassigned, the available analysts
    of its queue."""
    if case.assignee_id is not None:
        return _staff([case.assignee_id])
    if case.queue_id is None:
        return []
    return list(
        User.objects.filter(
            queues=case.queue_id,
            is_active=True,
            is_staff=True,
            analyst_profile__availability=AnalystProfile.Availability.AVAILABLE,
        )
        .select_related("analyst_profile")
        .order_by("pk")
    )


def _comment_body(event: CaseEvent) -> str:
    comment_id = event.data.get("comment_id")
    if comment_id is None:
        return ""
    return Comment.objects.filter(pk=comment_id).values_list("body", flat=True).first() or ""


@dataclass
class _AgentNotices:
    """What an event tells whom on the support side. ``message``: what was written, read only when
    someone is to be told (a comment's body costs a query)."""

    kind: str
    recipients: list[User]
    message: Callable[[], str] = str
    context: dict[str, Any] = field(default_factory=dict)


def _agent_notices_for(event: CaseEvent, case: Case) -> _AgentNotices | None:
    actor = event.actor
    by_customer = actor is not None and not actor.is_staff
    if event.data.get("within"):
        return None  # told by the move it belongs to (a transition, an escalation request)
    if event.type == Type.COMMENTED:
        if event.is_internal:
            if actor is None or not actor.is_staff:
                return None
            body = _comment_body(event)
            names = mentioned_usernames(body)
            if not names:
                return None
            mentioned = User.objects.filter(username__in=names, is_active=True, is_staff=True)
            return _AgentNotices(
                Kind.MENTIONED, list(mentioned.select_related("analyst_profile").order_by("pk")), lambda: body
            )
        if by_customer:
            return _AgentNotices(Kind.CUSTOMER_REPLY, _case_audience(case), lambda: _comment_body(event))
        return None
    note = functools.partial(str, event.note)
    if event.type == Type.TRANSITION and by_customer:
        # A move made by commenting (``cause``: the customer's comment) quotes the comment, not the
        # event's note, which explains the move to support.
        said = functools.partial(_comment_body, event) if event.data.get("comment_id") else note
        if event.transition == "respond":
            return _AgentNotices(Kind.CUSTOMER_REPLY, _case_audience(case), said)
        if event.transition == "reject_resolution":
            return _AgentNotices(Kind.RESOLUTION_REJECTED, _case_audience(case), said)
        return None
    if event.type == Type.REOPENED:
        return _AgentNotices(Kind.REOPENED, _case_audience(case), note)
    if event.type == Type.ESCALATION_REQUESTED:
        return _AgentNotices(Kind.ESCALATION_REQUESTED, _case_audience(case), note)
    if event.type == Type.ASSIGNED:
        assignee_id = event.data.get("to")
        return _AgentNotices(Kind.ASSIGNED, _staff([assignee_id]) if assignee_id else [])
    if event.type in (Type.SLA_WARNING, Type.SLA_BREACHED):
        kind = Kind.SLA_WARNING if event.type == Type.SLA_WARNING else Kind.SLA_BREACHED
        return _AgentNotices(kind, _case_audience(case), context=_sla_context(event))
    if event.type == Type.ATTACHMENT_ADDED and by_customer and not event.is_internal:
        if event.data.get("comment_id"):
            return None  # part of a comment, which told them
        return _AgentNotices(
            Kind.CUSTOMER_ATTACHMENT,
            _case_audience(case),
            context={"filename": event.data.get("filename", "")},
        )
    return None


def _sla_context(event: CaseEvent) -> dict[str, Any]:
    return {"metric": event.data.get("metric", ""), "due_at": event.data.get("due_at") or ""}


def _staff_context(
    case: Case, event: CaseEvent, message: str, extra: dict[str, Any], language: str
) -> dict[str, Any]:
    """What a staff e-mail about ``event`` reads (JSON): instants as ISO strings."""
    context = {
        "case_id": case.pk,
        "case_number": case.number,
        "case_subject": case.subject,
        "priority": case.priority,
        "company": case.company.name,
        "case_url": admin_case_url(case.pk),
        "actor": str(event.actor) if event.actor else "",
        "at": event.created_at.isoformat(),
        "message": message[:MESSAGE_MAX_CHARS],
        **extra,
    }
    if "metric" in context:
        label = METRIC_LABELS.get(str(context["metric"]))
        context["metric_label"] = (
            in_language(label, language) if label is not None else str(context["metric"])
        )
    return context


def _staff_email(
    key: str, kind: str, user: User, case: Case, event: CaseEvent, message: str, extra: dict[str, Any]
) -> OutboxEmail:
    language, time_zone = staff_locale(user)
    return OutboxEmail(
        key=key,
        kind=kind,
        recipient=user,
        language=language,
        time_zone=time_zone,
        context=_staff_context(case, event, message, extra, language),
        case_id=case.pk,
    )


def agent_notices_write(event: CaseEvent, case: Case) -> set[int]:
    """The event's agent notices and their immediate e-mails; answers the recipients' ids."""
    plan = _agent_notices_for(event, case)
    if plan is None:
        return set()
    recipients = [user for user in dict.fromkeys(plan.recipients) if user.pk != event.actor_id]
    if not recipients:
        return set()
    preferences = {user.pk: staff_profile(user) for user in recipients}

    def email_mode(user: User) -> str:
        profile = preferences[user.pk]
        if not user.email:
            return AnalystProfile.EmailNotices.OFF
        return profile.email_notices if profile else AnalystProfile.EmailNotices.IMMEDIATE

    message = plan.message()
    excerpt = " ".join(message.split())[:EXCERPT_MAX_CHARS]
    AgentNotice.objects.bulk_create(
        [
            AgentNotice(
                recipient=user,
                case=case,
                event=event,
                kind=plan.kind,
                actor_id=event.actor_id,
                excerpt=excerpt,
                created_at=event.created_at,
                email_digest_pending=email_mode(user) == AnalystProfile.EmailNotices.DIGEST,
            )
            for user in recipients
        ],
        ignore_conflicts=True,  # one per event and recipient: a repeat writes nothing
    )
    outbox_emails_write(
        (
            _staff_email(
                f"case_event:{event.pk}:agent_{plan.kind}:email:{user.pk}",
                f"agent_{plan.kind}",
                user,
                case,
                event,
                message,
                plan.context,
            )
            for user in recipients
            if email_mode(user) == AnalystProfile.EmailNotices.IMMEDIATE
        ),
        now=event.created_at,
    )
    return {user.pk for user in recipients}


def manager_emails_write(event: CaseEvent, case: Case, told: set[int]) -> None:
    """Support managers: the escalation to review, SLA warnings and breaches (by e-mail). A manager
    already told as an agent of this event is not mailed twice."""
    if event.type == Type.ESCALATION_REQUESTED:
        kind, extra = "escalation_review", {}
    elif event.type in (Type.SLA_WARNING, Type.SLA_BREACHED):
        kind, extra = (
            ("sla_warning" if event.type == Type.SLA_WARNING else "sla_breached"),
            _sla_context(event),
        )
    else:
        return
    outbox_emails_write(
        (
            _staff_email(
                f"case_event:{event.pk}:{kind}:email:{user.pk}", kind, user, case, event, event.note, extra
            )
            for user in support_managers()
            if user.pk not in told and user.pk != event.actor_id
        ),
        now=event.created_at,
    )


# --- digests --------------------------------------------------------------------------------------


def digest_window_end(*, now: datetime, minutes: int) -> datetime:
    """The end of the last complete ``minutes``-long window at ``now`` (windows start at multiples of
    ``minutes`` since the Unix epoch, UTC: 10:00, 10:15, … for 15)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    size = timedelta(minutes=max(minutes, 1))
    return epoch + ((now - epoch) // size) * size


def _digest_item(notice: AgentNotice, language: str, time_zone: str) -> dict[str, Any]:
    case, event = notice.case, notice.event
    extra: dict[str, Any] = {}
    if notice.kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
        extra = _sla_context(event)
    elif notice.kind == Kind.CUSTOMER_ATTACHMENT:
        extra = {"filename": event.data.get("filename", "")}
    context = _staff_context(case, event, notice.excerpt, extra, language)
    context["actor"] = str(notice.actor) if notice.actor else ""
    return {
        "case_number": case.number,
        "case_subject": case.subject,
        "case_url": context["case_url"],
        "at": notice.created_at.isoformat(),
        "headline": render_headline(
            kind=f"agent_{notice.kind}", language=language, context=context, time_zone=time_zone
        ),
        "message": notice.excerpt,
    }


@transaction.atomic
def agent_notice_digests_write(*, now: datetime | None = None) -> int:
    """The digest sweep (beat): for each analyst who takes digests, the notices waiting from their
    last complete window (``digest_window_end``: every ``digest_minutes``) become one e-mail, keyed by
    analyst and window, so a second run in the same window writes nothing. Notices read meanwhile are
    left out; notices from a window whose digest is already written wait for the next one. Concurrent
    runs skip each other's rows. Answers the number of digests written."""
    now = now or timezone.now()
    pending = list(
        AgentNotice.objects.select_for_update(skip_locked=True, of=("self",))
        # No window ends later than the shortest one's (the others are multiples of it).
        .filter(
            email_digest_pending=True,
            created_at__lt=digest_window_end(now=now, minutes=min(AnalystProfile.DigestMinutes.values)),
        )
        .select_related("recipient__analyst_profile", "case__company", "event", "actor")
        .order_by("created_at", "pk")[:DIGEST_BATCH]
    )
    by_recipient: dict[int, list[AgentNotice]] = defaultdict(list)
    for notice in pending:
        by_recipient[notice.recipient_id].append(notice)
    written = 0
    for notices in by_recipient.values():
        recipient = notices[0].recipient
        profile = staff_profile(recipient)
        window_end = digest_window_end(
            now=now, minutes=profile.digest_minutes if profile else AnalystProfile.DigestMinutes.THIRTY
        )
        due = [notice for notice in notices if notice.created_at < window_end]
        if not due:
            continue
        unread = [notice for notice in due if notice.read_at is None]
        if unread and recipient.email and recipient.is_active and recipient.is_staff:
            language, time_zone = staff_locale(recipient)
            email = OutboxEmail(
                key=f"agent_digest:{recipient.pk}:{window_end:%Y%m%dT%H%M}",
                kind="agent_digest",
                recipient=recipient,
                language=language,
                time_zone=time_zone,
                context={
                    "count": len(unread),
                    "items": [_digest_item(notice, language, time_zone) for notice in unread],
                },
            )
            if not outbox_emails_write([email], now=now):
                continue  # this window's digest is out already: these wait for the next window
            written += 1
        AgentNotice.objects.filter(pk__in=[notice.pk for notice in due]).update(email_digest_pending=False)
    return written
