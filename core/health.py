"""Reachability checks for the health endpoint: each answers (ok, error message)."""

from __future__ import annotations

from django.db import connections

from config.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2


def database_check(alias: str = "default") -> tuple[bool, str | None]:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unreachable" to a health check
        return False, f"{type(exc).__name__}: {exc}"
    return True, None


def broker_check(url: str) -> tuple[bool, str | None]:
    try:
        with celery_app.connection_for_write(url) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises transport-specific errors
        return False, f"{type(exc).__name__}: {exc}"
    return True, None
