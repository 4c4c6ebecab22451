"""The webhook management API: company managers manage their company's endpoints, support managers
every company's; everyone else is refused with the rule's code and nothing changes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from accounts.models import Membership
from cases.webhooks import webhook_secret_rotate, webhook_test_send
from core.errors import PermissionRefused
from notifications.models import Notification, WebhookEndpoint
from notifications.webhooks import webhook_secret_key
from tests.factories import (
    AnalystFactory,
    CompanyFactory,
    SupportManagerFactory,
    UserFactory,
    WebhookEndpointFactory,
    member,
)
from tests.outbound_peers import RecordingServer, answer

pytestmark = pytest.mark.django_db
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    company, other = CompanyFactory(), CompanyFactory()
    endpoint = WebhookEndpointFactory(company=company, event_types=["created"])
    return {
        "company": company,
        "endpoint": endpoint,
        "other_endpoint": WebhookEndpointFactory(company=other),
        "manager": member(company, role=Membership.Role.MANAGER),
        "pending manager": member(company, role=Membership.Role.MANAGER, status=Membership.Status.PENDING),
        "member": member(company),
        "dsu": member(company, role=Membership.Role.DSU),
        "other manager": member(other, role=Membership.Role.MANAGER),
        "support manager": SupportManagerFactory(),
        "analyst": AnalystFactory(),
        "nobody": UserFactory(),
    }


def _url(endpoint: WebhookEndpoint, suffix: str = "") -> str:
    return f"/api/v1/webhooks/{endpoint.pk}/{suffix}"


# (method, suffix, body, status when allowed)
OPERATIONS = [
    ("get", "", None, 200),
    ("patch", "", {"is_active": False}, 200),
    ("delete", "", None, 204),
    ("post", "rotate-secret/", None, 200),
    ("post", "test/", None, 202),
    ("get", "deliveries/", None, 200),
]


@pytest.mark.parametrize(("method", "suffix", "body", "allowed"), OPERATIONS)
@pytest.mark.parametrize(
    ("actor", "status", "code"),
    [
        ("manager", None, None),
        ("support manager", None, None),
        ("member", 403, "not_company_manager"),
        ("dsu", 403, "not_company_manager"),
        ("pending manager", 403, "not_company_manager"),
        ("other manager", 404, "not_found"),
        ("analyst", 404, "not_found"),
        ("nobody", 404, "not_found"),
        ("anonymous", 401, "not_authenticated"),
    ],
)
def test_only_the_company_managers_and_support_managers_manage_an_endpoint(
    api_client, world, django_capture_on_commit_callbacks, method, suffix, body, allowed, actor, status, code
):
    endpoint = world["endpoint"]
    before = WebhookEndpoint.objects.filter(pk=endpoint.pk).values().get()
    if actor != "anonymous":
        api_client.force_authenticate(world[actor])

    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(api_client, method)(_url(endpoint, suffix), body, format="json")

    if status is None:
        assert response.status_code == allowed, response.content
        return
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).values().get() == before
    assert not Notification.objects.filter(webhook=endpoint).exists()


def test_another_companys_endpoint_looks_like_a_missing_one(api_client, world):
    api_client.force_authenticate(world["manager"])

    theirs = api_client.get(_url(world["other_endpoint"]))
    missing = api_client.get("/api/v1/webhooks/999999/")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_retrieve_and_list_never_show_a_secret(api_client, world):
    api_client.force_authenticate(world["manager"])

    detail = api_client.get(_url(world["endpoint"])).json()
    listed = api_client.get("/api/v1/webhooks/").json()

    assert detail == {
        "id": world["endpoint"].pk,
        "company": world["company"].pk,
        "url": "https://hooks.example.com/casedesk",
        "event_types": ["created"],
        "is_active": True,
        "created_at": detail["created_at"],
        "secret_rotated_at": None,
        "previous_secret_expires_at": None,
    }
    assert listed == [detail]  # another company's endpoint is not listed
    api_client.force_authenticate(world["support manager"])
    assert len(api_client.get("/api/v1/webhooks/").json()) == 2


def test_update_changes_event_types_and_the_active_flag(api_client, world):
    api_client.force_authenticate(world["manager"])

    changed = api_client.patch(
        _url(world["endpoint"]),
        {"event_types": ["transition", "reopened", "transition"], "is_active": False},
        format="json",
    )
    unchanged = api_client.patch(_url(world["endpoint"]), {}, format="json")
    every_event = api_client.patch(_url(world["endpoint"]), {"event_types": []}, format="json")

    assert changed.status_code == 200
    assert (changed.json()["event_types"], changed.json()["is_active"]) == (["transition", "reopened"], False)
    assert unchanged.json() == changed.json()
    endpoint = WebhookEndpoint.objects.get(pk=world["endpoint"].pk)
    assert (endpoint.event_types, endpoint.is_active) == ([], False)
    assert every_event.json()["event_types"] == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"event_types": ["created", "no_such_event"]}, "event_types", "invalid_choice"),
        ({"event_types": "created"}, "event_types", "invalid_type"),
        ({"is_active": "no"}, "is_active", "invalid_type"),
        ({"url": "https://elsewhere.example.com/hook"}, "url", "read_only"),
        ({"secret": "whsec_AAAA"}, "secret", "read_only"),
    ],
)
def test_update_refuses_bad_values_and_fields_that_cannot_change(api_client, world, body, field, code):
    api_client.force_authenticate(world["manager"])
    before = WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).values().get()

    response = api_client.patch(_url(world["endpoint"]), body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    errors = response.json()["errors"][field]
    if isinstance(errors, dict):  # a list field's errors are keyed by the item's position
        errors = [error for item_errors in errors.values() for error in item_errors]
    assert [error["code"] for error in errors] == [code]
    assert WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).values().get() == before


def test_rotation_answers_the_new_secret_once(api_client, world, settings, time_machine):
    settings.WEBHOOK_SECRET_ROTATION_GRACE = timedelta(hours=24)
    time_machine.move_to(T, tick=False)
    old_secret = world["endpoint"].secret
    api_client.force_authenticate(world["manager"])

    rotated = api_client.post(_url(world["endpoint"], "rotate-secret/"))

    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and len(webhook_secret_key(body["secret"])) == 32
    assert body["secret"] != old_secret
    assert (body["secret_rotated_at"], body["previous_secret_expires_at"]) == (
        "2026-12-01T09:00:00Z",
        "2026-12-02T09:00:00Z",
    )
    endpoint = WebhookEndpoint.objects.get(pk=world["endpoint"].pk)
    assert (endpoint.secret, endpoint.previous_secret) == (body["secret"], old_secret)
    assert "secret" not in api_client.get(_url(world["endpoint"])).json()


def test_a_manager_demoted_after_the_view_read_the_endpoint_cannot_rotate(world):
    """The service checks the actor again inside its transaction, on the locked row."""
    manager = world["manager"]
    Membership.objects.filter(user=manager).update(role=Membership.Role.MEMBER)
    manager.__dict__.pop("_casedesk_membership", None)
    before = WebhookEndpoint.objects.get(pk=world["endpoint"].pk).secret

    with pytest.raises(PermissionRefused) as refused:
        webhook_secret_rotate(actor=manager, endpoint=world["endpoint"])

    assert refused.value.code == "not_company_manager"
    assert WebhookEndpoint.objects.get(pk=world["endpoint"].pk).secret == before


def test_delete_removes_the_endpoint_and_its_deliveries(
    api_client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        queued = webhook_test_send(actor=world["manager"], endpoint=world["endpoint"])
    api_client.force_authenticate(world["manager"])

    deleted = api_client.delete(_url(world["endpoint"]))
    again = api_client.delete(_url(world["endpoint"]))

    assert deleted.status_code == 204 and again.status_code == 404
    assert not WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).exists()
    assert not Notification.objects.filter(pk=queued.pk).exists()
    assert WebhookEndpoint.objects.filter(pk=world["other_endpoint"].pk).exists()


def test_a_test_event_is_delivered_signed_like_any_other(
    api_client, world, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    time_machine.move_to(T, tick=False)
    api_client.force_authenticate(world["manager"])
    with RecordingServer(answer(204)) as receiver:
        endpoint = world["endpoint"]
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"{receiver.url}/hook")
        with django_capture_on_commit_callbacks(execute=True):  # the worker's trigger runs (eager Celery)
            queued = api_client.post(_url(endpoint, "test/"))

    assert queued.status_code == 202
    assert (queued.json()["event_type"], queued.json()["status"]) == ("webhook.test", "pending")
    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload == {
        "event": "webhook.test",
        "occurred_at": "2026-12-01T09:00:00+00:00",
        "webhook": {"id": endpoint.pk},
    }
    assert request.headers["webhook-id"] == queued.json()["message_id"]
    [delivery] = api_client.get(_url(endpoint, "deliveries/")).json()["results"]
    assert (delivery["id"], delivery["status"], delivery["attempts"]) == (queued.json()["id"], "sent", 1)
    assert delivery["sent_at"] == "2026-12-01T09:00:00Z" and delivery["next_attempt_at"] is None


def test_a_test_event_obeys_the_outbound_rules_and_its_error_names_no_internal_address(
    api_client, world, fake_dns, caplog, django_capture_on_commit_callbacks
):
    """The host resolves inside by the time the test is sent: no connection, the delivery backs
    off, and its error, which the managers read, names the kind of address, not the address."""
    fake_dns.answers["rebound.example.com"] = ["10.0.0.5"]
    WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).update(url="https://rebound.example.com/hook")
    api_client.force_authenticate(world["manager"])

    with (
        caplog.at_level(logging.WARNING, logger="notifications.webhooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert api_client.post(_url(world["endpoint"], "test/")).status_code == 202

    [delivery] = api_client.get(_url(world["endpoint"], "deliveries/")).json()["results"]
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1) and delivery["next_attempt_at"]
    assert delivery["last_error"] == (
        "OutboundRefused: The host rebound.example.com resolves to an address that is not on the public "
        "internet (private)."
    )
    assert "10.0.0.5" in caplog.text  # the operators' log has it


def test_a_disabled_endpoint_cannot_be_tested(api_client, world):
    WebhookEndpoint.objects.filter(pk=world["endpoint"].pk).update(is_active=False)
    api_client.force_authenticate(world["manager"])

    response = api_client.post(_url(world["endpoint"], "test/"))

    assert (response.status_code, response.json()["code"]) == (409, "webhook_inactive")
    assert not Notification.objects.filter(webhook=world["endpoint"]).exists()


def test_deliveries_are_listed_newest_first_in_bounded_pages(
    api_client, world, time_machine, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    endpoint = world["endpoint"]
    with django_capture_on_commit_callbacks(execute=False):
        for minute in range(25):
            time_machine.move_to(T + timedelta(minutes=minute), tick=False)
            webhook_test_send(actor=world["manager"], endpoint=endpoint)
        webhook_test_send(actor=world["support manager"], endpoint=world["other_endpoint"])
    oldest = Notification.objects.filter(webhook=endpoint).order_by("created_at").first()
    Notification.objects.filter(pk=oldest.pk).update(
        status="failed", attempts=8, last_error="DeliveryError: HTTP 500"
    )
    api_client.force_authenticate(world["manager"])

    with django_assert_max_num_queries(3):  # the membership, the endpoint, the page
        first = api_client.get(_url(endpoint, "deliveries/"), {"page_size": 10}).json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()
    too_large = api_client.get(_url(endpoint, "deliveries/"), {"page_size": 101})

    rows = first["results"] + second["results"] + third["results"]
    assert [len(page["results"]) for page in (first, second, third)] == [10, 10, 5] and third["next"] is None
    created = [row["created_at"] for row in rows]
    assert created == sorted(created, reverse=True) and len(set(created)) == 25
    assert created[0] == "2026-12-01T09:24:00Z"
    assert {row["id"] for row in rows} == set(
        Notification.objects.filter(webhook=endpoint).values_list("pk", flat=True)
    )
    assert (rows[-1]["id"], rows[-1]["status"], rows[-1]["attempts"]) == (oldest.pk, "failed", 8)
    assert rows[-1]["last_error"] == "DeliveryError: HTTP 500" and rows[-1]["next_attempt_at"] is None
    assert rows[0]["status"] == "pending" and rows[0]["next_attempt_at"] == "2026-12-01T09:24:00Z"
    assert (too_large.status_code, too_large.json()["code"]) == (400, "invalid_pagination")
