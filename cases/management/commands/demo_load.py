from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cases.demo import demo_accounts_load, demo_cases_create


class Command(BaseCommand):
    help = (
        "Demo installation (never production: the demo logins share a published password): "
        "`bootstrap`, then the demo logins and companies (fixtures/demo/), then demo cases in every "
        "status made through the services. Loading twice adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-cases",
            action="store_true",
            help="Reference data and demo accounts only (tests and benchmarks that make their own cases).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("bootstrap", verbosity=verbosity, stdout=self.stdout if verbosity else None)
        demo_accounts_load(verbosity=verbosity)
        if options["no_cases"]:
            return
        created = demo_cases_create()
        if verbosity:
            self.stdout.write(
                f"demo cases: {len(created)} created ({', '.join(c.number or '' for c in created)})"
            )
