"""Escalation requests and support managers' decisions."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import ACTING_FOR_COMPANY
from cases.api.serializers import (
    EscalationCreateInputSerializer,
    EscalationDecisionInputSerializer,
    EscalationOutputSerializer,
)
from cases.api.views.base import CaseScopedApi, created_location, request_user
from cases.models import EscalationRequest
from cases.selectors import escalation_get_for_user, escalation_list_for_user
from cases.services import escalation_decide, escalation_request
from core.pagination import LimitOffsetPagination
from core.schema import raises


@extend_schema_view(
    get=extend_schema(operation_id="cases_escalations_list", summary="List a case's escalation requests")
)
class CaseEscalationListCreateApi(CaseScopedApi, generics.ListAPIView):
    """Escalation requests on the case, and how support managers decided them."""

    serializer_class = EscalationOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[EscalationRequest]:
        if getattr(self, "swagger_fake_view", False):
            return EscalationRequest.objects.none()
        return escalation_list_for_user(user=request_user(self.request), case=self.get_case())

    @extend_schema(
        operation_id="cases_escalations_create",
        summary="Ask for an escalation",
        request=EscalationCreateInputSerializer,
        responses={201: EscalationOutputSerializer},
        extensions=raises("customer_only", "case_closed", "escalation_already_pending", *ACTING_FOR_COMPANY),
        description="Ask for escalation (customers who may act for the company). Refusals: `dsu_required`, "
        "`partner_not_serving_company`, `membership_inactive`, `customer_only`, `escalation_already_pending`, "
        "`case_closed`.",
    )
    def post(self, request: Request, case_id: int) -> Response:
        data = EscalationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        escalation = escalation_request(
            case=self.get_case(), requested_by=request_user(request), message=data.validated_data["message"]
        )
        location = created_location(request, "case-escalation", case_id=case_id, escalation_id=escalation.pk)
        return Response(
            EscalationOutputSerializer(escalation).data, status=status.HTTP_201_CREATED, headers=location
        )


class CaseEscalationDetailApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_escalations_retrieve",
        summary="Read an escalation request",
        description="One escalation request of the case, with its decision when there is one.",
        responses={200: EscalationOutputSerializer},
    )
    def get(self, request: Request, case_id: int, escalation_id: int) -> Response:
        escalation = escalation_get_for_user(
            user=request_user(request), case=self.get_case(), escalation_id=escalation_id
        )
        return Response(EscalationOutputSerializer(escalation).data)


class _EscalationDecisionApi(CaseScopedApi):
    accept = True

    def post(self, request: Request, case_id: int, escalation_id: int) -> Response:
        user = request_user(request)
        escalation = escalation_get_for_user(user=user, case=self.get_case(), escalation_id=escalation_id)
        data = EscalationDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = escalation_decide(
            escalation=escalation, decided_by=user, accept=self.accept, reason=data.validated_data["reason"]
        )
        return Response(EscalationOutputSerializer(decided).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_escalations_accept",
        summary="Accept an escalation request",
        request=EscalationDecisionInputSerializer,
        responses={200: EscalationOutputSerializer},
        description="Support managers: accept, raising the escalation level.",
        extensions=raises("support_manager_required", "escalation_not_pending"),
    )
)
class EscalationAcceptApi(_EscalationDecisionApi):
    accept = True


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_escalations_decline",
        summary="Decline an escalation request",
        request=EscalationDecisionInputSerializer,
        responses={200: EscalationOutputSerializer},
        description="Support managers: decline, saying why.",
        extensions=raises("support_manager_required", "escalation_not_pending"),
    )
)
class EscalationDeclineApi(_EscalationDecisionApi):
    accept = False
