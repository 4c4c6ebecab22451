"""The reports on 1,000,000 cases (PostgreSQL): each report's time, cold and warm, with its plans, and
the case list's CSV streamed whole in bounded memory.

Run by hand from the repository root (the database is dropped and created again; its name must
contain "bench"; it is dropped again at the end unless ``--keep``):

    .venv/bin/python benchmarks/reports.py --database-url postgres://postgres@127.0.0.1:54330/casedesk_reports_bench
    .venv/bin/python benchmarks/reports.py --database-url ... --cases 100000      # a quick one

One run:

1. Drops and creates the database, migrates, and writes with the ORM the people and places: 300
   companies (plan tiers at random), a production instance each of one of two products, a DSU each,
   40 analysts and a support manager.
2. Generates the history in SQL, reproducibly (``setseed(--seed)``, one session): ``--cases`` cases
   opened evenly over the two years up to now, P1/P2/P3 at 10/40/50 %, status by age (older than 30
   days: 97 % closed); a first-response timer per case (business time exponential with mean 0.6 ×
   target: ~19 % breached), a resolution timer for 60 % (mean 0.5 × target: ~14 % breached),
   next-update timers for half; the status history (opened, taken, closed; 5 % of closings were
   reopened and closed again), 1–3 public replies per answered case, a customer comment, an internal
   note for 20 %; a survey per closing (35 % answered, 80 % good, 30 % of answers with a comment);
   escalation requests for 4 % of cases. Then VACUUM ANALYZE.
3. Times each report as the API computes it (its selector, every query and the Python around them)
   for: the default period (12 ISO weeks to today) as a support manager; the longest period (731
   days); a customer manager's view (one company forced, default period); one analyst. "Cold" is the
   first call on a new database connection (no prepared plans; PostgreSQL's buffers and the OS cache
   are NOT emptied: the shared server cannot be restarted), "warm" the median of three more.
4. EXPLAIN (ANALYZE, BUFFERS) of every query of every report, default and longest periods.
5. Streams ``GET /api/v1/reports/cases/csv/`` (every case) through the view as the support manager:
   rows, bytes, seconds, and the process's resident memory sampled while it streams.

The load average is written beside each timing: the machine is shared, so figures taken under load
are upper bounds. ``--without-report-indexes`` drops the indexes the reports added first (a baseline).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import recreate_database  # noqa: E402  (benchmarks/common.py)

# The indexes migrations add for the reports (dropped by --without-report-indexes).
REPORT_INDEXES = [
    "case_open_report",
    "caseevent_closing_time",
    "caseevent_closing_case",
    "caseevent_reopen_time",
    "comment_public_time",
    "escalation_time",
    "sla_timer_stopped",
    "sla_timer_breached_at",
    "survey_answered_time",
    "survey_sent_time",
]

out_lines: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    out_lines.append(line)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def configure(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="reports-benchmark-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PRECOMPILED_QUERIES_CHECK="0",
    )
    import django

    django.setup()


# --------------------------------------------------------------------------- seeding

COMPANIES = 300
ANALYSTS = 40
TIERS = ["essential", "sp_essentials", "bronze", "silver", "sp_premium", "gold", "platinum", "sp_vip"]
FIRST_RESPONSE_MINUTES = {"P1": 60, "P2": 240, "P3": 480}
RESOLUTION_MINUTES = {"P1": 480, "P2": 1440, "P3": 2880}


def people(seed: int) -> dict[str, Any]:
    """Companies, instances, openers, analysts and a support manager, with the ORM."""
    import random

    from django.contrib.auth.models import Permission

    from accounts.models import Company, Membership, Product, ProductInstance, User
    from cases.models import ApplicationArea, CaseReason

    rng = random.Random(seed)
    products = [
        Product.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in (("financials", "Financials"), ("time", "Time"))
    ]
    companies = Company.objects.bulk_create(
        Company(name=f"Company {n:03d}", country="GB", time_zone="Europe/London", plan_tier=rng.choice(TIERS))
        for n in range(COMPANIES)
    )
    instances = ProductInstance.objects.bulk_create(
        ProductInstance(company=c, product=rng.choice(products), environment="production") for c in companies
    )
    openers = User.objects.bulk_create(
        User(username=f"dsu{n:03d}", email=f"dsu{n}@c{n}.test") for n in range(COMPANIES)
    )
    Membership.objects.bulk_create(
        Membership(user=u, company=c, role="manager", status="active")
        for u, c in zip(openers, companies, strict=True)
    )
    analysts = User.objects.bulk_create(
        User(username=f"analyst{n:02d}", first_name="Analyst", last_name=f"{n:02d}", is_staff=True)
        for n in range(ANALYSTS)
    )
    manager = User.objects.create(username="supportmanager", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="manage_support"))
    reason = CaseReason.objects.get_or_create(code="system-issue", defaults={"name": "System issue"})[0]
    area = ApplicationArea.objects.get_or_create(code="general-ledger", defaults={"name": "General ledger"})[
        0
    ]
    return {
        "companies": [c.pk for c in companies],
        "instances": [i.pk for i in instances],
        "openers": [u.pk for u in openers],
        "analysts": [u.pk for u in analysts],
        "manager": manager,
        "reason": reason.pk,
        "area": area.pk,
    }


def history(cursor: Any, *, cases: int, now: datetime, seed: int, ids: dict[str, Any]) -> dict[str, int]:
    """The cases and everything that happened to them, in SQL (reproducible: one seeded session)."""
    span = timedelta(days=730).total_seconds()
    params = {
        "n": cases,
        "now": now,
        "start": now - timedelta(days=730),
        "step": span / cases,
        "companies": ids["companies"],
        "instances": ids["instances"],
        "openers": ids["openers"],
        "analysts": ids["analysts"],
        "reason": ids["reason"],
        "area": ids["area"],
    }
    cursor.execute("SET max_parallel_workers_per_gather = 0")  # one worker: random() in a fixed order
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
    # The plan of every case: one row of random draws, then the instants derived from them.
    cursor.execute(
        """
        CREATE UNLOGGED TABLE bench_plan AS
        SELECT g AS n, c, created_at, priority, fr_minutes, res_minutes, analyst,
               fr_took, res_took, has_res, has_update, reopened, r_status, r_survey, r_rating, r_comment,
               r_escalation, r_decision, r_replies, r_note,
               created_at + make_interval(secs => fr_took * 2) AS answered_at,
               created_at + make_interval(secs => res_took * 3) AS solved_at
        FROM (
          SELECT g,
                 1 + floor(r.a * %(companies_n)s)::int AS c,
                 %(start)s::timestamptz + make_interval(secs => (g - 1) * %(step)s + r.b * 600) AS created_at,
                 p.priority, p.fr_minutes, p.res_minutes,
                 (%(analysts)s::bigint[])[1 + floor(r.d * %(analysts_n)s)::int] AS analyst,
                 -ln(1 - r.e) * 0.6 * p.fr_minutes * 60 AS fr_took,
                 -ln(1 - r.f) * 0.5 * p.res_minutes * 60 AS res_took,
                 r.h < 0.6 AS has_res, r.i < 0.5 AS has_update, r.j < 0.05 AS reopened,
                 r.k AS r_status, r.l AS r_survey, r.m AS r_rating, r.o AS r_comment, r.q AS r_escalation,
                 r.s AS r_decision, 1 + floor(r.t * 3)::int AS r_replies, r.u < 0.2 AS r_note
          FROM generate_series(1, %(n)s) AS g
          CROSS JOIN LATERAL (
            SELECT random() + 0 * g AS a, random() AS b, random() AS cc, random() AS d, random() AS e,
                   random() AS f, random() AS h, random() AS i, random() AS j, random() AS k, random() AS l,
                   random() AS m, random() AS o, random() AS q, random() AS s, random() AS t, random() AS u
          ) AS r
          CROSS JOIN LATERAL (
            SELECT CASE WHEN r.cc < 0.1 THEN 'P1' WHEN r.cc < 0.5 THEN 'P2' ELSE 'P3' END AS priority
          ) AS pr
          CROSS JOIN LATERAL (
            SELECT pr.priority,
                   CASE pr.priority WHEN 'P1' THEN 60 WHEN 'P2' THEN 240 ELSE 480 END AS fr_minutes,
                   CASE pr.priority WHEN 'P1' THEN 480 WHEN 'P2' THEN 1440 ELSE 2880 END AS res_minutes
          ) AS p
        ) AS drawn
        """,
        {**params, "analysts_n": len(ids["analysts"]), "companies_n": len(ids["companies"])},
    )
    # Status from age: a case is closed once solved (97 % of those older than 30 days; the rest wait
    # on someone), else answered (in one of the working statuses) or still open.
    cursor.execute("ALTER TABLE bench_plan ADD COLUMN status text, ADD COLUMN closed_at timestamptz")
    cursor.execute(
        """
        UPDATE bench_plan SET
          status = CASE
            WHEN solved_at < %(now)s AND (created_at < %(now)s - interval '30 days' AND r_status < 0.97
                                          OR created_at >= %(now)s - interval '30 days' AND r_status < 0.6)
              THEN 'closed'
            WHEN answered_at >= %(now)s THEN 'open'
            ELSE (ARRAY['in_progress', 'in_progress', 'pending_release', 'pending_engineering',
                        'pending_customer', 'verify_resolution'])[1 + floor(r_status * 1000)::int %% 6]
          END
        """,
        params,
    )
    cursor.execute("UPDATE bench_plan SET closed_at = solved_at WHERE status = 'closed'")
    cursor.execute("CREATE UNIQUE INDEX ON bench_plan (n)")
    cursor.execute(
        """
        INSERT INTO cases_case (
          id, number, company_id, product_instance_id, opened_by_id, subject, problem_summary, error_message,
          users_affected, replication_steps, expected_result, worked_before, troubleshooting_tried,
          reason_id, application_area_id, business_impact_scope, business_impact, priority,
          priority_overridden, status, status_changed_at, assignee_id, escalation_level, resolution,
          closed_at, routing_pending, reply_token, created_at, updated_at)
        SELECT n, 'CS-' || lpad(n::text, 7, '0'), (%(companies)s::bigint[])[c], (%(instances)s::bigint[])[c],
               (%(openers)s::bigint[])[c], 'Problem ' || n, 'The payment run stops with an error.', '',
               '', '', '', '', '', %(reason)s, %(area)s, 'group', 'medium', priority, false, status,
               coalesce(closed_at, answered_at, created_at), CASE WHEN status = 'open' THEN NULL ELSE analyst END,
               CASE WHEN r_escalation < 0.04 AND r_decision < 0.6 THEN 1 ELSE 0 END, '', closed_at, false,
               md5('bench' || n), created_at, coalesce(closed_at, answered_at, created_at)
        FROM bench_plan ORDER BY n
        """,
        params,
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [cases])
    # SLA timers: first response (every case), resolution (60 %), next update (half the answered).
    cursor.execute(
        """
        INSERT INTO sla_slatimer (case_id, metric, state, target_minutes, holidays_version, started_at, due_at,
                                  warnings_sent, remaining_seconds, breached_at, met_at, updated_at)
        SELECT n, 'first_response',
               CASE WHEN answered_at < %(now)s THEN (CASE WHEN fr_took > fr_minutes * 60 THEN 'breached' ELSE 'met' END)
                    WHEN created_at + make_interval(mins => fr_minutes * 2) < %(now)s THEN 'breached' ELSE 'running' END,
               fr_minutes, '', created_at, created_at + make_interval(mins => fr_minutes * 2), 0,
               CASE WHEN answered_at < %(now)s THEN round(fr_minutes * 60 - fr_took)::int ELSE fr_minutes * 60 END,
               CASE WHEN fr_took > fr_minutes * 60 OR answered_at >= %(now)s
                         AND created_at + make_interval(mins => fr_minutes * 2) < %(now)s
                    THEN created_at + make_interval(mins => fr_minutes * 2) END,
               CASE WHEN answered_at < %(now)s THEN answered_at END,
               least(answered_at, %(now)s)
        FROM bench_plan
        UNION ALL
        SELECT n, 'resolution',
               CASE WHEN closed_at IS NOT NULL THEN (CASE WHEN res_took > res_minutes * 60 THEN 'breached' ELSE 'met' END)
                    WHEN created_at + make_interval(mins => res_minutes * 3) < %(now)s THEN 'breached'
                    WHEN status IN ('pending_customer', 'verify_resolution') THEN 'paused' ELSE 'running' END,
               res_minutes, '', created_at, created_at + make_interval(mins => res_minutes * 3), 0,
               CASE WHEN closed_at IS NOT NULL THEN round(res_minutes * 60 - res_took)::int ELSE res_minutes * 30 END,
               CASE WHEN res_took > res_minutes * 60 AND closed_at IS NOT NULL
                      OR closed_at IS NULL AND created_at + make_interval(mins => res_minutes * 3) < %(now)s
                    THEN created_at + make_interval(mins => res_minutes * 3) END,
               closed_at, coalesce(closed_at, %(now)s)
        FROM bench_plan WHERE has_res
        UNION ALL
        SELECT n, 'next_update', 'met', fr_minutes * 3, '', answered_at, answered_at + interval '1 day', 0, 3600,
               NULL, answered_at + interval '20 hours', answered_at + interval '20 hours'
        FROM bench_plan WHERE has_update AND answered_at + interval '20 hours' < %(now)s
        """,
        params,
    )
    # The status history: opened, taken, closed (and for 5 % of closings, an earlier closing reopened).
    cursor.execute(
        """
        INSERT INTO cases_caseevent (case_id, type, transition, from_status, to_status, note, data,
                                     is_internal, created_at, actor_id)
        SELECT n, 'created', '', '', 'open', '', '{}'::jsonb, false, created_at, (%(openers)s::bigint[])[c] FROM bench_plan
        UNION ALL
        SELECT n, 'transition', 'start', 'open', 'in_progress', '', '{}'::jsonb, false, answered_at, analyst
        FROM bench_plan WHERE answered_at < %(now)s
        UNION ALL
        SELECT n, 'transition', 'confirm_resolution', 'verify_resolution', 'closed', '', '{}'::jsonb, false,
               created_at + (closed_at - created_at) / 2, (%(openers)s::bigint[])[c]
        FROM bench_plan WHERE closed_at IS NOT NULL AND reopened
        UNION ALL
        SELECT n, 'reopened', 'reopen', 'closed', 'in_progress', '', '{}'::jsonb, false,
               created_at + (closed_at - created_at) / 2 + interval '2 hours', (%(openers)s::bigint[])[c]
        FROM bench_plan WHERE closed_at IS NOT NULL AND reopened
        UNION ALL
        SELECT n, 'transition', 'confirm_resolution', 'verify_resolution', 'closed', '', '{}'::jsonb, false, closed_at,
               (%(openers)s::bigint[])[c]
        FROM bench_plan WHERE closed_at IS NOT NULL
        ORDER BY 1, 9
        """,
        params,
    )
    # Comments: 1–3 public replies by the analyst, the customer's comment, an internal note for 20 %.
    cursor.execute(
        """
        INSERT INTO cases_comment (case_id, author_id, body, is_internal, is_escalation_request, source, created_at)
        SELECT n, analyst, 'Looking into it.', false, false, 'admin', answered_at + make_interval(hours => 7 * k)
        FROM bench_plan, generate_series(0, 2) AS k
        WHERE k < r_replies AND answered_at + make_interval(hours => 7 * k) < %(now)s
        UNION ALL
        SELECT n, (%(openers)s::bigint[])[c], 'Thanks, here is the log.', false, false, 'api', answered_at + interval '3 hours'
        FROM bench_plan WHERE answered_at + interval '3 hours' < %(now)s
        UNION ALL
        SELECT n, analyst, 'Checked with engineering.', true, false, 'admin', answered_at + interval '1 hour'
        FROM bench_plan WHERE r_note AND answered_at + interval '1 hour' < %(now)s
        """,
        params,
    )
    # Surveys: one per (last) closing; 35 % answered a day later, 80 % good, 30 % with a comment.
    cursor.execute(
        """
        INSERT INTO notifications_satisfactionsurvey (case_id, respondent_id, token, rating, comment, answered_at, created_at)
        SELECT n, (%(openers)s::bigint[])[c], md5('survey' || n),
               CASE WHEN answered THEN (CASE WHEN r_rating < 0.8 THEN 'good' ELSE 'bad' END) ELSE '' END,
               CASE WHEN answered AND r_comment < 0.3 THEN 'Thanks for the quick fix.' ELSE '' END,
               CASE WHEN answered THEN closed_at + interval '1 day' END, closed_at
        FROM (SELECT *, r_survey < 0.35 AND closed_at + interval '1 day' < %(now)s AS answered
              FROM bench_plan WHERE closed_at IS NOT NULL) AS closed
        """,
        params,
    )
    # Escalation requests (4 %), each with its comment; decided unless recent.
    cursor.execute(
        """
        WITH asked AS (
          INSERT INTO cases_comment (case_id, author_id, body, is_internal, is_escalation_request, source, created_at)
          SELECT n, (%(openers)s::bigint[])[c], 'Please escalate.', false, true, 'api', created_at + interval '2 hours'
          FROM bench_plan WHERE r_escalation < 0.04 AND created_at + interval '2 hours' < %(now)s
          RETURNING id, case_id, author_id, created_at
        )
        INSERT INTO cases_escalationrequest (case_id, comment_id, requested_by_id, status, decision_reason, created_at,
                                             decided_at)
        SELECT a.case_id, a.id, a.author_id,
               CASE WHEN a.created_at > %(now)s - interval '2 days' THEN 'pending'
                    WHEN p.r_decision < 0.6 THEN 'accepted' ELSE 'declined' END, '', a.created_at,
               CASE WHEN a.created_at <= %(now)s - interval '2 days' THEN a.created_at + interval '1 day' END
        FROM asked a JOIN bench_plan p ON p.n = a.case_id
        """,
        params,
    )
    cursor.execute("DROP TABLE bench_plan")
    counts = {}
    for table in ("cases_case", "sla_slatimer", "cases_caseevent", "cases_comment",
                  "notifications_satisfactionsurvey", "cases_escalationrequest"):  # fmt: skip
        cursor.execute(f"SELECT count(*) FROM {table}")
        counts[table] = cursor.fetchone()[0]
    return counts


# --------------------------------------------------------------------------- timing


def reports() -> list[tuple[str, Any]]:
    from reports import selectors

    return [
        ("sla-attainment", selectors.sla_attainment_report),
        ("response-times", selectors.response_times_report),
        ("backlog", selectors.backlog_report),
        ("reopens", selectors.reopen_report),
        ("escalations", selectors.escalation_report),
        ("satisfaction", selectors.satisfaction_report),
        ("satisfaction-comments", _first_comment_page),
        ("analyst-load", selectors.analyst_load_report),
    ]


def _first_comment_page(*, filters: Any) -> list[Any]:
    """What the comment list's first page reads (25 rows and one to know there is a next page)."""
    from reports.selectors import satisfaction_comment_list

    return list(satisfaction_comment_list(filters=filters)[:26])


def call(compute: Any, filters: Any) -> float:
    from reports.selectors import report_queries

    started = time.perf_counter()
    with report_queries():
        compute(filters=filters)
    return (time.perf_counter() - started) * 1000


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU time the PostgreSQL backend ``pid`` has used (it runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serial_cpu_ms(compute: Any, filters: Any) -> tuple[float, float]:
    """(CPU ms of the database backend, CPU ms of this process) for one call with a serial plan (no
    parallel workers, whose time the backend's counters would miss): what the report costs a core,
    whatever else the machine is doing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    database, python = backend_cpu_seconds(pid), time.process_time()
    call(compute, filters)
    used = (backend_cpu_seconds(pid) - database) * 1000, (time.process_time() - python) * 1000
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
    return used


def time_reports(scenarios: dict[str, Any]) -> list[tuple[str, str, float, float, str]]:
    from django.db import connection

    rows = []
    for scenario, filters in scenarios.items():
        for name, compute in reports():
            connection.close()  # cold: a new connection, nothing prepared
            cold = call(compute, filters)
            warm = statistics.median(call(compute, filters) for _ in range(3))
            database, python = serial_cpu_ms(compute, filters)
            rows.append((scenario, name, cold, warm, load()))
            emit(
                f"| {scenario} | {name} | {cold:,.0f} | {warm:,.0f} | {database:,.0f} + {python:,.0f} "
                f"| {rows[-1][4]} |"
            )
    return rows


def is_explainable(sql: str) -> bool:
    """A report's own read: a ``SELECT`` or ``WITH`` statement. The capture also records the
    transaction's ``BEGIN``/``COMMIT``/``SAVEPOINT`` and the session settings (``SELECT set_config``),
    which EXPLAIN refuses or which are not the report's work."""
    statement = sql.lstrip().upper()
    return statement.startswith(("SELECT", "WITH")) and not statement.startswith("SELECT SET_CONFIG")


def explain(scenarios: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import report_queries

    for scenario, filters in scenarios.items():
        for name, compute in reports():
            with CaptureQueriesContext(connection) as captured:
                call(compute, filters)
            queries = [q["sql"] for q in captured.captured_queries if is_explainable(q["sql"])]
            for n, sql in enumerate(queries, start=1):
                with report_queries(), connection.cursor() as cursor:  # the report's own settings
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                emit(f"### {name}, {scenario}: query {n} of {len(queries)}")
                emit()
                emit("```sql")
                emit(sql)
                emit("```")
                emit()
                emit("```")
                emit(plan)
                emit("```")
                emit()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream_case_csv(manager: Any) -> dict[str, float]:
    from rest_framework.test import APIRequestFactory, force_authenticate

    from reports.api.views import CaseCsvApi

    request = APIRequestFactory().get("/api/v1/reports/cases/csv/")
    force_authenticate(request, user=manager)
    before = rss_kib()
    peak = before
    started = time.perf_counter()
    response = CaseCsvApi.as_view()(request)
    size = lines = 0
    for n, chunk in enumerate(response.streaming_content):
        size += len(chunk)
        lines += chunk.count(b"\r\n")
        if n % 50 == 0:
            peak = max(peak, rss_kib())
    response.close()
    seconds = time.perf_counter() - started
    return {"rows": lines - 1, "bytes": size, "seconds": seconds, "rss_before": before, "rss_peak": peak}


def machine() -> list[str]:
    def sh(cmd: str) -> str:
        return subprocess.run(
            shlex.split(cmd), capture_output=True, text=True, timeout=20, cwd=ROOT
        ).stdout.strip()

    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for name in ("server_version", "shared_buffers", "work_mem", "fsync", "synchronous_commit", "jit"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return [
        f"- `nproc`: {sh('nproc')}; {sh(sys.executable + ' --version')}; {platform.platform()}",
        f"- Code: {sh('git rev-parse --short HEAD')}{' + uncommitted changes' if sh('git status --porcelain') else ''}",
        "- PostgreSQL "
        + ", ".join(f"{k}={v}" for k, v in found.items())
        + " (same machine, 127.0.0.1, shared)",
    ]


def index_sizes() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes "
            "WHERE indexrelname = ANY(%s) ORDER BY 1",
            [REPORT_INDEXES],
        )
        return [f"| `{name}` | {size} |" for name, size in cursor.fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL database it may drop ('bench' in its name)"
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="time a database a --keep run left (no seeding)")
    parser.add_argument(
        "--without-report-indexes", action="store_true", help="drop the reports' indexes first"
    )
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-csv", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "reports.md"))
    args = parser.parse_args()
    command = " ".join([".venv/bin/python benchmarks/reports.py", *map(shlex.quote, sys.argv[1:])])
    began = datetime.now(UTC)

    if not args.reuse:
        recreate_database(args.database_url)
    configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Company, User
    from reports.selectors import ReportFilters, report_filters_resolve

    emit("# Reports on a million cases (PostgreSQL)")
    emit()
    emit(f"- Command (from the repository root): `{command}`")
    emit(f"- Date of run: {began:%Y-%m-%d %H:%M} UTC; load average (1 / 5 / 15 min) at the start: {load()}")
    seconds: dict[str, float] = {}
    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", "--noinput", verbosity=0)
        ids = people(args.seed)
        with connection.cursor() as cursor:
            counts = history(cursor, cases=args.cases, now=began, seed=args.seed, ids=ids)
        seconds["seed"] = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        seconds["analyze"] = time.perf_counter() - started - seconds["seed"]
        emit(
            f"- Seed (`--seed {args.seed}`): "
            + ", ".join(f"{table} {count:,}" for table, count in counts.items())
            + f"; {seconds['seed']:.0f} s, then VACUUM ANALYZE {seconds['analyze']:.0f} s"
        )
    for line in machine():
        emit(line)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        emit(f"- Database size: {cursor.fetchone()[0]}")
    if args.without_report_indexes:
        with connection.cursor() as cursor:
            for name in REPORT_INDEXES:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        emit("- **Without the reports' indexes** (`--without-report-indexes`): " + ", ".join(REPORT_INDEXES))
    emit()
    emit("| index added for the reports | size |")
    emit("| --- | ---: |")
    for line in index_sizes():
        emit(line)
    emit()

    manager = User.objects.get(username="supportmanager")
    company_manager = User.objects.get(username="dsu007")
    analyst = User.objects.filter(is_staff=True, username__startswith="analyst").order_by("pk").first()
    today = began.date()
    default = report_filters_resolve(user=manager, today=today)
    longest = ReportFilters(start=today - timedelta(days=730), end=today)
    scenarios = {
        "12 weeks, all companies": default,
        "731 days, all companies": longest,
        "12 weeks, one company (customer manager)": report_filters_resolve(user=company_manager, today=today),
        "12 weeks, one analyst": ReportFilters(start=default.start, end=default.end, analyst=analyst),
    }
    assert Company.objects.filter(
        pk=scenarios["12 weeks, one company (customer manager)"].company.pk
    ).exists()
    emit("## Timings (ms: the selector, all its queries and Python; the API adds its serializer)")
    emit()
    emit(
        "| scenario | report | cold | warm (median of 3) | CPU, serial plan: database + Python "
        "| load average at the end |"
    )
    emit("| --- | --- | ---: | ---: | ---: | --- |")
    time_reports(scenarios)
    emit()

    if not args.no_csv:
        emit("## The case list as CSV (every case, streamed through the view as the support manager)")
        emit()
        result = stream_case_csv(manager)
        emit(
            f"- {result['rows']:,.0f} rows, {result['bytes'] / 2**20:,.0f} MiB in {result['seconds']:.1f} s "
            f"({result['rows'] / result['seconds']:,.0f} rows/s); resident memory {result['rss_before'] / 1024:,.0f} MiB "
            f"before, at most {result['rss_peak'] / 1024:,.0f} MiB while streaming "
            f"(+{(result['rss_peak'] - result['rss_before']) / 1024:,.0f} MiB); load average after: {load()}"
        )
        emit()

    if not args.no_explain:
        emit("## Plans (EXPLAIN ANALYZE, BUFFERS; warm)")
        emit()
        explain({k: v for k, v in scenarios.items() if k.startswith(("12 weeks, all", "731"))})

    emit(
        f"- Load average at the end: {load()}; wall time {(datetime.now(UTC) - began).total_seconds():.0f} s"
    )
    Path(args.output).write_text("\n".join(out_lines) + "\n")
    print(f"\nwritten to {args.output}")
    if not args.keep:
        connection.close()
        from urllib.parse import urlsplit

        import psycopg

        parts = urlsplit(args.database_url)
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        print("database dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
