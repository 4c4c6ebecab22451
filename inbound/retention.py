"""Retention of the inbound log and of the automatic answers' memory (the job in ``config/beat.py``;
the batching is ``core.retention``'s)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core.retention import rows_delete_in_batches
from inbound.models import InboundAutoReply, InboundEmail

# Outcomes of a message whose processing is over (all of them today; a new, unfinished outcome
# would have to be added here to ever be purged).
INBOUND_FINAL_OUTCOMES = (
    InboundEmail.Outcome.OPENED,
    InboundEmail.Outcome.COMMENTED,
    InboundEmail.Outcome.DECIDED,
    InboundEmail.Outcome.REFUSED,
)


def inbound_emails_purge(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Delete inbound log rows received more than ``RETENTION_INBOUND_EMAILS`` ago (index
    ``inbound_received``); answers how many went."""
    now = now or timezone.now()
    return rows_delete_in_batches(
        queryset=InboundEmail.objects.filter(
            outcome__in=INBOUND_FINAL_OUTCOMES, received_at__lt=now - settings.RETENTION_INBOUND_EMAILS
        ),
        oldest_first="received_at",
        batch_size=batch_size or settings.RETENTION_BATCH_SIZE,
        max_batches=max_batches or settings.RETENTION_MAX_BATCHES,
    )


def inbound_auto_replies_purge(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Forget addresses last answered automatically more than ``RETENTION_INBOUND_EMAILS`` ago (far
    past INBOUND_AUTO_REPLY_INTERVAL: they limit nothing any more); answers how many went."""
    now = now or timezone.now()
    return rows_delete_in_batches(
        queryset=InboundAutoReply.objects.filter(last_sent_at__lt=now - settings.RETENTION_INBOUND_EMAILS),
        oldest_first="last_sent_at",
        batch_size=batch_size or settings.RETENTION_BATCH_SIZE,
        max_batches=max_batches or settings.RETENTION_MAX_BATCHES,
    )
