from typing import Any

from celery import shared_task

from core.observability.metrics import RETENTION_DELETED_ROWS
from core.publish import tasks_run_together
from core.retention import idempotency_records_purge


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """Round-trip probe: proves a worker consumes the broker and can answer."""
    return f"pong: {value}"


@shared_task
def idempotency_records_purge_task() -> int:
    """Retention: delete Idempotency-Key records past their age (bounded batches)."""
    deleted = idempotency_records_purge()
    RETENTION_DELETED_ROWS.labels(table="idempotency_record").inc(deleted)
    return deleted


@shared_task
def tasks_run_together_task(calls: list[list[Any]]) -> None:
    """The tasks one write published together (``core.publish.publishes_combined``), as
    ``[name, args]`` pairs, run in order on this worker."""
    tasks_run_together(calls)
