"""Delivery: claim due outbox rows under a lease, send them (e-mail over one SMTP session per batch,
webhooks signed by ``notifications.webhooks``) and record each attempt on its row.

Guarantee: at least once. Each worker claims a batch of due rows in one short transaction
(SELECT … FOR UPDATE SKIP LOCKED, so two workers never claim the same row) and leases them until
``next_attempt_at`` (now + NOTIFICATION_LEASE). It then sends them outside any transaction and
marks each row sent as soon as the server accepted it. A worker killed between the SMTP server's
"250 OK" and that mark leaves exactly that row to be sent again when its lease ends: the resend
carries the same Message-ID. A row of a worker that died before sending is sent once, after the
lease. One retry policy, the row's: a failed attempt waits a doubling backoff (capped) and is
failed after NOTIFICATION_MAX_ATTEMPTS attempts; the Celery tasks only trigger delivery.

Delivery knows no domain: what an e-mail says is on its row (kind, language, context); what only
the sending may add (a token that must never be stored) comes from the domain that wrote the kind,
through ``send_time_context_register``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import select
import smtplib
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg import pq

from notifications import webhooks
from notifications.messages import AUTO_REPLY_KINDS
from notifications.models import Notification, WebhookEndpoint
from notifications.rendering import render_email

logger = logging.getLogger(__name__)

# One sweep run stops claiming new batches after this long (well inside the task's soft time limit).
SWEEP_TIME_BUDGET_SECONDS = 120
MARK_SENT_RETRY_SECONDS = 0.5
# A delivery message names at most this many rows: a bulk job's rows are shared among the workers
# in chunks, each sent over one SMTP connection.
DELIVERY_CHUNK = 100


class DeliveryError(Exception):
    """A delivery attempt failed; the row backs off (or is failed after the last attempt)."""


class Undeliverable(Exception):
    """The row can never be sent (its recipient is gone): failed at once, not retried."""


class Thread(Protocol):
    """What a conversation's Message-ID is made from (a case: its number and secret reply token)."""

    pk: Any
    number: str | None
    reply_token: str


def case_thread_id(case: Thread) -> str:
    """The Message-ID every e-mail about ``case`` answers (``In-Reply-To``/``References``), so mail
    clients show them as one conversation. Stable for the case's life; the part after the number is
    derived from the case's secret reply token, so it is unique without revealing the token."""
    digest = hashlib.sha256(f"thread:{case.reply_token}".encode()).hexdigest()[:16]
    return f"<case-{case.number or case.pk}.{digest}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


# Context a kind's e-mail gets only when it is sent, never stored on the row (a password reset's
# token): registered by the domain that writes the kind, from its AppConfig.ready().
SendTimeContext = Callable[[Notification], dict[str, Any]]
_SEND_TIME_CONTEXT: dict[str, SendTimeContext] = {}


def send_time_context_register(kind: str, build: SendTimeContext) -> None:
    """``build(row)`` adds to the context of every ``kind`` e-mail when it is sent; it raises
    ``Undeliverable`` when the e-mail must not go out any more."""
    _SEND_TIME_CONTEXT[kind] = build


# --- claim ----------------------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    """Pending and due, or sending with a lease that has ended (its worker died or stalled)."""
    return Q(status__in=(Notification.Status.PENDING, Notification.Status.SENDING), next_attempt_at__lte=now)


def _claim_batch(*, now: datetime, limit: int, ids: list[int] | None = None) -> list[Notification]:
    """Take up to ``limit`` due rows (only ``ids``, when given) for this worker, leased until
    now + NOTIFICATION_LEASE; rows another worker holds are skipped, not waited for."""
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True, of=("self",)).filter(_due(now))
        if ids is not None:
            due = due.filter(pk__any_of=ids)
        rows = list(due.select_related("webhook", "case", "recipient").order_by("next_attempt_at")[:limit])
        if not rows:
            return []
        lease_end = now + settings.NOTIFICATION_LEASE
        Notification.objects.filter(pk__any_of=[row.pk for row in rows]).update(
            status=Notification.Status.SENDING,
            claimed_at=now,
            next_attempt_at=lease_end,
            attempts=F("attempts") + 1,
        )
    for row in rows:
        row.status, row.claimed_at, row.next_attempt_at = Notification.Status.SENDING, now, lease_end
        row.attempts += 1
    return rows


# --- sending --------------------------------------------------------------------------------------


class _OutboxMessage(EmailMultiAlternatives):
    """An outbox e-mail whose MIME boundary is chosen up front: 128 random bits, which no text can
    hold by chance or by design. Left to the standard library, each message compiles a regular
    expression to search its texts for a boundary made from a non-cryptographic random number: a
    tenth of the worker's CPU per e-mail."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        mime = super().message(*args, **kwargs)
        if mime.is_multipart():
            mime.set_boundary(f"=={secrets.token_hex(16)}==")
        return mime


def _email_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of an outbox row. A case's e-mails answer the case's thread id (``In-Reply-To``,
    ``References``: one conversation in the reader's mail client); customers get the case's reply
    address, staff none (they answer in the admin, and mail from staff is refused). A row may name
    its own reply address (``context["reply_to"]``: written by the domain that wrote the row)."""
    context = notification.context
    build = _SEND_TIME_CONTEXT.get(notification.kind)
    if build is not None:
        context = {**context, **build(notification)}
    staff = notification.recipient is not None and notification.recipient.is_staff
    rendered = render_email(
        kind=notification.kind,
        language=notification.language,
        context=context,
        time_zone=notification.time_zone,
        staff=staff,
    )
    headers = {"Message-ID": notification.message_id}
    if notification.case is not None:
        thread = case_thread_id(notification.case)
        headers.update({"In-Reply-To": thread, "References": thread})
    if notification.kind in AUTO_REPLY_KINDS:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: autoresponders do not answer it
    message = _OutboxMessage(
        subject=rendered.subject,
        body=rendered.text,
        to=[notification.to_address],
        headers=headers,
    )
    if notification.case is not None and not staff:
        message.reply_to = [f"case+{notification.case.reply_token}@{settings.INBOUND_EMAIL_DOMAIN}"]
    elif reply_to := notification.context.get("reply_to"):
        message.reply_to = [reply_to]
    message.attach_alternative(rendered.html, "text/html")
    return message


def _send_email(notification: Notification) -> None:
    _email_message(notification).send(fail_silently=False)


def _send_webhook(notification: Notification) -> None:
    """POST the signed event (notifications/webhooks.py) to the endpoint as it is now: read again, so
    a deletion, a deactivation or a rotation since the row was claimed counts, and its URL checked
    again (its host may resolve elsewhere than at registration): a refused URL raises OutboundRefused
    before any connection, a redirect is a failure like any other non-2xx answer."""
    endpoint = (
        WebhookEndpoint.objects.filter(pk=notification.webhook_id).first()
        if notification.webhook_id is not None
        else None
    )
    if endpoint is None:
        raise Undeliverable("the webhook endpoint was deleted")
    if not endpoint.is_active:
        raise Undeliverable("the webhook endpoint is disabled")
    status = webhooks.webhook_post(endpoint=endpoint, notification=notification, now=timezone.now())
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status}: redirect refused (webhooks are never redirected)")
    if status >= 300:
        raise DeliveryError(f"HTTP {status}")


_MARK_SENT_SQL = (
    f"UPDATE {Notification._meta.db_table} SET status = %s, sent_at = %s, last_error = '', claimed_at = NULL"
    " WHERE id = %s"
)


def _mark_sent(notification: Notification, *, at: datetime | None = None) -> None:
    """Mark one row sent, waiting for the database. The e-mail is out: if the database is briefly
    unreachable, keep trying while the row's lease has a quarter left, so a short outage does not
    turn into a resend."""
    give_up_at = notification.next_attempt_at - settings.NOTIFICATION_LEASE / 4
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    _MARK_SENT_SQL, [Notification.Status.SENT, at or timezone.now(), notification.pk]
                )
            return
        except (OperationalError, InterfaceError):
            if timezone.now() >= give_up_at:
                raise
            connection.close()  # a broken connection: the next try connects afresh
            time.sleep(MARK_SENT_RETRY_SECONDS)


class _SentMarks:
    """Marks each row sent as soon as the SMTP server accepted it, without waiting for the database
    between e-mails. Each row's UPDATE goes to PostgreSQL at once, where it commits on its own (or
    joins the caller's transaction, if there is one); its answer is read before the connection is
    used for anything else, normally one SMTP exchange later, when it has long arrived. So a worker
    killed mid-batch leaves at most the row in flight (and a mark still on the wire) to be sent again,
    as with a mark per row that waits, but the worker never waits on the database per e-mail.

    psycopg's pipeline mode would batch statements into one implicit transaction until its sync,
    which would lose every mark of a killed worker; hence one statement in flight, on libpq's own
    asynchronous calls. A mark that fails is written again the waiting way (``_mark_sent``)."""

    _SQL = (_MARK_SENT_SQL % ("$1", "$2", "$3")).encode()  # libpq's placeholders

    def __init__(self) -> None:
        self._in_flight: tuple[Notification, datetime] | None = None

    def add(self, row: Notification) -> None:
        self.collect()
        at = timezone.now()
        if connection.vendor != "postgresql":
            _mark_sent(row, at=at)
            return
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        params = [Notification.Status.SENT.encode(), at.isoformat().encode(), str(row.pk).encode()]
        try:
            pgconn.send_query_params(self._SQL, params)
            while pgconn.flush():  # a non-blocking connection: wait until the statement is handed over
                select.select([], [pgconn.socket], [], 1.0)
        except Exception:
            _mark_sent(row, at=at)
            return
        self._in_flight = (row, at)

    def collect(self) -> None:
        """Read the answer of the mark in flight (before anything else uses the connection)."""
        if self._in_flight is None:
            return
        row, at = self._in_flight
        self._in_flight = None
        ok = True
        try:
            pgconn = connection.connection.pgconn
            pgconn.consume_input()
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [], 1.0)
                pgconn.consume_input()
            while (result := pgconn.get_result()) is not None:
                ok = ok and result.status == pq.ExecStatus.COMMAND_OK
        except Exception:
            ok = False
        if not ok:
            _mark_sent(row, at=at)


def _mark_failed_attempt(notification: Notification, error: BaseException, now: datetime) -> bool:
    """Back the row off after a failed attempt, or fail it for good; answers whether it is failed."""
    failed = isinstance(error, Undeliverable) or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    delay = min(
        settings.NOTIFICATION_BACKOFF * (2 ** max(notification.attempts - 1, 0)),
        settings.NOTIFICATION_BACKOFF_CAP,
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
        next_attempt_at=now + delay,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        claimed_at=None,
    )
    logger.warning("notification %s attempt %s failed: %s", notification.pk, notification.attempts, error)
    return failed


def _release(rows: list[Notification], now: datetime) -> None:
    """Hand back claimed rows this worker did not attempt (time ran out, or it is stopping)."""
    if rows:
        Notification.objects.filter(
            pk__any_of=[row.pk for row in rows], status=Notification.Status.SENDING
        ).update(
            status=Notification.Status.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now,
            claimed_at=None,
        )


# Answers about one message: the server refused its sender, a recipient or its content, and the
# session goes on (smtplib resets it), unless the server also closed it.
_MESSAGE_REFUSED = (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _session_usable(smtp: Any, error: Exception) -> bool:
    """Whether the SMTP session can carry the next e-mail after ``error`` (else a new one is opened)."""
    if not isinstance(error, (OSError, smtplib.SMTPException)):
        return True  # the message could not be made (e.g. Undeliverable): nothing was said to the server
    session = getattr(smtp, "connection", None)  # smtplib's, for Django's SMTP backend
    return isinstance(error, _MESSAGE_REFUSED) and getattr(session, "sock", None) is not None


def _deliver_batch(rows: list[Notification], now: datetime) -> dict[str, int]:
    """Send claimed rows, e-mails over one SMTP session; each row is marked as soon as its attempt
    ends. A message the server refuses fails alone, on the same session; a session that breaks is
    opened again once, and when that fails the e-mails not yet tried are handed back for the next
    run (webhooks go on). Stops at half the lease (the rest is handed back), so no row outlives its
    lease."""
    deadline = time.monotonic() + settings.NOTIFICATION_LEASE.total_seconds() / 2
    counts = {"sent": 0, "failed": 0, "retrying": 0, "released": 0}
    untried = deque(rows)
    handed_back: list[Notification] = []
    smtp: Any = None
    smtp_unreachable = False
    marks = _SentMarks()
    try:
        while untried:
            if time.monotonic() > deadline:
                handed_back.extend(untried)
                untried.clear()
                break
            row = untried.popleft()
            if row.channel == Notification.Channel.EMAIL and smtp_unreachable:
                handed_back.append(row)
                continue
            opening = False
            try:
                if row.channel == Notification.Channel.EMAIL:
                    message = _email_message(row)
                    if smtp is None:
                        opening = True
                        smtp = get_connection(fail_silently=False)
                        smtp.open()
                        opening = False
                    smtp.send_messages([message])
                else:
                    _send_webhook(row)
            except Exception as exc:  # SMTP, HTTP and socket errors alike: recorded on the row
                if smtp is not None and not _session_usable(smtp, exc):
                    with contextlib.suppress(Exception):
                        smtp.close()
                    smtp = None
                smtp_unreachable = opening
                marks.collect()
                counts["failed" if _mark_failed_attempt(row, exc, now) else "retrying"] += 1
                continue
            marks.add(row)
            counts["sent"] += 1
        marks.collect()
        if handed_back:
            counts["released"] = len(handed_back)
            _release(handed_back, now)
    except BaseException:
        # A soft time limit, a warm shutdown, the database gone: the rows not yet tried go back
        # (if the database answers); the one in flight keeps its lease, as it may have been sent.
        with contextlib.suppress(Exception):
            marks.collect()
            _release(handed_back + list(untried), now)
        raise
    finally:
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()
    return counts


def notifications_deliver(
    *,
    ids: list[int] | None = None,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int = 1000,
    time_budget: float = SWEEP_TIME_BUDGET_SECONDS,
) -> dict[str, int]:
    """Deliver due outbox rows (only ``ids``, when given) batch by batch until none is due, or
    ``max_batches`` or ``time_budget`` seconds are spent. Safe on any number of workers at once.
    Answers counts: claimed, sent, retrying (backed off), failed (for good), released."""
    batch_size = batch_size or settings.NOTIFICATION_BATCH_SIZE
    started = time.monotonic()
    totals = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0, "released": 0}
    for _ in range(max_batches):
        at = now or timezone.now()
        rows = _claim_batch(now=at, limit=batch_size, ids=ids)
        if not rows:
            break
        totals["claimed"] += len(rows)
        for key, value in _deliver_batch(rows, at).items():
            totals[key] += value
        if totals["released"] or time.monotonic() - started > time_budget:
            break
    return totals


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> bool:
    """Deliver one outbox row if it is due; answers whether this call sent it."""
    return notifications_deliver(ids=[notification_id], now=now, max_batches=1)["sent"] == 1


def notifications_deliver_due(
    *, now: datetime | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """The sweep on beat: whatever is due (new rows whose trigger was lost, retries, rows of a dead
    worker), bounded in time."""
    return notifications_deliver(now=now, batch_size=batch_size)
