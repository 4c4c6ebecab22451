"""Following a case: customer-side people besides its opener and contact who want its notices.

No case event is written: following changes who is told, not the case, and every public event
also goes to the company's webhooks.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case, CaseFollower
from cases.selectors import case_contacts_check, case_follow_check


@transaction.atomic
def case_follow(*, case: Case, user: User, now: datetime | None = None) -> tuple[CaseFollower, bool]:
    """Make ``user`` a follower of ``case``, who then gets its customer notices; a no-op when they
    already follow it. Answers (follower, created)."""
    case_follow_check(case=case, user=user)
    return CaseFollower.objects.get_or_create(
        case=case, user=user, defaults={"created_at": now or timezone.now()}
    )


@transaction.atomic
def case_unfollow(*, case: Case, user: User) -> None:
    """Stop ``user`` following ``case``; a no-op when they do not follow it. The opener and contact
    cannot: they are told about their case whatever happens."""
    case_contacts_check(case=case, user=user)
    CaseFollower.objects.filter(case=case, user=user).delete()
