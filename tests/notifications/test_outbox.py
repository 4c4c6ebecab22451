import hashlib
import hmac
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import standardwebhooks
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from accounts.models import Membership
from cases.models import Case, CaseEvent
from cases.notices.customers import notifications_for_case_event
from cases.services import case_transition, comment_create
from notifications.delivery import notification_deliver, notifications_deliver, notifications_deliver_due
from notifications.messages import LANGUAGES, MESSAGES, message_templates
from notifications.models import Notification, WebhookEndpoint
from notifications.outbox import outbox_write
from notifications.rendering import render_email
from notifications.webhooks import webhook_secret_key
from sla.models import SlaTimer
from tests.concurrency import run_together
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, SupportManagerFactory, member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


class CountingBackend(locmem.EmailBackend):
    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return True


class WorkerKilled(BaseException):
    """Stands for SIGKILL in the middle of a send: nothing after it runs."""


class DiesOnThirdBackend(BaseEmailBackend):
    sent = 0

    def send_messages(self, email_messages):
        DiesOnThirdBackend.sent += 1
        if DiesOnThirdBackend.sent == 3:
            raise WorkerKilled
        mail.outbox.extend(email_messages)
        return len(email_messages)


def test_case_creation_writes_and_delivers_a_localised_auto_response(
    api_client, django_capture_on_commit_callbacks
):
    call_command("bootstrap", verbosity=0)
    company = CompanyFactory(language="fr", time_zone="Europe/Paris")
    from tests.factories import ProductInstanceFactory

    instance = ProductInstanceFactory(company=company)
    customer = member(company, role=Membership.Role.DSU)
    api_client.force_authenticate(customer)

    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            "/api/v1/cases/",
            {
                "product_instance": instance.pk,
                "subject": "Écritures bloquées",
                "problem_summary": "GL-42",
                "reason": "system-issue",
                "application_area": "user-administration",
                "business_impact_scope": "organisation",
                "business_impact": "medium",
            },
            format="json",
        ).json()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert message.subject == f"[{created['number']}] Écritures bloquées"  # every e-mail of the case
    assert message.body.startswith("Nous avons bien reçu votre cas")
    assert "priorité P2" in message.body
    due = SlaTimer.objects.get(case_id=created["id"], metric="first_response").due_at.astimezone(PARIS)
    # The first-response due time in the customer's language and zone, e.g. "1 juin 2026 13:00".
    assert f"le {due.day} " in message.body and f"{due:%H:%M} (Europe/Paris)" in message.body
    assert message.reply_to == [f"case+{Case.objects.get().reply_token}@inbound.casedesk.localhost"]
    assert message.alternatives and "<html" in message.alternatives[0][0]
    assert Notification.objects.get().status == Notification.Status.SENT


def test_the_same_event_never_writes_twice():
    case = CaseFactory()
    event = CaseEvent.objects.create(case=case, type=CaseEvent.Type.REOPENED, created_at=NOW)

    first = notifications_for_case_event(event=event)
    again = notifications_for_case_event(event=event)

    assert len(first) == 1 and again == []
    assert Notification.objects.count() == 1


def _email_row(key: str) -> Notification:
    return Notification(
        idempotency_key=key,
        kind="status_incident",
        channel=Notification.Channel.EMAIL,
        to_address="reader@example.test",
        context={"name": "Reader", "product": "Ledger", "title": "Outage", "message": "Hello"},
        next_attempt_at=NOW,
        created_at=NOW,
    )


def test_outbox_rows_are_one_statement_that_skips_taken_keys_and_keeps_the_transaction(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    [earlier] = outbox_write([_email_row("event:1")])
    repeat, new, same_list_repeat, other = (
        _email_row("event:1"),
        _email_row("event:2"),
        _email_row("event:2"),
        _email_row("event:3"),
    )

    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        written = outbox_write([repeat, new, same_list_repeat, other])

    assert written == [new, other]  # in the given order; the first of a repeated key wins
    stored = {row.idempotency_key: row for row in Notification.objects.order_by("pk")}
    assert stored.keys() == {"event:1", "event:2", "event:3"}
    assert (stored["event:1"].pk, stored["event:1"].message_id) == (earlier.pk, earlier.message_id)
    assert [(row.pk, row.message_id) for row in written] == [
        (stored[key].pk, stored[key].message_id) for key in ("event:2", "event:3")
    ]
    assert all(not row._state.adding for row in written)
    assert len(callbacks) == 1  # one delivery message, for the rows written now
    assert outbox_write([_email_row("event:3")]) == []  # the transaction goes on after a skip


def test_a_long_list_is_written_in_batches_the_backend_accepts_with_the_same_duplicate_rule():
    many = [_email_row(f"bulk:{n}") for n in range(400)] + [_email_row("bulk:7")]  # more than one batch

    written = outbox_write(many)

    assert [row.idempotency_key for row in written] == [f"bulk:{n}" for n in range(400)]
    assert sorted(Notification.objects.values_list("pk", flat=True)) == sorted(row.pk for row in written)


def test_recipients_are_only_people_entitled_to_the_case(django_capture_on_commit_callbacks):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    member(case.company)  # a colleague who did not open it
    member(CompanyFactory())  # someone of another company
    analyst = AnalystFactory()

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=analyst, body="We are on it.", now=NOW)

    assert [m.to for m in mail.outbox] == [[case.opened_by.email]]
    assert "We are on it." in mail.outbox[0].body


def test_internal_notes_notify_nobody(django_capture_on_commit_callbacks):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=AnalystFactory(), body="secret", is_internal=True, now=NOW)

    assert mail.outbox == []


def test_failed_delivery_backs_off_then_fails_visibly_without_touching_the_case(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.FailingBackend"
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    case = case_transition(
        case=case, actor=AnalystFactory(), transition="request_customer_action", message="Log?", now=NOW
    ).case
    notification = Notification.objects.get(kind="pending_customer")

    assert notification_deliver(notification_id=notification.pk, now=NOW) is False
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at == NOW + settings.NOTIFICATION_BACKOFF
    assert "ConnectionRefusedError" in notification.last_error
    # Not due before its backoff ends: a trigger arriving early changes nothing.
    early = NOW + settings.NOTIFICATION_BACKOFF - timedelta(seconds=1)
    assert notifications_deliver(ids=[notification.pk], now=early)["claimed"] == 0

    waits = [notification.next_attempt_at - NOW]
    at = notification.next_attempt_at
    for _ in range(settings.NOTIFICATION_MAX_ATTEMPTS - 1):
        notifications_deliver(ids=[notification.pk], now=at)
        notification.refresh_from_db()
        waits.append(notification.next_attempt_at - at)
        at = notification.next_attempt_at
    assert (notification.status, notification.attempts) == ("failed", settings.NOTIFICATION_MAX_ATTEMPTS)
    # One policy, the row's: doubling waits, capped.
    expected = [
        min(settings.NOTIFICATION_BACKOFF * 2**n, settings.NOTIFICATION_BACKOFF_CAP)
        for n in range(settings.NOTIFICATION_MAX_ATTEMPTS)
    ]
    assert waits == expected
    assert notifications_deliver(ids=[notification.pk], now=at + timedelta(days=1))["claimed"] == 0
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_CUSTOMER  # the case operation stands


def test_a_worker_stopped_mid_batch_hands_back_untried_rows_and_its_row_in_flight_waits_for_the_lease(
    settings,
):
    cases = CaseFactory.create_batch(5, status=Case.Status.IN_PROGRESS)
    analyst = AnalystFactory()
    for case in cases:
        comment_create(case=case, author=analyst, body="Update", now=NOW)
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.DiesOnThirdBackend"
    DiesOnThirdBackend.sent = 0

    with pytest.raises(WorkerKilled):
        notifications_deliver_due(now=NOW)
    assert len(mail.outbox) == 2
    in_flight = Notification.objects.get(status="sending")  # the one it died on keeps its lease
    assert in_flight.next_attempt_at == NOW + settings.NOTIFICATION_LEASE
    assert Notification.objects.filter(status="pending", attempts=0).count() == 2  # handed back untried

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_deliver_due(now=NOW)["sent"] == 2
    assert (
        notifications_deliver_due(now=NOW + settings.NOTIFICATION_LEASE - timedelta(seconds=1))["sent"] == 0
    )
    later = notifications_deliver_due(now=NOW + settings.NOTIFICATION_LEASE)

    assert later["sent"] == 1
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(
        c.opened_by.email for c in cases
    )  # each exactly once (the 3rd was never sent)
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    in_flight.refresh_from_db()
    assert in_flight.attempts == 2  # the attempt that died counts


def test_every_email_carries_its_rows_message_id_and_a_resend_carries_the_same(settings):
    cases = CaseFactory.create_batch(3, status=Case.Status.IN_PROGRESS)
    for case in cases:
        comment_create(case=case, author=AnalystFactory(), body="Update", now=NOW)
    notifications_deliver_due(now=NOW)
    rows = list(Notification.objects.filter(channel="email").order_by("pk"))
    ids = [row.message_id for row in rows]
    assert len(set(ids)) == len(rows) and all(
        re.fullmatch(rf"<[0-9a-f]{{32}}\.outbox@{re.escape(settings.EMAIL_MESSAGE_ID_DOMAIN)}>", i)
        for i in ids
    )
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(ids)
    assert sorted(m.message()["Message-ID"] for m in mail.outbox) == sorted(ids)

    Notification.objects.update(status="sending", next_attempt_at=NOW)  # as if a worker died after sending
    mail.outbox.clear()
    notifications_deliver_due(now=NOW)

    assert sorted(m.message()["Message-ID"] for m in mail.outbox) == sorted(ids)


def test_one_batch_is_sent_over_one_connection(settings):
    cases = CaseFactory.create_batch(4, status=Case.Status.IN_PROGRESS)
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.CountingBackend"
    for case in cases:
        comment_create(case=case, author=AnalystFactory(), body="Update", now=NOW)
    CountingBackend.opened = 0

    assert notifications_deliver_due(now=NOW)["sent"] == 4
    assert CountingBackend.opened == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_run_twice_at_once_sends_once():
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    comment_create(case=case, author=AnalystFactory(), body="Update", now=NOW)  # delivered on commit (eager)
    Notification.objects.update(
        status=Notification.Status.PENDING, sent_at=None, next_attempt_at=NOW
    )  # queued again
    mail.outbox.clear()
    notification = Notification.objects.get()

    results = run_together([lambda: notification_deliver(notification_id=notification.pk, now=NOW)] * 2)

    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(("kind", "language"), [(k, lang) for k in MESSAGES for lang in LANGUAGES])
def test_every_template_renders_in_every_language(kind, language):
    context = {
        "name": "Ana",
        "case_number": "CS-000042",
        "case_subject": "GL",
        "case_url": "https://casedesk.example/api/v1/cases/42/",
        "priority": "P2",
        "first_response_due": "2026-06-01T11:00:00+00:00",
        "message": "Please send the log.",
        "auto_close_date": "2026-06-10T07:00:00+00:00",
        "survey_url": "https://casedesk.example/s/abc",
        "decision": "approved",
        "request_kind": "password reset",
        "subject_user": "Bob",
        "company": "Acme",
        "metric": "first_response",
        "metric_label": "first response",
        "due_at": "2026-06-01T11:00:00+00:00",
        "at": "2026-06-01T09:30:00+00:00",
        "actor": "Ana Client",
        "filename": "recording.zip",
        "count": 1,
        "items": [
            {
                "case_number": "CS-000042",
                "case_subject": "GL",
                "case_url": "https://casedesk.example/admin/cases/case/42/change/",
                "at": "2026-06-01T09:30:00+00:00",
                "headline": "Ana Client replied",
                "message": "Still broken.",
            }
        ],
        "product": "Financials",
        "title": "Weekly maintenance",
        "schedule": "Fridays 19:30 (America/Los_Angeles), 4 hours",
        "incident_status": "monitoring",
    }

    rendered = render_email(kind=kind, language=language, context=context, time_zone="Europe/Madrid")

    assert rendered.subject and "{" not in rendered.subject
    assert rendered.text.strip() and "{{" not in rendered.text and "{%" not in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>") and "</html>" in rendered.html
    assert f'lang="{language}"' in rendered.html  # every text exists in English, French and Spanish
    # Instants are written for people, in the reader's zone: never as ISO strings.
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", rendered.text + rendered.html)
    assert "UTC" not in rendered.text and ("Europe/Madrid" in rendered.text) == any(
        "|local_datetime" in part for part in message_templates(kind, language)
    )


def test_sla_breach_notifies_the_assignee_and_support_managers(django_capture_on_commit_callbacks):
    from sla.services import _event

    analyst, manager = AnalystFactory(), SupportManagerFactory()
    case = CaseFactory(assignee=analyst)
    due = "2026-06-01T06:00:00+00:00"

    with django_capture_on_commit_callbacks(execute=True):
        _event(case, CaseEvent.Type.SLA_BREACHED, NOW, "missed", {"metric": "first_response", "due_at": due})

    assert sorted(m.to[0] for m in mail.outbox) == sorted([analyst.email, manager.email])
    assert all(m.body.startswith("First response target missed") for m in mail.outbox)
    assert all("June 1, 2026, 6 a.m. (UTC)" in m.body for m in mail.outbox)


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_are_signed_and_sent_from_the_worker(
    settings, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(NOW, tick=False)  # a day on which the deprecated headers are still sent
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]  # the receiver is on loopback
    _Receiver.received = []
    try:
        case = CaseFactory(status=Case.Status.OPEN)
        endpoint = WebhookEndpoint.objects.create(
            company=case.company,
            url=f"http://127.0.0.1:{server.server_port}/hook",
            event_types=["transition"],
            created_by=case.opened_by,
            created_at=NOW,
        )
        with django_capture_on_commit_callbacks(execute=True):
            case_transition(case=case, actor=AnalystFactory(), transition="start", now=NOW)
    finally:
        server.shutdown()

    assert len(_Receiver.received) == 1
    headers, body = _Receiver.received[0]
    assert standardwebhooks.Webhook(endpoint.secret).verify(body, headers)["to_status"] == "in_progress"
    expected = hmac.new(
        webhook_secret_key(endpoint.secret),
        headers["X-Casedesk-Timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Casedesk-Signature"] == f"sha256={expected}"
    assert json.loads(body)["to_status"] == "in_progress"


def test_webhook_registration_requires_https_and_a_manager(api_client, fake_dns):
    fake_dns.answers["example.com"] = ["93.184.215.14"]
    company = CompanyFactory()
    manager = member(company, role=Membership.Role.MANAGER)
    api_client.force_authenticate(manager)

    plain = api_client.post("/api/v1/webhooks/", {"url": "http://example.com/hook"}, format="json")
    good = api_client.post(
        "/api/v1/webhooks/", {"url": "https://example.com/hook", "event_types": ["created"]}, format="json"
    )
    listed = api_client.get("/api/v1/webhooks/").json()
    api_client.force_authenticate(member(company))
    refused = api_client.post("/api/v1/webhooks/", {"url": "https://example.com/x"}, format="json")

    assert (plain.status_code, plain.json()["code"]) == (400, "webhook_https_required")
    assert good.status_code == 201 and good.json()["secret"].startswith("whsec_")
    assert len(webhook_secret_key(good.json()["secret"])) == 32
    assert "secret" not in listed[0]
    assert (refused.status_code, refused.json()["code"]) == (403, "not_company_manager")


def test_an_authorised_password_reset_is_an_outbox_row_without_a_token_and_each_send_makes_a_valid_one():
    from django.contrib.auth.tokens import default_token_generator

    from accounts.models import AuthorizationRequest
    from accounts.services import authorization_request_approve
    from tests.factories import AuthorizationRequestFactory

    request = AuthorizationRequestFactory(kind=AuthorizationRequest.Kind.PASSWORD_RESET, requested_role="")
    manager = member(request.company, role=Membership.Role.MANAGER)

    authorization_request_approve(request=request, decided_by=manager, now=NOW)

    row = Notification.objects.get(kind="password_reset")
    assert (row.recipient, row.to_address, row.status) == (
        request.subject_user,
        request.subject_user.email,
        "pending",
    )
    assert "token" not in json.dumps(row.context)  # a credential never rests in the outbox

    def tokens_sent():
        bodies = [m.body for m in mail.outbox if m.to == [request.subject_user.email] and "token=" in m.body]
        return [b.split("token=")[1].split()[0] for b in bodies]

    notifications_deliver_due(now=NOW)
    Notification.objects.filter(pk=row.pk).update(status="sending", next_attempt_at=NOW)  # died after sending
    notifications_deliver_due(now=NOW)

    sent = tokens_sent()
    assert len(sent) == 2 and all(default_token_generator.check_token(request.subject_user, t) for t in sent)
    resets = [m for m in mail.outbox if "token=" in m.body]
    assert {m.message()["Message-ID"] for m in resets} == {row.message_id}


def test_a_password_reset_for_an_account_deactivated_before_sending_fails_without_retrying():
    from accounts.models import AuthorizationRequest
    from accounts.services import authorization_request_approve
    from tests.factories import AuthorizationRequestFactory

    request = AuthorizationRequestFactory(kind=AuthorizationRequest.Kind.PASSWORD_RESET, requested_role="")
    authorization_request_approve(
        request=request, decided_by=member(request.company, role=Membership.Role.MANAGER), now=NOW
    )
    type(request.subject_user).objects.filter(pk=request.subject_user.pk).update(is_active=False)

    assert notifications_deliver_due(now=NOW)["failed"] >= 1

    row = Notification.objects.get(kind="password_reset")
    assert (row.status, row.attempts) == ("failed", 1) and "no longer active" in row.last_error
    assert not [m for m in mail.outbox if "token=" in m.body]
