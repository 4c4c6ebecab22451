"""Tests for sla.businesstime: hand-checked cases, error cases, and property tests against a
minute-by-minute reference. Pure Python: no database, no Django needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.businesstime import (
    BusinessCalendar,
    WorkingInterval,
    add_business_time,
    business_time_between,
    working_periods,
)

PARIS = ZoneInfo("Europe/Paris")
LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC_ZONE = ZoneInfo("UTC")
ZONES = [PARIS, LA, SYDNEY, KOLKATA, UTC_ZONE]

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
H = timedelta(hours=1)


def at(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)  # type: ignore[misc]


def cal_of(tz: ZoneInfo, *spans: tuple[int, time, time], holidays: tuple[date, ...] = ()) -> BusinessCalendar:
    return BusinessCalendar(tz, tuple(WorkingInterval(*s) for s in spans), frozenset(holidays))


PARIS_6_18 = BusinessCalendar.weekdays(PARIS, time(6), time(18))
LA_6_18 = BusinessCalendar.weekdays(LA, time(6), time(18))
# Night desk: Mon-Fri evenings 22:00 until 06:00 the next morning.
PARIS_NIGHT = cal_of(PARIS, *((d, time(22), time(6)) for d in range(5)))

# --------------------------------------------------------------------------- hand-checked cases

ADD_CASES = [
    # P2 (band 2) = 4 business hours. Fri 16:30-18:00 gives 1h30; Sat/Sun closed; Mon 06:00 + the
    # remaining 2h30 = 08:30.
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 1, 9, 16, 30),
        4 * H,
        at(PARIS, 2026, 1, 12, 8, 30),
        id="paris-fri-1630-p2",
    ),
    # LA, DST starts Sun 2026-03-08 02:00 (clocks jump to 03:00), a closed day. Fri 16:30-18:00 PST
    # = 1h30, Mon 06:00 PDT + 2h30 = 08:30 PDT = 15:30Z. Only 63 real hours elapse, not 64.
    pytest.param(
        LA_6_18, at(LA, 2026, 3, 6, 16, 30), 4 * H, at(LA, 2026, 3, 9, 8, 30), id="la-spring-forward-2026-03"
    ),
    # LA, DST ends Sun 2025-11-02 02:00 -> 01:00. Fri 16:30-18:00 PDT = 1h30, Mon 06:00 PST + 2h30
    # = 08:30 PST = 16:30Z (65 real hours later).
    pytest.param(
        LA_6_18, at(LA, 2025, 10, 31, 16, 30), 4 * H, at(LA, 2025, 11, 3, 8, 30), id="la-fall-back-2025-11"
    ),
    # Paris, CET -> CEST on Sun 2026-03-29: 1h30 on Friday (CET), 2h30 on Monday (CEST): 08:30 CEST.
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 3, 27, 16, 30),
        4 * H,
        at(PARIS, 2026, 3, 30, 8, 30),
        id="paris-spring-forward-2026-03-29",
    ),
    # Paris, CEST -> CET on Sun 2026-10-25: 1h30 Friday (CEST), Monday 06:00 CET + 2h30 = 08:30 CET.
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 10, 23, 16, 30),
        4 * H,
        at(PARIS, 2026, 10, 26, 8, 30),
        id="paris-fall-back-2026-10-25",
    ),
    # Exactly at opening: 06:00 is inside [06:00, 18:00), so counting starts at once: 10:00.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 13, 6), 4 * H, at(PARIS, 2026, 1, 13, 10), id="start-at-opening"
    ),
    # Exactly at closing: 18:00 is outside the half-open period, nothing counts until Wed 06:00;
    # + 4h = Wed 10:00.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 13, 18), 4 * H, at(PARIS, 2026, 1, 14, 10), id="start-at-closing"
    ),
    # 03:00 is before opening: counting starts at 06:00 the same day, 06:00 + 4h = 10:00.
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 1, 14, 3),
        4 * H,
        at(PARIS, 2026, 1, 14, 10),
        id="start-0300-before-opening",
    ),
    # US Labor Day Mon 2026-09-07 is a holiday: Fri 16:30-18:00 = 1h30, Sat/Sun/Mon closed,
    # Tue 06:00 + 2h30 = Tue 08:30 PDT.
    pytest.param(
        BusinessCalendar.weekdays(LA, time(6), time(18), frozenset({date(2026, 9, 7)})),
        at(LA, 2026, 9, 4, 16, 30),
        4 * H,
        at(LA, 2026, 9, 8, 8, 30),
        id="us-labor-day-monday-2026-09-07",
    ),
    # 14 July 2026 is a Tuesday: Mon 16:30-18:00 = 1h30, Tuesday closed, Wed 06:00 + 2h30 = 08:30.
    pytest.param(
        BusinessCalendar.weekdays(PARIS, time(6), time(18), frozenset({date(2026, 7, 14)})),
        at(PARIS, 2026, 7, 13, 16, 30),
        4 * H,
        at(PARIS, 2026, 7, 15, 8, 30),
        id="fr-14-juillet-tuesday-2026",
    ),
    # 22:00-06:00 night desk; Tue 05:00 is inside Monday's shift: 1h to 06:00, next opening Tue
    # 22:00, + 3h = Wed 01:00.
    pytest.param(
        PARIS_NIGHT, at(PARIS, 2026, 1, 13, 5), 4 * H, at(PARIS, 2026, 1, 14, 1), id="overnight-inside-shift"
    ),
    # Sat 03:00 is inside Friday's shift (Fri 22:00 - Sat 06:00; it belongs to Friday): 3h to
    # 06:00, nothing on the weekend, Mon 22:00 + 1h = Mon 23:00.
    pytest.param(
        PARIS_NIGHT,
        at(PARIS, 2026, 1, 17, 3),
        4 * H,
        at(PARIS, 2026, 1, 19, 23),
        id="overnight-saturday-morning-is-fridays-shift",
    ),
    # Same, but Friday 2026-01-16 is a holiday: the shift that STARTS on Friday is gone, so Sat
    # 03:00 is closed; Mon 22:00 + 4h = Tue 02:00.
    pytest.param(
        cal_of(PARIS, *((d, time(22), time(6)) for d in range(5)), holidays=(date(2026, 1, 16),)),
        at(PARIS, 2026, 1, 17, 3),
        4 * H,
        at(PARIS, 2026, 1, 20, 2),
        id="overnight-holiday-on-start-day",
    ),
    # 24x7 in LA, 01:30 PDT on the fall-back night (fold=0, 08:30Z) + 1h real = 09:30Z, which
    # is 01:30 PST again (fold=1): the wall clock shows the same time.
    pytest.param(
        BusinessCalendar.around_the_clock(LA),
        at(LA, 2025, 11, 2, 1, 30),
        1 * H,
        at(LA, 2025, 11, 2, 1, 30, fold=1),
        id="24x7-fall-back-0130",
    ),
    # 24x7 in Paris across the spring-forward gap: 01:30 CET + 1h = 03:30 CEST (02:xx never exists).
    pytest.param(
        BusinessCalendar.around_the_clock(PARIS),
        at(PARIS, 2026, 3, 29, 1, 30),
        1 * H,
        at(PARIS, 2026, 3, 29, 3, 30),
        id="24x7-spring-forward-0130",
    ),
    # Mon 14:00 + 4h lands exactly at closing 18:00: the answer is 18:00, not Tue 06:00.
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 1, 12, 14),
        4 * H,
        at(PARIS, 2026, 1, 12, 18),
        id="deadline-exactly-at-closing",
    ),
    # Zero duration inside an open period is the start itself.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 12, 10, 15), H * 0, at(PARIS, 2026, 1, 12, 10, 15), id="zero-inside"
    ),
    # Zero duration on Saturday: the next opening, Mon 06:00.
    pytest.param(PARIS_6_18, at(PARIS, 2026, 1, 10, 12), H * 0, at(PARIS, 2026, 1, 12, 6), id="zero-weekend"),
    # Zero duration exactly at closing (outside): the next opening, Tue 06:00.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 12, 18), H * 0, at(PARIS, 2026, 1, 13, 6), id="zero-at-closing"
    ),
    # Sunday 00:00-06:00 on the spring-forward night is 5 real hours (00:00 CET = 23:00Z Sat,
    # 06:00 CEST = 04:00Z): + 5h reaches its end at 06:00 CEST.
    pytest.param(
        cal_of(PARIS, (6, time(0), time(6))),
        at(PARIS, 2026, 3, 29, 0),
        5 * H,
        at(PARIS, 2026, 3, 29, 6),
        id="spring-night-00-06-is-5h",
    ),
    # ... so 5h30 runs 30 minutes into the next Sunday's interval (6h long): 2026-04-05 00:30.
    pytest.param(
        cal_of(PARIS, (6, time(0), time(6))),
        at(PARIS, 2026, 3, 29, 0),
        5 * H + 30 * MINUTE,
        at(PARIS, 2026, 4, 5, 0, 30),
        id="spring-night-next-week",
    ),
    # Opening at 02:30 on 2026-03-29 does not exist: fold=0 resolves it to 03:30 CEST (01:30Z);
    # + 1h = 04:30 CEST.
    pytest.param(
        cal_of(PARIS, (6, time(2, 30), time(10))),
        at(PARIS, 2026, 3, 29, 0),
        1 * H,
        at(PARIS, 2026, 3, 29, 4, 30),
        id="gap-opening-resolves-forward",
    ),
    # Opening at 02:30 on 2026-10-25 happens twice: the first (CEST, 00:30Z) counts; closing 04:00
    # CET = 03:00Z, so the interval is 2h30 long and + 2h = 02:30Z = 03:30 CET.
    pytest.param(
        cal_of(PARIS, (6, time(2, 30), time(4))),
        at(PARIS, 2026, 10, 25, 0),
        2 * H,
        at(PARIS, 2026, 10, 25, 3, 30),
        id="fold-opening-takes-first",
    ),
    # 120h = two full 60h weeks from Fri 16:30: 1h30 Fri + 60h (week of Jan 12) + 58h30 (Mon-Thu
    # 48h, Fri 10h30) = Fri 2026-01-23 16:30. Exercises the whole-week jump.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 9, 16, 30), 120 * H, at(PARIS, 2026, 1, 23, 16, 30), id="two-weeks"
    ),
    # Fri 16:30 + 61h30: 1h30 Friday, then the whole next week (60h) is used up exactly at its
    # last closing, Fri 2026-01-16 18:00 -- not the opening after it (Mon 2026-01-19 06:00).
    pytest.param(
        PARIS_6_18,
        at(PARIS, 2026, 1, 9, 16, 30),
        61 * H + 30 * MINUTE,
        at(PARIS, 2026, 1, 16, 18),
        id="deadline-at-last-closing-of-a-week",
    ),
    # Same with Mon 2026-01-19 a holiday: the second week has only 48h, leaving 10h30 for Mon
    # 2026-01-26: 06:00 + 10h30 = 16:30.
    pytest.param(
        BusinessCalendar.weekdays(PARIS, time(6), time(18), frozenset({date(2026, 1, 19)})),
        at(PARIS, 2026, 1, 9, 16, 30),
        120 * H,
        at(PARIS, 2026, 1, 26, 16, 30),
        id="two-weeks-with-holiday",
    ),
    # Sydney 09:00-17:00, DST starts Sun 2026-10-04: Fri 16:00 AEST + 2h = 1h Fri + 1h Mon
    # = Mon 2026-10-05 10:00 AEDT (23:00Z Sun).
    pytest.param(
        BusinessCalendar.weekdays(SYDNEY, time(9), time(17)),
        at(SYDNEY, 2026, 10, 2, 16),
        2 * H,
        at(SYDNEY, 2026, 10, 5, 10),
        id="sydney-spring-forward-2026-10",
    ),
    # Kolkata (+05:30, no DST) 09:30-18:30: Thu 18:00 + 1h = 30 min Thu + 30 min Fri = Fri 10:00.
    pytest.param(
        BusinessCalendar.weekdays(KOLKATA, time(9, 30), time(18, 30)),
        at(KOLKATA, 2026, 2, 5, 18),
        1 * H,
        at(KOLKATA, 2026, 2, 6, 10),
        id="kolkata-half-hour-offset",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "duration", "expected"), ADD_CASES)
def test_add_business_time_hand_checked(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime
) -> None:
    got = add_business_time(calendar, start, duration)
    # Compare in UTC: an aware datetime with fold=1 never equals one in another zone (PEP 495).
    assert got == expected.astimezone(UTC), f"{got.astimezone(calendar.tz)} != {expected}"
    assert got.utcoffset() == timedelta(0) and got.tzinfo is not None
    # And the same elapsed business time is measured back (unless the start was outside hours
    # and the duration zero, where both sides are zero anyway).
    assert business_time_between(calendar, start, got) == duration


BETWEEN_CASES = [
    # The P2 example measured back: 1h30 Friday + 2h30 Monday.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 9, 16, 30), at(PARIS, 2026, 1, 12, 8, 30), 4 * H, id="paris-p2"
    ),
    # A full Paris week Mon 00:00 -> Mon 00:00 is 5 x 12h.
    pytest.param(PARIS_6_18, at(PARIS, 2026, 1, 12), at(PARIS, 2026, 1, 19), 60 * H, id="paris-week"),
    # The week containing 2026-03-29 (DST on Sunday, closed) still has 60h.
    pytest.param(PARIS_6_18, at(PARIS, 2026, 3, 23), at(PARIS, 2026, 3, 30), 60 * H, id="paris-dst-week"),
    # The week of 14 July 2026 loses Tuesday: 48h.
    pytest.param(
        BusinessCalendar.weekdays(PARIS, time(6), time(18), frozenset({date(2026, 7, 14)})),
        at(PARIS, 2026, 7, 13),
        at(PARIS, 2026, 7, 20),
        48 * H,
        id="paris-week-14-juillet",
    ),
    # 24x7 in LA over the local day 2025-11-02 (fall back): 25 real hours.
    pytest.param(
        BusinessCalendar.around_the_clock(LA),
        at(LA, 2025, 11, 2),
        at(LA, 2025, 11, 3),
        25 * H,
        id="24x7-25h-day",
    ),
    # Sunday 00:00-06:00 on the Paris spring-forward night counts 5h.
    pytest.param(
        cal_of(PARIS, (6, time(0), time(6))),
        at(PARIS, 2026, 3, 29),
        at(PARIS, 2026, 3, 30),
        5 * H,
        id="spring-night-5h",
    ),
    # ... and 7h on the fall-back night 2026-10-25 (00:00 CEST = 22:00Z, 06:00 CET = 05:00Z).
    pytest.param(
        cal_of(PARIS, (6, time(0), time(6))),
        at(PARIS, 2026, 10, 25),
        at(PARIS, 2026, 10, 26),
        7 * H,
        id="fall-night-7h",
    ),
    # 02:30-03:15 on the Paris spring-forward day: 02:30 does not exist and resolves forward to
    # 03:30 CEST, after the 03:15 close, so this occurrence is empty (the rule is fold=0 through UTC;
    # a wall-clock reading would have counted 03:00-03:15).
    pytest.param(
        cal_of(PARIS, (6, time(2, 30), time(3, 15))),
        at(PARIS, 2026, 3, 29),
        at(PARIS, 2026, 3, 30),
        0 * H,
        id="gap-swallows-interval",
    ),
    # The same interval the week before is a normal 45 minutes.
    pytest.param(
        cal_of(PARIS, (6, time(2, 30), time(3, 15))),
        at(PARIS, 2026, 3, 22),
        at(PARIS, 2026, 3, 23),
        45 * MINUTE,
        id="same-interval-normal-week",
    ),
    # Overlapping and touching intervals are merged: 08-12, 10-14, 14-16 -> 08-16 = 8h.
    pytest.param(
        cal_of(PARIS, (0, time(8), time(12)), (0, time(10), time(14)), (0, time(14), time(16))),
        at(PARIS, 2026, 1, 12),
        at(PARIS, 2026, 1, 13),
        8 * H,
        id="overlap-merged",
    ),
    # Night desk over one week, Mon 00:00 -> Mon 00:00: the Sunday has no shift, so Monday
    # 00:00-06:00 is closed; shifts Mon..Fri evenings = 5 x 8h = 40h.
    pytest.param(PARIS_NIGHT, at(PARIS, 2026, 1, 12), at(PARIS, 2026, 1, 19), 40 * H, id="night-week"),
    # end before start: zero, never negative.
    pytest.param(
        PARIS_6_18, at(PARIS, 2026, 1, 13, 12), at(PARIS, 2026, 1, 12, 12), 0 * H, id="reversed-zero"
    ),
]


@pytest.mark.parametrize(("calendar", "start", "end", "expected"), BETWEEN_CASES)
def test_business_time_between_hand_checked(
    calendar: BusinessCalendar, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert business_time_between(calendar, start, end) == expected


def test_working_periods_merges_across_midnight_and_is_utc() -> None:
    # Mon 22:00-06:00 touches Tue 06:00-10:00: one period Mon 22:00 CET (21:00Z) - Tue 10:00 (09:00Z).
    calendar = cal_of(PARIS, (0, time(22), time(6)), (1, time(6), time(10)), (1, time(9), time(11)))
    periods = list(working_periods(calendar, at(PARIS, 2026, 1, 12), at(PARIS, 2026, 1, 19)))
    assert periods == [(datetime(2026, 1, 12, 21, tzinfo=UTC), datetime(2026, 1, 13, 10, tzinfo=UTC))]
    # Clipped to the range.
    clipped = list(working_periods(calendar, at(PARIS, 2026, 1, 13, 1), at(PARIS, 2026, 1, 13, 2)))
    assert clipped == [(datetime(2026, 1, 13, 0, tzinfo=UTC), datetime(2026, 1, 13, 1, tzinfo=UTC))]


def test_always_open_ignores_holidays() -> None:
    calendar = BusinessCalendar(UTC_ZONE, (), frozenset({date(2026, 1, 1)}), always_open=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert add_business_time(calendar, start, 3 * H) == start + 3 * H
    assert business_time_between(calendar, start, start + DAY) == DAY
    assert list(working_periods(calendar, start, start + DAY)) == [(start, start + DAY)]


def test_long_duration_walks_weeks_not_minutes() -> None:
    # 2,000 business hours = 33 weeks of 60h + 20h; from Mon 2026-01-12 06:00 that is Mon
    # 2026-08-31 06:00 + 20h = Tue 2026-09-01 14:00 (no holidays in this calendar).
    start = at(PARIS, 2026, 1, 12, 6)
    got = add_business_time(PARIS_6_18, start, 2000 * H)
    assert got == at(PARIS, 2026, 9, 1, 14)
    assert business_time_between(PARIS_6_18, start, got) == 2000 * H


# --------------------------------------------------------------------------- errors


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 1, 12, 9)
    aware = at(PARIS, 2026, 1, 12, 9)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(PARIS_6_18, naive, H)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(PARIS_6_18, naive, aware)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(PARIS_6_18, aware, naive)
    with pytest.raises(ValueError, match="aware"):
        working_periods(PARIS_6_18, aware, naive)  # checked at call time, not on first next()


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(PARIS_6_18, at(PARIS, 2026, 1, 12, 9), -MINUTE)


def test_calendar_without_open_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="no open time"):
        BusinessCalendar(PARIS, ())


def test_scan_is_bounded() -> None:
    # Open only on Mondays, and every Monday for 11 years is a holiday: no deadline within the
    # 10-year bound, so ValueError instead of an endless scan.
    mondays = tuple(date(2026, 1, 5) + timedelta(weeks=k) for k in range(11 * 53))
    calendar = cal_of(PARIS, (0, time(9), time(17)), holidays=mondays)
    with pytest.raises(ValueError, match="no deadline"):
        add_business_time(calendar, at(PARIS, 2026, 1, 1), H)


def test_bad_calendar_values_are_rejected() -> None:
    with pytest.raises(ValueError):
        WorkingInterval(7, time(9), time(17))
    with pytest.raises(ValueError):
        WorkingInterval(0, time(9, tzinfo=UTC), time(17))
    with pytest.raises(TypeError):
        BusinessCalendar(UTC, (WorkingInterval(0, time(9), time(17)),))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- reference implementation
#
# Walks minute by minute in UTC. Every interval boundary is a whole minute in UTC (all offsets used
# are whole minutes), so a minute [m, m + 1min) is open exactly when the instant m is open.
#
# Two membership rules:
# * `wall_open`: convert the minute to local wall-clock time and check it against the intervals
#   (and the previous day's midnight-crossing intervals). This is the literal definition, but it
#   cannot express the spec's resolution of boundaries that fall in a DST gap or fold (a gap
#   02:30 "resolves forward" to 03:30; a fold 01:30 takes its first occurrence), so it is compared
#   only on calendars whose boundaries avoid 01:00-03:00 (intervals may still span transitions).
# * `resolved_open`: resolve each interval occurrence to UTC with fold=0 (the spec's rule) and
#   check start <= m < end. Compared on unrestricted calendars.


def wall_open(calendar: BusinessCalendar, m: datetime) -> bool:
    local = m.astimezone(calendar.tz)
    today, now = local.date(), local.time()
    yesterday = today - DAY
    for iv in calendar.intervals:
        crosses = iv.end <= iv.start
        if iv.weekday == today.weekday() and today not in calendar.holidays:
            if crosses and now >= iv.start:
                return True
            if not crosses and iv.start <= now < iv.end:
                return True
        if (
            crosses
            and iv.weekday == yesterday.weekday()
            and yesterday not in calendar.holidays
            and now < iv.end
        ):
            return True
    return False


def make_resolved_open(calendar: BusinessCalendar) -> Callable[[datetime], bool]:
    tz = calendar.tz

    @cache
    def spans(day: date) -> list[tuple[datetime, datetime]]:
        if day in calendar.holidays:
            return []
        out = []
        for iv in calendar.intervals:
            if iv.weekday == day.weekday():
                end_day = day + DAY if iv.end <= iv.start else day
                out.append(
                    (
                        datetime.combine(day, iv.start, tzinfo=tz).astimezone(UTC),
                        datetime.combine(end_day, iv.end, tzinfo=tz).astimezone(UTC),
                    )
                )
        return out

    def is_open(m: datetime) -> bool:
        today = m.astimezone(tz).date()
        return any(s <= m < e for k in range(3) for s, e in spans(today - k * DAY))

    return is_open


def ref_add(is_open: Callable[[datetime], bool], start: datetime, duration: timedelta) -> datetime:
    m = start.astimezone(UTC)
    needed = duration // MINUTE
    if needed == 0:
        while not is_open(m):
            m += MINUTE
        return m
    while True:
        if is_open(m):
            needed -= 1
            if needed == 0:
                return m + MINUTE
        m += MINUTE


def ref_between(is_open: Callable[[datetime], bool], start: datetime, end: datetime) -> timedelta:
    m, total = start.astimezone(UTC), 0
    while m < end:
        total += is_open(m)
        m += MINUTE
    return total * MINUTE


# --------------------------------------------------------------------------- strategies


def _transitions() -> list[datetime]:
    """UTC instants of the DST changes in 2025-2026 of the zones above (found by hourly scan)."""
    found = []
    for tz in (PARIS, LA, SYDNEY):
        t = datetime(2025, 1, 1, tzinfo=UTC)
        previous = t.astimezone(tz).utcoffset()
        while t < datetime(2027, 1, 1, tzinfo=UTC):
            t += H
            offset = t.astimezone(tz).utcoffset()
            if offset != previous:
                found.append(t)
                previous = offset
    return found


TRANSITIONS = _transitions()
assert len(TRANSITIONS) == 12
RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_MINUTES = int((datetime(2026, 12, 31, tzinfo=UTC) - RANGE_START) / MINUTE)

# Starts near a DST change (16 days before, so that whole weeks before it can be jumped over, to 3
# days after) most of the time, else anywhere in 2025-26.
starts = st.one_of(
    st.builds(lambda t, k: t + k * MINUTE, st.sampled_from(TRANSITIONS), st.integers(-16 * 1440, 3 * 1440)),
    st.builds(lambda k: RANGE_START + k * MINUTE, st.integers(0, RANGE_MINUTES)),
)
# Times of day: often on a half-hour grid (so intervals touch and overlap), sometimes any minute.
any_times = st.one_of(
    st.integers(0, 47).map(lambda k: time(k // 2, 30 * (k % 2))),
    st.integers(0, 1439).map(lambda k: time(k // 60, k % 60)),
)
# Boundaries outside 01:00-03:00, where no zone above has a gap or a fold.
safe_times = any_times.filter(lambda t: not time(1) <= t < time(3))


def weekly_minutes(intervals: tuple[WorkingInterval, ...]) -> int:
    """Open minutes in a nominal week (no DST, no holidays), by marking a minute grid."""
    week = [False] * (7 * 1440)
    for iv in intervals:
        s = iv.weekday * 1440 + iv.start.hour * 60 + iv.start.minute
        e = iv.weekday * 1440 + iv.end.hour * 60 + iv.end.minute
        if e <= s:
            e += 1440
        for k in range(s, e):
            week[k % (7 * 1440)] = True
    return sum(week)


@st.composite
def calendars(
    draw: st.DrawFn,
    times: st.SearchStrategy[time],
    start: datetime,
    holiday_days: int = 14,
    max_holidays: int = 5,
) -> BusinessCalendar:
    tz = draw(st.sampled_from(ZONES))
    intervals: list[WorkingInterval] = []
    for weekday in range(7):
        for _ in range(draw(st.integers(0, 3))):
            intervals.append(WorkingInterval(weekday, draw(times), draw(times)))
    if not intervals:
        intervals.append(WorkingInterval(draw(st.integers(0, 6)), draw(times), draw(times)))
    first = start.astimezone(tz).date()
    days = st.integers(-3, holiday_days).map(lambda k: first + k * DAY)
    holidays = draw(st.frozensets(days, max_size=max_holidays))
    return BusinessCalendar(tz, tuple(intervals), holidays)


@st.composite
def add_cases(
    draw: st.DrawFn, times: st.SearchStrategy[time], holiday_days: int = 14, max_holidays: int = 5
) -> tuple[BusinessCalendar, datetime, timedelta]:
    start = draw(starts)
    calendar = draw(calendars(times, start, holiday_days, max_holidays))
    # Up to 3 days of business time, and at most ~2.5 nominal weeks so the reference walk stays short.
    cap = min(3 * 1440, weekly_minutes(calendar.intervals) * 5 // 2)
    duration = draw(st.integers(0, cap)) * MINUTE
    return calendar, start, duration


@st.composite
def between_cases(
    draw: st.DrawFn, times: st.SearchStrategy[time]
) -> tuple[BusinessCalendar, datetime, datetime]:
    start = draw(starts)
    calendar = draw(calendars(times, start))
    end = start + draw(st.integers(-1440, 5 * 1440)) * MINUTE
    return calendar, start, end


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- properties


@PROPERTY
@given(add_cases(safe_times))
def test_add_matches_wall_clock_reference(case: tuple[BusinessCalendar, datetime, timedelta]) -> None:
    calendar, start, duration = case
    expected = ref_add(lambda m: wall_open(calendar, m), start, duration)
    assert add_business_time(calendar, start, duration) == expected


@PROPERTY
@given(add_cases(any_times))
def test_add_matches_resolved_reference(case: tuple[BusinessCalendar, datetime, timedelta]) -> None:
    calendar, start, duration = case
    expected = ref_add(make_resolved_open(calendar), start, duration)
    assert add_business_time(calendar, start, duration) == expected


@PROPERTY
@given(between_cases(safe_times))
def test_between_matches_wall_clock_reference(case: tuple[BusinessCalendar, datetime, datetime]) -> None:
    calendar, start, end = case
    expected = ref_between(lambda m: wall_open(calendar, m), start, end)
    assert business_time_between(calendar, start, end) == expected


@PROPERTY
@given(between_cases(any_times))
def test_between_matches_resolved_reference(case: tuple[BusinessCalendar, datetime, datetime]) -> None:
    calendar, start, end = case
    expected = ref_between(make_resolved_open(calendar), start, end)
    assert business_time_between(calendar, start, end) == expected
    periods = list(working_periods(calendar, start, end))
    assert sum((e - s for s, e in periods), timedelta(0)) == expected
    for s, e in periods:
        assert start <= s < e <= end and s.utcoffset() == timedelta(0)
    for (_, e1), (s2, _) in pairwise(periods):
        assert e1 < s2  # merged: never touching or overlapping


@PROPERTY
@given(add_cases(any_times, holiday_days=60, max_holidays=12), st.integers(0, 300 * 60))
def test_round_trip_and_long_durations(
    case: tuple[BusinessCalendar, datetime, timedelta], extra: int
) -> None:
    # Long durations (up to ~300 extra business hours) exercise the whole-week jump; the result
    # must measure back exactly, and must agree with walking working_periods() (no jumps).
    calendar, start, duration = case
    duration += extra * MINUTE
    deadline = add_business_time(calendar, start, duration)
    assert deadline >= start
    assert business_time_between(calendar, start, deadline) == duration
    walked, remaining = None, duration
    for s, e in working_periods(calendar, start, deadline + 2 * DAY):
        if remaining <= e - s:
            walked = s + remaining
            break
        remaining -= e - s
    assert walked == deadline
    # Composition: a second leg of positive duration continues where the first stopped.
    assert add_business_time(calendar, deadline, MINUTE) == add_business_time(
        calendar, start, duration + MINUTE
    )


@PROPERTY
@given(add_cases(any_times), st.integers(0, 3 * 1440), st.integers(0, 2 * 1440))
def test_monotonic(case: tuple[BusinessCalendar, datetime, timedelta], more: int, later: int) -> None:
    calendar, start, duration = case
    deadline = add_business_time(calendar, start, duration)
    assert add_business_time(calendar, start, duration + more * MINUTE) >= deadline
    assert add_business_time(calendar, start + later * MINUTE, duration) >= deadline
    end = start + more * MINUTE
    assert business_time_between(calendar, start, end + later * MINUTE) >= business_time_between(
        calendar, start, end
    )
    assert business_time_between(calendar, start + later * MINUTE, end) <= business_time_between(
        calendar, start, end
    )
    # Additivity over a split point.
    mid = start + later * MINUTE
    assert business_time_between(calendar, start, mid) + business_time_between(
        calendar, mid, mid + more * MINUTE
    ) == business_time_between(calendar, start, mid + more * MINUTE)


@PROPERTY
@given(add_cases(any_times, holiday_days=40, max_holidays=8))
def test_targets_ending_at_a_closing_return_that_closing(
    case: tuple[BusinessCalendar, datetime, timedelta],
) -> None:
    # For every period end e in the next 5 weeks, a target of exactly between(start, e) is due at
    # e itself, not at the next opening -- including the last closing of weeks that are jumped.
    calendar, start, _ = case
    for _, e in working_periods(calendar, start, start + 35 * DAY):
        assert add_business_time(calendar, start, business_time_between(calendar, start, e)) == e


@PROPERTY
@given(add_cases(any_times, holiday_days=90, max_holidays=12), st.integers(0, 90 * 1440))
def test_long_between_matches_walked_periods(
    case: tuple[BusinessCalendar, datetime, timedelta], span: int
) -> None:
    # business_time_between() jumps whole weeks; working_periods() never does: they must agree.
    calendar, start, _ = case
    end = start + span * MINUTE
    walked = sum((e - s for s, e in working_periods(calendar, start, end)), timedelta(0))
    assert business_time_between(calendar, start, end) == walked
