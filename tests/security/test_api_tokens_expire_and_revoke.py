"""An API token is stored only as a digest, expires after a configured lifetime whatever its use,
and dies with the password it was issued under, with its user's account or membership, or when its
owner revokes it."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from accounts.models import Membership, User
from accounts.services import api_token_create
from tests.factories import CompanyFactory, UserFactory, member
from tests.security.html_forms import form_fields

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)
PASSWORD = "right-password-123"


def _login(api_client, username: str, password: str = PASSWORD):
    return api_client.post(reverse("auth-token"), {"username": username, "password": password}, format="json")


def _me(api_client, secret: str):
    return api_client.get(reverse("me"), HTTP_AUTHORIZATION=f"Token {secret}")


def _refused(response) -> bool:
    return (response.status_code, response.json()) == (
        401,
        {"code": "authentication_failed", "detail": "Invalid or expired token."},
    )


def test_a_login_answers_the_token_and_its_expiry_and_keeps_only_a_digest(api_client, settings):
    settings.API_TOKEN_TTL = timedelta(hours=10)
    UserFactory(username="ana", password=PASSWORD)

    with time_machine.travel(NOW, tick=False):
        response = _login(api_client, "ana")

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"token", "expiry"}
    assert datetime.fromisoformat(body["expiry"]) == NOW + timedelta(hours=10)
    secret = body["token"]
    row = AuthToken.objects.get(user__username="ana")
    assert row.digest == hashlib.sha512(secret.encode()).hexdigest()
    # Nowhere in the table in the clear: only its digest and its first 15 characters (its id).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        stored = [str(value) for row_values in cursor.fetchall() for value in row_values]
    assert not any(secret in value for value in stored)
    assert row.token_key == secret[:15]
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert _me(api_client, secret).json()["username"] == "ana"


@pytest.mark.parametrize("lifetime", [timedelta(hours=1), timedelta(hours=10)])
def test_a_token_stops_working_when_its_lifetime_ends_however_much_it_is_used(api_client, settings, lifetime):
    settings.API_TOKEN_TTL = lifetime
    user = UserFactory()
    with time_machine.travel(NOW, tick=False) as clock:
        token, secret = api_token_create(user=user)
        clock.move_to(NOW + lifetime / 2)
        assert _me(api_client, secret).status_code == 200
        clock.move_to(NOW + lifetime - timedelta(seconds=1))
        assert _me(api_client, secret).status_code == 200
        clock.move_to(NOW + lifetime)
        assert _refused(_me(api_client, secret))

    token.refresh_from_db()
    assert token.expiry == NOW + lifetime  # use never extended it


def test_tokens_of_the_old_drf_kind_and_malformed_headers_are_refused_without_an_error(api_client):
    for header in ("Token " + "a" * 40, "Token " + "é" * 64, "Token " + "g" * 64, "Token a b", "Token"):
        response = api_client.get(reverse("me"), HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response.json()["code"] == "authentication_failed"


def test_a_user_lists_their_own_live_tokens_and_never_a_secret(api_client, settings):
    settings.API_TOKEN_TTL = timedelta(hours=10)
    user, other = UserFactory(), UserFactory()
    with time_machine.travel(NOW, tick=False) as clock:
        _, expired_secret = api_token_create(user=user)
        clock.move_to(NOW + timedelta(hours=9))
        older, older_secret = api_token_create(user=user)
        clock.move_to(NOW + timedelta(hours=9, minutes=30))
        newer, newer_secret = api_token_create(user=user)
        _, others_secret = api_token_create(user=other)
        clock.move_to(NOW + timedelta(hours=10, minutes=1))  # the first one has expired
        response = _me_tokens(api_client, newer_secret)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": newer.token_key,
            "created": "2026-06-01T18:30:00Z",
            "expiry": "2026-06-02T04:30:00Z",
            "current": True,
        },
        {
            "id": older.token_key,
            "created": "2026-06-01T18:00:00Z",
            "expiry": "2026-06-02T04:00:00Z",
            "current": False,
        },
    ]
    content = response.content.decode()
    for secret in (expired_secret, older_secret, newer_secret, others_secret):
        assert secret not in content
    assert newer.digest not in content and older.digest not in content


def _me_tokens(api_client, secret: str):
    return api_client.get(reverse("auth-token-list"), HTTP_AUTHORIZATION=f"Token {secret}")


def test_a_user_revokes_one_of_their_tokens_and_not_someone_elses(api_client):
    user, other = UserFactory(), UserFactory()
    _, kept_secret = api_token_create(user=user)
    revoked, revoked_secret = api_token_create(user=user)
    others, others_secret = api_token_create(user=other)
    auth = {"HTTP_AUTHORIZATION": f"Token {kept_secret}"}

    gone = api_client.delete(reverse("auth-token-detail", args=[revoked.token_key]), **auth)
    not_mine = api_client.delete(reverse("auth-token-detail", args=[others.token_key]), **auth)
    again = api_client.delete(reverse("auth-token-detail", args=[revoked.token_key]), **auth)

    assert gone.status_code == 204
    assert _refused(_me(api_client, revoked_secret))
    assert (not_mine.status_code, not_mine.json()["code"]) == (404, "not_found")
    assert not_mine.json() == again.json()  # another's token answers as one that does not exist
    assert _me(api_client, others_secret).status_code == 200
    assert _me(api_client, kept_secret).status_code == 200


def test_revoking_all_ends_every_session_of_the_caller_only(api_client):
    user, other = UserFactory(), UserFactory()
    secrets = [api_token_create(user=user)[1] for _ in range(3)]
    others_secret = api_token_create(user=other)[1]

    response = api_client.delete(reverse("auth-token-list"), HTTP_AUTHORIZATION=f"Token {secrets[0]}")

    assert response.status_code == 204
    assert all(_refused(_me(api_client, secret)) for secret in secrets)
    assert _me(api_client, others_secret).status_code == 200


def test_a_user_keeps_the_newest_tokens_up_to_the_limit(api_client, settings):
    settings.API_TOKENS_PER_USER = 2
    UserFactory(username="ana", password=PASSWORD)
    secrets = []
    with time_machine.travel(NOW, tick=False) as clock:
        for minute in range(3):
            clock.move_to(NOW + timedelta(minutes=minute))
            secrets.append(_login(api_client, "ana").json()["token"])

        assert _refused(_me(api_client, secrets[0]))  # the oldest
        assert [_me(api_client, secret).status_code for secret in secrets[1:]] == [200, 200]
    assert AuthToken.objects.filter(user__username="ana").count() == 2


def test_a_login_clears_the_users_expired_tokens(api_client, settings):
    settings.API_TOKEN_TTL = timedelta(hours=1)
    user = UserFactory(username="ana", password=PASSWORD)
    with time_machine.travel(NOW, tick=False) as clock:
        api_token_create(user=user)
        clock.move_to(NOW + timedelta(hours=2))
        _login(api_client, "ana")

    assert AuthToken.objects.filter(user=user).count() == 1


# --- revoked by what ends the account's trust -----------------------------------------------------


def test_a_password_reset_revokes_the_users_tokens(api_client):
    user = member(CompanyFactory())
    _, secret = api_token_create(user=user)

    response = api_client.post(
        reverse("password-reset-confirm"),
        {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "new_password": "a-Much-better-pass-42",
        },
    )

    assert response.status_code == 204
    assert _refused(_me(api_client, secret))


def test_a_password_changed_in_the_admin_revokes_the_users_tokens(client, api_client):
    user = UserFactory()
    _, secret = api_token_create(user=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    response = client.post(
        url,
        {
            "password1": "a-Much-better-pass-42",
            "password2": "a-Much-better-pass-42",
            "set_usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password("a-Much-better-pass-42")
    assert _refused(_me(api_client, secret))


def _admin_user_form(client, user: User) -> tuple[str, dict[str, str]]:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url)
    assert page.status_code == 200
    return url, form_fields(page.content.decode(), "user_form")


def test_a_user_deactivated_in_the_admin_loses_their_tokens_for_good(client, api_client):
    user = member(CompanyFactory())
    _, secret = api_token_create(user=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url, fields = _admin_user_form(client, user)
    fields.pop("is_active")  # the checkbox unticked

    assert client.post(url, fields).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    User.objects.filter(pk=user.pk).update(is_active=True)  # reactivated: the old tokens stay dead
    assert _refused(_me(api_client, secret))


def test_a_membership_disabled_in_the_admin_revokes_the_members_tokens(client, api_client):
    user = member(CompanyFactory())
    _, secret = api_token_create(user=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url, fields = _admin_user_form(client, user)
    status_field = next(name for name in fields if name.endswith("-status"))
    fields[status_field] = Membership.Status.DISABLED

    assert client.post(url, fields).status_code == 302
    assert Membership.objects.get(user=user).status == Membership.Status.DISABLED
    assert _refused(_me(api_client, secret))


def test_a_member_disabled_by_their_manager_loses_their_tokens(api_client):
    company = CompanyFactory()
    manager, colleague = member(company, role=Membership.Role.MANAGER), member(company)
    _, secret = api_token_create(user=colleague)
    _, manager_secret = api_token_create(user=manager)

    response = api_client.patch(
        reverse("company-member-detail", args=[company.pk, colleague.pk]),
        {"status": Membership.Status.DISABLED},
        format="json",
        HTTP_AUTHORIZATION=f"Token {manager_secret}",
    )

    assert response.status_code == 200, response.json()
    assert _refused(_me(api_client, secret))
    assert _me(api_client, manager_secret).status_code == 200


def test_an_inactive_user_is_refused_at_the_moment_of_use(api_client):
    user = member(CompanyFactory())
    _, secret = api_token_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)  # whatever path did it: no revocation ran

    assert _refused(_me(api_client, secret))
