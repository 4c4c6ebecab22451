from django.urls import path, register_converter
from knox.settings import CONSTANTS

from accounts.api import views


class TokenIdConverter:
    """A token's id: its first characters (knox's ``token_key``), lowercase hex."""

    regex = f"[0-9a-f]{{{CONSTANTS.TOKEN_KEY_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenIdConverter, "token_id")

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/tokens/", views.ApiTokenListApi.as_view(), name="auth-token-list"),
    path("auth/tokens/<token_id:token_id>/", views.ApiTokenDetailApi.as_view(), name="auth-token-detail"),
    path("me/", views.MeApi.as_view(), name="me"),
    path(
        "auth/password-reset/confirm/", views.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"
    ),
    path("companies/", views.CompanyListApi.as_view(), name="company-list"),
    path("companies/<id:company_id>/", views.CompanyDetailApi.as_view(), name="company-detail"),
    path(
        "companies/<id:company_id>/members/",
        views.CompanyMemberListApi.as_view(),
        name="company-member-list",
    ),
    path(
        "companies/<id:company_id>/members/<id:user_id>/",
        views.CompanyMemberDetailApi.as_view(),
        name="company-member-detail",
    ),
    path(
        "authorization-requests/<id:request_id>/",
        views.AuthorizationRequestDetailApi.as_view(),
        name="authorization-request-detail",
    ),
    path(
        "authorization-requests/<id:request_id>/approve/",
        views.AuthorizationRequestApproveApi.as_view(),
        name="authorization-request-approve",
    ),
    path(
        "authorization-requests/<id:request_id>/reject/",
        views.AuthorizationRequestRejectApi.as_view(),
        name="authorization-request-reject",
    ),
]
