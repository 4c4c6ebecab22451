"""The SLA timers' Prometheus metrics, read from the database at each scrape: live timers past a
warning, live timers breached, and timers past due the sweep has not marked yet. Registered in
``SlaConfig.ready``; served by ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from sla.models import Metric as SlaMetric
from sla.models import SlaTimer

State = SlaTimer.State
# A timer counts while its obligation is open: not met, not inapplicable, not discharged by a close.
LIVE = Q(met_at__isnull=True, state__in=[State.RUNNING, State.PAUSED, State.BREACHED])


def sla_metrics_collect() -> Iterator[Metric]:
    """Two queries over the live timers only (the partial indexes ``sla_timer_live`` and
    ``sla_breach_due``): their size follows the open cases, not the history."""
    warned = GaugeMetricFamily(
        "casedesk_sla_timers_warned",
        "Live SLA timers past a warning threshold and not breached (targets at risk), by metric.",
        labels=["metric"],
    )
    breached = GaugeMetricFamily(
        "casedesk_sla_timers_breached",
        "Live SLA timers whose target was missed, on cases not yet closed, by metric.",
        labels=["metric"],
    )
    counts = {
        metric: (warned_count, breached_count)
        for metric, warned_count, breached_count in SlaTimer.objects.filter(LIVE)
        .order_by()
        .values("metric")
        .annotate(
            warned=Count("pk", filter=Q(warned_at__isnull=False) & ~Q(state=State.BREACHED)),
            breached=Count("pk", filter=Q(state=State.BREACHED)),
        )
        .values_list("metric", "warned", "breached")
    }
    for metric in SlaMetric.values:
        warned_count, breached_count = counts.get(metric, (0, 0))
        warned.add_metric([metric], warned_count)
        breached.add_metric([metric], breached_count)
    yield warned
    yield breached
    unmarked = SlaTimer.objects.filter(
        state__in=[State.RUNNING, State.PAUSED], breached_at__isnull=True, due_at__lte=timezone.now()
    ).count()
    yield GaugeMetricFamily(
        "casedesk_sla_breaches_unmarked",
        "Timers past due that the SLA sweep has not marked breached yet (0 unless the sweep is late or down).",
        value=unmarked,
    )
