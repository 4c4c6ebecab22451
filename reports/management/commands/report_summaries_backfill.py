from typing import Any

from django.core.management.base import BaseCommand

from reports.services import report_summaries_refresh


class Command(BaseCommand):
    help = (
        "Count every complete week of the reports' summary window from the raw rows (after a deploy "
        "or a restore); the beat entry 'reports-summaries-refresh' keeps them current afterwards."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counted = report_summaries_refresh(weeks=None)
        self.stdout.write(f"{len(counted)} weeks counted")
