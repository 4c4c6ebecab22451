"""In the US only designated support users (and managers) contact support (003: "Los usuarios de
soporte designados son los únicos usuarios autorizados para ponerse en contacto con el servicio de
atención al cliente"). A plain member still reads the company's cases, and contacts support in no
way: no comment, upload, escalation, move of a case, follow, request raised from a case, nor a new
case; and the API offers them none of these."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, User
from cases.models import Case, CaseStatus, Comment
from cases.services import attachment_add, comment_create
from core.errors import ApplicationError
from tests.factories import AnalystFactory, CompanyFactory, USCompanyFactory, member
from tests.security.customer_writes import WRITES, case_in, footprint

pytestmark = pytest.mark.django_db
Role, Status = Membership.Role, Membership.Status


@pytest.fixture
def acme():
    company = USCompanyFactory(domain="acme.test")
    return {
        "company": company,
        "opener": member(company, role=Role.DSU),
        "manager": member(company, role=Role.MANAGER, first_name="Mona", last_name="Manager"),
        "analyst": AnalystFactory(),
    }


def _case(acme, status):
    return case_in(status, company=acme["company"], opened_by=acme["opener"], assignee=acme["analyst"])


@pytest.mark.parametrize("write", list(WRITES))
def test_a_us_member_contacts_support_in_no_way(api_client, settings, tmp_path, acme, write):
    settings.MEDIA_ROOT = tmp_path
    case = _case(acme, WRITES[write].status)
    us_member, colleague = member(acme["company"]), member(acme["company"])
    before = footprint(case)
    api_client.force_authenticate(us_member)

    response = WRITES[write].call(api_client, case, acme["company"], colleague)

    body = response.json()
    assert response.status_code == 403, body
    assert (body["code"], body.get("reason")) in {
        ("dsu_required", None),
        ("follow_not_allowed", "dsu_required"),
    }
    assert "designated support user" in body["detail"]
    assert f"Mona Manager <{acme['manager'].email}>" in body["detail"]  # who can make them one
    assert footprint(case) == before  # no row, no event, no notice, the case untouched


@pytest.mark.parametrize("role", [Role.DSU, Role.MANAGER])
@pytest.mark.parametrize("write", list(WRITES))
def test_a_us_dsu_or_manager_may(api_client, settings, tmp_path, acme, write, role):
    settings.MEDIA_ROOT = tmp_path
    case = _case(acme, WRITES[write].status)
    before = footprint(case)
    api_client.force_authenticate(member(acme["company"], role=role))

    response = WRITES[write].call(api_client, case, acme["company"], member(acme["company"]))

    assert response.status_code == WRITES[write].success, response.json()
    assert footprint(case) != before


def test_outside_the_us_any_active_member_may(api_client):
    company = CompanyFactory(country="FR")
    case = case_in(
        CaseStatus.VERIFY_RESOLUTION,
        company=company,
        opened_by=member(company, role=Role.DSU),
        assignee=AnalystFactory(),
    )
    api_client.force_authenticate(member(company))

    response = WRITES["reject resolution"].call(api_client, case, company, member(company))

    assert response.status_code == 200
    assert response.json()["status"] == CaseStatus.IN_PROGRESS


def test_a_us_member_still_reads_the_companys_cases(api_client, settings, tmp_path, acme):
    settings.MEDIA_ROOT = tmp_path
    case = _case(acme, CaseStatus.IN_PROGRESS)
    comment_create(case=case, author=acme["opener"], body="Logs attached.")
    attachment = attachment_add(
        case=case, uploaded_by=acme["opener"], upload=SimpleUploadedFile("app.log", b"ERROR")
    )
    api_client.force_authenticate(member(acme["company"]))

    listed = api_client.get(reverse("case-list")).json()["results"]
    urls = [
        reverse("case-detail", args=[case.pk]),
        reverse("case-comments", args=[case.pk]),
        reverse("case-events", args=[case.pk]),
        reverse("case-attachments", args=[case.pk]),
        reverse("case-attachment-download", args=[case.pk, attachment.pk]),
    ]

    assert [row["id"] for row in listed] == [case.pk]
    assert [api_client.get(url).status_code for url in urls] == [200] * len(urls)


@pytest.mark.parametrize(
    ("status", "offered_to_a_dsu"),
    [
        (CaseStatus.PENDING_CUSTOMER, ["respond"]),
        (CaseStatus.VERIFY_RESOLUTION, ["confirm_resolution", "reject_resolution"]),
        (CaseStatus.CLOSED, ["reopen"]),
    ],
)
def test_the_case_offers_a_us_member_no_move(api_client, acme, status, offered_to_a_dsu):
    case = _case(acme, status)

    def offered(user):
        api_client.force_authenticate(user)
        detail = api_client.get(reverse("case-detail", args=[case.pk])).json()
        return [t["name"] for t in detail["available_transitions"]]

    assert offered(member(acme["company"])) == []
    assert offered(member(acme["company"], role=Role.DSU)) == offered_to_a_dsu


def test_me_tells_a_us_member_they_may_not_contact_support(api_client, acme):
    def may(user):
        api_client.force_authenticate(user)
        return api_client.get(reverse("me")).json()["permissions"]["can_open_cases"]

    assert may(member(acme["company"])) is False
    assert may(member(acme["company"], role=Role.DSU)) is True


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (Role.MEMBER, Status.ACTIVE, "dsu_required"),
        (Role.DSU, Status.PENDING, "membership_inactive"),
        (Role.DSU, Status.DISABLED, "membership_inactive"),
    ],
)
def test_an_emailed_reply_is_refused_by_the_services_too(settings, tmp_path, acme, role, status, code):
    """Inbound mail replies become comments (and their attachments uploads) through the same
    services as the API: the services refuse, whatever the channel."""
    settings.MEDIA_ROOT = tmp_path
    case = _case(acme, CaseStatus.PENDING_CUSTOMER)
    sender = member(acme["company"], role=role, status=status)
    before = footprint(case)

    with pytest.raises(ApplicationError) as comment_refused:
        comment_create(case=case, author=sender, body="Here you go.", source=Comment.Source.EMAIL)
    with pytest.raises(ApplicationError) as upload_refused:
        attachment_add(case=case, uploaded_by=sender, upload=SimpleUploadedFile("app.log", b"ERROR"))

    assert (comment_refused.value.code, upload_refused.value.code) == (code, code)
    assert footprint(case) == before
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PENDING_CUSTOMER


def test_a_dsu_demoted_to_member_stops_contacting_support(api_client, acme):
    case = _case(acme, CaseStatus.IN_PROGRESS)
    dsu = member(acme["company"], role=Role.DSU)
    api_client.force_authenticate(dsu)
    url = reverse("case-comments", args=[case.pk])
    assert api_client.post(url, {"body": "First."}, format="json").status_code == 201

    Membership.objects.filter(user=dsu).update(role=Role.MEMBER)
    api_client.force_authenticate(User.objects.get(pk=dsu.pk))  # as the next request loads it
    refused = api_client.post(url, {"body": "Second."}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (403, "dsu_required")
    assert list(case.comments.values_list("body", flat=True)) == ["First."]


def test_a_us_member_may_still_ask_to_become_a_dsu_outside_a_case(api_client, acme):
    """The way in stays open: the request itself, raised through the API rather than as a comment
    on a case, goes to the company's managers."""
    us_member = member(acme["company"])
    api_client.force_authenticate(us_member)

    response = api_client.post(
        reverse("authorization-request-list"),
        {"kind": "new_dsu", "subject_user": us_member.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["request_channel"] == "api"
