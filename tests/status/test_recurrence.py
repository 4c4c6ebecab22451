"""Weekly occurrences in a zone with DST. America/Los_Angeles: PST = UTC-8 until 2026-03-08 02:00,
PDT = UTC-7 until 2026-11-01 02:00, PST again after."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from status.recurrence import (
    MAX_WEEKS,
    UnknownTimeZone,
    WeeklyRule,
    next_occurrences,
    occurrence_at,
    occurrences_between,
    zone_get,
)

LA = "America/Los_Angeles"
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


FINANCIALS = WeeklyRule(weekday=FRIDAY, local_start=time(19, 30), duration=timedelta(hours=4), time_zone=LA)
INTELLIGENT_TIME = WeeklyRule(
    weekday=SATURDAY, local_start=time(23, 0), duration=timedelta(hours=2), time_zone=LA
)


@pytest.mark.parametrize(
    ("after", "expected_starts"),
    [
        # Spring forward (Sunday 2026-03-08): Fri 03-06 19:30 PST = 03-07 03:30Z; Fri 03-13 19:30 PDT = 03-14 02:30Z.
        (utc(2026, 3, 1), [utc(2026, 3, 7, 3, 30), utc(2026, 3, 14, 2, 30), utc(2026, 3, 21, 2, 30)]),
        # Fall back (Sunday 2026-11-01): Fri 10-30 19:30 PDT = 10-31 02:30Z; Fri 11-06 19:30 PST = 11-07 03:30Z.
        (utc(2026, 10, 25), [utc(2026, 10, 31, 2, 30), utc(2026, 11, 7, 3, 30), utc(2026, 11, 14, 3, 30)]),
        # Winter: 03:30Z.
        (utc(2026, 1, 5), [utc(2026, 1, 10, 3, 30), utc(2026, 1, 17, 3, 30), utc(2026, 1, 24, 3, 30)]),
    ],
)
def test_friday_window_keeps_its_local_time_across_both_dst_changes(after, expected_starts):
    runs = next_occurrences(FINANCIALS, after, 3)

    assert [run.start for run in runs] == expected_starts
    assert all(run.end - run.start == timedelta(hours=4) for run in runs)
    assert {run.local_date.weekday() for run in runs} == {FRIDAY}


def test_window_crossing_midnight_ends_on_the_next_local_day():
    # Sat 2026-01-10 23:00 PST = Sun 01-11 07:00Z; + 2 h = 09:00Z = Sun 01:00 PST.
    run = next_occurrences(INTELLIGENT_TIME, utc(2026, 1, 5), 1)[0]

    assert (run.start, run.end, run.local_date) == (
        utc(2026, 1, 11, 7),
        utc(2026, 1, 11, 9),
        date(2026, 1, 10),
    )
    assert run.end.astimezone(zone_get(LA)).isoformat() == "2026-01-11T01:00:00-08:00"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # The night before spring forward: Sat 03-07 23:00 PST = 03-08 07:00Z, ends 09:00Z (01:00 PST, before the gap).
        (utc(2026, 3, 6), (utc(2026, 3, 8, 7), utc(2026, 3, 8, 9))),
        # The night before fall back: Sat 10-31 23:00 PDT = 11-01 06:00Z, ends 08:00Z (the first 01:00, PDT).
        (utc(2026, 10, 30), (utc(2026, 11, 1, 6), utc(2026, 11, 1, 8))),
        # The first Saturday of winter time: 11-07 23:00 PST = 11-08 07:00Z.
        (utc(2026, 11, 2), (utc(2026, 11, 8, 7), utc(2026, 11, 8, 9))),
    ],
)
def test_midnight_window_on_dst_weekends(after, expected):
    run = next_occurrences(INTELLIGENT_TIME, after, 1)[0]

    assert (run.start, run.end) == expected


def test_nonexistent_local_start_uses_the_offset_before_the_gap():
    # 02:30 on 2026-03-08 never happens in LA; read as 02:30 PST = 10:30Z (= 03:30 PDT on the wall clock).
    rule = WeeklyRule(weekday=SUNDAY, local_start=time(2, 30), duration=timedelta(hours=1), time_zone=LA)

    runs = next_occurrences(rule, utc(2026, 3, 7), 2)

    assert [run.start for run in runs] == [utc(2026, 3, 8, 10, 30), utc(2026, 3, 15, 9, 30)]
    assert runs[0].start.astimezone(zone_get(LA)).strftime("%H:%M %Z") == "03:30 PDT"


def test_ambiguous_local_start_means_the_first_of_the_two():
    # 01:30 happens twice on 2026-11-01 in LA; the first is PDT: 08:30Z (the second would be 09:30Z).
    rule = WeeklyRule(weekday=SUNDAY, local_start=time(1, 30), duration=timedelta(hours=1), time_zone=LA)

    runs = next_occurrences(rule, utc(2026, 10, 31), 2)

    assert [run.start for run in runs] == [utc(2026, 11, 1, 8, 30), utc(2026, 11, 8, 9, 30)]


def test_duration_is_elapsed_time_across_a_change():
    # Sat 2026-10-31 23:30 PDT = 11-01 06:30Z; 4 h later is 10:30Z = 02:30 PST: the wall clock shows 3 h later.
    rule = WeeklyRule(weekday=SATURDAY, local_start=time(23, 30), duration=timedelta(hours=4), time_zone=LA)

    run = next_occurrences(rule, utc(2026, 10, 30), 1)[0]

    assert (run.start, run.end) == (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 10, 30))


def test_occurrence_at_uses_a_half_open_interval():
    start, end = utc(2026, 3, 14, 2, 30), utc(2026, 3, 14, 6, 30)

    assert occurrence_at(FINANCIALS, start - timedelta(microseconds=1)) is None
    assert occurrence_at(FINANCIALS, start).start == start
    assert occurrence_at(FINANCIALS, end - timedelta(microseconds=1)).end == end
    assert occurrence_at(FINANCIALS, end) is None


def test_next_occurrences_lists_the_one_in_progress_first():
    runs = next_occurrences(INTELLIGENT_TIME, utc(2026, 1, 11, 8), 2)

    assert [run.start for run in runs] == [utc(2026, 1, 11, 7), utc(2026, 1, 18, 7)]


def test_occurrences_between_includes_overlapping_runs_only():
    runs = occurrences_between(FINANCIALS, utc(2026, 3, 7, 7, 30), utc(2026, 3, 21, 2, 30))

    # The 03-07 run ends exactly at the range start and the 03-21 run starts exactly at its end: neither overlaps.
    assert [run.start for run in runs] == [utc(2026, 3, 14, 2, 30)]


def test_active_dates_bound_the_local_start_dates_inclusively():
    rule = WeeklyRule(
        weekday=FRIDAY,
        local_start=time(19, 30),
        duration=timedelta(hours=4),
        time_zone=LA,
        active_from=date(2026, 3, 13),
        active_until=date(2026, 3, 27),
    )

    runs = occurrences_between(rule, utc(2026, 1, 1), utc(2026, 12, 31))

    assert [run.local_date for run in runs] == [date(2026, 3, 13), date(2026, 3, 20), date(2026, 3, 27)]
    assert next_occurrences(rule, utc(2026, 1, 1), 10) == runs
    assert next_occurrences(rule, utc(2026, 4, 1), 10) == []


def test_far_future_active_from_costs_no_extra_iterations():
    rule = WeeklyRule(
        weekday=FRIDAY,
        local_start=time(19, 30),
        duration=timedelta(hours=4),
        time_zone=LA,
        active_from=date(2090, 1, 1),
    )

    assert next_occurrences(rule, utc(2026, 1, 1), 1)[0].local_date == date(2090, 1, 6)


def test_ranges_are_bounded():
    with pytest.raises(ValueError, match="Range too long"):
        occurrences_between(
            FINANCIALS, utc(2026, 1, 1), utc(2026, 1, 1) + (MAX_WEEKS + 1) * timedelta(days=7)
        )
    assert occurrences_between(FINANCIALS, utc(2026, 1, 2), utc(2026, 1, 1)) == []
    assert next_occurrences(FINANCIALS, utc(2026, 1, 1), 0) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekday": 7}, "weekday"),
        ({"duration": timedelta(0)}, "duration"),
        ({"duration": timedelta(days=8)}, "duration"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"time_zone": ""}, "Unknown time zone"),
        ({"local_start": time(19, 30, tzinfo=UTC)}, "naive"),
        ({"active_from": date(2026, 2, 1), "active_until": date(2026, 1, 1)}, "active_until"),
    ],
)
def test_invalid_rules_are_refused(changes, message):
    values = {"weekday": FRIDAY, "local_start": time(19, 30), "duration": timedelta(hours=4), "time_zone": LA}

    with pytest.raises(ValueError, match=message):
        WeeklyRule(**{**values, **changes})


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        next_occurrences(FINANCIALS, datetime(2026, 1, 1), 1)


@pytest.mark.parametrize("name", ["../etc/passwd", "Europe/Nowhere", " Europe/Paris", ""])
def test_zone_get_refuses_unknown_names(name):
    with pytest.raises(UnknownTimeZone):
        zone_get(name)
