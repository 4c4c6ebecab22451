"""System checks: an inbound provider webhook enabled without its secret refuses every call, and
without an authserv-id no MIME sender is ever authenticated: say so at start-up. The ids stay as
they are (operators may name them in SILENCED_SYSTEM_CHECKS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from inbound.providers import INBOUND_PROVIDERS


@register(Tags.security)
def inbound_email_check(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for name in settings.INBOUND_EMAIL_PROVIDERS:
        provider = INBOUND_PROVIDERS.get(name)
        if provider is None:
            problems.append(
                Error(
                    f"INBOUND_EMAIL_PROVIDERS names '{name}', which Casedesk does not serve.",
                    hint=f"Use some of: {', '.join(sorted(INBOUND_PROVIDERS))}.",
                    id="notifications.E002",
                )
            )
        elif not provider.configured():
            setting = provider.signing_key_setting or "WEBHOOK_SECRET"
            problems.append(
                Error(
                    f"The {name} inbound webhook is enabled but ANYMAIL_{setting} is empty: every call is refused.",
                    id="notifications.E003",
                )
            )
    receiving = settings.INBOUND_EMAIL_SECRET or settings.INBOUND_EMAIL_PROVIDERS
    if receiving and not settings.INBOUND_EMAIL_AUTHSERV_ID:
        problems.append(
            Warning(
                "Inbound mail is enabled but INBOUND_EMAIL_AUTHSERV_ID is empty: no MIME or provider "
                "message will ever count as authenticated.",
                hint="Set it to the authserv-id your receiving server writes in Authentication-Results.",
                id="notifications.W001",
            )
        )
    return problems
