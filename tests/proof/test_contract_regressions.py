"""Each problem the contract fuzzer (scripts/contract_fuzz.sh) found, kept as a regression test."""

import pytest

from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db


def test_password_reset_confirm_with_a_json_list_body_is_400_not_500(api_client):
    response = api_client.post("/api/v1/auth/password-reset/confirm/", [None, None], format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("priority/", {"priority": "P2", "reason": 0}, "reason"),
        ("comments/", {"body": 12, "is_internal": False}, "body"),
        ("comments/", {"body": "x", "is_internal": "yes"}, "is_internal"),
        ("assign/", {"assignee": "12"}, "assignee"),
    ],
)
def test_json_values_of_the_wrong_type_are_refused_not_coerced(api_client, url, payload, field):
    case = CaseFactory()
    api_client.force_authenticate(AnalystFactory())

    response = api_client.post(f"/api/v1/cases/{case.pk}/{url}", payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field][0]["code"] == "invalid_type"


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v1/cases/", {"updated_before": "2026-01-01 00:00"}, "invalid"),
        ("/api/v1/cases/", {"updated_before": ""}, "invalid"),
        ("/api/v1/cases/", {"created_after": "0001-01-01T00:00:00+23:59"}, "invalid"),
        ("/api/v1/cases/", {"page_size": "0"}, "invalid_pagination"),
        ("/api/v1/cases/", {"scope": ""}, "invalid"),
        ("/api/v1/companies/", {"scope": ""}, "invalid_scope"),
        ("/api/v1/companies/", {"limit": "-1"}, "invalid_pagination"),
        ("/api/v1/status/", {"tz": ""}, "invalid"),
        ("/api/v1/status/", {"count": ""}, "invalid"),
    ],
)
def test_query_parameters_outside_the_schema_are_refused(api_client, path, params, code):
    api_client.force_authenticate(member(CompanyFactory()))

    response = api_client.get(path, params)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code


def test_the_same_idempotency_key_on_two_cases_makes_two_comments(api_client):
    first, second = CaseFactory(), CaseFactory()
    api_client.force_authenticate(AnalystFactory())

    a = api_client.post(
        f"/api/v1/cases/{first.pk}/comments/", {"body": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    b = api_client.post(
        f"/api/v1/cases/{second.pk}/comments/", {"body": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    again = api_client.post(
        f"/api/v1/cases/{first.pk}/comments/", {"body": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    other = api_client.post(
        f"/api/v1/cases/{first.pk}/comments/", {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert (a.status_code, b.status_code, again.status_code) == (201, 201, 200)
    assert again.json()["id"] == a.json()["id"]
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=1&limit=2", "repeated_parameter"),
        ("search=%00", "invalid_characters"),
        ("unassigned=null", "invalid"),
        ("escalated=yes", "invalid"),
    ],
)
def test_query_strings_the_schema_cannot_mean_are_refused(api_client, query, code):
    api_client.force_authenticate(AnalystFactory())

    response = api_client.get(f"/api/v1/cases/?{query}")

    assert (response.status_code, response.json()["code"]) == (400, code)


def test_repeatable_list_filters_still_repeat(api_client):
    api_client.force_authenticate(AnalystFactory())

    assert api_client.get("/api/v1/cases/?status=open&status=closed").status_code == 200


def test_ids_too_large_for_the_database_are_404_or_400_never_500(api_client):
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)

    huge_path = api_client.get("/api/v1/cases/99999999999999999999999/")
    huge_body = api_client.post(
        "/api/v1/cases/",
        {"follow_up_of": 10**32, "product_instance": 1, "subject": "x", "problem_summary": "x"},
        format="json",
    )
    nul_code = api_client.post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {"transition": "close_out_of_scope", "out_of_scope_reason": "x\x00y"},
        format="json",
    )

    assert huge_path.status_code == 404
    assert huge_body.status_code == 400 and "follow_up_of" in huge_body.json()["errors"]
    assert nul_code.status_code == 400


def test_rfc3339_offsets_beyond_postgresql_range_still_filter(api_client):
    api_client.force_authenticate(AnalystFactory())

    response = api_client.get("/api/v1/cases/", {"created_after": "0258-08-13T18:44:26.0-22:57"})

    assert response.status_code == 200
