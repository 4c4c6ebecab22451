"""The authorisation matrix: every case endpoint that reads or writes × actor × object → the answer.

The expected table below is the policy, written by hand. The test runs every cell against the
real API (each cell in a savepoint that is rolled back, so cells never see each other's writes),
asserts the answers, and writes the table to docs/authorization.md for readers.

An answer is the status code; a refusal other than 401 and 404 adds its ``code`` (and the
``reason`` a follow refusal carries), so the table shows which rule said no.
"""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient

from accounts.models import AuthorizationRequest, Membership
from cases.models import Attachment, Case, CaseEvent, CaseFollower, CaseStatus, Comment, EscalationRequest
from cases.services import attachment_add, comment_create, escalation_request
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
    "us_pending_dsu",
    "us_dsu",
    "us_manager",
    "fr_member",
    "other_dsu",
    "partner_serving",
    "partner_sibling",
    "partner_stranger",
    "analyst",
    "support_manager",
]

# The actors: a US company (Acme) with a plain member, a DSU waiting for validation, a DSU (who
# opened every US case) and a manager; a member of a French company; a DSU of a third company; a
# user of the partner establishment that serves Acme, one of a sibling establishment of the same
# partner that serves only the third company (it reads Acme's cases across the partner, it does
# not act for Acme), and one of another partner; an analyst and a support manager.
#
# The rule for every customer-side write (README "Who may do what"): only people the company
# authorised act for it. In the US an active DSU or manager, elsewhere any active member, and users
# of a partner establishment that serves the company. Reading is wider: a US member reads the
# company's cases; a sibling establishment reads them across the partner.
DSU = "403 dsu_required"
NOT_SERVING = "403 partner_not_serving_company"
SUPPORT_ONLY = "403 support_only"
OTHER_SIDE = "403 transition_not_allowed"
NO_INTERNAL = "403 internal_comment_forbidden"
CUSTOMER_ONLY = "403 customer_only"
MANAGER_REVIEWS = "403 support_manager_required"
NOT_MANAGER = "403 not_company_manager"
NO_FOLLOW = "403 follow_not_allowed"
TOLD = "409 always_notified"
NONE = "none"

EXPECTED: dict[str, list[object]] = {
    # --- reading ----------------------------------------------------------------------------------
    "GET US case": [401, 200, 404, 200, 200, 404, 404, 200, 200, 404, 200, 200],
    "GET FR case": [401, 404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 200],
    "GET cases (US case listed?)": [
        *(401, "listed", "not listed", "listed", "listed", "not listed", "not listed"),
        *("listed", "not listed", "not listed", "listed", "listed"),
    ],
    "GET cases ?scope=partner (US case listed?)": [
        *(401, "listed", "not listed", "listed", "listed", "not listed", "not listed"),
        *("listed", "listed", "not listed", "listed", "listed"),
    ],
    "GET US case comments (internal note shown?)": [
        *(401, "hidden", 404, "hidden", "hidden", 404, 404),
        *("hidden", "hidden", 404, "shown", "shown"),
    ],
    "GET US attachment download": [401, 200, 404, 200, 200, 404, 404, 200, 200, 404, 200, 200],
    "GET US internal-note attachment download": [401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 200],
    # What the case detail offers the caller agrees with what a transition answers below.
    "GET US pending_customer case: available transitions": [
        *(401, NONE, 404, "respond", "respond", 404, 404),
        *("respond", NONE, 404, NONE, NONE),
    ],
    "GET US verify_resolution case: available transitions": [
        *(401, NONE, 404, "confirm_resolution reject_resolution", "confirm_resolution reject_resolution"),
        *(404, 404, "confirm_resolution reject_resolution", NONE, 404, NONE, NONE),
    ],
    "GET US closed case: available transitions": [
        *(401, NONE, 404, "reopen", "reopen", 404, 404),
        *("reopen", NONE, 404, NONE, "reopen"),
    ],
    # --- writing on a case -------------------------------------------------------------------------
    "POST public comment on US case": [401, DSU, 404, 201, 201, 404, 404, 201, NOT_SERVING, 404, 201, 201],
    "POST internal note on US case": [
        *(401, NO_INTERNAL, 404, NO_INTERNAL, NO_INTERNAL, 404, 404),
        *(NO_INTERNAL, NO_INTERNAL, 404, 201, 201),
    ],
    "POST attachment upload on US case": [401, DSU, 404, 201, 201, 404, 404, 201, NOT_SERVING, 404, 201, 201],
    "POST escalation request on US case": [
        *(401, DSU, 404, 201, 201, 404, 404),
        *(201, NOT_SERVING, 404, CUSTOMER_ONLY, CUSTOMER_ONLY),
    ],
    "POST accept US escalation": [
        *(401, MANAGER_REVIEWS, 404, MANAGER_REVIEWS, MANAGER_REVIEWS, 404, 404),
        *(MANAGER_REVIEWS, MANAGER_REVIEWS, 404, MANAGER_REVIEWS, 200),
    ],
    "POST decline US escalation": [
        *(401, MANAGER_REVIEWS, 404, MANAGER_REVIEWS, MANAGER_REVIEWS, 404, 404),
        *(MANAGER_REVIEWS, MANAGER_REVIEWS, 404, MANAGER_REVIEWS, 200),
    ],
    "POST transition start on US open case (support)": [
        *(401, DSU, 404, OTHER_SIDE, OTHER_SIDE, 404, 404),
        *(OTHER_SIDE, NOT_SERVING, 404, 200, 200),
    ],
    "POST transition propose_resolution on US in_progress case (support)": [
        *(401, DSU, 404, OTHER_SIDE, OTHER_SIDE, 404, 404),
        *(OTHER_SIDE, NOT_SERVING, 404, 200, 200),
    ],
    "POST transition respond on US pending_customer case": [
        *(401, DSU, 404, 200, 200, 404, 404),
        *(200, NOT_SERVING, 404, OTHER_SIDE, OTHER_SIDE),
    ],
    "POST transition confirm_resolution on US verify_resolution case": [
        *(401, DSU, 404, 200, 200, 404, 404),
        *(200, NOT_SERVING, 404, OTHER_SIDE, OTHER_SIDE),
    ],
    "POST transition reject_resolution on US verify_resolution case": [
        *(401, DSU, 404, 200, 200, 404, 404),
        *(200, NOT_SERVING, 404, OTHER_SIDE, OTHER_SIDE),
    ],
    "POST transition reopen on US case closed yesterday": [
        *(401, DSU, 404, 200, 200, 404, 404),
        *(200, NOT_SERVING, 404, OTHER_SIDE, 200),
    ],
    # Following: the same rule, refused as follow_not_allowed with the rule's code as reason; never
    # staff. us_dsu opened the US case: it is always told (409). Unfollowing contacts nobody:
    # whoever sees the case may stop.
    "POST follow US case": [
        *(401, f"{NO_FOLLOW} (dsu_required)", 404, TOLD, 201, 404, 404),
        *(201, f"{NO_FOLLOW} (partner_not_serving_company)", 404),
        *(f"{NO_FOLLOW} (support_staff)", f"{NO_FOLLOW} (support_staff)"),
    ],
    "DELETE follow US case": [401, 204, 404, TOLD, 204, 404, 404, 204, 204, 404, 204, 204],
    "POST follow FR colleague's case": [
        *(401, 404, 404, 404, 404, 201, 404, 404, 404, 404),
        *(f"{NO_FOLLOW} (support_staff)", f"{NO_FOLLOW} (support_staff)"),
    ],
    "POST priority override on US case": [
        *(401, SUPPORT_ONLY, 404, SUPPORT_ONLY, SUPPORT_ONLY, 404, 404),
        *(SUPPORT_ONLY, SUPPORT_ONLY, 404, 200, 200),
    ],
    "POST assign US case": [
        *(401, SUPPORT_ONLY, 404, SUPPORT_ONLY, SUPPORT_ONLY, 404, 404),
        *(SUPPORT_ONLY, SUPPORT_ONLY, 404, 200, 200),
    ],
    # A request raised from a case is a public comment on it: the acting rule, then the request's
    # own (only the company's members ask, so a serving partner is refused by that one).
    "POST authorisation request from US case": [
        *(401, DSU, 404, 201, 201, 404, 404),
        *("403 not_company_member", NOT_SERVING, 404, 201, 201),
    ],
    "POST open a case for the US company": [
        401,
        DSU,
        404,
        201,
        201,
        404,
        404,
        201,
        NOT_SERVING,
        404,
        201,
        201,
    ],
    # --- the company's people ---------------------------------------------------------------------
    # The request: us_member asks to become a DSU. Members see what they asked or are about.
    "GET US authorisation request": [401, 200, 404, 404, 200, 404, 404, 404, 404, 404, 200, 200],
    "POST approve US authorisation request": [
        *(401, NOT_MANAGER, 404, 404, 200, 404, 404, 404, 404, 404, NOT_MANAGER, 200),
    ],
}


class _Rollback(Exception):
    pass


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    us = USCompanyFactory(domain="acme.test")
    fr = CompanyFactory(domain="bouquet.test")
    other = CompanyFactory(domain="other.test")
    instance = ProductInstanceFactory(company=us)
    serving = PartnerEstablishmentFactory(clients=[us])
    people = {
        "us_member": member(us),
        "us_pending_dsu": member(us, role=Membership.Role.DSU, status=Membership.Status.PENDING),
        "us_dsu": member(us, role=Membership.Role.DSU),
        "us_manager": member(us, role=Membership.Role.MANAGER),
        "fr_member": member(fr),
        "other_dsu": member(other, role=Membership.Role.DSU),
        "partner_serving": partner_user(serving),
        "partner_sibling": partner_user(
            PartnerEstablishmentFactory(partner=serving.partner, clients=[other])
        ),
        "partner_stranger": partner_user(PartnerEstablishmentFactory(clients=[other])),
        "analyst": AnalystFactory(),
        "support_manager": SupportManagerFactory(),
    }

    def us_case(status: str, **fields: Any) -> Case:
        return CaseFactory(
            company=us, product_instance=instance, opened_by=people["us_dsu"], status=status, **fields
        )

    cases = {
        "open": us_case(CaseStatus.OPEN),
        "in_progress": us_case(CaseStatus.IN_PROGRESS, assignee=people["analyst"]),
        "pending_customer": us_case(CaseStatus.PENDING_CUSTOMER, assignee=people["analyst"]),
        "verify_resolution": us_case(
            CaseStatus.VERIFY_RESOLUTION, assignee=people["analyst"], auto_close_at=now + timedelta(days=9)
        ),
        "closed": us_case(CaseStatus.CLOSED, assignee=people["analyst"], closed_at=now - timedelta(days=1)),
        "fr": CaseFactory(company=fr, opened_by=people["fr_member"]),
        "fr_colleague": CaseFactory(company=fr, opened_by=member(fr)),
    }
    us_open = cases["open"]
    comment_create(case=us_open, author=people["analyst"], body="internal note", is_internal=True)
    internal = Comment.objects.get(case=us_open, is_internal=True)
    public_file = attachment_add(
        case=us_open, uploaded_by=people["us_dsu"], upload=SimpleUploadedFile("app.log", b"ERROR")
    )
    internal_file = attachment_add(
        case=us_open,
        uploaded_by=people["analyst"],
        upload=SimpleUploadedFile("notes.txt", b"x"),
        comment=internal,
    )
    escalation = escalation_request(
        case=cases["in_progress"], requested_by=people["us_dsu"], message="Production is down."
    )
    request = AuthorizationRequest.objects.create(
        company=us,
        kind=AuthorizationRequest.Kind.NEW_DSU,
        requested_role="dsu",
        subject_user=people["us_member"],
        requested_by=people["us_member"],
        created_at=now,
        expires_at=now + timedelta(days=14),
    )
    return {
        "people": people,
        "us": us,
        "instance": instance,
        "cases": cases,
        "us_colleague": member(us),  # the subject of a request raised from a case
        "public_file": public_file,
        "internal_file": internal_file,
        "escalation": escalation,
        "request": request,
    }


def _answer(response: Response) -> object:
    if response.status_code < 300 or response.status_code in (401, 404):
        return response.status_code
    body = response.json()
    reason = f" ({body['reason']})" if "reason" in body else ""
    return f"{response.status_code} {body['code']}{reason}"


def _case_url(w: dict[str, Any], which: str, tail: str = "") -> str:
    return f"/api/v1/cases/{w['cases'][which].pk}/{tail}"


def _listed(client: APIClient, w: dict[str, Any], params: dict[str, str]) -> object:
    response = client.get("/api/v1/cases/", {"page_size": 100, **params})
    if response.status_code != 200:
        return response.status_code
    ids = {row["id"] for row in response.json()["results"]}
    return "listed" if w["cases"]["open"].pk in ids else "not listed"


def _comments(client: APIClient, w: dict[str, Any]) -> object:
    response = client.get(_case_url(w, "open", "comments/"))
    if response.status_code != 200:
        return response.status_code
    bodies = [c["body"] for c in response.json()["results"]]
    return "shown" if "internal note" in bodies else "hidden"


def _available(client: APIClient, w: dict[str, Any], which: str) -> object:
    response = client.get(_case_url(w, which))
    if response.status_code != 200:
        return response.status_code
    return " ".join(t["name"] for t in response.json()["available_transitions"]) or NONE


def _transition(client: APIClient, w: dict[str, Any], which: str, name: str, **fields: str) -> object:
    return _answer(
        client.post(_case_url(w, which, "transitions/"), {"transition": name, **fields}, format="json")
    )


def _open_case(client: APIClient, w: dict[str, Any]) -> object:
    template = w["cases"]["open"]
    payload = {
        "company": w["us"].pk,
        "product_instance": w["instance"].pk,
        "subject": "Matrix",
        "problem_summary": "Matrix",
        "reason": template.reason.code,
        "application_area": template.application_area.code,
        "business_impact_scope": "group",
        "business_impact": "low",
    }
    return _answer(client.post("/api/v1/cases/", payload, format="json"))


def _escalation_url(w: dict[str, Any], decision: str) -> str:
    return _case_url(w, "in_progress", f"escalations/{w['escalation'].pk}/{decision}/")


Operation = Callable[[APIClient, dict[str, Any]], object]

OPERATIONS: dict[str, Operation] = {
    "GET US case": lambda c, w: c.get(_case_url(w, "open")).status_code,
    "GET FR case": lambda c, w: c.get(_case_url(w, "fr")).status_code,
    "GET cases (US case listed?)": lambda c, w: _listed(c, w, {}),
    "GET cases ?scope=partner (US case listed?)": lambda c, w: _listed(c, w, {"scope": "partner"}),
    "GET US case comments (internal note shown?)": _comments,
    "GET US attachment download": lambda c, w: (
        c.get(_case_url(w, "open", f"attachments/{w['public_file'].pk}/download/")).status_code
    ),
    "GET US internal-note attachment download": lambda c, w: (
        c.get(_case_url(w, "open", f"attachments/{w['internal_file'].pk}/download/")).status_code
    ),
    "GET US pending_customer case: available transitions": lambda c, w: _available(c, w, "pending_customer"),
    "GET US verify_resolution case: available transitions": lambda c, w: _available(
        c, w, "verify_resolution"
    ),
    "GET US closed case: available transitions": lambda c, w: _available(c, w, "closed"),
    "POST public comment on US case": lambda c, w: _answer(
        c.post(_case_url(w, "open", "comments/"), {"body": "hello"}, format="json")
    ),
    "POST internal note on US case": lambda c, w: _answer(
        c.post(_case_url(w, "open", "comments/"), {"body": "note", "is_internal": True}, format="json")
    ),
    "POST attachment upload on US case": lambda c, w: _answer(
        c.post(
            _case_url(w, "open", "attachments/"),
            {"file": SimpleUploadedFile("more.log", b"ERROR again")},
            format="multipart",
        )
    ),
    "POST escalation request on US case": lambda c, w: _answer(
        c.post(_case_url(w, "open", "escalations/"), {"message": "Please escalate."}, format="json")
    ),
    "POST accept US escalation": lambda c, w: _answer(
        c.post(_escalation_url(w, "accept"), {"reason": "Outage."}, format="json")
    ),
    "POST decline US escalation": lambda c, w: _answer(
        c.post(_escalation_url(w, "decline"), {"reason": "Being worked."}, format="json")
    ),
    "POST transition start on US open case (support)": lambda c, w: _transition(c, w, "open", "start"),
    "POST transition propose_resolution on US in_progress case (support)": lambda c, w: _transition(
        c, w, "in_progress", "propose_resolution", resolution="Fixed in 24.3."
    ),
    "POST transition respond on US pending_customer case": lambda c, w: _transition(
        c, w, "pending_customer", "respond", message="Here are the logs."
    ),
    "POST transition confirm_resolution on US verify_resolution case": lambda c, w: _transition(
        c, w, "verify_resolution", "confirm_resolution"
    ),
    "POST transition reject_resolution on US verify_resolution case": lambda c, w: _transition(
        c, w, "verify_resolution", "reject_resolution", message="Still failing."
    ),
    "POST transition reopen on US case closed yesterday": lambda c, w: _transition(c, w, "closed", "reopen"),
    "POST follow US case": lambda c, w: _answer(c.post(_case_url(w, "open", "follow/"))),
    "DELETE follow US case": lambda c, w: _answer(c.delete(_case_url(w, "open", "follow/"))),
    "POST follow FR colleague's case": lambda c, w: _answer(c.post(_case_url(w, "fr_colleague", "follow/"))),
    "POST priority override on US case": lambda c, w: _answer(
        c.post(_case_url(w, "open", "priority/"), {"priority": "P1", "reason": "Outage."}, format="json")
    ),
    "POST assign US case": lambda c, w: _answer(
        c.post(_case_url(w, "open", "assign/"), {"assignee": w["people"]["analyst"].pk}, format="json")
    ),
    "POST authorisation request from US case": lambda c, w: _answer(
        c.post(
            "/api/v1/authorization-requests/",
            {"kind": "new_dsu", "subject_user": w["us_colleague"].pk, "case": w["cases"]["open"].pk},
            format="json",
        )
    ),
    "POST open a case for the US company": _open_case,
    "GET US authorisation request": lambda c, w: (
        c.get(f"/api/v1/authorization-requests/{w['request'].pk}/").status_code
    ),
    "POST approve US authorisation request": lambda c, w: _answer(
        c.post(f"/api/v1/authorization-requests/{w['request'].pk}/approve/")
    ),
}


def _write_table(results: dict[str, list[object]]) -> None:
    lines = [
        "# Authorisation matrix",
        "",
        "Written by `tests/proof/test_authorization_matrix.py` from the answers the API gave; the test fails",
        "if any answer differs from the policy written in it. US objects belong to a US company (Acme),",
        "every US case opened by `us_dsu`; the FR cases belong to a French company. A refusal shows its",
        "`code` (a follow refusal also its `reason`). Another company's objects are never visible: 404, not 403.",
        "",
        "Who acts for a company (every customer-side write: comment, upload, escalation request, customer",
        "transitions, follow, a request raised from a case, opening a case): in the US an active DSU or",
        "manager (`dsu_required` otherwise), elsewhere any active member, and users of a partner",
        "establishment that serves the company (`partner_not_serving_company` for its sibling",
        "establishments, which read the company's cases across the partner). Pending or disabled members",
        "see nothing (`membership_inactive` where they reach a check). Staff are governed by their own checks.",
        "",
        "Actors: `us_member` (plain member), `us_pending_dsu` (waiting for validation), `us_dsu`,",
        "`us_manager`; `fr_member`; `other_dsu` (a third company); `partner_serving` (its establishment",
        "serves Acme), `partner_sibling` (another establishment of the same partner, serving only the third",
        "company), `partner_stranger` (another partner); `analyst`, `support_manager`.",
        "",
        "| operation | " + " | ".join(ACTORS) + " |",
        "| --- | " + " | ".join("---" for _ in ACTORS) + " |",
    ]
    lines += [
        f"| {operation} | " + " | ".join(str(v) for v in row) + " |" for operation, row in results.items()
    ]
    target = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"
    target.write_text("\n".join(lines) + "\n")


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Case,
            Comment,
            Attachment,
            CaseEvent,
            CaseFollower,
            EscalationRequest,
            AuthorizationRequest,
        )
    )


def test_every_operation_has_a_policy_row():
    assert list(OPERATIONS) == list(EXPECTED)
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


@pytest.mark.django_db
def test_authorization_matrix(world):
    before = _counts()
    statuses = {name: case.status for name, case in world["cases"].items()}
    results: dict[str, list[object]] = {}
    for operation, call in OPERATIONS.items():
        row = []
        for actor in ACTORS:
            client = APIClient()
            if actor != "anonymous":
                client.force_authenticate(world["people"][actor])
            answer: object = None
            try:
                with transaction.atomic():
                    answer = call(client, world)
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
    assert _counts() == before  # every cell was rolled back
    assert {name: Case.objects.get(pk=case.pk).status for name, case in world["cases"].items()} == statuses
