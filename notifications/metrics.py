"""The outbox's Prometheus metrics, read from the database at each scrape: the undelivered backlog
by status and the age of the oldest pending message. Registered in ``NotificationsConfig.ready``;
served by ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from notifications.models import Notification

BACKLOG = (Notification.Status.PENDING, Notification.Status.SENDING, Notification.Status.FAILED)


def outbox_metrics_collect() -> Iterator[Metric]:
    """Two queries on the partial index ``notification_backlog`` (status, created_at) of undelivered
    rows: its size follows the backlog, not the delivered history."""
    now = timezone.now()
    backlog = GaugeMetricFamily(
        "casedesk_outbox_backlog", "Outbox messages not delivered, by status.", labels=["status"]
    )
    counts = dict(
        Notification.objects.filter(status__in=BACKLOG)
        .order_by()
        .values_list("status")
        .annotate(n=Count("*"))
    )
    for status in BACKLOG:
        backlog.add_metric([status], counts.get(status, 0))
    yield backlog
    oldest = Notification.objects.filter(status=Notification.Status.PENDING).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    yield GaugeMetricFamily(
        "casedesk_outbox_oldest_pending_age_seconds",
        "Age of the oldest pending outbox message (0 when none is pending).",
        value=max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
    )
