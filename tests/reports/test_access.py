"""Who may read reports, and the refusals of their filters (each with its code)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership
from reports.selectors import week_label
from tests.factories import (
    AnalystFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    member,
    partner_user,
)
from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db

REPORTS = [
    "report-sla-attainment",
    "report-response-times",
    "report-backlog",
    "report-reopens",
    "report-escalations",
    "report-satisfaction",
    "report-satisfaction-comments",
    "report-analyst-load",
]
EVERY_ENDPOINT = [*REPORTS, *(f"{name}-csv" for name in REPORTS)]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("name", EVERY_ENDPOINT)
def test_a_support_manager_reads_every_report(api, name):
    response = api.get(reverse(name), PERIOD)

    assert response.status_code == 200
    expected = "text/csv" if name.endswith("-csv") else "application/json"
    assert response["Content-Type"].startswith(expected)


@pytest.mark.parametrize("name", EVERY_ENDPOINT)
def test_anyone_else_but_a_company_manager_is_refused(world, frozen_now, name):
    establishment = PartnerEstablishmentFactory(clients=[world.acme])
    refused = [
        world.acme_dsu,  # a DSU, not a manager
        member(world.acme),  # a plain member
        member(world.acme, role=Membership.Role.MANAGER, status=Membership.Status.PENDING),
        member(world.acme, role=Membership.Role.MANAGER, status=Membership.Status.DISABLED),
        partner_user(establishment, role=Membership.Role.MANAGER),  # a partner's manager
        AnalystFactory(),  # support staff, not a manager
    ]
    for user in refused:
        response = client_for(user).get(reverse(name), PERIOD)

        assert response.status_code == 403, user
        assert response.json()["code"] == "reports_not_allowed"
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", EVERY_ENDPOINT)
def test_an_anonymous_caller_is_asked_to_authenticate(world, name):
    response = APIClient().get(reverse(name), PERIOD)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_deactivated_company_manager_is_refused(world, frozen_now):
    world.acme_manager.is_active = False
    world.acme_manager.save(update_fields=["is_active"])

    response = client_for(world.acme_manager).get(reverse("report-reopens"), PERIOD)

    assert response.status_code == 403


def test_a_company_manager_reads_only_their_company(world, frozen_now):
    client = client_for(world.acme_manager)

    own = client.get(reverse("report-reopens"), PERIOD)
    named = client.get(reverse("report-reopens"), {**PERIOD, "company": world.acme.pk})
    other = client.get(reverse("report-reopens"), {**PERIOD, "company": world.bouquet.pk})
    other_csv = client.get(reverse("report-backlog-csv"), {**PERIOD, "company": world.bouquet.pk})

    # Acme's closings: W23 a5, a7, a2, a1 (2 reopened); W24 a7 (reopened). Bouquet's b3 is left out.
    assert own.status_code == 200
    assert own.json()["filters"]["company"] == world.acme.pk
    assert own.json()["total"] == {"closed": 5, "reopened": 3, "reopen_rate": 0.6}
    assert named.json() == own.json()
    # Another company's id answers as an id of nobody's.
    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    assert (other_csv.status_code, other_csv.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("name", ["report-analyst-load", "report-backlog", "report-satisfaction-comments"])
def test_a_company_manager_never_sees_another_companys_rows(world, frozen_now, name):
    body = client_for(world.bouquet_manager).get(reverse(name), PERIOD).json()

    assert "Acme" not in str(body)
    if name == "report-satisfaction-comments":
        assert body["results"] == []  # the four comments of the period are Acme's
        return
    assert world.bouquet.pk == body["filters"]["company"]
    if name == "report-backlog":
        assert body["total"] == 2  # b1 (in progress) and b2 (open); the Acme cases are not counted


def test_an_unknown_company_is_not_found(api):
    response = api.get(reverse("report-backlog"), {"company": 987654})

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"from": "2026-06-10", "to": "2026-06-01"}, "invalid_date_range", None),
        ({"from": "2024-05-31", "to": "2026-06-01"}, "date_range_too_long", None),  # 732 days
        ({"from": "2026-02-30"}, "invalid", "from"),
        ({"to": "yesterday"}, "invalid", "to"),
        ({"from": ""}, "invalid", "from"),
        ({"priority": "P9"}, "invalid", "priority"),
        ({"product": "no-such-product"}, "invalid", "product"),
        ({"product": "bad code!"}, "invalid", "product"),
        ({"company": "acme"}, "invalid", "company"),
        ({"company": "0"}, "invalid", "company"),
        ({"company": str(2**64)}, "invalid", "company"),
        ({"analyst": "12x"}, "invalid", "analyst"),
        ({"since": "2026-06-01"}, "unknown_parameter", None),
        ({"to": "0093-02-22"}, "date_out_of_range", None),
        ({"to": "0001-01-01"}, "date_out_of_range", None),  # the default `from` would be no date
        ({"from": "1969-12-31", "to": "1970-01-31"}, "date_out_of_range", None),
        ({"from": "9998-12-01", "to": "9999-12-31"}, "date_out_of_range", None),  # no day after it
    ],
)
def test_bad_filters_are_refused_with_their_code(api, params, code, field):
    response = api.get(reverse("report-sla-attainment"), params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert field in body["errors"]


def test_two_years_is_the_longest_period(api):
    # 2024-06-01 .. 2026-06-01, both days included: 365 + 365 + 1 = 731 days.
    assert api.get(reverse("report-backlog"), {"from": "2024-06-01", "to": "2026-06-01"}).status_code == 200
    refused = api.get(reverse("report-backlog"), {"from": "2024-05-31", "to": "2026-06-01"})
    assert refused.json() == {
        "code": "date_range_too_long",
        "detail": "A report covers at most 731 days; ask for a shorter period.",
        "max_days": 731,
    }


@pytest.mark.parametrize("name", EVERY_ENDPOINT)
def test_a_period_beyond_the_dates_reports_cover_is_refused_on_every_endpoint(api, name):
    response = api.get(reverse(name), {"from": "9998-12-01", "to": "9999-12-31"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "date_out_of_range",
        "detail": "A report's period lies between 1970-01-01 and 9998-12-31; 9999-12-31 does not.",
        "min_date": "1970-01-01",
        "max_date": "9998-12-31",
    }


def test_the_first_and_last_days_reports_cover_are_answered(api):
    assert api.get(reverse("report-backlog"), {"from": "1970-01-01", "to": "1970-03-01"}).status_code == 200
    assert api.get(reverse("report-reopens"), {"from": "9998-12-01", "to": "9998-12-31"}).status_code == 200


def test_week_names_have_four_digit_years():
    assert week_label(date(92, 12, 1)) == "0092-W49"
    assert week_label(date(2026, 6, 1)) == "2026-W23"


def test_an_analyst_filter_must_name_support_staff(api, world):
    customer = api.get(reverse("report-analyst-load"), {"analyst": world.acme_dsu.pk})
    nobody = api.get(reverse("report-analyst-load"), {"analyst": 99999})

    # A customer's id answers exactly as an id of nobody.
    assert customer.json() == nobody.json()
    assert customer.json()["errors"]["analyst"][0]["code"] == "does_not_exist"


def test_a_repeated_single_filter_is_refused_before_the_view(api):
    response = api.get(reverse("report-backlog") + "?from=2026-06-01&from=2026-06-02")

    assert (response.status_code, response.json()["code"]) == (400, "repeated_parameter")


def test_who_is_asking_is_checked_before_the_filters(world, frozen_now):
    response = client_for(world.acme_dsu).get(reverse("report-backlog"), {"from": "nonsense", "since": "x"})

    assert (response.status_code, response.json()["code"]) == (403, "reports_not_allowed")


def test_several_priorities_may_be_given(api):
    response = api.get(reverse("report-backlog") + "?priority=P2&priority=P3")

    # Not closed, P2 or P3: a9, b1 (P2), b2 (P3).
    assert response.json()["total"] == 3
    assert response.json()["filters"]["priority"] == ["P2", "P3"]


def test_a_company_with_nothing_yet_has_empty_reports(api):
    empty = CompanyFactory()

    body = api.get(reverse("report-sla-attainment"), {**PERIOD, "company": empty.pk}).json()

    assert body["cells"] == []
    assert {t["attainment"] for t in body["totals"]} == {None}
