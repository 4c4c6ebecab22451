"""``Idempotency-Key`` support for create endpoints: the same key from the same user within the
retention window returns the first result instead of creating a duplicate.

Following the IETF draft (draft-ietf-httpapi-idempotency-key-header), a key names one request: each
record keeps a fingerprint of the request that first used it (its path and canonical JSON body), and
the same key sent with another request is refused with 422 ``idempotency_key_reused`` rather than
answered with the first request's result, which would tell a client its new request succeeded."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from rest_framework.request import Request

from core.errors import IDEMPOTENCY_KEY_REUSED, INVALID_IDEMPOTENCY_KEY
from core.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class IdempotencyKey(str):
    """A client's ``Idempotency-Key``, carrying the fingerprint of the request that sent it. A ``str``,
    so services take and pass it on as the key it is; ``create_once`` reads the fingerprint."""

    fingerprint: str

    def __new__(cls, key: str, *, fingerprint: str = "") -> IdempotencyKey:
        value = super().__new__(cls, key)
        value.fingerprint = fingerprint
        return value


def request_fingerprint(*, path: str, body: Any) -> str:
    """SHA-256 of the request's path and its body as canonical JSON (keys sorted, no spaces), so the
    same request written with other spacing or key order is the same request."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(f"{path}\n{canonical}".encode()).hexdigest()


def idempotency_key_from(request: Request) -> IdempotencyKey | None:
    """The request's ``Idempotency-Key`` (400 ``invalid_idempotency_key`` unless it is 1 to
    ``MAX_KEY_LENGTH`` printable ASCII characters), fingerprinted with the request."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise INVALID_IDEMPOTENCY_KEY.error(
            _("Idempotency-Key must be 1 to %(max_length)s printable ASCII characters.")
            % {"max_length": MAX_KEY_LENGTH}
        )
    return IdempotencyKey(key, fingerprint=request_fingerprint(path=request.path, body=request.data))


def _first_result[M: models.Model](
    *, user_id: int, scope: str, key: str, model: type[M], now: datetime
) -> M | None:
    record = IdempotencyRecord.objects.filter(user_id=user_id, scope=scope, key=key).first()
    if record is None:
        return None
    if record.created_at <= now - RETENTION:
        record.delete()  # expired: the key may be used again
        return None
    fingerprint = getattr(key, "fingerprint", "")
    if record.request_fingerprint and fingerprint and record.request_fingerprint != fingerprint:
        raise IDEMPOTENCY_KEY_REUSED.error()
    return model._default_manager.filter(pk=record.object_id).first()


def create_once[M: models.Model](
    *, user_id: int, scope: str, key: str | None, model: type[M], create: Callable[[], M], now: datetime
) -> tuple[M, bool]:
    """Run ``create`` unless ``key`` was already used; answer (object, created).

    A key used before for another request (its ``IdempotencyKey.fingerprint`` differs): 422
    ``idempotency_key_reused``. Two concurrent calls with the same key: the unique constraint makes
    the second one's insert fail after the first commits; its whole creation rolls back and it
    answers the first's object (or the 422, if it was another request).
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
                user_id=user_id,
                scope=scope,
                key=key,
                request_fingerprint=getattr(key, "fingerprint", ""),
                object_id=created.pk,
                created_at=now,
            )
            return created, True
    except IntegrityError:
        existing = _first_result(user_id=user_id, scope=scope, key=key, model=model, now=now)
        if existing is None:
            raise
        return existing, False
