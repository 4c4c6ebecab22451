"""Who may open a case for a company, and who sees which companies: every role × region × partner relation."""

import pytest

from accounts.models import Membership
from accounts.selectors import PartnerScope, case_opening_check, company_ids_visible_to
from core.errors import ApplicationError
from tests.factories import (
    AnalystFactory,
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
def test_who_may_open_a_case(world, who, company, expected):
    actor = _actor(world, who)

    if expected is None:
        case_opening_check(user=actor, company=world[company])
    else:
        with pytest.raises(ApplicationError) as refused:
            case_opening_check(user=actor, company=world[company])
        assert refused.value.code == expected


def test_dsu_refusal_names_who_can_authorise(world):
    manager = member(world["us"], role=Role.MANAGER, first_name="Mona", last_name="Manager")
    actor = member(world["us"])

    with pytest.raises(ApplicationError) as refused:
        case_opening_check(user=actor, company=world["us"])

    assert refused.value.status_code == 403
    assert "designated support user" in refused.value.detail
    assert f"Mona Manager <{manager.email}>" in refused.value.detail


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
