from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/sla-attainment/", views.SlaAttainmentReportApi.as_view(), name="report-sla-attainment"),
    path(
        "reports/sla-attainment/csv/", views.SlaAttainmentCsvApi.as_view(), name="report-sla-attainment-csv"
    ),
    path("reports/response-times/", views.ResponseTimesReportApi.as_view(), name="report-response-times"),
    path(
        "reports/response-times/csv/", views.ResponseTimesCsvApi.as_view(), name="report-response-times-csv"
    ),
    path("reports/backlog/", views.BacklogReportApi.as_view(), name="report-backlog"),
    path("reports/backlog/csv/", views.BacklogCsvApi.as_view(), name="report-backlog-csv"),
    path("reports/reopens/", views.ReopenReportApi.as_view(), name="report-reopens"),
    path("reports/reopens/csv/", views.ReopenCsvApi.as_view(), name="report-reopens-csv"),
    path("reports/escalations/", views.EscalationReportApi.as_view(), name="report-escalations"),
    path("reports/escalations/csv/", views.EscalationCsvApi.as_view(), name="report-escalations-csv"),
    path("reports/satisfaction/", views.SatisfactionReportApi.as_view(), name="report-satisfaction"),
    path("reports/satisfaction/csv/", views.SatisfactionCsvApi.as_view(), name="report-satisfaction-csv"),
    path(
        "reports/satisfaction/comments/",
        views.SatisfactionCommentListApi.as_view(),
        name="report-satisfaction-comments",
    ),
    path(
        "reports/satisfaction/comments/csv/",
        views.SatisfactionCommentCsvApi.as_view(),
        name="report-satisfaction-comments-csv",
    ),
    path("reports/analyst-load/", views.AnalystLoadReportApi.as_view(), name="report-analyst-load"),
    path("reports/analyst-load/csv/", views.AnalystLoadCsvApi.as_view(), name="report-analyst-load-csv"),
    path("reports/cases/csv/", views.CaseCsvApi.as_view(), name="report-cases-csv"),
]
