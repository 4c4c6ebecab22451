"""The SLA sweep's cost follows the due timers, not the open cases (PostgreSQL, partial indexes).

Run by hand from the repository root (the database is dropped and created again; its name must
contain "bench"):

    .venv/bin/python benchmarks/sla_sweep.py --database-url postgres://postgres@127.0.0.1:55432/casedesk_bench_sla
    .venv/bin/python benchmarks/sla_sweep.py --database-url ... --cases 10000 --due 0,10,100   # a quick one

One run:

1. Drops and creates the database, migrates, loads the demo data.
2. One template case opened through ``case_create`` 30 days ago (so its running first-response timer's
   warning and due instants, computed by the service, are long past), cloned with INSERT … SELECT
   generate_series to ``--cases`` + max(K) open cases with their event and timer. Then every timer
   is moved into the future (due in 1–30 days, warning 1 h before) except those of the first K extra
   cases, which keep their real, past instants: K due timers among ``--cases`` running ones.
3. For each K: EXPLAIN (ANALYZE, BUFFERS) of the sweep's two selecting queries (captured from a real
   ``sla_timers_sweep`` call with ``CaptureQueriesContext``, replayed inside a transaction that is
   rolled back), then ``sla_timers_sweep(now=now)`` timed: the first call, and calls until one marks
   nothing (the beat job runs it every minute; each call handles at most ``batch_size`` of each kind).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auto_close import ROOT, SqlMeter, configure, flush_broker, machine
from common import recreate_database, table_columns

out_lines: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    out_lines.append(line)


def seed(running: int, extra: int, now: datetime) -> tuple[list[int], tuple[datetime, datetime]]:
    """``running`` + ``extra`` open cases, each with one running first-response timer; answers the
    extra cases' ids in order (the candidates for "due") and the template timer's real (past)
    warning and due instants."""
    from django.db import connection, transaction

    from accounts.models import Company, ProductInstance, User
    from cases.models import ApplicationArea, CaseReason
    from cases.services import case_create

    with transaction.atomic():
        template, _ = case_create(
            opened_by=User.objects.get(username="us.dsu"),
            company=Company.objects.get(pk=1),
            product_instance=ProductInstance.objects.get(pk=1),
            subject="Payroll export fails",
            problem_summary="The payroll export stops at 40% with a timeout.",
            reason=CaseReason.objects.get(code="system-issue"),
            application_area=ApplicationArea.objects.get(code="general-ledger"),
            business_impact_scope="group",
            business_impact="medium",
            now=now - timedelta(days=30),
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE seed_map ON COMMIT DROP AS
            SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) AS id, g
            FROM generate_series(1, %s) AS g
            """,
            [running + extra - 1],
        )
        case_cols = table_columns(cursor, "cases_case")
        special = {
            "id": "m.id",
            "number": "'CS-' || lpad(m.id::text, 6, '0')",
            "reply_token": "'seed' || m.id::text",
        }
        cursor.execute(
            f"INSERT INTO cases_case ({', '.join(case_cols)}) "
            f"SELECT {', '.join(special.get(c, 't.' + c) for c in case_cols)} "
            "FROM seed_map m JOIN cases_case t ON t.id = %s",
            [template.pk],
        )
        for table in ("cases_caseevent", "sla_slatimer"):
            cols = [c for c in table_columns(cursor, table) if c != "id"]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) "
                f"SELECT {', '.join('m.id' if c == 'case_id' else 'x.' + c for c in cols)} "
                f"FROM seed_map m JOIN {table} x ON x.case_id = %s",
                [template.pk],
            )
        cursor.execute("SELECT id FROM cases_case ORDER BY id DESC LIMIT %s", [extra])
        extra_ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT warning_at, due_at FROM sla_slatimer WHERE case_id = %s", [template.pk])
        past_warning, past_due = cursor.fetchone()
    if not (past_warning <= now and past_due <= now):
        raise SystemExit(f"template timer not past due: warning {past_warning}, due {past_due}")
    return extra_ids, (past_warning, past_due)


def arrange(k: int, extra_ids: list[int], past: tuple[datetime, datetime], now: datetime) -> dict[str, int]:
    """Every timer running with warning/due in the future, except those of the first ``k`` extra cases,
    which get the template's real (past) instants back. Clears what earlier sweeps wrote."""
    from django.db import connection, transaction

    due_ids = extra_ids[:k]
    with transaction.atomic(), connection.cursor() as cursor:
        past_warning, past_due = past
        cursor.execute(
            """
            UPDATE sla_slatimer
            SET state = 'running', warnings_sent = 0, warned_at = NULL, breached_at = NULL, met_at = NULL,
                due_at = %(now)s + (1 + case_id %% 30) * interval '1 day',
                warning_at = %(now)s + (1 + case_id %% 30) * interval '1 day' - interval '1 hour'
            """,
            {"now": now},
        )
        cursor.execute(
            "UPDATE sla_slatimer SET warning_at = %s, due_at = %s WHERE case_id = ANY(%s)",
            [past_warning, past_due, due_ids],
        )
        cursor.execute("DELETE FROM notifications_notification")
        cursor.execute("DELETE FROM cases_caseevent WHERE type IN ('sla_warning', 'sla_breached')")
    with connection.cursor() as cursor:
        for table in ("sla_slatimer", "cases_caseevent", "notifications_notification"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM sla_slatimer WHERE state = 'running'")
        running = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM sla_slatimer WHERE state = 'running' AND warning_at <= %s", [now]
        )
        warning_due = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sla_slatimer WHERE state = 'running' AND due_at <= %s", [now])
        breach_due = cursor.fetchone()[0]
    return {"running": running, "warning_due": warning_due, "breach_due": breach_due}


def capture_selects(now: datetime) -> list[str]:
    """The SQL of the sweep's two selecting queries, from a real call (rolled back)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from sla.services import sla_timers_sweep

    with CaptureQueriesContext(connection) as captured:
        try:
            with transaction.atomic():
                sla_timers_sweep(now=now)
                raise _Rollback
        except _Rollback:
            pass
    selects = [
        q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"] and "sla_slatimer" in q["sql"]
    ]
    return selects


class _Rollback(Exception):
    pass


def explain(sql: str) -> list[str]:
    from django.db import connection, transaction

    plan: list[str] = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            raise _Rollback  # EXPLAIN ANALYZE takes the row locks; release them, change nothing
    except _Rollback:
        pass
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL database it may drop (name contains 'bench')"
    )
    parser.add_argument("--cases", type=int, default=100_000, help="open cases whose timers are not due")
    parser.add_argument("--due", default="0,100,1000", help="comma-separated K values")
    parser.add_argument("--repeats", type=int, default=5, help="K=0: calls timed (median reported)")
    parser.add_argument("--max-calls", type=int, default=20, help="per K: sweep calls at most")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "sla_sweep.md"))
    args = parser.parse_args()
    ks = [int(k) for k in args.due.split(",")]
    command = " ".join([".venv/bin/python benchmarks/sla_sweep.py", *map(shlex.quote, sys.argv[1:])])
    began = datetime.now(UTC)
    wall = time.perf_counter()

    recreate_database(args.database_url)
    configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from sla.services import sla_timers_sweep

    call_command("migrate", "--noinput", verbosity=0)
    call_command("demo_load", no_cases=True, verbosity=0)
    flush_broker()
    now = timezone.now()
    started = time.perf_counter()
    extra_ids, past = seed(args.cases, max(ks), now)
    seed_seconds = time.perf_counter() - started

    emit("# SLA sweep: cost follows due timers, not open cases (PostgreSQL)")
    emit()
    emit(f"- Command (from the repository root): `{command}`")
    emit(f"- Date of run: {began:%Y-%m-%d %H:%M} UTC")
    for line in machine():
        emit(line)
    emit(
        f"- Seed: {args.cases + max(ks):,} open cases (company 1, production, clones of one case opened through "
        f"`case_create` 30 days ago), one running first-response timer each (demo SLA policy: 480 business minutes, "
        f"warnings at 75 % and 1 h before due); {seed_seconds:.1f} s. For each K, every timer is due 1–30 days "
        f"ahead except K whose warning and due instants are the service's own, long past."
    )
    emit(
        "- Each due timer costs the sweep a warning event + its outbox rows (staff: support managers), a "
        "recompute of the timer (status history, business calendar) and a breach event + outbox rows; on commit each "
        "outbox row's delivery task is published to Redis db 5 (not consumed)."
    )
    emit()

    arrange(0, extra_ids, past, now)
    selects = capture_selects(now)
    if len(selects) != 2:
        raise SystemExit(f"expected the sweep's two selecting queries, captured {len(selects)}")

    rows = []
    plans: dict[int, list[list[str]]] = {}
    for k in ks:
        state = arrange(k, extra_ids, past, now)
        plans[k] = [explain(sql) for sql in selects]
        flush_broker()
        calls: list[tuple[float, dict[str, int], int]] = []
        repeats = args.repeats if k == 0 else 1
        for _ in range(repeats if k == 0 else args.max_calls):
            meter = SqlMeter()
            t0 = time.perf_counter()
            with connection.execute_wrapper(meter):
                result = sla_timers_sweep(now=now)
            calls.append((time.perf_counter() - t0, result, meter.count))
            if k and not (result["warned"] or result["breached"]):
                break
        flush_broker()
        working = [c for c in calls if c[1]["warned"] or c[1]["breached"]]
        total = sum(c[0] for c in working) if working else 0.0
        warned = sum(c[1]["warned"] for c in calls)
        breached = sum(c[1]["breached"] for c in calls)
        statements = sum(c[2] for c in working)
        first_ms = calls[0][0] * 1000
        empty = [c[0] * 1000 for c in calls if not (c[1]["warned"] or c[1]["breached"])]
        rows.append(
            f"| {k:,} | {state['running']:,} | {state['warning_due']:,} / {state['breach_due']:,} | "
            f"{first_ms:,.1f} | {len(working)} | {total * 1000:,.0f} | {warned:,} / {breached:,} | "
            f"{(total * 1000 / k) if k else 0:.2f} | {statements / k if k else calls[0][2]:.1f} | "
            f"{statistics.median(empty) if empty else float('nan'):.1f} |"
        )
        print(rows[-1], flush=True)

    emit("## Timings")
    emit()
    emit(
        "| K due | running timers | due for warning / breach | first call ms | calls that marked something | "
        "ms in those calls | warnings / breaches marked | ms per due timer | SQL per due timer (K=0: per call) | "
        "call with nothing due, ms (median) |"
    )
    emit("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for line in rows:
        emit(line)
    emit()
    emit(
        f"Warnings and breaches are marked in two passes of one call, each taking at most batch_size=500 rows, so "
        f"K=1,000 needs two calls. A due timer here is both past its warning and its due instant: one call warns it and "
        f"breaches it. K=0: {args.repeats} calls, the median is in the last column."
    )
    emit()
    emit("## Plans of the two selecting queries")
    emit()
    emit(
        "Captured from `sla_timers_sweep` with `CaptureQueriesContext`; EXPLAIN (ANALYZE, BUFFERS) inside a rolled-back transaction."
    )
    emit()
    for i, label in enumerate(("warnings (`sla_warning_due`)", "breaches (`sla_breach_due`)")):
        emit(f"### {label}")
        emit()
        emit("```sql")
        emit(selects[i])
        emit("```")
        emit()
        for k in ks:
            index = "sla_warning_due" if i == 0 else "sla_breach_due"
            used = any(index in line for line in plans[k][i])
            emit(f"K = {k:,}: partial index `{index}` {'used' if used else 'NOT used'}")
            emit()
            emit("```")
            for line in plans[k][i]:
                emit(line)
            emit("```")
            emit()
    emit(f"Whole run: {(time.perf_counter() - wall) / 60:.1f} min.")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(out_lines) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
