"""Query counting for benchmarks: with ``QUERY_COUNT_HEADER`` on, every response says how many SQL
queries it ran (``X-Query-Count``), so load tests can report queries per request from outside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


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


class QueryStringGuardMiddleware:
    """API query strings the schema cannot mean are refused up front with the JSON error contract:
    a NUL character (no database can store it), or a single-valued parameter given several times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            problem = self._problem(request)
            if problem is not None:
                return JsonResponse({"code": problem[0], "detail": problem[1]}, status=400)
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> tuple[str, str] | None:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return "invalid_characters", "Query parameters must not contain NUL characters."
            if len(values) > 1 and name not in REPEATABLE_QUERY_PARAMETERS:
                return "repeated_parameter", f"The query parameter '{name}' may be given only once."
        return None
