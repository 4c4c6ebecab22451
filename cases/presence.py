"""Who has a case open in the workspace now: a short-lived record in the cache, no database row.

Each open case page records its viewer when it loads and then every ``PRESENCE_HEARTBEAT_SECONDS``
(htmx polling); a viewer not heard from for ``PRESENCE_TTL_SECONDS`` is gone. One cache key per case
holds ``{user id: [name, last seen]}``: two pages writing at the same instant may drop each other's
mark until their next heartbeat, which is good enough for "Also viewing". With the cache down the
workspace shows no presence at all, never an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import User

logger = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 45
PRESENCE_HEARTBEAT_SECONDS = 15
# What a cache that is down raises: the redis client's errors, and sockets refused or timed out.
CACHE_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    seen_at: datetime


def _key(case_id: int) -> str:
    return f"casedesk:presence:case:{case_id}"


def _fresh(raw: object, now: float) -> dict[str, list[object]]:
    """The entries of a stored record still within the TTL (a malformed record counts as empty)."""
    if not isinstance(raw, dict):
        return {}
    fresh: dict[str, list[object]] = {}
    for user_id, entry in raw.items():
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int | float)):
            continue
        if now - entry[1] < PRESENCE_TTL_SECONDS:
            fresh[str(user_id)] = entry
    return fresh


def case_presence_record(*, case_id: int, user: User, now: datetime | None = None) -> list[Viewer]:
    """Mark ``user`` as viewing the case now; answer the others viewing it (by name).
    Best effort: if the cache fails, nothing is recorded and nobody is answered."""
    now = now or timezone.now()
    stamp = now.timestamp()
    try:
        viewers = _fresh(cache.get(_key(case_id)), stamp)
        viewers[str(user.pk)] = [str(user), stamp]
        cache.set(_key(case_id), viewers, timeout=PRESENCE_TTL_SECONDS)
    except CACHE_ERRORS as exc:
        logger.warning("Presence not recorded (cache unavailable): %s", exc)
        return []
    others = [
        Viewer(int(user_id), str(name), datetime.fromtimestamp(float(seen), tz=UTC))  # type: ignore[arg-type]
        for user_id, (name, seen) in viewers.items()
        if user_id != str(user.pk)
    ]
    return sorted(others, key=lambda viewer: viewer.name)
