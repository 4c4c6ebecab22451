from django.urls import path

from cases.api import authorization_requests, search, views

urlpatterns = [
    path(
        "authorization-requests/",
        authorization_requests.AuthorizationRequestListApi.as_view(),
        name="authorization-request-list",
    ),
    path("cases/", views.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/search/", search.CaseSearchApi.as_view(), name="case-search"),
    path("cases/<id:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<id:case_id>/transitions/", views.CaseTransitionApi.as_view(), name="case-transition"),
    path("cases/<id:case_id>/follow/", views.CaseFollowApi.as_view(), name="case-follow"),
    path("cases/<id:case_id>/comments/", views.CaseCommentListCreateApi.as_view(), name="case-comments"),
    path(
        "cases/<id:case_id>/comments/<id:comment_id>/",
        views.CaseCommentDetailApi.as_view(),
        name="case-comment",
    ),
    path(
        "cases/<id:case_id>/attachments/",
        views.CaseAttachmentListCreateApi.as_view(),
        name="case-attachments",
    ),
    path(
        "cases/<id:case_id>/attachments/<id:attachment_id>/download/",
        views.AttachmentDownloadApi.as_view(),
        name="case-attachment-download",
    ),
    path("cases/<id:case_id>/events/", views.CaseEventListApi.as_view(), name="case-events"),
    path(
        "cases/<id:case_id>/escalations/",
        views.CaseEscalationListCreateApi.as_view(),
        name="case-escalations",
    ),
    path(
        "cases/<id:case_id>/escalations/<id:escalation_id>/",
        views.CaseEscalationDetailApi.as_view(),
        name="case-escalation",
    ),
    path(
        "cases/<id:case_id>/escalations/<id:escalation_id>/accept/",
        views.EscalationAcceptApi.as_view(),
        name="case-escalation-accept",
    ),
    path(
        "cases/<id:case_id>/escalations/<id:escalation_id>/decline/",
        views.EscalationDeclineApi.as_view(),
        name="case-escalation-decline",
    ),
    path("cases/<id:case_id>/priority/", views.CasePriorityApi.as_view(), name="case-priority"),
    path("cases/<id:case_id>/assign/", views.CaseAssignApi.as_view(), name="case-assign"),
    path("catalog/case-reasons/", views.CaseReasonListApi.as_view(), name="catalog-case-reasons"),
    path(
        "catalog/application-areas/", views.ApplicationAreaListApi.as_view(), name="catalog-application-areas"
    ),
    path(
        "catalog/out-of-scope-reasons/", views.OutOfScopeReasonListApi.as_view(), name="catalog-out-of-scope"
    ),
    path("catalog/products/", views.ProductListApi.as_view(), name="catalog-products"),
]
