"""Every write to a case. Each public function is one transaction, keyword-only and typed."""

from cases.services.attachments import attachment_add
from cases.services.authorizations import case_authorization_request_raise
from cases.services.conversation import comment_create
from cases.services.creation import case_create
from cases.services.escalations import escalation_decide, escalation_request
from cases.services.followers import case_follow, case_unfollow
from cases.services.notices import (
    agent_notices_mark_all_read,
    agent_notices_mark_read,
    analyst_notice_preferences_set,
)
from cases.services.replies import MacroUse, ReplySent, case_reply_send
from cases.services.staffing import case_assign, case_priority_override
from cases.services.transitions import (
    TransitionDone,
    case_auto_close_due,
    case_auto_close_reminders_due,
    case_transition,
)
from cases.services.workspace import analyst_time_zone_set, saved_view_delete, saved_view_save

__all__ = [
    "MacroUse",
    "ReplySent",
    "TransitionDone",
    "agent_notices_mark_all_read",
    "agent_notices_mark_read",
    "analyst_notice_preferences_set",
    "analyst_time_zone_set",
    "attachment_add",
    "case_assign",
    "case_authorization_request_raise",
    "case_auto_close_due",
    "case_auto_close_reminders_due",
    "case_create",
    "case_follow",
    "case_priority_override",
    "case_reply_send",
    "case_transition",
    "case_unfollow",
    "comment_create",
    "escalation_decide",
    "escalation_request",
    "saved_view_delete",
    "saved_view_save",
]
