"""Reads for SLA: resolving calendars against a company, picking targets, the case's running segments."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import version as package_version
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Q, QuerySet

from accounts.models import Company, User
from accounts.selectors import active_membership_for
from cases.models import SUPPORT_HOLDS, Case, CaseEvent
from core.precompiled import PrecompiledQuery
from sla.businesstime import BusinessCalendar, business_time_between
from sla.businesstime import WorkingInterval as Interval
from sla.clock import Segment
from sla.models import Calendar, Holiday, SlaPolicy, SlaTarget, SlaTimer

HOLIDAYS_VERSION = package_version("holidays")
# Resolved calendars are cached per process, keyed by the calendar's ``updated_at`` (which every
# edit through the admin or ``sla_calendar_changed`` moves), so an edit applies at once; entries are
# also dropped after this long, for edits made behind the admin's back.
CALENDAR_CACHE_SECONDS = 60


def _years_around(year: int) -> range:
    return range(year - 1, year + 3)  # a deadline can run into next year; history reaches last year


def public_holidays(*, country: str, subdivision: str, years: Iterable[int]) -> set[date]:
    """The public holidays of ``country`` in ``years``, with those of ``subdivision`` (ISO 3166-2,
    "GB-ENG") when it is one of that country's: England's bank holidays are not Scotland's. A country
    or subdivision the ``holidays`` package does not know adds no holidays."""
    region = subdivision.split("-", 1)[1] if subdivision.startswith(f"{country}-") else None
    try:
        return set(holidays.country_holidays(country, subdiv=region, years=years).keys())
    except NotImplementedError:
        if region is None:
            return set()
        return public_holidays(country=country, subdivision="", years=years)


@lru_cache(maxsize=512)
def _resolved_calendar(
    calendar_id: int,
    version: datetime | None,
    time_zone: str,
    country: str,
    subdivision: str,
    year: int,
    bucket: int,
) -> BusinessCalendar:
    calendar = Calendar.objects.prefetch_related("intervals").get(pk=calendar_id)
    tz = ZoneInfo(calendar.time_zone or time_zone)
    if calendar.kind == Calendar.Kind.AROUND_THE_CLOCK:
        return BusinessCalendar.around_the_clock(tz)
    if calendar.country and calendar.country != country:
        subdivision = ""  # a calendar fixed to another country: the company's region is not in it
    country = calendar.country or country
    closed_days: set[date] = set()
    if calendar.public_holidays and country:
        closed_days.update(
            public_holidays(country=country, subdivision=subdivision, years=_years_around(year))
        )
    closed_days.update(
        Holiday.objects.filter(calendar_id=calendar_id)
        .filter(Q(country="") | Q(country=country))
        .values_list("date", flat=True)
    )
    intervals = tuple(Interval(i.weekday, i.start, i.end) for i in calendar.intervals.all())
    return BusinessCalendar(tz=tz, intervals=intervals, holidays=frozenset(closed_days))


def calendar_for_company(*, calendar: Calendar, company: Company, at: datetime) -> BusinessCalendar:
    """The calendar in the company's local time: its zone, and its country's public holidays with
    those of its subdivision (``Company.subdivision``), unless the calendar fixes a zone or country."""
    bucket = int(time.monotonic() // CALENDAR_CACHE_SECONDS)
    return _resolved_calendar(
        calendar.pk,
        calendar.updated_at,
        company.time_zone,
        company.country,
        company.subdivision,
        at.year,
        bucket,
    )


def sla_target_for(*, company: Company, priority: str, metric: str) -> SlaTarget | None:
    """The target of the best-ranked active policy that applies to the company and defines this cell."""
    return sla_targets_for(company=company, priority=priority, metrics=[metric]).get(metric)


def sla_targets_for(*, company: Company, priority: str, metrics: Iterable[str]) -> dict[str, SlaTarget]:
    """``sla_target_for`` of several metrics in one query: metric → target (metrics without one left out).
    Compiled once per set of metrics (every case opened asks, so building and compiling it each time
    would be paid on every create)."""
    wanted = tuple(metrics)

    def targets(company_id: int, sla_band: str, priority: str) -> QuerySet[SlaTarget]:
        return (
            SlaTarget.objects.filter(
                policy__is_active=True, sla_band=sla_band, priority=priority, metric__in=wanted
            )
            .filter(Q(policy__companies=company_id) | Q(policy__companies__isnull=True))
            .select_related("calendar", "policy")
            .order_by("policy__rank")
        )

    found: dict[str, SlaTarget] = {}
    for target in SLA_TARGETS.fetch(
        key=wanted, build=targets, company_id=company.pk, sla_band=company.sla_band, priority=priority
    ):
        found.setdefault(target.metric, target)  # the best rank comes first
    return found


SLA_TARGETS = PrecompiledQuery("SLA targets", max_entries=16)


def case_status_history(*, case: Case) -> list[tuple[datetime, str]]:
    """(instant, status entered) from the event log, oldest first."""
    return list(
        CaseEvent.objects.filter(case=case)
        .exclude(to_status="")
        .order_by("created_at", "id")
        .values_list("created_at", "to_status")
    )


def running_segments(
    *, history: list[tuple[datetime, str]], since: datetime, until: datetime | None = None
) -> list[Segment]:
    """Periods after ``since`` (and before ``until``) in which support held the case: the clock ran."""
    segments: list[Segment] = []
    for index, (at, status) in enumerate(history):
        end = history[index + 1][0] if index + 1 < len(history) else None
        if status not in SUPPORT_HOLDS:
            continue
        start = max(at, since)
        if until is not None:
            end = until if end is None else min(end, until)
        if end is not None and end <= start:
            continue
        segments.append((start, end))
    return segments


def sla_timers_for_case(*, case: Case) -> list[SlaTimer]:
    """The case's timers by metric, with their calendars (every case detail shows them)."""
    return CASE_TIMERS.fetch(key="case", build=_case_timers, case_id=case.pk)


CASE_TIMERS = PrecompiledQuery("SLA timers of a case", max_entries=1)


def _case_timers(case_id: int) -> QuerySet[SlaTimer]:
    return SlaTimer.objects.filter(case_id=case_id).select_related("calendar").order_by("metric")


def sla_timers_lock_for_write(*, case_id: int) -> list[SlaTimer]:
    """The case's timers with their calendars, locked until the transaction ends: every SLA write
    after a reply or a status change starts here."""
    return CASE_TIMERS_LOCKED.fetch(key="case", build=_case_timers_locked, case_id=case_id)


CASE_TIMERS_LOCKED = PrecompiledQuery("SLA timers of a case locked for a write", max_entries=1)


def _case_timers_locked(case_id: int) -> QuerySet[SlaTimer]:
    return SlaTimer.objects.select_for_update(of=("self",)).filter(case_id=case_id).select_related("calendar")


def sla_policy_list_for_user(*, user: User) -> QuerySet[SlaPolicy]:
    """Policies in force for the user's company (staff: all)."""
    policies = SlaPolicy.objects.filter(is_active=True).prefetch_related("targets__calendar").order_by("rank")
    if user.is_staff:
        return policies
    membership = active_membership_for(user)
    if membership is None or membership.company is None:
        return policies.none()
    return policies.filter(Q(companies=membership.company) | Q(companies__isnull=True)).distinct()


def business_time_left(*, calendar: Calendar, company: Company, due_at: datetime, now: datetime) -> timedelta:
    """Business time from ``now`` until ``due_at`` (negative once past), in ``calendar`` as it applies
    to ``company`` (its holidays; resolved through the cache, so a stand-in ``Calendar(pk=...)`` does)."""
    resolved = calendar_for_company(calendar=calendar, company=company, at=now)
    if due_at >= now:
        return business_time_between(resolved, now, due_at)
    return -business_time_between(resolved, due_at, now)


def _timer_time_left(timer: SlaTimer, company: Company, now: datetime) -> timedelta | None:
    """A running timer's business time left; a paused one's stored time left; None when not known."""
    if timer.calendar is None or timer.met_at is not None:
        return None
    if timer.due_at is None:
        return timedelta(seconds=timer.remaining_seconds) if timer.remaining_seconds is not None else None
    return business_time_left(calendar=timer.calendar, company=company, due_at=timer.due_at, now=now)


def sla_timer_summaries(*, case: Case, now: datetime) -> list[dict[str, object]]:
    """The case's timers as shown to people: due in UTC and in the company's zone, business time left."""
    zone = ZoneInfo(case.company.time_zone)
    summaries: list[dict[str, object]] = []
    for timer in sla_timers_for_case(case=case):
        state = timer.state
        if state == SlaTimer.State.RUNNING and timer.warnings_sent:
            state = "warning"
        left = _timer_time_left(timer, case.company, now)
        summaries.append(
            {
                "metric": timer.metric,
                "state": state,
                "target_minutes": timer.target_minutes,
                "due_at": timer.due_at,
                "due_at_local": timer.due_at.astimezone(zone).isoformat() if timer.due_at else None,
                "time_zone": case.company.time_zone,
                "business_seconds_remaining": int(left.total_seconds()) if left is not None else None,
                "started_at": timer.started_at,
                "met_at": timer.met_at,
                "breached_at": timer.breached_at,
            }
        )
    return summaries
