"""The webhook management API: a company's endpoints for its case events (``cases.webhooks``),
their secrets, test deliveries and delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import company_get_for_user, membership_for
from cases.models import CaseEvent
from cases.webhooks import (
    webhook_delete,
    webhook_get_for_user,
    webhook_list_for_user,
    webhook_register,
    webhook_secret_rotate,
    webhook_test_send,
    webhook_update,
)
from core.api.serializers import IdField, InputSerializer, OutputModelSerializer
from core.errors import ValidationFailed
from core.pagination import CursorPagination
from core.schema import raises
from notifications.models import Notification, WebhookEndpoint
from notifications.selectors import webhook_deliveries

# --- serializers ----------------------------------------------------------------------------------


def _event_types_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=CaseEvent.Type.choices),
        help_text="Case event types to receive (docs/webhooks.md); empty: every event.",
        **kwargs,
    )


class WebhookCreateInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=500)
    event_types = _event_types_field(required=False, default=list)
    company = IdField(required=False, help_text="Staff only; managers register for their company.")


class WebhookUpdateInputSerializer(InputSerializer):
    event_types = _event_types_field(required=False)
    is_active = serializers.BooleanField(required=False, help_text="False: no event is delivered.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Silently ignoring ``url`` would let a client believe it moved the endpoint: refuse it.
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [ErrorDetail(_("This field cannot be changed."), code="read_only")]
                    for name in unknown
                }
            )
        return attrs


class WebhookOutputSerializer(OutputModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "company",
            "url",
            "event_types",
            "is_active",
            "created_at",
            "secret_rotated_at",
            "previous_secret_expires_at",
        ]
        extra_kwargs = {
            "previous_secret_expires_at": {
                "help_text": "After a rotation: until when the previous secret still signs deliveries."
            }
        }


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="Shown once: the Standard Webhooks secret (`whsec_…`) that verifies `webhook-signature`."
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookDeliveryOutputSerializer(OutputModelSerializer):
    message_id = serializers.CharField(
        help_text="The delivery's `webhook-id` header (the same on every attempt)."
    )
    event_type = serializers.CharField(source="kind")
    payload = serializers.JSONField(source="context", help_text="The JSON body sent.")
    next_attempt_at = serializers.SerializerMethodField(help_text="A pending delivery's next attempt.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "message_id",
            "event_type",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "next_attempt_at",
            "payload",
        ]

    def get_next_attempt_at(self, row: Notification) -> datetime | None:
        return row.next_attempt_at if row.status == Notification.Status.PENDING else None


# --- views ----------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class WebhookDeliveryPagination(CursorPagination):
    """Newest first, by cursor: a page stays stable while new deliveries are written."""

    ordering = ("-created_at", "-id")


@extend_schema_view(
    get=extend_schema(
        operation_id="webhooks_list",
        summary="List webhook endpoints",
        description="Webhook endpoints of my company (managers), or of every company (support managers). "
        "Never the secrets.",
        responses={200: WebhookOutputSerializer(many=True)},
        extensions=raises("not_company_manager"),
    )
)
class WebhookListCreateApi(generics.ListAPIView):
    """Webhook endpoints of my company (managers), or all (support managers)."""

    serializer_class = WebhookOutputSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return webhook_list_for_user(user=_user(self.request))

    @extend_schema(
        operation_id="webhooks_create",
        summary="Register a webhook endpoint",
        request=WebhookCreateInputSerializer,
        responses={201: WebhookCreatedOutputSerializer},
        extensions=raises(
            "company_required",
            "not_found",  # the `company` named is not one the caller sees
            "not_company_manager",
            "webhook_https_required",
            "webhook_credentials_forbidden",
            "webhook_url_invalid",
            "webhook_host_unresolvable",
            "webhook_url_forbidden",
        ),
        description="Register an HTTPS endpoint for case events. The URL must carry no credentials, and "
        "its host must resolve only to public internet addresses (checked now and before every "
        "delivery); redirects are never followed. Each delivery is a JSON POST signed per Standard "
        "Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): verify it with any Standard "
        "Webhooks library and the `secret` (`whsec_…`), which is returned once. Event types and payloads: "
        "docs/webhooks.md. `webhook_url_forbidden`'s `reason` is one of loopback, private, link-local, "
        "multicast, reserved, unspecified, site-local, shared address space, non-standard IP address.",
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
                raise ValidationFailed(_("Say which company the webhook is for."), code="company_required")
            company = membership.company
        endpoint = webhook_register(
            actor=user, company=company, url=values["url"], event_types=values["event_types"]
        )
        location = reverse("webhook-detail", kwargs={"webhook_id": endpoint.pk}, request=request)
        return Response(
            WebhookCreatedOutputSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class _WebhookScopedApi(APIView):
    def get_endpoint(self) -> WebhookEndpoint:
        return webhook_get_for_user(user=_user(self.request), webhook_id=self.kwargs["webhook_id"])


class WebhookDetailApi(_WebhookScopedApi):
    """One webhook endpoint: read, change its event types or switch it off, delete it."""

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="Read a webhook endpoint",
        responses={200: WebhookOutputSerializer},
        extensions=raises("not_company_manager"),
        description="The endpoint, without its secret.",
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(WebhookOutputSerializer(self.get_endpoint()).data)

    @extend_schema(
        operation_id="webhooks_update",
        summary="Change a webhook endpoint",
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookOutputSerializer},
        extensions=raises("not_company_manager"),
        description="Change `event_types` (empty: every event) and `is_active` (false: nothing is "
        "delivered; deliveries already queued fail rather than go out). Fields left out keep their value. "
        "A field that cannot be changed, such as `url`, is refused as `invalid` with `read_only`: register "
        "a new endpoint instead.",
    )
    def patch(self, request: Request, webhook_id: int) -> Response:
        endpoint = self.get_endpoint()
        data = WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_update(actor=_user(request), endpoint=endpoint, **data.validated_data)
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_delete",
        summary="Delete a webhook endpoint",
        responses={204: None},
        extensions=raises("not_company_manager"),
        description="Delete the endpoint and its delivery log; queued deliveries are never sent.",
    )
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_delete(actor=_user(request), endpoint=self.get_endpoint())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(_WebhookScopedApi):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        summary="Rotate a webhook endpoint's secret",
        request=None,
        responses={200: WebhookCreatedOutputSerializer},
        extensions=raises("not_company_manager"),
        description="Issue a new secret, returned once. The previous secret keeps signing deliveries "
        "beside it (two `v1,…` entries in `webhook-signature`) until `previous_secret_expires_at` "
        "(WEBHOOK_SECRET_ROTATION_GRACE_HOURS, 24 by default), so receivers can switch without "
        "missing a delivery; rotating again within that time ends the older secret at once.",
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        endpoint = webhook_secret_rotate(actor=_user(request), endpoint=self.get_endpoint())
        return Response(WebhookCreatedOutputSerializer(endpoint).data)


class WebhookTestApi(_WebhookScopedApi):
    @extend_schema(
        operation_id="webhooks_test",
        summary="Send a test event",
        request=None,
        responses={202: WebhookDeliveryOutputSerializer},
        extensions=raises("not_company_manager", "webhook_inactive"),
        description="Queue a `webhook.test` delivery, sent like any other (signed, the address checked "
        "at send time, retried on failure). Follow it in `deliveries/`.",
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        row = webhook_test_send(actor=_user(request), endpoint=self.get_endpoint())
        return Response(WebhookDeliveryOutputSerializer(row).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    get=extend_schema(
        operation_id="webhooks_deliveries_list",
        summary="List a webhook endpoint's recent deliveries",
        responses={200: WebhookDeliveryOutputSerializer(many=True)},
        extensions=raises("not_company_manager"),
        description="The endpoint's recent deliveries, newest first, with their status (`pending`, "
        "`sending`, `sent`, `failed`), attempts and last error. Sent deliveries are kept "
        "RETENTION_SENT_NOTIFICATIONS_DAYS (30 by default).",
    )
)
class WebhookDeliveryListApi(_WebhookScopedApi, generics.ListAPIView):
    serializer_class = WebhookDeliveryOutputSerializer
    pagination_class = WebhookDeliveryPagination

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return webhook_deliveries(endpoint=self.get_endpoint())
