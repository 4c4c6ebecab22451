import pytest

from status.models import StatusSubscription
from tests.factories import CompanyFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


def test_a_user_opts_in_and_out_of_a_products_status_mail(api_client):
    product = ProductFactory(code="financials")
    user = member(CompanyFactory())
    api_client.force_authenticate(user)

    opted_in = api_client.put("/api/v1/status/subscriptions/financials/")
    listed = api_client.get("/api/v1/status/subscriptions/").json()
    opted_out = api_client.delete("/api/v1/status/subscriptions/financials/")
    unknown = api_client.put("/api/v1/status/subscriptions/nope/")

    assert (opted_in.status_code, opted_in.json()["opted_in"]) == (200, True)
    assert [s["product"] for s in listed] == ["financials"]
    assert opted_out.status_code == 204
    assert StatusSubscription.objects.get(user=user, product=product).opted_in is False
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


def test_subscriptions_need_a_login(api_client):
    assert api_client.get("/api/v1/status/subscriptions/").status_code == 401
