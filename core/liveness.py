"""Liveness files: the worker and beat each touch one while they are working, and their containers'
health checks (``scripts/healthcheck.py worker|beat``) answer from its age, without a broker round
trip or a Django start-up. A worker touches its file from its event loop only while it is connected
to the broker and consuming; beat touches its file on every scheduler pass.

No Django model is imported here: ``config/celery.py`` registers the worker step at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import bootsteps
from django.conf import settings


def liveness_path(process: str) -> Path:
    """``<CASEDESK_VAR_DIR>/<process>.alive``: one container, one process of each kind."""
    return Path(settings.VAR_DIR) / f"{process}.alive"


def liveness_touch(process: str) -> None:
    path = liveness_path(process)
    path.touch(exist_ok=True)
    os.utime(path)  # touch() on an existing file is enough on Linux; this states the intent


def liveness_clear(process: str) -> None:
    liveness_path(process).unlink(missing_ok=True)


class WorkerLiveness(bootsteps.StartStopStep):
    """A consumer step: started once the task consumer is, stopped (file removed) when the consumer
    stops or restarts after losing the broker, so a stale or missing file means "not consuming"."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None
        liveness_clear("worker")  # a file left by a previous run in this container says nothing

    def start(self, parent: Any) -> None:
        liveness_touch("worker")
        self.timer_entry = parent.timer.call_repeatedly(
            settings.LIVENESS_INTERVAL_SECONDS, liveness_touch, ("worker",), priority=0
        )

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        liveness_clear("worker")

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)
