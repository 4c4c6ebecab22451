import pytest

from tests.factories import CaseFactory


@pytest.mark.django_db
def test_query_count_header_reports_the_queries_a_request_ran(client, settings, django_assert_num_queries):
    settings.QUERY_COUNT_HEADER = True
    case = CaseFactory()
    client.force_login(case.opened_by)

    response = client.get(f"/api/v1/cases/{case.pk}/")

    assert int(response["X-Query-Count"]) >= 3


@pytest.mark.django_db
def test_no_header_unless_asked(client):
    assert "X-Query-Count" not in client.get("/healthz")
