"""System checks: settings that must never reach production unnoticed. A webhook exception for
private networks is for tests only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security)
def webhook_private_networks_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """WEBHOOK_ALLOWED_PRIVATE_NETWORKS opens the internal network to customers' webhook URLs; it
    exists for tests. With DEBUG off it is an error, so `migrate` and `check` stop on it."""
    if settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS and not settings.DEBUG:
        return [
            Error(
                "WEBHOOK_ALLOWED_PRIVATE_NETWORKS is set while DEBUG is off: webhooks could reach "
                f"{', '.join(settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS)}.",
                hint="It is for tests only: leave it empty in production.",
                id="notifications.E001",
            )
        ]
    return []
