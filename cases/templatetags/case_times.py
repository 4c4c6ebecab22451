"""Times in workspace templates: ``{{ value|when }}`` in the analyst's zone (``cases.admin.timezones``)
and ``{{ value|time_since }}`` for how long something has lasted."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from cases.admin.display import elapsed_text
from cases.admin.timezones import when_html

register = template.Library()


@register.filter
def when(value: datetime | None) -> SafeString | str:
    return when_html(value)


@register.filter
def when_as(value: datetime | None, text: str) -> SafeString | str:
    """``value`` as a ``<time>`` reading ``text`` (e.g. 'due today 14:30')."""
    return when_html(value, text)


@register.filter
def time_since(value: datetime | None) -> str:
    return elapsed_text(timezone.now() - value) if value is not None else "—"
