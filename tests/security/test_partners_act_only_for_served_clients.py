"""A partner user acts for a client company (comments, uploads, escalations, moves of its cases,
follows, new cases) only when its own establishment serves that client. Its sibling establishments
read the client's cases across the partner (``?scope=partner``, 001) and act for none of them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, User
from cases.models import CaseEvent, CaseStatus, Comment
from cases.selectors import case_get_for_user
from cases.services import attachment_add, case_follow, case_transition, comment_create, escalation_request
from core.errors import ApplicationError
from tests.factories import (
    AnalystFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    USCompanyFactory,
    member,
    partner_user,
)
from tests.security.customer_writes import WRITES, case_in, footprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def valley():
    """A client served by the partner's West establishment; East, a sibling, serves another company."""
    client = CompanyFactory(country="GB", time_zone="Europe/London")
    west = PartnerEstablishmentFactory(clients=[client])
    east = PartnerEstablishmentFactory(partner=west.partner, clients=[CompanyFactory()])
    return {
        "client": client,
        "west": west,
        "serving": partner_user(west),
        "sibling": partner_user(east),
        "opener": member(client, role=Membership.Role.DSU),
        "analyst": AnalystFactory(),
    }


def _case(valley, status):
    return case_in(status, company=valley["client"], opened_by=valley["opener"], assignee=valley["analyst"])


def test_a_sibling_establishment_cannot_reject_the_clients_resolution(api_client, valley):
    case = _case(valley, CaseStatus.VERIFY_RESOLUTION)
    before = footprint(case)
    api_client.force_authenticate(valley["sibling"])

    response = api_client.post(
        reverse("case-transition", args=[case.pk]),
        {"transition": "reject_resolution", "message": "Not fixed."},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (403, "partner_not_serving_company")
    assert valley["client"].name in response.json()["detail"]
    assert footprint(case) == before
    assert case.status == CaseStatus.VERIFY_RESOLUTION and case.auto_close_at is not None
    assert not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize("write", list(WRITES))
def test_a_sibling_establishment_acts_in_no_way(api_client, settings, tmp_path, valley, write):
    settings.MEDIA_ROOT = tmp_path
    case = _case(valley, WRITES[write].status)
    before = footprint(case)
    api_client.force_authenticate(valley["sibling"])

    response = WRITES[write].call(api_client, case, valley["client"], member(valley["client"]))

    body = response.json()
    assert response.status_code == 403, body
    assert (body["code"], body.get("reason")) in {
        ("partner_not_serving_company", None),
        ("follow_not_allowed", "partner_not_serving_company"),
    }
    assert footprint(case) == before


# Authorisation requests are the company members' own: a serving partner gets past the acting rule
# and is refused by that one.
SERVING_REFUSED = {"authorisation request from the case": "not_company_member"}


@pytest.mark.parametrize("write", list(WRITES))
def test_the_serving_establishment_acts(api_client, settings, tmp_path, valley, write):
    settings.MEDIA_ROOT = tmp_path
    case = _case(valley, WRITES[write].status)
    before = footprint(case)
    api_client.force_authenticate(valley["serving"])

    response = WRITES[write].call(api_client, case, valley["client"], member(valley["client"]))

    if write in SERVING_REFUSED:
        assert (response.status_code, response.json()["code"]) == (403, SERVING_REFUSED[write])
        assert footprint(case) == before
    else:
        assert response.status_code == WRITES[write].success, response.json()
        assert footprint(case) != before


def test_a_partner_acts_for_a_served_us_client_without_being_its_dsu(api_client):
    us = USCompanyFactory()
    partner = partner_user(PartnerEstablishmentFactory(clients=[us]))
    case = case_in(
        CaseStatus.VERIFY_RESOLUTION, company=us, opened_by=member(us, role="dsu"), assignee=AnalystFactory()
    )
    api_client.force_authenticate(partner)

    response = api_client.post(
        reverse("case-transition", args=[case.pk]), {"transition": "confirm_resolution"}, format="json"
    )

    assert (response.status_code, response.json()["status"]) == (200, CaseStatus.CLOSED)


def test_a_sibling_still_reads_across_the_partner_and_is_offered_no_move(api_client, valley):
    case = _case(valley, CaseStatus.VERIFY_RESOLUTION)

    def reads(user):
        api_client.force_authenticate(user)
        own = [row["id"] for row in api_client.get(reverse("case-list")).json()["results"]]
        wide = [
            row["id"] for row in api_client.get(reverse("case-list"), {"scope": "partner"}).json()["results"]
        ]
        detail = api_client.get(reverse("case-detail", args=[case.pk]))
        offered = [t["name"] for t in detail.json()["available_transitions"]]
        return own, wide, detail.status_code, offered

    assert reads(valley["sibling"]) == ([], [case.pk], 200, [])
    assert reads(valley["serving"]) == (
        [case.pk],
        [case.pk],
        200,
        ["confirm_resolution", "reject_resolution"],
    )


def test_an_establishment_that_stops_serving_is_refused_at_the_moment_of_use(settings, tmp_path, valley):
    """The partner read the case while its establishment served the client; the relation ends before
    it writes: every service checks again inside its transaction."""
    settings.MEDIA_ROOT = tmp_path
    partner = valley["serving"]
    verify = case_get_for_user(user=partner, case_id=_case(valley, CaseStatus.VERIFY_RESOLUTION).pk)
    working = case_get_for_user(user=partner, case_id=_case(valley, CaseStatus.IN_PROGRESS).pk)
    before = (footprint(verify), footprint(working))

    valley["west"].clients.remove(valley["client"])
    attempts = {
        "transition": lambda: (
            case_transition(
                case=verify, actor=partner, transition="reject_resolution", message="Not fixed."
            ).case
        ),
        "comment": lambda: comment_create(case=working, author=partner, body="More logs."),
        "upload": lambda: attachment_add(
            case=working, uploaded_by=partner, upload=SimpleUploadedFile("app.log", b"ERROR")
        ),
        "escalation": lambda: escalation_request(case=working, requested_by=partner, message="Escalate."),
        "follow": lambda: case_follow(case=working, user=partner),
    }
    codes = {}
    for name, attempt in attempts.items():
        with pytest.raises(ApplicationError) as refused:
            attempt()
        codes[name] = refused.value.extra.get("reason", refused.value.code)

    assert set(codes.values()) == {"partner_not_serving_company"}, codes
    assert (footprint(verify), footprint(working)) == before


def test_an_emailed_reply_from_a_sibling_is_refused_by_the_service(valley):
    case = _case(valley, CaseStatus.PENDING_CUSTOMER)
    before = footprint(case)

    with pytest.raises(ApplicationError) as refused:
        comment_create(case=case, author=valley["sibling"], body="Here.", source=Comment.Source.EMAIL)

    assert refused.value.code == "partner_not_serving_company"
    assert footprint(case) == before


def test_me_says_a_partner_serving_nobody_may_not_open_cases(api_client, valley):
    def may(user: User) -> bool:
        api_client.force_authenticate(user)
        return api_client.get(reverse("me")).json()["permissions"]["can_open_cases"]

    assert may(partner_user(PartnerEstablishmentFactory(partner=valley["west"].partner))) is False
    assert may(valley["serving"]) is True
