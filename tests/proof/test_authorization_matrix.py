"""The authorisation matrix: every object endpoint × actor × object → the status the API answers.

The expected table below is the policy, written by hand. The test runs every cell against the
real API (each cell in a savepoint that is rolled back, so cells never see each other's writes),
asserts the answers, and writes the table to docs/authorization.md for readers.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import AuthorizationRequest, Membership
from cases.models import Case, CaseFollower, Comment
from cases.services import attachment_add, comment_create
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    SupportManagerFactory,
    USCompanyFactory,
    member,
    partner_user,
)

ACTORS = [
    "anonymous",
    "us_member",
    "us_dsu",
    "us_manager",
    "fr_member",
    "other_dsu",
    "partner_serving",
    "partner_not_serving",
    "analyst",
    "support_manager",
]

# operation → one expected answer per actor, in ACTORS order. "US" objects belong to the US company
# (Acme); the FR case belongs to the French company, where fr_member works and opened it (the FR
# colleague's case was opened by someone else there). "internal" shows whether the internal note is
# in the comment list the caller gets.
EXPECTED: dict[str, list[object]] = {
    "GET US case": [401, 200, 200, 200, 404, 404, 200, 404, 200, 200],
    "GET FR case": [401, 404, 404, 404, 200, 404, 404, 404, 200, 200],
    "GET US case comments (internal note shown?)": [
        401,
        "hidden",
        "hidden",
        "hidden",
        404,
        404,
        "hidden",
        404,
        "shown",
        "shown",
    ],
    "POST comment on US case": [401, 201, 201, 201, 404, 404, 201, 404, 201, 201],
    "POST transition start on US case": [401, 403, 403, 403, 404, 404, 403, 404, 200, 200],
    "POST open a case for the US company": [401, 403, 201, 201, 404, 404, 201, 404, 201, 201],
    "GET US attachment download": [401, 200, 200, 200, 404, 404, 200, 404, 200, 200],
    "GET US internal-note attachment download": [401, 404, 404, 404, 404, 404, 404, 404, 200, 200],
    # The request: us_member asks to become a DSU. Members see what they asked or are about.
    "GET US authorisation request": [401, 200, 404, 200, 404, 404, 404, 404, 200, 200],
    "POST approve US authorisation request": [401, 403, 404, 200, 404, 404, 404, 404, 403, 200],
    # Following: whoever may open the company's cases (US: DSUs and managers; elsewhere any active
    # member; serving partners), never staff. us_dsu opened the US case: it is always told (409).
    "POST follow US case": [401, 403, 409, 201, 404, 404, 201, 404, 403, 403],
    "DELETE follow US case": [401, 204, 409, 204, 404, 404, 204, 404, 204, 204],
    "POST follow FR colleague's case": [401, 404, 404, 404, 201, 404, 404, 404, 403, 403],
}


class _Rollback(Exception):
    pass


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    us = USCompanyFactory(domain="acme.test")
    fr = CompanyFactory(domain="bouquet.test")
    other = CompanyFactory(domain="other.test")
    instance = ProductInstanceFactory(company=us)
    people = {
        "us_member": member(us),
        "us_dsu": member(us, role=Membership.Role.DSU),
        "us_manager": member(us, role=Membership.Role.MANAGER),
        "fr_member": member(fr),
        "other_dsu": member(other, role=Membership.Role.DSU),
        "partner_serving": partner_user(PartnerEstablishmentFactory(clients=[us])),
        "partner_not_serving": partner_user(PartnerEstablishmentFactory(clients=[other])),
        "analyst": AnalystFactory(),
        "support_manager": SupportManagerFactory(),
    }
    us_case = CaseFactory(company=us, product_instance=instance, opened_by=people["us_dsu"])
    fr_case = CaseFactory(company=fr, opened_by=people["fr_member"])
    fr_colleague_case = CaseFactory(company=fr, opened_by=member(fr))
    comment_create(case=us_case, author=people["analyst"], body="internal note", is_internal=True)
    internal = Comment.objects.get(case=us_case, is_internal=True)
    public_file = attachment_add(
        case=us_case, uploaded_by=people["us_dsu"], upload=SimpleUploadedFile("app.log", b"ERROR")
    )
    internal_file = attachment_add(
        case=us_case,
        uploaded_by=people["analyst"],
        upload=SimpleUploadedFile("notes.txt", b"x"),
        comment=internal,
    )
    request = AuthorizationRequest.objects.create(
        company=us,
        kind=AuthorizationRequest.Kind.NEW_DSU,
        requested_role="dsu",
        subject_user=people["us_member"],
        requested_by=people["us_member"],
        created_at=us_case.created_at,
        expires_at=us_case.created_at + timedelta(days=14),
    )
    return {
        "people": people,
        "us": us,
        "instance": instance,
        "us_case": us_case,
        "fr_case": fr_case,
        "fr_colleague_case": fr_colleague_case,
        "public_file": public_file,
        "internal_file": internal_file,
        "request": request,
    }


def _call(client: APIClient, operation: str, w: dict) -> object:
    us_case, fr_case = w["us_case"], w["fr_case"]
    if operation == "GET US case":
        return client.get(f"/api/v1/cases/{us_case.pk}/").status_code
    if operation == "GET FR case":
        return client.get(f"/api/v1/cases/{fr_case.pk}/").status_code
    if operation.startswith("GET US case comments"):
        response = client.get(f"/api/v1/cases/{us_case.pk}/comments/")
        if response.status_code != 200:
            return response.status_code
        bodies = [c["body"] for c in response.json()["results"]]
        return "shown" if "internal note" in bodies else "hidden"
    if operation == "POST comment on US case":
        return client.post(
            f"/api/v1/cases/{us_case.pk}/comments/", {"body": "hello"}, format="json"
        ).status_code
    if operation == "POST transition start on US case":
        return client.post(
            f"/api/v1/cases/{us_case.pk}/transitions/", {"transition": "start"}, format="json"
        ).status_code
    if operation == "POST open a case for the US company":
        payload = {
            "company": w["us"].pk,
            "product_instance": w["instance"].pk,
            "subject": "Matrix",
            "problem_summary": "Matrix",
            "reason": us_case.reason.code,
            "application_area": us_case.application_area.code,
            "business_impact_scope": "group",
            "business_impact": "low",
        }
        return client.post("/api/v1/cases/", payload, format="json").status_code
    if operation == "GET US attachment download":
        return client.get(
            f"/api/v1/cases/{us_case.pk}/attachments/{w['public_file'].pk}/download/"
        ).status_code
    if operation == "GET US internal-note attachment download":
        return client.get(
            f"/api/v1/cases/{us_case.pk}/attachments/{w['internal_file'].pk}/download/"
        ).status_code
    if operation == "GET US authorisation request":
        return client.get(f"/api/v1/authorization-requests/{w['request'].pk}/").status_code
    if operation == "POST approve US authorisation request":
        return client.post(f"/api/v1/authorization-requests/{w['request'].pk}/approve/").status_code
    if operation == "POST follow US case":
        return client.post(f"/api/v1/cases/{us_case.pk}/follow/").status_code
    if operation == "DELETE follow US case":
        return client.delete(f"/api/v1/cases/{us_case.pk}/follow/").status_code
    if operation == "POST follow FR colleague's case":
        return client.post(f"/api/v1/cases/{w['fr_colleague_case'].pk}/follow/").status_code
    raise AssertionError(operation)


def _write_table(results: dict[str, list[object]]) -> None:
    lines = [
        "# Authorisation matrix",
        "",
        "Written by `tests/proof/test_authorization_matrix.py` from the answers the API gave; the test fails",
        "if any answer differs from the policy written in it. US objects belong to a US company (Acme);",
        "the FR cases to a French company. Another company's objects are never visible: 404, not 403.",
        "",
        "| operation | " + " | ".join(ACTORS) + " |",
        "| --- | " + " | ".join("---" for _ in ACTORS) + " |",
    ]
    lines += [
        f"| {operation} | " + " | ".join(str(v) for v in row) + " |" for operation, row in results.items()
    ]
    target = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"
    target.write_text("\n".join(lines) + "\n")


@pytest.mark.django_db
def test_authorization_matrix(world):
    results: dict[str, list[object]] = {}
    for operation in EXPECTED:
        row = []
        for actor in ACTORS:
            client = APIClient()
            if actor != "anonymous":
                client.force_authenticate(world["people"][actor])
            answer: object = None
            try:
                with transaction.atomic():
                    answer = _call(client, operation, world)
                    raise _Rollback
            except _Rollback:
                pass
            row.append(answer)
        results[operation] = row

    mismatches = [
        f"{operation} / {actor}: expected {want}, got {got}"
        for operation, row in results.items()
        for actor, want, got in zip(ACTORS, EXPECTED[operation], row, strict=True)
        if want != got
    ]
    assert not mismatches, "\n".join(mismatches)
    _write_table(results)
    assert Case.objects.count() == 3  # every cell was rolled back
    assert not CaseFollower.objects.exists()
