"""Helpers the benchmark scripts share (run from the repository root; this folder is on their path)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import psycopg

# The Redis server the benchmarks use (dbs 5, 6 and 7: broker, results, cache); BENCH_REDIS names
# another, e.g. a helper's own server.
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:56379").rstrip("/")


def redis_url(db: int) -> str:
    return f"{REDIS}/{db}"


def recreate_database(database_url: str) -> None:
    """Drop and create the database of ``database_url``; refuses any name without "bench"."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def table_columns(cursor: Any, table: str) -> list[str]:
    """The column names of ``table`` in their order (for INSERT … SELECT copies of seed rows)."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]
