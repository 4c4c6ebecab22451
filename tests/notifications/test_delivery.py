"""Delivery to a real SMTP server on loopback (aiosmtpd): one session per batch, a refused recipient
fails alone, a server that stops mid-batch leaves the unsent rows to the next run, and a failed
delivery is retried by the row's own policy only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.outbox import outbox_write
from notifications.tasks import notifications_deliver_due_task, notifications_deliver_many_task

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """aiosmtpd on loopback that records what it accepted (by Message-ID) and the sessions opened.
    ``refuse``: recipients it answers 550 to; ``stop_at``: on that message's DATA (1-based, over all
    sessions) it drops the connection without answering and stops listening."""

    def __init__(self, *, refuse: frozenset[str] = frozenset(), stop_at: int | None = None) -> None:
        self.refuse, self.stop_at = refuse, stop_at
        self.accepted: list[tuple[str, list[str]]] = []
        self.sessions = 0
        self.data_seen = 0
        self._lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.data_seen += 1
            stopping = self.data_seen == self.stop_at
        if stopping:
            self.controller.server.close()  # no new connections from now on
            server.transport.abort()  # this one drops before its "250"
            return "421 closing"  # never reaches the client
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self._lock:
            self.accepted.append(("".join(str(headers["Message-ID"]).split()), list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Any]:
    servers: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = SmtpServer(**options)
        server.controller.start()
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
        return server

    yield start
    for server in servers:
        server.controller.stop(no_assert=True)


def _rows(count: int) -> list[Notification]:
    """E-mail rows due in this order (the claim takes the oldest first)."""
    return [
        Notification.objects.create(
            idempotency_key=f"test:{n}",
            kind="status_incident",
            channel=Notification.Channel.EMAIL,
            to_address=f"reader{n}@example.test",
            context={"name": "Reader", "product": "Ledger", "title": "Outage", "message": "Hello"},
            next_attempt_at=NOW - timedelta(seconds=count - n),
            created_at=NOW,
        )
        for n in range(count)
    ]


def test_a_batch_goes_over_one_session_and_each_row_is_marked_sent_with_its_message_id(smtp_server):
    server = smtp_server()
    rows = _rows(6)

    counts = notifications_deliver_due(now=NOW)

    assert (counts["sent"], counts["claimed"]) == (6, 6)
    assert server.sessions == 1
    assert [mid for mid, _ in server.accepted] == [row.message_id for row in rows]
    assert [to for _, to in server.accepted] == [[row.to_address] for row in rows]
    assert set(Notification.objects.values_list("status", "attempts", "claimed_at", "last_error")) == {
        ("sent", 1, None, "")
    }
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_a_refused_recipient_fails_alone_and_the_batch_goes_on_over_the_same_session(smtp_server, settings):
    server = smtp_server(refuse=frozenset({"reader2@example.test"}))
    rows = _rows(5)

    counts = notifications_deliver_due(now=NOW)

    assert (counts["sent"], counts["retrying"], counts["released"]) == (4, 1, 0)
    assert server.sessions == 1
    assert [mid for mid, _ in server.accepted] == [row.message_id for n, row in enumerate(rows) if n != 2]
    refused = Notification.objects.get(pk=rows[2].pk)
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert refused.next_attempt_at == NOW + settings.NOTIFICATION_BACKOFF  # the row's own retry policy
    assert "SMTPRecipientsRefused" in refused.last_error and "No such mailbox" in refused.last_error
    assert Notification.objects.filter(status="sent").count() == 4


def test_an_smtp_server_that_stops_mid_batch_leaves_the_unsent_rows_to_retry(smtp_server, settings):
    first = smtp_server(stop_at=4)
    rows = _rows(8)

    counts = notifications_deliver_due(now=NOW)

    # Three accepted; the 4th dropped before its answer and the 5th could not connect: each counts
    # one failed attempt; the rest were never tried and are handed back as they were.
    assert [mid for mid, _ in first.accepted] == [row.message_id for row in rows[:3]]
    assert (counts["sent"], counts["retrying"], counts["released"]) == (3, 2, 3)
    state = {
        row.pk: (row.status, row.attempts, row.next_attempt_at)
        for row in Notification.objects.filter(pk__in=[r.pk for r in rows])
    }
    assert [state[row.pk][:2] for row in rows[:3]] == [("sent", 1)] * 3
    assert [state[row.pk] for row in rows[3:5]] == [("pending", 1, NOW + settings.NOTIFICATION_BACKOFF)] * 2
    assert [state[row.pk] for row in rows[5:]] == [("pending", 0, NOW)] * 3
    assert Notification.objects.get(pk=rows[4].pk).last_error.startswith("ConnectionRefusedError")

    second = smtp_server()  # the mail server is back (on another port)
    assert notifications_deliver_due(now=NOW)["sent"] == 3  # the untried rows: due at once
    later = notifications_deliver_due(now=NOW + settings.NOTIFICATION_BACKOFF)
    assert later["sent"] == 2  # the two that failed, after their backoff

    assert sorted(mid for mid, _ in first.accepted + second.accepted) == sorted(
        row.message_id for row in rows
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failing_delivery_is_retried_only_by_the_sweep_on_the_rows_schedule(
    smtp_server, settings, time_machine, django_capture_on_commit_callbacks
):
    """One retry policy, the row's (attempts, next_attempt_at): the trigger published after commit
    makes one attempt and ends without a retry of its own; neither that trigger again (a redelivered
    message) nor the sweep sends the row before its time; the sweep sends it when the clock gets
    there, and a second failure waits twice as long."""
    server = smtp_server(refuse=frozenset({"reader@example.test"}))
    time_machine.move_to(NOW, tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [row] = outbox_write(
            [
                Notification(
                    idempotency_key="test:retry",
                    kind="status_incident",
                    channel=Notification.Channel.EMAIL,
                    to_address="reader@example.test",
                    context={"name": "Reader", "product": "Ledger", "title": "Outage", "message": "Hello"},
                    next_attempt_at=NOW,
                    created_at=NOW,
                )
            ]
        )
    assert len(callbacks) == 1  # the trigger ran (eagerly) and made the first attempt
    backoff = settings.NOTIFICATION_BACKOFF

    def state() -> tuple[str, int, datetime]:
        row.refresh_from_db()
        return row.status, row.attempts, row.next_attempt_at

    assert state() == ("pending", 1, NOW + backoff)
    assert row.last_error.startswith("SMTPRecipientsRefused")

    server.refuse = frozenset({"reader@example.test"})
    time_machine.move_to(NOW + backoff - timedelta(seconds=1), tick=False)
    trigger = notifications_deliver_many_task.apply(args=[[row.pk]])
    sweep = notifications_deliver_due_task.apply()
    assert (trigger.state, trigger.result["claimed"]) == ("SUCCESS", 0)  # no Celery retry, nothing due
    assert (sweep.state, sweep.result["claimed"]) == ("SUCCESS", 0)
    assert state() == ("pending", 1, NOW + backoff)

    time_machine.move_to(NOW + backoff, tick=False)
    assert notifications_deliver_due_task.apply().result["retrying"] == 1  # refused again
    assert state() == ("pending", 2, NOW + 3 * backoff)  # the backoff doubles

    server.refuse = frozenset()  # the mailbox exists now
    time_machine.move_to(NOW + 3 * backoff - timedelta(seconds=1), tick=False)
    assert notifications_deliver_due_task.apply().result["claimed"] == 0
    time_machine.move_to(NOW + 3 * backoff, tick=False)
    assert notifications_deliver_due_task.apply().result["sent"] == 1
    assert state()[:2] == ("sent", 3)
    assert [mid for mid, _ in server.accepted] == [row.message_id]
