"""Outbox delivery throughput: rows/s from PostgreSQL to a local SMTP server (aiosmtpd on loopback),
in one process, the way the sweep on beat delivers (``notifications_deliver_due``).

    DATABASE_URL=postgres://…/bench SECRET_KEY=x .venv/bin/python benchmarks/outbox_delivery.py [rows] [--sink-in-process] [--sink-only]

Migrates the database it is given, writes ``rows`` e-mail rows (default 2,000) due now, then calls
``notifications_deliver_due()`` until none is pending, and prints rows/s for each of 3 runs and
their median. The SMTP sink accepts everything at once, so the figure measures Casedesk's side:
claims, rendering, the SMTP conversation and the status updates; the worker's CPU time per row
(this process's, the sink's excluded) is printed too. The sink runs in its own process,
as a mail server would; ``--sink-in-process`` runs it in a thread of the benchmark instead (sharing
the GIL with the worker: the setup of the figures before issue 22). ``--sink-only`` measures the
sink alone: one pre-made e-mail sent ``rows`` times over one smtplib session.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Sink:
    def __init__(self, accepted: Any) -> None:
        self.accepted = accepted  # a multiprocessing.Value: read by the benchmark's process

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.accepted.get_lock():
            self.accepted.value += 1
        return "250 OK"


def _serve(port: int, accepted: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Sink(accepted), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    rows = int(args[0]) if args else 2000
    in_process = "--sink-in-process" in sys.argv
    port = _free_port()
    accepted = multiprocessing.Value("i", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    sink: Any
    if in_process:
        from aiosmtpd.controller import Controller

        sink = Controller(_Sink(accepted), hostname="127.0.0.1", port=port)
        sink.start()
    else:
        sink = multiprocessing.Process(target=_serve, args=(port, accepted, ready, stop), daemon=True)
        sink.start()
        ready.wait(30)
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

    if "--sink-only" in sys.argv:
        _sink_only(rows, port)
    else:
        call_command("migrate", "--noinput", verbosity=0)
        _deliveries(rows, accepted)
    if in_process:
        sink.stop()
    else:
        stop.set()
        sink.join(10)


def _sink_only(rows: int, port: int) -> None:
    """The SMTP server's own ceiling: one e-mail as Casedesk renders it, made once and sent ``rows``
    times over one smtplib session (no database, no rendering), 3 runs."""
    import smtplib

    from django.utils import timezone

    from notifications.delivery import _email_message
    from notifications.models import Notification

    now = timezone.now()
    row = Notification(
        pk=1,
        kind="status_incident",
        channel=Notification.Channel.EMAIL,
        to_address="reader@bench.example",
        context={"name": "Reader", "product": "Ledger", "title": "Bench", "message": "Hello"},
        next_attempt_at=now,
        created_at=now,
    )
    message = _email_message(row).message().as_bytes(linesep="\r\n")
    results = []
    for run in range(3):
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(rows):
                smtp.sendmail("support@bench.example", [f"reader{n}@bench.example"], message)
        elapsed = time.perf_counter() - started
        results.append(rows / elapsed)
        print(
            f"run {run + 1}: {rows} pre-made e-mails over one session, {elapsed:.2f} s, {rows / elapsed:.0f}/s"
        )
    print(f"median: {statistics.median(results):.0f} e-mails/s (the SMTP server's ceiling here)")


def _deliveries(rows: int, accepted: Any) -> None:
    from django.utils import timezone

    from notifications.delivery import notifications_deliver_due
    from notifications.models import Notification

    results, cpu_results = [], []
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
        with accepted.get_lock():
            accepted.value = 0
        started, usage = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(10_000):
            if not Notification.objects.filter(status="pending").exists():
                break
            notifications_deliver_due()
        elapsed, used = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
        user, system = used.ru_utime - usage.ru_utime, used.ru_stime - usage.ru_stime
        cpu = user + system
        sent = Notification.objects.filter(status="sent").count()
        results.append(sent / elapsed)
        cpu_results.append(sent / cpu)
        print(
            f"run {run + 1}: {sent} rows sent, {accepted.value} accepted by SMTP, {elapsed:.2f} s,"
            f" {sent / elapsed:.0f} rows/s; worker CPU {cpu:.2f} s (user {user:.2f}, system {system:.2f}),"
            f" {cpu / sent * 1e6:.0f} µs/row"
        )
    print(
        f"median: {statistics.median(results):.0f} rows/s, best: {max(results):.0f} rows/s;"
        f" per second of worker CPU: median {statistics.median(cpu_results):.0f} rows"
    )


if __name__ == "__main__":
    main()
