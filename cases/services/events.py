"""The single place case events are written (so every later side effect hooks in here once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User
from cases.models import Case, CaseEvent
from cases.notices import case_event_notices_write


def case_event_record(
    *,
    case: Case,
    type: str,
    actor: User | None,
    at: datetime,
    transition: str = "",
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    is_internal: bool = False,
) -> CaseEvent:
    """Append an immutable event to ``case``'s history (``actor`` None means the system) and write the
    notices it calls for (``cases.notices``: staff inbox lines, outbox e-mails and webhooks,
    delivered after commit)."""
    event = CaseEvent.objects.create(
        case=case,
        type=type,
        actor=actor,
        transition=transition,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        is_internal=is_internal,
        created_at=at,
    )
    case_event_notices_write(event=event, case=case)
    return event
