from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.webhook_docs import DOCS_PATH, webhook_docs_render


class Command(BaseCommand):
    help = (
        "Write docs/webhooks.md (headers, verification, the event catalogue with an example payload per "
        "event type) from the code; --check only compares and fails when the file is out of date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; exit 1 when it differs.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = webhook_docs_render()
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else None
        if options["check"]:
            if current != text:
                raise CommandError(f"{DOCS_PATH} is out of date: run `python manage.py webhooks_docs`.")
            self.stdout.write(f"{DOCS_PATH} is up to date.")
            return
        DOCS_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {DOCS_PATH}.")
