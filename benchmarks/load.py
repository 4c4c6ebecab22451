"""HTTP load test of the case API: gunicorn (2 sync workers) + PostgreSQL, driven from this process.

Run by hand from the repository root (the database is dropped and created again; its name must
contain "bench"):

    .venv/bin/python benchmarks/load.py --database-url postgres://postgres@127.0.0.1:55432/casedesk_bench
    .venv/bin/python benchmarks/load.py --database-url ... --cases 200 --seed-to 10000   # a quick one
    .venv/bin/python benchmarks/load.py --database-url ... --worker-class gthread --worker-threads 4

What one run does:

1. Drops and creates the database, ``manage.py migrate`` and ``manage.py demo_load --no-cases`` with the same
   production-like environment as ``scripts/contract_fuzz.sh`` (DEBUG=0, a SECRET_KEY, e-mail to
   locmem, throttling on with very high rates), plus Redis for the broker (db 5, nothing consumes
   it), the result backend (db 6) and the cache holding the throttle counters (db 7), and
   ``QUERY_COUNT_HEADER=1`` so every response says how many SQL queries it ran.
2. API tokens for ``us.dsu`` (DSU of company 1, "Acme Corp (US)") and ``analyst``.
3. gunicorn, 2 sync workers, on a free loopback port (``--worker-class gthread --worker-threads N``:
   still 2 worker processes, each serving N requests at a time and keeping connections alive).
4. Load from 8 client threads (``ThreadPoolExecutor``, one ``http.client.HTTPConnection`` per thread;
   gunicorn's sync workers close the connection after each response, so the client reconnects):
   A create cases (then ``VACUUM ANALYZE`` and ``CHECKPOINT``, unless ``--no-settle``, so that the
   maintenance 2,000 inserts set off does not run during B), B list every page (cursor ``next`` links, page_size 25; each thread walks the
   whole set), C single-case GETs, D customer comments, E ``start`` transitions by the analyst (each
   case once). Extras: C' single-case GETs from one thread (service time without queueing), and
   C'' GETs / B'' first list pages offered open loop at ``--paced-rate`` req/s, latency counted
   from each request's due time (the closed-loop phases measure saturation; these, a load the
   machine carries).
5. Seeds the cases table to ``--seed-to`` rows with one ``INSERT … SELECT generate_series`` copying a
   case created in phase A (unique ``number`` / ``reply_token`` from the new id, ``created_at`` spread
   over the previous year, all in company 1: the worst case for the company's list), VACUUM ANALYZE
   and CHECKPOINT, then
   repeats B (first ``--pages-after-seed`` pages per thread) and C (ids drawn from every case).
6. Prints and writes the table (requests, req/s, p50/p95/p99 ms, mean/max ``X-Query-Count``, errors:
   any non-2xx or failed request), EXPLAIN (ANALYZE, BUFFERS) of the list page query at full size,
   and stops gunicorn whatever happened.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from common import recreate_database, redis_url, table_columns

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REQUEST_TIMEOUT = 30.0  # seconds, per request
CASE_BODY = {
    "product_instance": 1,
    "reason": "system-issue",
    "application_area": "general-ledger",
    "business_impact_scope": "group",
    "business_impact": "medium",
}


# --------------------------------------------------------------------------- environment


def server_env(database_url: str, run_dir: Path) -> dict[str, str]:
    """scripts/contract_fuzz.sh's block, with Redis and the query-count header."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="load-benchmark-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        # A real throttle check on every request (one counter increment in Redis, core/throttling.py),
        # at rates no phase reaches.
        THROTTLE_ANON_RATE="1000000/min",
        THROTTLE_USER_RATE="1000000/min",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        WHITENOISE_USE_FINDERS="1",
        INBOUND_EMAIL_SECRET="load-inbound-secret",
        PRECOMPILED_QUERIES_CHECK="0",  # the fuzzing server checks; a benchmark measures the cache
        MEDIA_ROOT=str(run_dir / "media"),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url(5),
        CELERY_RESULT_BACKEND=redis_url(6),
        CACHE_URL=redis_url(7),
        QUERY_COUNT_HEADER="1",
    )
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


TOKENS_SCRIPT = """
from accounts.models import User
from accounts.services import api_token_create
for name, username in {"CUSTOMER": "us.dsu", "ANALYST": "analyst"}.items():
    _, secret = api_token_create(user=User.objects.get(username=username))
    print(f"{name}={secret}")
"""

EXPLAIN_SCRIPT = """
import json
from django.db import connection
from psycopg import ClientCursor
from accounts.models import User
from cases.selectors import case_list_page_for_user
user = User.objects.get(username="us.dsu")
qs = case_list_page_for_user(user=user).order_by("-created_at", "-id")
first = qs[:26]
cutoff = qs.values_list("created_at", flat=True)[min(975, qs.count() - 1)]
later = qs.filter(created_at__lt=cutoff)[:26]
out = {}
for label, query in (("first page", first), ("page 40, or the last (created_at < cursor)", later)):
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        connection.ensure_connection()
        text = ClientCursor(connection.connection).mogrify(sql, params)  # the SQL as sent, for reading
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        out[label] = {"sql": text, "plan": [row[0] for row in cursor.fetchall()]}
print("JSON=" + json.dumps(out))
"""


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        log: Path,
        worker_class: str = "sync",
        worker_threads: int = 1,
    ) -> None:
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--threads",
                str(worker_threads),
                "--log-level",
                "warning",
                "--capture-output",
                "--error-logfile",
                str(log),
                "--access-logfile",  # one JSON line per request, as in production, out of the terminal
                str(log.with_name(log.name + ".access")),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: stopped as a whole below
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group we started, nothing else
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------- client


@dataclass
class Sample:
    ms: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    queries: int | None
    body: bytes = b""


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not 200 <= s.status < 300]


class Client:
    """One keep-alive connection per thread (reopened transparently when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            self.local.conn = conn
        return conn

    def call(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Sample:
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            conn = self._conn()
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            count = response.getheader("X-Query-Count")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
            return Sample(elapsed, response.status, int(count) if count else None, data)
        except (OSError, http.client.HTTPException) as exc:
            self.local.conn = None
            elapsed = (time.perf_counter() - started) * 1000
            return Sample(elapsed, 0, None, repr(exc).encode())


def run_phase(
    name: str, jobs: list[Callable[[], list[Sample]]], threads: int, time_limit: float, note: str = ""
) -> Phase:
    """Run every job on the pool; a job returns one or more samples. Jobs not started within
    ``time_limit`` seconds are skipped (and said so in the note)."""
    phase = Phase(name, note=note)
    deadline = time.monotonic() + time_limit
    skipped = 0
    lock = threading.Lock()

    def guarded(job: Callable[[], list[Sample]]) -> None:
        nonlocal skipped
        if time.monotonic() > deadline:
            with lock:
                skipped += 1
            return
        samples = job()
        with lock:
            phase.samples.extend(samples)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(guarded, job) for job in jobs]:
            future.result()
    phase.seconds = time.perf_counter() - started
    if skipped:
        phase.note += f" {skipped} jobs skipped: phase time limit {time_limit:.0f}s reached."
    return phase


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def row(phase: Phase, scale: str) -> str:
    ms = [s.ms for s in phase.samples]
    counts = [s.queries for s in phase.samples if s.queries is not None]
    mean_q = f"{statistics.fmean(counts):.1f}" if counts else "n/a"
    max_q = str(max(counts)) if counts else "n/a"
    n = len(phase.samples)
    rate = n / phase.seconds if phase.seconds else 0.0
    return (
        f"| {scale} | {phase.name} | {n:,} | {rate:,.1f} | {percentile(ms, 0.50):.1f} | "
        f"{percentile(ms, 0.95):.1f} | {percentile(ms, 0.99):.1f} | {mean_q} | {max_q} | {len(phase.errors)} |"
    )


TABLE_HEAD = [
    "| cases in table | phase | requests | req/s | p50 ms | p95 ms | p99 ms | queries/req mean | max | errors (non-2xx) |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


# --------------------------------------------------------------------------- phases


def phase_create(client: Client, token: str, n: int, threads: int, limit: float) -> tuple[Phase, list[int]]:
    def job(i: int) -> Callable[[], list[Sample]]:
        body = {
            **CASE_BODY,
            "subject": f"Load test case {i}",
            "problem_summary": "Posting a journal entry times out after 30 seconds on the general ledger.",
        }
        return lambda: [client.call("POST", "/api/v1/cases/", token, body)]

    phase = run_phase("A create case (POST /cases/)", [job(i) for i in range(n)], threads, limit)
    ids = []
    for sample in phase.samples:
        if sample.status == 201:
            ids.append(int(json.loads(sample.body)["id"]))
    return phase, ids


def phase_list(
    client: Client, token: str, walkers: int, max_pages: int, threads: int, limit: float, expect: int | None
) -> Phase:
    """Each walker follows ``next`` from the first page; every thread walks the whole set (or max_pages)."""
    seen: list[set[int]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + limit

    def walk() -> list[Sample]:
        samples: list[Sample] = []
        ids: set[int] = set()
        path: str | None = "/api/v1/cases/?page_size=25"
        while path is not None and len(samples) < max_pages and time.monotonic() < deadline:
            sample = client.call("GET", path, token)
            samples.append(sample)
            if sample.status != 200:
                break
            data = json.loads(sample.body)
            ids.update(item["id"] for item in data["results"])
            nxt = data.get("next")
            path = None
            if nxt:
                parts = urlsplit(nxt)
                path = f"{parts.path}?{parts.query}"
            sample.body = b""  # keep memory flat
        with lock:
            seen.append(ids)
        return samples

    phase = run_phase("B list pages (GET /cases/?page_size=25)", [walk] * walkers, threads, limit)
    sizes = sorted({len(s) for s in seen})
    if expect is not None:
        complete = all(len(s) == expect for s in seen)
        phase.note = (
            f"{walkers} walks of the whole set; each saw {', '.join(map(str, sizes))} distinct cases "
            f"(expected {expect}: {'complete' if complete else 'INCOMPLETE'})."
        )
    else:
        phase.note = f"{walkers} walks of the first {max_pages} pages ({max_pages * 25} newest cases each)."
    return phase


def phase_get(
    client: Client,
    token: str,
    ids: list[int],
    n: int,
    threads: int,
    limit: float,
    rng: random.Random,
    label: str,
) -> Phase:
    picks = [rng.choice(ids) for _ in range(n)]

    def job(case_id: int) -> Callable[[], list[Sample]]:
        return lambda: [client.call("GET", f"/api/v1/cases/{case_id}/", token)]

    return run_phase(label, [job(i) for i in picks], threads, limit)


def phase_paced(
    client: Client,
    token: str,
    paths: list[str],
    rate: float,
    threads: int,
    limit: float,
    label: str,
) -> Phase:
    """Open loop: request i is due ``i / rate`` seconds after the phase starts, whatever the earlier
    ones took, and its latency counts from that instant (a request the client sends late has been
    waiting too, so a backlog is not hidden). Shows the latency of a load the machine can carry,
    where the closed-loop phases show the latency at saturation (concurrency / throughput)."""
    start = time.perf_counter() + 0.1

    def job(i: int, path: str) -> Callable[[], list[Sample]]:
        def run() -> list[Sample]:
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))  # bounded: at most len(paths) / rate
            late_ms = max(0.0, time.perf_counter() - due) * 1000
            sample = client.call("GET", path, token)
            sample.ms += late_ms
            sample.body = b""
            return [sample]

        return run

    phase = run_phase(label, [job(i, path) for i, path in enumerate(paths)], threads, limit)
    phase.note = (
        f"open loop at {rate:g} req/s offered ({len(paths)} requests); latency from each request's due time."
    )
    return phase


def phase_comment(
    client: Client, token: str, ids: list[int], n: int, threads: int, limit: float, rng: random.Random
) -> Phase:
    picks = [rng.choice(ids) for _ in range(n)]

    def job(k: int, case_id: int) -> Callable[[], list[Sample]]:
        body = {"body": f"Still happening this morning (load comment {k})."}
        return lambda: [client.call("POST", f"/api/v1/cases/{case_id}/comments/", token, body)]

    return run_phase(
        "D comment (POST /cases/{id}/comments/)", [job(k, i) for k, i in enumerate(picks)], threads, limit
    )


def phase_transition(
    client: Client, token: str, ids: list[int], n: int, threads: int, limit: float, rng: random.Random
) -> Phase:
    picks = rng.sample(ids, min(n, len(ids)))  # each case once: all are still open

    def job(case_id: int) -> Callable[[], list[Sample]]:
        return lambda: [
            client.call("POST", f"/api/v1/cases/{case_id}/transitions/", token, {"transition": "start"})
        ]

    return run_phase("E transition start (analyst)", [job(i) for i in picks], threads, limit)


# --------------------------------------------------------------------------- seeding


def seed_cases(database_url: str, template_id: int, total: int) -> tuple[int, float]:
    """Copy the template case until the table holds ``total`` rows; answers (rows added, seconds)."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=False) as conn:
        have = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        add = max(0, total - have)
        if add:
            with conn.cursor() as cursor:
                columns = table_columns(cursor, "cases_case")
            # created_at spread over the previous year (older than every API-created case).
            special = {
                "id": "ids.id",
                "number": "'CS-' || lpad(ids.id::text, 6, '0')",
                "reply_token": "'seed' || ids.id::text",
                "created_at": "ids.at",
                "updated_at": "ids.at",
                "status_changed_at": "ids.at",
                "subject": "'Seeded case ' || ids.id::text",
            }
            select = ", ".join(special.get(c, f"t.{c}") for c in columns)
            conn.execute(
                f"""
                WITH ids AS (
                    SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) AS id,
                           now() - interval '1 day' - (g * interval '5 minutes') AS at
                    FROM generate_series(1, %s) AS g
                )
                INSERT INTO cases_case ({", ".join(columns)})
                SELECT {select} FROM ids, cases_case t WHERE t.id = %s
                """,
                (add, template_id),
            )
        conn.commit()
    settle(database_url)
    return add, time.perf_counter() - started


def settle(database_url: str) -> float:
    """VACUUM ANALYZE and CHECKPOINT after a phase that wrote thousands of rows, so the reads that
    follow are measured on their own: not beside the autovacuum and checkpoint those writes set off
    (they shared the two cores with list phase B, ~10 ms on its p99)."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- report


def machine_lines() -> list[str]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=20).stdout.strip()
        except OSError as exc:
            return f"({exc})"

    lines = [
        f"- `nproc`: {sh('nproc')}",
        "- `free -g`:",
        "",
        "```",
        sh("free -g"),
        "```",
        "",
        f"- `python --version` (.venv): {sh(f'{PYTHON} --version')}",
        f"- `psql --version`: {sh('psql --version')}",
        f"- Platform: {platform.platform()}, CPU: {platform.processor() or platform.machine()}",
    ]
    return lines


def server_settings(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        values = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "fsync", "synchronous_commit", "max_connections")
        }
    return f"PostgreSQL server {version}: " + ", ".join(f"{k}={v}" for k, v in values.items())


def git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return f"{head}{' + uncommitted changes in the work tree' if dirty else ''}"
    except OSError:
        return "unknown"


def error_summary(phases: list[tuple[str, Phase]]) -> list[str]:
    lines = []
    for scale, phase in phases:
        errors = phase.errors
        if not errors:
            continue
        kinds = Counter(s.status for s in errors)
        lines.append(
            f"- {scale} / {phase.name}: "
            + ", ".join(f"{n}× HTTP {k or 'no answer'}" for k, n in kinds.items())
        )
        for sample in errors[:3]:
            lines.append(f"  - `{sample.status}` {sample.body[:300].decode(errors='replace')}")
    return lines or ["- none: every request answered 2xx."]


# --------------------------------------------------------------------------- main


def paced_phases(
    client: Client, token: str, ids: list[int], args: argparse.Namespace, rng: random.Random, scale: str
) -> list[tuple[str, Phase]]:
    if not args.paced_rate:
        return []
    gets = [f"/api/v1/cases/{rng.choice(ids)}/" for _ in range(args.paced)]
    lists = ["/api/v1/cases/?page_size=25"] * args.paced
    done = []
    for label, paths in (
        (f"C'' get case, {args.paced_rate:g} req/s open loop (extra)", gets),
        (f"B'' list first page, {args.paced_rate:g} req/s open loop (extra)", lists),
    ):
        phase = phase_paced(client, token, paths, args.paced_rate, args.threads, args.phase_time_limit, label)
        print(row(phase, scale), flush=True)
        done.append((scale, phase))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL database it may drop (name contains 'bench')"
    )
    parser.add_argument("--cases", type=int, default=2000, help="phase A: cases created over the API")
    parser.add_argument("--gets", type=int, default=500, help="phase C: single-case GETs")
    parser.add_argument("--comments", type=int, default=500, help="phase D: comments")
    parser.add_argument("--transitions", type=int, default=500, help="phase E: start transitions")
    parser.add_argument(
        "--seed-to", type=int, default=100_000, help="cases in the table for the second round (0: skip)"
    )
    parser.add_argument(
        "--settle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="VACUUM ANALYZE and CHECKPOINT between phase A and B (--no-settle: as before 2026-11-23)",
    )
    parser.add_argument(
        "--pages-after-seed", type=int, default=40, help="list pages per walker in the second round"
    )
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"], help="gunicorn worker class"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=1, help="gunicorn --threads per worker (gthread)"
    )
    parser.add_argument(
        "--solo", type=int, default=100, help="extra: GETs from one thread (service time without queueing)"
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=80.0,
        help="extra: GETs and first list pages offered at this rate, open loop (0: skip)",
    )
    parser.add_argument("--paced", type=int, default=400, help="requests per open-loop phase")
    parser.add_argument(
        "--phase-time-limit", type=float, default=240.0, help="seconds; later jobs are skipped"
    )
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "load.md"))
    args = parser.parse_args()

    command = " ".join([".venv/bin/python benchmarks/load.py", *map(shlex.quote, sys.argv[1:])])
    run_dir = ROOT / "var" / "bench-load"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url, run_dir)
    rng = random.Random(args.seed)
    began = datetime.now(UTC)
    wall = time.perf_counter()
    load_before = os.getloadavg()

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    print(
        f"== database {urlsplit(args.database_url).path.lstrip('/')}: drop, create, migrate, demo_load --no-cases",
        flush=True,
    )
    recreate_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo_load", "--no-cases", "-v0")
    tokens = dict(
        line.split("=", 1) for line in manage(env, "shell", stdin=TOKENS_SCRIPT).splitlines() if "=" in line
    )
    customer, analyst = tokens["CUSTOMER"], tokens["ANALYST"]

    log = run_dir / "gunicorn.log"
    log.write_text("")
    server = Server(env, args.workers, log, args.worker_class, args.worker_threads)
    results: list[tuple[str, Phase]] = []
    explain: dict[str, Any] = {}
    seeded = (0, 0.0)
    try:
        server.wait_ready()
        client = Client(server.port)
        limit = args.phase_time_limit
        scale = f"{args.cases:,}"

        print(f"== gunicorn on 127.0.0.1:{server.port}; phase A: {args.cases} creates", flush=True)
        created, ids = phase_create(client, customer, args.cases, args.threads, limit)
        results.append((scale, created))
        if not ids:
            raise RuntimeError("no case was created; see the errors")
        print(row(created, scale), flush=True)
        if args.settle:
            print(f"   settled (VACUUM ANALYZE, CHECKPOINT) in {settle(args.database_url):.1f}s", flush=True)

        print("== phase B: list", flush=True)
        listed = phase_list(client, customer, args.threads, 10_000, args.threads, limit, expect=len(ids))
        results.append((scale, listed))
        print(row(listed, scale), flush=True)

        print("== phase C: get", flush=True)
        got = phase_get(
            client, customer, ids, args.gets, args.threads, limit, rng, "C get case (GET /cases/{id}/)"
        )
        results.append((scale, got))
        print(row(got, scale), flush=True)
        if args.solo:
            solo = phase_get(
                client, customer, ids, args.solo, 1, limit, rng, "C' get case, 1 client thread (extra)"
            )
            results.append((scale, solo))
            print(row(solo, scale), flush=True)
        results += paced_phases(client, customer, ids, args, rng, scale)

        print("== phase D: comment", flush=True)
        commented = phase_comment(client, customer, ids, args.comments, args.threads, limit, rng)
        results.append((scale, commented))
        print(row(commented, scale), flush=True)

        print("== phase E: transition", flush=True)
        moved = phase_transition(client, analyst, ids, args.transitions, args.threads, limit, rng)
        results.append((scale, moved))
        print(row(moved, scale), flush=True)

        if args.seed_to:
            print(f"== seeding to {args.seed_to:,} cases", flush=True)
            seeded = seed_cases(args.database_url, max(ids), args.seed_to)
            with psycopg.connect(args.database_url) as conn:
                all_ids = [r[0] for r in conn.execute("SELECT id FROM cases_case WHERE company_id = 1")]
                total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
            big = f"{total:,}"
            print(f"   added {seeded[0]:,} rows in {seeded[1]:.1f}s", flush=True)

            listed2 = phase_list(
                client, customer, args.threads, args.pages_after_seed, args.threads, limit, expect=None
            )
            results.append((big, listed2))
            print(row(listed2, big), flush=True)
            got2 = phase_get(
                client,
                customer,
                all_ids,
                args.gets,
                args.threads,
                limit,
                rng,
                "C get case (GET /cases/{id}/)",
            )
            got2.note = (
                "ids drawn uniformly from every case of company 1 (seeded rows have no SLA timers or events)."
            )
            results.append((big, got2))
            print(row(got2, big), flush=True)
            if args.solo:
                solo2 = phase_get(
                    client,
                    customer,
                    all_ids,
                    args.solo,
                    1,
                    limit,
                    rng,
                    "C' get case, 1 client thread (extra)",
                )
                results.append((big, solo2))
                print(row(solo2, big), flush=True)
            results += paced_phases(client, customer, all_ids, args, rng, big)
            out = manage(env, "shell", stdin=EXPLAIN_SCRIPT)
            explain = json.loads(next(line for line in out.splitlines() if line.startswith("JSON="))[5:])
    finally:
        server.stop()
        print("== gunicorn stopped", flush=True)

    log_text = log.read_text(errors="replace")
    tracebacks = log_text.count("Traceback")
    minutes = (time.perf_counter() - wall) / 60

    lines = [
        "# HTTP load: case API on gunicorn + PostgreSQL",
        "",
        f"- Command (from the repository root): `{command}`",
        f"- Date of run: {began:%Y-%m-%d %H:%M} UTC; whole run {minutes:.1f} min",
        f"- Load average (1/5/15 min) before: {' / '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared: other work on it shows here)",
        f"- Code: {git_head()}",
        *machine_lines(),
        f"- {server_settings(args.database_url)}",
        f"- Server: gunicorn, {args.workers} {args.worker_class} workers"
        + (f" × {args.worker_threads} threads" if args.worker_class == "gthread" else "")
        + f", 127.0.0.1; client: {args.threads} threads in one "
        "process on the same 2 cores (client, server and database share the machine).",
        "- Env: the block of `scripts/contract_fuzz.sh` (DEBUG=0, e-mail to locmem, throttles on at 1000000/min), "
        "QUERY_COUNT_HEADER=1, broker redis db 5 (not consumed), results db 6, cache (throttle counters) db 7.",
        "",
        "Latency is measured at the client: connect + request + full response read. "
        "`queries/req` is the server's `X-Query-Count`. Errors: any non-2xx answer or failed request.",
        "",
        *TABLE_HEAD,
        *(row(p, s) for s, p in results),
        "",
        "Notes per phase:",
        "",
    ]
    for s, p in results:
        if p.note.strip():
            lines.append(f"- {s} / {p.name}: {p.note.strip()}")
    lines.append(
        "- Between A and B: VACUUM ANALYZE + CHECKPOINT (the maintenance A's inserts set off, done before B)."
        if args.settle
        else "- Between A and B: nothing (--no-settle): autovacuum and checkpoints may run during B."
    )
    if args.seed_to:
        lines.append(
            f"- Seeding: {seeded[0]:,} rows added by one INSERT … SELECT generate_series (copies of case "
            f"{max(ids) if ids else '?'}, company 1, created_at 1 day to ~{seeded[0] * 5 / 1440:.0f} days ago) "
            f"+ VACUUM ANALYZE + CHECKPOINT in {seeded[1]:.1f} s. The list's first {args.pages_after_seed} pages are therefore "
            "the newest (API-created) cases; the plans below show the query does not depend on the table size."
        )
    lines += ["", "Errors:", "", *error_summary(results), ""]
    lines.append(f"gunicorn error log: {tracebacks} traceback(s) ({log.relative_to(ROOT)}).")
    if explain:
        lines += ["", f"## List page query at {total:,} cases: EXPLAIN (ANALYZE, BUFFERS)", ""]
        for label, item in explain.items():
            lines += [f"{label}:", "", "```sql", item["sql"], "```", "", "```", *item["plan"], "```", ""]
    text = "\n".join(lines) + "\n"
    print()
    print("\n".join([*TABLE_HEAD, *(row(p, s) for s, p in results)]))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
