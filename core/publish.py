"""Best-effort publishing of Celery tasks: a broker outage never turns a committed write into an error.

Every task published here only hurries along work whose state is already in the database (a case
waiting for routing, an outbox row due for delivery). When the broker refuses the message the
error is logged and counted, and the beat sweep that reads the same state picks the work up later.
So a request that committed answers success whatever the broker does.

A write that queues several tasks may send them as one message (``publishes_combined``): a worker
runs them one after another (``core.tasks.tasks_run_together_task``). Each is still sent only after
the commit, and each still leaves the state its sweep recovers from if the message is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task, current_app
from django.db import transaction
from prometheus_client import Counter

logger = logging.getLogger(__name__)

PUBLISH_ERRORS = Counter(
    "casedesk_task_publish_errors",
    "Tasks whose Celery message the broker refused (each task of a combined message); a beat sweep does their work later.",
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
    return _send(task, args, names=[task.name])


def _send(task: Task, args: tuple[Any, ...], *, names: list[str]) -> bool:
    try:
        task.delay(*args)
    except BROKER_ERRORS as exc:
        for name in names:
            PUBLISH_ERRORS.labels(task=name).inc()
        logger.warning("broker refused %s%r; a sweep will do its work: %s", task.name, args, exc)
        return False
    return True


TOGETHER_TASK = "core.tasks.tasks_run_together_task"

# The calls gathered by the innermost ``publishes_combined`` block of this thread, if any.
_combined_calls: ContextVar[list[tuple[Task, tuple[Any, ...]]] | None] = ContextVar(
    "combined_publishes", default=None
)


def publish_after_commit(task: Task | str, *args: Any, using: str | None = None) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one), best effort.
    ``task`` may be given by name (``task_named``). Inside ``publishes_combined`` it joins that
    block's one message."""
    resolved = task_named(task) if isinstance(task, str) else task
    calls = _combined_calls.get()
    if calls is not None and using is None:
        calls.append((resolved, args))
        return
    transaction.on_commit(lambda: publish(resolved, *args), using=using)


@contextmanager
def publishes_combined() -> Iterator[None]:
    """Send the tasks the block publishes after commit as one message (one task alone is sent as
    itself). They are registered with the transaction as the block ends, at its level, so a rollback
    of that level drops them as it would drop each; a nested block's tasks join the outer one's. A
    task published in a savepoint that rolls back inside the block is still sent: every task reads
    its work from the database, so it finds none."""
    calls: list[tuple[Task, tuple[Any, ...]]] = []
    token = _combined_calls.set(calls)
    try:
        yield
    finally:
        _combined_calls.reset(token)
        outer = _combined_calls.get()
        if outer is not None:
            outer.extend(calls)
        elif calls:
            transaction.on_commit(lambda: publish_together(calls))


def publish_together(calls: list[tuple[Task, tuple[Any, ...]]]) -> bool:
    """Send ``calls`` as one message (a single call as itself); answers whether the broker took it.
    A refusal counts each task's error, since each waits for its own sweep."""
    if len(calls) == 1:
        task, args = calls[0]
        return publish(task, *args)
    together = [[task.name, list(args)] for task, args in calls]
    return _send(task_named(TOGETHER_TASK), (together,), names=[task.name for task, _ in calls])


def tasks_run_together(calls: list[list[Any]]) -> None:
    """On a worker: run the tasks of a combined message in order, each in this process. Every task
    runs even if one before it failed; the first failure is raised afterwards, so the message is
    reported as failed (a failed task's work waits for its sweep, as when its message is lost)."""
    failure: Exception | None = None
    for name, args in calls:
        try:
            task_named(name)(*args)
        except Exception as exc:
            logger.exception("%s%r failed in a combined message", name, tuple(args))
            failure = failure or exc
    if failure is not None:
        raise failure
