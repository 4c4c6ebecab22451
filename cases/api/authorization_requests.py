"""``/authorization-requests/``: list them, and raise one for a company or from a case. The other
authorisation-request endpoints (read, approve, reject) are accounts' own (``accounts.api.views``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.api.serializers import (
    AuthorizationRequestCreateInputSerializer,
    AuthorizationRequestOutputSerializer,
)
from accounts.errors import ACTING_FOR_COMPANY
from accounts.models import AuthorizationRequest, Company, User
from accounts.selectors import authorization_request_list_for_user, company_get_for_user, membership_for
from accounts.services import SubjectNotInCompany, authorization_request_create
from cases.selectors import case_get_for_user
from cases.services import case_authorization_request_raise
from core.errors import PermissionRefused, ValidationFailed
from core.pagination import LimitOffsetPagination
from core.schema import raises


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated guarantees it
    return user


@extend_schema_view(
    get=extend_schema(operation_id="authorization_requests_list", summary="List authorisation requests")
)
class AuthorizationRequestListApi(generics.ListAPIView):
    """Authorisation requests: managers see their company's, others what they asked or are about.
    Raised for a company, or from a case (a public comment on it names the request): so the endpoint
    is here, above both accounts and cases."""

    serializer_class = AuthorizationRequestOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[AuthorizationRequest]:
        if getattr(self, "swagger_fake_view", False):
            return AuthorizationRequest.objects.none()
        return authorization_request_list_for_user(user=_user(self.request))

    @extend_schema(
        operation_id="authorization_requests_create",
        summary="Ask for an authorisation",
        request=AuthorizationRequestCreateInputSerializer,
        responses={201: AuthorizationRequestOutputSerializer},
        extensions=raises(
            "company_required",
            "not_company_member",
            "subject_not_in_company",
            "requested_role_required",
            "already_dsu",
            "role_unchanged",
            "duplicate_request",
            "case_closed",
            "not_found",  # the `case` or `company` named is not one the caller sees
            *ACTING_FOR_COMPANY,
        ),
        description="Ask the company to authorise a new DSU, a role change or a password reset. Refusals: "
        "`not_company_member`, `subject_not_in_company`, `already_dsu`, `role_unchanged`, `duplicate_request`; "
        "raised from a `case` (a public comment on it), also those of acting for the company: `dsu_required`, "
        "`partner_not_serving_company`, `case_closed`.",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = AuthorizationRequestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = None
        if values.get("case") is not None:
            case = case_get_for_user(user=user, case_id=values["case"])
            company = case.company
        else:
            company = self._company(user, values.get("company"))
        # Looked for among the company's members only: an id of someone elsewhere answers as one of nobody.
        subject = User.objects.filter(pk=values["subject_user"], membership__company=company).first()
        if subject is None:
            raise SubjectNotInCompany()
        common: dict[str, Any] = {
            "requested_by": user,
            "kind": values["kind"],
            "subject_user": subject,
            "requested_role": values.get("requested_role", ""),
            "reason": values.get("reason", ""),
        }
        if case is not None:
            created = case_authorization_request_raise(case=case, **common)
        else:
            created = authorization_request_create(company=company, **common)
        location = reverse("authorization-request-detail", kwargs={"request_id": created.pk}, request=request)
        return Response(
            AuthorizationRequestOutputSerializer(created).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @staticmethod
    def _company(user: User, company_id: int | None) -> Company:
        if user.is_staff:
            if company_id is None:
                raise ValidationFailed(_("Staff must name the company."), code="company_required")
            return company_get_for_user(user=user, company_id=company_id)
        membership = membership_for(user)
        if membership is None or membership.company is None:
            raise PermissionRefused(
                _("Only company members raise authorisation requests."), code="not_company_member"
            )
        return membership.company
