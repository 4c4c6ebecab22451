"""The application error and the catalogue of every error code a client can meet.

Every refusal has a stable ``code`` (machine-readable, never reworded) and a human ``detail``.
Services raise ``ApplicationError`` subclasses, whose class fixes the HTTP status, so services never
think in HTTP terms beyond that: ``raise Conflict("CS-000042 is closed: ...", code="case_closed")``.

Each code is defined once in the catalogue (``CATALOGUE``), with its status and an example of what a
client reads: the framework's codes here, each app's own in ``<app>/errors.py`` (imported by
``CoreConfig.ready``). The OpenAPI schema renders a view's documented errors from these entries
(``core.schema``), and ``tests/core/test_error_catalogue.py`` fails on a code raised anywhere that is
not defined, or raised with another status than its definition's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework import exceptions


class ApplicationError(Exception):
    status_code: int = 400
    default_code: str = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
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
    detail: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def error(self, detail: str | None = None, **extra: Any) -> ApplicationError:
        """This error, to raise: the example's words unless ``detail`` says more."""
        return _ERROR_CLASSES[self.status](detail or self.detail, code=self.code, extra=extra or None)

    def example(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class ErrorCatalogue:
    def __init__(self) -> None:
        self._definitions: dict[str, ErrorDefinition] = {}

    def define(self, code: str, *, status: int, detail: str, **extra: Any) -> ErrorDefinition:
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


def _drf(exc: type[exceptions.APIException], **extra: Any) -> ErrorDefinition:
    """A DRF exception's code, status and default words, as its handler renders them."""
    return error_define(
        str(exc.default_code), status=exc.status_code, detail=str(exc.default_detail), **extra
    )


# --- Every API operation may answer these (README: API conventions) -------------------------------
INVALID = error_define(
    "invalid",
    status=400,
    detail="Invalid input: subject.",
    errors={"subject": [{"code": "required", "message": "This field is required."}]},
)
PARSE_ERROR = error_define(
    "parse_error", status=400, detail="JSON parse error - Expecting value: line 1 column 1 (char 0)"
)
BAD_REQUEST = error_define("bad_request", status=400, detail="The request was refused as malformed.")
TOO_MANY_PARAMETERS = error_define(
    "too_many_parameters",
    status=400,
    detail="The query string has more than the 1,000 parameters an endpoint accepts.",
    max_parameters=1000,
)
INVALID_CHARACTERS = error_define(
    "invalid_characters", status=400, detail="Query parameters must not contain NUL characters."
)
REPEATED_PARAMETER = error_define(
    "repeated_parameter", status=400, detail="The query parameter 'page_size' may be given only once."
)
NOT_AUTHENTICATED = _drf(exceptions.NotAuthenticated)
AUTHENTICATION_FAILED = error_define(
    "authentication_failed", status=401, detail="Invalid or expired token."
)  # accounts.authentication's words for every refused token
PERMISSION_DENIED = _drf(exceptions.PermissionDenied)
NOT_FOUND = error_define("not_found", status=404, detail="Case not found.")
METHOD_NOT_ALLOWED = error_define("method_not_allowed", status=405, detail='Method "PUT" not allowed.')
NOT_ACCEPTABLE = _drf(exceptions.NotAcceptable)
UNSUPPORTED_MEDIA_TYPE = error_define(
    "unsupported_media_type", status=415, detail='Unsupported media type "text/plain" in request.'
)
THROTTLED = error_define(
    "throttled",
    status=429,
    detail="Request was throttled. Expected available in 42 seconds.",
    retry_after_seconds=42,
)
SERVICE_UNAVAILABLE = error_define(
    "service_unavailable", status=503, detail="The service is briefly unavailable; try again shortly."
)

# --- Bodies (core.limits, core.parsers) ------------------------------------------------------------
REQUEST_TOO_LARGE = error_define(
    "request_too_large",
    status=413,
    detail="The request body is larger than the 2,621,440 bytes this endpoint accepts.",
    max_bytes=2_621_440,
)
TOO_MANY_FIELDS = error_define(
    "too_many_fields",
    status=413,
    detail="The request has more than the 1,000 form fields an endpoint accepts.",
    max_fields=1000,
)
TOO_MANY_FILES = error_define(
    "too_many_files",
    status=413,
    detail="The request has more than the 10 files an endpoint accepts.",
    max_files=10,
)

# --- Lists (core.pagination, core.api.filters) -----------------------------------------------------
INVALID_PAGINATION = error_define(
    "invalid_pagination", status=400, detail="'page_size' must be an integer, 1 to 100."
)
INVALID_CURSOR = error_define(
    "invalid_cursor",
    status=400,
    detail="The cursor is not one this list gave out: follow the `next` and `previous` links as they are.",
)
INVALID_ORDERING = error_define(
    "invalid_ordering",
    status=400,
    detail="Unknown ordering 'subject'. Order by one or more of: created_at, updated_at, priority, "
    "status_changed_at (a leading '-' for descending, comma-separated).",
    allowed=["created_at", "updated_at", "priority", "status_changed_at"],
)

# --- Idempotent creation (core.idempotency) --------------------------------------------------------
INVALID_IDEMPOTENCY_KEY = error_define(
    "invalid_idempotency_key",
    status=400,
    detail="Idempotency-Key must be 1 to 200 printable ASCII characters.",
)
IDEMPOTENCY_KEY_REUSED = error_define(
    "idempotency_key_reused",
    status=422,
    detail="This Idempotency-Key was used in the last 24 hours for a different request: use a new key "
    "for a new request.",
)
# A 5xx is a bug; its body keeps the contract all the same (core.views.api_server_error).
SERVER_ERROR = error_define("server_error", status=500, detail="Internal server error.")
