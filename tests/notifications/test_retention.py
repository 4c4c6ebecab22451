"""Retention of the outbox: rows past their age go, in bounded batches; undelivered messages never do."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from notifications.models import Notification
from notifications.retention import notifications_sent_purge

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _notification(status, *, created_at, sent_at=None):
    return Notification.objects.create(
        idempotency_key=f"retention:{Notification.objects.count()}",
        kind="case_created",
        channel=Notification.Channel.EMAIL,
        to_address="someone@example.com",
        status=status,
        next_attempt_at=created_at,
        created_at=created_at,
        sent_at=sent_at,
    )


def _deleted(table):
    return REGISTRY.get_sample_value("casedesk_retention_deleted_rows_total", {"table": table}) or 0.0


def test_sent_rows_older_than_the_age_go_and_undelivered_rows_never_do(settings):
    settings.RETENTION_SENT_NOTIFICATIONS = timedelta(days=30)
    age = timedelta(days=30)
    long_ago = NOW - timedelta(days=400)
    just_outside = _notification("sent", created_at=long_ago, sent_at=NOW - age - SECOND)
    just_inside = _notification("sent", created_at=long_ago, sent_at=NOW - age + SECOND)
    undelivered = [_notification(status, created_at=long_ago) for status in ("pending", "sending", "failed")]
    counted_before = _deleted("notification")

    with time_machine.travel(NOW, tick=False):
        call_command("run_job", "notifications-purge-sent")  # the beat entry's task, by name

    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert just_outside.pk not in remaining
    assert remaining == {just_inside.pk, *(row.pk for row in undelivered)}
    assert _deleted("notification") - counted_before == 1


def test_the_outbox_age_is_a_setting(settings):
    settings.RETENTION_SENT_NOTIFICATIONS = timedelta(days=2)
    kept = _notification("sent", created_at=NOW, sent_at=NOW - timedelta(days=2) + SECOND)
    _notification("sent", created_at=NOW, sent_at=NOW - timedelta(days=2) - SECOND)

    assert notifications_sent_purge(now=NOW) == 1
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_run_deletes_in_bounded_batches_oldest_first_and_leaves_the_rest(settings):
    settings.RETENTION_SENT_NOTIFICATIONS = timedelta(days=1)
    rows = [
        _notification("sent", created_at=NOW, sent_at=NOW - timedelta(days=10 - i)) for i in range(7)
    ]  # oldest first

    with CaptureQueriesContext(connection) as queries:
        deleted = notifications_sent_purge(now=NOW, batch_size=3, max_batches=2)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert deleted == 6
    assert len(deletes) == 2  # one statement per batch, and no more batches than allowed
    assert all("LIMIT 3" in sql for sql in deletes)
    assert list(Notification.objects.values_list("pk", flat=True)) == [rows[-1].pk]  # the youngest waits
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]  # no row is loaded


def test_a_run_stops_at_the_first_short_batch(settings):
    settings.RETENTION_SENT_NOTIFICATIONS = timedelta(days=1)
    for _ in range(4):
        _notification("sent", created_at=NOW, sent_at=NOW - timedelta(days=5))

    with CaptureQueriesContext(connection) as queries:
        deleted = notifications_sent_purge(now=NOW, batch_size=3, max_batches=10)

    assert deleted == 4
    assert len([q for q in queries.captured_queries if q["sql"].startswith("DELETE")]) == 2
