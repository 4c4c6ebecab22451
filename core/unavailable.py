"""The database is unreachable: a 503 the client may retry, never a 500 and never the driver's text.

Django reconnects by itself once the server is back (``CONN_HEALTH_CHECKS`` drops a dead persistent
connection at the start of the next request, and a request that hit a database error closes its
connection at the end), so no process needs a restart.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _
from prometheus_client import Counter

logger = logging.getLogger(__name__)

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
CODE = "service_unavailable"
DETAIL = _("The service is briefly unavailable; try again shortly.")
LOG_INTERVAL_SECONDS = 10.0

UNAVAILABLE_RESPONSES = Counter(
    "casedesk_database_unavailable_responses",
    "Requests answered 503 service_unavailable because the database could not be reached.",
)
_last_logged = 0.0


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def unavailable_body() -> dict[str, str]:
    return {"code": CODE, "detail": str(DETAIL)}


def retry_after() -> str:
    return str(settings.SERVICE_UNAVAILABLE_RETRY_AFTER)


def database_unavailable_seen(exc: BaseException, path: str) -> None:
    """Count every such answer; log the error at most once per interval (an outage is one event, not
    thousands of tracebacks)."""
    global _last_logged
    UNAVAILABLE_RESPONSES.inc()
    now = time.monotonic()
    if now - _last_logged >= LOG_INTERVAL_SECONDS:
        _last_logged = now
        logger.error(
            "database unavailable (answering 503), e.g. on %s: %s: %s", path, type(exc).__name__, exc
        )
