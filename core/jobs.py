"""Each scheduled job's last start, success and failure, so an operator sees a stalled scheduler.

Recorded by the worker around every run of a task in ``config.beat.DEFAULT_SCHEDULE`` (Celery's
task signals) and by ``manage.py run_job``; read by ``/healthz?detail=1`` (staff) and exported as
Prometheus gauges read from the database at scrape time, so any web process reports the same.
A job is *stale* when its last start is older than JOB_STALE_AFTER_INTERVALS times its interval.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from celery import Task
from celery.signals import task_failure, task_prerun, task_success
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client.core import GaugeMetricFamily

from config.beat import DEFAULT_SCHEDULE
from core.models import JobRun

logger = logging.getLogger(__name__)

_JOB_OF_TASK = {task: name for name, (task, _seconds) in DEFAULT_SCHEDULE.items()}


def _record(name: str, task: str, **fields: Any) -> None:
    """Best effort: a run whose record cannot be written (database down) still runs."""
    try:
        updated = JobRun.objects.filter(name=name).update(task=task, **fields)
        if not updated:
            JobRun.objects.get_or_create(name=name, defaults={"task": task, **fields})
    except DatabaseError as exc:
        logger.warning("job %s: run not recorded: %s", name, exc)


def job_started(task: str, *, now: datetime | None = None) -> None:
    if task in _JOB_OF_TASK:
        _record(_JOB_OF_TASK[task], task, last_started_at=now or timezone.now())


def job_finished(task: str, *, error: BaseException | None = None, now: datetime | None = None) -> None:
    if task not in _JOB_OF_TASK:
        return
    at = now or timezone.now()
    if error is None:
        _record(_JOB_OF_TASK[task], task, last_succeeded_at=at)
    else:
        _record(
            _JOB_OF_TASK[task], task, last_failed_at=at, last_error=f"{type(error).__name__}: {error}"[:500]
        )


@contextmanager
def job_recorded(task: str) -> Iterator[None]:
    """Record a run made outside a worker (``manage.py run_job``)."""
    job_started(task)
    try:
        yield
    except BaseException as exc:
        job_finished(task, error=exc)
        raise
    job_finished(task)


@task_prerun.connect
def _on_task_prerun(sender: Task | None = None, **kwargs: Any) -> None:
    if sender is not None:
        job_started(sender.name)


@task_success.connect
def _on_task_success(sender: Task | None = None, **kwargs: Any) -> None:
    if sender is not None:
        job_finished(sender.name)


@task_failure.connect
def _on_task_failure(
    sender: Task | None = None, exception: BaseException | None = None, **kwargs: Any
) -> None:
    if sender is not None:
        job_finished(sender.name, error=exception or RuntimeError("failed"))


def _intervals() -> dict[str, int]:
    """Each job's interval in seconds: the beat schedule as operators edited it, else the default."""
    seconds = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    intervals = {name: every for name, (_task, every) in DEFAULT_SCHEDULE.items()}
    for name, every, period in PeriodicTask.objects.filter(
        name__in=list(DEFAULT_SCHEDULE), interval__isnull=False
    ).values_list("name", "interval__every", "interval__period"):
        intervals[name] = every * seconds.get(period, 1)
    return intervals


def job_runs_report(*, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """name → last runs, interval and staleness, for every job of the default schedule."""
    now = now or timezone.now()
    runs = {run.name: run for run in JobRun.objects.filter(name__in=list(DEFAULT_SCHEDULE))}
    report = {}
    for name, interval in _intervals().items():
        run = runs.get(name)
        started = run.last_started_at if run else None
        report[name] = {
            "interval_seconds": interval,
            "last_started_at": started,
            "last_succeeded_at": run.last_succeeded_at if run else None,
            "last_failed_at": run.last_failed_at if run else None,
            "stale": started is None
            or (now - started).total_seconds() > settings.JOB_STALE_AFTER_INTERVALS * interval,
        }
    return report


def job_metrics_collect() -> Iterator[GaugeMetricFamily]:
    """Prometheus gauges from the JobRun table, read at each scrape (one small query); registered
    with ``core.observability.metrics`` like the other state collectors."""
    started = GaugeMetricFamily(
        "casedesk_job_last_started_timestamp_seconds",
        "When each scheduled job last started.",
        labels=["job"],
    )
    succeeded = GaugeMetricFamily(
        "casedesk_job_last_succeeded_timestamp_seconds",
        "When each scheduled job last succeeded.",
        labels=["job"],
    )
    stale = GaugeMetricFamily(
        "casedesk_job_stale",
        "1 when a scheduled job has not started for JOB_STALE_AFTER_INTERVALS intervals (beat stalled?).",
        labels=["job"],
    )
    for name, run in job_runs_report().items():
        if run["last_started_at"]:
            started.add_metric([name], run["last_started_at"].timestamp())
        if run["last_succeeded_at"]:
            succeeded.add_metric([name], run["last_succeeded_at"].timestamp())
        stale.add_metric([name], 1.0 if run["stale"] else 0.0)
    yield from (started, succeeded, stale)
