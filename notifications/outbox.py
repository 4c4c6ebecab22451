"""The outbox's small API for the domains: write e-mails in the caller's transaction, once per key.

A domain decides who hears about what (``cases/notices.py``) and hands the outbox finished
messages: a key, a kind (a text in ``notifications/messages.py``), a recipient with their language
and time zone, and the context the text reads. The outbox stores them, delivers them after commit
and knows nothing of what they are about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from cases.models import Case
from core.publish import publish_after_commit
from notifications.models import Notification


@dataclass(frozen=True)
class OutboxEmail:
    """One e-mail to one person. ``key`` identifies the cause: the same key is written once, however
    often the cause is processed. ``case``: the case the e-mail is about (its thread and, for
    customers, its reply address)."""

    key: str
    kind: str
    recipient: User
    language: str
    time_zone: str
    context: dict[str, Any] = field(default_factory=dict)
    case: Case | None = None


def outbox_write(rows: Iterable[Notification]) -> list[Notification]:
    """Insert rows, skipping ones whose idempotency key exists; after commit, one message asks a
    worker to deliver them (the sweep delivers them if that message is lost). Answers the rows
    written now."""
    created = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # same key: this message was already written by an earlier run
            continue
        created.append(row)
    if created:
        from notifications.tasks import notifications_deliver_many_task

        publish_after_commit(notifications_deliver_many_task, [row.pk for row in created])
    return created


def outbox_email_row(email: OutboxEmail, *, now: datetime) -> Notification:
    """The outbox row of ``email`` (not saved)."""
    return Notification(
        idempotency_key=email.key,
        kind=email.kind,
        channel=Notification.Channel.EMAIL,
        recipient=email.recipient,
        to_address=email.recipient.email,
        case=email.case,
        language=email.language,
        time_zone=email.time_zone,
        context={**email.context, "name": str(email.recipient)},
        next_attempt_at=now,
        created_at=now,
    )


def outbox_emails_write(emails: Iterable[OutboxEmail], *, now: datetime) -> list[Notification]:
    """Write e-mails (those to people without an address are dropped); answers the rows written now."""
    return outbox_write(outbox_email_row(email, now=now) for email in emails if email.recipient.email)


def case_thread_id(case: Case) -> str:
    """The Message-ID every e-mail about ``case`` answers (``In-Reply-To``/``References``), so mail
    clients show them as one conversation. Stable for the case's life; the part after the number is
    derived from the case's secret reply token, so it is unique without revealing the token."""
    digest = hashlib.sha256(f"thread:{case.reply_token}".encode()).hexdigest()[:16]
    return f"<case-{case.number or case.pk}.{digest}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"
