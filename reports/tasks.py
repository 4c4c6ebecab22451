from celery import shared_task

from reports.services import report_summaries_refresh


@shared_task
def report_summaries_refresh_task() -> int:
    """Count the stalest weeks of the reports' summaries again (every minute on beat)."""
    return len(report_summaries_refresh())
