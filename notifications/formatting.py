"""Template filters for e-mail texts: dates and times in the reader's language and time zone.

``render_email`` renders each message with the recipient's language and time zone active
(``translation.override``, ``timezone.override``); these filters read them. Contexts store instants
as ISO 8601 strings (JSON), and an older row's already formatted text passes through unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


@register.filter
def local_datetime(value: object) -> str:
    """``2026-06-01T11:00:00+00:00`` → "1 juin 2026 13:00 (Europe/Paris)" for a French reader in Paris:
    the active language's DATETIME_FORMAT, in the active time zone, which is named."""
    moment = _instant(value)
    if moment is None:
        return "" if value is None else str(value)
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({timezone.get_current_timezone_name()})"


@register.filter
def local_date(value: object) -> str:
    """A day in the active language's DATE_FORMAT ("1 juin 2026"); an instant is first put in the
    active time zone."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    moment = _instant(value)
    if moment is None:
        return "" if value is None else str(value)
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")
