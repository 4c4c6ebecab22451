"""One id per HTTP request, carried into the log lines it causes and the Celery tasks it queues.

A caller (a load balancer, a client retrying) may send its own ``X-Request-ID``; it is attacker
input, so only a short token of safe characters is kept, anything else is replaced with a new id.
The id lives in a context variable: the web middleware sets it for the request, the Celery
signals below put it in the headers of every task published meanwhile and set it again in the
worker around that task, so a task queued by a task keeps the id of the request that began it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# The Celery message header that carries the id (protocol 2 keeps unknown headers; a worker finds
# them on ``task.request``).
TASK_HEADER = "casedesk_request_id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_get() -> str | None:
    """The id of the request (or of the request behind the task) being handled, if any."""
    return _current.get()


def request_id_accept(value: str | None) -> str:
    """``value`` when it is a well-formed id (1–64 of ``A-Za-z0-9._-``), otherwise a new uuid4 hex."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost but for the metrics timer: every response, errors included, says its id.

    The id stays set after the middleware returns, until ``request_id_clear`` runs on
    ``request_finished``: Django logs a 4xx response, and the web server its access line, after
    the middleware chain has answered, and those lines belong to the request too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.headers.get(HEADER))
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def request_id_clear(**kwargs: Any) -> None:
    """``request_finished`` (the response is closed): lines after this belong to no request."""
    _current.set(None)


# --- Celery: connected in config/celery.py -------------------------------------------------------


def task_headers_add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the publishing request's id travels in the message headers."""
    request_id = _current.get()
    if request_id is not None and headers is not None:
        headers[TASK_HEADER] = request_id


def task_request_id_bind(task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: the worker takes the id the message carries (none for beat's own jobs).

    A task run eagerly (``apply()``, eager mode) runs inside its caller and keeps the caller's id.
    """
    request = getattr(task, "request", None)
    if getattr(request, "is_eager", False):
        return
    value = getattr(request, TASK_HEADER, None)
    _current.set(value if isinstance(value, str) and _ACCEPTED.fullmatch(value) else None)


def task_request_id_unbind(task: Any = None, **kwargs: Any) -> None:
    """``task_postrun``: the next task in this worker process starts without an id."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    _current.set(None)
