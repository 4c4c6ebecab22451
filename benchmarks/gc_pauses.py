"""What CPython's garbage collector costs a web worker, with and without ``gunicorn.conf.py``'s tuning.

Run by hand from the repository root, on a database it may fill (as ``request_profile.py``):

    .venv/bin/python benchmarks/gc_pauses.py --database-url postgres://postgres@127.0.0.1:55432/casedesk_bench_latency

Each setting runs in a fresh interpreter (``--setting`` is for that child): the app is loaded and
warmed up as a gunicorn worker would be, then ``--requests`` requests alternate a case's GET and the
first list page through ``config.wsgi.application`` (``request_profile.Wsgi``), timed, with every
collection timed through ``gc.callbacks``. Settings: ``default`` (CPython's thresholds, nothing
frozen) and ``tuned`` (``gunicorn.conf.py``'s ``post_worker_init``: URLconf imported, startup
objects frozen, young threshold raised). Prints collections and their time per generation, the
collector's share of the run, and request p50 / p99 / max.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

SETTINGS = ("default", "tuned")


def run_one(database_url: str, setting: str, requests: int) -> None:
    import request_profile  # benchmarks/request_profile.py: the environment and the WSGI caller

    customer, _ = request_profile.setup(database_url, fresh=False)
    from accounts.authentication import TokenAuthentication
    from cases.selectors import case_list_for_user

    user = TokenAuthentication().authenticate_credentials(customer)[0]
    case_id = case_list_for_user(user=user).values_list("pk", flat=True).first()
    if case_id is None:
        raise SystemExit("no case to read: run benchmarks/request_profile.py on this database first")
    wsgi = request_profile.Wsgi()
    paths = [f"/api/v1/cases/{case_id}/", "/api/v1/cases/?page_size=25"]
    for i in range(50):  # warm-up, as a worker's first requests
        wsgi.call("GET", paths[i % 2], customer)
    if setting == "tuned":
        spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
        assert spec is not None and spec.loader is not None
        conf = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conf)

        class _Log:
            def info(self, *args: Any) -> None:
                pass

        conf.post_worker_init(type("Worker", (), {"log": _Log()})())

    counts, spent = [0, 0, 0], [0.0, 0.0, 0.0]
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            counts[info["generation"]] += 1
            spent[info["generation"]] += time.perf_counter() - started.pop()

    gc.callbacks.append(on_gc)
    latencies = []
    run_started = time.perf_counter()
    for i in range(requests):
        t = time.perf_counter()
        answer = wsgi.call("GET", paths[i % 2], customer)
        latencies.append((time.perf_counter() - t) * 1000)
        if answer.status != 200:
            raise SystemExit(f"{paths[i % 2]} answered {answer.status}")
    total = time.perf_counter() - run_started
    gc.callbacks.remove(on_gc)
    latencies.sort()
    print(
        f"| {setting} | {gc.get_threshold()[0]} | {gc.get_freeze_count():,} | "
        + " / ".join(f"{c} · {s * 1000:.0f} ms" for c, s in zip(counts, spent, strict=True))
        + f" | {100 * sum(spent) / total:.1f} % | {statistics.median(latencies):.1f} | "
        f"{latencies[int(len(latencies) * 0.99)]:.1f} | {latencies[-1]:.1f} |",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2, help="each setting this many times, alternating")
    parser.add_argument("--setting", choices=SETTINGS, help=argparse.SUPPRESS)  # the child's
    args = parser.parse_args()
    if args.setting:
        run_one(args.database_url, args.setting, args.requests)
        return 0
    print(f"{args.requests} requests per run (GET case and first list page, alternating), in process\n")
    print(
        "| setting | young threshold | objects frozen | collections · time, gen 0 / 1 / 2 | GC share | p50 ms | p99 ms | max ms |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |", flush=True)
    for _ in range(args.rounds):
        for setting in SETTINGS:
            command = [
                sys.executable,
                __file__,
                "--database-url",
                args.database_url,
                "--requests",
                str(args.requests),
            ]
            subprocess.run([*command, "--setting", setting], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
