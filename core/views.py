from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request, page_not_found, server_error
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.health import broker_check, database_check
from core.limits import refusal_for


class HealthApi(APIView):
    """Database and broker reachability: 200 when both answer, 503 otherwise."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="health",
        responses={
            (200, "application/json"): inline_serializer(
                "HealthOutput",
                {
                    "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
                    "database": serializers.DictField(),
                    "broker": serializers.DictField(),
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        db_ok, db_error = database_check(settings.HEALTH_CHECK_DATABASE)
        broker_ok, broker_error = broker_check(settings.CELERY_BROKER_URL)
        healthy = db_ok and broker_ok
        return Response(
            {
                "status": "ok" if healthy else "unavailable",
                "database": {"ok": db_ok, "error": db_error},
                "broker": {"ok": broker_ok, "error": broker_error},
            },
            status=200 if healthy else 503,
        )


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
        {"code": "bad_request", "detail": "The request was refused as malformed."}, status=400
    )


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "detail": "No such endpoint."}, status=404)
    return page_not_found(request, exception or Exception())


def api_server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": "server_error", "detail": "Internal server error."}, status=500)
    return server_error(request)
