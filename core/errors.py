"""The application error: raised by services, rendered by the API as ``{"code", "detail"}``.

Every refusal a client can meet has a stable ``code`` (machine-readable, never reworded) and a
human ``detail``. Subclasses fix the HTTP status so services never think in HTTP terms beyond that.
"""

from __future__ import annotations

from typing import Any


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
