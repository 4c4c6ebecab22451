from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.models import Product, User
from core.errors import NotFound
from core.schema import raises
from status import directory
from status.api.serializers import (
    StatusOutputSerializer,
    StatusQueryInputSerializer,
    StatusSubscriptionOutputSerializer,
    SupportContactsOutputSerializer,
)
from status.models import StatusSubscription
from status.selectors import product_status_list, support_caller_for_user, time_zone_parse
from status.services import status_subscription_set, status_subscription_unset


class StatusApi(APIView):
    """Public system status: every active product's state, open incidents and upcoming maintenance."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="status_retrieve",
        summary="Read the system status",
        description="Every active product's state (`outage` > `under_maintenance` > `degraded` > "
        "`operational`), its open incidents with their updates, and its running and next `count` "
        "maintenance runs, in UTC and in `tz`. No login needed.",
        parameters=[StatusQueryInputSerializer],
        responses={200: StatusOutputSerializer},
        extensions=raises("invalid_time_zone", "invalid"),
    )
    def get(self, request: Request) -> Response:
        query = StatusQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone = time_zone_parse(query.validated_data["tz"])
        now = timezone.now()
        payload = {
            "generated_at": now,
            "time_zone": zone.key,
            "feeds": {
                "rss": reverse("status-feed-rss", request=request),
                "atom": reverse("status-feed-atom", request=request),
                "calendar": reverse("status-calendar", request=request),
            },
            "products": product_status_list(now=now, count=query.validated_data["count"]),
        }
        context = {"request": request, "zone": zone}
        return Response(StatusOutputSerializer(payload, context=context).data)


class SupportContactsApi(APIView):
    """Support phone numbers by region and hours; for a logged-in user, whether they may call and where."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="support_contacts_retrieve",
        summary="Support phone numbers and hours",
        responses=SupportContactsOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        user = request.user
        payload = {
            "regions": directory.SUPPORT_REGIONS,
            "hours": {
                "opens": directory.SUPPORT_OPENS,
                "closes": directory.SUPPORT_CLOSES,
                "time_basis": directory.SUPPORT_HOURS_BASIS,
                "after_hours_priorities": directory.AFTER_HOURS_PRIORITIES,
                "after_hours_note": directory.AFTER_HOURS_NOTE,
            },
            "caller": support_caller_for_user(user=user) if isinstance(user, User) else None,
        }
        return Response(SupportContactsOutputSerializer(payload).data)


class StatusSubscriptionListApi(APIView):
    """My opt-in e-mail subscriptions to products' maintenance and incident news."""

    @extend_schema(
        operation_id="status_subscriptions_list",
        summary="List my status e-mail subscriptions",
        responses=StatusSubscriptionOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        subscriptions = StatusSubscription.objects.filter(user=user, opted_in=True).select_related("product")
        return Response(
            StatusSubscriptionOutputSerializer(subscriptions.order_by("product__code"), many=True).data
        )


class StatusSubscriptionDetailApi(APIView):
    """Opt in (PUT) or out (DELETE) of one product's status e-mails."""

    def _product(self, product_code: str) -> Product:
        product = Product.objects.filter(code=product_code, is_active=True).first()
        if product is None:
            raise NotFound(_("No such product."))
        return product

    @extend_schema(
        operation_id="status_subscriptions_set",
        summary="Subscribe to a product's status e-mails",
        description="Opt in to e-mails about the product's maintenance windows and incidents (idempotent).",
        request=None,
        responses=StatusSubscriptionOutputSerializer,
    )
    def put(self, request: Request, product_code: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        subscription = status_subscription_set(user=user, product=self._product(product_code))
        return Response(StatusSubscriptionOutputSerializer(subscription).data)

    @extend_schema(
        operation_id="status_subscriptions_unset",
        summary="Unsubscribe from a product's status e-mails",
        description="Opt out (204, also when not subscribed).",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, product_code: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        status_subscription_unset(user=user, product=self._product(product_code))
        return Response(status=204)
