from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.beat import DEFAULT_SCHEDULE
from core.scheduling import job_run


class Command(BaseCommand):
    help = "Run a scheduled job now, in this process (for deployments that use cron instead of beat)."
    # A job started by cron every few minutes pays for every system check at each start; the checks
    # run where they can stop a bad deploy (`check --deploy` in CI, the web and worker processes).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=sorted(DEFAULT_SCHEDULE))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = job_run(options["job"])
        except KeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{options['job']}: {result}")
