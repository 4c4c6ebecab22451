"""The API's HTTP conventions (README: API conventions): Location on every 201, Idempotency-Key
reuse refused, strict ordering and cursors, stable field codes, RateLimit header fields, ETags on
case detail, JSON-only bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Membership
from cases.models import Case, CaseStatus, Comment
from core.models import IdempotencyRecord
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    member,
)

pytestmark = pytest.mark.django_db
PUBLIC_V4 = "93.184.215.14"  # handed out by the fake DNS; never connected to


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def dsu(company):
    return member(company, role=Membership.Role.DSU)


@pytest.fixture
def manager(company):
    return member(company, role=Membership.Role.MANAGER)


@pytest.fixture
def customer(api_client: APIClient, dsu) -> APIClient:
    api_client.force_authenticate(dsu)
    return api_client


def _create_payload(company, **extra: Any) -> dict[str, Any]:
    return {
        "product_instance": ProductInstanceFactory(company=company).pk,
        "subject": "Cannot post journal entries",
        "problem_summary": "Posting fails with GL-42 since this morning.",
        "reason": CaseReasonFactory().code,
        "application_area": ApplicationAreaFactory().code,
        "business_impact_scope": "organisation",
        "business_impact": "high",
        **extra,
    }


def _created(response) -> str:
    assert response.status_code == 201, response.content
    location = response["Location"]
    assert location.startswith("http://testserver/api/v1/"), location
    return location


# --- Location on every 201 ---------------------------------------------------------------------------


def _open_case(client, company, dsu, manager):
    return client.post(reverse("case-list"), _create_payload(company), format="json")


def _comment(client, company, dsu, manager):
    case = CaseFactory(company=company, opened_by=dsu)
    return client.post(reverse("case-comments", args=[case.pk]), {"body": "Any news?"}, format="json")


def _attach(client, company, dsu, manager):
    case = CaseFactory(company=company, opened_by=dsu)
    upload = SimpleUploadedFile("server.log", b"ERROR 42\n")
    return client.post(reverse("case-attachments", args=[case.pk]), {"file": upload}, format="multipart")


def _escalate(client, company, dsu, manager):
    case = CaseFactory(company=company, opened_by=dsu)
    return client.post(reverse("case-escalations", args=[case.pk]), {"message": "Urgent"}, format="json")


def _follow(client, company, dsu, manager):
    case = CaseFactory(company=company, opened_by=member(company, role=Membership.Role.DSU))
    return client.post(reverse("case-follow", args=[case.pk]))


def _authorization_request(client, company, dsu, manager):
    client.force_authenticate(manager)
    subject = member(company)
    payload = {"kind": "new_dsu", "subject_user": subject.pk, "reason": "Runs payroll"}
    return client.post(reverse("authorization-request-list"), payload, format="json")


def _webhook(client, company, dsu, manager):
    client.force_authenticate(manager)
    payload = {"url": "https://hooks.acme.test/casedesk", "event_types": ["created"]}
    return client.post(reverse("webhooks"), payload, format="json")


CREATIONS = {
    "cases_create": _open_case,
    "cases_comments_create": _comment,
    "cases_attachments_create": _attach,
    "cases_escalations_create": _escalate,
    "cases_follow": _follow,
    "authorization_requests_create": _authorization_request,
    "webhooks_create": _webhook,
}


def test_every_operation_that_creates_is_covered_here():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    creating = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
        if "201" in operation.get("responses", {})
    }
    assert creating == set(CREATIONS)


@pytest.mark.parametrize("operation_id", list(CREATIONS))
def test_a_201_names_the_created_resource_in_location(
    operation_id, customer, company, dsu, manager, settings, tmp_path, fake_dns
):
    settings.MEDIA_ROOT = tmp_path
    fake_dns.answers["hooks.acme.test"] = [PUBLIC_V4]

    location = _created(CREATIONS[operation_id](customer, company, dsu, manager))

    read = customer.get(location)
    assert read.status_code == 200, (location, read.content[:200])
    if operation_id == "cases_attachments_create":
        assert b"".join(read.streaming_content) == b"ERROR 42\n"


def test_a_repeated_creation_answers_200_without_location(customer, company):
    payload = _create_payload(company)
    first = customer.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = customer.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert "Location" not in again


# --- Idempotency-Key -------------------------------------------------------------------------------


def _post_raw(client: APIClient, url: str, body: str, key: str):
    return client.generic("POST", url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_the_same_body_in_other_words_replays_the_first_case(customer, company):
    payload = _create_payload(company)
    first = _post_raw(customer, reverse("case-list"), json.dumps(payload), "retry-me")
    reordered = json.dumps(dict(reversed(list(payload.items()))), indent=2)
    again = _post_raw(customer, reverse("case-list"), reordered, "retry-me")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1


def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(customer, company):
    payload = _create_payload(company)
    first = customer.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="once")
    other = customer.post(
        reverse("case-list"),
        {**payload, "subject": "Another problem"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="once",
    )

    assert first.status_code == 201
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.get().request_fingerprint  # what the second request was compared with


def test_a_comment_key_reused_for_another_text_is_422(customer, company, dsu):
    case = CaseFactory(company=company, opened_by=dsu)
    url = reverse("case-comments", args=[case.pk])
    first = customer.post(url, {"body": "First"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    replay = customer.post(url, {"body": "First"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    other = customer.post(url, {"body": "Second"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")

    assert (first.status_code, replay.status_code) == (201, 200)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Comment.objects.filter(case=case).count() == 1


def test_a_key_stored_before_fingerprints_still_replays(customer, company, dsu):
    """Records written before fingerprints existed hold none: they answer as before (the first result)."""
    payload = _create_payload(company)
    first = customer.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(request_fingerprint="")
    again = customer.post(
        reverse("case-list"), {**payload, "subject": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )

    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


# --- Ordering, cursors, filters ---------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["subject", "-created_at,password", "created_at,", "-"])
def test_an_unknown_ordering_is_400_with_the_allowed_fields(customer, ordering):
    response = customer.get(reverse("case-list"), {"ordering": ordering})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_ordering"
    assert body["allowed"] == ["created_at", "updated_at", "priority", "status_changed_at"]


def test_a_known_ordering_orders(customer, company, dsu):
    low, high = (
        CaseFactory(company=company, opened_by=dsu, priority="P3"),
        CaseFactory(company=company, opened_by=dsu, priority="P1"),
    )
    ids = [
        row["id"]
        for row in customer.get(reverse("case-list"), {"ordering": "priority,-created_at"}).json()["results"]
    ]

    assert ids == [high.pk, low.pk]


@pytest.mark.parametrize("name", ["created_after", "created_before", "updated_after", "updated_before"])
def test_an_invalid_instant_filter_has_a_code_for_its_field(customer, name):
    response = customer.get(reverse("case-list"), {name: "yesterday"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"][name] == [
        {
            "code": "invalid",
            "message": "Enter an RFC 3339 date-time with an offset, e.g. 2026-06-01T09:00:00Z.",
        }
    ]


def test_a_cursor_walks_two_pages_and_a_bad_one_is_400(customer, company, dsu):
    for _ in range(3):
        CaseFactory(company=company, opened_by=dsu)
    first = customer.get(reverse("case-list"), {"page_size": 2}).json()
    second = customer.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1
    bad = customer.get(reverse("case-list"), {"cursor": "bz14JnA9MjAyNg=="})  # base64 of "o=x&p=2026"
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


# --- ETag on case detail ----------------------------------------------------------------------------


def test_case_detail_answers_304_to_its_own_etag_until_the_case_changes(customer, company, dsu):
    case = CaseFactory(company=company, opened_by=dsu, status=CaseStatus.OPEN)
    url = reverse("case-detail", args=[case.pk])
    first = customer.get(url)
    etag = first["ETag"]

    unchanged = customer.get(url, HTTP_IF_NONE_MATCH=etag)
    strong_form = customer.get(url, HTTP_IF_NONE_MATCH=etag.removeprefix("W/"))
    other = customer.get(url, HTTP_IF_NONE_MATCH='W/"something-else"')
    customer.post(reverse("case-comments", args=[case.pk]), {"body": "More detail"}, format="json")
    changed = customer.get(url, HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('W/"')
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    assert strong_form.status_code == 304
    assert other.status_code == 200
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_etag_differs_for_callers_who_read_the_case_differently(api_client, company, dsu):
    """The same case, read by its customer and by support: different transitions, different tags."""
    case = CaseFactory(company=company, opened_by=dsu, status=CaseStatus.OPEN)
    url = reverse("case-detail", args=[case.pk])
    api_client.force_authenticate(dsu)
    customer_tag = api_client.get(url)["ETag"]
    api_client.force_authenticate(AnalystFactory())

    assert api_client.get(url, HTTP_IF_NONE_MATCH=customer_tag).status_code == 200


# --- JSON bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("application/x-www-form-urlencoded", "body=hello"),
        (
            "multipart/form-data; boundary=BoUnDaRy",
            '--BoUnDaRy\r\nContent-Disposition: form-data; name="body"\r\n\r\nhello\r\n--BoUnDaRy--\r\n',
        ),
        ("text/plain", "hello"),
    ],
)
def test_a_json_endpoint_refuses_forms_with_415(customer, company, dsu, content_type, body):
    case = CaseFactory(company=company, opened_by=dsu)

    response = customer.generic(
        "POST", reverse("case-comments", args=[case.pk]), body, content_type=content_type
    )

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert not Comment.objects.filter(case=case).exists()


def test_the_upload_refuses_json_with_415(customer, company, dsu):
    case = CaseFactory(company=company, opened_by=dsu)

    response = customer.post(reverse("case-attachments", args=[case.pk]), {"file": "x"}, format="json")

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")


def test_a_session_posts_json_with_its_csrf_token(company, dsu):
    """The admin's session works against the API with JSON and the CSRF token, as a browser app would."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(dsu)
    case = CaseFactory(company=company, opened_by=dsu)
    url = reverse("case-comments", args=[case.pk])
    client.get(reverse("me"))  # a page that sets no cookie: the token comes from Django's middleware
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    refused = client.post(url, {"body": "No token"}, format="json")
    accepted = client.post(
        url, {"body": "With token"}, format="json", HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret)
    )

    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert accepted.status_code == 201
