"""An analyst's own workspace settings: the time zone times are shown in, and saved case lists."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import AnalystProfile, SavedView, time_zone_valid
from core.errors import PermissionRefused, ValidationFailed

# Changelist parameters that say where the analyst is (page, popup, error flag), not what they look at.
_NOT_A_FILTER = frozenset({"p", "e", "all", "_popup", "_to_field", "_changelist_filters", "_facets"})
SAVED_VIEW_QUERY_MAX = 1000


def _staff_only(user: User) -> None:
    if not (user.is_staff and user.is_active):
        raise PermissionRefused("Only support staff have a workspace.", code="support_only")


def analyst_time_zone_check(time_zone: str) -> str:
    """The zone as stored: an IANA name this machine knows, or "" (follow the browser; UTC in
    e-mails). Refuses anything else with 400 ``invalid_time_zone``."""
    time_zone = time_zone.strip()
    if time_zone and not time_zone_valid(time_zone):
        raise ValidationFailed(
            _("'%(value)s' is not an IANA time zone.") % {"value": time_zone},
            code="invalid_time_zone",
            extra={"field": "time_zone"},
        )
    return time_zone


@transaction.atomic
def analyst_time_zone_set(*, analyst: User, time_zone: str) -> AnalystProfile:
    """Set the zone the workspace shows ``analyst`` times in and their e-mails are dated in ("" follows
    the browser); the one writer of ``AnalystProfile.time_zone``. A no-op when unchanged."""
    _staff_only(analyst)
    time_zone = analyst_time_zone_check(time_zone)
    AnalystProfile.objects.get_or_create(user=analyst)
    profile = AnalystProfile.objects.select_for_update().get(user=analyst)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])
    return profile


def saved_view_query_clean(query: str) -> str:
    """The changelist query string reduced to what selects and orders cases, in a stable order."""
    params = QueryDict(query.lstrip("?"))
    kept = sorted(
        (key, value)
        for key, values in params.lists()
        if key not in _NOT_A_FILTER
        for value in values
        if "\x00" not in key and "\x00" not in value
    )
    return urlencode(kept)


@transaction.atomic
def saved_view_save(
    *, owner: User, name: str, query: str, is_shared: bool, now: datetime | None = None
) -> tuple[SavedView, bool]:
    """Save the case list ``query`` under ``name`` for ``owner`` (shared with the team or not). The
    same name again replaces that view's query and sharing. Answers (view, created)."""
    now = now or timezone.now()
    _staff_only(owner)
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(_("Name the view."), code="name_required", extra={"field": "name"})
    if len(name) > SavedView._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed(
            _("Names are at most 60 characters."), code="name_too_long", extra={"field": "name"}
        )
    cleaned = saved_view_query_clean(query)
    if len(cleaned) > SAVED_VIEW_QUERY_MAX:
        raise ValidationFailed(
            _("The view's filters are longer than %(limit)s characters.") % {"limit": SAVED_VIEW_QUERY_MAX},
            code="query_too_long",
        )
    view = SavedView.objects.select_for_update().filter(owner=owner, name=name).first()
    if view is None:
        view = SavedView.objects.create(
            owner=owner, name=name, query=cleaned, is_shared=is_shared, created_at=now, updated_at=now
        )
        return view, True
    if (view.query, view.is_shared) != (cleaned, is_shared):
        view.query, view.is_shared, view.updated_at = cleaned, is_shared, now
        view.save(update_fields=["query", "is_shared", "updated_at"])
    return view, False


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    """Delete a saved view: its owner may, and a support manager may remove a shared one."""
    _staff_only(actor)
    if view.owner_id != actor.pk and not (view.is_shared and actor.is_support_manager):
        raise PermissionRefused(
            _("Only its owner (or a support manager, if shared) deletes a view."), code="not_owner"
        )
    SavedView.objects.filter(pk=view.pk).delete()
