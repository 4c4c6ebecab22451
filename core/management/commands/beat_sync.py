from typing import Any

from django.core.management.base import BaseCommand

from core.scheduling import beat_schedule_sync


class Command(BaseCommand):
    help = "Create the default periodic tasks (config/beat.py) that are missing; never overwrite edits."

    def handle(self, *args: Any, **options: Any) -> None:
        created = beat_schedule_sync()
        self.stdout.write(f"beat schedule: {len(created)} created ({', '.join(created) or 'none'})")
