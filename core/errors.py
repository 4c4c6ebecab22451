"""The application error and the catalogue of every error code a client can meet.

Every refusal has a stable ``code`` (machine-readable, never reworded) and a human ``detail``.
Services raise ``ApplicationError`` subclasses, whose class fixes the HTTP status, so services never
think in HTTP terms beyond that: ``raise Conflict("CS-000042 is closed: ...", code="case_closed")``.

Each code is defined once in the catalogue (``CATALOGUE``), with its status and an example of what a
client reads: the framework's codes here, each app's own in ``<app>/errors.py`` (imported by
``CoreConfig.ready``). The OpenAPI schema renders a view's documented errors from these entries
(``core.schema``), and ``tests/core/test_error_catalogue.py`` fails on a code raised anywhere that is
not defined, or raised with another status than its definition's.

Every ``detail`` is customer-facing text in gettext (``locale/<language>/LC_MESSAGES/django.po``):
services write ``_("… %(name)s …") % {...}`` with ``gettext``, read in the request's language
(``core.middleware.LanguageMiddleware``, the user's own setting once authenticated); the catalogue's
examples are lazy (``gettext_lazy``, ``detail_example``) so they are translated when read, never at
import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

# The words of an error: text, or a lazy translation read in the language active when it is shown.
Detail = str | Promise


class ApplicationError(Exception):
    status_code: int = 400
    default_code: str = "invalid"

    def __init__(
        self, detail: Detail, *, code: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        detail = str(detail)  # a lazy translation, in the language of the request that meets the error
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    status_code = 400
    default_code = "invalid"


class PermissionRefused(ApplicationError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_code = "file_too_large"


class UnsupportedMediaType(ApplicationError):
    status_code = 415
    default_code = "unsupported_media_type"


class UnprocessableContent(ApplicationError):
    """Well-formed and understood, but refused as it stands (RFC 9110 §15.5.21)."""

    status_code = 422
    default_code = "unprocessable"


_ERROR_CLASSES: dict[int, type[ApplicationError]] = {
    cls.status_code: cls
    for cls in (
        ValidationFailed,
        PermissionRefused,
        NotFound,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        UnprocessableContent,
    )
}


@dataclass(frozen=True)
class ErrorDefinition:
    """One stable error: its code, its HTTP status, and a real example of the body a client reads
    (``detail`` and any additional members, ``extra``)."""

    code: str
    status: int
    detail: Detail
    extra: Mapping[str, Any] = field(default_factory=dict)

    def error(self, detail: Detail | None = None, **extra: Any) -> ApplicationError:
        """This error, to raise: the example's words unless ``detail`` says more."""
        return _ERROR_CLASSES[self.status](detail or self.detail, code=self.code, extra=extra or None)

    def example(self) -> dict[str, Any]:
        """The example body, in the active language."""
        return {"code": self.code, "detail": str(self.detail), **self.extra}


class ErrorCatalogue:
    def __init__(self) -> None:
        self._definitions: dict[str, ErrorDefinition] = {}

    def define(self, code: str, *, status: int, detail: Detail, **extra: Any) -> ErrorDefinition:
        definition = ErrorDefinition(code=code, status=status, detail=detail, extra=extra)
        existing = self._definitions.get(code)
        if existing is not None and existing != definition:
            raise ValueError(f"The error code {code!r} is defined twice, differently.")
        self._definitions[code] = definition
        return definition

    def get(self, code: str) -> ErrorDefinition:
        return self._definitions[code]

    def __contains__(self, code: object) -> bool:
        return code in self._definitions

    def __iter__(self) -> Iterator[ErrorDefinition]:
        return iter(sorted(self._definitions.values(), key=lambda d: (d.status, d.code)))


CATALOGUE = ErrorCatalogue()
error_define = CATALOGUE.define


def _interpolated(message: Detail, values: dict[str, Any]) -> str:
    return str(message) % values


_interpolated_lazy = lazy(_interpolated, str)


def detail_example(message: Detail, **values: Any) -> Detail:
    """An example's words: ``message`` (the same gettext message the code raises, with ``%(name)s``
    placeholders) filled with example ``values``, translated when read rather than at import."""
    return _interpolated_lazy(message, values)


def _drf_words(make: Callable[[], exceptions.APIException]) -> Detail:
    """The words DRF writes for the exception ``make`` returns, in DRF's catalogue, read when shown."""
    return lazy(lambda: str(make().detail), str)()


def _drf(exc: type[exceptions.APIException], **extra: Any) -> ErrorDefinition:
    """A DRF exception's code, status and default words, as its handler renders them."""
    words = cast(Detail, exc.default_detail)  # DRF's lazy translation: read in the language active then
    return error_define(str(exc.default_code), status=exc.status_code, detail=words, **extra)


# --- Every API operation may answer these (README: API conventions) -------------------------------
INVALID = error_define(
    "invalid",
    status=400,
    detail=detail_example(_("Invalid input: %(fields)s."), fields="subject"),
    errors={"subject": [{"code": "required", "message": "This field is required."}]},
)
PARSE_ERROR = error_define(
    "parse_error",
    status=400,
    detail=detail_example(
        _("JSON parse error - %(error)s"), error="Expecting value: line 1 column 1 (char 0)"
    ),
)
BAD_REQUEST = error_define("bad_request", status=400, detail=_("The request was refused as malformed."))
TOO_MANY_PARAMETERS = error_define(
    "too_many_parameters",
    status=400,
    detail=detail_example(
        _("The query string has more than the %(limit)s parameters an endpoint accepts."), limit="1,000"
    ),
    max_parameters=1000,
)
INVALID_CHARACTERS = error_define(
    "invalid_characters", status=400, detail=_("Query parameters must not contain NUL characters.")
)
REPEATED_PARAMETER = error_define(
    "repeated_parameter",
    status=400,
    detail=detail_example(_("The query parameter '%(name)s' may be given only once."), name="page_size"),
)
NOT_AUTHENTICATED = _drf(exceptions.NotAuthenticated)
AUTHENTICATION_FAILED = error_define(
    "authentication_failed", status=401, detail=_("Invalid or expired token.")
)  # accounts.authentication's words for every refused token
PERMISSION_DENIED = _drf(exceptions.PermissionDenied)
NOT_FOUND = error_define("not_found", status=404, detail=_("Case not found."))
METHOD_NOT_ALLOWED = error_define(
    "method_not_allowed", status=405, detail=_drf_words(lambda: exceptions.MethodNotAllowed("PUT"))
)
NOT_ACCEPTABLE = _drf(exceptions.NotAcceptable)
UNSUPPORTED_MEDIA_TYPE = error_define(
    "unsupported_media_type",
    status=415,
    detail=_drf_words(lambda: exceptions.UnsupportedMediaType("text/plain")),
)
THROTTLED = error_define(
    "throttled",
    status=429,
    detail=_drf_words(lambda: exceptions.Throttled(wait=42)),
    retry_after_seconds=42,
)
SERVICE_UNAVAILABLE = error_define(
    "service_unavailable", status=503, detail=_("The service is briefly unavailable; try again shortly.")
)

# --- Bodies (core.limits, core.parsers) ------------------------------------------------------------
REQUEST_TOO_LARGE = error_define(
    "request_too_large",
    status=413,
    detail=detail_example(
        _("The request body is larger than the %(max_bytes)s bytes this endpoint accepts."),
        max_bytes="2,621,440",
    ),
    max_bytes=2_621_440,
)
TOO_MANY_FIELDS = error_define(
    "too_many_fields",
    status=413,
    detail=detail_example(
        _("The request has more than the %(limit)s form fields an endpoint accepts."), limit="1,000"
    ),
    max_fields=1000,
)
TOO_MANY_FILES = error_define(
    "too_many_files",
    status=413,
    detail=detail_example(
        _("The request has more than the %(limit)s files an endpoint accepts."), limit="10"
    ),
    max_files=10,
)

# --- Lists (core.pagination, core.api.filters) -----------------------------------------------------
INVALID_PAGINATION = error_define(
    "invalid_pagination",
    status=400,
    detail=detail_example(
        _("'%(name)s' must be an integer, %(minimum)s to %(maximum)s."),
        name="page_size",
        minimum=1,
        maximum=100,
    ),
)
INVALID_CURSOR = error_define(
    "invalid_cursor",
    status=400,
    detail=_("The cursor is not one this list gave out: follow the `next` and `previous` links as they are."),
)
INVALID_ORDERING = error_define(
    "invalid_ordering",
    status=400,
    detail=detail_example(
        _(
            "Unknown ordering %(unknown)s. Order by one or more of: %(allowed)s (a leading '-' for "
            "descending, comma-separated)."
        ),
        unknown="'subject'",
        allowed="created_at, updated_at, priority, status_changed_at",
    ),
    allowed=["created_at", "updated_at", "priority", "status_changed_at"],
)

# --- Idempotent creation (core.idempotency) --------------------------------------------------------
INVALID_IDEMPOTENCY_KEY = error_define(
    "invalid_idempotency_key",
    status=400,
    detail=detail_example(
        _("Idempotency-Key must be 1 to %(max_length)s printable ASCII characters."), max_length=200
    ),
)
IDEMPOTENCY_KEY_REUSED = error_define(
    "idempotency_key_reused",
    status=422,
    detail=_(
        "This Idempotency-Key was used in the last 24 hours for a different request: use a new key "
        "for a new request."
    ),
)
# A 5xx is a bug; its body keeps the contract all the same (core.views.api_server_error).
SERVER_ERROR = error_define("server_error", status=500, detail=_("Internal server error."))
