"""Occurrences of weekly maintenance windows: pure date arithmetic, no Django.

A weekly window starts at a wall-clock time in its own IANA zone ("Fridays 19:30
America/Los_Angeles") and lasts a real, elapsed duration. Every instant here is aware; the results
are in UTC.

Decisions, deterministic and the same as RFC 5545 §3.3.5 (and zoneinfo's ``fold=0``):

- A local start that does not exist (skipped when clocks spring forward) is read with the UTC
  offset in force *before* the gap: 02:30 on 2026-03-08 in Los Angeles is 02:30 PST = 10:30 UTC,
  which the wall clock shows as 03:30 PDT.
- A local start that happens twice (clocks fall back) means the *first* one: 01:30 on 2026-11-01
  in Los Angeles is 01:30 PDT = 08:30 UTC.
- The duration is elapsed time, so a 23:00 + 2 h window ends at 01:00 the next local day, and a
  window spanning a change keeps its length (its local end moves by the hour the clocks moved).

Loops are bounded: one candidate per week of the requested range (at most ``MAX_WEEKS``), or
``count + 2`` candidates for "the next N".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK = timedelta(days=7)
# Longest range ``occurrences_between`` walks: ten years of weeks. Callers ask for weeks or months.
MAX_WEEKS = 522


class UnknownTimeZone(ValueError):
    """Not an IANA time zone name this system knows."""


def zone_get(name: str) -> ZoneInfo:
    """The zone called ``name``; ``UnknownTimeZone`` for unknown, empty or path-like names."""
    if not name or name != name.strip():
        raise UnknownTimeZone(f"Unknown time zone {name!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimeZone(f"Unknown time zone {name!r}.") from exc


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One run of a window: UTC instants, half-open ``[start, end)``.

    ``local_date`` is the wall-clock date it starts on in the window's zone; with the window's id
    it names the occurrence for good (iCalendar UIDs).
    """

    start: datetime
    end: datetime
    local_date: date

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Every ``weekday`` (0 = Monday) at ``local_start`` in ``time_zone``, for ``duration``.

    ``active_from`` / ``active_until`` bound the local start dates, both inclusive.
    """

    weekday: int
    local_start: time
    duration: timedelta
    time_zone: str
    active_from: date | None = None
    active_until: date | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday).")
        if self.local_start.tzinfo is not None:
            raise ValueError("local_start is a wall-clock time: it must be naive.")
        if not timedelta(0) < self.duration <= WEEK:
            raise ValueError("duration must be more than zero and at most a week.")
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError("active_until is before active_from.")
        zone_get(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return zone_get(self.time_zone)

    def occurrence_on(self, day: date) -> Occurrence:
        """The run starting on local ``day`` (which must be the rule's weekday)."""
        # fold=0: nonexistent times take the offset before the gap, ambiguous ones the first offset.
        start = datetime.combine(day, self.local_start, tzinfo=self.zone).astimezone(UTC)
        return Occurrence(start=start, end=start + self.duration, local_date=day)

    def _first_candidate(self, instant: datetime) -> date:
        """The earliest local start date whose run could still be going at ``instant``."""
        # A run overlapping `instant` started after `instant - duration`; one day of slack covers
        # zones whose clocks move across midnight.
        day = (instant - self.duration).astimezone(self.zone).date() - timedelta(days=1)
        if self.active_from is not None and day < self.active_from:
            day = self.active_from
        return day + timedelta(days=(self.weekday - day.weekday()) % 7)

    def _candidates(self, first: date, limit: int) -> Iterator[date]:
        for week in range(limit):
            day = first + week * WEEK
            if self.active_until is not None and day > self.active_until:
                return
            yield day


def _aware(*instants: datetime) -> None:
    if any(instant.tzinfo is None or instant.utcoffset() is None for instant in instants):
        raise ValueError("Instants must be timezone-aware.")


def occurrences_between(rule: WeeklyRule, start: datetime, end: datetime) -> list[Occurrence]:
    """Runs overlapping ``[start, end)``, in order (including one already going at ``start``)."""
    _aware(start, end)
    if end <= start:
        return []
    first = rule._first_candidate(start)
    last = end.astimezone(rule.zone).date() + timedelta(days=1)
    weeks = (last - first).days // 7 + 1
    if weeks > MAX_WEEKS:
        raise ValueError(f"Range too long: at most {MAX_WEEKS} weeks.")
    found = []
    for day in rule._candidates(first, max(weeks, 0)):
        occurrence = rule.occurrence_on(day)
        if occurrence.start >= end:
            break
        if occurrence.end > start:
            found.append(occurrence)
    return found


def occurrence_at(rule: WeeklyRule, instant: datetime) -> Occurrence | None:
    """The run going on at ``instant`` (start inclusive, end exclusive), if any."""
    runs = occurrences_between(rule, instant, instant + timedelta(microseconds=1))
    return runs[0] if runs else None


def next_occurrences(rule: WeeklyRule, after: datetime, count: int) -> list[Occurrence]:
    """The next ``count`` runs that end after ``after`` (so one in progress comes first)."""
    _aware(after)
    if count <= 0:
        return []
    found: list[Occurrence] = []
    # At most one candidate (within two days of `after - duration`) can have ended already.
    for day in rule._candidates(rule._first_candidate(after), count + 2):
        occurrence = rule.occurrence_on(day)
        if occurrence.end > after:
            found.append(occurrence)
            if len(found) == count:
                break
    return found
