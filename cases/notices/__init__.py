"""Who hears about a case event, and what they read: the support side (``agents``: inbox lines,
e-mails to analysts and support managers, digests) and the customer side (``customers``: e-mails to
opener, contact and followers, surveys, webhooks), written to the outbox in the event's transaction."""

from __future__ import annotations

from cases.models import Case, CaseEvent
from cases.notices.agents import (
    agent_notice_digests_write,
    agent_notices_write,
    digest_window_end,
    manager_emails_write,
    mentioned_usernames,
)
from cases.notices.customers import case_for_notices, notifications_for_case_event

__all__ = [
    "agent_notice_digests_write",
    "case_event_notices_write",
    "digest_window_end",
    "mentioned_usernames",
]


def case_event_notices_write(*, event: CaseEvent, case: Case | None = None) -> None:
    """Part of the caller's transaction: every notice ``event`` calls for, staff and customers, each
    written once (keys) and delivered after commit. ``case``: the event's case as the caller holds
    it, if it has it."""
    case = case_for_notices(event, case)
    told = agent_notices_write(event, case)
    manager_emails_write(event, case, told)
    notifications_for_case_event(event=event, case=case)
