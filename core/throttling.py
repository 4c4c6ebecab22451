"""Rate limits: a counter per client and time window, incremented atomically once per request.

DRF's own throttles keep each client's request times as a list in the cache, read it, and write it
back whole: two round trips per request, a list as long as the rate (1,200 timestamps at 1200/min)
pickled both ways, and requests lost from the count when two of one client interleave. Here each
request is one atomic increment (Redis: INCR and EXPIRE in one round trip). The price, as with any
fixed window: a client may spend its allowance at the end of one window and again at the start of
the next.

Rates are read from settings at request time (``settings.THROTTLE_RATES``), so operators and tests
can change them without a restart.

Redis unreachable: the counters fall back to this process (each web process then allows the rate
on its own, so a client gets at most rate × processes: looser, but still a limit, where failing
open would give an attacker none) for THROTTLE_FALLBACK_SECONDS, then Redis is tried again. Short
socket timeouts make a dead Redis cost a fraction of a second once per fallback period, not on
every request; each fallback is logged once and counted in ``casedesk_throttle_backend_errors``.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from typing import Any, NamedTuple

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.net import client_ip
from core.observability.metrics import THROTTLED_REQUESTS


class RateLimit(NamedTuple):
    """Where a client stands in one throttle's window, as the IETF RateLimit header fields say it."""

    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    window: int  # the window's length in seconds


def rate_limit_record(request: Request, rate_limit: RateLimit) -> None:
    """Keep, on the Django request, the throttle that leaves the client the fewest requests (every
    throttle of the view counts the request; the tightest is the one to tell)."""
    http_request = request._request
    current: RateLimit | None = getattr(http_request, "rate_limit", None)
    if current is None or (rate_limit.remaining, rate_limit.limit) < (current.remaining, current.limit):
        http_request.rate_limit = rate_limit  # type: ignore[attr-defined]


def rate_limit_headers(request: HttpRequest, response: HttpResponse) -> None:
    """``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` and ``RateLimit-Policy``
    (draft-ietf-httpapi-ratelimit-headers-06) from the count the throttle just made: no further
    round trip to Redis. Nothing when the request met no throttle."""
    rate_limit: RateLimit | None = getattr(request, "rate_limit", None)
    if rate_limit is None:
        return
    response["RateLimit-Limit"] = str(rate_limit.limit)
    response["RateLimit-Remaining"] = str(rate_limit.remaining)
    response["RateLimit-Reset"] = str(rate_limit.reset)
    response["RateLimit-Policy"] = f"{rate_limit.limit};w={rate_limit.window}"


class _WindowCounterThrottle(SimpleRateThrottle):
    num_requests: int | None  # set by SimpleRateThrottle.__init__ from the rate
    duration: int | None
    wait_seconds: float = 0.0

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(str(self.scope))

    def get_ident(self, request: Request) -> str:
        # DRF's joins the whole X-Forwarded-For when NUM_PROXIES is unset: a client rotating the
        # header got a fresh counter each time. The one rule for who the client is lives in core.net.
        return client_ip(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        assert self.num_requests is not None and self.duration is not None
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        count = window_count_increment(f"{key}:{window}", ttl=self.duration)
        rate_limit_record(
            request,
            RateLimit(
                limit=self.num_requests,
                remaining=max(0, self.num_requests - count),
                reset=math.ceil(self.wait_seconds),
                window=self.duration,
            ),
        )
        return count <= self.num_requests

    def wait(self) -> float:
        THROTTLED_REQUESTS.labels(scope=str(self.scope)).inc()  # DRF asks only a throttle that refused
        return self.wait_seconds


class AnonThrottle(_WindowCounterThrottle, AnonRateThrottle):
    pass


class UserThrottle(_WindowCounterThrottle, UserRateThrottle):
    pass


logger = logging.getLogger(__name__)

BACKEND_ERRORS = Counter(
    "casedesk_throttle_backend_errors",
    "Rate-limit counter updates Redis failed; the counters fell back to the web process.",
)
# The per-process counters used while Redis is unreachable (bounded: LocMemCache culls when full).
_fallback = LocMemCache("casedesk-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 50_000}})
_redis_retry_at = 0.0  # monotonic time before which Redis is not tried again


def window_count_increment(key: str, *, ttl: int) -> int:
    """Add one to the counter ``key`` (created at 0, gone after ``ttl`` seconds); answer the count."""
    global _redis_retry_at
    client = _redis_client()
    if client is None:  # the in-process cache of `make run` and the SQLite test runs
        return _local_increment(cache, key, ttl)
    if time.monotonic() >= _redis_retry_at:
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                count, _ = pipe.execute()
        except (redis.RedisError, OSError) as exc:
            BACKEND_ERRORS.inc()
            _redis_retry_at = time.monotonic() + settings.THROTTLE_FALLBACK_SECONDS
            logger.warning(
                "rate-limit counters: Redis failed (%s: %s); counting in this process for %ss",
                type(exc).__name__,
                exc,
                settings.THROTTLE_FALLBACK_SECONDS,
            )
        else:
            return int(count)
    return _local_increment(_fallback, key, ttl)


def _local_increment(counters: Any, key: str, ttl: int) -> int:
    counters.add(key, 0, ttl)
    try:
        return int(counters.incr(key))
    except ValueError:  # expired between the two calls
        counters.set(key, 1, ttl)
        return 1


@functools.cache
def _redis_client() -> redis.Redis | None:
    """The Redis behind ``CACHE_URL`` (where the cache, and so the counters, live), if there is one."""
    url = str(getattr(settings, "CACHE_URL", ""))
    if not url.startswith(("redis://", "rediss://")):
        return None
    timeout = settings.THROTTLE_REDIS_TIMEOUT
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
