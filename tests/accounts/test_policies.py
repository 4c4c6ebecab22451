"""Who may act for a company (open its cases, comment, upload, escalate, move, follow, call) and who
sees which companies: every role × region × partner relation."""

import pytest

from accounts.models import Membership
from accounts.selectors import (
    PartnerScope,
    acting_for_company_check,
    acting_for_company_filter,
    acting_for_company_refusal,
    company_ids_visible_to,
    membership_for,
)
from cases.models import CaseFollower
from core.errors import ApplicationError
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    USCompanyFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db

Role, Status = Membership.Role, Membership.Status


@pytest.fixture
def world():
    us, fr, other = (
        USCompanyFactory(),
        CompanyFactory(),
        CompanyFactory(country="GB", time_zone="Europe/London"),
    )
    serving = PartnerEstablishmentFactory(clients=[us])
    sibling = PartnerEstablishmentFactory(partner=serving.partner, clients=[fr])
    stranger = PartnerEstablishmentFactory(clients=[other])
    return {"us": us, "fr": fr, "other": other, "serving": serving, "sibling": sibling, "stranger": stranger}


def _actor(world, who):
    kind, _, detail = who.partition(":")
    if kind == "analyst":
        return AnalystFactory()
    if kind == "partner":
        return partner_user(world[detail])
    company_key, role, status = detail.split("/")
    return member(world[company_key], role=role, status=status)


@pytest.mark.parametrize(
    ("who", "company", "expected"),
    [
        ("member:us/member/active", "us", "dsu_required"),
        ("member:us/dsu/active", "us", None),
        ("member:us/manager/active", "us", None),
        ("member:us/dsu/pending", "us", "membership_inactive"),
        ("member:us/dsu/disabled", "us", "membership_inactive"),
        ("member:fr/member/active", "fr", None),
        ("member:fr/dsu/active", "fr", None),
        ("member:fr/member/pending", "fr", "membership_inactive"),
        ("member:other/member/active", "other", None),
        ("member:fr/member/active", "us", "not_found"),
        ("member:us/dsu/active", "fr", "not_found"),
        ("partner:serving", "us", None),
        ("partner:serving", "fr", "partner_not_serving_company"),
        ("partner:sibling", "fr", None),
        ("partner:stranger", "us", "partner_not_serving_company"),
        ("analyst", "us", None),
        ("analyst", "fr", None),
    ],
)
def test_who_may_act_for_a_company(world, who, company, expected):
    actor = _actor(world, who)

    if expected is None:
        acting_for_company_check(user=actor, company=world[company])
    else:
        with pytest.raises(ApplicationError) as refused:
            acting_for_company_check(user=actor, company=world[company])
        assert refused.value.code == expected


def test_dsu_refusal_names_who_can_authorise(world):
    manager = member(world["us"], role=Role.MANAGER, first_name="Mona", last_name="Manager")
    actor = member(world["us"])

    with pytest.raises(ApplicationError) as refused:
        acting_for_company_check(user=actor, company=world["us"], action="open a case")

    assert refused.value.status_code == 403
    assert "designated support user" in refused.value.detail
    assert f"Mona Manager <{manager.email}>" in refused.value.detail


ACTORS = (
    *(f"member:{c}/{r}/{st}" for c in ("us", "fr") for r in Role.values for st in Status.values),
    "member:other/member/active",
    "partner:serving",
    "partner:sibling",
    "partner:stranger",
)


def test_the_rule_in_sql_is_the_rule_in_python(world):
    """``acting_for_company_filter`` (notices to followers, many rows at once) answers what
    ``acting_for_company_refusal`` answers, for every actor and company, a deactivated user included."""
    actors = {who: _actor(world, who) for who in ACTORS}
    actors["deactivated us dsu"] = member(world["us"], role=Role.DSU, is_active=False)
    for key in ("us", "fr", "other"):
        case = CaseFactory(company=world[key])
        CaseFollower.objects.bulk_create(CaseFollower(case=case, user=user) for user in actors.values())
        by_sql = set(
            CaseFollower.objects.filter(case=case)
            .filter(acting_for_company_filter(user="user", company="case__company"))
            .values_list("user", flat=True)
        )
        by_python = {
            user.pk
            for user in actors.values()
            if acting_for_company_refusal(user=user, company=world[key]) is None
        }
        assert by_sql == by_python, key
        assert by_python  # the comparison is not between two empty sets


def test_the_rule_reads_a_members_loaded_membership_and_asks_once_for_a_partner(
    world, django_assert_num_queries
):
    """Hot paths (every comment, every move) pay nothing for a company member: the membership is
    loaded with the user (token authentication); a partner's serving relation is one query."""
    dsu, partner = _actor(world, "member:us/dsu/active"), _actor(world, "partner:serving")
    for user in (dsu, partner):
        membership_for(user)

    with django_assert_num_queries(0):
        assert acting_for_company_refusal(user=dsu, company=world["us"]) is None
    with django_assert_num_queries(1):
        assert acting_for_company_refusal(user=partner, company=world["us"]) is None


@pytest.mark.parametrize(
    ("status", "words"), [(Status.PENDING, "waiting for validation"), (Status.DISABLED, "is disabled")]
)
def test_an_inactive_member_is_told_who_can_validate_them(world, status, words):
    manager = member(world["fr"], role=Role.MANAGER)
    actor = member(world["fr"], role=Role.DSU, status=status)

    with pytest.raises(ApplicationError) as refused:
        acting_for_company_check(user=actor, company=world["fr"], action="comment on a case")

    assert (refused.value.status_code, refused.value.code) == (403, "membership_inactive")
    assert words in refused.value.detail and manager.email in refused.value.detail


@pytest.mark.parametrize(
    ("who", "scope", "expected"),
    [
        ("member:us/member/active", PartnerScope.ESTABLISHMENT, {"us"}),
        ("member:fr/dsu/active", PartnerScope.ESTABLISHMENT, {"fr"}),
        ("member:fr/member/pending", PartnerScope.ESTABLISHMENT, set()),
        ("member:fr/member/disabled", PartnerScope.ESTABLISHMENT, set()),
        ("partner:serving", PartnerScope.ESTABLISHMENT, {"us"}),
        ("partner:serving", PartnerScope.PARTNER, {"us", "fr"}),
        ("partner:sibling", PartnerScope.ESTABLISHMENT, {"fr"}),
        ("partner:stranger", PartnerScope.PARTNER, {"other"}),
        ("analyst", PartnerScope.ESTABLISHMENT, {"us", "fr", "other"}),
    ],
)
def test_who_sees_which_companies(world, who, scope, expected):
    actor = _actor(world, who)
    by_pk = {world[key].pk: key for key in ("us", "fr", "other")}

    visible = {by_pk[pk] for pk in company_ids_visible_to(actor, scope=scope).values_list("pk", flat=True)}

    assert visible == expected
