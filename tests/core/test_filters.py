"""core.api.filters.FilterBackend skips the filter form only where that changes nothing."""

import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cases.api.filters import CaseFilter
from cases.api.views import CaseListCreateApi
from cases.models import Case
from core.api.filters import FilterBackend
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db

# Every filter set the API uses (a new one must be added here: the skip relies on it).
FILTER_SETS = [CaseFilter]


@pytest.mark.parametrize("filterset_class", FILTER_SETS)
def test_a_filter_set_given_no_parameter_filters_nothing(filterset_class):
    """The premise of the skip: no filter has a default that applies when its parameter is absent."""
    queryset = filterset_class._meta.model.objects.all()
    assert str(filterset_class(data={}, queryset=queryset).qs.query) == str(queryset.query)


def _filtered(backend, query_string: str) -> str:
    request = Request(APIRequestFactory().get(f"/api/v1/cases/?{query_string}"))
    request.user = AnalystFactory()  # the search reads who asks (customers: public texts only)
    view = CaseListCreateApi()
    view.request = request
    return str(backend().filter_queryset(request, Case.objects.all(), view).query)


@pytest.mark.parametrize(
    "query_string",
    [
        "",
        "page_size=25",
        "cursor=abc&ordering=-created_at",
        "status=open",
        "created_after=2026-01-01T00:00:00Z",
        "search=CS-000001",
        "escalated=true&unassigned=false",
        "status_x=1",
    ],
)
def test_the_backend_filters_exactly_as_django_filters(query_string):
    CaseFactory()
    assert _filtered(FilterBackend, query_string) == _filtered(DjangoFilterBackend, query_string)


def test_a_bad_filter_value_is_still_refused(api_client):
    from tests.factories import CompanyFactory, member

    api_client.force_authenticate(member(CompanyFactory()))
    response = api_client.get("/api/v1/cases/?created_after=yesterday")
    assert response.status_code == 400
    assert response.json()["code"]
