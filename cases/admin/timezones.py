"""Times in the admin read in the analyst's own time zone.

The zone is the analyst's profile setting (their workspace settings page), else their browser's (the
workspace script keeps it in the ``casedesk_tz`` cookie; the login page sets it before the first
admin page), else UTC. ``AnalystTimeZoneMiddleware`` activates it for admin pages only, so Django's
date formatting (templates, the admin's own columns) converts there; API answers keep UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import User
from cases.models import AnalystProfile, time_zone_valid

TIME_ZONE_COOKIE = "casedesk_tz"


@dataclass(frozen=True)
class WorkspaceZone:
    name: str
    source: str  # "profile" | "browser" | "default"

    @property
    def described(self) -> str:
        how = {"profile": "your setting", "browser": "your browser's", "default": "no zone chosen"}
        return f"{self.name} ({how[self.source]})"


def workspace_zone(request: HttpRequest, user: User) -> WorkspaceZone:
    chosen = AnalystProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if chosen and time_zone_valid(chosen):
        return WorkspaceZone(chosen, "profile")
    browser = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if browser and time_zone_valid(browser):
        return WorkspaceZone(browser, "browser")
    return WorkspaceZone("UTC", "default")


class AnalystTimeZoneMiddleware:
    """Activates the analyst's zone (``workspace_zone``) for admin views, as
    ``request.workspace_zone``; every request ends with the default zone (UTC) again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        match = request.resolver_match
        user = getattr(request, "user", None)
        if match is None or "admin" not in match.namespaces:
            return
        if not (isinstance(user, User) and user.is_active and user.is_staff):
            return
        zone = workspace_zone(request, user)
        request.workspace_zone = zone  # type: ignore[attr-defined]
        timezone.activate(ZoneInfo(zone.name))


def local(value: datetime) -> datetime:
    return timezone.localtime(value)


def when_text(value: datetime) -> str:
    """'2025-01-06 10:00 CET' in the active zone."""
    moment = local(value)
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def short_when(value: datetime, now: datetime) -> str:
    """A deadline as people say it: 'today 14:30', 'tomorrow 09:00', 'Tue 14:30', '28 Nov 14:30',
    else the full date."""
    moment, today = local(value), local(now).date()
    days = (moment.date() - today).days
    if days == 0:
        return f"today {moment:%H:%M}"
    if days == 1:
        return f"tomorrow {moment:%H:%M}"
    if days == -1:
        return f"yesterday {moment:%H:%M}"
    if 1 < days < 7:
        return f"{moment:%a %H:%M}"
    if moment.year == local(now).year:
        return f"{moment:%d %b %H:%M}"
    return f"{moment:%Y-%m-%d %H:%M}"


def when_html(value: datetime | None, text: str | None = None) -> SafeString | str:
    """A ``<time>`` in the active zone, with the UTC instant in its title and attribute."""
    if value is None:
        return "—"
    instant = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        instant.isoformat(),
        f"{instant:%Y-%m-%d %H:%M}",
        text if text is not None else when_text(value),
    )
