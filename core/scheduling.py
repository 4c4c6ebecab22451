"""Scheduled jobs: the beat schedule sync and the jobs a cron-based deployment runs by name."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.beat import DEFAULT_SCHEDULE
from config.celery import app
from core.jobs import job_recorded


@transaction.atomic
def beat_schedule_sync() -> list[str]:
    """Add the missing default periodic tasks to django-celery-beat; answers the names created."""
    created = []
    for name, (task, seconds) in DEFAULT_SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=every)
        created.append(name)
    return created


def job_run(name: str) -> Any:
    """Run one scheduled job in this process, synchronously (for cron instead of beat)."""
    if name not in DEFAULT_SCHEDULE:
        raise KeyError(f"Unknown job {name!r}; known: {', '.join(sorted(DEFAULT_SCHEDULE))}.")
    app.loader.import_default_modules()
    task = DEFAULT_SCHEDULE[name][0]
    with job_recorded(task):
        return app.tasks[task]()
