"""Error tracking with Sentry, on only when ``SENTRY_DSN`` is set (``config/settings.py`` calls
``sentry_init``). Unhandled errors of views and Celery tasks, and ERROR log records, become events;
each carries the request id, so an event leads to the request's log lines and back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from core.observability.request_id import request_id_get

if TYPE_CHECKING:
    from sentry_sdk._types import Event


def _tag_request_id(event: Event, hint: dict[str, Any]) -> Event:
    request_id = request_id_get()
    if request_id is not None:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    """Start the SDK for this process. No personal data: no user ids, e-mail, addresses, cookies
    or request bodies leave (``send_default_pii=False``)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_request_id,
    )
