from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.inbound import inbound_email_process, parse_mime


class Command(BaseCommand):
    help = "Apply an inbound e-mail from a .eml file (as the inbound-mail webhook would)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        logged = inbound_email_process(message=parse_mime(options["path"].read_bytes()))
        self.stdout.write(f"{logged.outcome}: {logged.reason}".rstrip(": "))
