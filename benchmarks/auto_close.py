"""Auto-close of many due cases on PostgreSQL: the production service against plain SQL doing the same writes.

Run by hand from the repository root (the database is dropped and created again; its name must
contain "bench"):

    .venv/bin/python benchmarks/auto_close.py --database-url postgres://postgres@127.0.0.1:55432/casedesk_bench_autoclose
    .venv/bin/python benchmarks/auto_close.py --database-url ... --cases 5000      # a quick one

One run:

1. Drops and creates the database, migrates, loads the demo data.
2. Seed (repeated identically before each timed part): four template cases, one per demo company,
   made through the services (``case_create``, ``case_transition`` start + propose_resolution 12 days
   ago, so each has its SLA timers, its three status events and ``auto_close_at`` in the past), then
   cloned with INSERT … SELECT generate_series to ``--cases`` cases in ``verify_resolution`` (with
   their events and timers), VACUUM ANALYZE.
3. Service: ``case_auto_close_due(now=now, batch_size=…)`` in a loop until it closes nothing (or
   ``--time-limit`` passes) — the production path: SKIP LOCKED batch, the cases closed, events, outbox
   rows, surveys, SLA timers stopped; delivery tasks are published on commit to Redis db 5, which
   nothing consumes.
4. Baseline on a fresh equal seed: one statement, UPDATE of the cases (status, closed_at,
   auto_close_at, status_changed_at, updated_at) + INSERT … SELECT of the events + INSERT … SELECT of
   the e-mail outbox rows (same keys, kinds, recipients, context). A second baseline ("baseline+")
   also writes what the service writes beyond that: the satisfaction surveys and the SLA timers stopped.
5. Rows/s for each, the ratio, a check that each path wrote the same number of rows, and a profile
   of the service on ``--profile-cases`` cases (cProfile + every SQL statement classified and timed).
6. Cold command (``--cold-cases``, default 20,000): a fresh seed, then ``manage.py run_job
   cases-auto-close`` in a new process, timed from the spawn to its exit (interpreter and Django start
   included), the form in which issue 22 compares it with the peer's escalation job (128 tickets/s).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import re
import shlex
import subprocess
import sys
import sysconfig
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import recreate_database, redis_url, table_columns  # noqa: E402  (benchmarks/common.py)

BROKER_DB = redis_url(5)
# (company, opener username, production product instance) for the four demo companies.
TEMPLATES = [(1, "us.dsu", 1), (2, "fr.member", 4), (3, "es.member", 6), (4, "uk.member", 7)]

out_lines: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    out_lines.append(line)


def configure(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="auto-close-benchmark-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=BROKER_DB,
        CELERY_RESULT_BACKEND=redis_url(6),
        CACHE_URL=redis_url(7),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    import django

    django.setup()


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_DB).flushdb()  # db 5 is this benchmark's; nothing consumes it


# --------------------------------------------------------------------------- seeding


def seed(total: int, now: datetime) -> dict[str, int]:
    """Empty every case table, make the four templates through the services, clone to ``total``."""
    from django.db import connection, transaction

    from accounts.models import Company, ProductInstance, User
    from cases.models import ApplicationArea, Case, CaseReason
    from cases.services import case_create, case_transition

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_case, cases_caseevent, cases_comment, sla_slatimer, notifications_notification, "
            "notifications_satisfactionsurvey, core_idempotencyrecord CASCADE"
        )
    analyst = User.objects.get(username="analyst")
    opened = now - timedelta(days=12)
    templates = []
    for company_id, username, instance_id in TEMPLATES:
        with transaction.atomic():
            case, _ = case_create(
                opened_by=User.objects.get(username=username),
                company=Company.objects.get(pk=company_id),
                product_instance=ProductInstance.objects.get(pk=instance_id),
                subject="Journal entries time out",
                problem_summary="Posting a journal entry times out after 30 seconds.",
                reason=CaseReason.objects.get(code="system-issue"),
                application_area=ApplicationArea.objects.get(code="general-ledger"),
                business_impact_scope="group",
                business_impact="medium",
                now=opened,
            )
            case = case_transition(
                case=case, actor=analyst, transition="start", now=opened + timedelta(hours=1)
            ).case
            case = case_transition(
                case=case,
                actor=analyst,
                transition="propose_resolution",
                resolution="Patched the posting job; please confirm.",
                now=opened + timedelta(hours=2),
            ).case
        templates.append(case.pk)
    clones = max(0, total - len(templates))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE seed_map ON COMMIT DROP AS
            SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) AS id, t.id AS template_id, g
            FROM generate_series(1, %s) AS g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM cases_case WHERE id = ANY(%s)) AS t
              ON t.k = g %% %s
            """,
            [clones, templates, len(templates)],
        )
        case_cols = table_columns(cursor, "cases_case")
        special = {
            "id": "m.id",
            "number": "'CS-' || lpad(m.id::text, 6, '0')",
            "reply_token": "'seed' || m.id::text",
            "auto_close_at": "t.auto_close_at - m.g * interval '1 second'",
        }
        cursor.execute(
            f"INSERT INTO cases_case ({', '.join(case_cols)}) "
            f"SELECT {', '.join(special.get(c, 't.' + c) for c in case_cols)} "
            "FROM seed_map m JOIN cases_case t ON t.id = m.template_id"
        )
        for table in ("cases_caseevent", "sla_slatimer"):
            cols = [c for c in table_columns(cursor, table) if c != "id"]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) "
                f"SELECT {', '.join('m.id' if c == 'case_id' else 'x.' + c for c in cols)} "
                f"FROM seed_map m JOIN {table} x ON x.case_id = m.template_id"
            )
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_caseevent", "sla_slatimer", "notifications_notification"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    due = Case.objects.filter(status="verify_resolution", auto_close_at__lte=now).count()
    return {"templates": len(templates), "due": due}


def table_counts(now: datetime) -> dict[str, int]:
    from django.db import connection

    queries = {
        "closed cases": "SELECT count(*) FROM cases_case WHERE status = 'closed'",
        "auto_closed events": "SELECT count(*) FROM cases_caseevent WHERE type = 'auto_closed'",
        "case_closed outbox rows": "SELECT count(*) FROM notifications_notification WHERE kind = 'case_closed'",
        "surveys": "SELECT count(*) FROM notifications_satisfactionsurvey",
        "SLA timers stopped now": "SELECT count(*) FROM sla_slatimer WHERE met_at = %s",
    }
    counts = {}
    with connection.cursor() as cursor:
        for label, sql in queries.items():
            cursor.execute(sql, [now] if "%s" in sql else [])
            counts[label] = cursor.fetchone()[0]
    return counts


# --------------------------------------------------------------------------- the two paths


class SqlMeter:
    """An execute wrapper: counts statements and the time spent waiting for them, by kind."""

    def __init__(self, classify: bool = False) -> None:
        self.count = 0
        self.seconds = 0.0
        self.classify = classify
        self.by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.count += 1
            self.seconds += spent
            if self.classify:
                entry = self.by_kind[_kind(sql)]
                entry[0] += 1
                entry[1] += spent


def _kind(sql: str) -> str:
    sql = sql.strip()
    verb = sql.split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return f"{verb} (savepoint)"
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
    name = table.group(1) if table else "?"
    extra = " FOR UPDATE" if "FOR UPDATE" in sql.upper() else ""
    return f"{verb} {name}{extra}"


def run_service(now: datetime, batch_size: int, time_limit: float, meter: SqlMeter) -> tuple[int, int, float]:
    from django.db import connection

    from cases.services import case_auto_close_due

    closed = batches = 0
    started = time.perf_counter()
    with connection.execute_wrapper(meter):
        while time.perf_counter() - started < time_limit:
            ids = case_auto_close_due(now=now, batch_size=batch_size)
            if not ids:
                break
            closed += len(ids)
            batches += 1
    return closed, batches, time.perf_counter() - started


BASELINE_SQL = """
WITH closed AS (
    UPDATE cases_case c
    SET status = 'closed', closed_at = %(now)s, auto_close_at = NULL, status_changed_at = %(now)s, updated_at = %(now)s
    WHERE c.status = 'verify_resolution' AND c.auto_close_at <= %(now)s
    RETURNING c.id, c.number, c.subject, c.priority, c.company_id, c.opened_by_id
), events AS (
    INSERT INTO cases_caseevent (case_id, type, actor_id, transition, from_status, to_status, note, data, is_internal, created_at)
    SELECT id, 'auto_closed', NULL, 'auto_close', 'verify_resolution', 'closed', %(note)s, '{}'::jsonb, false, %(now)s
    FROM closed
    RETURNING id, case_id
)__EXTRA__
INSERT INTO notifications_notification
    (idempotency_key, message_id, kind, channel, recipient_id, to_address, webhook_id, case_id, language, time_zone, context,
     status, attempts, last_error, next_attempt_at, claimed_at, sent_at, created_at)
SELECT 'case_event:' || e.id || ':case_closed:email:' || u.id,
       '<' || replace(gen_random_uuid()::text, '-', '') || '.outbox@' || %(message_id_domain)s || '>',
       'case_closed', 'email', u.id, u.email, NULL, c.id,
       COALESCE(NULLIF(u.language, ''), NULLIF(co.language, ''), 'en'), co.time_zone,
       jsonb_build_object(
           'case_id', c.id, 'case_number', c.number, 'case_subject', c.subject, 'priority', c.priority,
           'company', co.name, 'case_url', %(base)s || '/api/v1/cases/' || c.id || '/', 'message', %(note)s,
           'name', COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.username),
           'automatic', true, 'survey_url', __SURVEY_URL__),
       'pending', 0, '', %(now)s, NULL, NULL, %(now)s
FROM events e
JOIN closed c ON c.id = e.case_id
JOIN accounts_user u ON u.id = c.opened_by_id
JOIN accounts_company co ON co.id = c.company_id
__SURVEY_JOIN__
WHERE u.is_active AND NOT u.is_staff AND u.email <> ''
"""

# baseline+: also the surveys and the SLA timers the service stops (a live timer is met now, as _stop
# does before its due instant; a finished one keeps its values).
EXTRA_SQL = """, timers AS (
    UPDATE sla_slatimer t SET state = 'met', met_at = %(now)s, warning_at = NULL, updated_at = %(now)s
    FROM closed
    WHERE t.case_id = closed.id AND t.met_at IS NULL AND t.state NOT IN ('met', 'not_applicable', 'breached')
    RETURNING t.id
), surveys AS (
    INSERT INTO notifications_satisfactionsurvey (case_id, respondent_id, token, rating, comment, answered_at, created_at)
    SELECT c.id, c.opened_by_id, md5(random()::text || c.id::text), '', '', NULL, %(now)s
    FROM closed c JOIN accounts_user u ON u.id = c.opened_by_id WHERE u.is_active AND NOT u.is_staff
    RETURNING case_id, token
)"""


def run_cold_command(now: datetime) -> tuple[float, float]:
    """The beat job as a command in a new process: (wall seconds from spawn to exit, child CPU seconds).

    The job closes what is due at its own clock, so the seed's ``now`` must be in the past for it.
    """
    # Bytecode compiled ahead, as the production image does (Dockerfile: UV_COMPILE_BYTECODE and
    # compileall): the process start measured is a deployed one, not a first import of the sources.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j0", sysconfig.get_paths()["purelib"], str(ROOT)],
        check=False,
        capture_output=True,
        timeout=600,
    )
    before = os.times()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "run_job", "cases-auto-close"],
        cwd=ROOT,
        env=os.environ.copy(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def run_baseline(now: datetime, with_extras: bool) -> float:
    from django.conf import settings
    from django.db import connection, transaction

    from cases.services.transitions import AUTO_CLOSE_NOTE

    if with_extras:
        parts = {
            "__EXTRA__": EXTRA_SQL,
            "__SURVEY_URL__": "COALESCE(%(base)s || '/api/v1/surveys/' || s.token || '/answer/?rating=good', '')",
            "__SURVEY_JOIN__": "LEFT JOIN surveys s ON s.case_id = c.id",
        }
    else:
        parts = {"__EXTRA__": "", "__SURVEY_URL__": "''", "__SURVEY_JOIN__": ""}
    sql = BASELINE_SQL
    for token, text in parts.items():
        sql = sql.replace(token, text)
    params = {
        "now": now,
        "note": AUTO_CLOSE_NOTE,
        "base": settings.PUBLIC_BASE_URL,
        "message_id_domain": settings.EMAIL_MESSAGE_ID_DOMAIN,
    }
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- profile


def profile_service(now: datetime, batch_size: int) -> tuple[str, SqlMeter, float, int]:
    meter = SqlMeter(classify=True)
    profiler = cProfile.Profile()
    profiler.enable()
    closed, _, seconds = run_service(now, batch_size, 600, meter)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(
        r"(/work/main/(cases|sla|notifications|core)/|kombu/messaging|celery/app/task)", 40
    )
    text = stream.getvalue()
    text = text[text.find("   ncalls") :] if "   ncalls" in text else text
    text = text.replace(str(ROOT) + "/", "").replace(
        str(ROOT / ".venv" / "lib" / "python3.12" / "site-packages") + "/", ""
    )
    return text, meter, seconds, closed


# --------------------------------------------------------------------------- main


def machine() -> list[str]:
    def sh(cmd: str) -> str:
        return subprocess.run(
            shlex.split(cmd), capture_output=True, text=True, timeout=20, cwd=ROOT
        ).stdout.strip()

    from django.db import connection

    with connection.cursor() as cursor:
        settings_ = {}
        for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit"):
            cursor.execute(f"SHOW {name}")
            settings_[name] = cursor.fetchone()[0]
    return [
        f"- `nproc`: {sh('nproc')}; `python --version`: {sh(sys.executable + ' --version')}; `psql --version`: {sh('psql --version')}",
        "- `free -g`:",
        "",
        "```",
        sh("free -g"),
        "```",
        "",
        f"- Platform: {platform.platform()}",
        f"- Code: {sh('git rev-parse --short HEAD')}{' + uncommitted changes' if sh('git status --porcelain') else ''}",
        "- PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings_.items()) + " (same machine, 127.0.0.1)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL database it may drop (name contains 'bench')"
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="case_auto_close_due's batch (default: the service's)"
    )
    parser.add_argument(
        "--profile-cases", type=int, default=1000, help="cases for the profiled run (0: none)"
    )
    parser.add_argument(
        "--time-limit", type=float, default=330.0, help="seconds for the service loop; it stops after"
    )
    parser.add_argument(
        "--cold-cases", type=int, default=20_000, help="cases for the cold-command run (0: none)"
    )
    parser.add_argument(
        "--peer-rate",
        type=float,
        default=128.0,
        help="the peer's escalation job in tickets/s, measured on this machine (issue 22)",
    )
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "auto_close.md"))
    args = parser.parse_args()
    command = " ".join([".venv/bin/python benchmarks/auto_close.py", *map(shlex.quote, sys.argv[1:])])
    began = datetime.now(UTC)
    wall = time.perf_counter()

    recreate_database(args.database_url)
    configure(args.database_url)
    from django.core.management import call_command
    from django.utils import timezone

    from cases.services.transitions import AUTO_CLOSE_BATCH

    args.batch_size = args.batch_size or AUTO_CLOSE_BATCH
    call_command("migrate", "--noinput", verbosity=0)
    call_command("demo_load", no_cases=True, verbosity=0)
    flush_broker()

    emit("# Auto-close of due cases: service vs plain SQL (PostgreSQL)")
    emit()
    emit(f"- Command (from the repository root): `{command}`")
    emit(f"- Date of run: {began:%Y-%m-%d %H:%M} UTC")
    for line in machine():
        emit(line)
    emit(
        f"- {args.cases:,} cases in `verify_resolution`, `auto_close_at` 3 days past (four templates, one per demo "
        "company, made through the services and cloned in SQL: each case has 3 status events, a met first-response "
        "timer and a paused next-update timer, which the close stops; the demo SLA policy has no resolution target). Demo data has no webhook endpoints, so each close writes one e-mail "
        "outbox row (the opener) and no webhook rows. Broker: Redis db 5 (delivery tasks published on commit, not consumed)."
    )
    emit()

    results: dict[str, dict[str, Any]] = {}

    # -- service
    now = timezone.now()
    info = seed(args.cases, now)
    flush_broker()
    meter = SqlMeter()
    closed, batches, seconds = run_service(now, args.batch_size, args.time_limit, meter)
    counts = table_counts(now)
    results["service"] = {"rows": closed, "seconds": seconds, "counts": counts}
    print(
        f"service: {closed} cases in {seconds:.1f}s ({batches} batches, {meter.count} statements)", flush=True
    )
    service_note = ""
    if closed < info["due"]:
        service_note = (
            f" (stopped at the {args.time_limit:.0f} s limit: {closed:,} of {info['due']:,} closed)"
        )
    flush_broker()

    # -- baselines
    for label, extras in (("baseline", False), ("baseline+", True)):
        now = timezone.now()
        info_b = seed(args.cases, now)
        seconds_b = run_baseline(now, extras)
        results[label] = {"rows": info_b["due"], "seconds": seconds_b, "counts": table_counts(now)}
        print(f"{label}: {info_b['due']} cases in {seconds_b:.2f}s", flush=True)

    svc = results["service"]
    rate = {k: v["rows"] / v["seconds"] for k, v in results.items()}
    emit("## Results")
    emit()
    emit("| path | cases closed | seconds | cases/s | SQL statements | statements/case | vs baseline |")
    emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    emit(
        f"| service `case_auto_close_due(batch_size={args.batch_size})` loop{service_note} | {svc['rows']:,} | {svc['seconds']:.1f} | "
        f"{rate['service']:,.0f} | {meter.count:,} | {meter.count / max(svc['rows'], 1):.2f} | "
        f"{rate['baseline'] / rate['service']:.1f}× slower |"
    )
    emit(
        f"| baseline: one UPDATE + INSERT … SELECT events + INSERT … SELECT outbox | {results['baseline']['rows']:,} | "
        f"{results['baseline']['seconds']:.2f} | {rate['baseline']:,.0f} | 1 | — | 1.0× |"
    )
    emit(
        f"| baseline+ (also surveys and SLA timers stopped) | {results['baseline+']['rows']:,} | "
        f"{results['baseline+']['seconds']:.2f} | {rate['baseline+']:,.0f} | 1 | — | "
        f"{rate['baseline'] / rate['baseline+']:.1f}× slower |"
    )
    emit()
    emit(
        f"Service / baseline ratio: **{rate['baseline'] / rate['service']:.1f}×** (target ≤ 3×: "
        f"{'met' if rate['baseline'] / rate['service'] <= 3 else 'MISSED'}); against baseline+ "
        f"{rate['baseline+'] / rate['service']:.1f}×. Time waiting on SQL in the service loop: "
        f"{meter.seconds:.1f} s of {svc['seconds']:.1f} s ({100 * meter.seconds / svc['seconds']:.0f} %)."
    )
    emit()
    emit("Rows written (each path on its own fresh seed):")
    emit()
    labels = list(svc["counts"])
    emit("| path | " + " | ".join(labels) + " |")
    emit("| --- |" + " ---: |" * len(labels))
    for name, result in results.items():
        emit(f"| {name} | " + " | ".join(f"{result['counts'][k]:,}" for k in labels) + " |")
    emit()

    if args.cold_cases:
        now = timezone.now()
        info_c = seed(args.cold_cases, now)
        flush_broker()
        cold_wall, cold_cpu = run_cold_command(now)
        closed_c = table_counts(now)["auto_closed events"]
        flush_broker()
        cold_rate = closed_c / cold_wall
        emit("## Cold command (process start included)")
        emit()
        emit(
            f"`manage.py run_job cases-auto-close` in a new process on {info_c['due']:,} due cases: closed "
            f"{closed_c:,} in **{cold_wall:.2f} s** from spawn to exit ({cold_cpu:.2f} s of the child's CPU), "
            f"**{cold_rate:,.0f} cases/s**, {cold_rate / args.peer_rate:.0f}× the peer's {args.peer_rate:g} "
            f"tickets/s (target of issue 22: ≥ 75×: {'met' if cold_rate / args.peer_rate >= 75 else 'MISSED'})."
        )
        emit()

    if args.profile_cases:
        now = timezone.now()
        seed(args.profile_cases, now)
        flush_broker()
        text, pmeter, pseconds, pclosed = profile_service(now, args.batch_size)
        flush_broker()
        emit(
            f"## Profile of the service ({pclosed:,} cases, cProfile on: {pseconds:.1f} s, {pclosed / pseconds:,.0f} cases/s under the profiler)"
        )
        emit()
        emit(
            f"SQL statements by kind ({pmeter.count:,} in all, {pmeter.count / max(pclosed, 1):.1f} per case; "
            f"{pmeter.seconds:.1f} s waiting on them):"
        )
        emit()
        emit("| statement | count | per case | ms total | ms/stmt |")
        emit("| --- | ---: | ---: | ---: | ---: |")
        for kind, (count, spent) in sorted(pmeter.by_kind.items(), key=lambda kv: -kv[1][1]):
            emit(
                f"| `{kind}` | {count:,} | {count / max(pclosed, 1):.2f} | {spent * 1000:,.0f} | {spent * 1000 / count:.3f} |"
            )
        emit()
        emit("cProfile, cumulative, project code and the broker publish:")
        emit()
        emit("```")
        for line in text.rstrip().splitlines():
            emit(line)
        emit("```")
        emit()

    flush_broker()
    emit(f"Whole run: {(time.perf_counter() - wall) / 60:.1f} min.")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(out_lines) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
