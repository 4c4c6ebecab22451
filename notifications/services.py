"""Notifications: outbox rows written with their cause, delivered by a worker after commit.

Callers (case events, authorisation requests, status changes, password resets) write rows here
inside their own transaction. After commit one message asks a worker to deliver them (best effort:
when the broker is down, the sweep on beat delivers them instead). Delivery claims rows in
batches under a lease and sends outside any transaction; see "delivery" below for the guarantees.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import select
import smtplib
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, NullIf, Substr, Trim
from django.utils import timezone
from psycopg import pq

from accounts.models import AuthorizationRequest, Company, User
from accounts.selectors import company_managers
from cases.models import Case, CaseEvent, CaseFollower, CaseStatus, Comment
from cases.selectors import case_follower_entitled, case_followers_to_notify
from core.bulk import JSONBool, RandomToken, insert_from_select
from core.precompiled import PrecompiledQuery
from core.publish import publish_after_commit
from notifications import webhooks
from notifications.messages import AUTO_REPLY_KINDS, DECISIONS, REQUEST_KINDS, TEMPLATE_FIELDS, in_language
from notifications.models import AuthorizationReplyAddress, Notification, SatisfactionSurvey, WebhookEndpoint
from notifications.outbox import case_thread_id, outbox_write
from notifications.rendering import render_email
from notifications.webhook_events import case_event_payload

logger = logging.getLogger(__name__)

# One sweep run stops claiming new batches after this long (well inside the task's soft time limit).
SWEEP_TIME_BUDGET_SECONDS = 120
MARK_SENT_RETRY_SECONDS = 0.5


class DeliveryError(Exception):
    """A delivery attempt failed; the row backs off (or is failed after the last attempt)."""


# --- recipients and context -----------------------------------------------------------------------


def _contacts_of(case: Case) -> list[User]:
    """Who a case is about on the customer side: its opener and, for partners, the client contact
    it was opened for."""
    return [case.opened_by] + ([case.on_behalf_of] if case.on_behalf_of else [])


def _customers_of(case: Case, *, with_followers: bool = True) -> list[User]:
    """The people entitled to follow the case from the customer side: its opener and contact, and
    the followers still entitled to it (one query; ``with_followers=False`` for a case being opened,
    which nobody can follow yet), each once. Never anyone of another company."""
    people = _contacts_of(case) + (case_followers_to_notify(case=case) if with_followers else [])
    return [person for person in dict.fromkeys(people) if person.is_active and not person.is_staff]


def _language(user: User, company: Company | None) -> str:
    return user.language or (company.language if company else "") or "en"


def _instant(at: datetime | None) -> str:
    """An instant in a notice's context: ISO 8601 (JSON), shown in the reader's language and time
    zone when the e-mail is rendered (``notifications.formatting.local_datetime``)."""
    return at.isoformat() if at is not None else ""


# The case's own part of every notice's context: key → the case field it shows. Read from the objects
# for one event (_case_context), selected in SQL for a batch of events (_event_context_sql).
_CASE_FIELDS = {"case_id": "id", "case_number": "number", "case_subject": "subject", "priority": "priority"}


def _case_url_prefix() -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/cases/"


def _case_context(case: Case, event: CaseEvent | None = None) -> dict[str, Any]:
    return {
        **{key: getattr(case, field) for key, field in _CASE_FIELDS.items()},
        "company": case.company.name,
        "case_url": f"{_case_url_prefix()}{case.pk}/",
        "message": event.note if event else "",
    }


def _event_context_sql() -> dict[str, Any]:
    """``_case_context(event.case, event)`` as SQL expressions over a CaseEvent queryset."""
    return {
        **{key: F(f"case__{field}") for key, field in _CASE_FIELDS.items()},
        "company": F("case__company__name"),
        "case_url": Concat(Value(_case_url_prefix()), F("case_id"), Value("/"), output_field=CharField()),
        "message": F("note"),
    }


# --- writing outbox rows --------------------------------------------------------------------------


def _queue(rows: Iterable[Notification]) -> list[Notification]:
    return outbox_write(rows)


def _email(
    *,
    key: str,
    kind: str,
    recipient: User,
    company: Company | None,
    case: Case | None,
    context: dict[str, Any],
    now: datetime,
) -> Notification:
    return Notification(
        idempotency_key=f"{key}:{kind}:email:{recipient.pk}",
        kind=kind,
        channel=Notification.Channel.EMAIL,
        recipient=recipient,
        to_address=recipient.email,
        case=case,
        language=_language(recipient, company) if not recipient.is_staff else (recipient.language or "en"),
        # Customers read dates in their company's zone; staff notices about cases are written by
        # cases/notices.py with the analyst's own.
        time_zone=company.time_zone if company is not None and not recipient.is_staff else "UTC",
        context={**context, "name": str(recipient)},
        next_attempt_at=now,
        created_at=now,
    )


_CUSTOMER_KINDS_BY_STATUS = {
    CaseStatus.PENDING_CUSTOMER: "pending_customer",
    CaseStatus.VERIFY_RESOLUTION: "verify_resolution",
}


# What the notices read of a case beside its own columns. Services that lock a case before writing
# an event load these with it, so the notices need not read the case again.
NOTICE_RELATED = ("company", "opened_by", "on_behalf_of", "assignee")


def case_for_notices(event: CaseEvent, case: Case | None) -> Case:
    """The caller's case when it holds every relation the notices read, else the case read anew."""
    if case is not None and case.pk == event.case_id:
        fields = [Case._meta.get_field(name) for name in NOTICE_RELATED]
        if all(field.is_cached(case) or getattr(case, field.attname) is None for field in fields):  # type: ignore[union-attr]
            return case
    return Case.objects.select_related(*NOTICE_RELATED).get(pk=event.case_id)


def notifications_for_case_event(*, event: CaseEvent, case: Case | None = None) -> list[Notification]:
    """Write the outbox rows a case event calls for on the customer side (e-mails to the opener,
    contact and followers; webhooks), in the caller's transaction. Staff notices are
    ``cases.notices``'s. ``case``: the event's case as the caller holds it (current within the
    transaction), if it has it.

    One e-mail per recipient per thing that happened: a comment written as part of another move
    (a transition's message, an escalation request: ``data["within"]``) is told by that move's own
    notice, which carries its text."""
    case = case_for_notices(event, case)
    now = event.created_at
    key = f"case_event:{event.pk}"
    context = _case_context(case, event)
    Type = CaseEvent.Type
    rows: list[Notification] = []

    # Read when an event mails the customer side, not for internal notes, SLA notices or the
    # customer's own comments; a case being opened has no followers yet.
    @functools.cache
    def customers() -> list[User]:
        return _customers_of(case, with_followers=event.type != Type.CREATED)

    def to_customers(kind: str, people: list[User] | None = None, **extra: Any) -> None:
        rows.extend(
            _email(
                key=key,
                kind=kind,
                recipient=u,
                company=case.company,
                case=case,
                context={**context, **extra},
                now=now,
            )
            for u in (customers() if people is None else people)
            if u.email
        )

    if event.type == Type.CREATED:
        from sla.models import Metric, SlaTimer

        due = (
            SlaTimer.objects.filter(case=case, metric=Metric.FIRST_RESPONSE)
            .values_list("due_at", flat=True)
            .first()
        )
        first_response_due = _instant(due)
        missing = event.data.get("missing_fields") or []  # a case opened by e-mail: ask for them
        for user in customers() if missing else []:
            language = _language(user, case.company)
            labels = [in_language(TEMPLATE_FIELDS[name], language) for name in missing]
            to_customers("case_created", [user], first_response_due=first_response_due, missing_fields=labels)
        if not missing:
            to_customers("case_created", first_response_due=first_response_due)
    elif (
        event.type == Type.COMMENTED
        and not event.is_internal
        and not event.data.get("within")
        and event.actor is not None
        and event.actor.is_staff
    ):
        body = Comment.objects.filter(pk=event.data.get("comment_id")).values_list("body", flat=True).first()
        to_customers("support_reply", message=body or "")
    elif event.type == Type.TRANSITION and event.to_status in _CUSTOMER_KINDS_BY_STATUS:
        to_customers(
            _CUSTOMER_KINDS_BY_STATUS[CaseStatus(event.to_status)],
            auto_close_date=_instant(case.auto_close_at),
            message=event.note,
        )
    elif event.type == Type.AUTO_CLOSE_REMINDER:
        to_customers("auto_close_reminder", auto_close_date=_instant(case.auto_close_at))
    elif event.to_status == CaseStatus.CLOSED:
        survey_url = _survey_for(case, now) if case.opened_by in customers() else ""
        automatic = event.type == Type.AUTO_CLOSED
        contacts = [u for u in customers() if u in _contacts_of(case)]
        to_customers("case_closed", contacts, automatic=automatic, survey_url=survey_url)
        # The survey asks the opener, and an answer replaces the last one: followers get no link.
        followers = [u for u in customers() if u not in contacts]
        to_customers("case_closed", followers, automatic=automatic, survey_url="")
    elif event.type == Type.REOPENED:
        to_customers("reopened")
    elif event.type == Type.ESCALATION_REQUESTED:
        to_customers("escalation_requested")
    elif event.type in (Type.ESCALATION_ACCEPTED, Type.ESCALATION_DECLINED):
        outcome = "accepted" if event.type == Type.ESCALATION_ACCEPTED else "declined"
        for user in customers():
            if user.email:
                decision = in_language(DECISIONS[outcome], _language(user, case.company))
                rows.append(
                    _email(
                        key=key,
                        kind="escalation_decided",
                        recipient=user,
                        company=case.company,
                        case=case,
                        context={**context, "decision": decision},
                        now=now,
                    )
                )
    if not event.is_internal:
        rows.extend(_webhook_rows(case, event, key, now))
    return _queue(rows)


# A delivery message names at most this many rows: a bulk job's rows are shared among the workers
# in chunks, each sent over one SMTP connection.
DELIVERY_CHUNK = 100


# The survey page (notifications/views.py); the e-mail adds ?rating=good or ?rating=bad to it.
_SURVEY_PATH = ("/surveys/", "/")


def _survey_url(survey: SatisfactionSurvey) -> str:
    return f"{settings.PUBLIC_BASE_URL}{_SURVEY_PATH[0]}{survey.token}{_SURVEY_PATH[1]}"


def _is_customer(user: str) -> dict[str, Any]:
    """``_customers_of``'s test of one person, as filters on the path ``user``."""
    return {f"{user}__is_active": True, f"{user}__is_staff": False}


def _customer_email_sql(user: str, *, kind: str, context: dict[str, Any], at: datetime) -> dict[str, Any]:
    """``_email(...)`` to a customer as SQL expressions over a CaseEvent queryset (``user``: the path
    from the event to the recipient). Same key, language and context as the one-event path."""
    name = Trim(Concat(F(f"{user}__first_name"), Value(" "), F(f"{user}__last_name")))
    return {
        "idempotency_key": Concat(
            Value("case_event:"),
            F("id"),
            Value(f":{kind}:email:"),
            F(f"{user}__id"),
            output_field=CharField(),
        ),
        "kind": kind,
        "channel": Notification.Channel.EMAIL,
        "recipient": F(user),
        "to_address": F(f"{user}__email"),
        "case": F("case"),
        "language": Coalesce(
            NullIf(F(f"{user}__language"), Value("")),
            NullIf(F("case__company__language"), Value("")),
            Value("en"),
        ),
        "time_zone": F("case__company__time_zone"),
        "context": JSONObject(**context, name=Coalesce(NullIf(name, Value("")), F(f"{user}__username"))),
        # Same shape as new_message_id(): 32 random hex digits (a longer id gets its header folded).
        "message_id": Concat(
            Value("<"),
            Substr(RandomToken(), 1, 32),
            Value(f".outbox@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"),
            output_field=CharField(),
        ),
        "next_attempt_at": at,
        "created_at": at,
    }


def notifications_for_auto_closed(*, case_ids: list[int], at: datetime) -> list[int]:
    """The notices of an auto-close batch (the AUTO_CLOSED events written ``at``), written by the
    database in a few INSERT … SELECT: the opener's satisfaction survey, the "closed" e-mail to
    opener, contact and entitled followers, and the webhooks, with one delivery message for the
    batch. Same rows, keys and texts as
    ``notifications_for_case_event`` writes for one event (tested side by side)."""
    if not case_ids:
        return []
    insert_from_select(
        SatisfactionSurvey,
        Case.objects.filter(pk__any_of=case_ids, **_is_customer("opened_by")),
        {"case": F("pk"), "respondent": F("opened_by"), "token": RandomToken(), "created_at": at},
    )
    events = CaseEvent.objects.filter(
        case_id__any_of=case_ids, type=CaseEvent.Type.AUTO_CLOSED, created_at=at
    )
    survey_url = Subquery(
        SatisfactionSurvey.objects.filter(case=OuterRef("case_id"), created_at=at).values(
            url=Concat(Value(settings.PUBLIC_BASE_URL + _SURVEY_PATH[0]), F("token"), Value(_SURVEY_PATH[1]))
        )[:1]
    )
    closed = {**_event_context_sql(), "automatic": JSONBool(True)}
    with_survey = {**closed, "survey_url": Coalesce(survey_url, Value(""))}
    to_opener = events.filter(**_is_customer("case__opened_by")).exclude(case__opened_by__email="")
    to_contact = (
        events.filter(**_is_customer("case__on_behalf_of"))
        .exclude(case__on_behalf_of__email="")
        .exclude(case__on_behalf_of=F("case__opened_by"))
    )
    # The survey asks the opener, and an answer replaces the last one: followers get no link.
    followers = CaseFollower.objects.filter(case_follower_entitled(), case_id__any_of=case_ids).exclude(
        user__email=""
    )
    to_followers = events.filter(case__followers__in=followers.values("pk"))
    groups = [(to_opener, "case__opened_by", with_survey)]
    # Skip the statements a batch has no rows for: each check costs ~1 ms, an empty INSERT … SELECT ~8.
    if Case.objects.filter(pk__any_of=case_ids, on_behalf_of__isnull=False).exists():
        groups.append((to_contact, "case__on_behalf_of", with_survey))
    if CaseFollower.objects.filter(case_id__any_of=case_ids).exists():
        # Typed: with server-side binding PostgreSQL cannot infer a bare string parameter's type here.
        no_survey = Cast(Value(""), output_field=CharField())
        groups.append((to_followers, "case__followers__user", {**closed, "survey_url": no_survey}))
    ids: list[int] = []
    for recipients, user, context in groups:
        ids += insert_from_select(
            Notification, recipients, _customer_email_sql(user, kind="case_closed", context=context, at=at)
        )
    ids += _webhook_rows_for_batch(events)
    from notifications.tasks import notifications_deliver_many_task

    if ids:  # one message for the batch: the worker splits it into chunks
        publish_after_commit(notifications_deliver_many_task, ids)
    return ids


def _webhook_rows_for_batch(events: QuerySet[CaseEvent]) -> list[int]:
    """The webhook rows of a batch of events, built one by one but only for the companies that
    have endpoints (few, and the endpoint table is small): the common batch costs one query here."""
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        endpoints.setdefault(endpoint.company_id, []).append(endpoint)
    if not endpoints:
        return []
    rows: list[Notification] = []
    for event in events.filter(case__company_id__in=endpoints).select_related("case"):
        rows += _webhook_rows(
            event.case, event, f"case_event:{event.pk}", event.created_at, endpoints[event.case.company_id]
        )
    return [row.pk for row in Notification.objects.bulk_create(rows)]


def _survey_for(case: Case, now: datetime) -> str:
    survey, _ = SatisfactionSurvey.objects.get_or_create(
        case=case, created_at=now, defaults={"respondent": case.opened_by}
    )
    return _survey_url(survey)


ACTIVE_WEBHOOKS = PrecompiledQuery("active webhooks of a company", max_entries=1)  # every event asks


def _active_webhooks(company_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company_id=company_id, is_active=True)


def _webhook_rows(
    case: Case, event: CaseEvent, key: str, now: datetime, endpoints: list[WebhookEndpoint] | None = None
) -> list[Notification]:
    if endpoints is None:
        endpoints = ACTIVE_WEBHOOKS.fetch(key="company", build=_active_webhooks, company_id=case.company_id)
    payload = dict(case_event_payload(case=case, event=event))
    return [
        Notification(
            idempotency_key=f"{key}:webhook:{endpoint.pk}",
            message_id=webhooks.webhook_message_id_new(),
            kind=event.type,
            channel=Notification.Channel.WEBHOOK,
            webhook=endpoint,
            to_address=endpoint.url,
            case=case,
            context=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
        if not endpoint.event_types or event.type in endpoint.event_types
    ]


def notifications_for_authorization_request(
    *, request: AuthorizationRequest, now: datetime
) -> list[Notification]:
    """Raised: confirm to the asker, ask the company's managers. Decided: tell the asker and the subject."""
    company = request.company
    decided = request.status != AuthorizationRequest.Status.PENDING
    key = f"authorization_request:{request.pk}:{request.status}"
    rows = []
    managers = [] if decided else company_managers(company=company)
    people: list[tuple[User | None, bool]] = [(manager, True) for manager in managers]
    # A manager who asked gets the manager's notice (with the reply address), not a second one.
    people += [(user, False) for user in (request.requested_by, request.subject_user if decided else None)]
    seen: set[int] = set()
    for user, for_manager in people:
        if user is None or user.pk in seen or not user.email:
            continue
        seen.add(user.pk)
        if for_manager:
            _authorization_reply_address(request=request, manager=user, now=now)
        language = _language(user, company)
        context = {
            "request_id": request.pk,
            "request_kind": in_language(REQUEST_KINDS[request.kind], language),
            "subject_user": str(request.subject_user),
            "company": company.name,
            "for_manager": for_manager,
            "decision": in_language(DECISIONS[request.status], language)
            if request.status in DECISIONS
            else request.status,
        }
        kind = "authorization_request_decided" if decided else "authorization_request_raised"
        rows.append(
            _email(key=key, kind=kind, recipient=user, company=company, case=None, context=context, now=now)
        )
    return _queue(rows)


def _authorization_reply_address(
    *, request: AuthorizationRequest, manager: User, now: datetime
) -> AuthorizationReplyAddress:
    """The manager's own unguessable address for answering ``request`` by e-mail (one per manager)."""
    address, _ = AuthorizationReplyAddress.objects.get_or_create(
        request=request, manager=manager, defaults={"created_at": now, "expires_at": request.expires_at}
    )
    return address


def notifications_for_status_change(
    *, key: str, kind: str, users: list[User], context: dict[str, Any], now: datetime
) -> list[Notification]:
    """Tell subscribers about a maintenance window or an incident update, each in their language."""
    rows = []
    for user in users:
        membership_company = getattr(getattr(user, "membership", None), "company", None)
        rows.append(
            _email(
                key=key,
                kind=kind,
                recipient=user,
                company=membership_company,
                case=None,
                context=context,
                now=now,
            )
        )
    return _queue(rows)


def notifications_for_inbound_answer(
    *,
    key: str,
    kind: str,
    address: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    recipient: User | None = None,
) -> list[Notification]:
    """The automatic answer to an inbound message that opened nothing (``AUTO_REPLY_KINDS``), to
    ``address``, which may belong to nobody we know; the caller decides whether it is due."""
    name = str(recipient) if recipient is not None else ""
    return _queue(
        [
            Notification(
                idempotency_key=f"{key}:{kind}:email",
                kind=kind,
                channel=Notification.Channel.EMAIL,
                recipient=recipient,
                to_address=address,
                language=language,
                context={**context, "name": name},
                next_attempt_at=now,
                created_at=now,
            )
        ]
    )


def notifications_for_password_reset(*, user: User, key: str, now: datetime) -> list[Notification]:
    """The authorised password reset's e-mail, in the caller's transaction. The row holds no token:
    the link is made when the e-mail is sent (``_password_reset_link``)."""
    if not user.email:
        return []
    company = getattr(getattr(user, "membership", None), "company", None)
    return _queue(
        [
            _email(
                key=key,
                kind="password_reset",
                recipient=user,
                company=company,
                case=None,
                context={},
                now=now,
            )
        ]
    )


# --- delivery -------------------------------------------------------------------------------------
#
# Guarantee: at least once. Each worker claims a batch of due rows in one short transaction
# (SELECT … FOR UPDATE SKIP LOCKED, so two workers never claim the same row) and leases them until
# ``next_attempt_at`` (now + NOTIFICATION_LEASE). It then sends them outside any transaction and
# marks each row sent as soon as the server accepted it. A worker killed between the SMTP server's
# "250 OK" and that mark leaves exactly that row to be sent again when its lease ends: the resend
# carries the same Message-ID. A row of a worker that died before sending is sent once, after the
# lease. One retry policy, the row's: a failed attempt waits a doubling backoff (capped) and is
# failed after NOTIFICATION_MAX_ATTEMPTS attempts; the Celery tasks only trigger delivery.


def _due(now: datetime) -> Q:
    """Pending and due, or sending with a lease that has ended (its worker died or stalled)."""
    return Q(status__in=(Notification.Status.PENDING, Notification.Status.SENDING), next_attempt_at__lte=now)


def _claim_batch(*, now: datetime, limit: int, ids: list[int] | None = None) -> list[Notification]:
    """Take up to ``limit`` due rows (only ``ids``, when given) for this worker, leased until
    now + NOTIFICATION_LEASE; rows another worker holds are skipped, not waited for."""
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True, of=("self",)).filter(_due(now))
        if ids is not None:
            due = due.filter(pk__any_of=ids)
        rows = list(due.select_related("webhook", "case", "recipient").order_by("next_attempt_at")[:limit])
        if not rows:
            return []
        lease_end = now + settings.NOTIFICATION_LEASE
        Notification.objects.filter(pk__any_of=[row.pk for row in rows]).update(
            status=Notification.Status.SENDING,
            claimed_at=now,
            next_attempt_at=lease_end,
            attempts=F("attempts") + 1,
        )
    for row in rows:
        row.status, row.claimed_at, row.next_attempt_at = Notification.Status.SENDING, now, lease_end
        row.attempts += 1
    return rows


class Undeliverable(Exception):
    """The row can never be sent (its recipient is gone): failed at once, not retried."""


def _password_reset_link(user: User | None) -> dict[str, str]:
    """The reset token, made when the e-mail is sent and never stored: a row in the outbox (or a
    backup of it) holds no credential. Django's token is valid until the password (or last login)
    changes or PASSWORD_RESET_TIMEOUT passes, so a resend carries a different but equally valid one."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if user is None or not user.is_active:
        raise Undeliverable("the account is no longer active")
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "confirm_url": f"{settings.PUBLIC_BASE_URL}/api/v1/auth/password-reset/confirm/",
    }


def _for_manager(notification: Notification) -> bool:
    return notification.kind == "authorization_request_raised" and bool(
        notification.context.get("for_manager")
    )


def _authorization_reply_tokens(rows: Iterable[Notification]) -> dict[tuple[int, int], str]:
    """The reply addresses' tokens of the authorisation e-mails among ``rows``, by (request, manager):
    one query for a batch."""
    wanted = {(row.context.get("request_id"), row.recipient_id) for row in rows if _for_manager(row)}
    if not wanted:
        return {}
    addresses = AuthorizationReplyAddress.objects.filter(
        request_id__in={request for request, _ in wanted}, manager_id__in={manager for _, manager in wanted}
    ).values_list("request_id", "manager_id", "token")
    return {(request, manager): token for request, manager, token in addresses}


class _OutboxMessage(EmailMultiAlternatives):
    """An outbox e-mail whose MIME boundary is chosen up front: 128 random bits, which no text can
    hold by chance or by design. Left to the standard library, each message compiles a regular
    expression to search its texts for a boundary made from a non-cryptographic random number: a
    tenth of the worker's CPU per e-mail."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        mime = super().message(*args, **kwargs)
        if mime.is_multipart():
            mime.set_boundary(f"=={secrets.token_hex(16)}==")
        return mime


def _email_message(
    notification: Notification, *, reply_tokens: dict[tuple[int, int], str] | None = None
) -> EmailMultiAlternatives:
    """The e-mail of an outbox row. A case's e-mails answer the case's thread id (``In-Reply-To``,
    ``References``: one conversation in the reader's mail client); customers get the case's reply
    address, staff none (they answer in the admin, and mail from staff is refused).
    ``reply_tokens``: ``_authorization_reply_tokens`` of the batch (read here when not given)."""
    context = notification.context
    if notification.kind == "password_reset":
        context = {**context, **_password_reset_link(notification.recipient)}
    staff = notification.recipient is not None and notification.recipient.is_staff
    rendered = render_email(
        kind=notification.kind,
        language=notification.language,
        context=context,
        time_zone=notification.time_zone,
        staff=staff,
    )
    headers = {"Message-ID": notification.message_id}
    if notification.case is not None:
        thread = case_thread_id(notification.case)
        headers.update({"In-Reply-To": thread, "References": thread})
    if notification.kind in AUTO_REPLY_KINDS:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: autoresponders do not answer it
    message = _OutboxMessage(
        subject=rendered.subject,
        body=rendered.text,
        to=[notification.to_address],
        headers=headers,
    )
    if notification.case is not None and not staff:
        message.reply_to = [f"case+{notification.case.reply_token}@{settings.INBOUND_EMAIL_DOMAIN}"]
    elif _for_manager(notification):
        # Each manager answers at an address issued to them alone; the asker gets none.
        if reply_tokens is None:
            reply_tokens = _authorization_reply_tokens([notification])
        token = reply_tokens.get((notification.context.get("request_id"), notification.recipient_id))  # type: ignore[arg-type]
        if token:
            message.reply_to = [f"authorization+{token}@{settings.INBOUND_EMAIL_DOMAIN}"]
    message.attach_alternative(rendered.html, "text/html")
    return message


def _send_email(notification: Notification) -> None:
    _email_message(notification).send(fail_silently=False)


def _send_webhook(notification: Notification) -> None:
    """POST the signed event (notifications/webhooks.py) to the endpoint as it is now: read again, so
    a deletion, a deactivation or a rotation since the row was claimed counts, and its URL checked
    again (its host may resolve elsewhere than at registration): a refused URL raises OutboundRefused
    before any connection, a redirect is a failure like any other non-2xx answer."""
    endpoint = (
        WebhookEndpoint.objects.filter(pk=notification.webhook_id).first()
        if notification.webhook_id is not None
        else None
    )
    if endpoint is None:
        raise Undeliverable("the webhook endpoint was deleted")
    if not endpoint.is_active:
        raise Undeliverable("the webhook endpoint is disabled")
    status = webhooks.webhook_post(endpoint=endpoint, notification=notification, now=timezone.now())
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status}: redirect refused (webhooks are never redirected)")
    if status >= 300:
        raise DeliveryError(f"HTTP {status}")


_MARK_SENT_SQL = (
    f"UPDATE {Notification._meta.db_table} SET status = %s, sent_at = %s, last_error = '', claimed_at = NULL"
    " WHERE id = %s"
)


def _mark_sent(notification: Notification, *, at: datetime | None = None) -> None:
    """Mark one row sent, waiting for the database. The e-mail is out: if the database is briefly
    unreachable, keep trying while the row's lease has a quarter left, so a short outage does not
    turn into a resend."""
    give_up_at = notification.next_attempt_at - settings.NOTIFICATION_LEASE / 4
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    _MARK_SENT_SQL, [Notification.Status.SENT, at or timezone.now(), notification.pk]
                )
            return
        except (OperationalError, InterfaceError):
            if timezone.now() >= give_up_at:
                raise
            connection.close()  # a broken connection: the next try connects afresh
            time.sleep(MARK_SENT_RETRY_SECONDS)


class _SentMarks:
    """Marks each row sent as soon as the SMTP server accepted it, without waiting for the database
    between e-mails. Each row's UPDATE goes to PostgreSQL at once, where it commits on its own (or
    joins the caller's transaction, if there is one); its answer is read before the connection is
    used for anything else, normally one SMTP exchange later, when it has long arrived. So a worker
    killed mid-batch leaves at most the row in flight (and a mark still on the wire) to be sent again,
    as with a mark per row that waits, but the worker never waits on the database per e-mail.

    psycopg's pipeline mode would batch statements into one implicit transaction until its sync,
    which would lose every mark of a killed worker; hence one statement in flight, on libpq's own
    asynchronous calls. A mark that fails is written again the waiting way (``_mark_sent``)."""

    _SQL = (_MARK_SENT_SQL % ("$1", "$2", "$3")).encode()  # libpq's placeholders

    def __init__(self) -> None:
        self._in_flight: tuple[Notification, datetime] | None = None

    def add(self, row: Notification) -> None:
        self.collect()
        at = timezone.now()
        if connection.vendor != "postgresql":
            _mark_sent(row, at=at)
            return
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        params = [Notification.Status.SENT.encode(), at.isoformat().encode(), str(row.pk).encode()]
        try:
            pgconn.send_query_params(self._SQL, params)
            while pgconn.flush():  # a non-blocking connection: wait until the statement is handed over
                select.select([], [pgconn.socket], [], 1.0)
        except Exception:
            _mark_sent(row, at=at)
            return
        self._in_flight = (row, at)

    def collect(self) -> None:
        """Read the answer of the mark in flight (before anything else uses the connection)."""
        if self._in_flight is None:
            return
        row, at = self._in_flight
        self._in_flight = None
        ok = True
        try:
            pgconn = connection.connection.pgconn
            pgconn.consume_input()
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [], 1.0)
                pgconn.consume_input()
            while (result := pgconn.get_result()) is not None:
                ok = ok and result.status == pq.ExecStatus.COMMAND_OK
        except Exception:
            ok = False
        if not ok:
            _mark_sent(row, at=at)


def _mark_failed_attempt(notification: Notification, error: BaseException, now: datetime) -> bool:
    """Back the row off after a failed attempt, or fail it for good; answers whether it is failed."""
    failed = isinstance(error, Undeliverable) or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    delay = min(
        settings.NOTIFICATION_BACKOFF * (2 ** max(notification.attempts - 1, 0)),
        settings.NOTIFICATION_BACKOFF_CAP,
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
        next_attempt_at=now + delay,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        claimed_at=None,
    )
    logger.warning("notification %s attempt %s failed: %s", notification.pk, notification.attempts, error)
    return failed


def _release(rows: list[Notification], now: datetime) -> None:
    """Hand back claimed rows this worker did not attempt (time ran out, or it is stopping)."""
    if rows:
        Notification.objects.filter(
            pk__any_of=[row.pk for row in rows], status=Notification.Status.SENDING
        ).update(
            status=Notification.Status.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now,
            claimed_at=None,
        )


# Answers about one message: the server refused its sender, a recipient or its content, and the
# session goes on (smtplib resets it), unless the server also closed it.
_MESSAGE_REFUSED = (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _session_usable(smtp: Any, error: Exception) -> bool:
    """Whether the SMTP session can carry the next e-mail after ``error`` (else a new one is opened)."""
    if not isinstance(error, (OSError, smtplib.SMTPException)):
        return True  # the message could not be made (e.g. Undeliverable): nothing was said to the server
    session = getattr(smtp, "connection", None)  # smtplib's, for Django's SMTP backend
    return isinstance(error, _MESSAGE_REFUSED) and getattr(session, "sock", None) is not None


def _deliver_batch(rows: list[Notification], now: datetime) -> dict[str, int]:
    """Send claimed rows, e-mails over one SMTP session; each row is marked as soon as its attempt
    ends. A message the server refuses fails alone, on the same session; a session that breaks is
    opened again once, and when that fails the e-mails not yet tried are handed back for the next
    run (webhooks go on). Stops at half the lease (the rest is handed back), so no row outlives its
    lease."""
    deadline = time.monotonic() + settings.NOTIFICATION_LEASE.total_seconds() / 2
    counts = {"sent": 0, "failed": 0, "retrying": 0, "released": 0}
    untried = deque(rows)
    handed_back: list[Notification] = []
    smtp: Any = None
    smtp_unreachable = False
    marks = _SentMarks()
    reply_tokens = _authorization_reply_tokens(rows)
    try:
        while untried:
            if time.monotonic() > deadline:
                handed_back.extend(untried)
                untried.clear()
                break
            row = untried.popleft()
            if row.channel == Notification.Channel.EMAIL and smtp_unreachable:
                handed_back.append(row)
                continue
            opening = False
            try:
                if row.channel == Notification.Channel.EMAIL:
                    message = _email_message(row, reply_tokens=reply_tokens)
                    if smtp is None:
                        opening = True
                        smtp = get_connection(fail_silently=False)
                        smtp.open()
                        opening = False
                    smtp.send_messages([message])
                else:
                    _send_webhook(row)
            except Exception as exc:  # SMTP, HTTP and socket errors alike: recorded on the row
                if smtp is not None and not _session_usable(smtp, exc):
                    with contextlib.suppress(Exception):
                        smtp.close()
                    smtp = None
                smtp_unreachable = opening
                marks.collect()
                counts["failed" if _mark_failed_attempt(row, exc, now) else "retrying"] += 1
                continue
            marks.add(row)
            counts["sent"] += 1
        marks.collect()
        if handed_back:
            counts["released"] = len(handed_back)
            _release(handed_back, now)
    except BaseException:
        # A soft time limit, a warm shutdown, the database gone: the rows not yet tried go back
        # (if the database answers); the one in flight keeps its lease, as it may have been sent.
        with contextlib.suppress(Exception):
            marks.collect()
            _release(handed_back + list(untried), now)
        raise
    finally:
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()
    return counts


def notifications_deliver(
    *,
    ids: list[int] | None = None,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int = 1000,
    time_budget: float = SWEEP_TIME_BUDGET_SECONDS,
) -> dict[str, int]:
    """Deliver due outbox rows (only ``ids``, when given) batch by batch until none is due, or
    ``max_batches`` or ``time_budget`` seconds are spent. Safe on any number of workers at once.
    Answers counts: claimed, sent, retrying (backed off), failed (for good), released."""
    batch_size = batch_size or settings.NOTIFICATION_BATCH_SIZE
    started = time.monotonic()
    totals = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0, "released": 0}
    for _ in range(max_batches):
        at = now or timezone.now()
        rows = _claim_batch(now=at, limit=batch_size, ids=ids)
        if not rows:
            break
        totals["claimed"] += len(rows)
        for key, value in _deliver_batch(rows, at).items():
            totals[key] += value
        if totals["released"] or time.monotonic() - started > time_budget:
            break
    return totals


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> bool:
    """Deliver one outbox row if it is due; answers whether this call sent it."""
    return notifications_deliver(ids=[notification_id], now=now, max_batches=1)["sent"] == 1


def notifications_deliver_due(
    *, now: datetime | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """The sweep on beat: whatever is due (new rows whose trigger was lost, retries, rows of a dead
    worker), bounded in time."""
    return notifications_deliver(now=now, batch_size=batch_size)


@transaction.atomic
def notification_retry(*, notification: Notification, now: datetime | None = None) -> None:
    """Staff: give a failed row another round of attempts."""
    now = now or timezone.now()
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
    )
    from notifications.tasks import notifications_deliver_many_task

    publish_after_commit(notifications_deliver_many_task, [notification.pk])


@transaction.atomic
def survey_answer(
    *, survey: SatisfactionSurvey, rating: str, comment: str = "", now: datetime | None = None
) -> SatisfactionSurvey:
    """Record the one-question answer (answering again replaces it)."""
    survey.rating, survey.comment, survey.answered_at = rating, comment, now or timezone.now()
    survey.save(update_fields=["rating", "comment", "answered_at"])
    return survey
