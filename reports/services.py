"""Writes of the reports app: the weekly summaries (``reports.models``), counted from the raw rows."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports.models import (
    DurationSummaryWeek,
    ReopenSummaryWeek,
    ReplySummaryWeek,
    SlaAttainmentWeek,
    SummaryWeek,
)
from reports.selectors.aggregates import durations_pack
from reports.selectors.cases import reopen_week_count_by_priority
from reports.selectors.people import reply_week_count_by_priority
from reports.selectors.scope import REPORT_PERIOD_MAX_DAYS, utc_midnight, week_monday
from reports.selectors.sla import sla_attainment_count, stopped_durations
from reports.selectors.summary import WEEK

logger = logging.getLogger(__name__)

# A week is counted once this long after it ended: the SLA sweep (every minute) records by then the
# breaches that fell due in its last minutes.
SUMMARY_SETTLE = timedelta(hours=1)
# Weeks counted per run: the stalest first, so every week of the window is counted again within
# (window weeks / this) runs, which bounds how long a late change (a priority or a plan tier
# changed afterwards, a breach recorded after an outage) is missing from a summarised week.
SUMMARY_WEEKS_PER_RUN = 2


def summary_window(now: datetime) -> list[date]:
    """The Mondays of the complete, settled weeks that a report's longest period can cover, oldest first."""
    today = now.astimezone(UTC).date()
    first = week_monday(today - timedelta(days=REPORT_PERIOD_MAX_DAYS))
    last = week_monday((now - SUMMARY_SETTLE).astimezone(UTC).date()) - WEEK
    return [first + WEEK * n for n in range((last - first).days // 7 + 1)]


def report_summary_week_count(*, week: date, now: datetime | None = None) -> bool:
    """Count the SLA attainment, the reopenings, the replies and the response times of the week
    starting ``week`` again from the timers, the history and the comments, replacing its summary rows
    in one transaction (readers see the old rows or the new, never a mix). False when another worker
    is counting it (its row is locked)."""
    now = now or timezone.now()
    with transaction.atomic():
        SummaryWeek.objects.bulk_create([SummaryWeek(week=week, refreshed_at=None)], ignore_conflicts=True)
        summary = SummaryWeek.objects.select_for_update(skip_locked=True).filter(week=week).first()
        if summary is None:
            return False
        ranges = [(utc_midnight(week), utc_midnight(week) + WEEK)]
        attainment = sla_attainment_count(cases=Q(), ranges=ranges)
        SlaAttainmentWeek.objects.filter(week=week).delete()
        SlaAttainmentWeek.objects.bulk_create(
            SlaAttainmentWeek(
                week=week, tier=tier, priority=priority, metric=metric, met=met, breached=breached
            )
            for (_week, tier, priority, metric), (met, breached) in attainment.items()
        )
        reopens = reopen_week_count_by_priority(since=ranges[0][0], until=ranges[0][1])
        ReopenSummaryWeek.objects.filter(week=week).delete()
        ReopenSummaryWeek.objects.bulk_create(
            ReopenSummaryWeek(week=week, priority=priority, closed=closed, reopened=reopened)
            for priority, (closed, reopened) in reopens.items()
        )
        replies = reply_week_count_by_priority(since=ranges[0][0], until=ranges[0][1])
        ReplySummaryWeek.objects.filter(week=week).delete()
        ReplySummaryWeek.objects.bulk_create(
            ReplySummaryWeek(week=week, author_id=author, priority=priority, replies=count)
            for (author, priority), count in replies.items()
        )
        durations = stopped_durations(cases=Q(), ranges=ranges)
        DurationSummaryWeek.objects.filter(week=week).delete()
        DurationSummaryWeek.objects.bulk_create(
            DurationSummaryWeek(
                week=week,
                metric=metric,
                priority=priority,
                count=len(seconds),
                seconds=durations_pack(seconds),
            )
            for (metric, priority), seconds in durations.items()
        )
        summary.refreshed_at = now
        summary.save(update_fields=["refreshed_at"])
    return True


def report_summaries_refresh(
    *, now: datetime | None = None, weeks: int | None = SUMMARY_WEEKS_PER_RUN
) -> list[date]:
    """Count again the ``weeks`` stalest weeks of the summary window (never counted first, newest
    first among those), each in its own transaction; drop the weeks that left the window. Returns
    the Mondays counted. ``weeks=None``: every week of the window (the backfill)."""
    now = now or timezone.now()
    window = summary_window(now)
    SlaAttainmentWeek.objects.filter(week__lt=window[0]).delete()
    ReopenSummaryWeek.objects.filter(week__lt=window[0]).delete()
    ReplySummaryWeek.objects.filter(week__lt=window[0]).delete()
    DurationSummaryWeek.objects.filter(week__lt=window[0]).delete()
    SummaryWeek.objects.filter(week__lt=window[0]).delete()
    counted_at = dict(
        SummaryWeek.objects.filter(week__gte=window[0], refreshed_at__isnull=False).values_list(
            "week", "refreshed_at"
        )
    )
    never = [monday for monday in reversed(window) if monday not in counted_at]
    stalest = sorted(counted_at, key=lambda monday: (counted_at[monday], monday))
    due = never + stalest if weeks is None else (never + stalest)[:weeks]
    counted = [monday for monday in due if report_summary_week_count(week=monday, now=now)]
    logger.info("report summaries: %s weeks counted", len(counted))
    return counted
