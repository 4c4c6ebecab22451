"""Set-based writes the ORM has no verb for: ``INSERT INTO … SELECT …`` built from a queryset.

A batch job that would otherwise load thousands of rows into model instances only to write
thousands of derived rows back lets the database do both in one statement. The SELECT is compiled
by Django (so lookups, joins, ``Concat``, ``JSONObject`` … keep working on every backend) and only
the INSERT around it is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, JSONField
from django.db.models.expressions import Value
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler

_SQL = tuple[str, tuple[Any, ...]]


# Callable defaults that are constants in effect (a fresh empty container each call).
_EMPTY_CONTAINERS = (dict, list)


class MissingColumnError(TypeError):
    """A required column has no value: not given, no constant default, not nullable."""


def insert_from_select(
    model: type[models.Model],
    source: models.QuerySet[Any],
    values: Mapping[str, Any],
) -> list[int]:
    """Insert one ``model`` row per row of ``source``; answers the new primary keys.

    ``values`` maps each field name of ``model`` to an expression over ``source`` (``F``, ``Value``,
    ``Concat``, a plain constant …). Fields left out take what ``Model()`` would give them (their
    default, "" or NULL). A callable default (a random token, ``timezone.now``) would be evaluated once for
    every row, so such fields must be given.
    """
    opts = model._meta
    unknown = set(values) - {field.name for field in opts.concrete_fields}
    if unknown:
        raise TypeError(f"{opts.label} has no fields {sorted(unknown)}")
    expressions: dict[str, Any] = {}
    for field in opts.concrete_fields:
        if field.primary_key and field.name not in values:
            continue
        if field.name in values:
            expression = values[field.name]
        elif field.has_default() and callable(field.default) and field.default not in _EMPTY_CONTAINERS:
            raise MissingColumnError(f"{opts.label}.{field.name} has a callable default: give its value")
        else:
            expression = field.get_default()  # what Model() would set: the default, "" or None
            if expression is None and not field.null:
                raise MissingColumnError(f"{opts.label}.{field.name} needs a value")
        if not hasattr(expression, "resolve_expression"):
            expression = Value(expression, output_field=field)
        expressions[field.column or field.attname] = expression

    # Aliases that cannot clash with the source model's own field names.
    aliases = {f"insert_col_{i}": column for i, column in enumerate(expressions)}
    select = source.order_by().values(**{alias: expressions[column] for alias, column in aliases.items()})
    connection = connections[source.db]
    sql, params = select.query.get_compiler(using=source.db).as_sql()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in aliases.values())
    pk_column = quote(opts.pk.column or opts.pk.attname)
    statement = f"INSERT INTO {quote(opts.db_table)} ({columns}) {sql} RETURNING {pk_column}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [row[0] for row in cursor.fetchall()]


class JSONBool(Func):
    """A JSON ``true``/``false`` for ``JSONObject`` (SQLite's json_object stores a bare bool as 1/0)."""

    output_field = JSONField()

    def __init__(self, value: bool) -> None:
        super().__init__(Value("true" if value else "false"))

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _SQL:
        return super().as_sql(compiler, connection, template="(%(expressions)s)::jsonb", **extra)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _SQL:
        return super().as_sql(compiler, connection, template="JSON(%(expressions)s)", **extra)


class RandomToken(Func):
    """An unguessable hex token made by the database, one per row (a Python default would be one
    value for every row of an INSERT … SELECT). 244 random bits on PostgreSQL (two v4 UUIDs from
    its strong random source), 192 on SQLite (randomblob)."""

    output_field = models.CharField()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _SQL:  # type: ignore[override]
        raise NotSupportedError(f"RandomToken has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _SQL:
        return "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')", ()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _SQL:
        return "lower(hex(randomblob(24)))", ()


class AnyOf(In):
    """``field__any_of=[…]``: ``IN`` whose list is bound as one array on PostgreSQL (``= ANY(%s)``).

    A batch job filters several statements by the same thousand ids; as a thousand placeholders
    each, building and parsing them costs more than running the statements. Other backends get
    the plain ``IN``. Registered on every field by ``CoreConfig.ready``.
    """

    lookup_name = "any_of"

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _SQL:
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
