"""``Idempotency-Key`` support for create endpoints: the same key from the same user within the
retention window returns the first result instead of creating a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction

from core.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 200


def _first_result[M: models.Model](
    *, user_id: int, scope: str, key: str, model: type[M], now: datetime
) -> M | None:
    record = IdempotencyRecord.objects.filter(user_id=user_id, scope=scope, key=key).first()
    if record is None:
        return None
    if record.created_at <= now - RETENTION:
        record.delete()  # expired: the key may be used again
        return None
    return model._default_manager.filter(pk=record.object_id).first()


def create_once[M: models.Model](
    *, user_id: int, scope: str, key: str | None, model: type[M], create: Callable[[], M], now: datetime
) -> tuple[M, bool]:
    """Run ``create`` unless ``key`` was already used; answer (object, created).

    Two concurrent calls with the same key: the unique constraint makes the second one's insert
    fail after the first commits; its whole creation rolls back and it answers the first's object.
    """
    if not key:
        return create(), True
    existing = _first_result(user_id=user_id, scope=scope, key=key, model=model, now=now)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = create()
            IdempotencyRecord.objects.create(
                user_id=user_id, scope=scope, key=key, object_id=created.pk, created_at=now
            )
            return created, True
    except IntegrityError:
        existing = _first_result(user_id=user_id, scope=scope, key=key, model=model, now=now)
        if existing is None:
            raise
        return existing, False
