from django.urls import path

from accounts.api import views

urlpatterns = [
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
        "authorization-requests/",
        views.AuthorizationRequestListApi.as_view(),
        name="authorization-request-list",
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
