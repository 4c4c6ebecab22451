from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found, server_error
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.health import broker_check, database_check
from core.jobs import job_runs_report
from core.limits import refusal_for
from core.unavailable import database_unavailable_seen, is_database_unavailable, retry_after, unavailable_body


def _word(ok: bool) -> str:
    return "ok" if ok else "unavailable"


class HealthApi(APIView):
    """Reachability of the database and the broker, in words. 503 when the database is unreachable
    (nothing can be served); a broker outage answers 200 with status "degraded", since every request
    still succeeds and the sweeps catch up when it returns (a load balancer must not take the web
    servers out for it). Staff asking ``?detail=1`` also get each scheduled job's last runs."""

    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def perform_authentication(self, request: Request) -> None:
        """Authenticate only for ``?detail=1``: the plain check must not touch sessions or tokens."""

    # For load balancers and operators (README: Production), not integrators: not in the public schema.
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        db_ok = database_check(settings.HEALTH_CHECK_DATABASE)
        broker_ok = broker_check(settings.CELERY_BROKER_URL)
        body: dict[str, object] = {
            "status": "unavailable" if not db_ok else "ok" if broker_ok else "degraded",
            "database": _word(db_ok),
            "broker": _word(broker_ok),
        }
        if db_ok and request.query_params.get("detail") in ("1", "true") and request.user.is_staff:
            body["jobs"] = job_runs_report()
        headers = {} if db_ok else {"Retry-After": retry_after()}
        return Response(body, status=200 if db_ok else 503, headers=headers)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a ``SuspiciousOperation`` or ``BadRequest`` raised outside a DRF view, e.g. by
    middleware reading the request): JSON on API paths, oversized requests as 413."""
    if not _wants_json(request):
        return bad_request(request, exception or Exception())
    if (refusal := refusal_for(exception)) is not None:
        return JsonResponse({"code": refusal.code, "detail": refusal.detail, **refusal.extra}, status=413)
    return JsonResponse(
        {"code": "bad_request", "detail": _("The request was refused as malformed.")}, status=400
    )


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "detail": _("No such endpoint.")}, status=404)
    return page_not_found(request, exception or Exception())


def api_server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached by errors raised in middleware (e.g. a session or user lookup), so a
    database outage answers 503 there as in the API's own exception handler."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        assert exc is not None
        database_unavailable_seen(exc, request.path)
        if _wants_json(request):
            response: HttpResponse = JsonResponse(unavailable_body(), status=503)
        else:
            response = HttpResponse(
                "Service briefly unavailable; try again shortly.", status=503, content_type="text/plain"
            )
        response["Retry-After"] = retry_after()
        return response
    if _wants_json(request):
        return JsonResponse({"code": "server_error", "detail": _("Internal server error.")}, status=500)
    return server_error(request)
