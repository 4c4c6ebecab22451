"""ORM queries compiled once and run again with new parameter values.

Building a queryset and compiling it to SQL costs the worker more than PostgreSQL takes to answer a
small indexed read, and Django has no statement cache. This is one, for the reads whose SQL is the
same for every request, so that a few templates per worker serve them all:

- the token lookup with the user's membership (``accounts.authentication``): every API request;
- the reads of a write: the priority rule (``cases.selectors``), the SLA targets and a case's SLA
  timers (``sla.selectors``, the timers also on every case detail, and locked for the SLA writes), a company's active webhooks
  (``notifications.outbox``), catalogue values by code (``core.api.serializers``).

Their keys come from the code (a constant, the set of SLA metrics asked for, the serializer field),
never from the data or the reader, so after the first call every call hits. Nowhere else: a query
whose SQL depends on who reads (the visibility rule of the case detail and the case list pages)
needs a template per reader; with many readers most calls miss, a miss compiles the query three
times, and the templates held grow the worker, so there it costs more than the plain queryset it
replaces. The figures are in ``BENCHMARKS.md`` ("Realistic workload", "``core/precompiled.py`` on
this load"); a new use should show there, on ``casedesk_precompiled_fetches_total``, that it hits.

- The caller names what the SQL depends on. ``key`` holds everything the builder reads from Python
  objects; the values that change from call to call are named parameters, passed to the builder as
  placeholders when the template is compiled and put in their places in the SQL's parameters
  afterwards. A value must reach the SQL as a parameter of its own (an ``=`` or ``<`` lookup; a
  datetime as the backend adapts it), not folded into another (``icontains``) nor written into the
  SQL (a slice bound). A new template is compiled with two sets of placeholders (the parameters
  that differ are the slots) and then with the real values, and refused unless all three agree.
- Rows are turned into model instances by Django's own ``ModelIterable`` from the compiler's
  column map, so ``select_related``, ``only``/``defer`` and annotations behave as in the queryset.
- With ``settings.PRECOMPILED_QUERIES_CHECK`` (the test suite, the contract-fuzzing server) every
  call also builds and compiles the queryset afresh and fails loudly if the cached SQL or its
  parameters differ: a key that misses an input cannot go unnoticed there.

Templates are kept per process (each worker compiles its own), at most ``max_entries`` per query,
least recently used first out. ``casedesk_precompiled_fetches_total`` counts calls by query and
outcome (``hit``, ``miss``; ``off`` when ``settings.PRECOMPILED_QUERIES`` is false, or the query is
named in ``PRECOMPILED_QUERIES_OFF``, and every call builds the plain queryset, as
benchmarks/realistic.py compares).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.compiler import SQLCompiler
from prometheus_client import Counter

# Placeholder values. The template is compiled twice, with two sets of them, and the parameters that
# differ between the two are the slots: a placeholder may equal a value the builder wrote in itself.
# Integers stay inside a small integer column's range (Django compiles a lookup beyond a column's
# range to "no rows", which the compilation with the real values would then refuse).
_INT_PLACEHOLDERS = (10_001, 20_001)
_STR_PLACEHOLDER = "\x00casedesk placeholder {} {}\x00"
_DATETIME_PLACEHOLDERS = (datetime(2001, 1, 1, tzinfo=UTC), datetime(2002, 2, 2, tzinfo=UTC))


FETCHES = Counter(
    "casedesk_precompiled_fetches",
    "Precompiled query calls by query and outcome: hit (cached SQL), miss (compiled now), off (cache off).",
    ["query", "outcome"],
)


class StalePrecompiledQuery(AssertionError):
    """The cached SQL differs from a fresh compilation: the key misses something the builder reads."""


class PlaceholderNotFound(TypeError):
    """A named parameter did not reach the compiled SQL as a parameter of its own."""


@dataclass(frozen=True, slots=True)
class _Template:
    compiler: SQLCompiler | None  # None: the query can match nothing (``.none()``), no SQL to run
    sql: str
    params: tuple[Any, ...]
    # (position in params, parameter name, whether the backend adapts it: SQLite passes datetimes as text)
    slots: tuple[tuple[int, str, bool], ...]

    def params_for(self, values: dict[str, Any], using: str) -> tuple[Any, ...]:
        params = list(self.params)
        for position, name, adapted in self.slots:
            value = values[name]
            params[position] = connections[using].ops.adapt_datetimefield_value(value) if adapted else value
        return tuple(params)


class _CompiledQuerySource:
    """What ``ModelIterable`` reads from a queryset: the database, a compiler to execute, and known
    related objects (none)."""

    _known_related_objects: dict[Any, Any] = {}

    def __init__(self, compiler: SQLCompiler, using: str) -> None:
        self.db = using
        self.query = self
        self._compiler = compiler

    def get_compiler(self, using: str | None = None, **_: Any) -> SQLCompiler:
        return self._compiler


class PrecompiledQuery:
    """One query shape (``name``), its SQL compiled once per key and database."""

    def __init__(self, name: str, *, max_entries: int = 512) -> None:
        self.name = name
        self.max_entries = max_entries
        self._templates: OrderedDict[Hashable, _Template] = OrderedDict()
        self._lock = threading.Lock()

    def fetch[M: Model](
        self, *, key: Hashable, build: Callable[..., QuerySet[M]], using: str = "default", **values: Any
    ) -> list[M]:
        """The instances ``build(**values)`` would load. ``build`` is called for a new template
        (three times: two sets of placeholders, then the real values to compare) and, in check
        mode, once more on every later call."""
        values = {name: _plain(name, value) for name, value in values.items()}
        if not settings.PRECOMPILED_QUERIES or self.name in settings.PRECOMPILED_QUERIES_OFF:
            FETCHES.labels(self.name, "off").inc()
            return list(build(**values).using(using))
        full_key = (key, using, tuple((name, type(value)) for name, value in sorted(values.items())))
        with self._lock:
            template = self._templates.get(full_key)
            if template is not None:
                self._templates.move_to_end(full_key)
        FETCHES.labels(self.name, "miss" if template is None else "hit").inc()
        if template is None:
            template = self._compile(build, using, values)
            # Once with the real values, whatever the mode: a query whose shape depends on a value
            # (a Python branch on it, a column range) must fail here, not answer for other values.
            try:
                self._check(template, build, using, values)
            except StalePrecompiledQuery as difference:
                raise PlaceholderNotFound(
                    f"the SQL depends on the values, not only their places: {difference}"
                ) from difference
            with self._lock:
                self._templates[full_key] = template
                while len(self._templates) > self.max_entries:
                    self._templates.popitem(last=False)
        elif settings.PRECOMPILED_QUERIES_CHECK:
            self._check(template, build, using, values)
        if template.compiler is None:
            return []
        source = _CompiledQuerySource(self._runner(template, using, values), using)
        return list(ModelIterable(cast(QuerySet[M], source)))

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()

    def _runner(self, template: _Template, using: str, values: dict[str, Any]) -> SQLCompiler:
        # A shallow copy shares the column map and converters; execute_sql asks it for its SQL.
        runner = copy.copy(template.compiler)
        assert runner is not None
        runner.connection = connections[using]  # this thread's connection
        sql, params = template.sql, template.params_for(values, using)
        runner.as_sql = lambda *args, **kwargs: (sql, params)  # type: ignore[method-assign]
        return runner

    def _compile(self, build: Callable[..., QuerySet[Any]], using: str, values: dict[str, Any]) -> _Template:
        placeholders = [
            {
                name: _placeholder(name, index, value, variant)
                for index, (name, value) in enumerate(values.items())
            }
            for variant in (0, 1)
        ]
        compiled = [self._compile_with(build, using, given) for given in placeholders]
        (compiler, sql, params), (_, other_sql, other_params) = compiled
        if compiler is None and other_sql == "":
            return _Template(compiler=None, sql="", params=(), slots=())
        if compiler is None or sql != other_sql or len(params) != len(other_params):
            raise PlaceholderNotFound(
                f"{self.name}: {sorted(values)} changed the SQL itself, not its parameters"
            )
        adapt = connections[using].ops.adapt_datetimefield_value
        names: dict[tuple[Any, Any], tuple[str, bool]] = {}
        for name in values:
            first, second = placeholders[0][name], placeholders[1][name]
            names[(first, second)] = (name, False)
            if isinstance(first, datetime) and isinstance(second, datetime):
                names[(adapt(first), adapt(second))] = (name, True)
        slots: list[tuple[int, str, bool]] = []
        for position, pair in enumerate(zip(params, other_params, strict=True)):
            if pair[0] != pair[1] or type(pair[0]) is not type(pair[1]):
                if pair not in names:
                    raise PlaceholderNotFound(f"{self.name}: parameter {position} is derived from a value")
                slots.append((position, *names[pair]))
        missing = set(values) - {name for _, name, _ in slots}
        if missing:
            raise PlaceholderNotFound(f"{self.name}: {sorted(missing)} did not reach the SQL as parameters")
        return _Template(compiler=compiler, sql=sql, params=params, slots=tuple(slots))

    @staticmethod
    def _compile_with(
        build: Callable[..., QuerySet[Any]], using: str, values: dict[str, Any]
    ) -> tuple[SQLCompiler | None, str, tuple[Any, ...]]:
        queryset = build(**values)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise TypeError("only plain model querysets can be precompiled (no values(), no prefetching)")
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None, "", ()
        return compiler, sql, tuple(params)

    def _check(
        self, template: _Template, build: Callable[..., QuerySet[Any]], using: str, values: dict[str, Any]
    ) -> None:
        try:
            fresh = build(**values).query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            fresh = ("", ())
        cached = (
            (template.sql, template.params_for(values, using)) if template.compiler is not None else ("", ())
        )
        if (fresh[0], tuple(fresh[1])) != cached:
            raise StalePrecompiledQuery(f"{self.name}: cached {cached!r}, compiled now {fresh!r}")


def _plain(name: str, value: Any) -> int | str | datetime:
    """``value`` as the plain int, str or aware datetime a placeholder can stand for (choices such as
    ``Priority.P1`` are their value)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return str(value)
    # A naive datetime is left out: Django would make it aware (and warn), a value of another kind.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    raise TypeError(
        f"parameter {name!r}: only int, str and aware datetime values can be precompiled, not {value!r}"
    )


def _placeholder(name: str, index: int, value: int | str | datetime, variant: int) -> int | str | datetime:
    if isinstance(value, int):
        return _INT_PLACEHOLDERS[variant] + index
    if isinstance(value, str):
        return _STR_PLACEHOLDER.format(name, variant)
    return _DATETIME_PLACEHOLDERS[variant] + timedelta(minutes=index)
