"""Reports for support managers (every company) and customer company managers (their own), as JSON
and as streamed CSV; and the case list as CSV for anyone who may read it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, renderers, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import partner_scope_from
from accounts.models import User
from cases.api.filters import CaseFilter
from cases.api.views import CaseListCreateApi
from cases.models import Case
from cases.selectors import case_list_for_user
from core.api.filters import FilterBackend
from core.errors import ValidationFailed
from core.pagination import CursorPagination
from core.schema import raises
from reports import exports
from reports.api.serializers import (
    FILTER_PARAMETERS,
    AnalystLoadReportOutputSerializer,
    BacklogReportOutputSerializer,
    EscalationReportOutputSerializer,
    ReopenReportOutputSerializer,
    ReportFilterInputSerializer,
    ResponseTimesReportOutputSerializer,
    SatisfactionCommentOutputSerializer,
    SatisfactionReportOutputSerializer,
    SlaAttainmentReportOutputSerializer,
)
from reports.errors import REPORT_ERRORS
from reports.selectors import (
    ReportFilters,
    analyst_load_report,
    backlog_report,
    escalation_report,
    reopen_report,
    report_company_for_user,
    report_filters_resolve,
    report_queries,
    response_times_report,
    satisfaction_comment_list,
    satisfaction_report,
    sla_attainment_report,
)

# Rows fetched per round trip while a CSV streams (a server-side cursor on PostgreSQL).
CSV_FETCH_ROWS = 2000

# The filters (``ReportFilterInputSerializer``'s fields); ``format`` is DRF's renderer override,
# which these views do not need documented: the path says JSON or CSV.
REPORT_PARAMETERS: list[Any] = [ReportFilterInputSerializer, OpenApiParameter("format", exclude=True)]
CSV_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.STR, description="CSV (UTF-8, a header row first), streamed as an attachment."
)
CSV_DESCRIPTION = (
    "Streamed as `text/csv` (UTF-8, a header row first; text that could start a spreadsheet formula "
    "gets a leading `'`), named in `Content-Disposition`. A refusal is the API's JSON error."
)
CSV_HEADERS = [
    OpenApiParameter(
        "Content-Disposition",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        required=True,
        description='`attachment; filename="…csv"`: the file\'s name.',
    )
]


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def report_filters_from(
    request: Request | HttpRequest, user: User, *, allowed: frozenset[str]
) -> ReportFilters:
    """The report's filters from the query string, in the order the refusals are told: who asks
    (403), a parameter no report knows (400), the values' shapes (400), the company (404), the period."""
    report_company_for_user(user=user)
    params = request.query_params if isinstance(request, Request) else request.GET
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationFailed(
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(unknown)},
            code="unknown_parameter",
            extra={"allowed": sorted(allowed)},
        )
    data = ReportFilterInputSerializer(data=params)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    analyst = None
    if "analyst" in values:
        analyst = User.objects.filter(pk=values["analyst"], is_staff=True).first()
        if analyst is None:
            raise serializers.ValidationError(
                {
                    "analyst": [
                        serializers.ErrorDetail(_("No support analyst has this id."), code="does_not_exist")
                    ]
                }
            )
    return report_filters_resolve(
        user=user,
        start=values.get("from"),
        end=values.get("to"),
        company_id=values.get("company"),
        product=values.get("product"),
        priorities=tuple(values.get("priority", ())),
        analyst=analyst,
    )


class CsvRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``text/csv`` (``Accept`` or ``?format=csv``); the CSV views answer with
    a streamed response, so this renders nothing itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        raise NotImplementedError("CSV views stream their own response.")


class _CsvApi(APIView):
    """Answers CSV when it succeeds; a refusal is the API's JSON error whatever the client accepts."""

    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class _ReportApi(APIView):
    """One report as JSON: ``compute`` is its selector, ``output`` its serializer."""

    allowed_parameters: ClassVar[frozenset[str]] = FILTER_PARAMETERS
    compute: ClassVar[Callable[..., Any]]
    output: ClassVar[type[serializers.Serializer]]

    def get(self, request: Request) -> Response:
        user = _user(request)
        filters = report_filters_from(request, user, allowed=self.allowed_parameters)
        with report_queries():
            report = type(self).compute(filters=filters)
        return Response(self.output(report).data)


class _ReportCsvApi(_CsvApi):
    """One report as CSV: ``compute`` is its selector, ``table`` its rows, ``name`` the file's name."""

    allowed_parameters: ClassVar[frozenset[str]] = FILTER_PARAMETERS
    name: ClassVar[str]
    compute: ClassVar[Callable[..., Any]]
    table: ClassVar[Callable[..., exports.Table]]

    def get(self, request: Request) -> Any:
        user = _user(request)
        filters = report_filters_from(request, user, allowed=self.allowed_parameters)
        with report_queries():
            report = type(self).compute(filters=filters)
        return exports.csv_response(exports.report_filename(self.name, filters), type(self).table(report))


def _json(operation_id: str, summary: str, output: type[serializers.Serializer], description: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=summary,
            parameters=REPORT_PARAMETERS,
            responses={200: output},
            description=description,
            extensions=raises(*REPORT_ERRORS),
        )
    )


def _csv(operation_id: str, summary: str, description: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=f"{summary} as CSV",
            parameters=[*REPORT_PARAMETERS, *CSV_HEADERS],
            responses={(200, "text/csv"): CSV_RESPONSE},
            description=f"{description} {CSV_DESCRIPTION}",
            extensions=raises(*REPORT_ERRORS),
        )
    )


SLA_ATTAINMENT = (
    "SLA targets met and missed (first response, resolution) by ISO week (UTC) of the decision × plan "
    "tier × priority × metric; `attainment` = met / (met + breached)."
)
RESPONSE_TIMES = (
    "p50 and p90 business time (seconds, in each timer's calendar and the company's zone) to the first "
    "public reply and to resolution, over the timers that stopped in the period; per priority and for all."
)
BACKLOG = "Cases not closed, now, by status and age since opening (the period does not apply; filters do)."
REOPENS = (
    "Closings in the period by ISO week, and how many of them were reopened since: `reopen_rate` = "
    "reopened / closed."
)
ESCALATIONS = "Escalation requests made in the period by ISO week, by the support managers' decision."
SATISFACTION = (
    "Survey answers by ISO week of the answer: good, bad, `satisfaction` = good / (good + bad), with a "
    "comment; and the response rate of the surveys sent in the period."
)
SATISFACTION_COMMENTS = "Survey answers with a comment given in the period, newest first."
ANALYST_LOAD = (
    "Per analyst: cases assigned and not closed (now), and public replies in the period per calendar day."
)


@_json("reports_sla_attainment", "SLA attainment report", SlaAttainmentReportOutputSerializer, SLA_ATTAINMENT)
class SlaAttainmentReportApi(_ReportApi):
    compute = staticmethod(sla_attainment_report)
    output = SlaAttainmentReportOutputSerializer


@_csv("reports_sla_attainment_csv", "SLA attainment report", SLA_ATTAINMENT)
class SlaAttainmentCsvApi(_ReportCsvApi):
    name = "sla-attainment"
    compute = staticmethod(sla_attainment_report)
    table = staticmethod(exports.sla_attainment_table)


@_json("reports_response_times", "Response times report", ResponseTimesReportOutputSerializer, RESPONSE_TIMES)
class ResponseTimesReportApi(_ReportApi):
    compute = staticmethod(response_times_report)
    output = ResponseTimesReportOutputSerializer


@_csv("reports_response_times_csv", "Response times report", RESPONSE_TIMES)
class ResponseTimesCsvApi(_ReportCsvApi):
    name = "response-times"
    compute = staticmethod(response_times_report)
    table = staticmethod(exports.response_times_table)


@_json("reports_backlog", "Backlog report", BacklogReportOutputSerializer, BACKLOG)
class BacklogReportApi(_ReportApi):
    compute = staticmethod(backlog_report)
    output = BacklogReportOutputSerializer


@_csv("reports_backlog_csv", "Backlog report", BACKLOG)
class BacklogCsvApi(_ReportCsvApi):
    name = "backlog"
    compute = staticmethod(backlog_report)
    table = staticmethod(exports.backlog_table)


@_json("reports_reopens", "Reopenings report", ReopenReportOutputSerializer, REOPENS)
class ReopenReportApi(_ReportApi):
    compute = staticmethod(reopen_report)
    output = ReopenReportOutputSerializer


@_csv("reports_reopens_csv", "Reopenings report", REOPENS)
class ReopenCsvApi(_ReportCsvApi):
    name = "reopens"
    compute = staticmethod(reopen_report)
    table = staticmethod(exports.reopen_table)


@_json("reports_escalations", "Escalations report", EscalationReportOutputSerializer, ESCALATIONS)
class EscalationReportApi(_ReportApi):
    compute = staticmethod(escalation_report)
    output = EscalationReportOutputSerializer


@_csv("reports_escalations_csv", "Escalations report", ESCALATIONS)
class EscalationCsvApi(_ReportCsvApi):
    name = "escalations"
    compute = staticmethod(escalation_report)
    table = staticmethod(exports.escalation_table)


@_json("reports_satisfaction", "Satisfaction report", SatisfactionReportOutputSerializer, SATISFACTION)
class SatisfactionReportApi(_ReportApi):
    compute = staticmethod(satisfaction_report)
    output = SatisfactionReportOutputSerializer


@_csv("reports_satisfaction_csv", "Satisfaction report", SATISFACTION)
class SatisfactionCsvApi(_ReportCsvApi):
    name = "satisfaction"
    compute = staticmethod(satisfaction_report)
    table = staticmethod(exports.satisfaction_table)


@_json("reports_analyst_load", "Analyst load report", AnalystLoadReportOutputSerializer, ANALYST_LOAD)
class AnalystLoadReportApi(_ReportApi):
    compute = staticmethod(analyst_load_report)
    output = AnalystLoadReportOutputSerializer


@_csv("reports_analyst_load_csv", "Analyst load report", ANALYST_LOAD)
class AnalystLoadCsvApi(_ReportCsvApi):
    name = "analyst-load"
    compute = staticmethod(analyst_load_report)
    table = staticmethod(exports.analyst_load_table)


class SatisfactionCommentPagination(CursorPagination):
    ordering = ("-answered_at", "-id")


@extend_schema_view(
    get=extend_schema(
        operation_id="reports_satisfaction_comments",
        summary="List satisfaction comments",
        parameters=REPORT_PARAMETERS,
        responses={200: SatisfactionCommentOutputSerializer(many=True)},
        description=f"{SATISFACTION_COMMENTS} In cursor pages: follow `next` and `previous` as they are.",
        extensions=raises(*REPORT_ERRORS),
    )
)
class SatisfactionCommentListApi(generics.ListAPIView):
    serializer_class = SatisfactionCommentOutputSerializer
    pagination_class = SatisfactionCommentPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        allowed = FILTER_PARAMETERS | {"cursor", "page_size"}
        filters = report_filters_from(self.request, _user(self.request), allowed=allowed)
        return satisfaction_comment_list(filters=filters)


@_csv("reports_satisfaction_comments_csv", "Satisfaction comments", SATISFACTION_COMMENTS)
class SatisfactionCommentCsvApi(_CsvApi):
    def get(self, request: Request) -> Any:
        filters = report_filters_from(request, _user(request), allowed=FILTER_PARAMETERS)
        surveys = satisfaction_comment_list(filters=filters).iterator(chunk_size=CSV_FETCH_ROWS)
        return exports.csv_response(
            exports.report_filename("satisfaction-comments", filters),
            exports.satisfaction_comments_table(surveys),
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="reports_cases_csv",
        summary="Export cases as CSV",
        parameters=[
            OpenApiParameter(
                "scope",
                str,
                enum=["establishment", "partner"],
                description="Partner users: how wide to look.",
            ),
            OpenApiParameter("format", exclude=True),
            *CSV_HEADERS,
        ],
        responses={(200, "text/csv"): CSV_RESPONSE},
        description="The case list as CSV: the filters, ordering and visibility of `GET /api/v1/cases/`, "
        f"every matching case in one file. {CSV_DESCRIPTION}",
        extensions=raises("invalid_scope", "invalid", "invalid_ordering"),
    )
)
class CaseCsvApi(_CsvApi, generics.ListAPIView):
    pagination_class = None
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = CaseListCreateApi.ordering_fields
    ordering = CaseListCreateApi.ordering

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        blank = sorted(name for name, value in self.request.query_params.items() if value == "")
        if blank:  # as the list: an empty filter is a client bug, not "no filter"
            raise ValidationFailed(
                _("Empty query parameters: %(names)s.") % {"names": ", ".join(blank)}, code="invalid"
            )
        return case_list_for_user(user=_user(self.request), scope=partner_scope_from(self.request))

    def get(self, request: Request) -> Any:
        cases = self.filter_queryset(self.get_queryset())
        rows = cases.values_list(*exports.CASE_COLUMNS).iterator(chunk_size=CSV_FETCH_ROWS)
        filename = f"cases-{timezone.now():%Y-%m-%dT%H%MZ}.csv"
        return exports.csv_response(filename, exports.case_table(rows))
