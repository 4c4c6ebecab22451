"""django-celery-beat's database scheduler, touching beat's liveness file on every pass (see
``core.liveness``). Settings name it in ``CELERY_BEAT_SCHEDULER``."""

from __future__ import annotations

from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler

from core.liveness import liveness_clear, liveness_touch


class LivenessDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        liveness_clear("beat")  # a file left by a previous run in this container says nothing
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        liveness_touch("beat")  # after the pass: a pass stuck on the database or broker goes stale
        return interval
