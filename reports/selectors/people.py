"""Satisfaction (the survey sent at every closing) and analyst load."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.models import User
from cases.models import Case, CaseStatus, Comment, SatisfactionSurvey
from reports.models import ReplySummaryWeek
from reports.selectors.aggregates import ratio, utc_week, week_of
from reports.selectors.scope import ReportFilters
from reports.selectors.summary import in_ranges, summarised_weeks, unsummarised_ranges

Rating = SatisfactionSurvey.Rating


@dataclass(frozen=True)
class SatisfactionWeek:
    week: date | None  # None: the whole period
    good: int
    bad: int
    comments: int  # answers with a comment

    @property
    def satisfaction(self) -> float | None:
        """The share of good answers: good / (good + bad)."""
        return ratio(self.good, self.good + self.bad)


@dataclass(frozen=True)
class SatisfactionReport:
    filters: ReportFilters
    weeks: list[SatisfactionWeek]
    total: SatisfactionWeek
    sent: int  # surveys sent in the period
    answered: int  # of those, answered so far

    @property
    def response_rate(self) -> float | None:
        return ratio(self.answered, self.sent)


def satisfaction_report(*, filters: ReportFilters) -> SatisfactionReport:
    """Survey answers by ISO week of the answer (good, bad, with a comment), and how many of the
    surveys sent in the period were answered. Two queries."""
    surveys = SatisfactionSurvey.objects.filter(filters.cases("case__"))
    counts = {
        week_of(row["week"]): (row["good"], row["bad"], row["comments"])
        for row in surveys.filter(filters.period("answered_at"), rating__in=Rating.values)
        .annotate(week=utc_week("answered_at"))
        .values("week")
        .annotate(
            good=Count("pk", filter=Q(rating=Rating.GOOD)),
            bad=Count("pk", filter=Q(rating=Rating.BAD)),
            comments=Count("pk", filter=~Q(comment="")),
        )
        .order_by()
    }
    weeks = [SatisfactionWeek(monday, *counts.get(monday, (0, 0, 0))) for monday in filters.weeks()]
    total = SatisfactionWeek(
        None, *(sum(getattr(w, name) for w in weeks) for name in ("good", "bad", "comments"))
    )
    sent = surveys.filter(filters.period("created_at")).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(rating__in=Rating.values))
    )
    return SatisfactionReport(
        filters=filters, weeks=weeks, total=total, sent=sent["sent"], answered=sent["answered"]
    )


def satisfaction_comment_list(*, filters: ReportFilters) -> QuerySet[SatisfactionSurvey]:
    """Answers with a comment given in the period, newest first, with their case and company."""
    return (
        SatisfactionSurvey.objects.filter(filters.period("answered_at"), filters.cases("case__"))
        .filter(rating__in=Rating.values)
        .exclude(comment="")
        .select_related("case__company")
        # The case's status too: a case row reads it when it is built (django-fsm), one query a row if deferred.
        .only("rating", "comment", "answered_at", "case__number", "case__status", "case__company__name")
        .order_by("-answered_at", "-pk")
    )


@dataclass(frozen=True)
class AnalystLoad:
    analyst: User
    open_cases: int  # assigned and not closed, now
    replies: int  # public comments written in the period

    days: int

    @property
    def replies_per_day(self) -> float:
        return self.replies / self.days


@dataclass(frozen=True)
class AnalystLoadReport:
    filters: ReportFilters
    as_of: datetime
    rows: list[AnalystLoad]
    summary_as_of: datetime | None = None  # the oldest count of a summarised week read, None: all live


def _replies(*, cases: Q, ranges: Sequence[tuple[datetime, datetime]]) -> QuerySet[Comment]:
    """Public comments by support staff (replies, and messages sent with a transition) within
    ``ranges`` on the cases ``cases`` selects."""
    return Comment.objects.filter(in_ranges("created_at", ranges), cases, is_internal=False).filter(
        author__is_staff=True
    )


def reply_count(*, filters: ReportFilters, ranges: Sequence[tuple[datetime, datetime]]) -> dict[int, int]:
    """Replies within ``ranges`` per author (the analyst filter picks the author; the other filters
    pick the cases). One query, or none."""
    counts: dict[int, int] = defaultdict(int)
    if not ranges:
        return counts
    replies = _replies(cases=filters.cases("case__", by_assignee=False), ranges=ranges)
    if filters.analyst is not None:
        replies = replies.filter(author=filters.analyst)
    counts.update(
        replies.values("author").annotate(count=Count("pk")).order_by().values_list("author", "count")
    )
    return counts


def reply_week_count_by_priority(*, since: datetime, until: datetime) -> dict[tuple[int, str], int]:
    """Replies from ``since`` to ``until`` on every case, per author and the case's priority (what
    the weekly summary stores). One query; the priority looked up per reply on the case's key (a
    join would have the planner hash every case for a week's replies)."""
    its_priority = Case.objects.filter(pk=OuterRef("case")).values("priority")[:1]
    rows = (
        _replies(cases=Q(), ranges=[(since, until)])
        .annotate(priority=Subquery(its_priority))
        .values("author", "priority")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(row["author"], row["priority"]): row["count"] for row in rows}


def analyst_load_report(*, filters: ReportFilters, now: datetime | None = None) -> AnalystLoadReport:
    """Per analyst: the cases assigned to them and not closed (now), and their public replies in the
    period (a public comment by support staff: replies, and messages sent with a transition) per
    calendar day of the period. The analyst filter picks the analyst; the other filters pick the
    cases. Three queries."""
    now = now or timezone.now()
    open_counts = dict(
        Case.objects.filter(filters.cases(), assignee__isnull=False)
        .exclude(status=CaseStatus.CLOSED)
        .values("assignee")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("assignee", "count")
    )
    summarised = summarised_weeks(filters=filters)
    reply_counts = reply_count(filters=filters, ranges=unsummarised_ranges(filters, summarised))
    counted = ReplySummaryWeek.objects.filter(week__in=summarised)
    if filters.priorities:
        counted = counted.filter(priority__in=filters.priorities)
    for author, replies in (
        counted.values("author").annotate(n=Sum("replies")).order_by().values_list("author", "n")
    ):
        reply_counts[author] += replies
    people = User.objects.in_bulk(set(open_counts) | set(reply_counts))
    rows = sorted(
        (
            AnalystLoad(
                analyst=user,
                open_cases=open_counts.get(pk, 0),
                replies=reply_counts.get(pk, 0),
                days=filters.days,
            )
            for pk, user in people.items()
        ),
        key=lambda row: (-row.open_cases, -row.replies, str(row.analyst).lower(), row.analyst.pk),
    )
    return AnalystLoadReport(
        filters=filters, as_of=now, rows=rows, summary_as_of=min(summarised.values(), default=None)
    )
