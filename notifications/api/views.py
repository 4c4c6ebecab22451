from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import company_get_for_user, company_manager_check, membership_for
from core.errors import NotFound, PermissionRefused, ValidationFailed
from notifications.api.serializers import (
    InboundEmailOutputSerializer,
    SurveyAnswerInputSerializer,
    SurveyOutputSerializer,
    WebhookCreatedOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
)
from notifications.inbound import inbound_email_process, parse_json, parse_mime
from notifications.models import SatisfactionSurvey, WebhookEndpoint
from notifications.selectors import survey_get_by_token
from notifications.services import survey_answer, webhook_register


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@extend_schema_view(get=extend_schema(operation_id="webhooks_list"))
class WebhookListCreateApi(generics.ListAPIView):
    """Webhook endpoints of my company (managers), or all (support managers)."""

    serializer_class = WebhookOutputSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        user = _user(self.request)
        if user.is_support_manager:
            return WebhookEndpoint.objects.order_by("pk")
        membership = membership_for(user)
        if membership is None or membership.company is None:
            return WebhookEndpoint.objects.none()
        company_manager_check(user=user, company=membership.company)
        return WebhookEndpoint.objects.filter(company=membership.company).order_by("pk")

    @extend_schema(
        operation_id="webhooks_create",
        request=WebhookCreateInputSerializer,
        responses={
            201: WebhookCreatedOutputSerializer,
            400: OpenApiResponse(
                description="`webhook_https_required`, `webhook_credentials_forbidden`, `webhook_url_invalid`, "
                "`webhook_host_unresolvable`, `webhook_url_forbidden` (with `reason`: loopback, private, "
                "link-local, multicast, reserved, unspecified, site-local, shared address space, "
                "non-standard IP address)"
            ),
        },
        description="Register an HTTPS endpoint for case events. The URL must carry no credentials, and "
        "its host must resolve only to public internet addresses (checked now and before every "
        "delivery); redirects are never followed. Each delivery is a JSON POST with "
        "`X-Casedesk-Timestamp` and `X-Casedesk-Signature: sha256=HMAC(secret, timestamp + '.' + body)`. "
        "The secret is returned once.",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("company") is not None:
            company = company_get_for_user(user=user, company_id=values["company"])
        else:
            membership = membership_for(user)
            if membership is None or membership.company is None:
                raise ValidationFailed("Say which company the webhook is for.", code="company_required")
            company = membership.company
        endpoint = webhook_register(
            actor=user, company=company, url=values["url"], event_types=values["event_types"]
        )
        return Response(WebhookCreatedOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class SurveyAnswerApi(APIView):
    """The satisfaction survey sent when a case closed, for programs (the token in the e-mail is the
    key). People answer on the page the e-mail links to (``/surveys/{token}/``); neither records on GET."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def _survey(self, token: str) -> SatisfactionSurvey:
        survey = survey_get_by_token(token=token)
        if survey is None:
            raise NotFound("Survey not found.")
        return survey

    @extend_schema(
        operation_id="surveys_read",
        responses={200: SurveyOutputSerializer, 404: OpenApiResponse(description="`not_found`")},
        description="The survey and its answer so far. Reading records nothing: mail scanners open links.",
    )
    def get(self, request: Request, token: str) -> Response:
        return Response(SurveyOutputSerializer(self._survey(token)).data)

    @extend_schema(
        operation_id="surveys_answer",
        request=SurveyAnswerInputSerializer,
        responses={200: SurveyOutputSerializer, 404: OpenApiResponse(description="`not_found`")},
        description="Record the rating and an optional comment (answering again replaces the answer).",
    )
    def post(self, request: Request, token: str) -> Response:
        data = SurveyAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            SurveyOutputSerializer(survey_answer(survey=self._survey(token), **data.validated_data)).data
        )


class RawMimeParser(BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        return stream.read()


class InboundEmailApi(APIView):
    """Inbound-mail webhook: JSON (from, to, subject, text, attachments[], spf, dkim) or raw MIME."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, RawMimeParser]

    @extend_schema(
        operation_id="inbound_email",
        request={"application/json": OpenApiTypes.OBJECT, "message/rfc822": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("X-Inbound-Secret", str, OpenApiParameter.HEADER, required=True)],
        responses={
            202: InboundEmailOutputSerializer,
            403: OpenApiResponse(description="`inbound_secret_invalid`"),
        },
    )
    def post(self, request: Request) -> Response:
        secret = settings.INBOUND_EMAIL_SECRET
        given = request.headers.get("X-Inbound-Secret", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise PermissionRefused("Missing or wrong X-Inbound-Secret.", code="inbound_secret_invalid")
        body = request.data
        if isinstance(body, bytes):
            message = parse_mime(body)
        elif isinstance(body, dict):
            message = parse_json(body)
        else:
            raise ValidationFailed(
                "Send a JSON object or a raw MIME message.", code="invalid_inbound_payload"
            )
        logged = inbound_email_process(message=message)
        return Response({"outcome": logged.outcome, "reason": logged.reason}, status=status.HTTP_202_ACCEPTED)
