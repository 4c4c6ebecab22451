from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inbound.parsing import InboundPayloadInvalid, parse_mime
from inbound.processing import inbound_email_process, inbound_refusal_log


class Command(BaseCommand):
    help = (
        "Apply an inbound e-mail from a .eml file (as the inbound-mail webhook would). The sender is "
        "authenticated by the topmost Authentication-Results header carrying INBOUND_EMAIL_AUTHSERV_ID."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            message = parse_mime(options["path"].read_bytes(), source="command")
        except InboundPayloadInvalid as error:
            inbound_refusal_log(code=error.code, detail=error.detail, source="command")
            raise CommandError(f"{error.code}: {error.detail}") from error
        logged = inbound_email_process(message=message)
        self.stdout.write(f"{logged.outcome}: {logged.reason}".rstrip(": "))
