"""The support managers' dashboard: every report for one set of filters, as charts and small tables.

The numbers are the API's (the same selectors); this module only arranges them for the template
``admin/reports/dashboard.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.models import Company, Product, User
from cases.models import CaseStatus, Priority
from reports import charts
from reports.charts import Series
from reports.selectors import (
    AGE_BUCKETS,
    REPORTED_METRICS,
    ReportFilters,
    analyst_load_report,
    backlog_report,
    escalation_report,
    reopen_report,
    response_times_report,
    satisfaction_comment_list,
    satisfaction_report,
    sla_attainment_report,
    week_label,
)

METRIC_NAMES = {"first_response": "First response", "resolution": "Resolution"}
# Comments shown on the dashboard; the CSV has every one.
DASHBOARD_COMMENTS = 10
# Analysts charted, busiest first; the CSV has every one.
DASHBOARD_ANALYSTS = 15


class DashboardFilterForm(forms.Form):
    """The reports' filters as a form (the API's parameter names, so the CSV links reuse them)."""

    company = forms.ModelChoiceField(
        queryset=Company.objects.order_by("name").only("name"), required=False, empty_label="All companies"
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("name").only("name", "code"),
        to_field_name="code",
        required=False,
        empty_label="All products",
    )
    priority = forms.MultipleChoiceField(
        choices=Priority.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    analyst = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True)
        .order_by("username")
        .only("username", "first_name", "last_name"),
        required=False,
        empty_label="All analysts",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: these two cannot be class attributes.
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields = {
            "from": forms.DateField(required=False, label="From", widget=date_input),
            "to": forms.DateField(required=False, label="To", widget=date_input),
            **self.fields,
        }


def filters_query(filters: ReportFilters) -> str:
    """``filters`` as the API's query string (for the CSV links)."""
    params: list[tuple[str, str | int]] = [
        ("from", filters.start.isoformat()),
        ("to", filters.end.isoformat()),
    ]
    if filters.company is not None:
        params.append(("company", filters.company.pk))
    if filters.product is not None:
        params.append(("product", filters.product.code))
    params.extend(("priority", priority) for priority in filters.priorities)
    if filters.analyst is not None:
        params.append(("analyst", filters.analyst.pk))
    return urlencode(params)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    charts: list[SafeString]
    legend: list[tuple[str, str]]  # (series code, name)
    csv_url: str
    summary: list[tuple[str, str]]  # (label, value) shown under the charts


def _csv(name: str, query: str) -> str:
    return f"{reverse(f'report-{name}-csv')}?{query}"


def _week_names(mondays: list[date]) -> list[str]:
    return [week_label(monday) for monday in mondays]


def _week_axis(mondays: list[date]) -> list[str]:
    """Under the bars: ``W23`` (the full name is in each mark's data and tooltip)."""
    return [f"W{monday.isocalendar().week:02d}" for monday in mondays]


SHORT_STATUS: dict[str, str] = {
    CaseStatus.OPEN: "Open",
    CaseStatus.IN_PROGRESS: "In progress",
    CaseStatus.PENDING_RELEASE: "Pending release",
    CaseStatus.PENDING_ENGINEERING: "Engineering",
    CaseStatus.PENDING_CUSTOMER: "Customer",
    CaseStatus.VERIFY_RESOLUTION: "Verify",
}


def _fmt(value: float | None, fmt: charts.Format) -> str:
    return "—" if value is None else fmt(value)


def dashboard_sections(*, filters: ReportFilters) -> list[Section]:
    """Every report for ``filters``, charted. Each report is read once (the selectors' queries)."""
    query = filters_query(filters)
    weeks = filters.weeks()
    categories = _week_names(weeks)
    axis = _week_axis(weeks)
    sections = []

    attainment = sla_attainment_report(filters=filters)
    by_week = {(w.week, w.metric): w.attainment for w in attainment.weeks}
    sections.append(
        Section(
            key="sla",
            title="SLA attainment by week",
            charts=[
                charts.line_chart(
                    chart_id="chart-sla",
                    title="Share of SLA targets met, by ISO week of the decision",
                    categories=categories,
                    axis_labels=axis,
                    series=[
                        Series(METRIC_NAMES[m], m, [by_week[monday, m] for monday in weeks])
                        for m in REPORTED_METRICS
                    ],
                )
            ],
            legend=[(m, METRIC_NAMES[m]) for m in REPORTED_METRICS],
            csv_url=_csv("sla-attainment", query),
            summary=[
                (
                    f"{METRIC_NAMES[t.metric]}: met / missed",
                    f"{t.met} / {t.breached} ({_fmt(t.attainment, charts.percent)})",
                )
                for t in attainment.totals
            ],
        )
    )

    times = response_times_report(filters=filters)
    priority_names = [*Priority.values, "All"]
    rows = {(r.metric, r.priority or "All"): r for r in times.rows}
    sections.append(
        Section(
            key="times",
            title="First response and resolution times (business hours)",
            charts=[
                charts.bar_chart(
                    chart_id=f"chart-times-{metric}",
                    title=f"{METRIC_NAMES[metric]}: p50 and p90 business time by priority",
                    categories=[f"{METRIC_NAMES[metric]} {p}" for p in priority_names],
                    series=[
                        Series("p50", "p50", [rows[metric, p].p50_seconds for p in priority_names]),
                        Series("p90", "p90", [rows[metric, p].p90_seconds for p in priority_names]),
                    ],
                    fmt=charts.hours,
                )
                for metric in REPORTED_METRICS
            ],
            legend=[("p50", "p50 (median)"), ("p90", "p90")],
            csv_url=_csv("response-times", query),
            summary=[
                (f"{METRIC_NAMES[metric]}: timers stopped", charts.count(rows[metric, "All"].count))
                for metric in REPORTED_METRICS
            ],
        )
    )

    backlog = backlog_report(filters=filters)
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    sections.append(
        Section(
            key="backlog",
            title=f"Backlog now ({backlog.total:,} cases not closed)",
            charts=[
                charts.column_chart(
                    chart_id="chart-backlog",
                    title="Cases not closed, by status and age",
                    categories=[statuses[row.status] for row in backlog.rows],
                    axis_labels=[SHORT_STATUS[row.status] for row in backlog.rows],
                    series=[
                        Series(b.label, f"age-{b.code}", [row.counts[b.code] for row in backlog.rows])
                        for b in AGE_BUCKETS
                    ],
                    stacked=True,
                )
            ],
            legend=[(f"age-{b.code}", b.label) for b in AGE_BUCKETS],
            csv_url=_csv("backlog", query),
            summary=[("As of", f"{backlog.as_of:%Y-%m-%d %H:%M} UTC")],
        )
    )

    reopens = reopen_report(filters=filters)
    sections.append(
        Section(
            key="reopens",
            title="Closings and reopens",
            charts=[
                charts.column_chart(
                    chart_id="chart-reopens",
                    axis_labels=axis,
                    title="Closings by ISO week, and how many were reopened since",
                    categories=categories,
                    series=[
                        Series("Closed", "closed", [w.closed for w in reopens.weeks]),
                        Series("Reopened since", "reopened", [w.reopened for w in reopens.weeks]),
                    ],
                )
            ],
            legend=[("closed", "Closed"), ("reopened", "Reopened since")],
            csv_url=_csv("reopens", query),
            summary=[
                (
                    "Reopen rate",
                    f"{reopens.total.reopened} of {reopens.total.closed} ({_fmt(reopens.total.reopen_rate, charts.percent)})",
                )
            ],
        )
    )

    escalations = escalation_report(filters=filters)
    decisions = [("accepted", "Accepted"), ("declined", "Declined"), ("pending", "Pending")]
    sections.append(
        Section(
            key="escalations",
            title="Escalation requests",
            charts=[
                charts.column_chart(
                    chart_id="chart-escalations",
                    axis_labels=axis,
                    title="Escalation requests by ISO week and decision",
                    categories=categories,
                    series=[
                        Series(name, code, [getattr(w, code) for w in escalations.weeks])
                        for code, name in decisions
                    ],
                    stacked=True,
                )
            ],
            legend=decisions,
            csv_url=_csv("escalations", query),
            summary=[("Requests / cases", f"{escalations.total.requested} / {escalations.cases}")],
        )
    )

    satisfaction = satisfaction_report(filters=filters)
    sections.append(
        Section(
            key="satisfaction",
            title="Satisfaction",
            charts=[
                charts.column_chart(
                    chart_id="chart-satisfaction",
                    axis_labels=axis,
                    title="Survey answers by ISO week: good and bad",
                    categories=categories,
                    series=[
                        Series("Good", "good", [w.good for w in satisfaction.weeks]),
                        Series("Bad", "bad", [w.bad for w in satisfaction.weeks]),
                    ],
                    stacked=True,
                )
            ],
            legend=[("good", "Good"), ("bad", "Bad")],
            csv_url=_csv("satisfaction", query),
            summary=[
                ("Satisfaction (good / answered)", _fmt(satisfaction.total.satisfaction, charts.percent)),
                ("Surveys answered / sent", f"{satisfaction.answered} / {satisfaction.sent}"),
            ],
        )
    )

    load = analyst_load_report(filters=filters)
    busiest = load.rows[:DASHBOARD_ANALYSTS]
    sections.append(
        Section(
            key="load",
            title="Analyst load",
            charts=[
                charts.bar_chart(
                    chart_id="chart-load-open",
                    title="Open cases assigned now, by analyst",
                    categories=[str(row.analyst) for row in busiest],
                    series=[Series("Open cases", "open", [row.open_cases for row in busiest])],
                ),
                charts.bar_chart(
                    chart_id="chart-load-replies",
                    title="Public replies per day in the period, by analyst",
                    categories=[str(row.analyst) for row in busiest],
                    series=[Series("Replies per day", "replies", [row.replies_per_day for row in busiest])],
                    fmt=charts.per_day,
                ),
            ],
            legend=[("open", "Open cases"), ("replies", "Replies per day")],
            csv_url=_csv("analyst-load", query),
            summary=[("Analysts", str(len(load.rows)))],
        )
    )
    return sections


def dashboard_comments(*, filters: ReportFilters) -> list[Any]:
    return list(satisfaction_comment_list(filters=filters)[:DASHBOARD_COMMENTS])


def dashboard_comments_csv(filters: ReportFilters) -> str:
    return _csv("satisfaction-comments", filters_query(filters))


def dashboard_cases_csv(filters: ReportFilters) -> str:
    """The case list's CSV for the same cases (the list's own parameter names)."""
    params: list[tuple[str, str | int]] = [
        ("created_after", f"{filters.start.isoformat()}T00:00:00Z"),
        ("created_before", filters.until.isoformat().replace("+00:00", "Z")),
    ]
    if filters.company is not None:
        params.append(("company", filters.company.pk))
    if filters.product is not None:
        params.append(("product", filters.product.code))
    params.extend(("priority", priority) for priority in filters.priorities)
    if filters.analyst is not None:
        params.append(("assignee", filters.analyst.pk))
    return f"{reverse('report-cases-csv')}?{urlencode(params)}"
