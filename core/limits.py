"""How much a request may carry, and the refusal when it carries more.

Every endpoint accepts a body of at most ``REQUEST_BODY_MAX_BYTES`` unless its view declares its own
limit with a ``request_body_max_bytes`` static method (or class method) taking no arguments, read on
every request so settings overrides apply at once::

    class InboundEmailApi(APIView):
        @staticmethod
        def request_body_max_bytes() -> int:
            return settings.INBOUND_EMAIL_MAX_BYTES

``RequestBodyLimitMiddleware`` compares the declared ``Content-Length`` with that limit before the
body is read; ``core.parsers.JSONParser`` reads at most that much. Django's own caps
(``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the non-file part of a form, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
``DATA_UPLOAD_MAX_NUMBER_FILES``) raise ``SuspiciousOperation`` subclasses that Django would answer
with an HTML 400; ``refusal_for`` turns them into the API's JSON 413.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _

from core.errors import PayloadTooLarge


def request_body_checked_by_view(view: Any) -> bool:
    """Whether ``view`` reads its own body within ``request_body_max_bytes`` and answers an oversized
    one itself (``request_body_checked_by_view = True``), so it can authenticate the caller and log
    the refusal first (the inbound-mail webhooks do)."""
    return bool(getattr(getattr(view, "view_class", view), "request_body_checked_by_view", False))


def request_body_max_bytes(view: Any) -> int:
    """The body limit of ``view``: a view function as URL resolution returns it (a class-based view's
    ``as_view()`` function carries ``view_class``), a view class or instance, or ``None``."""
    owner = getattr(view, "view_class", view)
    declared = getattr(owner, "request_body_max_bytes", None)
    if callable(declared):
        return int(declared())
    return int(settings.REQUEST_BODY_MAX_BYTES)


def request_too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The request body is larger than the %(max_bytes)s bytes this endpoint accepts.")
        % {"max_bytes": f"{max_bytes:,}"},
        code="request_too_large",
        extra={"max_bytes": max_bytes},
    )


def refusal_for(exc: BaseException | None) -> PayloadTooLarge | None:
    """The JSON 413 for one of Django's request-size refusals, or ``None`` for anything else."""
    if isinstance(exc, RequestDataTooBig):
        return request_too_large(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    if isinstance(exc, TooManyFieldsSent):
        limit = int(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
        return PayloadTooLarge(
            _("The request has more than the %(limit)s form fields an endpoint accepts.")
            % {"limit": f"{limit:,}"},
            code="too_many_fields",
            extra={"max_fields": limit},
        )
    if isinstance(exc, TooManyFilesSent):
        limit = int(settings.DATA_UPLOAD_MAX_NUMBER_FILES)
        return PayloadTooLarge(
            _("The request has more than the %(limit)s files an endpoint accepts.") % {"limit": f"{limit:,}"},
            code="too_many_files",
            extra={"max_files": limit},
        )
    return None
