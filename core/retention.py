"""Retention: rows kept for a while (delivered outbox messages, the inbound e-mail log, idempotency
keys) are deleted once older than their configured age, by jobs in ``config/beat.py``.

A backlog may be large (the first run after an upgrade, a job down for a week), so a run deletes
in batches: each batch is one ``DELETE … WHERE id IN (SELECT id … ORDER BY <age column> LIMIT n)``
over an index on that column, committed on its own so no lock is held for long, and a run
stops after ``RETENTION_MAX_BATCHES``, leaving the rest to the next run. Deleting is idempotent:
two runs at once delete each row once.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.idempotency import RETENTION as IDEMPOTENCY_KEY_LIFETIME
from core.models import IdempotencyRecord


def rows_delete_in_batches(
    *, queryset: models.QuerySet[models.Model], oldest_first: str, batch_size: int, max_batches: int
) -> int:
    """Delete the rows of ``queryset``, oldest (by ``oldest_first``) first, ``batch_size`` per
    statement and at most ``max_batches`` statements; answers how many rows went."""
    deleted = 0
    for _ in range(max_batches):
        batch = queryset.order_by(oldest_first, "pk").values("pk")[:batch_size]
        count, _ = queryset.model._base_manager.filter(pk__in=batch).delete()  # one statement, autocommit
        deleted += count
        if count < batch_size:
            break
    return deleted


def idempotency_records_purge(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Delete ``Idempotency-Key`` records older than ``RETENTION_IDEMPOTENCY_RECORDS`` (never one
    still honoured: at least the keys' 24-hour lifetime). Answers how many went."""
    now = now or timezone.now()
    age = max(settings.RETENTION_IDEMPOTENCY_RECORDS, IDEMPOTENCY_KEY_LIFETIME)
    return rows_delete_in_batches(
        queryset=IdempotencyRecord.objects.filter(created_at__lt=now - age),
        oldest_first="created_at",
        batch_size=batch_size or settings.RETENTION_BATCH_SIZE,
        max_batches=max_batches or settings.RETENTION_MAX_BATCHES,
    )
