"""Which part of a report's period the weekly summaries answer (``reports.models``), and which part
the raw rows must.

A summary holds complete ISO weeks (UTC) only, so a period's partial first and last weeks, the
current week and any week not (yet) counted are read from the raw rows. A summary counts every
company, product and analyst together (it is small for that reason), so a report for one of them
reads the raw rows only: those are narrow enough to be fast through the case filters' indexes."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import reduce

from django.db.models import Q

from reports.models import SummaryWeek
from reports.selectors.scope import ReportFilters, utc_midnight

WEEK = timedelta(weeks=1)


def summarised_weeks(*, filters: ReportFilters) -> dict[date, datetime]:
    """The Mondays of the weeks wholly inside the period that the summary answers for ``filters``,
    each with when it was last counted. One query, or none."""
    if filters.company is not None or filters.product is not None or filters.analyst is not None:
        return {}
    complete = [
        monday
        for monday in filters.weeks()
        if filters.start <= monday and monday + WEEK - timedelta(days=1) <= filters.end
    ]
    if not complete:
        return {}
    counted = SummaryWeek.objects.filter(
        week__gte=complete[0], week__lte=complete[-1], refreshed_at__isnull=False
    ).values_list("week", "refreshed_at")
    return {monday: refreshed_at for monday, refreshed_at in counted if refreshed_at is not None}


def unsummarised_ranges(
    filters: ReportFilters, summarised: dict[date, datetime]
) -> list[tuple[datetime, datetime]]:
    """The period less the summarised weeks, as half-open UTC intervals, oldest first, adjacent ones
    merged."""
    ranges: list[tuple[datetime, datetime]] = []
    cursor = filters.since
    for monday in sorted(summarised):
        week_start = utc_midnight(monday)
        if cursor < week_start:
            ranges.append((cursor, week_start))
        cursor = max(cursor, week_start + WEEK)
    if cursor < filters.until:
        ranges.append((cursor, filters.until))
    return ranges


def in_ranges(field: str, ranges: Sequence[tuple[datetime, datetime]]) -> Q:
    """``field`` (a datetime) inside any of ``ranges`` (half-open; at least one)."""
    return reduce(
        operator.or_, (Q(**{f"{field}__gte": since, f"{field}__lt": until}) for since, until in ranges)
    )
