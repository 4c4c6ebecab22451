"""Gunicorn settings read from the working directory (gunicorn's default ``./gunicorn.conf.py``):
the Dockerfile, docker-compose, ``scripts/contract_fuzz.sh`` and ``benchmarks/load.py`` all start
gunicorn from the repository root, so they all get these. Command-line flags still win.

Three things are set here: the garbage collector, then (at the end of the file) the logs and the
metrics' multiprocess mode. The garbage collector: a worker holds ~136,000 long-lived objects once Django,
DRF and the app are imported; CPython's full collection walks all of them (74-89 ms on the
benchmark machine, about every 600 requests) and that pause lands on whichever request triggered it
and on every request queued behind it. Freezing what exists once the worker is ready moves those
objects out of the collector's sight for good (they are modules, classes and settings: never garbage).
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from typing import Any

# Young-generation threshold: CPython's default collects every 700 net new container objects; one
# request allocates tens of thousands of short-lived ones, nearly all freed by reference counting.
# With freezing, 2,000 cut the collector's share of request time from 4.0 % to 2.2 % and the slowest
# request from ~85 ms to ~20 ms (benchmarks/gc_pauses.py, BENCHMARKS.md); a much larger threshold
# brings longer single young collections instead.
GC_YOUNG_THRESHOLD = 2000


def post_worker_init(worker: Any) -> None:
    """After the worker has loaded the WSGI application: load what the first request would load
    lazily (the URLconf, and through it every view, serializer and model), then freeze it all."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the API modules now, not on the first request)
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)
    worker.log.info("gc: %d objects frozen, young threshold %d", gc.get_freeze_count(), GC_YOUNG_THRESHOLD)


# --- Logs ---------------------------------------------------------------------------------------
# One access line per request, on stdout; in JSON (LOG_FORMAT, JSON unless DEBUG) with method, path,
# status, duration and the request id, like every other line (core/observability/gunicorn.py).
# `--access-logfile FILE` on the command line still wins.
accesslog = "-"
logger_class = "core.observability.gunicorn.GunicornLogger"

# --- Metrics ------------------------------------------------------------------------------------
# Each worker process counts requests on its own; in prometheus_client's multiprocess mode every
# process writes its counts to files in this directory and /metrics adds them all up, so a scrape
# sees the whole server whichever worker answers it. The directory must be set before a worker
# first imports prometheus_client. Given by the environment, it is used as is (it should be empty
# at start: a tmpfs, or one shared with the Celery worker on the same host); otherwise this server
# gets a fresh one of its own, removed when it stops.
_OWN_METRICS_DIR: str | None = None
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)  # prometheus_client will not
else:
    _OWN_METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="casedesk-metrics-")


def child_exit(server: Any, worker: Any) -> None:
    """In the master, once a worker has exited: its live gauges stop counting (its counters stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _OWN_METRICS_DIR is not None:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)
