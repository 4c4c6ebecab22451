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
# Live timers (the obligation is still open: not met, not discharged by a close) past a warning
# and not breached; and live timers breached. Each matches its partial index exactly.
AT_RISK = Q(met_at__isnull=True, state__in=[State.RUNNING, State.PAUSED], warned_at__isnull=False)
BREACHED = Q(met_at__isnull=True, state=State.BREACHED)


def _count_by_metric(condition: Q) -> dict[str, int]:
    return dict(SlaTimer.objects.filter(condition).order_by().values_list("metric").annotate(n=Count("*")))


def sla_metrics_collect() -> Iterator[Metric]:
    """Three counts, each over a partial index holding only the rows it counts
    (``sla_timer_warned``, ``sla_timer_breached``, ``sla_breach_due``): their cost follows the
    timers at risk, breached or overdue, never the history."""
    for name, help_text, condition in [
        (
            "casedesk_sla_timers_warned",
            "Live SLA timers past a warning threshold and not breached (targets at risk), by metric.",
            AT_RISK,
        ),
        (
            "casedesk_sla_timers_breached",
            "Live SLA timers whose target was missed, on cases not yet closed, by metric.",
            BREACHED,
        ),
    ]:
        family = GaugeMetricFamily(name, help_text, labels=["metric"])
        counts = _count_by_metric(condition)
        for metric in SlaMetric.values:
            family.add_metric([metric], counts.get(metric, 0))
        yield family
    unmarked = SlaTimer.objects.filter(
        state__in=[State.RUNNING, State.PAUSED], breached_at__isnull=True, due_at__lte=timezone.now()
    ).count()
    yield GaugeMetricFamily(
        "casedesk_sla_breaches_unmarked",
        "Timers past due that the SLA sweep has not marked breached yet (0 unless the sweep is late or down).",
        value=unmarked,
    )
