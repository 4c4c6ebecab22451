"""The single place case events are written (so every later side effect hooks in here once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F

from accounts.models import User
from cases.models import Case, CaseEvent
from cases.notices import case_event_notices_write
from core.bulk import insert_from_select


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


def case_events_record_bulk(
    *,
    case_ids: list[int],
    type: str,
    at: datetime,
    transition: str = "",
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> list[int]:
    """Append the same system event to each of ``case_ids`` in one ``INSERT … SELECT`` (a sweep's
    batch may be large: no row becomes a Python object). Answers the new event ids. The notices
    are the caller's, written set-based as well (``notifications_for_auto_closed``)."""
    return insert_from_select(
        CaseEvent,
        Case.objects.filter(pk__any_of=case_ids),
        {
            "case": F("pk"),
            "type": type,
            "transition": transition,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
            "created_at": at,
        },
    )
