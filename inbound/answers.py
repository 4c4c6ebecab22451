"""Automatic answers to mail sent to the support address that opened nothing.

Someone who writes to support and gets nothing back waits for an answer that will never come, so
they get one polite e-mail saying why and how to get access. Never more than one per address per
INBOUND_AUTO_REPLY_INTERVAL (remembered in the database: ``InboundAutoReply``), never to mail a
machine sent (``InboundMessage.automatic``: answering an autoresponder is a mail loop), never to a
sender who asked for no automatic answers, and never to an unauthenticated sender (the From address
may be forged: the answer would go to someone who never wrote). The answer itself carries
``Auto-Submitted: auto-replied``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Company, CompanyEmailDomain, User
from inbound.models import InboundAutoReply
from inbound.parsing import InboundMessage
from notifications.outbox import outbox_address_email_write

LANGUAGES = ("en", "fr", "es")


def answer_language(*, address: str, user: User | None = None, company: Company | None = None) -> str:
    """The reader's language when we know it (the user's, their company's, the company whose e-mail
    domain the address is on), else English."""
    if user is not None and user.language in LANGUAGES:
        return user.language
    if company is None:
        domain = address.rsplit("@", 1)[-1].lower()
        found = CompanyEmailDomain.objects.filter(domain=domain).select_related("company").first()
        company = found.company if found is not None else None
    return company.language if company is not None and company.language in LANGUAGES else "en"


def _due(address: str, reason: str, now: datetime) -> InboundAutoReply | None:
    """Claim the address's answer slot: the row (locked, updated) when an answer is due, else None."""
    try:
        with transaction.atomic():
            return InboundAutoReply.objects.create(address=address, last_sent_at=now, last_reason=reason)
    except IntegrityError:  # answered before (or a concurrent message claimed it first)
        pass
    row = InboundAutoReply.objects.select_for_update().get(address=address)
    if row.last_sent_at > now - settings.INBOUND_AUTO_REPLY_INTERVAL:
        return None
    row.last_sent_at, row.last_reason, row.sent_count = now, reason, row.sent_count + 1
    row.save(update_fields=["last_sent_at", "last_reason", "sent_count"])
    return row


@transaction.atomic
def inbound_auto_answer(
    *,
    message: InboundMessage,
    kind: str,
    reason: str,
    context: dict[str, Any],
    language: str,
    now: datetime,
    recipient: User | None = None,
) -> str:
    """Answer ``message`` automatically if it may be answered and no answer went to its sender in
    the interval; writes the outbox row. Answers what happened, for the inbound log."""
    if message.automatic:
        return "not answered: sent by a machine"
    if message.no_auto_reply:
        return "not answered: the sender asked for no automatic answers"
    address = message.sender.strip().lower()
    if not address or "@" not in address:
        return "not answered: no sender address"
    if (
        address.rsplit("@", 1)[1] == settings.INBOUND_EMAIL_DOMAIN.lower()
        or address == settings.SUPPORT_EMAIL_ADDRESS
    ):
        return "not answered: our own address"
    row = _due(address, reason, now)
    if row is None:
        return "not answered: already answered within the interval"
    outbox_address_email_write(
        key=f"inbound_answer:{row.pk}:{row.sent_count}",
        kind=kind,
        address=message.sender,
        language=language,
        context={**context, "reason": reason, "subject": message.subject.strip()[:120]},
        now=now,
        recipient=recipient,
    )
    return "answered"
