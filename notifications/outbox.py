"""The outbox's small API for the domains: write messages in the caller's transaction, once per key.

A domain decides who hears about what (``cases/notices/``, ``accounts/notices.py``,
``status/notices.py``) and hands the outbox finished messages: a key, a kind (a text in
``notifications/messages.py``), a recipient with their language and time zone, and the context the
text reads. The outbox stores them, delivers them after commit (``notifications.delivery``, through
the tasks) and knows nothing of what they are about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

from core.precompiled import PrecompiledQuery
from core.publish import publish_after_commit
from notifications.models import Notification, WebhookEndpoint
from notifications.tasks import notifications_deliver_many_task
from notifications.webhooks import webhook_message_id_new


@dataclass(frozen=True)
class OutboxEmail:
    """One e-mail to one person. ``key`` identifies the cause: the same key is written once, however
    often the cause is processed. ``case_id``: the case the e-mail is about (its thread and, for
    customers, its reply address)."""

    key: str
    kind: str
    recipient: AbstractUser
    language: str
    time_zone: str
    context: dict[str, Any] = field(default_factory=dict)
    case_id: int | None = None


def outbox_publish(ids: list[int]) -> None:
    """After commit, one message asks a worker to deliver these rows (the sweep delivers them if that
    message is lost); the worker splits a long list into chunks."""
    if ids:
        publish_after_commit(notifications_deliver_many_task, ids)


def outbox_write(rows: Iterable[Notification]) -> list[Notification]:
    """Insert rows, skipping ones whose idempotency key exists; after commit, one message asks a
    worker to deliver them (the sweep delivers them if that message is lost). Answers the rows
    written now."""
    created = _rows_insert_new(list(rows))
    outbox_publish([row.pk for row in created])
    return created


def _rows_insert_new(rows: list[Notification]) -> list[Notification]:
    """One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for the rows (one per batch the backend's
    parameter limit allows): a row whose idempotency key (or message id) is taken, by an earlier run
    or an earlier row of the same list, is skipped, and the transaction goes on. Answers the rows
    inserted, in the given order, with their ids."""
    if not rows:
        return []
    meta = Notification._meta
    using = router.db_for_write(Notification)
    connection = connections[using]
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    objs: list[Model] = list(rows)
    batch = max(connection.ops.bulk_batch_size(fields, objs), 1)  # the backend's limit on parameters
    ids_by_message_id: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            query = InsertQuery(Notification, on_conflict=OnConflict.IGNORE)
            query.insert_values(fields, objs[start : start + batch])
            compiler = query.get_compiler(using=using)
            compiler.returning_fields = [meta.pk, meta.get_field("message_id")]
            for statement, params in compiler.as_sql():
                cursor.execute(statement, params)
            ids_by_message_id.update((message_id, pk) for pk, message_id in cursor.fetchall())
    created = []
    for row in rows:
        pk = ids_by_message_id.get(row.message_id)
        if pk is None:  # same key: this message was already written by an earlier run
            continue
        row.pk = pk
        row._state.adding, row._state.db = False, using
        created.append(row)
    return created


def outbox_email_row(email: OutboxEmail, *, now: datetime) -> Notification:
    """The outbox row of ``email`` (not saved)."""
    return Notification(
        idempotency_key=email.key,
        kind=email.kind,
        channel=Notification.Channel.EMAIL,
        recipient_id=email.recipient.pk,
        to_address=email.recipient.email,
        case_id=email.case_id,
        language=email.language,
        time_zone=email.time_zone,
        context={**email.context, "name": str(email.recipient)},
        next_attempt_at=now,
        created_at=now,
    )


def outbox_emails_write(emails: Iterable[OutboxEmail], *, now: datetime) -> list[Notification]:
    """Write e-mails (those to people without an address are dropped); answers the rows written now."""
    return outbox_write(outbox_email_row(email, now=now) for email in emails if email.recipient.email)


def outbox_address_email_write(
    *,
    key: str,
    kind: str,
    address: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    recipient: AbstractUser | None = None,
) -> list[Notification]:
    """An e-mail to ``address``, which may belong to nobody we know (an automatic answer to inbound
    mail); answers the rows written now."""
    name = str(recipient) if recipient is not None else ""
    return outbox_write(
        [
            Notification(
                idempotency_key=f"{key}:{kind}:email",
                kind=kind,
                channel=Notification.Channel.EMAIL,
                recipient_id=recipient.pk if recipient is not None else None,
                to_address=address,
                language=language,
                context={**context, "name": name},
                next_attempt_at=now,
                created_at=now,
            )
        ]
    )


# --- webhooks -------------------------------------------------------------------------------------

ACTIVE_WEBHOOKS = PrecompiledQuery("active webhooks of a company", max_entries=1)  # every event asks


def _active_webhooks(company_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company_id=company_id, is_active=True)


def webhooks_active_by_company() -> dict[int, list[WebhookEndpoint]]:
    """Every active endpoint, by company (the endpoint table is small): for a batch of events."""
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        endpoints.setdefault(endpoint.company_id, []).append(endpoint)
    return endpoints


def outbox_webhook_rows(
    *,
    key: str,
    company_id: int,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[Notification]:
    """The webhook rows (not saved) of one event: one per active endpoint of the company subscribed
    to ``event_type`` (``endpoints``: the company's, when the caller has read them)."""
    if endpoints is None:
        endpoints = ACTIVE_WEBHOOKS.fetch(key="company", build=_active_webhooks, company_id=company_id)
    return [
        outbox_webhook_row(
            endpoint,
            key=f"{key}:webhook:{endpoint.pk}",
            event_type=event_type,
            payload=payload,
            now=now,
            case_id=case_id,
        )
        for endpoint in endpoints
        if not endpoint.event_types or event_type in endpoint.event_types
    ]


def outbox_webhook_row(
    endpoint: WebhookEndpoint,
    *,
    key: str,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
) -> Notification:
    """The row (not saved) of one delivery of ``payload`` to ``endpoint``, keyed by ``key``."""
    return Notification(
        idempotency_key=key,
        message_id=webhook_message_id_new(),
        kind=event_type,
        channel=Notification.Channel.WEBHOOK,
        webhook=endpoint,
        to_address=endpoint.url,
        case_id=case_id,
        context=payload,
        next_attempt_at=now,
        created_at=now,
    )


# --- staff ----------------------------------------------------------------------------------------


@transaction.atomic
def notification_retry(*, notification: Notification, now: datetime | None = None) -> None:
    """Staff: give a failed row another round of attempts."""
    now = now or timezone.now()
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
    )
    outbox_publish([notification.pk])
