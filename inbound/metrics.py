"""The inbound log's Prometheus metrics, read from the database at each scrape: the last hour's
inbound messages by outcome (refused ones included). Registered in ``InboundConfig.ready``; served
by ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from inbound.models import InboundEmail

INBOUND_WINDOW = timedelta(hours=1)


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
