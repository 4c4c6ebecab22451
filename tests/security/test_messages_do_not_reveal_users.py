"""No answer tells a caller whether a user exists outside what they may see: an id of another
company's user, or a username or reset link of someone, answers byte for byte as one of nobody."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Membership, User
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    UserFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


def _nobody() -> int:
    return User.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000


def _same(first, second) -> None:
    assert first.status_code == second.status_code
    assert first.content == second.content


@pytest.fixture
def ours():
    return CompanyFactory()


@pytest.fixture
def someone_elsewhere():
    return member(CompanyFactory(), first_name="Zelda", last_name="Elsewhere")


@pytest.mark.parametrize("kind", ["new_dsu", "password_reset"])
def test_an_authorisation_request_about_another_companys_user_answers_as_for_nobody(
    api_client, ours, someone_elsewhere, kind
):
    api_client.force_authenticate(member(ours))

    def ask(subject_id):
        return api_client.post(
            reverse("authorization-request-list"), {"kind": kind, "subject_user": subject_id}, format="json"
        )

    elsewhere, nobody = ask(someone_elsewhere.pk), ask(_nobody())

    _same(elsewhere, nobody)
    assert elsewhere.status_code == 400
    assert elsewhere.json()["code"] == "subject_not_in_company"
    assert "Zelda" not in elsewhere.content.decode()


def test_the_same_holds_when_the_request_is_raised_from_a_case(api_client, ours, someone_elsewhere):
    dsu = member(ours, role=Role.DSU)
    case = CaseFactory(company=ours, opened_by=dsu, product_instance=ProductInstanceFactory(company=ours))
    api_client.force_authenticate(dsu)

    def ask(subject_id):
        return api_client.post(
            reverse("authorization-request-list"),
            {"kind": "new_dsu", "subject_user": subject_id, "case": case.pk},
            format="json",
        )

    _same(ask(someone_elsewhere.pk), ask(_nobody()))


@pytest.mark.parametrize("asker", ["staff", "partner", "pending_member"])
def test_askers_who_may_not_ask_learn_nothing_about_the_id_either(api_client, ours, someone_elsewhere, asker):
    people = {
        "staff": lambda: AnalystFactory(),
        "partner": lambda: partner_user(PartnerEstablishmentFactory(clients=[ours])),
        "pending_member": lambda: member(ours, status=Membership.Status.PENDING),
    }
    api_client.force_authenticate(people[asker]())
    payload = {"kind": "new_dsu", "company": ours.pk} if asker == "staff" else {"kind": "new_dsu"}

    def ask(subject_id):
        return api_client.post(
            reverse("authorization-request-list"), {**payload, "subject_user": subject_id}, format="json"
        )

    _same(ask(someone_elsewhere.pk), ask(_nobody()))


def test_assigning_a_case_to_a_customer_answers_as_assigning_it_to_nobody(api_client, someone_elsewhere):
    case = CaseFactory()

    def assign(actor, assignee_id):
        api_client.force_authenticate(actor)
        return api_client.post(
            reverse("case-assign", args=[case.pk]), {"assignee": assignee_id}, format="json"
        )

    analyst = AnalystFactory()
    _same(assign(analyst, someone_elsewhere.pk), assign(analyst, _nobody()))
    assert assign(analyst, _nobody()).json()["code"] == "assignee_not_staff"
    # A customer may not assign at all, and learns neither who is staff nor who exists.
    opener = case.opened_by
    answers = [assign(opener, user_id) for user_id in (AnalystFactory().pk, someone_elsewhere.pk, _nobody())]
    for answer in answers[1:]:
        _same(answers[0], answer)
    assert answers[0].status_code == 403


def test_a_manager_naming_another_companys_user_as_a_member_gets_the_answer_for_nobody(
    api_client, ours, someone_elsewhere
):
    api_client.force_authenticate(member(ours, role=Role.MANAGER))

    def update(user_id):
        return api_client.patch(
            reverse("company-member-detail", args=[ours.pk, user_id]), {"role": "dsu"}, format="json"
        )

    elsewhere, nobody = update(someone_elsewhere.pk), update(_nobody())

    _same(elsewhere, nobody)
    assert elsewhere.status_code == 404


def test_the_token_endpoint_answers_alike_for_a_wrong_password_an_unknown_name_and_a_closed_account(
    api_client, settings
):
    settings.AXES_FAILURE_LIMIT = 1000
    UserFactory(username="ana", password="right-password-123")
    UserFactory(username="closed", password="right-password-123", is_active=False)

    def login(username, password, address):
        return api_client.post(
            reverse("auth-token"),
            {"username": username, "password": password},
            format="json",
            REMOTE_ADDR=address,
        )

    wrong_password = login("ana", "wrong-password-123", "198.51.100.1")
    unknown = login("nobody-by-that-name", "right-password-123", "198.51.100.2")
    closed = login("closed", "right-password-123", "198.51.100.3")

    _same(wrong_password, unknown)
    _same(wrong_password, closed)
    assert wrong_password.status_code == 400


def test_a_reset_link_answers_alike_for_nobody_a_wrong_token_and_a_closed_account(api_client):
    user = UserFactory()
    closed = UserFactory(is_active=False)

    def confirm(user_id, token):
        return api_client.post(
            reverse("password-reset-confirm"),
            {
                "uid": urlsafe_base64_encode(force_bytes(user_id)),
                "token": token,
                "new_password": "a-Much-better-42",
            },
        )

    nobody = confirm(_nobody(), "c0ffee-0123456789abcdef")
    wrong_token = confirm(user.pk, "c0ffee-0123456789abcdef")
    closed_account = confirm(closed.pk, default_token_generator.make_token(closed))

    _same(nobody, wrong_token)
    _same(nobody, closed_account)
    assert nobody.json()["errors"]["non_field_errors"][0]["code"] == "invalid_token"
