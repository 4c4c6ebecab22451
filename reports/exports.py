"""CSV: streamed in chunks (constant memory however many rows), safe to open in a spreadsheet.

Text a user wrote (a subject, a company name, a survey comment) could start like a formula; a
spreadsheet would run it (CSV injection). Every text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading ``'``, which spreadsheets show as text. Numbers are
written as numbers, datetimes in ISO 8601 UTC, empty values as empty cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.http import StreamingHttpResponse

from cases.models import WHOSE_MOVE
from reports.selectors import (
    AGE_BUCKETS,
    AnalystLoadReport,
    BacklogReport,
    EscalationReport,
    ReopenReport,
    ReportFilters,
    ResponseTimesReport,
    SatisfactionReport,
    SlaAttainmentReport,
    week_label,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows written before a chunk is handed to the server: big enough to keep the per-chunk overhead
# small, small enough to keep memory flat (a chunk of the case list is ~100 KiB).
ROWS_PER_CHUNK = 500

Table = tuple[Sequence[str], Iterable[Sequence[Any]]]


def csv_cell(value: Any) -> Any:
    """One value as a CSV cell: text that a spreadsheet would read as a formula is escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows``, a chunk of ``ROWS_PER_CHUNK`` rows at a time: rows
    are read from ``rows`` as the client takes the chunks, never all held at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(value) for value in row])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, table: Table) -> StreamingHttpResponse:
    header, rows = table
    response = StreamingHttpResponse(csv_chunks(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def report_filename(name: str, filters: ReportFilters) -> str:
    return f"{name}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"


# --- each report as a table ------------------------------------------------------------------------


def sla_attainment_table(report: SlaAttainmentReport) -> Table:
    header = ("week", "week_start", "tier", "priority", "metric", "met", "breached", "attainment")
    rows = (
        (week_label(c.week), c.week, c.tier, c.priority, c.metric, c.met, c.breached, c.attainment)
        for c in report.cells
    )
    return header, rows


def response_times_table(report: ResponseTimesReport) -> Table:
    header = ("metric", "priority", "count", "p50_seconds", "p90_seconds", "p50_hours", "p90_hours")
    rows = (
        (
            r.metric,
            r.priority or "all",
            r.count,
            r.p50_seconds,
            r.p90_seconds,
            None if r.p50_seconds is None else r.p50_seconds / 3600,
            None if r.p90_seconds is None else r.p90_seconds / 3600,
        )
        for r in report.rows
    )
    return header, rows


def backlog_table(report: BacklogReport) -> Table:
    header = ("status", *(b.code for b in AGE_BUCKETS), "total")
    rows = ((r.status, *(r.counts[b.code] for b in AGE_BUCKETS), r.total) for r in report.rows)
    return header, rows


def reopen_table(report: ReopenReport) -> Table:
    header = ("week", "week_start", "closed", "reopened", "reopen_rate")
    rows = ((week_label(w.week), w.week, w.closed, w.reopened, w.reopen_rate) for w in report.weeks if w.week)
    return header, rows


def escalation_table(report: EscalationReport) -> Table:
    header = ("week", "week_start", "requested", "accepted", "declined", "pending")
    rows = (
        (week_label(w.week), w.week, w.requested, w.accepted, w.declined, w.pending)
        for w in report.weeks
        if w.week
    )
    return header, rows


def satisfaction_table(report: SatisfactionReport) -> Table:
    header = ("week", "week_start", "good", "bad", "satisfaction", "comments")
    rows = (
        (week_label(w.week), w.week, w.good, w.bad, w.satisfaction, w.comments)
        for w in report.weeks
        if w.week
    )
    return header, rows


def satisfaction_comments_table(surveys: Iterable[Any]) -> Table:
    header = ("answered_at", "case", "company", "rating", "comment")
    rows = ((s.answered_at, s.case.number, s.case.company.name, s.rating, s.comment) for s in surveys)
    return header, rows


def analyst_load_table(report: AnalystLoadReport) -> Table:
    header = ("analyst_id", "username", "name", "open_cases", "replies", "replies_per_day")
    rows = (
        (r.analyst.pk, r.analyst.username, str(r.analyst), r.open_cases, r.replies, r.replies_per_day)
        for r in report.rows
    )
    return header, rows


# The case list's columns (what ``GET /api/v1/cases/`` shows, but ``following``), read as tuples.
CASE_COLUMNS = (
    "id",
    "number",
    "subject",
    "company__name",
    "company_id",
    "product_instance__product__name",
    "product_instance__environment",
    "priority",
    "status",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "escalation_level",
    "created_at",
    "updated_at",
)
CASE_HEADER = (
    "id",
    "number",
    "subject",
    "company",
    "company_id",
    "product",
    "environment",
    "priority",
    "status",
    "whose_move",
    "assignee",
    "assignee_username",
    "escalation_level",
    "created_at",
    "updated_at",
)


def case_table(rows: Iterable[tuple[Any, ...]]) -> Table:
    """``rows`` of ``CASE_COLUMNS`` as the case list's CSV."""

    def shaped() -> Iterator[tuple[Any, ...]]:
        for (
            pk,
            number,
            subject,
            company,
            company_id,
            product,
            environment,
            priority,
            status,
            username,
            first_name,
            last_name,
            escalation_level,
            created_at,
            updated_at,
        ) in rows:
            name = f"{first_name or ''} {last_name or ''}".strip() or username
            yield (
                pk,
                number,
                subject,
                company,
                company_id,
                product,
                environment,
                priority,
                status,
                WHOSE_MOVE.get(status, ""),
                name,
                username,
                escalation_level,
                created_at,
                updated_at,
            )

    return CASE_HEADER, shaped()
