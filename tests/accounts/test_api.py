from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditRecord, AuthorizationRequest, Membership
from tests.factories import (
    AnalystFactory,
    AuthorizationRequestFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    SupportManagerFactory,
    USCompanyFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db
Role, Status = Membership.Role, Membership.Status


@pytest.fixture
def us():
    return USCompanyFactory(domain="acme.test")


def test_me_describes_a_us_member_who_may_not_open_cases(api_client, us):
    user = member(us)
    api_client.force_authenticate(user)

    body = api_client.get(reverse("me")).json()

    assert body["organisation"] == {"kind": "company", "id": us.pk, "name": us.name, "partner": None}
    assert (body["role"], body["status"]) == ("member", "active")
    assert body["permissions"]["can_open_cases"] is False
    assert body["permissions"]["can_manage_members"] is False


def test_me_for_a_partner_lists_served_clients(api_client, us):
    establishment = PartnerEstablishmentFactory(clients=[us])
    api_client.force_authenticate(partner_user(establishment))

    body = api_client.get(reverse("me")).json()

    assert body["organisation"]["kind"] == "partner_establishment"
    assert body["client_companies"] == [us.pk]
    assert body["permissions"]["can_open_cases"] is True


def test_company_list_shows_only_own_company_with_constant_queries(
    api_client, us, django_assert_max_num_queries
):
    ProductInstanceFactory.create_batch(3, company=us)
    CompanyFactory.create_batch(3)
    api_client.force_authenticate(member(us))

    with django_assert_max_num_queries(6):
        response = api_client.get(reverse("company-list"))

    assert [c["id"] for c in response.json()["results"]] == [us.pk]
    assert response.json()["results"][0]["email_domains"] == ["acme.test"]
    assert len(response.json()["results"][0]["product_instances"]) == 3


def test_another_companys_detail_is_404_not_403(api_client, us):
    api_client.force_authenticate(member(us))
    other = CompanyFactory()

    response = api_client.get(reverse("company-detail", args=[other.pk]))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_partner_scope_parameter_widens_to_every_establishment(api_client, us):
    establishment = PartnerEstablishmentFactory(clients=[us])
    fr = CompanyFactory()
    PartnerEstablishmentFactory(partner=establishment.partner, clients=[fr])
    api_client.force_authenticate(partner_user(establishment))

    own = api_client.get(reverse("company-list")).json()["results"]
    wide = api_client.get(reverse("company-list"), {"scope": "partner"}).json()["results"]
    bad = api_client.get(reverse("company-list"), {"scope": "everything"})

    assert [c["id"] for c in own] == [us.pk]
    assert sorted(c["id"] for c in wide) == sorted([us.pk, fr.pk])
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_scope")


def test_manager_validates_a_pending_user_and_grants_dsu(api_client, us):
    manager = member(us, role=Role.MANAGER)
    newcomer = member(us, status=Status.PENDING)
    api_client.force_authenticate(manager)
    url = reverse("company-member-detail", args=[us.pk, newcomer.pk])

    response = api_client.patch(url, {"status": "active", "role": "dsu"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["role"], response.json()["status"]) == ("dsu", "active")
    actions = set(AuditRecord.objects.filter(subject_user=newcomer).values_list("action", flat=True))
    assert actions == {AuditRecord.Action.USER_VALIDATED, AuditRecord.Action.DSU_GRANTED}


def test_member_cannot_change_roles(api_client, us):
    colleague = member(us)
    api_client.force_authenticate(member(us, role=Role.DSU))

    response = api_client.patch(
        reverse("company-member-detail", args=[us.pk, colleague.pk]), {"role": "dsu"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_company_manager"
    assert Membership.objects.get(user=colleague).role == Role.MEMBER


def test_manager_of_another_company_gets_404(api_client, us):
    colleague = member(us)
    api_client.force_authenticate(member(CompanyFactory(), role=Role.MANAGER))

    response = api_client.patch(
        reverse("company-member-detail", args=[us.pk, colleague.pk]), {"role": "dsu"}, format="json"
    )

    assert response.status_code == 404


def test_last_manager_cannot_step_down(api_client, us):
    manager = member(us, role=Role.MANAGER)
    api_client.force_authenticate(manager)

    response = api_client.patch(
        reverse("company-member-detail", args=[us.pk, manager.pk]), {"role": "member"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "last_manager"


def test_members_list_is_for_managers_only(api_client, us):
    member(us)
    api_client.force_authenticate(member(us))
    assert api_client.get(reverse("company-member-list", args=[us.pk])).status_code == 403

    api_client.force_authenticate(member(us, role=Role.MANAGER))
    assert api_client.get(reverse("company-member-list", args=[us.pk])).json()["count"] == 3


# --- Authorisation requests ---------------------------------------------------------------------


def _ask(api_client, asker, subject, kind="new_dsu", **extra):
    api_client.force_authenticate(asker)
    return api_client.post(
        reverse("authorization-request-list"),
        {"kind": kind, "subject_user": subject.pk, **extra},
        format="json",
    )


def test_member_asks_and_manager_on_domain_approves_new_dsu(api_client, us):
    asker, manager = member(us), member(us, role=Role.MANAGER)

    created = _ask(api_client, asker, asker, reason="I run payroll support")
    assert created.status_code == 201, created.json()
    api_client.force_authenticate(manager)
    approved = api_client.post(
        reverse("authorization-request-approve", args=[created.json()["id"]]), {"reason": "ok"}
    )

    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"]["id"] == manager.pk
    assert Membership.objects.get(user=asker).role == Role.DSU
    assert AuditRecord.objects.filter(action=AuditRecord.Action.REQUEST_APPROVED, actor=manager).count() == 1


def test_reject_leaves_everything_as_it_was(api_client, us):
    asker, manager = member(us), member(us, role=Role.MANAGER)
    request_id = _ask(api_client, asker, asker).json()["id"]
    api_client.force_authenticate(manager)

    rejected = api_client.post(reverse("authorization-request-reject", args=[request_id]), {"reason": "no"})

    assert rejected.json()["status"] == "rejected"
    assert Membership.objects.get(user=asker).role == Role.MEMBER


def test_manager_with_off_domain_address_is_refused(api_client, us):
    request = AuthorizationRequestFactory(company=us)
    manager = member(us, role=Role.MANAGER, email="boss@gmail.example")
    api_client.force_authenticate(manager)

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 403
    assert response.json()["code"] == "manager_email_off_domain"
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_member_cannot_approve(api_client, us):
    request = AuthorizationRequestFactory(company=us)
    api_client.force_authenticate(request.subject_user)

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 403
    assert response.json()["code"] == "not_company_manager"


def test_manager_of_another_company_does_not_see_the_request(api_client, us):
    request = AuthorizationRequestFactory(company=us)
    other = CompanyFactory()
    api_client.force_authenticate(member(other, role=Role.MANAGER))

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 404
    assert api_client.get(reverse("authorization-request-list")).json()["count"] == 0


def test_double_approval_is_a_conflict(api_client, us):
    request = AuthorizationRequestFactory(company=us)
    api_client.force_authenticate(member(us, role=Role.MANAGER))
    url = reverse("authorization-request-approve", args=[request.pk])

    first, second = api_client.post(url), api_client.post(url)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "request_not_pending"
    assert AuditRecord.objects.filter(action=AuditRecord.Action.DSU_GRANTED).count() == 1


def test_expired_request_cannot_be_approved(api_client, us, time_machine):
    request = AuthorizationRequestFactory(company=us)
    time_machine.move_to(request.expires_at + timedelta(seconds=1))
    api_client.force_authenticate(member(us, role=Role.MANAGER))

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 409
    assert response.json()["code"] == "request_expired"


def test_duplicate_pending_request_is_refused(api_client, us):
    asker = member(us)
    _ask(api_client, asker, asker)

    again = _ask(api_client, asker, asker)

    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_request"


def test_request_about_someone_outside_the_company_is_refused(api_client, us):
    response = _ask(api_client, member(us), member(CompanyFactory()))

    assert response.status_code == 400
    assert response.json()["code"] == "subject_not_in_company"


def test_role_change_needs_a_role(api_client, us):
    asker = member(us)

    response = _ask(api_client, asker, asker, kind="role_change")

    assert response.status_code == 400
    assert response.json()["code"] == "requested_role_required"


def test_approved_password_reset_mails_a_link_that_sets_the_password(
    api_client, us, django_capture_on_commit_callbacks
):
    asker, manager = member(us), member(us, role=Role.MANAGER)
    request_id = _ask(api_client, asker, asker, kind="password_reset").json()["id"]
    api_client.force_authenticate(manager)

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(reverse("authorization-request-approve", args=[request_id]))

    resets = [m for m in mail.outbox if "password reset was authorised" in m.subject]
    assert len(resets) == 1 and resets[0].to == [asker.email]
    body = resets[0].body
    uid = body.split("uid=")[1].split(" ")[0]
    token = body.split("token=")[1].split(" ")[0]
    api_client.force_authenticate(None)
    confirm = api_client.post(
        reverse("password-reset-confirm"),
        {"uid": uid, "token": token, "new_password": "a-Much-better-pass-42"},
    )
    assert confirm.status_code == 204
    asker.refresh_from_db()
    assert asker.check_password("a-Much-better-pass-42")
    reused = api_client.post(
        reverse("password-reset-confirm"), {"uid": uid, "token": token, "new_password": "another-Pass-43"}
    )
    assert reused.status_code == 400
    assert reused.json()["errors"]["non_field_errors"][0]["code"] == "invalid_token"


def test_support_manager_decides_a_request_raised_by_email(api_client, us):
    request = AuthorizationRequestFactory(company=us, request_channel=AuthorizationRequest.Channel.EMAIL)
    api_client.force_authenticate(SupportManagerFactory())

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 200


def test_plain_analyst_cannot_decide(api_client, us):
    request = AuthorizationRequestFactory(company=us)
    api_client.force_authenticate(AnalystFactory())

    response = api_client.post(reverse("authorization-request-approve", args=[request.pk]))

    assert response.status_code == 403


def test_request_raised_from_an_open_case_is_recorded_there_and_decided_as_usual(api_client):
    from tests.factories import CaseFactory

    company = USCompanyFactory(domain="acme2.test")
    asker = member(company, role=Role.DSU)  # a case comment contacts support: in the US, a DSU's
    colleague = member(company)
    manager = member(company, role=Role.MANAGER)
    case = CaseFactory(company=company, opened_by=asker)
    api_client.force_authenticate(asker)

    created = api_client.post(
        reverse("authorization-request-list"),
        {"kind": "new_dsu", "subject_user": colleague.pk, "case": case.pk, "reason": "She owns our ledger"},
        format="json",
    )
    api_client.force_authenticate(manager)
    approved = api_client.post(reverse("authorization-request-approve", args=[created.json()["id"]]))

    assert created.status_code == 201, created.json()
    assert created.json()["request_channel"] == "case_comment"
    assert f"Authorisation request #{created.json()['id']}" in case.comments.get().body
    assert approved.json()["status"] == "approved"
    assert Membership.objects.get(user=colleague).role == Role.DSU
