"""Reachability checks for the health endpoint. Each answers whether the server answered; the error
itself goes to the log (once per interval), never to the anonymous caller."""

from __future__ import annotations

import logging
import time

from django.db import connections

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
LOG_INTERVAL_SECONDS = 30.0
_last_logged: dict[str, float] = {}


def _log_failure(what: str, exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_logged.get(what, -LOG_INTERVAL_SECONDS) >= LOG_INTERVAL_SECONDS:
        _last_logged[what] = now
        logger.warning("health check: %s unavailable: %s: %s", what, type(exc).__name__, exc)


def database_check(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unreachable" to a health check
        _log_failure("database", exc)
        # A connection that failed mid-use is dropped, so the next check connects afresh.
        connections[alias].close_if_unusable_or_obsolete()
        return False
    return True


def broker_check(url: str) -> bool:
    try:
        with celery_app.connection_for_write(url) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises transport-specific errors
        _log_failure("broker", exc)
        return False
    return True
