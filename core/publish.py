"""Best-effort publishing of Celery tasks: a broker outage never turns a committed write into an error.

Every task published here only hurries along work whose state is already in the database (a case
waiting for routing, an outbox row due for delivery). When the broker refuses the message the
error is logged and counted, and the beat sweep that reads the same state picks the work up later.
So a request that committed answers success whatever the broker does.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task, current_app
from django.db import transaction
from prometheus_client import Counter

logger = logging.getLogger(__name__)

PUBLISH_ERRORS = Counter(
    "casedesk_task_publish_errors",
    "Celery messages the broker refused; a beat sweep does their work later.",
    ["task"],
)

# What a broker outage raises from apply_async: kombu wraps connection errors after its publish
# retries; redis-py and the socket layer may surface before that.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.KombuError,
    redis.exceptions.RedisError,
    OSError,
)


def task_named(name: str) -> Task:
    """The registered task called ``name``. Services publish their tasks by name: a tasks module
    imports the services it calls, so no service imports a tasks module. Every process registers
    every task at start-up (``CoreConfig.ready``), so a wrong name fails at once, in the service."""
    return current_app.tasks[name]


def publish(task: Task, *args: Any) -> bool:
    """Send ``task(*args)`` to the broker now; answers whether the broker took it. Never raises a
    broker error: the caller's state in the database is what a sweep recovers from."""
    try:
        task.delay(*args)
    except BROKER_ERRORS as exc:
        PUBLISH_ERRORS.labels(task=task.name).inc()
        logger.warning("broker refused %s%r; a sweep will do its work: %s", task.name, args, exc)
        return False
    return True


def publish_after_commit(task: Task | str, *args: Any, using: str | None = None) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one), best effort.
    ``task`` may be given by name (``task_named``)."""
    resolved = task_named(task) if isinstance(task, str) else task
    transaction.on_commit(lambda: publish(resolved, *args), using=using)
