from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootApi(APIView):
    """Entry points of the API."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        summary="API entry points",
        responses=inline_serializer(
            "ApiRootOutput", {"links": serializers.DictField(child=serializers.URLField())}
        ),
    )
    def get(self, request: Request) -> Response:
        names = {
            "token": "auth-token",
            "tokens": "auth-token-list",
            "me": "me",
            "companies": "company-list",
            "authorization_requests": "authorization-request-list",
            "schema": "schema",
        }
        return Response({"links": {key: reverse(name, request=request) for key, name in names.items()}})
