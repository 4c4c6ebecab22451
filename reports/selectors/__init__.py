"""Reads for the reports: each report is one selector over SQL aggregates (``reports.selectors.*``)."""

from reports.selectors.aggregates import report_queries
from reports.selectors.cases import (
    AGE_BUCKETS,
    OPEN_STATUSES,
    BacklogReport,
    EscalationReport,
    ReopenReport,
    backlog_report,
    escalation_report,
    reopen_report,
)
from reports.selectors.people import (
    AnalystLoadReport,
    SatisfactionReport,
    analyst_load_report,
    satisfaction_comment_list,
    satisfaction_report,
)
from reports.selectors.scope import (
    REPORT_DEFAULT_WEEKS,
    REPORT_PERIOD_MAX_DAYS,
    ReportFilters,
    report_company_for_user,
    report_filters_resolve,
    week_label,
    week_monday,
)
from reports.selectors.sla import (
    REPORTED_METRICS,
    ResponseTimesReport,
    SlaAttainmentReport,
    response_times_report,
    sla_attainment_report,
)

__all__ = [
    "AGE_BUCKETS",
    "OPEN_STATUSES",
    "REPORTED_METRICS",
    "REPORT_DEFAULT_WEEKS",
    "REPORT_PERIOD_MAX_DAYS",
    "AnalystLoadReport",
    "BacklogReport",
    "EscalationReport",
    "ReopenReport",
    "ReportFilters",
    "ResponseTimesReport",
    "SatisfactionReport",
    "SlaAttainmentReport",
    "analyst_load_report",
    "backlog_report",
    "escalation_report",
    "reopen_report",
    "report_company_for_user",
    "report_filters_resolve",
    "report_queries",
    "response_times_report",
    "satisfaction_comment_list",
    "satisfaction_report",
    "sla_attainment_report",
    "week_label",
    "week_monday",
]
