"""Delivery triggers. They hold no retry policy of their own: the outbox row owns it (its attempts,
backoff and lease, in ``notifications.delivery``), and a trigger that is lost or fails only delays
delivery until the sweep on beat."""

from celery import shared_task

from core.observability.metrics import RETENTION_DELETED_ROWS
from core.publish import publish
from notifications.delivery import (
    DELIVERY_CHUNK,
    notification_deliver,
    notifications_deliver,
    notifications_deliver_due,
)
from notifications.retention import notifications_sent_purge


@shared_task
def notifications_deliver_due_task() -> dict[str, int]:
    """The sweep on beat: rows whose trigger was lost, retries that are due, rows of a dead worker."""
    return notifications_deliver_due()


@shared_task
def notifications_deliver_many_task(notification_ids: list[int]) -> dict[str, int] | None:
    """Deliver these rows now if they are due (published after the commit that wrote them). A list
    longer than ``DELIVERY_CHUNK`` is split here, on a worker, into one task per chunk, so a bulk
    job publishes one message and several workers share its rows; a chunk the broker refuses waits
    for the sweep."""
    if len(notification_ids) > DELIVERY_CHUNK:
        for start in range(0, len(notification_ids), DELIVERY_CHUNK):
            publish(notifications_deliver_many_task, notification_ids[start : start + DELIVERY_CHUNK])
        return None
    return notifications_deliver(ids=notification_ids)


@shared_task
def notification_deliver_task(notification_id: int) -> bool:
    """One row's trigger, as queued by earlier releases."""
    return notification_deliver(notification_id=notification_id)


@shared_task
def notifications_sent_purge_task() -> int:
    """Retention: delete delivered outbox rows past their age (bounded batches)."""
    deleted = notifications_sent_purge()
    RETENTION_DELETED_ROWS.labels(table="notification").inc(deleted)
    return deleted
