"""Backlog, reopen rate and escalations: reports over the cases, their history and escalation requests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus, EscalationRequest
from reports.models import ReopenSummaryWeek
from reports.selectors.aggregates import ratio, utc_week, week_of
from reports.selectors.scope import ReportFilters
from reports.selectors.summary import in_ranges, summarised_weeks, unsummarised_ranges

OPEN_STATUSES: tuple[str, ...] = tuple(status for status in CaseStatus.values if status != CaseStatus.CLOSED)


@dataclass(frozen=True)
class AgeBucket:
    """Cases at least ``lower`` and less than ``upper`` (None: no limit) old, counted from opening."""

    code: str
    label: str
    lower: timedelta
    upper: timedelta | None


AGE_BUCKETS: tuple[AgeBucket, ...] = (
    AgeBucket("under_1d", "under 1 day", timedelta(0), timedelta(days=1)),
    AgeBucket("1d_3d", "1 to 3 days", timedelta(days=1), timedelta(days=3)),
    AgeBucket("3d_7d", "3 to 7 days", timedelta(days=3), timedelta(days=7)),
    AgeBucket("7d_30d", "7 to 30 days", timedelta(days=7), timedelta(days=30)),
    AgeBucket("30d_plus", "30 days or more", timedelta(days=30), None),
)


@dataclass(frozen=True)
class BacklogRow:
    status: str
    counts: dict[str, int]  # age bucket code → cases

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class BacklogReport:
    filters: ReportFilters
    as_of: datetime
    rows: list[BacklogRow]  # every status but closed, in the state machine's order

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


def backlog_report(*, filters: ReportFilters, now: datetime | None = None) -> BacklogReport:
    """Cases not closed at ``now``, by status and age: a snapshot, so the period does not apply
    (the case filters do). One query, over the open cases' own index (``case_open_report``)."""
    now = now or timezone.now()
    bucket = SqlCase(
        *(When(created_at__gt=now - b.upper, then=Value(b.code)) for b in AGE_BUCKETS if b.upper is not None),
        default=Value(AGE_BUCKETS[-1].code),
    )
    counts = {
        (row["status"], row["bucket"]): row["count"]
        for row in Case.objects.filter(filters.cases())
        .exclude(status=CaseStatus.CLOSED)
        .annotate(bucket=bucket)
        .values("status", "bucket")
        .annotate(count=Count("pk"))
        .order_by()
    }
    rows = [
        BacklogRow(status=status, counts={b.code: counts.get((status, b.code), 0) for b in AGE_BUCKETS})
        for status in OPEN_STATUSES
    ]
    return BacklogReport(filters=filters, as_of=now, rows=rows)


@dataclass(frozen=True)
class ReopenWeek:
    week: date | None  # None: the whole period
    closed: int
    reopened: int

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self.reopened, self.closed)


@dataclass(frozen=True)
class ReopenReport:
    filters: ReportFilters
    weeks: list[ReopenWeek]
    total: ReopenWeek
    as_of: datetime | None = None  # the oldest count of a summarised week read, None: all live


def _reopened_after() -> Exists:
    """The closing (the outer row) is followed by a reopening of its case."""
    return Exists(
        CaseEvent.objects.filter(
            Q(created_at__gt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
            case=OuterRef("case"),
            from_status=CaseStatus.CLOSED,
        )
    )


def reopen_count(*, cases: Q, ranges: Sequence[tuple[datetime, datetime]]) -> dict[date, list[int]]:
    """Closings within ``ranges`` (half-open UTC intervals) of the cases ``cases`` selects, by ISO
    week of the closing, and how many of them were reopened since: ``[closed, reopened]`` per week.

    A closing is every move into ``closed`` (by the customer, out of scope, or automatic). A closed
    case leaves ``closed`` only by reopening, so the first reopening of a case after a closing
    belongs to that closing: a closing was reopened when any reopening of its case follows it. One
    query over the closings in ``ranges`` (``caseevent_closing_time``), each looking for a later
    reopening of its case (``cases_caseevent_case_id``): its cost follows the closings counted."""
    tallies: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    if not ranges:
        return tallies
    for row in (
        CaseEvent.objects.filter(in_ranges("created_at", ranges), to_status=CaseStatus.CLOSED)
        .filter(cases)
        .annotate(week=utc_week("created_at"))
        .values("week")
        .annotate(closed=Count("pk"), reopened=Count("pk", filter=_reopened_after()))
        .order_by()
    ):
        tallies[week_of(row["week"])] = [row["closed"], row["reopened"]]
    return tallies


def reopen_week_count_by_priority(*, since: datetime, until: datetime) -> dict[str, list[int]]:
    """``reopen_count`` from ``since`` to ``until`` for every case, by the case's priority:
    ``[closed, reopened]`` (what the weekly summary stores)."""
    # The priority looked up per closing (a subquery on the case's key): a join would have the
    # planner hash every case for a week's few thousand closings.
    its_priority = Case.objects.filter(pk=OuterRef("case")).values("priority")[:1]
    rows = (
        CaseEvent.objects.filter(to_status=CaseStatus.CLOSED, created_at__gte=since, created_at__lt=until)
        .annotate(priority=Subquery(its_priority))
        .values("priority")
        .annotate(closed=Count("pk"), reopened=Count("pk", filter=_reopened_after()))
        .order_by()
    )
    return {row["priority"]: [row["closed"], row["reopened"]] for row in rows}


def reopen_report(*, filters: ReportFilters) -> ReopenReport:
    """Closings in the period by ISO week of the closing, and how many of them were reopened since
    (``reopen_count``). The complete weeks the summary holds (``summarised_weeks``) are read from
    it, as counted then (``as_of``: the oldest such count); the rest from the history."""
    summarised = summarised_weeks(filters=filters)
    counts = reopen_count(cases=filters.cases("case__"), ranges=unsummarised_ranges(filters, summarised))
    rows = ReopenSummaryWeek.objects.filter(week__in=summarised)
    if filters.priorities:
        rows = rows.filter(priority__in=filters.priorities)
    for row in rows:
        counts[row.week][0] += row.closed
        counts[row.week][1] += row.reopened
    weeks = [ReopenWeek(monday, *counts.get(monday, (0, 0))) for monday in filters.weeks()]
    total = ReopenWeek(None, sum(w.closed for w in weeks), sum(w.reopened for w in weeks))
    return ReopenReport(
        filters=filters, weeks=weeks, total=total, as_of=min(summarised.values(), default=None)
    )


@dataclass(frozen=True)
class EscalationWeek:
    week: date | None  # None: the whole period
    requested: int
    accepted: int
    declined: int
    pending: int


@dataclass(frozen=True)
class EscalationReport:
    filters: ReportFilters
    weeks: list[EscalationWeek]
    total: EscalationWeek
    cases: int  # distinct cases with an escalation request in the period


def escalation_report(*, filters: ReportFilters) -> EscalationReport:
    """Escalation requests made in the period, by ISO week of the request and by what the support
    managers decided (``pending``: not yet). Two queries."""
    Status = EscalationRequest.Status
    requests = EscalationRequest.objects.filter(filters.period("created_at")).filter(filters.cases("case__"))
    counts = {
        week_of(row["week"]): (row["requested"], row["accepted"], row["declined"], row["pending"])
        for row in requests.annotate(week=utc_week("created_at"))
        .values("week")
        .annotate(
            requested=Count("pk"),
            accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
            declined=Count("pk", filter=Q(status=Status.DECLINED)),
            pending=Count("pk", filter=Q(status=Status.PENDING)),
        )
        .order_by()
    }
    weeks = [EscalationWeek(monday, *counts.get(monday, (0, 0, 0, 0))) for monday in filters.weeks()]
    total = EscalationWeek(
        None,
        *(sum(getattr(w, name) for w in weeks) for name in ("requested", "accepted", "declined", "pending")),
    )
    cases = requests.values("case").distinct().count() if total.requested else 0
    return EscalationReport(filters=filters, weeks=weeks, total=total, cases=cases)
