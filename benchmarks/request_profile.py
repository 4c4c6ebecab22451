"""Where the milliseconds of one API request go: the hot paths, in process, on PostgreSQL.

Run by hand from the repository root, on a database it may fill (``--fresh`` drops and creates it
first; its name must then contain "bench"; without ``--fresh`` it migrates and loads the demo data,
both idempotent, and adds cases to whatever is there):

    .venv/bin/python benchmarks/request_profile.py --database-url postgres://postgres@127.0.0.1:55432/casedesk_bench --fresh
    .venv/bin/python benchmarks/request_profile.py --database-url ... --requests 100 --kinds get,create

The environment is ``benchmarks/load.py``'s (``scripts/contract_fuzz.sh``'s block: DEBUG=0, throttling
on, e-mail to locmem; plus ``QUERY_COUNT_HEADER=1``, Redis for the broker (db 5, not consumed), the
result backend (db 6) and the cache holding the throttle counters (db 7)). Requests go through
``config.wsgi.application`` with a hand-built WSGI environ and token auth, as gunicorn would call it
(``request_started`` / ``request_finished`` fire; the connection persists across requests as with
``CONN_MAX_AGE``); no HTTP, no client threads, so the figures are CPU and round trips of one request.

Kinds (``--kinds``): ``get`` (GET /cases/{id}/ as us.dsu), ``list`` (GET /cases/?page_size=25 and the
pages after it, as us.dsu), ``create`` (POST /cases/ with load.py's body, as us.dsu), ``comment``
(POST /cases/{id}/comments/ as us.dsu), ``reply`` (the analyst's public comment through the same
endpoint: support-reply e-mail and first-response timer), ``transition`` (``start`` as the analyst,
each case once).

For each kind: ``--warmup`` requests, then ``--requests`` timed requests (mean and median ms in
process, wall clock and this thread's CPU (``time.thread_time``: what a loaded machine distorts least),
SQL statements and Redis round trips per request), then ``--sql-requests`` requests whose
SQL is recorded and grouped by statement text (placeholders and savepoint names normalised), then
``--requests`` requests under cProfile (timed by the thread's CPU clock): the top entries by cumulative time in project code, DRF,
Django and the libraries on the path (Celery/kombu/redis/psycopg), and the top entries by own time.
``--output`` also writes the report to a file.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import load  # noqa: E402  (benchmarks/load.py: the environment, the database reset and the request body)

KINDS = ("get", "list", "create", "comment", "reply", "transition")
PROFILE_PATHS = (
    *(f"{ROOT}/{app}/" for app in ("accounts", "cases", "config", "core", "notifications", "sla", "status")),
    "/rest_framework/",
    "/django/",
    "/django_filters/",
    "/django_fsm/",
    "/drf_spectacular/",
    "/whitenoise/",
    "/celery/",
    "/kombu/",
    "/redis/",
    "/psycopg/",
)

out_lines: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    out_lines.append(line)


# --------------------------------------------------------------------------- WSGI calls


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wsgi:
    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def call(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Answer:
        parts = urlsplit(path)
        payload = json.dumps(body).encode() if body is not None else b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "HTTP_ACCEPT": "application/json",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(payload),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(payload))
        got: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            got["status"], got["headers"] = int(status.split()[0]), dict(headers)

        result = self.app(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            result.close()  # request_finished, as gunicorn does
        return Answer(got["status"], got["headers"], data)


# --------------------------------------------------------------------------- counting SQL and Redis


@dataclass
class Tally:
    redis: int = 0
    sql: list[tuple[str, float]] = field(default_factory=list)


_tally: Tally | None = None


def _patch_redis() -> None:
    """Count Redis round trips (one per command or pipeline sent): throttle cache and broker alike."""
    from redis.connection import AbstractConnection

    original = AbstractConnection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> Any:
        if _tally is not None:
            _tally.redis += 1
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


@contextmanager
def recording(record_sql: bool) -> Iterator[Tally]:
    from django.db import connection

    global _tally
    tally = _tally = Tally()

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            tally.sql.append((sql, (time.perf_counter() - started) * 1000))

    try:
        if record_sql:
            with connection.execute_wrapper(wrapper):
                yield tally
        else:
            yield tally
    finally:
        _tally = None


def normalise(sql: str) -> str:
    sql = re.sub(r'"s\d+_x\d+"', '"s…"', sql)
    sql = re.sub(r"(%s, )+%s", "%s, …", sql)
    sql = re.sub(r"\s+", " ", sql)
    return sql if len(sql) <= 220 else sql[:217] + "…"


# --------------------------------------------------------------------------- the kinds


class Workload:
    def __init__(self, wsgi: Wsgi, customer: str, analyst: str, rng: random.Random) -> None:
        self.wsgi, self.customer, self.analyst, self.rng = wsgi, customer, analyst, rng
        self.created: list[int] = []
        self.fresh: list[int] = []  # created and never started: for transitions
        self.next_page: str | None = None
        self.seq = 0

    def create(self) -> Answer:
        self.seq += 1
        body = {
            **load.CASE_BODY,
            "subject": f"Profiled case {self.seq}",
            "problem_summary": "Posting a journal entry times out after 30 seconds on the general ledger.",
        }
        answer = self.wsgi.call("POST", "/api/v1/cases/", self.customer, body)
        if answer.status == 201:
            case_id = int(answer.json()["id"])
            self.created.append(case_id)
            self.fresh.append(case_id)
        return answer

    def get(self) -> Answer:
        return self.wsgi.call("GET", f"/api/v1/cases/{self.rng.choice(self.created)}/", self.customer)

    def list(self) -> Answer:
        answer = self.wsgi.call("GET", self.next_page or "/api/v1/cases/?page_size=25", self.customer)
        nxt = answer.json().get("next") if answer.status == 200 else None
        self.next_page = None
        if nxt:
            parts = urlsplit(nxt)
            self.next_page = f"{parts.path}?{parts.query}"
        return answer

    def comment(self) -> Answer:
        self.seq += 1
        body = {"body": f"Still happening this morning (profiled comment {self.seq})."}
        case_id = self.rng.choice(self.created)
        return self.wsgi.call("POST", f"/api/v1/cases/{case_id}/comments/", self.customer, body)

    def reply(self) -> Answer:
        self.seq += 1
        body = {"body": f"We are looking into it (profiled reply {self.seq})."}
        case_id = self.rng.choice(self.created)
        return self.wsgi.call("POST", f"/api/v1/cases/{case_id}/comments/", self.analyst, body)

    def transition(self) -> Answer:
        case_id = self.fresh.pop(0)
        return self.wsgi.call(
            "POST", f"/api/v1/cases/{case_id}/transitions/", self.analyst, {"transition": "start"}
        )


@dataclass
class Result:
    kind: str
    ms: list[float]
    cpu_ms: list[float]
    queries: list[int]
    redis: list[int]
    sql: dict[str, list[float]]
    sql_requests: int
    profile: str
    profiled_seconds: float


def run_kind(kind: str, work: Workload, warmup: int, n: int, sql_n: int, top: int, expect: int) -> Result:
    call: Callable[[], Answer] = getattr(work, kind)

    def one(record_sql: bool = False) -> tuple[float, float, Answer, Tally]:
        with recording(record_sql) as tally:
            started, cpu_started = time.perf_counter(), time.thread_time()
            answer = call()
            cpu = (time.thread_time() - cpu_started) * 1000
            elapsed = (time.perf_counter() - started) * 1000
        if answer.status != expect:
            raise SystemExit(f"{kind}: HTTP {answer.status} (expected {expect}): {answer.body[:500]!r}")
        return elapsed, cpu, answer, tally

    for _ in range(warmup):
        one()
    ms, cpu_ms, queries, redis_trips = [], [], [], []
    for _ in range(n):
        elapsed, cpu, answer, tally = one()
        ms.append(elapsed)
        cpu_ms.append(cpu)
        queries.append(int(answer.headers.get("X-Query-Count", "-1")))
        redis_trips.append(tally.redis)
    sql: dict[str, list[float]] = defaultdict(list)
    for _ in range(sql_n):
        _, _, _, tally = one(record_sql=True)
        for text, spent in tally.sql:
            sql[normalise(text)].append(spent)

    profiler = cProfile.Profile(time.thread_time)
    started = time.thread_time()
    profiler.enable()
    for _ in range(n):
        one()
    profiler.disable()
    profiled = time.thread_time() - started
    return Result(
        kind, ms, cpu_ms, queries, redis_trips, dict(sql), sql_n, _profile_text(profiler, n, top), profiled
    )


def _short(filename: str) -> str:
    if filename.startswith(str(ROOT) + "/") and "/site-packages/" not in filename:
        return filename[len(str(ROOT)) + 1 :]
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1]
    return filename


def _profile_text(profiler: cProfile.Profile, n: int, top: int) -> str:
    stats = pstats.Stats(profiler)
    rows = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    lines = [f"  {'cum ms/req':>10} {'own ms/req':>10} {'calls/req':>9}  function"]

    def fmt(key: tuple[str, int, str], value: tuple[Any, ...]) -> str:
        _, calls, own, cum, _ = value
        where = f"{_short(key[0])}:{key[1]}({key[2]})"
        return f"  {cum * 1000 / n:10.2f} {own * 1000 / n:10.2f} {calls / n:9.1f}  {where}"

    ours = [(k, v) for k, v in rows.items() if any(p in k[0] for p in PROFILE_PATHS)]
    for key, value in sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:top]:
        lines.append(fmt(key, value))
    lines += ["", "  by own time (everything, including the C calls and the interpreter's library):"]
    for key, value in sorted(rows.items(), key=lambda kv: kv[1][2], reverse=True)[: max(10, top // 2)]:
        lines.append(fmt(key, value))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def setup(database_url: str, fresh: bool) -> tuple[str, str]:
    run_dir = ROOT / "var" / "bench-profile"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = load.server_env(database_url, run_dir)
    if fresh:
        load.recreate_database(database_url)
    load.manage(env, "migrate", "--noinput", "-v0")
    load.manage(env, "demo_load", "--no-cases", "-v0")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from accounts.models import User
    from accounts.services import api_token_create

    tokens = [api_token_create(user=User.objects.get(username=name))[1] for name in ("us.dsu", "analyst")]
    return tokens[0], tokens[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--fresh", action="store_true", help="drop and create the database first ('bench' names)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument(
        "--requests", type=int, default=200, help="timed requests per kind (and as many profiled)"
    )
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--sql-requests", type=int, default=5, help="requests per kind whose SQL is recorded")
    parser.add_argument("--top", type=int, default=40, help="profile entries shown per kind")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--output", help="also write the report here")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if unknown := set(kinds) - set(KINDS):
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")

    load_before = os.getloadavg()
    customer, analyst = setup(args.database_url, args.fresh)
    _patch_redis()
    work = Workload(Wsgi(), customer, analyst, random.Random(args.seed))
    per_kind = args.warmup + 2 * args.requests + args.sql_requests
    # Cases for get/comment and one never-started case per transition request, made up front.
    needed = max(50, per_kind if "transition" in kinds else 0)
    for _ in range(needed):
        if work.create().status != 201:
            raise SystemExit("could not create the cases the run needs")

    emit("# In-process request profile (benchmarks/request_profile.py)")
    emit()
    emit(f"- Command: `.venv/bin/python benchmarks/request_profile.py {' '.join(sys.argv[1:])}`")
    emit(f"- Load average before: {' / '.join(f'{x:.2f}' for x in load_before)}")
    emit(f"- Code: {load.git_head()}")
    emit()
    results = []
    expect = {"get": 200, "list": 200, "create": 201, "comment": 201, "reply": 201, "transition": 200}
    for kind in kinds:
        results.append(
            run_kind(kind, work, args.warmup, args.requests, args.sql_requests, args.top, expect[kind])
        )
    emit(f"- Load average after: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    emit()
    emit(
        "| kind | requests | CPU mean ms | CPU median ms | mean ms | median ms | p90 ms | SQL/request "
        "| Redis round trips/request |"
    )
    emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        q = Counter(r.queries)
        emit(
            f"| {r.kind} | {len(r.ms)} | {statistics.fmean(r.cpu_ms):.2f} | {statistics.median(r.cpu_ms):.2f} "
            f"| {statistics.fmean(r.ms):.2f} | {statistics.median(r.ms):.2f} | "
            f"{load.percentile(r.ms, 0.9):.2f} | {statistics.fmean(r.queries):.2f} "
            f"({', '.join(f'{k}×{v}' for k, v in sorted(q.items()))}) | {statistics.fmean(r.redis):.2f} |"
        )
    for r in results:
        emit()
        emit(f"## {r.kind}")
        emit()
        total = sum(len(v) for v in r.sql.values()) / max(r.sql_requests, 1)
        emit(f"SQL per request ({r.sql_requests} requests recorded; {total:.1f} statements):")
        emit()
        emit("```")
        for text, spent in sorted(r.sql.items(), key=lambda kv: -len(kv[1])):
            emit(f"{len(spent) / r.sql_requests:5.1f}× {statistics.fmean(spent):6.2f} ms  {text}")
        emit("```")
        emit()
        emit(
            f"cProfile ({len(r.ms)} requests, {r.profiled_seconds * 1000 / len(r.ms):.1f} ms of thread CPU a "
            "request under the profiler), cumulative, project code / DRF / Django / libraries on the path, per request:"
        )
        emit()
        emit("```")
        emit(r.profile)
        emit("```")
    if args.output:
        Path(args.output).write_text("\n".join(out_lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
