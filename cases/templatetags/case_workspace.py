"""The workspace panel on the admin index: the analyst's queues with their counts, and availability."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accounts.models import User
from cases.admin.queues import CASE_QUEUES, QUEUE_PARAMETER, case_queue_counts
from cases.models import AnalystProfile

register = template.Library()


@register.inclusion_tag("admin/cases/_workspace_panel.html", takes_context=True)
def case_workspace_panel(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_staff:
        return {"show": False}
    counts = case_queue_counts(user=user)
    base = reverse("admin:cases_case_changelist")
    profile = AnalystProfile.objects.filter(user=user).only("availability").first()
    return {
        "show": True,
        "queues": [
            {
                "slug": queue.slug,
                "title": queue.title,
                "count": counts[queue.slug],
                "url": base if queue.condition is None else f"{base}?{QUEUE_PARAMETER}={queue.slug}",
            }
            for queue in CASE_QUEUES
        ],
        "available": bool(profile and profile.is_available),
        "availability_url": reverse("admin:cases_analystprofile_me"),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
