"""A staff member's inbox (``AgentNotice``, written by ``cases.notices``): reading it, and how they
want to be told."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Language, User
from cases.models import AgentNotice, AnalystProfile, Case
from cases.services.workspace import analyst_time_zone_check, analyst_time_zone_set
from core.errors import ValidationFailed


def agent_notices_mark_read(*, recipient: User, case: Case, now: datetime | None = None) -> int:
    """``recipient`` opened ``case``: their unread notices about it are read (one UPDATE; a no-op
    when there are none). Answers how many."""
    return AgentNotice.objects.filter(recipient=recipient, case=case, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def agent_notices_mark_all_read(
    *, recipient: User, notice_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark ``recipient``'s unread notices read (only ``notice_ids``, when given; others' ids are
    ignored). Answers how many."""
    unread = AgentNotice.objects.filter(recipient=recipient, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=notice_ids)
    return unread.update(read_at=now or timezone.now())


@transaction.atomic
def analyst_notice_preferences_set(
    *,
    analyst: User,
    email_notices: str,
    digest_minutes: int,
    time_zone: str,
    language: str,
    now: datetime | None = None,
) -> AnalystProfile:
    """A staff member chooses how notices reach them by e-mail (at once, a digest every 15, 30 or 60
    minutes, or none: the inbox only) and the language and time zone their e-mails are written in.
    Saves only what changed."""
    if not (analyst.is_staff and analyst.is_active):
        raise ValidationFailed(
            _("Only active support staff have notice preferences."), code="analyst_not_staff"
        )
    if email_notices not in AnalystProfile.EmailNotices.values:
        raise ValidationFailed(
            _("Unknown e-mail preference '%(value)s'.") % {"value": email_notices},
            code="invalid_email_notices",
            extra={"field": "email_notices"},
        )
    if digest_minutes not in AnalystProfile.DigestMinutes.values:
        raise ValidationFailed(
            _("A digest comes every 15, 30 or 60 minutes."),
            code="invalid_digest_minutes",
            extra={"field": "digest_minutes"},
        )
    time_zone = analyst_time_zone_check(time_zone)  # checked with the others, before anything is written
    if language not in Language.values:
        raise ValidationFailed(
            _("Unknown language '%(value)s'.") % {"value": language},
            code="invalid_language",
            extra={"field": "language"},
        )
    profile = AnalystProfile.objects.select_for_update().filter(user=analyst).first()
    if profile is None:  # their first preference (or availability switch) makes the profile
        AnalystProfile.objects.get_or_create(user=analyst)
        profile = AnalystProfile.objects.select_for_update().get(user=analyst)
    wanted = {"email_notices": email_notices, "digest_minutes": digest_minutes}
    changed = [name for name, value in wanted.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, wanted[name])
    if changed:
        profile.save(update_fields=changed)
    if profile.time_zone != time_zone:  # the zone's one writer (the workspace shows times in it too)
        profile = analyst_time_zone_set(analyst=analyst, time_zone=time_zone)
    if analyst.language != language:
        analyst.language = language
        analyst.save(update_fields=["language"])
    return profile
