"""Shared pieces of the security regression tests: a customer with a case, signed in the way API
clients are (a token from the token endpoint), and no throttling."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cases.models import Case
from core.throttling import _redis_client
from tests.factories import CaseFactory

PASSWORD = "security-tests-password-1"


@pytest.fixture(autouse=True)
def _no_throttle_counters_left() -> Iterator[None]:
    """Throttle counters outlive a test's database transaction (they live in the cache or Redis)."""

    def clear() -> None:
        cache.clear()
        client = _redis_client()
        if client is not None:
            for key in client.scan_iter("throttle_*"):
                client.delete(key)

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    # Hundreds of requests per test: a 429 would hide what the test is looking at. Without a rate
    # the throttles count nothing, so no counter is left for the tests that run next.
    settings.THROTTLE_RATES = {}


@pytest.fixture
def case(db) -> Case:
    case = CaseFactory()
    case.opened_by.set_password(PASSWORD)
    case.opened_by.save(update_fields=["password"])
    return case


@pytest.fixture
def token(client: Client, case: Case) -> str:
    response = client.post(
        reverse("auth-token"),
        {"username": case.opened_by.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Extra keyword arguments for the test client: the customer's token."""
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


def assert_json_4xx(response, status: int | None = None) -> dict:
    """A refusal in the API's contract: a 4xx with a JSON body holding ``code`` and ``detail``."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body
