"""Retention of the outbox (the job in ``config/beat.py``; the batching is
``core.retention``'s). Only delivered messages are ever deleted: pending, sending and failed rows
stay until they are sent (or someone deals with them in the admin)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core.retention import rows_delete_in_batches
from notifications.models import Notification


def notifications_sent_purge(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Delete outbox rows sent more than ``RETENTION_SENT_NOTIFICATIONS`` ago (index
    ``notification_sent_purge``); answers how many went."""
    now = now or timezone.now()
    return rows_delete_in_batches(
        queryset=Notification.objects.filter(
            status=Notification.Status.SENT, sent_at__lt=now - settings.RETENTION_SENT_NOTIFICATIONS
        ),
        oldest_first="sent_at",
        batch_size=batch_size or settings.RETENTION_BATCH_SIZE,
        max_batches=max_batches or settings.RETENTION_MAX_BATCHES,
    )
