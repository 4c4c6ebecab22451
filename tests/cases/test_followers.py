"""Following a case: who may, the API, and the ``following`` flag on cases."""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, User
from cases.models import CaseFollower
from cases.selectors import (
    case_follow_check,
    case_follower_entitled,
    case_followers_to_notify,
    case_following,
    case_get_for_user,
    case_lock_for_write,
)
from cases.services import case_follow, case_unfollow
from core.errors import ApplicationError
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    USCompanyFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db
R, St = Membership.Role, Membership.Status


def _url(case):
    return reverse("case-follow", args=[case.pk])


# --- the API ----------------------------------------------------------------------------------------


def test_follow_answers_201_then_200_and_unfollow_204_twice(api_client):
    case = CaseFactory(company=USCompanyFactory())
    dsu = member(case.company, role=R.DSU)
    api_client.force_authenticate(dsu)

    first = api_client.post(_url(case))
    again = api_client.post(_url(case))

    assert first.status_code == 201
    assert first.json() == {"case": case.pk, "following": True, "since": first.json()["since"]}
    assert (again.status_code, again.json()) == (200, first.json())
    assert CaseFollower.objects.filter(case=case, user=dsu).count() == 1
    assert api_client.get(reverse("case-detail", args=[case.pk])).json()["following"] is True

    assert [api_client.delete(_url(case)).status_code for _ in range(2)] == [204, 204]
    assert not CaseFollower.objects.exists()
    assert api_client.get(reverse("case-detail", args=[case.pk])).json()["following"] is False


def _world():
    us = USCompanyFactory()
    establishment = PartnerEstablishmentFactory(clients=[us])
    sibling = PartnerEstablishmentFactory(partner=establishment.partner, clients=[CompanyFactory()])
    return us, {
        "us_dsu": member(us, role=R.DSU),
        "us_manager": member(us, role=R.MANAGER),
        "us_member": member(us),
        "partner_serving": partner_user(establishment),
        "partner_sibling": partner_user(sibling),  # sees the case with ?scope=partner, does not serve it
        "other_company_dsu": member(CompanyFactory(), role=R.DSU),
        "analyst": AnalystFactory(),
    }


@pytest.mark.parametrize(
    ("actor", "status", "code", "reason"),
    [
        ("us_dsu", 201, None, None),
        ("us_manager", 201, None, None),
        ("partner_serving", 201, None, None),
        ("us_member", 403, "follow_not_allowed", "dsu_required"),
        ("partner_sibling", 403, "follow_not_allowed", "partner_not_serving_company"),
        ("analyst", 403, "follow_not_allowed", "support_staff"),
        ("other_company_dsu", 404, "not_found", None),
    ],
)
def test_who_may_follow_a_us_case(api_client, actor, status, code, reason):
    us, people = _world()
    case = CaseFactory(company=us)
    api_client.force_authenticate(people[actor])

    response = api_client.post(_url(case))

    assert response.status_code == status
    if code is not None:
        assert (response.json()["code"], response.json().get("reason")) == (code, reason)
        assert not CaseFollower.objects.exists()


def test_outside_the_us_any_active_member_may_follow(api_client):
    case = CaseFactory(company=CompanyFactory(country="FR"))
    api_client.force_authenticate(member(case.company))

    assert api_client.post(_url(case)).status_code == 201


@pytest.mark.parametrize("method", ["post", "delete"])
def test_the_opener_and_the_contact_are_always_notified(api_client, method):
    client_company = CompanyFactory()
    contact = member(client_company)
    partner = partner_user(PartnerEstablishmentFactory(clients=[client_company]))
    case = CaseFactory(company=client_company, opened_by=partner, on_behalf_of=contact)

    for person in (partner, contact):
        api_client.force_authenticate(person)
        response = getattr(api_client, method)(_url(case))
        assert (response.status_code, response.json()["code"]) == (409, "always_notified")
        assert api_client.get(reverse("case-detail", args=[case.pk])).json()["following"] is True
    assert not CaseFollower.objects.exists()


def test_anyone_who_sees_the_case_may_unfollow_even_after_losing_the_right(api_client):
    case = CaseFactory(company=USCompanyFactory())
    dsu = member(case.company, role=R.DSU)
    case_follow(case=case, user=dsu)
    Membership.objects.filter(user=dsu).update(role=R.MEMBER)
    api_client.force_authenticate(User.objects.get(pk=dsu.pk))  # as a new request loads it

    detail = api_client.get(reverse("case-detail", args=[case.pk])).json()
    refused = api_client.post(_url(case))
    unfollowed = api_client.delete(_url(case))

    assert detail["following"] is False  # the row stays, but no longer counts
    assert (refused.status_code, refused.json()["code"]) == (403, "follow_not_allowed")
    assert unfollowed.status_code == 204 and not CaseFollower.objects.exists()


def test_another_companys_case_cannot_be_unfollowed_either(api_client):
    case = CaseFactory()
    api_client.force_authenticate(member(CompanyFactory(), role=R.DSU))

    assert api_client.delete(_url(case)).status_code == 404


@pytest.mark.parametrize("role", [R.MEMBER, R.DSU, "partner"])
def test_case_list_and_detail_keep_their_query_budget_for_every_reader(
    api_client, django_assert_max_num_queries, role
):
    company = USCompanyFactory()
    instance = ProductInstanceFactory(company=company)
    opener = member(company, role=R.DSU)
    cases = CaseFactory.create_batch(5, company=company, opened_by=opener, product_instance=instance)
    reader = (
        partner_user(PartnerEstablishmentFactory(clients=[company]))
        if role == "partner"
        else member(company, role=role)
    )
    CaseFollower.objects.bulk_create(CaseFollower(case=case, user=reader) for case in cases[:2])
    api_client.force_authenticate(reader)

    with django_assert_max_num_queries(2):  # membership + page, whoever reads
        listed = api_client.get(reverse("case-list")).json()["results"]
    with django_assert_max_num_queries(4):  # test_api's detail budget
        detail = api_client.get(reverse("case-detail", args=[cases[0].pk])).json()

    assert sum(row["following"] for row in listed) == (0 if role == R.MEMBER else 2)
    assert detail["following"] is (role != R.MEMBER)


def test_case_list_shows_following_without_extra_queries(api_client, django_assert_max_num_queries):
    company = USCompanyFactory()
    dsu, colleague = member(company, role=R.DSU), member(company, role=R.DSU)
    instance = ProductInstanceFactory(company=company)
    mine = CaseFactory(company=company, opened_by=dsu, product_instance=instance)
    followed = CaseFactory.create_batch(3, company=company, opened_by=colleague, product_instance=instance)
    others = CaseFactory.create_batch(3, company=company, opened_by=colleague, product_instance=instance)
    for case in followed:
        case_follow(case=case, user=dsu)
    case_follow(case=others[0], user=member(company, role=R.DSU))  # someone else's follow is not mine
    api_client.force_authenticate(dsu)

    with django_assert_max_num_queries(3):  # the same budget as without followers
        results = api_client.get(reverse("case-list"), {"page_size": 50}).json()["results"]

    following = {row["id"]: row["following"] for row in results}
    assert following == {
        mine.pk: True,
        **{case.pk: True for case in followed},
        **{case.pk: False for case in others},
    }


def test_staff_see_following_false(api_client):
    case = CaseFactory()
    api_client.force_authenticate(AnalystFactory())

    assert api_client.get(reverse("case-detail", args=[case.pk])).json()["following"] is False
    assert api_client.get(reverse("case-list")).json()["results"][0]["following"] is False


# --- the services -----------------------------------------------------------------------------------


def test_follow_and_unfollow_services_are_idempotent():
    case = CaseFactory()
    user = member(case.company)

    first, created = case_follow(case=case, user=user)
    again, created_again = case_follow(case=case, user=user)
    case_unfollow(case=case, user=user)
    case_unfollow(case=case, user=user)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert not CaseFollower.objects.exists()


def test_a_user_following_is_gone_with_the_case_or_the_user():
    case = CaseFactory()
    user = member(case.company)
    case_follow(case=case, user=user)

    user.delete()

    assert not CaseFollower.objects.exists()


# --- the rule in SQL and the following flag agree with the check the API makes ----------------------


def _people_around(company, case_visibility):
    """Everyone who might hold a follow row on a case of ``company``, in every state that matters."""
    company.case_visibility = case_visibility
    company.save(update_fields=["case_visibility"])
    serving = PartnerEstablishmentFactory(clients=[company])
    sibling = PartnerEstablishmentFactory(partner=serving.partner, clients=[CompanyFactory()])
    inactive = member(company, role=R.DSU)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "member": member(company),
        "dsu": member(company, role=R.DSU),
        "manager": member(company, role=R.MANAGER),
        "pending_dsu": member(company, role=R.DSU, status=St.PENDING),
        "disabled_dsu": member(company, role=R.DSU, status=St.DISABLED),
        "inactive_dsu": inactive,
        "partner_serving": partner_user(serving),
        "partner_sibling": partner_user(sibling),
        "partner_disabled": _disabled(partner_user(serving)),
        "other_company_dsu": member(CompanyFactory(), role=R.DSU),
        "analyst": AnalystFactory(),
    }


def _disabled(user):
    Membership.objects.filter(user=user).update(status=St.DISABLED)
    return user


def _api_lets_follow(case, user) -> bool:
    """What POST …/follow/ decides: a logged-in (active) user who sees the case and passes the check."""
    if not user.is_active:
        return False
    try:
        case_follow_check(case=case_get_for_user(user=user, case_id=case.pk), user=user)
    except ApplicationError:
        return False
    return True


def _case_says_following(case, user) -> bool:
    """The ``following`` the API shows this (logged-in) user, who holds a follow row."""
    try:
        return user.is_active and case_get_for_user(user=user, case_id=case.pk).following
    except ApplicationError:
        return False  # cannot see it


def _write_answer_says_following(case, user) -> bool:
    """The ``following`` a write's answer shows (``case_following`` on the row the write locked)."""
    try:
        with transaction.atomic():
            return user.is_active and case_following(
                case=case_lock_for_write(case_id=case.pk, user=user), user=user
            )
    except ApplicationError:
        return False  # cannot see it


@pytest.mark.parametrize(
    ("country", "case_visibility", "allowed"),
    [
        ("US", "company", {"dsu", "manager", "partner_serving"}),
        ("US", "own", {"dsu", "manager", "partner_serving"}),
        ("FR", "company", {"member", "dsu", "manager", "partner_serving"}),
        ("FR", "own", {"dsu", "manager", "partner_serving"}),  # members see only their own cases
    ],
)
def test_follower_entitlement_in_sql_and_following_match_the_api_check(country, case_visibility, allowed):
    company = CompanyFactory(country=country)
    case = CaseFactory(company=company)
    people = _people_around(company, case_visibility)
    CaseFollower.objects.bulk_create(CaseFollower(case=case, user=user) for user in people.values())

    by_api = {name for name, user in people.items() if _api_lets_follow(case, user)}
    entitled_ids = set(
        CaseFollower.objects.filter(case=case).filter(case_follower_entitled()).values_list("user", flat=True)
    )
    by_sql = {name for name, user in people.items() if user.pk in entitled_ids}
    by_flag = {name for name, user in people.items() if _case_says_following(case, user)}
    by_write_answer = {name for name, user in people.items() if _write_answer_says_following(case, user)}
    notified_ids = {user.pk for user in case_followers_to_notify(case=case)}
    by_notices = {name for name, user in people.items() if user.pk in notified_ids}

    assert by_api == by_sql == by_flag == by_write_answer == by_notices == allowed
