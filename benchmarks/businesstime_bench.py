"""Benchmark and cross-check sla.businesstime against the `businesstimedelta` package.

Run by hand from the repository root:

    python benchmarks/businesstime_bench.py                      # print the report
    python benchmarks/businesstime_bench.py --output benchmarks/results/businesstime.md

Needs `businesstimedelta`, `pytz` and `holidays` (all in the dev dependency group). One run:

1. Main workload: Europe/Paris Mon-Fri 06:00-18:00 with French public holidays. N random
   (start, duration) pairs (durations 1-40 business hours; 10% of starts exactly at 06:00 or 18:00
   local) for add, and N random (start, end) pairs (0-14 days apart) for between. Both libraries
   get the same inputs; ops/s is N / best of several repeats (time.perf_counter).
2. Long durations: cost must follow the working intervals crossed, not minutes.
3. Disagreement hunt on edge calendars (overnight shifts, holidays, DST folds and gaps, sub-second
   inputs). Every disagreement is classified; one example per class is printed with both answers,
   a minute-by-minute reference answer and the verdict worked out by hand.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import random
import signal
import sys
import time as clock
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import businesstimedelta as btd  # noqa: E402
import holidays  # noqa: E402
import pytz  # noqa: E402

from sla.businesstime import (  # noqa: E402
    BusinessCalendar,
    WorkingInterval,
    add_business_time,
    business_time_between,
)

PARIS = ZoneInfo("Europe/Paris")
LA = ZoneInfo("America/Los_Angeles")
SEED = 20260329
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_END = datetime(2026, 12, 31, tzinfo=UTC)
HOLIDAY_YEARS = range(2024, 2030)

out_lines: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    out_lines.append(line)


# --------------------------------------------------------------------------- calendars


def france_holidays() -> holidays.HolidayBase:
    # Populated up front for every year used, so no lazy year loading happens inside a timing.
    fr: holidays.HolidayBase = holidays.country_holidays("FR", years=HOLIDAY_YEARS)
    return fr


def ours_main(fr: Iterable[date]) -> BusinessCalendar:
    return BusinessCalendar.weekdays(PARIS, time(6), time(18), frozenset(fr))


def theirs_rules(tz: str, start: time, end: time, days: list[int], hol: Any = None) -> btd.Rules:
    rules: list[Any] = [
        btd.WorkDayRule(start_time=start, end_time=end, working_days=days, tz=pytz.timezone(tz))
    ]
    if hol is not None:
        rules.append(btd.HolidayRule(hol, tz=pytz.timezone(tz)))
    return btd.Rules(rules)


def theirs_add(rules: btd.Rules, start: datetime, duration: timedelta) -> datetime:
    result: datetime = start + btd.BusinessTimeDelta(rules, timedelta=duration)
    return result


def theirs_between(rules: btd.Rules, start: datetime, end: datetime) -> timedelta:
    result: timedelta = rules.difference(start, end).timedelta
    return result


# --------------------------------------------------------------------------- reference (minute walk)


def wall_open(cal: BusinessCalendar, m: datetime) -> bool:
    """Literal definition: the local wall-clock minute lies in an interval of a non-holiday start day."""
    local = m.astimezone(cal.tz)
    today, now = local.date(), local.time()
    yesterday = today - DAY
    for iv in cal.intervals:
        crosses = iv.end <= iv.start
        on_today = iv.weekday == today.weekday() and today not in cal.holidays
        if on_today and ((crosses and now >= iv.start) or (not crosses and iv.start <= now < iv.end)):
            return True
        if crosses and iv.weekday == yesterday.weekday() and yesterday not in cal.holidays and now < iv.end:
            return True
    return False


def ref_add(
    cal: BusinessCalendar, start: datetime, duration: timedelta, limit_days: int = 60
) -> datetime | None:
    m = start.astimezone(UTC).replace(second=0, microsecond=0)
    if m != start:
        return None  # reference works on whole minutes only
    needed = duration // MINUTE
    for _ in range(limit_days * 1440):
        if wall_open(cal, m):
            if needed == 0:
                return m
            needed -= 1
            if needed == 0:
                return m + MINUTE
        m += MINUTE
    return None


def ref_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta | None:
    if start.second or start.microsecond or end.second or end.microsecond:
        return None
    m, total = start.astimezone(UTC), 0
    while m < end:
        total += wall_open(cal, m)
        m += MINUTE
    return total * MINUTE


# --------------------------------------------------------------------------- timing


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = clock.perf_counter()
        fn()
        best = min(best, clock.perf_counter() - t0)
    return best


def random_start(rng: random.Random, tz: ZoneInfo, edge_times: tuple[time, ...] = ()) -> datetime:
    span = int((RANGE_END - RANGE_START) / MINUTE)
    start = RANGE_START + rng.randrange(span) * MINUTE
    if edge_times and rng.random() < 0.10:
        local_day = start.astimezone(tz).date()
        start = datetime.combine(local_day, rng.choice(edge_times), tzinfo=tz).astimezone(UTC)
    return start


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt_rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} ops/s ({seconds / n * 1e6:,.1f} µs/op)"


# --------------------------------------------------------------------------- main workload


def main_workload(n: int, repeats: int, their_repeats: int) -> None:
    rng = random.Random(SEED)
    fr = france_holidays()
    fr_dates = frozenset(fr.keys())
    ours = ours_main(fr_dates)
    theirs_obj = theirs_rules("Europe/Paris", time(6), time(18), [0, 1, 2, 3, 4], fr)
    theirs_set = theirs_rules("Europe/Paris", time(6), time(18), [0, 1, 2, 3, 4], fr_dates)

    adds = [
        (random_start(rng, PARIS, (time(6), time(18))), rng.randrange(60, 40 * 60 + 1) * MINUTE)
        for _ in range(n)
    ]
    betweens = []
    for _ in range(n):
        s = random_start(rng, PARIS, (time(6), time(18)))
        betweens.append((s, s + rng.randrange(0, 14 * 1440 + 1) * MINUTE))

    emit("## 1. Main workload: Europe/Paris Mon-Fri 06:00-18:00 + French public holidays")
    emit()
    emit(
        f"{n:,} add pairs (starts uniform over 2025-2026 to the minute, 10% exactly at 06:00/18:00 local; "
        f"durations 1-40 business hours) and {n:,} between pairs (0-14 days apart). Seed {SEED}. "
        f"Best of {repeats} repeats for sla.businesstime, {their_repeats} for businesstimedelta."
    )
    emit()

    def run_ours_add(cal_factory: Callable[[], BusinessCalendar] | None = None) -> Callable[[], object]:
        def go() -> list[datetime]:
            if cal_factory is None:
                return [add_business_time(ours, s, d) for s, d in adds]
            return [add_business_time(cal_factory(), s, d) for s, d in adds]

        return go

    def run_ours_between(cal_factory: Callable[[], BusinessCalendar] | None = None) -> Callable[[], object]:
        def go() -> list[timedelta]:
            if cal_factory is None:
                return [business_time_between(ours, s, e) for s, e in betweens]
            return [business_time_between(cal_factory(), s, e) for s, e in betweens]

        return go

    def fresh() -> BusinessCalendar:
        return ours_main(fr_dates)

    rows: list[tuple[str, str, float]] = []
    rows.append(
        ("add", "sla.businesstime (shared calendar, warm per-day memo)", best_of(repeats, run_ours_add()))
    )
    rows.append(
        ("add", "sla.businesstime (new calendar per call, cold)", best_of(repeats, run_ours_add(fresh)))
    )
    rows.append(
        (
            "add",
            "businesstimedelta (HolidayRule(holidays.France))",
            best_of(their_repeats, lambda: [theirs_add(theirs_obj, s, d) for s, d in adds]),
        )
    )
    rows.append(
        (
            "add",
            "businesstimedelta (HolidayRule(frozenset of dates))",
            best_of(their_repeats, lambda: [theirs_add(theirs_set, s, d) for s, d in adds]),
        )
    )
    rows.append(("between", "sla.businesstime (shared calendar, warm)", best_of(repeats, run_ours_between())))
    rows.append(
        (
            "between",
            "sla.businesstime (new calendar per call, cold)",
            best_of(repeats, run_ours_between(fresh)),
        )
    )
    rows.append(
        (
            "between",
            "businesstimedelta (HolidayRule(holidays.France))",
            best_of(their_repeats, lambda: [theirs_between(theirs_obj, s, e) for s, e in betweens]),
        )
    )
    rows.append(
        (
            "between",
            "businesstimedelta (HolidayRule(frozenset of dates))",
            best_of(their_repeats, lambda: [theirs_between(theirs_set, s, e) for s, e in betweens]),
        )
    )
    emit("| workload | implementation | throughput |")
    emit("| --- | --- | --- |")
    for kind, name, secs in rows:
        emit(f"| {kind} | {name} | {fmt_rate(n, secs)} |")
    emit()
    for kind in ("add", "between"):
        kind_rows = [r for r in rows if r[0] == kind]
        ours_warm, ours_cold, their_obj, their_set = (r[2] for r in kind_rows)
        emit(
            f"- {kind}: sla.businesstime is **{their_obj / ours_warm:.0f}x** faster warm "
            f"({their_obj / ours_cold:.0f}x cold) than businesstimedelta with the holidays object, "
            f"{their_set / ours_warm:.0f}x warm ({their_set / ours_cold:.0f}x cold) against it with a frozenset."
        )
    emit()

    add_dis = sum(add_business_time(ours, s, d) != theirs_add(theirs_obj, s, d) for s, d in adds)
    between_dis = sum(
        business_time_between(ours, s, e) != theirs_between(theirs_obj, s, e) for s, e in betweens
    )
    emit(f"Disagreements on this workload: add {add_dis} / {n:,}, between {between_dis} / {n:,}.")
    emit()


# --------------------------------------------------------------------------- long durations


def long_durations(repeats: int, their_repeats: int) -> None:
    fr_dates = frozenset(france_holidays().keys())
    ours = ours_main(fr_dates)
    ours_plain = ours_main(frozenset())
    theirs_set = theirs_rules("Europe/Paris", time(6), time(18), [0, 1, 2, 3, 4], fr_dates)
    start = datetime(2025, 1, 6, 9, 17, tzinfo=PARIS)
    emit("## 2. Long durations (cost follows intervals / weeks crossed, not minutes)")
    emit()
    emit(f"Start {start.isoformat()}; each figure is the best of the repeats for one call.")
    emit()
    emit(
        "| business hours | sla.businesstime, no holidays | sla.businesstime, French holidays | businesstimedelta |"
    )
    emit("| ---: | ---: | ---: | ---: |")
    for hours in (20, 200, 2_000, 20_000):
        d = hours * HOUR

        def one(cal: BusinessCalendar, d: timedelta = d) -> Callable[[], object]:
            # Fresh calendar object each time: nothing memoised from the previous repeat.
            def go() -> datetime:
                fresh = BusinessCalendar(cal.tz, cal.intervals, cal.holidays)
                return add_business_time(fresh, start, d)

            return go

        plain = best_of(repeats, one(ours_plain))
        hol = best_of(repeats, one(ours))
        if hours <= 2_000:
            theirs_t = best_of(their_repeats, partial(theirs_add, theirs_set, start, d))
            theirs_s = f"{theirs_t * 1e3:,.2f} ms"
            agree = add_business_time(ours, start, d) == theirs_add(theirs_set, start, d)
            theirs_s += "" if agree else " (DISAGREES)"
        else:
            theirs_s = "not run"
        emit(f"| {hours:,} | {plain * 1e3:,.3f} ms | {hol * 1e3:,.3f} ms | {theirs_s} |")
    emit()
    emit(
        "20,000 business hours is ~6.4 years of a 60 h week (about 330 weeks): a minute loop would take "
        "~3.4 million steps; the time above is a few hundred week steps (jumped whole when a week has no "
        "holiday and no UTC-offset change, walked interval by interval otherwise)."
    )
    emit()


# --------------------------------------------------------------------------- disagreement hunt


class Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout


def guarded(fn: Callable[[], Any], seconds: int = 2) -> Any:
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)
    try:
        return fn()
    except Timeout:
        return f"TIMEOUT (no answer after {seconds} s)"
    except Exception as exc:  # the report shows what the other library raised
        return f"raised {type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)


VERDICTS = {
    "overnight: start on the shift's own day at/after opening": (
        "businesstimedelta wrong. WorkDayRule.next() keeps the current day only while the local time is "
        "< max(start_time, end_time); for a 22:00-06:00 shift any time from 22:00 (including exactly "
        "22:00, the opening) moves on to the NEXT working day's shift, so the hours left in the current "
        "shift are never counted."
    ),
    "overnight: start after midnight inside the previous day's shift": (
        "businesstimedelta wrong. At e.g. 03:00 it looks only at today's shift (22:00 tonight) and never "
        "at yesterday's, which is still running until 06:00; on a Saturday morning it even skips to "
        "Monday. sla.businesstime counts the 3 h left, as does the minute-by-minute reference."
    ),
    "holiday: overnight shift runs into or out of a holiday": (
        "No disagreement expected, and none found. HolidayRule blocks the holiday's local day 00:00-24:00, "
        "but Rules.next() only cuts a period when the holiday ENDS before it, so the shift from the "
        "evening before runs through the holiday's midnight; and the shift starting on the holiday is "
        "skipped whole (after the holiday the next opening is that evening's 22:00). Both match the "
        "Casedesk rule that an interval belongs to the day it starts on."
    ),
    "holiday: finite holiday list runs out": (
        "businesstimedelta wrong (crash). HolidayRule.next_holiday() scans at most 5 years ahead and "
        "returns None when it finds no holiday; HolidayRule.next() then calls datetime.combine(None, ...) "
        "and raises TypeError. It only works with a holiday source that never runs out (the holidays "
        "package object) or a list reaching 5 years past every query. sla.businesstime takes any set."
    ),
    "DST fall-back: opening time occurs twice": (
        "Convention; sla.businesstime follows the spec. pytz localize(is_dst=False) takes the SECOND "
        "occurrence (standard time) of an ambiguous wall time; the spec says fold=0, the FIRST "
        "occurrence, so sla.businesstime opens one real hour earlier that day."
    ),
    "DST spring-forward: opening time does not exist": (
        "No disagreement expected: pytz localize(is_dst=False) and zoneinfo fold=0 both move a time in "
        "the gap forward by the gap (02:30 -> 03:30)."
    ),
    "sub-second inputs": (
        "businesstimedelta wrong. Rule.difference() rebuilds its result from days and seconds "
        "(BusinessTimeDelta(hours=days*24, seconds=seconds)) and drops the microseconds."
    ),
    "24h day (00:00-00:00)": (
        "businesstimedelta cannot express it: WorkDayRule(time(0), time(0)) yields zero-length periods "
        "and Rules.next() then loops forever (cut off here after 2 s by SIGALRM). sla.businesstime "
        "treats start == end as the whole 24 h day."
    ),
}


def classify(name: str, cal: BusinessCalendar, start: datetime, a: datetime, b: datetime | str) -> str:
    if name.startswith("24h"):
        return "24h day (00:00-00:00)"
    if name.startswith("sub-second"):
        return "sub-second inputs"
    if name.startswith("LA"):
        return "DST fall-back: opening time occurs twice"
    if name.startswith("Paris gap"):
        return "DST spring-forward: opening time does not exist"
    local = start.astimezone(cal.tz)
    iv = cal.intervals[0]
    working = {i.weekday for i in cal.intervals}
    yesterday = local.date() - DAY
    if local.time() < iv.end and yesterday.weekday() in working and yesterday not in cal.holidays:
        return "overnight: start after midnight inside the previous day's shift"
    if local.time() >= iv.start and local.weekday() in working and local.date() not in cal.holidays:
        return "overnight: start on the shift's own day at/after opening"
    return "holiday: overnight shift runs into or out of a holiday"


def disagreement_hunt(n_probe: int) -> None:
    rng = random.Random(SEED + 1)
    fr = france_holidays()
    fr_dates = frozenset(fr.keys())
    night = [0, 1, 2, 3, 4]
    probes: list[tuple[str, BusinessCalendar, btd.Rules, list[tuple[datetime, timedelta]]]] = []

    def starts(tz: ZoneInfo, edges: tuple[time, ...], k: int) -> list[datetime]:
        out = []
        for _ in range(k):
            s = random_start(rng, tz)
            if rng.random() < 0.2:
                s = datetime.combine(s.astimezone(tz).date(), rng.choice(edges), tzinfo=tz).astimezone(UTC)
            out.append(s)
        return out

    # Overnight desk, no holidays.
    cal = BusinessCalendar(PARIS, tuple(WorkingInterval(d, time(22), time(6)) for d in night))
    pairs = [(s, rng.randrange(60, 40 * 60) * MINUTE) for s in starts(PARIS, (time(22), time(6)), n_probe)]
    probes.append(
        (
            "overnight 22:00-06:00 Mon-Fri, Paris",
            cal,
            theirs_rules("Europe/Paris", time(22), time(6), night),
            pairs,
        )
    )
    # Overnight desk with French holidays; starts within a few days before a holiday.
    cal_h = BusinessCalendar(PARIS, cal.intervals, fr_dates)
    hol_list = sorted(d for d in fr_dates if date(2025, 1, 1) <= d <= date(2026, 12, 31))
    pairs = []
    for _ in range(n_probe):
        h = rng.choice(hol_list)
        s = datetime.combine(h - rng.randrange(0, 4) * DAY, time(0), tzinfo=PARIS).astimezone(UTC)
        s += rng.randrange(0, 1440) * MINUTE
        pairs.append((s, rng.randrange(60, 40 * 60) * MINUTE))
    probes.append(
        (
            "overnight 22:00-06:00 Mon-Fri + French holidays, Paris",
            cal_h,
            theirs_rules("Europe/Paris", time(22), time(6), night, fr_dates),
            pairs,
        )
    )
    # Ambiguous opening on the LA fall-back days: daily 01:30-09:00.
    cal_la = BusinessCalendar(LA, tuple(WorkingInterval(d, time(1, 30), time(9)) for d in range(7)))
    pairs = []
    for fb in (date(2025, 11, 2), date(2026, 11, 1)):
        for _ in range(n_probe // 2):
            s = (
                datetime.combine(fb - DAY, time(12), tzinfo=LA).astimezone(UTC)
                + rng.randrange(0, 720) * MINUTE
            )
            pairs.append((s, rng.randrange(30, 16 * 60) * MINUTE))
    probes.append(
        (
            "LA daily 01:30-09:00 around fall-back",
            cal_la,
            theirs_rules("America/Los_Angeles", time(1, 30), time(9), list(range(7))),
            pairs,
        )
    )
    # Non-existent opening on the Paris spring-forward days: daily 02:30-10:00.
    cal_gap = BusinessCalendar(PARIS, tuple(WorkingInterval(d, time(2, 30), time(10)) for d in range(7)))
    pairs = []
    for sf in (date(2025, 3, 30), date(2026, 3, 29)):
        for _ in range(n_probe // 2):
            s = (
                datetime.combine(sf - DAY, time(12), tzinfo=PARIS).astimezone(UTC)
                + rng.randrange(0, 720) * MINUTE
            )
            pairs.append((s, rng.randrange(30, 16 * 60) * MINUTE))
    probes.append(
        (
            "Paris gap: daily 02:30-10:00 around spring-forward",
            cal_gap,
            theirs_rules("Europe/Paris", time(2, 30), time(10), list(range(7))),
            pairs,
        )
    )

    emit("## 3. Disagreement hunt (edge calendars)")
    emit()
    emit(
        "Each answer that differs is classified; for each class one example is shown with both answers and "
        "the minute-by-minute reference (local wall-clock membership, as in the tests), then the verdict. "
        "Times are local to the calendar."
    )
    emit()
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for name, ours, theirs, pairs in probes:
        dis = 0
        for s, d in pairs:
            a = add_business_time(ours, s, d)
            b = guarded(partial(theirs_add, theirs, s, d))
            if isinstance(b, str) or a != b:
                dis += 1
                cls = classify(name, ours, s, a, b)
                counts[cls] += 1
                if cls not in examples:
                    ref = ref_add(ours, s, d) if not name.startswith("LA") else None
                    tz = ours.tz
                    b_s = b if isinstance(b, str) else b.astimezone(tz).isoformat()
                    ref_s = "n/a (wall time ambiguous)" if ref is None else ref.astimezone(tz).isoformat()
                    examples[cls] = (
                        f"add, {name}: start {s.astimezone(tz):%a %Y-%m-%d %H:%M %Z}, {d} business time -> "
                        f"sla.businesstime {a.astimezone(tz).isoformat()}, businesstimedelta {b_s}, "
                        f"reference {ref_s}"
                    )
        emit(f"- {name}: {dis} / {len(pairs)} add answers differ")
    # Sub-second: between on the main calendar.
    ours_m = ours_main(fr_dates)
    theirs_m = theirs_rules("Europe/Paris", time(6), time(18), [0, 1, 2, 3, 4], fr)
    dis = 0
    for _ in range(n_probe):
        s = random_start(rng, PARIS) + timedelta(microseconds=rng.randrange(1, 10**6))
        e = s + rng.randrange(0, 5 * 1440) * MINUTE + timedelta(microseconds=rng.randrange(1, 10**6))
        a2, b2 = business_time_between(ours_m, s, e), theirs_between(theirs_m, s, e)
        if a2 != b2:
            dis += 1
            counts["sub-second inputs"] += 1
            examples.setdefault(
                "sub-second inputs",
                f"between, main calendar: {s.astimezone(PARIS).isoformat()} -> {e.astimezone(PARIS).isoformat()}: "
                f"sla.businesstime {a2}, businesstimedelta {b2}",
            )
    emit(f"- sub-second starts/ends, main calendar (between): {dis} / {n_probe} answers differ")
    # 24h day.
    cal24 = BusinessCalendar(PARIS, (WorkingInterval(0, time(0), time(0)),))
    th24 = theirs_rules("Europe/Paris", time(0), time(0), [0])
    s24 = datetime(2026, 1, 12, 10, tzinfo=PARIS)
    a24 = add_business_time(cal24, s24, 2 * HOUR)
    b24 = guarded(lambda: theirs_add(th24, s24, 2 * HOUR))
    if isinstance(b24, str) or a24 != b24:
        counts["24h day (00:00-00:00)"] += 1
        examples["24h day (00:00-00:00)"] = (
            f"add, Monday 00:00-00:00 (24 h), Paris: start {s24:%a %Y-%m-%d %H:%M}, 2h -> sla.businesstime "
            f"{a24.astimezone(PARIS).isoformat()}, businesstimedelta {b24}"
        )
    emit(
        f"- Monday 00:00-00:00 (whole day), Paris: {'differs' if counts['24h day (00:00-00:00)'] else 'agrees'}"
    )
    # A finite holiday list that has run out.
    one_day = frozenset({date(2026, 7, 14)})
    cal_one = BusinessCalendar.weekdays(PARIS, time(6), time(18), one_day)
    th_one = theirs_rules("Europe/Paris", time(6), time(18), [0, 1, 2, 3, 4], one_day)
    s_one = datetime(2026, 7, 15, 9, tzinfo=PARIS)
    a_one = add_business_time(cal_one, s_one, 4 * HOUR)
    b_one = guarded(lambda: theirs_add(th_one, s_one, 4 * HOUR))
    if isinstance(b_one, str) or a_one != b_one:
        counts["holiday: finite holiday list runs out"] += 1
        examples["holiday: finite holiday list runs out"] = (
            f"add, Mon-Fri 06:00-18:00 Paris with holidays={{2026-07-14}}: start {s_one:%a %Y-%m-%d %H:%M}, 4h -> "
            f"sla.businesstime {a_one.astimezone(PARIS).isoformat()} (09:00 + 4h, same day), businesstimedelta {b_one}"
        )
    emit(
        f"- Mon-Fri 06:00-18:00 with holidays={{2026-07-14}}, start the day after: "
        f"{'differs' if counts['holiday: finite holiday list runs out'] else 'agrees'}"
    )
    emit()
    emit("### Classes, examples and verdicts")
    emit()
    for cls, verdict in VERDICTS.items():
        emit(f"**{cls}** - {counts[cls]} disagreement(s)")
        emit()
        if cls in examples:
            emit(f"- Example: {examples[cls]}")
        emit(f"- Verdict: {verdict}")
        emit()


# --------------------------------------------------------------------------- entry point


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20_000, help="pairs per workload (default 20000)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats for sla.businesstime (best is kept)")
    parser.add_argument("--their-repeats", type=int, default=3, help="repeats for businesstimedelta")
    parser.add_argument("--probe", type=int, default=2_000, help="cases per disagreement probe")
    parser.add_argument("--output", type=Path, help="also write the report (markdown) to this file")
    args = parser.parse_args()

    emit("# sla.businesstime vs businesstimedelta")
    emit()
    emit(
        f"- Command: `python {' '.join(['benchmarks/businesstime_bench.py', *sys.argv[1:]])}` (from the repo root)"
    )
    emit(f"- Python: {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    emit(f"- Machine: {platform.system()} {platform.machine()}, nproc={os.cpu_count()}, CPU {cpu_model()}")
    versions = ", ".join(
        f"{pkg} {importlib.metadata.version(pkg)}" for pkg in ("holidays", "businesstimedelta", "pytz")
    )
    emit(f"- Packages: {versions}")
    emit(f"- Date of run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    emit()
    main_workload(args.n, args.repeats, args.their_repeats)
    long_durations(args.repeats, args.their_repeats)
    disagreement_hunt(args.probe)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
        print(f"(written to {args.output})", file=sys.stderr)


if __name__ == "__main__":
    main()
