from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.services import api_token_create
from status.models import Incident
from tests.factories import (
    AnalystFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductFactory,
    USCompanyFactory,
    member,
    partner_user,
)
from tests.status.factories import IncidentFactory, IncidentUpdateFactory, MaintenanceWindowFactory

pytestmark = pytest.mark.django_db

# Inside the Fri 2026-03-13 19:30 PDT run of the Financials-style window: 03-14 02:30Z to 06:30Z.
DURING = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def _status(api_client, **params):
    return api_client.get(reverse("status"), params)


def test_status_lists_products_with_state_incidents_and_upcoming_runs_in_two_zones(api_client, time_machine):
    time_machine.move_to(DURING, tick=False)
    window = MaintenanceWindowFactory(product=ProductFactory(name="Financials", code="financials"))
    quiet = ProductFactory(name="Intelligent Time", code="intelligent-time")
    incident = IncidentFactory(product=quiet, impact=Incident.Impact.DEGRADED, title="Slow clock-ins")
    IncidentUpdateFactory(incident=incident, message="Investigating.", created_at=DURING - timedelta(hours=2))
    IncidentUpdateFactory(incident=incident, message="Identified.", status="identified", created_at=DURING)

    response = _status(api_client, tz="Europe/Paris", count=2)

    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "Europe/Paris"
    assert body["feeds"]["rss"].endswith("/status/feed/rss/")
    financials, intelligent_time = body["products"]
    assert (financials["code"], financials["status"]) == ("financials", "under_maintenance")
    assert financials["calendar"].endswith("/status/maintenance/financials.ics")
    current = financials["current_maintenance"]
    assert (current["window_id"], current["starts_at"], current["ends_at"]) == (
        window.pk,
        "2026-03-14T02:30:00Z",
        "2026-03-14T06:30:00Z",
    )
    # Paris is still on CET (UTC+1) until 2026-03-29.
    assert (current["starts_at_local"], current["ends_at_local"]) == (
        "2026-03-14T03:30:00+01:00",
        "2026-03-14T07:30:00+01:00",
    )
    assert [run["starts_at"] for run in financials["upcoming_maintenance"]] == [
        "2026-03-14T02:30:00Z",
        "2026-03-21T02:30:00Z",
    ]
    assert (intelligent_time["status"], intelligent_time["current_maintenance"]) == ("degraded", None)
    (open_incident,) = intelligent_time["incidents"]
    assert open_incident["title"] == "Slow clock-ins"
    assert [update["message"] for update in open_incident["updates"]] == ["Identified.", "Investigating."]


def test_status_at_the_end_instant_of_a_window_is_operational(api_client, time_machine):
    MaintenanceWindowFactory()
    time_machine.move_to(datetime(2026, 3, 14, 6, 30, tzinfo=UTC), tick=False)

    (product,) = _status(api_client).json()["products"]

    assert (product["status"], product["current_maintenance"]) == ("operational", None)
    assert product["upcoming_maintenance"][0]["starts_at"] == "2026-03-21T02:30:00Z"


def test_status_at_the_start_instant_of_a_window_is_under_maintenance(api_client, time_machine):
    MaintenanceWindowFactory()
    time_machine.move_to(datetime(2026, 3, 14, 2, 30, tzinfo=UTC), tick=False)

    assert _status(api_client).json()["products"][0]["status"] == "under_maintenance"


def test_invalid_time_zone_is_a_400_with_a_stable_code(api_client):
    response = _status(api_client, tz="Mars/Olympus_Mons")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_time_zone"
    assert response.json()["field"] == "tz"


@pytest.mark.parametrize("count", ["0", "21", "many"])
def test_count_is_bounded(api_client, count):
    response = _status(api_client, count=count)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "count" in response.json()["errors"]


def _populate(products: int) -> None:
    for _ in range(products):
        product = ProductFactory()
        MaintenanceWindowFactory.create_batch(2, product=product)
        for incident in IncidentFactory.create_batch(2, product=product):
            IncidentUpdateFactory.create_batch(3, incident=incident)


def test_status_query_count_does_not_grow_with_products(api_client, django_assert_max_num_queries):
    _populate(1)
    with django_assert_max_num_queries(4):  # products, windows, open incidents, their updates
        small = _status(api_client)
    _populate(5)

    with django_assert_max_num_queries(4):
        large = _status(api_client)

    assert len(small.json()["products"]) == 1
    assert len(large.json()["products"]) == 6
    assert all(len(incident["updates"]) == 3 for incident in large.json()["products"][5]["incidents"])


def test_status_needs_no_login_but_recognises_a_token(api_client, django_assert_max_num_queries):
    _populate(3)
    _, secret = api_token_create(user=member(CompanyFactory()))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    with django_assert_max_num_queries(5):  # the token lookup, then the same four
        assert _status(api_client).status_code == 200


# --- Support directory -------------------------------------------------------------------------


def _contacts(api_client, user=None):
    if user is not None:
        api_client.force_authenticate(user)
    response = api_client.get(reverse("support-contacts"))
    assert response.status_code == 200
    return response.json()


def test_anonymous_visitors_get_the_directory_without_a_personal_part(api_client):
    body = _contacts(api_client)

    assert body["caller"] is None
    assert {region["code"]: region["phone"] for region in body["regions"]} == {
        "north_america": "(877) 704-3700",
        "united_kingdom": "+44 (0)19 1479 5990",
        "australia": "+61 1300 729 330",
        "south_africa": "+27 (0)11 304 3220",
        "france": "01 70 73 16 40",
        "germany": "+49 69 500076297",
    }
    assert (body["hours"]["opens"], body["hours"]["closes"]) == ("06:00", "18:00")
    assert body["hours"]["after_hours_priorities"] == ["P1"]


def test_a_us_member_who_is_not_a_dsu_may_not_call(api_client):
    caller = _contacts(api_client, member(USCompanyFactory()))["caller"]

    assert (caller["may_call_support"], caller["reason"], caller["country"]) == (False, "dsu_required", "US")
    assert (caller["region"]["code"], caller["region"]["phone"]) == ("north_america", "(877) 704-3700")


@pytest.mark.parametrize("role", [Membership.Role.DSU, Membership.Role.MANAGER])
def test_a_us_dsu_or_manager_may_call(api_client, role):
    caller = _contacts(api_client, member(USCompanyFactory(), role=role))["caller"]

    assert (caller["may_call_support"], caller["reason"]) == (True, "dsu_or_manager")
    assert caller["region"]["code"] == "north_america"


def test_a_pending_us_dsu_may_not_call(api_client):
    user = member(USCompanyFactory(), role=Membership.Role.DSU, status=Membership.Status.PENDING)

    caller = _contacts(api_client, user)["caller"]

    assert (caller["may_call_support"], caller["reason"]) == (False, "membership_inactive")


def test_a_french_member_may_call_the_france_number(api_client):
    caller = _contacts(api_client, member(CompanyFactory(country="FR")))["caller"]

    assert (caller["may_call_support"], caller["reason"], caller["country"]) == (True, "member", "FR")
    assert caller["region"]["phone"] == "01 70 73 16 40"
    assert caller["note"] is None


@pytest.mark.parametrize(
    ("country", "region"), [("CA", "north_america"), ("GB", "united_kingdom"), ("DE", "germany")]
)
def test_countries_map_to_their_region(api_client, country, region):
    caller = _contacts(api_client, member(CompanyFactory(country=country)))["caller"]

    assert caller["region"]["code"] == region


def test_a_country_without_a_number_gets_null_and_a_note(api_client):
    caller = _contacts(api_client, member(CompanyFactory(country="ES")))["caller"]

    assert (caller["may_call_support"], caller["region"]) == (True, None)
    assert "ES" in caller["note"]


def test_staff_may_call(api_client):
    caller = _contacts(api_client, AnalystFactory())["caller"]

    assert (caller["may_call_support"], caller["reason"], caller["region"]) == (True, "staff", None)


def test_a_partner_user_calls_for_their_clients(api_client):
    establishment = PartnerEstablishmentFactory(clients=[USCompanyFactory()])

    caller = _contacts(api_client, partner_user(establishment))["caller"]

    assert (caller["may_call_support"], caller["reason"], caller["region"]) == (True, "partner", None)
