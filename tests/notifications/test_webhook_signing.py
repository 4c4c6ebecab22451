"""Webhook deliveries verify with the Standard Webhooks library, as a customer's receiver would.

Each test delivers real HTTP requests to a server on loopback (``tests/outbound_peers.py``, reached
through the test-only WEBHOOK_ALLOWED_PRIVATE_NETWORKS exception) and verifies what arrived with
``standardwebhooks.Webhook(secret).verify(body, headers)``, the specification's reference library.
The clock is moved with time-machine: the library checks the timestamp against the current time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from standardwebhooks import Webhook, WebhookVerificationError

from cases.models import Case
from cases.services import case_transition
from cases.webhooks import webhook_secret_rotate, webhook_test_send
from notifications.delivery import Undeliverable, _send_webhook, notification_deliver
from notifications.models import Notification, WebhookEndpoint, webhook_secret_new
from notifications.webhooks import webhook_secret_key
from tests.factories import AnalystFactory, CaseFactory, SupportManagerFactory, WebhookEndpointFactory
from tests.outbound_peers import RecordingServer, answer

pytestmark = pytest.mark.django_db
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
migration = importlib.import_module("notifications.migrations.0005_webhook_secret_rotation")


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]  # the receiver is on loopback
    with RecordingServer(answer(204)) as server:
        yield server


def _endpoint(receiver, **fields) -> WebhookEndpoint:
    case_company = fields.pop("company", None) or CaseFactory(status=Case.Status.OPEN).company
    return WebhookEndpointFactory(company=case_company, url=f"{receiver.url}/hook", **fields)


def _case_event_row(endpoint: WebhookEndpoint, django_capture_on_commit_callbacks) -> Notification:
    """A real case event (an analyst starts the case) and its outbox row for ``endpoint``; the
    after-commit trigger is held back so the test delivers at the time it chooses."""
    case = CaseFactory(company=endpoint.company, status=Case.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=False):
        case_transition(case=case, actor=AnalystFactory(), transition="start", now=T)
    return Notification.objects.get(webhook=endpoint, case=case)


def _test_row(endpoint: WebhookEndpoint, django_capture_on_commit_callbacks) -> Notification:
    with django_capture_on_commit_callbacks(execute=False):
        return webhook_test_send(actor=SupportManagerFactory(), endpoint=endpoint)


def _deliver(row: Notification) -> None:
    assert notification_deliver(notification_id=row.pk) is True


def test_a_delivery_verifies_with_the_standard_webhooks_library(
    receiver, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    row = _case_event_row(endpoint, django_capture_on_commit_callbacks)

    _deliver(row)

    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload == row.context and payload["to_status"] == "in_progress"
    assert request.headers["webhook-id"] == row.message_id and row.message_id.startswith("msg_")
    assert request.headers["webhook-timestamp"] == str(int(T.timestamp()))
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == row.context


def test_a_tampered_body_id_or_secret_fails_verification(
    receiver, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    _deliver(_case_event_row(endpoint, django_capture_on_commit_callbacks))
    [request] = receiver.requests
    webhook = Webhook(endpoint.secret)
    webhook.verify(request.body, request.headers)  # the control: untouched, it verifies

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        webhook.verify(request.body.replace(b"in_progress", b"closed"), request.headers)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        webhook.verify(request.body, {**request.headers, "webhook-id": "msg_someone_else"})
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(webhook_secret_new()).verify(request.body, request.headers)


def test_a_stale_timestamp_fails_verification(receiver, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    _deliver(_case_event_row(endpoint, django_capture_on_commit_callbacks))
    [request] = receiver.requests
    webhook = Webhook(endpoint.secret)

    time_machine.move_to(T + timedelta(minutes=4), tick=False)
    webhook.verify(request.body, request.headers)  # within the library's five minutes
    time_machine.move_to(T + timedelta(minutes=6), tick=False)
    with pytest.raises(WebhookVerificationError, match="too old"):
        webhook.verify(request.body, request.headers)
    # A replay with a fresh timestamp does not verify either: the timestamp is signed.
    fresh = {**request.headers, "webhook-timestamp": str(int((T + timedelta(minutes=6)).timestamp()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        webhook.verify(request.body, fresh)


def test_a_resend_carries_the_same_webhook_id_with_a_new_timestamp(
    settings, time_machine, django_capture_on_commit_callbacks
):
    """The first attempt gets a 500 and the row backs off; the retry succeeds. Both requests carry
    the row's id (receivers deduplicate by it) and each is signed at its own time."""
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    answers = iter([500, 204])
    time_machine.move_to(T, tick=False)
    with RecordingServer(lambda handler: (next(answers), {})) as receiver:
        endpoint = _endpoint(receiver)
        row = _case_event_row(endpoint, django_capture_on_commit_callbacks)
        assert notification_deliver(notification_id=row.pk) is False
        row.refresh_from_db()
        assert (row.status, row.last_error) == (Notification.Status.PENDING, "DeliveryError: HTTP 500")
        time_machine.move_to(row.next_attempt_at + timedelta(seconds=1), tick=False)
        _deliver(row)

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.message_id
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 31
    webhook = Webhook(endpoint.secret)
    assert webhook.verify(first.body, first.headers) == webhook.verify(second.body, second.headers)


def test_during_the_rotation_grace_both_secrets_verify_and_after_it_only_the_new_one(
    settings, receiver, time_machine, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_SECRET_ROTATION_GRACE = timedelta(hours=24)
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    old_secret = endpoint.secret

    rotated = webhook_secret_rotate(actor=SupportManagerFactory(), endpoint=endpoint)
    new_secret = rotated.secret
    assert new_secret != old_secret and rotated.previous_secret_expires_at == T + timedelta(hours=24)

    time_machine.move_to(T + timedelta(hours=23, minutes=59), tick=False)
    _deliver(_test_row(endpoint, django_capture_on_commit_callbacks))
    time_machine.move_to(T + timedelta(hours=24), tick=False)
    _deliver(_test_row(endpoint, django_capture_on_commit_callbacks))

    during, after = receiver.requests
    assert [entry.split(",")[0] for entry in during.headers["webhook-signature"].split(" ")] == ["v1", "v1"]
    assert [entry.split(",")[0] for entry in after.headers["webhook-signature"].split(" ")] == ["v1"]
    time_machine.move_to(T + timedelta(hours=23, minutes=59), tick=False)
    assert Webhook(old_secret).verify(during.body, during.headers)["event"] == "webhook.test"
    assert Webhook(new_secret).verify(during.body, during.headers)["event"] == "webhook.test"
    time_machine.move_to(T + timedelta(hours=24), tick=False)
    assert Webhook(new_secret).verify(after.body, after.headers)["event"] == "webhook.test"
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(old_secret).verify(after.body, after.headers)


def test_rotating_again_within_the_grace_ends_the_oldest_secret_at_once(
    receiver, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    first = endpoint.secret
    second = webhook_secret_rotate(actor=SupportManagerFactory(), endpoint=endpoint).secret
    time_machine.move_to(T + timedelta(hours=1), tick=False)
    third = webhook_secret_rotate(actor=SupportManagerFactory(), endpoint=endpoint).secret

    _deliver(_test_row(endpoint, django_capture_on_commit_callbacks))

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(second).verify(request.body, request.headers)
    Webhook(third).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(first).verify(request.body, request.headers)


@pytest.mark.parametrize(
    ("at", "legacy"),
    [
        (datetime(2027, 5, 31, 23, 59, 59, tzinfo=UTC), True),
        (datetime(2027, 6, 1, 0, 0, 0, tzinfo=UTC), False),
        (datetime(2027, 9, 1, 12, 0, 0, tzinfo=UTC), False),
    ],
)
def test_the_deprecated_headers_are_sent_until_the_configured_day(
    settings, receiver, time_machine, django_capture_on_commit_callbacks, at, legacy
):
    settings.WEBHOOK_LEGACY_HEADERS_UNTIL = date(2027, 6, 1)
    time_machine.move_to(at, tick=False)
    endpoint = _endpoint(receiver)

    _deliver(_test_row(endpoint, django_capture_on_commit_callbacks))

    [request] = receiver.requests
    Webhook(endpoint.secret).verify(request.body, request.headers)  # the standard headers, always
    sent = {name for name in request.headers if name.lower().startswith("x-casedesk-")}
    if not legacy:
        assert sent == set()
        return
    assert sent == {"X-Casedesk-Event", "X-Casedesk-Delivery", "X-Casedesk-Timestamp", "X-Casedesk-Signature"}
    assert request.headers["X-Casedesk-Event"] == "webhook.test"
    assert request.headers["X-Casedesk-Timestamp"] == request.headers["webhook-timestamp"]
    digest = hmac.new(
        webhook_secret_key(endpoint.secret),
        request.headers["X-Casedesk-Timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["X-Casedesk-Signature"] == f"sha256={digest}"


def test_an_endpoint_registered_before_standard_webhooks_keeps_its_key(
    settings, receiver, time_machine, django_capture_on_commit_callbacks
):
    """Migration 0005 encodes a hex secret of earlier releases unchanged: the receiver's old
    verifier (HMAC keyed with the hex string) still passes, and the hex string it holds, as
    ``whsec_`` + base64, verifies the Standard Webhooks headers."""
    settings.WEBHOOK_LEGACY_HEADERS_UNTIL = date(2027, 6, 1)
    time_machine.move_to(T, tick=False)
    hex_secret = "3f" * 32
    endpoint = _endpoint(receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=hex_secret)
    already = _endpoint(receiver, company=endpoint.company)

    migration.secrets_to_standard_form(django_apps, None)

    endpoint.refresh_from_db()
    assert endpoint.secret == "whsec_" + base64.b64encode(hex_secret.encode()).decode()
    assert WebhookEndpoint.objects.get(pk=already.pk).secret == already.secret  # issued as whsec_: untouched
    _deliver(_test_row(endpoint, django_capture_on_commit_callbacks))
    [request] = receiver.requests
    old_verifier = hmac.new(
        hex_secret.encode(),
        request.headers["X-Casedesk-Timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["X-Casedesk-Signature"] == f"sha256={old_verifier}"
    Webhook("whsec_" + base64.b64encode(hex_secret.encode()).decode()).verify(request.body, request.headers)
    Webhook(hex_secret.encode()).verify(request.body, request.headers)

    migration.secrets_to_legacy_form(django_apps, None)

    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == hex_secret
    assert WebhookEndpoint.objects.get(pk=already.pk).secret == webhook_secret_key(already.secret).hex()


@pytest.mark.parametrize(("change", "error"), [("disable", "disabled"), ("delete", None)])
def test_queued_deliveries_of_a_disabled_or_deleted_endpoint_are_never_sent(
    receiver, time_machine, django_capture_on_commit_callbacks, change, error
):
    time_machine.move_to(T, tick=False)
    endpoint = _endpoint(receiver)
    row = _case_event_row(endpoint, django_capture_on_commit_callbacks)
    if change == "disable":
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    else:
        # Deleted while a worker holds the row: the claimed copy still names the endpoint.
        claimed = Notification.objects.select_related("webhook").get(pk=row.pk)
        endpoint.delete()
        with pytest.raises(Undeliverable, match="deleted"):
            _send_webhook(claimed)

    if change == "disable":
        assert notification_deliver(notification_id=row.pk) is False
        row.refresh_from_db()
        assert row.status == Notification.Status.FAILED and error in row.last_error
    assert receiver.connections == []
