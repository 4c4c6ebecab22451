from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api.serializers import StrictTypesMixin


class ApiRootApi(APIView):
    """Entry points of the API."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        responses=inline_serializer(
            "ApiRootOutput", {"links": serializers.DictField(child=serializers.URLField())}
        ),
    )
    def get(self, request: Request) -> Response:
        names = {
            "token": "auth-token",
            "me": "me",
            "companies": "company-list",
            "authorization_requests": "authorization-request-list",
            "schema": "schema",
        }
        return Response({"links": {key: reverse(name, request=request) for key, name in names.items()}})


class TokenObtainInputSerializer(StrictTypesMixin, AuthTokenSerializer):
    pass


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (``Authorization: Token <key>``)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenObtainInputSerializer,
        responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
