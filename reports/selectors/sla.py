"""SLA attainment, and first-response and resolution times in business time.

Both read ``SlaTimer`` rows. A timer is *decided* when it is met (``met_at``, state ``met``) or
missed (``breached_at``: the due instant, state ``breached``). A timer *stops* when its obligation is
discharged (``met_at``: the first public reply, or the close for resolution), late or not; it then
holds the business time that was left (``remaining_seconds``, negative when late) of its target
(``target_minutes``), so the business time it ran is ``target_minutes × 60 − remaining_seconds``,
counted by ``sla.clock`` in the timer's calendar in the company's zone, and never recomputed here.

Only first response and resolution are reported: the next-update timer is one row per case that
restarts at every public reply, so its earlier cycles leave no record to count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, QuerySet

from accounts.models import PlanTier
from cases.models import Priority
from reports.models import DurationSummaryWeek, SlaAttainmentWeek
from reports.selectors.aggregates import (
    PercentileCont,
    durations_unpack,
    has_percentile_cont,
    percentile_cont_runs,
    ratio,
    utc_week,
    week_of,
)
from reports.selectors.scope import ReportFilters
from reports.selectors.summary import in_ranges, summarised_weeks, unsummarised_ranges
from sla.models import Metric, SlaTimer

REPORTED_METRICS: tuple[str, ...] = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
State = SlaTimer.State

_TIER_ORDER = {tier: n for n, tier in enumerate(PlanTier.values)}
_PRIORITY_ORDER = {priority: n for n, priority in enumerate(Priority.values)}
_METRIC_ORDER = {metric: n for n, metric in enumerate(REPORTED_METRICS)}


@dataclass(frozen=True)
class AttainmentCell:
    """Timers of one metric decided in one week, for one plan tier and priority."""

    week: date
    tier: str
    priority: str
    metric: str
    met: int
    breached: int

    @property
    def attainment(self) -> float | None:
        return ratio(self.met, self.met + self.breached)


@dataclass(frozen=True)
class AttainmentTotal:
    """Timers of one metric decided in a week (``week`` set) or in the whole period (``week`` None)."""

    metric: str
    met: int
    breached: int
    week: date | None = None

    @property
    def attainment(self) -> float | None:
        return ratio(self.met, self.met + self.breached)


@dataclass(frozen=True)
class SlaAttainmentReport:
    filters: ReportFilters
    cells: list[AttainmentCell]
    weeks: list[AttainmentTotal]  # every week of the period × metric, zeros included
    totals: list[AttainmentTotal]  # per metric, over the period
    as_of: datetime | None = None  # the oldest count of a summarised week read, None: all live


Tally = dict[tuple[date, str, str, str], list[int]]  # (week, tier, priority, metric) → [met, breached]


def sla_attainment_count(*, cases: Q, ranges: Sequence[tuple[datetime, datetime]]) -> Tally:
    """Met and missed timers decided within ``ranges`` (half-open UTC intervals) of the cases
    ``cases`` selects, by ISO week of the decision × plan tier × priority × metric. Two queries, met
    and missed, each ranges of its own index (``sla_timer_stopped``, ``sla_timer_breached_at``)."""
    tallies: Tally = defaultdict(lambda: [0, 0])
    if not ranges:
        return tallies
    timers = SlaTimer.objects.filter(metric__in=REPORTED_METRICS).filter(cases)
    decided = {
        State.MET: timers.filter(in_ranges("met_at", ranges), state=State.MET).annotate(
            week=utc_week("met_at")
        ),
        State.BREACHED: timers.filter(in_ranges("breached_at", ranges), state=State.BREACHED).annotate(
            week=utc_week("breached_at")
        ),
    }
    for state, rows in decided.items():
        grouped = rows.values("week", "case__company__plan_tier", "case__priority", "metric").annotate(
            n=Count("pk")
        )
        for row in grouped.order_by():
            key = (
                week_of(row["week"]),
                row["case__company__plan_tier"],
                row["case__priority"],
                row["metric"],
            )
            tallies[key][0 if state == State.MET else 1] += row["n"]
    return tallies


def sla_attainment_report(*, filters: ReportFilters) -> SlaAttainmentReport:
    """Met and missed SLA targets by ISO week (of the decision) × plan tier × priority × metric.
    Tier and priority are the company's and the case's now, or, for the complete weeks read from
    the summary (``summarised_weeks``: not for one company, product or analyst), when the week was
    last counted (``as_of``: the oldest such count)."""
    summarised = summarised_weeks(filters=filters)
    tallies = sla_attainment_count(
        cases=filters.cases("case__"), ranges=unsummarised_ranges(filters, summarised)
    )
    rows = SlaAttainmentWeek.objects.filter(week__in=summarised)
    if filters.priorities:
        rows = rows.filter(priority__in=filters.priorities)
    for row in rows:
        tally = tallies[row.week, row.tier, row.priority, row.metric]
        tally[0] += row.met
        tally[1] += row.breached
    cells = sorted(
        (
            AttainmentCell(week=week, tier=tier, priority=priority, metric=metric, met=met, breached=breached)
            for (week, tier, priority, metric), (met, breached) in tallies.items()
        ),
        key=lambda c: (
            c.week,
            _TIER_ORDER.get(c.tier, 99),
            _PRIORITY_ORDER.get(c.priority, 9),
            _METRIC_ORDER[c.metric],
        ),
    )
    by_week: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    by_metric: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        for tally in (by_week[cell.week, cell.metric], by_metric[cell.metric]):
            tally[0] += cell.met
            tally[1] += cell.breached
    weeks = [
        AttainmentTotal(
            metric=metric, week=monday, met=by_week[monday, metric][0], breached=by_week[monday, metric][1]
        )
        for monday in filters.weeks()
        for metric in REPORTED_METRICS
    ]
    totals = [
        AttainmentTotal(metric=metric, met=by_metric[metric][0], breached=by_metric[metric][1])
        for metric in REPORTED_METRICS
    ]
    return SlaAttainmentReport(
        filters=filters,
        cells=cells,
        weeks=weeks,
        totals=totals,
        as_of=min(summarised.values(), default=None),
    )


@dataclass(frozen=True)
class DurationPercentiles:
    """Business time of the timers of one metric that stopped in the period: for one priority, or for
    all of them (``priority`` None)."""

    metric: str
    priority: str | None
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class ResponseTimesReport:
    filters: ReportFilters
    rows: list[DurationPercentiles]  # per metric: each priority, then all priorities
    as_of: datetime | None = None  # the oldest count of a summarised week read, None: all live


def business_seconds() -> ExpressionWrapper:
    """The business time a stopped timer ran, in seconds."""
    return ExpressionWrapper(F("target_minutes") * 60 - F("remaining_seconds"), output_field=IntegerField())


def _stopped_timers(*, cases: Q, ranges: Sequence[tuple[datetime, datetime]]) -> QuerySet[SlaTimer]:
    return (
        SlaTimer.objects.filter(
            in_ranges("met_at", ranges),
            metric__in=REPORTED_METRICS,
            state__in=(State.MET, State.BREACHED),
            target_minutes__isnull=False,
            remaining_seconds__isnull=False,
        )
        .filter(cases)
        .order_by()
    )


Durations = dict[tuple[str, str], list[int]]  # (metric, priority) → business seconds, ascending


def stopped_durations(*, cases: Q, ranges: Sequence[tuple[datetime, datetime]]) -> Durations:
    """The business seconds of the timers that stopped within ``ranges`` (half-open UTC intervals) on
    the cases ``cases`` selects, by metric × the case's priority, each list sorted ascending. One
    query, or none."""
    durations: Durations = defaultdict(list)
    if not ranges:
        return durations
    ordered = _stopped_timers(cases=cases, ranges=ranges).annotate(seconds=business_seconds())
    for metric, priority, value in ordered.order_by("seconds").values_list(
        "metric", "case__priority", "seconds"
    ):
        durations[metric, priority].append(value)
    return durations


Found = dict[tuple[str, str | None], tuple[int, float | None, float | None]]


def _percentiles_in_sql(timers: QuerySet[SlaTimer]) -> Found:
    """``percentile_cont`` by PostgreSQL: per priority, and per metric for all priorities."""
    found: Found = {}
    seconds = business_seconds()
    measures = {
        "count": Count("pk"),
        "p50": PercentileCont(seconds, fraction=0.5),
        "p90": PercentileCont(seconds, fraction=0.9),
    }
    per_priority: Iterable[Any] = timers.values("metric", "case__priority").annotate(**measures)
    for row in per_priority:
        found[row["metric"], row["case__priority"]] = (row["count"], row["p50"], row["p90"])
    per_metric: Iterable[Any] = timers.values("metric").annotate(**measures)
    for row in per_metric:
        found[row["metric"], None] = (row["count"], row["p50"], row["p90"])
    return found


def _percentiles_of_runs(runs: Iterable[tuple[str, str, Sequence[int]]]) -> Found:
    """The same figures over sorted lists of durations (``(metric, priority, ascending seconds)``,
    several per key), each list used in place: exact, and never one sort of them all."""
    grouped: dict[tuple[str, str | None], list[Sequence[int]]] = defaultdict(list)
    for metric, priority, values in runs:
        grouped[metric, priority].append(values)
        grouped[metric, None].append(values)
    return {
        key: (
            sum(len(values) for values in lists),
            percentile_cont_runs(lists, 0.5),
            percentile_cont_runs(lists, 0.9),
        )
        for key, lists in grouped.items()
    }


# The live part of a summarised response-times report comes to Python one row per timer: past this
# span (weeks not counted yet, as after a deploy before the backfill) PostgreSQL's own percentiles
# over the whole period cost less.
LIVE_DURATIONS_MAX_SPAN = timedelta(weeks=4)


def response_times_report(*, filters: ReportFilters) -> ResponseTimesReport:
    """p50 and p90 of the business time to the first response and to resolution, by metric and
    priority, over timers that stopped in the period. The complete weeks the summary answers
    (``summarised_weeks``: not for one company, product or analyst) are read from
    ``DurationSummaryWeek`` (priority when the week was last counted, ``as_of``: the oldest such
    count), the rest of the period from the timers, and the percentiles taken over those sorted
    lists together. With no summarised week, or more than ``LIVE_DURATIONS_MAX_SPAN`` of the period
    left to read live, PostgreSQL computes them (``percentile_cont``, two
    queries); SQLite sorts the durations in one query. Either way the same interpolation."""
    summarised = summarised_weeks(filters=filters)
    cases = filters.cases("case__")
    live_ranges = unsummarised_ranges(filters, summarised)
    live_span = sum((until - since for since, until in live_ranges), timedelta())
    if has_percentile_cont(SlaTimer.objects.all()) and (
        not summarised or live_span > LIVE_DURATIONS_MAX_SPAN
    ):
        summarised = {}
        found = _percentiles_in_sql(_stopped_timers(cases=cases, ranges=[(filters.since, filters.until)]))
    else:
        live = stopped_durations(cases=cases, ranges=live_ranges)
        counted = DurationSummaryWeek.objects.filter(week__in=summarised)
        if filters.priorities:
            counted = counted.filter(priority__in=filters.priorities)
        found = _percentiles_of_runs(
            [
                *((metric, priority, values) for (metric, priority), values in live.items()),
                *(
                    (metric, priority, durations_unpack(seconds))
                    for metric, priority, seconds in counted.values_list("metric", "priority", "seconds")
                ),
            ]
        )
    rows = [
        DurationPercentiles(metric, priority, *found.get((metric, priority), (0, None, None)))
        for metric in REPORTED_METRICS
        for priority in (*Priority.values, None)
    ]
    return ResponseTimesReport(filters=filters, rows=rows, as_of=min(summarised.values(), default=None))
