from celery import shared_task

from core.observability.metrics import RETENTION_DELETED_ROWS
from notifications.services import DeliveryError


@shared_task(
    autoretry_for=(DeliveryError,), retry_backoff=30, retry_backoff_max=3600, retry_jitter=True, max_retries=5
)
def notification_deliver_task(notification_id: int) -> bool:
    """Send one outbox row; a row already sent (or taken by another worker) is left alone."""
    from notifications.services import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task
def notifications_deliver_due_task() -> dict[str, int]:
    """Safety net on beat: retries due, rows whose task was lost, rows of a dead worker."""
    from notifications.services import notifications_deliver_due

    return notifications_deliver_due()


@shared_task
def notifications_deliver_many_task(notification_ids: list[int]) -> int:
    """Send a bulk job's rows. A list longer than ``DELIVERY_CHUNK`` is split here, on a worker,
    into one task per chunk (so the job publishes one message per batch and no task runs past its
    time limit). A failed row is left pending with its backoff for ``notifications_deliver_due``;
    answers how many this run sent."""
    from notifications.services import DELIVERY_CHUNK, notification_deliver

    if len(notification_ids) > DELIVERY_CHUNK:
        for start in range(0, len(notification_ids), DELIVERY_CHUNK):
            notifications_deliver_many_task.delay(notification_ids[start : start + DELIVERY_CHUNK])
        return 0
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += notification_deliver(notification_id=notification_id)
        except DeliveryError:
            continue
    return sent


@shared_task
def notifications_sent_purge_task() -> int:
    """Retention: delete delivered outbox rows past their age (bounded batches)."""
    from notifications.retention import notifications_sent_purge

    deleted = notifications_sent_purge()
    RETENTION_DELETED_ROWS.labels(table="notification").inc(deleted)
    return deleted


@shared_task
def inbound_emails_purge_task() -> int:
    """Retention: delete the inbound e-mail log past its age (bounded batches)."""
    from notifications.retention import inbound_emails_purge

    deleted = inbound_emails_purge()
    RETENTION_DELETED_ROWS.labels(table="inbound_email").inc(deleted)
    return deleted
