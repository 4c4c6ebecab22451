"""The inbound log's retention job, on beat (``config/beat.py``)."""

from celery import shared_task

from core.observability.metrics import RETENTION_DELETED_ROWS
from inbound.retention import inbound_auto_replies_purge, inbound_emails_purge


# The registered name is the one beat entries and queued messages carry: it never changes.
@shared_task(name="notifications.tasks.inbound_emails_purge_task")
def inbound_emails_purge_task() -> int:
    """Retention: delete the inbound e-mail log past its age (bounded batches)."""
    deleted = inbound_emails_purge()
    RETENTION_DELETED_ROWS.labels(table="inbound_email").inc(deleted)
    forgotten = inbound_auto_replies_purge()  # the automatic answers' memory, kept as long as the log
    RETENTION_DELETED_ROWS.labels(table="inbound_auto_reply").inc(forgotten)
    return deleted
