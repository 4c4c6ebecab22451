"""Walking the case list by cursor, forwards and back, with and without a filter."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from cases.models import Case, CaseStatus, Priority
from tests.factories import CaseFactory, CompanyFactory, ProductInstanceFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases_of_a_dsu(api_client: Any) -> list[Case]:
    """Seven cases of one company. Two were opened at the same instant, so a page boundary falls
    between them and the cursor needs its offset; their last updates are all distinct."""
    company = CompanyFactory()
    dsu = member(company, role=Membership.Role.DSU)
    instance = ProductInstanceFactory(company=company)
    start = timezone.now() - timedelta(days=1)
    opened = [start + timedelta(minutes=m) for m in (0, 1, 2, 3, 3, 4, 5)]
    updated = [start + timedelta(hours=1, minutes=m) for m in (6, 2, 5, 0, 3, 1, 4)]
    cases = [
        CaseFactory(
            company=company,
            opened_by=dsu,
            product_instance=instance,
            status_changed_at=at,
            updated_at=update,
            priority=Priority.P3,
        )
        for at, update in zip(opened, updated, strict=True)
    ]
    CaseFactory()  # another company's: never listed
    api_client.force_authenticate(dsu)
    return cases


def _walk(api_client: Any, params: dict[str, Any]) -> tuple[list[list[int]], list[list[int]]]:
    """Pages forwards by ``next`` links, then back from the last page by ``previous`` links."""
    forwards: list[list[int]] = []
    url, query = reverse("case-list"), params
    while url:
        body = api_client.get(url, query).json()
        forwards.append([row["id"] for row in body["results"]])
        url, query, last = body["next"], None, body
    backwards: list[list[int]] = []
    url = last["previous"]
    while url:
        body = api_client.get(url).json()
        backwards.append([row["id"] for row in body["results"]])
        url = body["previous"]
    return forwards, backwards


def _pages(cases: list[Case], size: int) -> list[list[int]]:
    ids = [case.pk for case in cases]
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@pytest.mark.parametrize(
    ("params", "expected_order"),
    [
        ({}, lambda case: (-case.created_at.timestamp(), -case.pk)),  # the default: -created_at, -id
        ({"ordering": "updated_at"}, lambda case: case.updated_at),  # ascending: positions are "after"
    ],
)
def test_pages_walk_forwards_and_back(
    api_client: Any, cases_of_a_dsu: list[Case], params: dict[str, Any], expected_order: Any
) -> None:
    expected = _pages(sorted(cases_of_a_dsu, key=expected_order), 3)  # 5 4 3 | 3 2 1 | 0 by default

    forwards, backwards = _walk(api_client, {"page_size": 3, **params})

    assert forwards == expected
    assert backwards == list(reversed(expected))[1:]


def test_a_filtered_list_pages_the_same(api_client: Any, cases_of_a_dsu: list[Case]) -> None:
    expected = _pages(sorted(cases_of_a_dsu, key=lambda case: (case.created_at, case.pk), reverse=True), 3)

    forwards, backwards = _walk(api_client, {"page_size": 3, "status": CaseStatus.OPEN})

    assert forwards == expected
    assert backwards == list(reversed(expected))[1:]


@pytest.mark.parametrize("position", ["garbage", "2026-01-01 10:00:00", "P1"])
def test_a_cursor_whose_position_is_no_value_of_the_ordering_field_is_invalid(
    api_client: Any, cases_of_a_dsu: list[Case], position: str
) -> None:
    """A cursor made by hand: text that is no date, a date without its zone (it was a 500, then a 404)."""
    cursor = base64.b64encode(f"p={position}".encode()).decode()

    response = api_client.get(reverse("case-list"), {"cursor": cursor})

    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "cursor", ["not base64 at all!", base64.b64encode(b"o=x").decode(), base64.b64encode(b"o=-1").decode()]
)
def test_a_cursor_that_does_not_decode_is_a_400(
    api_client: Any, cases_of_a_dsu: list[Case], cursor: str
) -> None:
    """A bad cursor is the client's mistake, not a missing page (DRF answers 404 not_found)."""
    response = api_client.get(reverse("case-list"), {"cursor": cursor})

    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")
    assert "next" in response.json()["detail"]
