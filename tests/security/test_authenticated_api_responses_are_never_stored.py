"""Rule: an API answer to a request that presents credentials (a token, or the session cookie) is
``Cache-Control: no-store``, errors included, so no browser or shared cache keeps what one caller
was told. Anonymous answers keep their views' own caching (the public ones set none today)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_company_case(db):
    return CaseFactory()


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/api/v1/me/", {}, 200),
        ("get", "/api/v1/cases/", {}, 200),
        ("get", "/api/v1/status/", {}, 200),  # public, but this caller is signed in
        ("get", "/api/v1/support/contacts/", {}, 200),  # says whether this caller may phone
        ("get", "/api/v1/cases/?search=a&search=b", {}, 400),  # refused by middleware
        ("post", "/api/v1/cases/", {"data": b"{", "content_type": "application/json"}, 400),
        ("get", "/api/v1/no-such-endpoint/", {}, 404),
        ("delete", "/api/v1/me/", {}, 405),
        (
            "post",
            "/api/v1/cases/",
            {"data": b"{}", "content_type": "application/json", "CONTENT_LENGTH": "99999999"},
            413,
        ),
    ],
)
def test_token_authenticated_answers_are_not_stored(client, auth, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs, **auth)

    assert response.status_code == status, response.content[:300]
    assert response["Cache-Control"] == "no-store"


def test_an_answer_about_another_companys_case_is_not_stored(client, auth, other_company_case):
    response = client.get(reverse("case-detail", args=[other_company_case.pk]), **auth)

    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_a_refused_token_is_not_stored_either(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


def test_session_authenticated_answers_are_not_stored(client):
    client.force_login(AnalystFactory())

    for path in ("/api/v1/cases/", "/api/v1/me/", "/api/docs/"):
        response = client.get(path)
        assert (response.status_code, response["Cache-Control"]) == (200, "no-store"), path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/status/",
        "/api/v1/support/contacts/",
        "/status/feed/rss/",
        "/status/feed/atom/",
        "/status/maintenance.ics",
        "/api/schema/",
    ],
)
def test_anonymous_public_answers_keep_their_own_caching(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_signed_in_pages_outside_the_api_are_left_to_their_views(client):
    # The admin sets its own (never_cache); this rule is about the API.
    client.force_login(AnalystFactory())

    response = client.get("/admin/")

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
