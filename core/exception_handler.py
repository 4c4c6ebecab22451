"""One exception handler for every API view: each 4xx body is ``{"code", "detail"[, "errors"]}``."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousMultipartForm, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.limits import refusal_for
from core.unavailable import database_unavailable_seen, is_database_unavailable, retry_after, unavailable_body


def _field_errors(detail: Any) -> Any:
    """Turn DRF's nested ErrorDetail structure into ``[{"code", "message"}]`` lists per field.

    A Django form error raised without a code (django-filter's fields, custom form fields) carries
    none: it reads ``invalid``, never ``null``."""
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [{"code": item.code or "invalid", "message": str(item)} for item in detail]
        return [_field_errors(item) for item in detail]
    if isinstance(detail, dict):
        return {key: _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, exceptions.ErrorDetail):
        return [{"code": detail.code or "invalid", "message": str(detail)}]
    return detail


def _validation_summary(errors: dict[str, Any] | list[Any]) -> str:
    if isinstance(errors, dict):
        non_field = errors.get("non_field_errors")
        if non_field and isinstance(non_field, list) and isinstance(non_field[0], dict):
            return str(non_field[0]["message"])
        if errors:
            return _("Invalid input: %(fields)s.") % {"fields": ", ".join(sorted(str(key) for key in errors))}
    return _("Invalid input.")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_database_unavailable(exc):
        request = context.get("request")
        database_unavailable_seen(exc, getattr(request, "path", ""))
        return Response(
            unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": retry_after()},
        )
    # Django's refusals while reading a request (it would answer them with its HTML 400 page).
    if (refusal := refusal_for(exc)) is not None:
        exc = refusal
    elif isinstance(exc, SuspiciousMultipartForm):
        exc = exceptions.ParseError(_("Multipart form parse error - %(error)s") % {"error": exc})
    elif isinstance(exc, SuspiciousOperation):  # its message may name server paths: not echoed
        exc = ApplicationError(_("The request was refused as malformed."), code="bad_request")

    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        # DRF's words in the request's language: Django's own 404 messages ("No Membership matches the
        # given query.") are English only and name a model class, which tells a client nothing useful.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After headers
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"code": "invalid", "detail": _validation_summary(errors), "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response

    detail = exc.detail
    code = exc.get_codes()
    if isinstance(code, list | dict) or not code:  # a nested detail outside validation, or no code
        code = exc.default_code
    payload: dict[str, Any] = {"code": str(code), "detail": str(detail)}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        payload["retry_after_seconds"] = math.ceil(wait)
    response.data = payload
    return response
