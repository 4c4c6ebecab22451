"""Outbox delivery throughput: rows/s from PostgreSQL to a local SMTP server (aiosmtpd on loopback),
in one process, the way the sweep on beat delivers (``notifications_deliver_due``).

    DATABASE_URL=postgres://…/bench SECRET_KEY=x .venv/bin/python benchmarks/outbox_delivery.py [rows]

Migrates the database it is given, writes ``rows`` e-mail rows (default 2,000) due now, then calls
``notifications_deliver_due()`` until none is pending, and prints rows/s (best of 3 runs). The SMTP
sink accepts everything at once, so the figure measures Casedesk's side: claims, rendering, the SMTP
conversation and the status updates.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Sink:
    accepted = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        _Sink.accepted += 1
        return "250 OK"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from aiosmtpd.controller import Controller

    port = _free_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from notifications.models import Notification
    from notifications.services import notifications_deliver_due

    call_command("migrate", "--noinput", verbosity=0)
    results = []
    for run in range(3):
        Notification.objects.all().delete()
        now = timezone.now()
        Notification.objects.bulk_create(
            Notification(
                idempotency_key=f"bench:{run}:{n}",
                kind="status_incident",
                channel=Notification.Channel.EMAIL,
                to_address=f"reader{n}@bench.example",
                language="en",
                context={"name": "Reader", "product": "Ledger", "title": "Bench", "message": "Hello"},
                next_attempt_at=now,
                created_at=now,
            )
            for n in range(rows)
        )
        _Sink.accepted = 0
        started = time.perf_counter()
        for _ in range(10_000):
            if not Notification.objects.filter(status="pending").exists():
                break
            notifications_deliver_due()
        elapsed = time.perf_counter() - started
        sent = Notification.objects.filter(status="sent").count()
        results.append(sent / elapsed)
        print(
            f"run {run + 1}: {sent} rows sent, {_Sink.accepted} accepted by SMTP, {elapsed:.2f} s, {sent / elapsed:.0f} rows/s"
        )
    controller.stop()
    print(f"best: {max(results):.0f} rows/s")


if __name__ == "__main__":
    main()
