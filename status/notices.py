"""What the status page tells its subscribers by e-mail: a maintenance window or an incident update,
each in the subscriber's language, written to the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User
from accounts.notices import person_company, person_email
from notifications.models import Notification
from notifications.outbox import outbox_write


def notifications_for_status_change(
    *, key: str, kind: str, users: list[User], context: dict[str, Any], now: datetime
) -> list[Notification]:
    """Tell subscribers about a maintenance window or an incident update, each in their language."""
    return outbox_write(
        person_email(
            key=key, kind=kind, recipient=user, company=person_company(user), context=context, now=now
        )
        for user in users
    )
