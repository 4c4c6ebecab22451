"""Token authentication: knox's tokens, with the caller's membership read in the same query."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.selectors import membership_for
from accounts.services import api_token_create
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


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=user)[1]}"}


def test_a_customer_request_reads_token_user_and_membership_in_one_query(
    api_client, django_assert_num_queries
):
    company = CompanyFactory()
    dsu = member(company, role=Membership.Role.DSU)
    case = CaseFactory(
        company=company, opened_by=dsu, product_instance=ProductInstanceFactory(company=company)
    )
    headers = _auth(dsu)

    with django_assert_num_queries(3):  # token + user + membership, the case, its timers
        response = api_client.get(reverse("case-detail", args=[case.pk]), **headers)
    assert response.status_code == 200

    with django_assert_num_queries(2):  # token + user + membership, the page
        response = api_client.get(reverse("case-list"), **headers)
    assert [c["id"] for c in response.json()["results"]] == [case.pk]


def test_the_preloaded_membership_is_the_one_the_selector_would_read(django_assert_num_queries):
    from accounts.authentication import TokenAuthentication

    establishment = PartnerEstablishmentFactory()
    for user in (member(CompanyFactory()), partner_user(establishment), AnalystFactory(), UserFactory()):
        secret = api_token_create(user=user)[1]
        authenticated, _ = TokenAuthentication().authenticate_credentials(secret.encode())
        expected = membership_for(type(user).objects.get(pk=user.pk))

        with django_assert_num_queries(0):
            preloaded = membership_for(authenticated)
            assert preloaded == expected
            if expected is not None:
                assert (preloaded.company, preloaded.establishment) == (
                    expected.company,
                    expected.establishment,
                )
                if expected.establishment is not None:
                    assert preloaded.establishment.partner == expected.establishment.partner


def test_partner_and_staff_tokens_still_work(api_client):
    establishment = PartnerEstablishmentFactory()
    assert api_client.get(reverse("case-list"), **_auth(partner_user(establishment))).status_code == 200
    assert api_client.get(reverse("case-list"), **_auth(AnalystFactory())).status_code == 200


def test_unknown_token_and_inactive_user_are_refused_as_before(api_client):
    user = member(CompanyFactory())
    headers = _auth(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    for extra in (headers, {"HTTP_AUTHORIZATION": "Token not-a-real-token"}):
        response = api_client.get(reverse("case-list"), **extra)
        assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
