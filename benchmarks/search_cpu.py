"""Where one search request's CPU goes: in process, on ``benchmarks/search.py``'s database (read only).

Run by hand from the repository root, on the database ``benchmarks/search.py`` seeded:

    .venv/bin/python benchmarks/search_cpu.py --database-url postgres://postgres@127.0.0.1:54330/casedesk_search_bench
    .venv/bin/python benchmarks/search_cpu.py --database-url ... --requests 40 --profile "staff, medium"

Requests go through DRF's test client (``force_authenticate``: no token lookup, no HTTP), in the
environment of ``benchmarks/load.py``. For each class of ``benchmarks/search.py`` (the same words), on
``GET /api/v1/cases/search/?q=`` and on the list's ``?search=``: after ``--warmup`` requests,
``--requests`` requests each with its Python CPU (``time.thread_time``), its statements (count, and
their wall time as the client sees it: at a low load, the database's time) and the search statement's
own time by EXPLAIN ANALYZE (median of 3, one word per class). ``--profile`` names classes to run
once more under cProfile (top entries by own time). Reads only: nothing is written.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from load import server_env  # noqa: E402
from search import LANGUAGES, SYLLABLES, VOCABULARY  # noqa: E402


def _classes(users: dict[str, Any], rare: dict[str, list[str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, [(username, word)]) as ``search.word_classes`` picks them."""
    vocab = {lang: VOCABULARY[lang].split() for lang in LANGUAGES}
    largest = max(users, key=lambda u: users[u]["cases"])
    typical = [u for u in users if u != largest]
    classes = []
    for kind, pick in (("common", slice(0, 10)), ("medium", slice(40, 60))):
        classes.append(
            (f"customer, largest, {kind}", [(largest, w) for w in vocab[users[largest]["language"]][pick]])
        )
        classes.append(
            (
                f"customer, typical, {kind}",
                [(u, w) for u in typical for w in vocab[users[u]["language"]][pick]],
            )
        )
        classes.append((f"staff, {kind}", [("analyst", w) for lang in LANGUAGES for w in vocab[lang][pick]]))
    classes.append(("customer, largest, rare", [(largest, w) for w in rare[str(users[largest]["company"])]]))
    classes.append(
        ("customer, typical, rare", [(u, w) for u in typical for w in rare.get(str(users[u]["company"]), [])])
    )
    classes.append(("staff, rare", [("analyst", w) for w in rare["staff"]]))
    return classes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per class and endpoint")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--endpoints", default="search,list", help="search (?q=), list (?search=)")
    parser.add_argument("--profile", default="", help="classes to profile, separated by ';'")
    parser.add_argument("--output", default="")
    args = parser.parse_args()

    os.environ.update(server_env(args.database_url, ROOT / "var" / "bench-search-cpu"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.selectors import PartnerScope
    from cases.search.selectors import case_search_statement

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT company_id, count(*) FROM cases_case WHERE starts_with(reply_token, 'bench')"
            " GROUP BY 1 ORDER BY 2 DESC"
        )
        counts = cursor.fetchall()
    users: dict[str, Any] = {}
    for company, n in [counts[0], *(counts[len(counts) // 2 + i] for i in range(-5, 5))]:
        user = User.objects.filter(membership__company_id=company, membership__role="dsu").first()
        assert user is not None
        users[user.username] = {"company": company, "cases": n, "language": user.membership.company.language}
    pattern = r"\m((?:" + "|".join(SYLLABLES) + r"){4})\M"
    rare: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.company_id, (regexp_match(c.problem_summary, %s))[1] FROM cases_case c"
            " WHERE starts_with(c.reply_token, 'bench') AND c.company_id = ANY(%s) ORDER BY c.id LIMIT 400",
            [pattern, [u["company"] for u in users.values()]],
        )
        for company, word in cursor.fetchall():
            if word:
                rare.setdefault(str(company), []).append(word)
        cursor.execute(
            "SELECT (regexp_match(problem_summary, %s))[1] FROM cases_case"
            " WHERE starts_with(reply_token, 'bench') AND id %% 9973 = 0 LIMIT 60",
            [pattern],
        )
        rare["staff"] = [row[0] for row in cursor.fetchall() if row[0]]
    people = {name: User.objects.get(username=name) for name in [*users, "analyst"]}

    statements: list[float] = []

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(time.perf_counter() - started)

    client = APIClient(HTTP_HOST="127.0.0.1")
    ticks = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        """Seconds of CPU the connection's PostgreSQL backend has used (user + system): the server runs
        on this machine, as in the benchmark."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    paths = {"search": "/api/v1/cases/search/", "list": "/api/v1/cases/"}
    names = {"search": "q", "list": "search"}
    lines = [
        f"load average at the start: {os.getloadavg()}",
        "",
        "| endpoint | class | Python CPU ms/req (median, p90) | statements/req | statement wall ms/req (median)"
        " | request wall ms (median) | PostgreSQL backend CPU ms/req (mean) | search statement by EXPLAIN ANALYZE, ms (planning + execution) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    for endpoint in args.endpoints.split(","):
        for label, picks in _classes(users, rare):
            cpu, sql_ms, sql_n, wall = [], [], [], []
            backend_used = 0.0
            for i in range(args.warmup + args.requests):
                if i == args.warmup:
                    backend_started = backend_cpu()
                username, word = picks[i % len(picks)]
                client.force_authenticate(people[username])
                statements.clear()
                started, started_cpu = time.perf_counter(), time.thread_time()
                with connection.execute_wrapper(timed):
                    response = client.get(paths[endpoint], {names[endpoint]: word})
                if i < args.warmup:
                    continue
                assert response.status_code == 200, response.content[:300]
                cpu.append(1000 * (time.thread_time() - started_cpu))
                wall.append(1000 * (time.perf_counter() - started))
                sql_ms.append(1000 * sum(statements))
                sql_n.append(len(statements))
            backend_used = backend_cpu() - backend_started
            explained = ""
            if endpoint == "search":
                username, word = picks[0]
                statement = case_search_statement(
                    user=people[username], query=word, scope=PartnerScope.ESTABLISHMENT, offset=0, limit=25
                )
                assert statement is not None
                runs = []
                with connection.cursor() as cursor:
                    cursor.execute("SET jit = off")
                    cursor.execute("SET max_parallel_workers_per_gather = 0")
                    for _ in range(3):
                        cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + statement[0], statement[1])
                        plan = [row[0] for row in cursor.fetchall()]
                        times = [
                            float(p.split(":")[1].split()[0])
                            for p in plan
                            if p.startswith(("Planning Time", "Execution Time"))
                        ]
                        runs.append(sum(times))
                    cursor.execute("RESET jit")
                    cursor.execute("RESET max_parallel_workers_per_gather")
                explained = f"{statistics.median(runs):.1f} (`{word}`)"
            cpu.sort()
            line = (
                f"| {endpoint} | {label} | {statistics.median(cpu):.1f}, {cpu[int(0.9 * len(cpu))]:.1f} | "
                f"{statistics.fmean(sql_n):.1f} | {statistics.median(sql_ms):.1f} | {statistics.median(wall):.1f} | "
                f"{1000 * backend_used / args.requests:.1f} | {explained} |"
            )
            lines.append(line)
            print(line, flush=True)
    lines.append("")
    lines.append(f"load average at the end: {os.getloadavg()}")
    for wanted in filter(None, args.profile.split(";")):
        for label, picks in _classes(users, rare):
            if label != wanted.strip():
                continue
            profiler = cProfile.Profile(time.thread_time)
            for i in range(args.requests):
                username, word = picks[i % len(picks)]
                client.force_authenticate(people[username])
                profiler.enable()
                client.get(paths["search"], {"q": word})
                profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(45)
            lines += [
                "",
                f"## cProfile (thread time), search, {label}, {args.requests} requests",
                "",
                "```",
                out.getvalue(),
                "```",
            ]
            print(lines[-2], flush=True)
    print(f"load average at the end: {os.getloadavg()}")
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
