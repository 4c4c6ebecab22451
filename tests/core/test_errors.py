import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_unauthenticated_request_gets_401_with_code(api_client):
    response = api_client.get(reverse("me"))

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_gets_401_authentication_failed(api_client):
    response = api_client.get(reverse("me"), HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_unknown_api_path_gets_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such endpoint."}


def test_validation_error_lists_field_errors(api_client):
    response = api_client.post(reverse("auth-token"), {"username": "someone"}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert body["detail"] == "Invalid input: password."
    assert body["errors"] == {"password": [{"code": "required", "message": "This field is required."}]}


def test_wrong_password_is_refused_with_a_code(api_client):
    UserFactory(username="ana", password="right-password-123")

    response = api_client.post(reverse("auth-token"), {"username": "ana", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "authorization"


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.post(reverse("auth-token"), data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_method_not_allowed_has_a_code(api_client):
    response = api_client.delete(reverse("auth-token"))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_token_authenticates_later_requests(api_client):
    UserFactory(username="ana", password="right-password-123")

    token = api_client.post(
        reverse("auth-token"), {"username": "ana", "password": "right-password-123"}, format="json"
    ).json()["token"]
    response = api_client.get(reverse("me"), HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json()["username"] == "ana"


def test_throttled_request_gets_429_with_retry_after(api_client, settings):
    settings.THROTTLE_RATES = {"anon": "2/min", "user": "2/min"}
    from django.core.cache import cache

    cache.clear()
    statuses = [api_client.get(reverse("api-root")).status_code for _ in range(3)]

    response = api_client.get(reverse("api-root"))
    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
