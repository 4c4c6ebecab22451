"""Business-time arithmetic for SLA deadlines.

Pure Python (no Django, no I/O). A :class:`BusinessCalendar` describes when a support desk is open:
weekly :class:`WorkingInterval` s in local wall-clock time of one time zone, minus holidays, or
around the clock. The three functions answer the questions SLA code asks:

* :func:`add_business_time` - when is a target of ``duration`` business time reached?
* :func:`business_time_between` - how much business time elapsed between two instants?
* :func:`working_periods` - which open periods (UTC) intersect a range?

Semantics
---------
* Business time is *real elapsed time* inside open periods. A 06:00-18:00 interval counts 12 h on
  an ordinary day; an interval that spans a DST change counts its real length (00:00-06:00 on the
  spring-forward night in Europe/Paris counts 5 h).
* Local wall-clock times are turned into instants with ``zoneinfo`` and ``fold=0``, then
  normalised through UTC: a time in the spring-forward gap resolves forward by the size of the gap
  (02:30 -> 03:30), an ambiguous time in the fall-back overlap takes its first occurrence. An
  interval whose resolved end is not after its resolved start (possible only inside a gap) is empty.
* ``end <= start`` means the interval crosses midnight and ends on the next day; ``start == end``
  is a whole 24 h. An interval belongs to the local day on which it *starts*: that is the day
  whose weekday it is listed under and whose date is checked against ``holidays``.
* Overlapping or touching periods are merged, never counted twice. Periods are half-open
  ``[open, close)``: an instant exactly at a closing time is outside, so counting resumes at the
  next opening, and a deadline that is reached exactly at a closing time is that closing time.
* ``always_open`` calendars count every instant and ignore intervals and holidays.

Cost grows with the number of open periods walked, never with minutes: whole weeks that contain
no holiday and no UTC-offset change are skipped in one step using the calendar's weekly total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "BusinessCalendar",
    "WorkingInterval",
    "add_business_time",
    "business_time_between",
    "working_periods",
]

_UTC_ZONE: Final = ZoneInfo("UTC")
_ZERO: Final = timedelta(0)
_ONE_DAY: Final = timedelta(days=1)
_ONE_WEEK: Final = timedelta(days=7)
_MIDNIGHT: Final = time(0)
#: add_business_time() gives up (ValueError) rather than scan further than this past its start.
MAX_SCAN: Final = timedelta(days=3653)  # ten years
#: Per-calendar memo of resolved periods per local date; cleared when it grows past this.
_DAY_CACHE_LIMIT: Final = 4096

Period = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """A weekly open interval in local wall-clock time.

    ``weekday`` (0 = Monday ... 6 = Sunday) is the local day on which the interval starts. When
    ``end <= start`` the interval crosses midnight and ends on the next day (``start == end``, for
    example ``time(0)`` to ``time(0)``, is the whole 24 h day).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be an int 0 (Monday) .. 6 (Sunday), got {self.weekday!r}")
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise TypeError(f"{name} must be a datetime.time, got {type(value).__name__}")
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive local wall-clock time, got {value!r}")


@dataclass(frozen=True)
class BusinessCalendar:
    """When business time runs: weekly intervals in ``tz``, minus ``holidays``; or ``always_open``.

    ``intervals`` may be empty only when ``always_open`` is true (a calendar that is never open
    would make every deadline unreachable, so it is refused with ValueError). ``holidays`` are local
    dates; an interval that starts on a holiday does not count.
    """

    tz: ZoneInfo
    intervals: tuple[WorkingInterval, ...]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise TypeError(f"tz must be a zoneinfo.ZoneInfo, got {type(self.tz).__name__}")
        if not isinstance(self.intervals, tuple):
            object.__setattr__(self, "intervals", tuple(self.intervals))
        if not isinstance(self.holidays, frozenset):
            object.__setattr__(self, "holidays", frozenset(self.holidays))
        for interval in self.intervals:
            if not isinstance(interval, WorkingInterval):
                raise TypeError(f"intervals must be WorkingInterval, got {type(interval).__name__}")
        for day in self.holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise TypeError(f"holidays must be datetime.date values, got {day!r}")
        if not self.intervals and not self.always_open:
            raise ValueError("calendar has no open time: give at least one interval or always_open=True")

    @classmethod
    def around_the_clock(cls, tz: ZoneInfo = _UTC_ZONE) -> BusinessCalendar:
        """24x7: every instant is business time; holidays do not apply."""
        return cls(tz=tz, intervals=(), always_open=True)

    @classmethod
    def weekdays(
        cls, tz: ZoneInfo, start: time, end: time, holidays: frozenset[date] = frozenset()
    ) -> BusinessCalendar:
        """Mon-Fri, one interval per day from ``start`` to ``end`` local time."""
        return cls(
            tz=tz,
            intervals=tuple(WorkingInterval(day, start, end) for day in range(5)),
            holidays=holidays,
        )


# --------------------------------------------------------------------------- compiled calendar


class _Compiled:
    """Derived, immutable-input data for one calendar, memoised on the calendar instance."""

    __slots__ = ("always_open", "by_weekday", "day_cache", "holidays", "tz", "week_total")

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.tz = calendar.tz
        self.always_open = calendar.always_open
        self.holidays = calendar.holidays
        days: list[list[tuple[time, time, timedelta]]] = [[] for _ in range(7)]
        for interval in calendar.intervals:
            start = interval.start.replace(fold=0)
            end = interval.end.replace(fold=0)
            days[interval.weekday].append((start, end, _ONE_DAY if end <= start else _ZERO))
        self.by_weekday: tuple[tuple[tuple[time, time, timedelta], ...], ...] = tuple(
            tuple(sorted(day)) for day in days
        )
        self.week_total = _nominal_week_total(calendar.intervals)
        # local date -> resolved (UTC) periods of the intervals starting that day; and the
        # instant of that date's local midnight. Keyed on immutable inputs only.
        self.day_cache: dict[date, tuple[datetime, tuple[Period, ...]]] = {}


def _compiled(calendar: BusinessCalendar) -> _Compiled:
    state = calendar.__dict__
    compiled = state.get("_compiled")
    if not isinstance(compiled, _Compiled):
        compiled = _Compiled(calendar)
        # The dataclass is frozen; this memo is not a field (not in eq/hash/repr).
        object.__setattr__(calendar, "_compiled", compiled)
    return compiled


def _as_offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _nominal_week_total(intervals: tuple[WorkingInterval, ...]) -> timedelta:
    """Open time in one week [Mon 00:00, next Mon 00:00) when no holiday and no UTC-offset change."""
    spans: list[tuple[timedelta, timedelta]] = []
    for interval in intervals:
        start = _ONE_DAY * interval.weekday + _as_offset(interval.start)
        length = _as_offset(interval.end) - _as_offset(interval.start)
        if length <= _ZERO:
            length += _ONE_DAY
        spans.append((start, start + length))
        spans.append((start - _ONE_WEEK, start + length - _ONE_WEEK))  # Sunday spilling into Monday
    total = _ZERO
    for lo, hi in _merge(sorted(spans)):
        lo, hi = max(lo, _ZERO), min(hi, _ONE_WEEK)
        if hi > lo:
            total += hi - lo
    return total


def _merge(spans: list[tuple[timedelta, timedelta]]) -> list[tuple[timedelta, timedelta]]:
    """Merge sorted, possibly overlapping or touching spans."""
    merged: list[tuple[timedelta, timedelta]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


# --------------------------------------------------------------------------- resolving local time


def _resolve(tz: ZoneInfo, day: date, wall: time) -> datetime:
    """Local wall-clock time -> UTC instant (fold=0: gap times move forward, overlaps take the first)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _day(compiled: _Compiled, day: date) -> tuple[datetime, tuple[Period, ...]]:
    """(instant of local midnight, resolved open periods of intervals starting on ``day``)."""
    cached = compiled.day_cache.get(day)
    if cached is not None:
        return cached
    tz = compiled.tz
    periods: list[Period] = []
    if day not in compiled.holidays:
        for start, end, end_shift in compiled.by_weekday[day.weekday()]:
            lo = _resolve(tz, day, start)
            hi = _resolve(tz, day + end_shift, end)
            if hi > lo:
                periods.append((lo, hi))
        periods.sort()
    entry = (_resolve(tz, day, _MIDNIGHT), tuple(periods))
    if len(compiled.day_cache) >= _DAY_CACHE_LIMIT:
        compiled.day_cache.clear()
    compiled.day_cache[day] = entry
    return entry


def _local_date(compiled: _Compiled, instant: datetime) -> date:
    return instant.astimezone(compiled.tz).date()


def _iter_periods(compiled: _Compiled, lo: datetime, hi: datetime) -> Iterator[Period]:
    """Merged open periods intersecting [lo, hi), clipped to it, in order. Lazy: day by day.

    Every period resolved for local date ``d`` starts at or after ``d``'s local midnight (fold=0
    resolution is monotonic outside spring-forward gaps, and no time zone has a gap that straddles
    midnight), so once the days up to ``d`` are resolved, a period starting before the midnight of
    ``d + 1`` is final. A period ends at most a day (plus a DST gap) after its local day starts, so
    the days from ``local_date(lo) - 2`` on cover ``lo``.
    """
    if hi <= lo:
        return
    day = _local_date(compiled, lo) - 2 * _ONE_DAY
    last_day = _local_date(compiled, hi)
    pending: list[Period] = []
    run_lo: datetime | None = None
    run_hi = lo
    while True:
        pending.extend(_day(compiled, day)[1])
        day += _ONE_DAY
        # Periods of days not resolved yet start at or after `horizon`.
        horizon = _day(compiled, day)[0] if day <= last_day else hi
        if pending:
            pending.sort()
            taken = 0
            for start, end in pending:
                if start >= horizon:
                    break
                taken += 1
                if run_lo is not None and start <= run_hi:
                    if end > run_hi:
                        run_hi = end
                    continue
                if run_lo is not None and run_hi > lo:
                    yield (max(run_lo, lo), min(run_hi, hi))
                if start >= hi:
                    return
                run_lo, run_hi = start, end
            del pending[:taken]
        if run_lo is not None and (run_hi < horizon or day > last_day):
            # Nothing still to come can start at or before this run's end: it is complete.
            if run_hi > lo:
                yield (max(run_lo, lo), min(run_hi, hi))
            run_lo = None
        if day > last_day:
            return


# --------------------------------------------------------------------------- weeks


def _monday(day: date) -> date:
    return day - _ONE_DAY * day.weekday()


def _regular_week_total(compiled: _Compiled, monday: date) -> timedelta | None:
    """Business time in [``monday`` 00:00, next Monday 00:00) if it is the nominal week total.

    That holds when no holiday falls on Sunday before (its intervals may spill into Monday) or on
    the week's days, and the UTC offset is the same at every local midnight from that Sunday to
    the next Monday (time zones change offset at most once a day).
    """
    if compiled.holidays:
        for k in range(-1, 7):
            if monday + k * _ONE_DAY in compiled.holidays:
                return None
    tz = compiled.tz
    offset = tz.utcoffset(datetime.combine(monday - _ONE_DAY, _MIDNIGHT))
    for k in range(0, 8):
        if tz.utcoffset(datetime.combine(monday + k * _ONE_DAY, _MIDNIGHT)) != offset:
            return None
    return compiled.week_total


# --------------------------------------------------------------------------- public API


def _to_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant (aware, UTC) at which ``duration`` of business time has elapsed after ``start``.

    A start outside open hours begins counting at the next opening; a zero duration returns
    ``start`` when it is inside an open period, else the next opening. A deadline reached exactly
    at a closing time is that closing time. Raises ValueError for a naive ``start``, a negative
    ``duration``, or a deadline more than :data:`MAX_SCAN` (ten years) after ``start``.
    """
    cursor = _to_utc(start, "start")
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration!r}")
    compiled = _compiled(calendar)
    try:
        if compiled.always_open:
            return cursor + duration
        limit = cursor + MAX_SCAN
        remaining = duration
        monday = _monday(_local_date(compiled, cursor))
        week_start = _day(compiled, monday)[0]
        while True:
            week_end = _day(compiled, monday + _ONE_WEEK)[0]
            if cursor == week_start and remaining > _ZERO:
                total = _regular_week_total(compiled, monday)
                # Strictly greater: a target met exactly at the week's last closing must return
                # that closing time, which only walking the week finds.
                if total is not None and remaining > total:
                    remaining -= total
                    cursor = week_start = week_end
                    monday += _ONE_WEEK
                    if cursor > limit:
                        raise _too_far(start)
                    continue
            for lo, hi in _iter_periods(compiled, cursor, week_end):
                if remaining <= hi - lo:
                    deadline = lo + remaining
                    if deadline > limit:
                        raise _too_far(start)
                    return deadline
                remaining -= hi - lo
            cursor = week_start = week_end
            monday += _ONE_WEEK
            if cursor > limit:
                raise _too_far(start)
    except OverflowError as exc:
        raise ValueError("business-time deadline is out of the datetime range") from exc


def _too_far(start: datetime) -> ValueError:
    return ValueError(f"no deadline within {MAX_SCAN.days} days of {start.isoformat()}: check the calendar")


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end); zero (never negative) when ``end <= start``."""
    lo = _to_utc(start, "start")
    hi = _to_utc(end, "end")
    if hi <= lo:
        return _ZERO
    compiled = _compiled(calendar)
    if compiled.always_open:
        return hi - lo
    total = _ZERO
    cursor = lo
    monday = _monday(_local_date(compiled, cursor))
    week_start = _day(compiled, monday)[0]
    while cursor < hi:
        week_end = _day(compiled, monday + _ONE_WEEK)[0]
        if cursor == week_start and week_end <= hi:
            week_total = _regular_week_total(compiled, monday)
            if week_total is not None:
                total += week_total
                cursor = week_start = week_end
                monday += _ONE_WEEK
                continue
        stop = min(week_end, hi)
        for period_start, period_end in _iter_periods(compiled, cursor, stop):
            total += period_end - period_start
        cursor = week_start = week_end
        monday += _ONE_WEEK
    return total


def working_periods(calendar: BusinessCalendar, start: datetime, end: datetime) -> Iterator[Period]:
    """The open periods (UTC, merged when touching/overlapping) that intersect [start, end), clipped.

    Arguments are checked when this is called; the periods are produced lazily.
    """
    lo = _to_utc(start, "start")
    hi = _to_utc(end, "end")
    compiled = _compiled(calendar)
    if hi <= lo:
        return iter(())
    if compiled.always_open:
        return iter(((lo, hi),))
    return _iter_periods(compiled, lo, hi)
