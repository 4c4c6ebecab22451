"""A comment's row and its event: the step every service that posts a comment takes (the rules are
the caller's). ``cases.services.conversation`` holds the comment a person writes."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from cases.models import Case, CaseEvent, Comment
from cases.services.events import case_event_record
from sla.services import sla_public_reply


def comment_add(
    *,
    case: Case,
    author: User,
    body: str,
    is_internal: bool,
    at: datetime,
    is_escalation_request: bool = False,
    source: str = Comment.Source.API,
    within: str = "",
) -> Comment:
    """Store a comment and its event; rules are the caller's (used inside other services' transactions).
    ``within``: the move this comment is part of (a transition's name, ``escalation_request``), whose
    own event tells everyone, with this text: the comment's event then notifies nobody."""
    comment = Comment.objects.create(
        case=case,
        author=author,
        body=body,
        is_internal=is_internal,
        is_escalation_request=is_escalation_request,
        source=source,
        created_at=at,
    )
    case_event_record(
        case=case,
        type=CaseEvent.Type.COMMENTED,
        actor=author,
        at=at,
        is_internal=is_internal,
        data={"comment_id": comment.pk, "public": not is_internal, **({"within": within} if within else {})},
    )
    if not author.is_staff:
        Case.objects.filter(pk=case.pk).update(last_customer_activity_at=at, updated_at=at)
    else:
        Case.objects.filter(pk=case.pk).update(updated_at=at)
        if not is_internal:
            sla_public_reply(case=case, at=at)
    return comment
