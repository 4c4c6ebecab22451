"""API authentication: DRF's token scheme, reading the caller's membership in the same query."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.selectors import MEMBERSHIP_RELATED, membership_preloaded
from core.precompiled import PrecompiledQuery

TOKEN_WITH_MEMBERSHIP = PrecompiledQuery("token with membership", max_entries=1)


def _token_with_membership(token_key: str) -> QuerySet[Token]:
    related = ("user", *(f"user__membership__{name}" for name in MEMBERSHIP_RELATED))
    return Token.objects.select_related(*related).filter(key=token_key).order_by()


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, exactly as DRF's, with the user's membership (company,
    establishment, partner) joined to the token lookup: one query where the request needed two,
    compiled once per process (``core.precompiled``; it is the same SQL for every caller)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        tokens = TOKEN_WITH_MEMBERSHIP.fetch(key="token", build=_token_with_membership, token_key=key)
        if not tokens:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = tokens[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        membership_preloaded(token.user)  # every API call by a customer or partner asks for it
        return (token.user, token)
