"""Cases: the list, opening one, reading one, and support's priority and assignment."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.views import partner_scope_from
from accounts.errors import ACTING_FOR_COMPANY
from accounts.models import Company, ProductInstance, User
from accounts.selectors import company_get_for_user, membership_for
from cases.api.filters import CaseFilter
from cases.api.schema import CASE_CREATE_EXAMPLES, IDEMPOTENCY_ERRORS, IDEMPOTENCY_HEADER
from cases.api.serializers import (
    AssignInputSerializer,
    CaseCreateInputSerializer,
    CaseDetailOutputSerializer,
    CaseListOutputSerializer,
    PriorityOverrideInputSerializer,
)
from cases.api.views.base import CaseScopedApi, case_detail_answer, created_location, request_user
from cases.models import Case
from cases.selectors import (
    case_detail_get_for_user,
    case_following_just_opened,
    case_get_for_user,
    case_list_page_for_user,
)
from cases.services import case_assign, case_create, case_priority_override
from core.api.etags import conditional_response
from core.api.filters import FilterBackend, OrderingFilter
from core.errors import ValidationFailed
from core.idempotency import idempotency_key_from
from core.pagination import CursorPagination
from core.schema import raises


@extend_schema_view(
    get=extend_schema(
        operation_id="cases_list",
        summary="List cases",
        description="Cases the caller may see, newest first unless `ordering` says otherwise, in cursor "
        "pages: follow `next` and `previous` as they are. Filters combine with AND; `status` and "
        "`priority` may repeat.",
        extensions=raises("invalid_scope", "invalid"),
        parameters=[
            OpenApiParameter(
                "scope",
                str,
                enum=["establishment", "partner"],
                description="Partner users: how wide to look.",
            )
        ],
    )
)
class CaseListCreateApi(generics.ListAPIView):
    """Cases I may see (filters, search, ordering, cursor pages), and opening a case."""

    serializer_class = CaseListOutputSerializer
    pagination_class = CursorPagination
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = ["created_at", "updated_at", "priority", "status_changed_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        blank = sorted(name for name, value in self.request.query_params.items() if value == "")
        if blank:  # an empty filter is a client bug, not "no filter"
            raise ValidationFailed(
                _("Empty query parameters: %(names)s.") % {"names": ", ".join(blank)}, code="invalid"
            )
        return case_list_page_for_user(
            user=request_user(self.request), scope=partner_scope_from(self.request)
        )

    @extend_schema(
        operation_id="cases_create",
        summary="Open a case",
        request=CaseCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        examples=CASE_CREATE_EXAMPLES,
        responses={201: CaseDetailOutputSerializer, 200: CaseDetailOutputSerializer},
        description="Open a case. In the US only designated support users may (`dsu_required`). Answers 201 "
        "with `Location`, or 200 with the first case when the Idempotency-Key was already used for this "
        "same request. `follow_up_of` names a case closed more than 3 days ago; partner users name the "
        "client `company`. The catalogue endpoints list the codes for `reason` and `application_area`.",
        extensions=raises(
            "company_required",
            "product_instance_required",
            "product_instance_not_in_company",
            "follow_up_of_not_closed",
            "follow_up_of_other_company",
            "inactive_case_reason",
            "inactive_application_area",
            "application_area_mismatch",
            "not_found",
            *ACTING_FOR_COMPANY,
            *IDEMPOTENCY_ERRORS,
        ),
    )
    def post(self, request: Request) -> Response:
        user = request_user(request)
        data = CaseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        company = self._company(user, values.pop("company", None))
        instance_id = values.pop("product_instance", None)
        follow_up_id = values.pop("follow_up_of", None)
        product_instance = None
        if instance_id is not None:
            product_instance = (
                ProductInstance.objects.filter(pk=instance_id, company=company)
                .select_related("product")
                .first()
            )
            if product_instance is None:
                raise ValidationFailed(
                    _("That product instance does not belong to the company."),
                    code="product_instance_not_in_company",
                )
        follow_up_of = case_get_for_user(user=user, case_id=follow_up_id) if follow_up_id else None
        case, created = case_create(
            opened_by=user,
            company=company,
            product_instance=product_instance,
            follow_up_of=follow_up_of,
            idempotency_key=idempotency_key_from(request),
            **values,
        )
        if created:
            # A new case is answered from the service's instance, which holds every relation the
            # detail shows (the request's own objects): reading it back would cost a query.
            setattr(case, "following", case_following_just_opened(case=case, user=user))  # noqa: B010
        else:  # the case the Idempotency-Key first opened, as stored now
            case = case_detail_get_for_user(user=user, case_id=case.pk)
        if not created:
            return Response(case_detail_answer(case, user))
        location = created_location(request, "case-detail", case_id=case.pk)
        return Response(case_detail_answer(case, user), status=status.HTTP_201_CREATED, headers=location)

    @staticmethod
    def _company(user: User, company_id: int | None) -> Company:
        membership = membership_for(user)
        if company_id is not None:
            return company_get_for_user(user=user, company_id=company_id)
        if membership is not None and membership.company is not None:
            return membership.company
        raise ValidationFailed(_("Say which client company the case is for."), code="company_required")


class CaseDetailApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="Read a case",
        description="The case as the caller sees it: `whose_move`, the `available_transitions` the caller "
        "may make (with the fields each needs), whether the caller is `following` it, and its SLA timers. "
        "The answer carries an `ETag`; send it back as `If-None-Match` to get 304 without a body while "
        "nothing the caller would read has changed (a running SLA timer's time left changes it too).",
        parameters=[
            OpenApiParameter(
                "If-None-Match", str, OpenApiParameter.HEADER, description="An `ETag` of an earlier answer."
            )
        ],
        responses={200: CaseDetailOutputSerializer, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        return conditional_response(
            request, case_detail_answer(case_detail_get_for_user(user=user, case_id=case_id), user)
        )


class CasePriorityApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_priority_override",
        summary="Override a case's priority",
        request=PriorityOverrideInputSerializer,
        responses={200: CaseDetailOutputSerializer},
        extensions=raises("support_only", "invalid_priority", "reason_required"),
        description="Support: override the matrix's priority, with a reason (recorded).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        data = PriorityOverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_priority_override(case=self.get_case(), actor=user, **data.validated_data)
        return Response(case_detail_answer(case_detail_get_for_user(user=user, case_id=case.pk), user))


class CaseAssignApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_assign",
        summary="Assign a case",
        request=AssignInputSerializer,
        responses={200: CaseDetailOutputSerializer},
        extensions=raises("support_only", "assignee_not_staff"),
        description="Support: assign to an analyst, or null to unassign.",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee_id = data.validated_data["assignee"]
        assignee = None
        if assignee_id is not None:
            # Only active staff are looked for, and anyone else answers as nobody does: the reply
            # never tells whether an id names a customer somewhere. Non-staff callers are refused by
            # the service whatever the id.
            assignee = User.objects.filter(pk=assignee_id, is_staff=True, is_active=True).first()
            if assignee is None and user.is_staff:
                raise ValidationFailed(
                    _("Cases are assigned to active support staff."), code="assignee_not_staff"
                )
        case = case_assign(case=self.get_case(), actor=user, assignee=assignee)
        return Response(case_detail_answer(case_detail_get_for_user(user=user, case_id=case.pk), user))
