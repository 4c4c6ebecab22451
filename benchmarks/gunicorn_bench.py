"""gunicorn settings for ``benchmarks/realistic.py``: the project's ``gunicorn.conf.py`` as it is, plus
a wrapper around the WSGI application that

- runs each request inside a function named after its operation (``op_create``, ``op_detail``, …,
  from the client's ``X-Bench-Op`` header), so a py-spy profile of the workers splits by operation;
- answers the request's CPU time in the worker (``time.thread_time``: this thread only, so neither
  waiting on PostgreSQL nor other processes count) and its wall time in the application, in
  ``X-Bench-Cpu-Us`` and ``X-Bench-Wall-Us``.

The application has already returned when the headers are sent: Django calls ``start_response``
before it returns, and the wrapper passes that call on afterwards with the two headers added.

    gunicorn -c benchmarks/gunicorn_bench.py config.wsgi:application
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_PROJECT_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_PROJECT_CONF.read_text(), str(_PROJECT_CONF), "exec"))
_project_post_worker_init: Callable[[Any], None] = globals()["post_worker_init"]

OPERATIONS = (
    "list_first",
    "list_next",
    "list_filtered",
    "detail",
    "events",
    "create",
    "customer_comment",
    "analyst_reply",
    "transition",
    "login",
    "other",
)

type App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _runner(name: str) -> Callable[[App, dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def run(app: App, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return app(environ, start_response)

    run.__code__ = run.__code__.replace(co_name=f"op_{name}", co_qualname=f"op_{name}")
    return run


_RUNNERS = {name: _runner(name) for name in OPERATIONS}


def _measured(app: App) -> App:
    def bench_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        run = _RUNNERS.get(environ.get("HTTP_X_BENCH_OP", "other"), _RUNNERS["other"])
        given: list[tuple[Any, ...]] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            given.append((status, headers, exc_info))
            return _no_write

        cpu, wall = time.thread_time(), time.perf_counter()
        result = run(app, environ, hold)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        status, headers, exc_info = given[-1]
        timing = [("X-Bench-Cpu-Us", str(int(cpu * 1e6))), ("X-Bench-Wall-Us", str(int(wall * 1e6)))]
        start_response(status, [*headers, *timing], exc_info)
        return result

    return bench_app


def _no_write(data: bytes) -> None:
    raise RuntimeError("the benchmark wrapper does not support WSGI write()")


def post_worker_init(worker: Any) -> None:
    _project_post_worker_init(worker)
    worker.wsgi = _measured(worker.wsgi)
