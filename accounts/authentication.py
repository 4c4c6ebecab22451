"""API authentication: DRF's token scheme, reading the caller's membership in the same query."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.selectors import MEMBERSHIP_RELATED, membership_preloaded


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, exactly as DRF's, with the user's membership (company,
    establishment, partner) joined to the token lookup: one query where the request needed two."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        try:
            token = Token.objects.select_related(
                "user", *(f"user__membership__{name}" for name in MEMBERSHIP_RELATED)
            ).get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        membership_preloaded(token.user)  # every API call by a customer or partner asks for it
        return (token.user, token)
