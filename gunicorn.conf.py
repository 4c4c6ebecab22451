"""Gunicorn settings read from the working directory (gunicorn's default ``./gunicorn.conf.py``):
the Dockerfile, docker-compose, ``scripts/contract_fuzz.sh`` and ``benchmarks/load.py`` all start
gunicorn from the repository root, so they all get these. Command-line flags still win.

Only the garbage collector is tuned here. A worker holds ~136,000 long-lived objects once Django,
DRF and the app are imported; CPython's full collection walks all of them (74-89 ms on the
benchmark machine, about every 600 requests) and that pause lands on whichever request triggered it
and on every request queued behind it. Freezing what exists once the worker is ready moves those
objects out of the collector's sight for good (they are modules, classes and settings: never garbage).
"""

from __future__ import annotations

import gc
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
