"""The cases' Prometheus metrics: how many cases are in each status (but closed) and how far the auto-close job
is behind (read from the database at each scrape), and the auto-close job's runs (counted by the
worker that runs them). Registered in ``CasesConfig.ready``; served by ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from cases.models import Case, CaseStatus

AUTO_CLOSE_RUNS = Counter("casedesk_auto_close_runs", "Runs of the auto-close job that finished.")
AUTO_CLOSED_CASES = Counter(
    "casedesk_auto_closed_cases", "Cases closed by the auto-close job after 9 days in Verify Resolution."
)


# Closed cases are not counted: they only ever grow (most of the table after a while), and counting
# them would read the whole table at every scrape.
NOT_CLOSED = [status for status in CaseStatus.values if status != CaseStatus.CLOSED]


def cases_metrics_collect() -> Iterator[Metric]:
    """Two queries: a count per status of the cases not closed (a range of ``case_status_recent``:
    its cost follows the open work, not the history), and the Verify Resolution cases whose
    auto-close instant has passed (the partial ``case_auto_close_due``)."""
    by_status = GaugeMetricFamily(
        "casedesk_cases", "Cases in each status, closed ones excepted.", labels=["status"]
    )
    counts = dict(
        Case.objects.filter(status__in=NOT_CLOSED).order_by().values_list("status").annotate(n=Count("*"))
    )
    for status in NOT_CLOSED:
        by_status.add_metric([status], counts.get(status, 0))
    yield by_status
    overdue = Case.objects.filter(
        status=CaseStatus.VERIFY_RESOLUTION, auto_close_at__lte=timezone.now()
    ).count()
    yield GaugeMetricFamily(
        "casedesk_cases_auto_close_overdue",
        "Cases past their automatic close that are not closed yet (0 unless the job is late or down).",
        value=overdue,
    )
