"""Rule: a webhook secret is shown once, to the manager who registered the endpoint or rotated its
secret, and never again: not in the API's lists, details or delivery logs, not in the admin, and
not to anyone else at any time. A rotation's previous secret is never shown at all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.factories import CompanyFactory, WebhookEndpointFactory, member

pytestmark = pytest.mark.django_db


def _secrets_in(text: str, *secrets: str) -> list[str]:
    return [secret for secret in secrets if secret in text]


def test_the_api_shows_a_secret_only_in_the_answer_that_issued_it(
    api_client, fake_dns, django_capture_on_commit_callbacks
):
    fake_dns.answers["hooks.example.com"] = ["93.184.215.14"]
    company = CompanyFactory()
    api_client.force_authenticate(member(company, role=Membership.Role.MANAGER))

    created = api_client.post(
        "/api/v1/webhooks/", {"url": "https://hooks.example.com/casedesk"}, format="json"
    )
    endpoint_url = f"/api/v1/webhooks/{created.json()['id']}/"
    first = created.json()["secret"]
    rotated = api_client.post(f"{endpoint_url}rotate-secret/")
    second = rotated.json()["secret"]
    with django_capture_on_commit_callbacks(execute=False):  # queued, not sent: its row is listed
        tested = api_client.post(f"{endpoint_url}test/")
    later = [
        api_client.get("/api/v1/webhooks/"),
        api_client.get(endpoint_url),
        api_client.patch(endpoint_url, {"event_types": ["created"]}, format="json"),
        api_client.get(f"{endpoint_url}deliveries/"),
        tested,
    ]

    assert (created.status_code, rotated.status_code) == (201, 200)
    assert first.startswith("whsec_") and second.startswith("whsec_") and first != second
    assert _secrets_in(rotated.content.decode(), first) == []  # the previous secret is never shown
    assert all(response.status_code in (200, 202) for response in later)
    assert all(_secrets_in(response.content.decode(), first, second) == [] for response in later)


def test_the_admin_never_shows_a_secret(admin_client):
    endpoint = WebhookEndpointFactory(previous_secret="whsec_cHJldmlvdXMtc2VjcmV0LXZhbHVlLWZvci10ZXN0")

    pages = [
        admin_client.get(reverse("admin:notifications_webhookendpoint_changelist")),
        admin_client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])),
    ]

    assert [page.status_code for page in pages] == [200, 200]
    assert all(
        _secrets_in(page.content.decode(), endpoint.secret, endpoint.previous_secret) == [] for page in pages
    )
