"""SLA clock arithmetic over a case's running segments. Pure: no Django.

A timer runs only while the case is support's move. Its *segments* are the half-open periods
[start, end) in which it ran, read from the case's status history (the last one may still be
open: end None). Everything here is recomputed from those segments and the calendar, never from
a running counter, so a new target (priority change) applied to the original start stays right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.businesstime import BusinessCalendar, add_business_time, business_time_between

Segment = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class ClockReading:
    due_at: datetime | None  # None while paused with time left
    elapsed: timedelta  # business time used up to `now`
    remaining: timedelta  # business time left (negative once past due)


def read_clock(
    *, calendar: BusinessCalendar, segments: Sequence[Segment], target: timedelta, now: datetime
) -> ClockReading:
    """Where a timer stands at ``now``: its due instant (exact, even if already past), used and left time."""
    elapsed = timedelta(0)
    due_at: datetime | None = None
    for start, end in segments:
        if start >= now:
            break
        stop = now if end is None or end > now else end
        used = business_time_between(calendar, start, stop)
        if due_at is None and elapsed + used >= target:
            due_at = add_business_time(calendar, start, target - elapsed)
        elapsed += used
    open_now = bool(segments) and segments[-1][1] is None and segments[-1][0] <= now
    if due_at is None and open_now:
        due_at = add_business_time(calendar, now, target - elapsed)
    return ClockReading(due_at=due_at, elapsed=elapsed, remaining=target - elapsed)
