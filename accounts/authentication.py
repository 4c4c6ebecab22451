"""API authentication: knox's tokens, read with the caller's membership in one query, and the
password check behind ``POST auth/token/`` with django-axes' lockout in the way.

Both API authentication classes switch the request to the user's language (``user_language``) the
moment they know the user: DRF authenticates inside the view, after every middleware ran, so this is
the first place that knows who asks, and it comes before anything the user reads is written
(permission, throttle, parse and validation errors, and the services' refusals).

A token is 64 random hex characters, shown once; the database keeps its SHA-512 digest and its
first 15 characters (knox's ``token_key``, the lookup key and the id a user sees). It expires
``API_TOKEN_TTL`` after it was issued and is not extended by use.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from hmac import compare_digest
from http import HTTPStatus
from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import authentication, exceptions
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import MEMBERSHIP_RELATED, membership_preloaded, user_language
from core.net import client_ip
from core.precompiled import PrecompiledQuery

LIVE_TOKEN_WITH_MEMBERSHIP = PrecompiledQuery("live token with membership", max_entries=1)

# Unknown, malformed, expired, revoked, or its user deactivated: one answer, which tells a holder of
# an old token nothing about the account behind it.
INVALID_TOKEN = gettext_lazy("Invalid or expired token.")


def _live_tokens_with_membership(token_key: str, now: datetime) -> QuerySet[AuthToken]:
    related = ("user", *(f"user__membership__{name}" for name in MEMBERSHIP_RELATED))
    return AuthToken.objects.select_related(*related).filter(token_key=token_key, expiry__gt=now).order_by()


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``: knox's scheme, with the token's user and the user's membership
    (company, establishment, partner) joined to the token lookup, compiled once per process
    (``core.precompiled``). Expired tokens never match (knox deleted them on each request instead,
    another query per request; ``api_token_create`` clears a user's expired tokens)."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user_language_activate(request, result[0])
        return result

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        if not _TOKEN_SHAPE.fullmatch(key):  # nothing else can match: no query
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        candidates = LIVE_TOKEN_WITH_MEMBERSHIP.fetch(
            key="token",
            build=_live_tokens_with_membership,
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            now=timezone.now(),
        )
        digest = hash_token(key)
        for candidate in candidates:  # one, but for a 60-bit prefix collision
            if compare_digest(digest, candidate.digest):
                # Checked at the moment of use: deactivation also revokes, this covers any other path.
                if not candidate.user.is_active:
                    break
                membership_preloaded(candidate.user)  # every API call by a customer or partner asks for it
                return (candidate.user, candidate)
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (the admin's login, for the browsable API), in the user's language."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user_language_activate(request, result[0])
        return result


def user_language_activate(request: Any, user: User) -> None:
    """Answer ``request`` in ``user``'s language from here on; without a setting of their own or their
    company's, the request's (``Accept-Language``) stays. Only under ``core.middleware.LanguageMiddleware``
    (which marks the request with ``LANGUAGE_CODE``): it restores the previous language when the request
    ends, so a view called without it (a test's request factory) leaves no language behind."""
    if getattr(request, "LANGUAGE_CODE", None) is None:
        return
    language = user_language(user)
    if language is not None:
        translation.activate(language)


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """drf-spectacular describes DRF's class itself, not subclasses: the same cookie scheme for ours."""

    target_class = SessionAuthentication
    name = "cookieAuth"
    priority = -1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme: ``Authorization: Token <key>``, under its name of before."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX
        )


_TOKEN_SHAPE = re.compile(
    re.escape(knox_settings.TOKEN_PREFIX) + f"[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}"
)


class LoginLocked(exceptions.Throttled):
    """Too many failed logins for the username or from the address (django-axes): 429 with
    ``Retry-After`` (the handler adds ``retry_after_seconds``), whatever the password."""

    default_detail = gettext_lazy(
        "Too many failed logins for this username or from this address; try again later."
    )
    default_code = "login_locked"


def credentials_authenticate(*, request: HttpRequest, username: str, password: str) -> User:
    """The user ``username``/``password`` name, through Django's authentication backends with the
    HTTP request, so django-axes counts the failure and refuses a locked-out username or address.

    Refuses with one answer for a wrong password, an unknown username and a deactivated account;
    with ``LoginLocked`` while the lockout lasts (the right password included)."""
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LoginLocked(wait=lockout_remaining_seconds(request, username))
    if not isinstance(user, User):
        raise exceptions.ValidationError(
            {"non_field_errors": [gettext_lazy("Unable to log in with provided credentials.")]},
            code="authorization",
        )
    return user


def lockout_remaining_seconds(request: HttpRequest, username: str | None) -> int | None:
    """Seconds after which the lockout has passed for sure: the cool-off after the newest failure
    counted against the username or the address (failures during a lockout are not counted, so it
    does not grow). django-axes counts a failure until the cool-off has fully elapsed, hence the
    second more."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    now = timezone.now()
    newest = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=client_ip(request)), attempt_time__gte=now - cool_off
    ).aggregate(newest=Max("attempt_time"))["newest"]
    remaining = ((newest or now) + cool_off - now).total_seconds()
    return math.floor(remaining) + 1


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``). An API view has
    already answered in JSON (``LoginLocked``): that stands. Elsewhere (the admin's login form) a
    page in the admin's style says for how long."""
    if isinstance(original_response, Response):
        return original_response
    remaining = lockout_remaining_seconds(request, get_client_username(request, credentials))
    context = {
        **admin.site.each_context(request),
        "title": "Login locked",
        "failure_limit": get_failure_limit(request, credentials),
        "retry_after_minutes": None if remaining is None else max(1, round(remaining / 60)),
    }
    response = render(request, "admin/login_locked.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    if remaining is not None:
        response["Retry-After"] = str(remaining)
    return response
