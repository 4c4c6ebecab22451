"""SQL pieces the reports share: ISO weeks in UTC, percentiles, ratios."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
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


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """``percentile_cont`` in Python over values sorted ascending (SQLite has no such aggregate):
    the same linear interpolation PostgreSQL does, so both answer alike."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower))


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
