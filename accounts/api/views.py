from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    ApiTokenOutputSerializer,
    AuthorizationRequestDecisionInputSerializer,
    AuthorizationRequestOutputSerializer,
    CompanyOutputSerializer,
    MembershipOutputSerializer,
    MembershipUpdateInputSerializer,
    MeOutputSerializer,
    PartnerScopeQuerySerializer,
    PasswordResetConfirmInputSerializer,
    TokenObtainInputSerializer,
    TokenObtainOutputSerializer,
)
from accounts.authentication import credentials_authenticate
from accounts.models import Company, Membership, User
from accounts.selectors import (
    PartnerScope,
    acting_for_company_refusal,
    api_token_list_for_user,
    authorization_request_get_for_user,
    company_get_for_user,
    company_ids_visible_to,
    company_list_for_user,
    membership_for,
    membership_list_for_company,
)
from accounts.services import (
    api_token_create,
    api_token_revoke,
    api_tokens_revoke_all,
    authorization_request_decide,
    membership_update,
    password_reset_confirm,
)
from core.errors import ValidationFailed
from core.pagination import LimitOffsetPagination
from core.schema import raises


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated guarantees it
    return user


def partner_scope_from(request: Request) -> PartnerScope:
    """The ``scope`` query parameter (partner users); absent means their own establishment."""
    raw = request.query_params.get("scope")
    if raw is None:
        return PartnerScope.ESTABLISHMENT
    if raw not in PartnerScope:
        raise ValidationFailed(_("scope is 'establishment' or 'partner'."), code="invalid_scope")
    return PartnerScope(raw)


def me_payload(user: User) -> dict[str, Any]:
    membership = membership_for(user)
    organisation = None
    if membership is not None:
        if membership.company is not None:
            organisation = {
                "kind": "company",
                "id": membership.company.pk,
                "name": membership.company.name,
                "partner": None,
            }
        elif (establishment := membership.establishment) is not None:
            organisation = {
                "kind": "partner_establishment",
                "id": establishment.pk,
                "name": establishment.name,
                "partner": establishment.partner.name,
            }
    active = membership is not None and membership.is_active
    company = membership.company if membership is not None else None
    is_manager = active and membership is not None and membership.is_manager and company is not None
    clients = (
        list(company_ids_visible_to(user).values_list("pk", flat=True))
        if membership is not None and membership.is_partner
        else []
    )
    # The rule every customer-side write applies: for the own company, or for some served client.
    can_open = user.is_staff or (
        acting_for_company_refusal(user=user, company=company) is None
        if company is not None
        else active and bool(clients)
    )
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "email": user.email,
        "language": user.language or (company.language if company else "en"),
        "organisation": organisation,
        "role": membership.role if membership else None,
        "status": membership.status if membership else None,
        "permissions": {
            "can_open_cases": bool(can_open),
            "can_manage_members": bool(is_manager or user.is_support_manager),
            "can_decide_authorization_requests": bool(is_manager or user.is_support_manager),
            "is_support_staff": user.is_staff,
            "is_support_manager": user.is_support_manager,
        },
        "client_companies": clients,
    }


class MeApi(APIView):
    """Who am I: my organisation, my role and what I may do."""

    @extend_schema(operation_id="me", summary="Who am I", responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(me_payload(_user(request))).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="companies_list",
        summary="List companies I may see",
        parameters=[PartnerScopeQuerySerializer],
        extensions=raises("invalid_scope"),
    )
)
class CompanyListApi(generics.ListAPIView):
    """Companies I may see: my own; for partners, the clients served (``scope=partner``: every establishment)."""

    serializer_class = CompanyOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[Company]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no selector
            return Company.objects.none()
        return company_list_for_user(user=_user(self.request), scope=partner_scope_from(self.request))


class CompanyDetailApi(APIView):
    @extend_schema(
        operation_id="companies_retrieve",
        summary="Read a company",
        description="A company the caller may see (another company's id answers 404, as a missing one).",
        responses=CompanyOutputSerializer,
    )
    def get(self, request: Request, company_id: int) -> Response:
        company = company_get_for_user(user=_user(request), company_id=company_id)
        return Response(CompanyOutputSerializer(company).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="company_members_list",
        summary="List a company's members",
        extensions=raises("not_company_manager"),
    )
)
class CompanyMemberListApi(generics.ListAPIView):
    """The company's people, for its managers (and support managers)."""

    serializer_class = MembershipOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        user = _user(self.request)
        company = company_get_for_user(user=user, company_id=self.kwargs["company_id"])
        return membership_list_for_company(user=user, company=company)


class CompanyMemberDetailApi(APIView):
    @extend_schema(
        operation_id="company_members_update",
        summary="Change a member's role or status",
        extensions=raises("not_company_manager", "last_manager", "not_a_company_member"),
        request=MembershipUpdateInputSerializer,
        responses=MembershipOutputSerializer,
        description="Grant or remove a role (member, dsu, manager), validate a pending user (status=active), "
        "or disable one. Managers of the company only. Refusals: `not_company_manager`, `last_manager`.",
    )
    def patch(self, request: Request, company_id: int, user_id: int) -> Response:
        user = _user(request)
        company = company_get_for_user(user=user, company_id=company_id)
        membership_list_for_company(user=user, company=company)  # the manager check, before revealing members
        membership = get_object_or_404(
            Membership.objects.select_related("company"), company=company, user_id=user_id
        )
        data = MembershipUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_update(actor=user, membership=membership, **data.validated_data)
        return Response(MembershipOutputSerializer(membership).data)


class AuthorizationRequestDetailApi(APIView):
    @extend_schema(
        operation_id="authorization_requests_retrieve",
        summary="Read an authorisation request",
        description="One request the caller may see: their company's (managers), or one they raised or "
        "that is about them.",
        responses=AuthorizationRequestOutputSerializer,
    )
    def get(self, request: Request, request_id: int) -> Response:
        found = authorization_request_get_for_user(user=_user(request), request_id=request_id)
        return Response(AuthorizationRequestOutputSerializer(found).data)


class _AuthorizationRequestDecisionApi(APIView):
    approve: bool

    def post(self, request: Request, request_id: int) -> Response:
        user = _user(request)
        found = authorization_request_get_for_user(user=user, request_id=request_id)
        data = AuthorizationRequestDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = authorization_request_decide(
            request=found, decided_by=user, approve=self.approve, reason=data.validated_data.get("reason", "")
        )
        return Response(AuthorizationRequestOutputSerializer(decided).data)


_DECISION_ERRORS = (
    "not_company_manager",
    "manager_email_off_domain",
    "request_not_pending",
    "request_expired",
)
_DECISION_REFUSALS = (
    "Only a manager of the company, writing from an address on the company's domains, decides. Refusals: "
    "`not_company_manager`, `manager_email_off_domain`, `request_not_pending`, `request_expired`."
)


class AuthorizationRequestApproveApi(_AuthorizationRequestDecisionApi):
    approve = True

    @extend_schema(
        operation_id="authorization_requests_approve",
        summary="Approve an authorisation request",
        extensions=raises(*_DECISION_ERRORS),
        request=AuthorizationRequestDecisionInputSerializer,
        responses=AuthorizationRequestOutputSerializer,
        description="Approve and apply the change. " + _DECISION_REFUSALS,
    )
    def post(self, request: Request, request_id: int) -> Response:
        return super().post(request, request_id)


class AuthorizationRequestRejectApi(_AuthorizationRequestDecisionApi):
    approve = False

    @extend_schema(
        operation_id="authorization_requests_reject",
        summary="Reject an authorisation request",
        extensions=raises(*_DECISION_ERRORS),
        request=AuthorizationRequestDecisionInputSerializer,
        responses=AuthorizationRequestOutputSerializer,
        description="Reject; nothing changes for the user. " + _DECISION_REFUSALS,
    )
    def post(self, request: Request, request_id: int) -> Response:
        return super().post(request, request_id)


class PasswordResetConfirmApi(APIView):
    """Set a new password with the uid and token from an authorised reset e-mail."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        summary="Set a new password from a reset e-mail",
        request=PasswordResetConfirmInputSerializer,
        responses={204: None},
        parameters=[
            OpenApiParameter("uid", str, required=False),
            OpenApiParameter("token", str, required=False),
        ],
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_confirm(
            user=data.validated_data["user"], new_password=data.validated_data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (``Authorization: Token <key>``)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        request=TokenObtainInputSerializer,
        responses={200: TokenObtainOutputSerializer},
        description="A new token, valid for `API_TOKEN_TTL_HOURS` (not extended by use): send it as "
        "`Authorization: Token <token>`. Each call issues another; a user keeps the newest "
        "`API_TOKENS_PER_USER`. A wrong username or password, or a deactivated account, is 400 `invalid` "
        "(`errors.non_field_errors` code `authorization`), all alike; too many failed logins for the "
        "username or from the address lock it (429 `login_locked`, the right password included, with "
        "`Retry-After`).",
        extensions=raises("login_locked"),
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = credentials_authenticate(request=request._request, **data.validated_data)
        token, secret = api_token_create(user=user)
        return Response(TokenObtainOutputSerializer({"token": secret, "expiry": token.expiry}).data)


class ApiTokenListApi(APIView):
    """The caller's own API tokens: list them, or revoke them all."""

    @extend_schema(
        operation_id="auth_tokens_list",
        summary="List my API tokens",
        description="The caller's live tokens (never their secrets); `current` marks the one of this request.",
        responses={200: ApiTokenOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        tokens = api_token_list_for_user(user=_user(request), current=request.auth)
        return Response(ApiTokenOutputSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="auth_tokens_revoke_all",
        summary="Revoke all my API tokens",
        responses={204: None},
        description="Revoke every token of the caller, the one of this request included.",
    )
    def delete(self, request: Request) -> Response:
        api_tokens_revoke_all(user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenDetailApi(APIView):
    @extend_schema(
        operation_id="auth_tokens_revoke",
        summary="Revoke one of my API tokens",
        responses={204: None},
        description="Revoke one of the caller's tokens, by the `id` the list shows.",
    )
    def delete(self, request: Request, token_id: str) -> Response:
        api_token_revoke(user=_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
