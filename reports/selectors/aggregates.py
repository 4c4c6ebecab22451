"""SQL pieces the reports share: ISO weeks in UTC, percentiles, ratios."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Aggregate, Expression, F, FloatField, QuerySet
from django.db.models.functions import TruncWeek


def utc_week(field: str | Expression) -> TruncWeek:
    """The Monday 00:00 UTC that starts ``field``'s ISO week."""
    return TruncWeek(F(field) if isinstance(field, str) else field, tzinfo=UTC)


def week_of(value: date | datetime) -> date:
    """A ``utc_week`` result as a date (SQLite and PostgreSQL hand back datetimes)."""
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: the value at
    ``fraction`` of the ordered group, interpolated linearly between the two nearest rows."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be within 0..1, got {fraction!r}")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_cont_runs(runs: Sequence[Sequence[float]], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont`` in Python (SQLite has none; the summarised weeks are read as
    lists), over the values of several lists together, each sorted ascending, without merging them:
    the two values around ``fraction`` of the whole are found by ``_nth_smallest``, then interpolated
    as PostgreSQL does, so both answer the same float. With more than one non-empty list the values
    must be integers (it bisects on the value)."""
    nonempty = [run for run in runs if len(run)]
    count = sum(len(run) for run in nonempty)
    if not count:
        return None
    position = fraction * (count - 1)
    lower, upper = math.floor(position), math.ceil(position)
    lower_value = _nth_smallest(nonempty, lower)
    upper_value = lower_value if upper == lower else _next_smallest(nonempty, lower_value, upper)
    # PostgreSQL's arithmetic (float8_lerp): lower + (upper - lower) × the fraction between them.
    return float(lower_value + (upper_value - lower_value) * (position - lower))


def _nth_smallest(runs: Sequence[Sequence[Any]], n: int) -> Any:
    """The ``n``-th smallest value (from 0) of the sorted, non-empty ``runs`` together: the least
    integer v of which more than ``n`` values are at most v, by bisection on v (a count is a bisection
    in each run), so its cost follows the number of runs, not of values."""
    if len(runs) == 1:
        return runs[0][n]
    low, high = min(run[0] for run in runs), max(run[-1] for run in runs)
    while low < high:
        middle = (low + high) // 2
        if _count_at_most(runs, middle) > n:
            high = middle
        else:
            low = middle + 1
    return low


def _next_smallest(runs: Sequence[Sequence[Any]], nth_value: Any, following: int) -> Any:
    """The ``following``-th smallest value, given the value just before it in the order."""
    if len(runs) == 1:
        return runs[0][following]
    if _count_at_most(runs, nth_value) > following:
        return nth_value  # a duplicate of the value before it
    return min(run[at] for run in runs if (at := bisect_right(run, nth_value)) < len(run))


def _count_at_most(runs: Iterable[Sequence[Any]], value: Any) -> int:
    return sum(bisect_right(run, value) for run in runs)


# Durations as stored in ``reports.models.DurationSummaryWeek.seconds``: signed 32-bit integers,
# little-endian whatever the machine.
_INT32 = next(code for code in "ihl" if array(code).itemsize == 4)


def durations_pack(ordered: Iterable[int]) -> bytes:
    """Business seconds (sorted ascending) as ``DurationSummaryWeek.seconds`` holds them."""
    packed = array(_INT32, ordered)  # OverflowError beyond 32 bits, never a wrapped value
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def durations_unpack(packed: bytes | memoryview) -> array[int]:
    """``durations_pack``'s values back, as an array (indexed and bisected without a list)."""
    values = array(_INT32)
    values.frombytes(packed)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def has_percentile_cont(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide (never a misleading 0 or 100 %)."""
    return part / whole if whole else None


# PostgreSQL's JIT compiles a large aggregate for longer than it then runs, and the default work
# memory sends the reports' sorts to disk (figures: BENCHMARKS.md, "Reports on 1,000,000 cases").
REPORT_SESSION_SETTINGS = {"jit": "off", "work_mem": "64MB"}


@contextmanager
def report_queries(using: str = "default") -> Iterator[None]:
    """Run reports' queries in a transaction with ``REPORT_SESSION_SETTINGS`` for that transaction only
    (``SET LOCAL``, one statement) on PostgreSQL; nothing on SQLite. Interfaces wrap what they compute
    in it (the API views, the dashboard, the benchmark), once per request."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            calls = ", ".join("set_config(%s, %s, true)" for _ in REPORT_SESSION_SETTINGS)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {calls}", [v for pair in REPORT_SESSION_SETTINGS.items() for v in pair]
                )
        yield
