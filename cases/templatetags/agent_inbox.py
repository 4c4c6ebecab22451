"""The inbox link with its unread count, in the header of every admin page (one COUNT query)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from accounts.models import User
from cases.selectors import agent_notice_unread_count

register = template.Library()


@register.inclusion_tag("admin/cases/_inbox_link.html", takes_context=True)
def agent_inbox_link(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not (user.is_active and user.is_staff):
        return {"show": False}
    return {
        "show": True,
        "unread": agent_notice_unread_count(user=user),
        "url": reverse("admin:cases_agentnotice_changelist"),
    }
