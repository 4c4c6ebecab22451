from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo data from fixtures/ (idempotent: fixed primary keys, so reloading updates rows)."

    def handle(self, *args: Any, **options: Any) -> None:
        fixture_dir = Path(settings.BASE_DIR) / "fixtures"
        files = sorted(str(path) for path in fixture_dir.glob("*.json"))
        call_command("loaddata", *files, verbosity=options["verbosity"])
