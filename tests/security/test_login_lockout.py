"""Repeated failed logins lock out the username and the address (django-axes), on the API's token
endpoint and the admin's login form alike, for a cool-off that further attempts do not extend."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)
PASSWORD = "right-password-123"
LIMIT = 3
COOL_OFF = timedelta(minutes=15)
# A failure counts until the cool-off has fully elapsed: the lockout has passed a second later.
RETRY_AFTER = int(COOL_OFF.total_seconds()) + 1


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF
    settings.THROTTLE_RATES = {"anon": "10000/min", "user": "10000/min"}  # the lockout, not the throttle


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", password=PASSWORD, is_staff=True, is_superuser=True)


def _api_login(api_client, username: str, password: str, address: str = "203.0.113.9"):
    return api_client.post(
        reverse("auth-token"),
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def _admin_login(client, username: str, password: str, address: str = "203.0.113.9"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def _locked(response) -> bool:
    return response.status_code == 429 and response.json()["code"] == "login_locked"


def test_the_token_endpoint_locks_a_username_out_then_lets_it_in_after_the_cool_off(api_client, ana):
    with time_machine.travel(NOW, tick=False) as clock:
        failures = [_api_login(api_client, "ana", "wrong") for _ in range(LIMIT - 1)]
        tripping = _api_login(api_client, "ana", "wrong")
        right_password = _api_login(api_client, "ana", PASSWORD)
        clock.move_to(NOW + COOL_OFF - timedelta(seconds=1))
        almost = _api_login(api_client, "ana", PASSWORD)
        clock.move_to(NOW + timedelta(seconds=int(tripping["Retry-After"])))
        after = _api_login(api_client, "ana", PASSWORD)

    assert [f.status_code for f in failures] == [400] * (LIMIT - 1)
    assert _locked(tripping)
    assert tripping["Content-Type"] == "application/json"
    assert tripping["Retry-After"] == str(RETRY_AFTER)
    assert tripping.json()["retry_after_seconds"] == RETRY_AFTER
    assert _locked(right_password)  # the right password is refused while the lockout lasts
    assert _locked(almost) and almost["Retry-After"] == "2"
    assert after.status_code == 200 and "token" in after.json()  # retrying when told to succeeds


def test_attempts_during_a_lockout_do_not_extend_it(api_client, ana):
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(LIMIT):
            _api_login(api_client, "ana", "wrong")
        clock.move_to(NOW + COOL_OFF - timedelta(minutes=1))
        assert _locked(_api_login(api_client, "ana", "wrong"))  # refused, and not counted
        clock.move_to(NOW + timedelta(seconds=RETRY_AFTER))
        assert _api_login(api_client, "ana", PASSWORD).status_code == 200


def test_a_username_is_locked_out_whatever_address_the_guesses_come_from(api_client, ana):
    with time_machine.travel(NOW, tick=False):
        for n in range(LIMIT):
            _api_login(api_client, "ana", "wrong", address=f"198.51.100.{n + 1}")
        from_elsewhere = _api_login(api_client, "ana", PASSWORD, address="192.0.2.77")

    assert _locked(from_elsewhere)


def test_an_address_is_locked_out_whatever_usernames_it_tries(api_client, ana):
    UserFactory(username="bob", password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        for name in ("carl", "dora", "ed")[:LIMIT]:
            _api_login(api_client, name, "wrong", address="198.51.100.1")
        same_address = _api_login(api_client, "bob", PASSWORD, address="198.51.100.1")
        other_address = _api_login(api_client, "bob", PASSWORD, address="198.51.100.2")

    assert _locked(same_address)
    assert other_address.status_code == 200


def test_a_username_that_does_not_exist_is_locked_out_like_one_that_does(api_client, ana):
    """The lockout reveals nothing: it counts usernames, not accounts."""
    with time_machine.travel(NOW, tick=False):
        real = [_api_login(api_client, "ana", "wrong", address=f"198.51.100.{n}") for n in range(LIMIT + 1)]
        made_up = [
            _api_login(api_client, "nobody-here", "wrong", address=f"192.0.2.{n}") for n in range(LIMIT + 1)
        ]

    assert (
        [r.status_code for r in real] == [r.status_code for r in made_up] == [400] * (LIMIT - 1) + [429] * 2
    )
    assert [r.json()["code"] for r in real] == [r.json()["code"] for r in made_up]


def test_a_form_encoded_login_is_refused_before_any_password_is_tried(api_client, ana):
    """The API reads JSON only: a form login is 415, and tries no password (nothing counted)."""
    with time_machine.travel(NOW, tick=False):
        refused = [
            api_client.post(
                reverse("auth-token"), {"username": "ana", "password": "wrong"}, format="multipart"
            )
            for _ in range(LIMIT)
        ]
        response = api_client.post(
            reverse("auth-token"), {"username": "ana", "password": PASSWORD}, format="json"
        )

    assert {(r.status_code, r.json()["code"]) for r in refused} == {(415, "unsupported_media_type")}
    assert response.status_code == 200


def test_the_admin_login_form_locks_out_and_shows_the_lockout_page(client, ana):
    with time_machine.travel(NOW, tick=False) as clock:
        failures = [_admin_login(client, "ana", "wrong") for _ in range(LIMIT - 1)]
        tripping = _admin_login(client, "ana", "wrong")
        right_password = _admin_login(client, "ana", PASSWORD)
        clock.move_to(NOW + timedelta(seconds=RETRY_AFTER))
        after = _admin_login(client, "ana", PASSWORD)

    assert [f.status_code for f in failures] == [200] * (LIMIT - 1)  # the form again, with its error
    for locked in (tripping, right_password):
        assert locked.status_code == 429
        assert locked["Content-Type"].startswith("text/html")
        assert "Too many failed logins" in locked.content.decode()
        assert locked["Retry-After"] == str(RETRY_AFTER)
    assert "Try again in 15 minutes" in tripping.content.decode()
    assert after.status_code == 302 and after["Location"] == reverse("admin:index")


def test_failures_on_the_admin_and_the_api_count_against_the_same_username(client, api_client, ana):
    with time_machine.travel(NOW, tick=False):
        for _ in range(LIMIT - 1):
            _admin_login(client, "ana", "wrong", address="198.51.100.1")
        _api_login(api_client, "ana", "wrong", address="198.51.100.2")
        api = _api_login(api_client, "ana", PASSWORD, address="198.51.100.3")
        admin = _admin_login(client, "ana", PASSWORD, address="198.51.100.4")

    assert _locked(api)
    assert admin.status_code == 429


def test_a_lockout_follows_the_client_address_behind_the_trusted_proxy(api_client, ana, settings):
    """The one rule of core.net.client_ip: rotating what the client writes in X-Forwarded-For does
    not give it a fresh address; another client behind the same proxy is not locked out."""
    settings.NUM_PROXIES = 1
    UserFactory(username="bob", password=PASSWORD)

    def login(username, password, forwarded_for):
        return api_client.post(
            reverse("auth-token"),
            {"username": username, "password": password},
            format="json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    with time_machine.travel(NOW, tick=False):
        for n, name in enumerate(("carl", "dora", "ed")[:LIMIT]):
            login(name, "wrong", f"10.9.9.{n}, 198.51.100.7")
        same_client = login("bob", PASSWORD, "10.9.9.99, 198.51.100.7")
        other_client = login("bob", PASSWORD, "198.51.100.8")

    assert _locked(same_client)
    assert other_client.status_code == 200
