"""The outbox's and the inbound log's Prometheus metrics, read from the database at each scrape:
the undelivered backlog by status, the age of the oldest pending message, and the last hour's
inbound messages by outcome (refused ones included). Registered in ``NotificationsConfig.ready``;
served by ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from notifications.models import InboundEmail, Notification

BACKLOG = (Notification.Status.PENDING, Notification.Status.SENDING, Notification.Status.FAILED)
INBOUND_WINDOW = timedelta(hours=1)


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


def inbound_metrics_collect() -> Iterator[Metric]:
    """One range query on ``inbound_received`` (received_at) over the last hour."""
    since = timezone.now() - INBOUND_WINDOW
    recent = GaugeMetricFamily(
        "casedesk_inbound_emails_last_hour",
        "Inbound e-mails received in the last hour, by outcome (refused: unknown, unauthorised or "
        "spoofed senders).",
        labels=["outcome"],
    )
    counts = dict(
        InboundEmail.objects.filter(received_at__gt=since)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("*"))
    )
    for outcome in InboundEmail.Outcome.values:
        recent.add_metric([outcome], counts.get(outcome, 0))
    yield recent
