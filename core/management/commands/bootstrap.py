from typing import Any

from django.core.management.base import BaseCommand

from core.reference_data import reference_data_load
from core.scheduling import beat_schedule_sync


class Command(BaseCommand):
    help = (
        "Production set-up, safe to run on every start: create the reference data this database has "
        "never been offered (fixtures/reference/: groups and permissions, products, catalogues, priority "
        "matrix, queues, SLA calendars and policy, canned responses, maintenance windows) and the missing "
        "default beat schedule. Never changes an existing row and never creates a user."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = reference_data_load()
        self.stdout.write(result.summary())
        for reason in result.skipped:
            self.stdout.write(f"  not created: {reason}")
        created = beat_schedule_sync()
        self.stdout.write(f"beat schedule: {len(created)} created ({', '.join(created) or 'none'})")
        self.stdout.write(
            "No user was created: make the first administrator with `manage.py createsuperuser`."
        )
