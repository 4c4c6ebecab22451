"""The write path: one locking read that is also the visibility check, answers from the row in hand,
and input serializers that copy their declared fields."""

import copy
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from accounts.models import Company, Membership, User
from cases.api.serializers import CaseCreateInputSerializer, CaseTransitionInputSerializer
from cases.models import Case, CaseFollower
from cases.selectors import case_get_for_user, case_lock_for_write
from core.errors import NotFound
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    UserFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("bootstrap", verbosity=0)  # the SLA policy and calendars: the answer shows timers


R, S = Membership.Role, Case.Status
NOW = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)


def _readers(company: Company, case: Case) -> dict[str, User]:
    serving = PartnerEstablishmentFactory(clients=[company])
    sibling = PartnerEstablishmentFactory(partner=serving.partner, clients=[CompanyFactory()])
    return {
        "analyst": AnalystFactory(),
        "opener": case.opened_by,
        "member": member(company),
        "dsu": member(company, role=R.DSU),
        "disabled_dsu": member(company, role=R.DSU, status=Membership.Status.DISABLED),
        "partner_serving": partner_user(serving),
        "partner_sibling": partner_user(sibling),  # its partner's other establishment serves the company
        "partner_elsewhere": partner_user(PartnerEstablishmentFactory(clients=[CompanyFactory()])),
        "other_company_dsu": member(CompanyFactory(), role=R.DSU),
        "no_membership": UserFactory(),
    }


def _sees(case: Case, user: User) -> bool:
    try:
        case_get_for_user(user=user, case_id=case.pk)
    except NotFound:
        return False
    return True


def _locks(case: Case, user: User) -> bool:
    try:
        with transaction.atomic():
            return case_lock_for_write(case_id=case.pk, user=user).pk == case.pk
    except NotFound:
        return False


@pytest.mark.parametrize("case_visibility", [Company.CaseVisibility.COMPANY, Company.CaseVisibility.OWN])
def test_the_locking_read_of_a_write_sees_exactly_what_the_visibility_rule_sees(case_visibility):
    company = CompanyFactory(case_visibility=case_visibility)
    case = CaseFactory(company=company, opened_by=member(company))
    readers = _readers(company, case)

    by_rule = {name for name, user in readers.items() if _sees(case, user)}
    by_lock = {name for name, user in readers.items() if _locks(case, user)}

    expected = {"analyst", "opener", "dsu", "partner_serving", "partner_sibling"}
    assert by_lock == by_rule == (expected | ({"member"} if case_visibility == "company" else set()))


def test_a_case_that_does_not_exist_is_not_found_by_the_locking_read_either():
    with pytest.raises(NotFound), transaction.atomic():
        case_lock_for_write(case_id=987654321, user=AnalystFactory())


def _without_volatile(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "updated_at"}


@pytest.mark.parametrize(
    ("status", "transition", "actor_kind"),
    [
        (S.OPEN, "start", "analyst"),
        (S.IN_PROGRESS, "propose_resolution", "analyst"),
        (S.VERIFY_RESOLUTION, "confirm_resolution", "follower"),
        (S.PENDING_CUSTOMER, "respond", "opener"),
    ],
)
def test_a_transition_answers_what_reading_the_case_afterwards_shows(
    api_client, seeded, status, transition, actor_kind
):
    company = CompanyFactory()
    analyst = AnalystFactory()
    case = CaseFactory(company=company, status=status, assignee=analyst, opened_by=member(company))
    follower = member(company, role=R.DSU)
    CaseFollower.objects.create(case=case, user=follower)
    actor = {"analyst": analyst, "follower": follower, "opener": case.opened_by}[actor_kind]
    api_client.force_authenticate(User.objects.get(pk=actor.pk))
    body = {"transition": transition, "resolution": "Patched.", "message": "Here are the logs."}

    with time_machine.travel(NOW, tick=False):
        answer = api_client.post(reverse("case-transition", args=[case.pk]), body, format="json")
        api_client.force_authenticate(User.objects.get(pk=actor.pk))
        read = api_client.get(reverse("case-detail", args=[case.pk]))

    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] != status
    assert answer.json() == read.json()


def test_a_comment_answers_what_reading_it_afterwards_shows(api_client):
    company = CompanyFactory()
    case = CaseFactory(company=company, status=S.IN_PROGRESS, opened_by=member(company, role=R.DSU))
    api_client.force_authenticate(case.opened_by)

    answer = api_client.post(
        reverse("case-comments", args=[case.pk]), {"body": "Logs attached."}, format="json"
    )
    read = api_client.get(reverse("case-comment", args=[case.pk, answer.json()["id"]]))

    assert answer.status_code == 201
    assert answer.json() == read.json()
    assert answer["Location"].endswith(reverse("case-comment", args=[case.pk, answer.json()["id"]]))


@pytest.mark.parametrize("endpoint", ["case-transition", "case-comments"])
def test_a_write_on_another_companys_case_is_not_found(api_client, endpoint):
    case = CaseFactory(status=S.PENDING_CUSTOMER)
    api_client.force_authenticate(member(CompanyFactory(), role=R.DSU))
    body = {"transition": "respond", "message": "Hello", "body": "Hello"}

    response = api_client.post(reverse(endpoint, args=[case.pk]), body, format="json")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert case.comments.count() == 0


# --- input serializers -----------------------------------------------------------------------------


class _DeepCopiedFields(CaseCreateInputSerializer):
    """DRF's own way: every declared field deep-copied (rebuilt) per instance."""

    def get_fields(self):
        return copy.deepcopy(self._declared_fields)


class _DeepCopiedTransitionFields(CaseTransitionInputSerializer):
    def get_fields(self):
        return copy.deepcopy(self._declared_fields)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"subject": "", "problem_summary": 3, "occurred_at": "yesterday", "business_impact": "huge"},
        {"subject": "x" * 201, "reason": "no such code!", "application_area": 7, "product_instance": 0},
        {"subject": "ok", "problem_summary": "ok", "company": "12", "follow_up_of": 2**63},
        {"subject": None, "problem_summary": None, "error_message": None, "business_impact_scope": True},
    ],
)
def test_input_serializers_refuse_with_the_same_codes_and_messages_as_rebuilt_fields(payload):
    ours, drfs = CaseCreateInputSerializer(data=payload), _DeepCopiedFields(data=payload)

    assert ours.is_valid() is drfs.is_valid() is False
    assert ours.errors == drfs.errors
    assert {name: [e.code for e in errors] for name, errors in ours.errors.items()} == {
        name: [e.code for e in errors] for name, errors in drfs.errors.items()
    }


def test_transition_input_refusals_are_unchanged_too():
    payload = {"transition": "fly", "tentative_release_date": "soon", "out_of_scope_reason": "nope"}
    ours, drfs = CaseTransitionInputSerializer(data=payload), _DeepCopiedTransitionFields(data=payload)

    assert ours.is_valid() is drfs.is_valid() is False
    assert ours.errors == drfs.errors


def test_each_input_serializer_binds_fields_of_its_own():
    first, second = CaseCreateInputSerializer(data={}), CaseCreateInputSerializer(data={})

    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field is not CaseCreateInputSerializer._declared_fields[name]
        assert (field.parent, second.fields[name].parent) == (first, second)
