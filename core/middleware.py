"""The project's middleware: query counting for benchmarks, refusals of requests the API cannot mean
(query strings, oversized bodies), the language of each answer, and the response headers every answer
carries (content security policy, no storing of what an authenticated caller was told)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.limits import request_body_checked_by_view, request_body_max_bytes, request_too_large
from core.throttling import rate_limit_headers


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.QUERY_COUNT_HEADER:
            return self.get_response(request)
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


# Query parameters that may legitimately repeat (list filters: ?status=open&status=closed).
REPEATABLE_QUERY_PARAMETERS = frozenset({"status", "priority"})


class LanguageMiddleware:
    """The language of the answer: ``Accept-Language`` (else ``LANGUAGE_CODE``, English) for the whole
    request, which the API's authentication may then replace with the user's own setting
    (``accounts.authentication``); ``Content-Language`` names the language the answer was written in.

    Django's ``LocaleMiddleware`` cannot know an API user's setting: the token is read by DRF inside the
    view, after every middleware ran. Reading the token here too would cost a second token lookup per
    request, so the authentication classes switch the language the moment they know the user, before
    anything a user reads is written (permission, throttle, parse and validation errors all come later).
    The language is restored when the request ends, so a worker thread never carries one user's
    language into the next request (or, in tests, into the code that runs after a request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with translation.override(translation.get_language_from_request(request)):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            language = translation.get_language()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response


class QueryStringGuardMiddleware:
    """API query strings the schema cannot mean are refused up front with the JSON error contract:
    a NUL character (no database can store it), a single-valued parameter given several times, or
    more parameters than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (Django's own refusal is an HTML 400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            problem = self._problem(request)
            if problem is not None:
                return JsonResponse(problem, status=400)
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> dict[str, Any] | None:
        try:
            parameters = request.GET.lists()
        except TooManyFieldsSent:
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return {
                "code": "too_many_parameters",
                "detail": _("The query string has more than the %(limit)s parameters an endpoint accepts.")
                % {"limit": f"{limit:,}"},
                "max_parameters": limit,
            }
        for name, values in parameters:
            if "\x00" in name or any("\x00" in value for value in values):
                return {
                    "code": "invalid_characters",
                    "detail": _("Query parameters must not contain NUL characters."),
                }
            if len(values) > 1 and name not in REPEATABLE_QUERY_PARAMETERS:
                return {
                    "code": "repeated_parameter",
                    "detail": _("The query parameter '%(name)s' may be given only once.") % {"name": name},
                }
        return None


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body then either


class RequestBodyLimitMiddleware:
    """A request whose declared ``Content-Length`` exceeds its endpoint's limit (``core.limits``) is
    refused with 413 before any of its body is read: JSON ``request_too_large`` with ``max_bytes`` on
    API paths, a short HTML page elsewhere (the admin). Under WSGI the body cannot be longer than
    ``Content-Length`` (Django reads no further), so this bounds every parser, the raw ones included.
    It runs at ``process_view``, when the endpoint is known, and before ``CsrfViewMiddleware`` reads
    a form."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        length = _declared_length(request)
        if length == 0 or request_body_checked_by_view(view_func):
            return None
        limit = request_body_max_bytes(view_func)
        if length <= limit:
            return None
        detail = request_too_large(limit).detail
        if _is_api(request):
            return JsonResponse(
                {"code": "request_too_large", "detail": detail, "max_bytes": limit}, status=413
            )
        return HttpResponse(
            f'<!doctype html><html lang="en"><head><title>Request too large (413)</title></head>'
            f"<body><h1>Request too large (413)</h1><p>{escape(detail)}</p></body></html>",
            status=413,
        )


class RateLimitHeadersMiddleware:
    """The IETF RateLimit header fields on every answer a throttle counted (core.throttling), the
    429 included, so a client learns its budget before it runs out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        rate_limit_headers(request, response)
        return response


class ApiNoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer to a request that presents credentials (a token
    in ``Authorization``, or the session cookie), errors included: what one caller was told must not
    be kept by a browser or a shared cache and shown to another. Anonymous answers (the status page,
    the support directory without a login) keep whatever caching their views chose."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and self._presents_credentials(request):
            response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _presents_credentials(request: HttpRequest) -> bool:
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return True
        user = getattr(request, "user", None)  # absent when a middleware above answered first
        return bool(user is not None and user.is_authenticated)


def _is_html(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with two policies: HTML documents (the admin, the API docs, error
    pages) get ``CONTENT_SECURITY_POLICY``; every other answer (API JSON, the schema, feeds,
    calendars, files) gets ``CONTENT_SECURITY_POLICY_NON_HTML``, which loads nothing and may not be
    framed, so a response a browser is tricked into rendering can run nothing. A view's own
    ``csp_update``/``csp_replace`` decorators still apply on top."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and not _is_html(response):
            parts.config = dict(settings.CONTENT_SECURITY_POLICY_NON_HTML["DIRECTIVES"])
        return parts
