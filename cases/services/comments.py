from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CaseEvent, CaseStatus, Comment
from cases.notices.customers import NOTICE_RELATED
from cases.selectors import case_acting_check
from cases.services.events import case_event_record
from core.errors import Conflict, PermissionRefused
from core.idempotency import create_once
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


@transaction.atomic
def comment_create(
    *,
    case: Case,
    author: User,
    body: str,
    is_internal: bool = False,
    source: str = Comment.Source.API,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Comment, bool]:
    """Comment on a case. A customer's public comment while the case is the customer's move is their
    answer and hands it back to support (→ In Progress): on Pending Customer Action it responds, on
    Verify Resolution it rejects the proposed resolution (``case_customer_answer``), in this
    transaction, whatever the channel. Answers (comment, created); see ``create_once`` for the key. A public
    comment contacts support: only people who may act for the case's company write one
    (``case_acting_check``: 403 ``dsu_required``, ``partner_not_serving_company``, …), whatever the
    channel (the API, a reply by e-mail).

    The case row is locked first: the status check sees the latest state, and comments on one case
    get their timestamps in the order they are stored.
    """
    # Only the case row is locked; the relations come along for the notices.
    case = Case.objects.select_for_update(of=("self",)).select_related(*NOTICE_RELATED).get(pk=case.pk)
    now = now or timezone.now()
    if is_internal and not author.is_staff:
        raise PermissionRefused(_("Only support writes internal notes."), code="internal_comment_forbidden")
    if not is_internal:
        case_acting_check(case=case, user=author, action=_("comment on a case"))
    if case.status == CaseStatus.CLOSED and not (author.is_staff and is_internal):
        raise Conflict(
            _("%(case)s is closed: reopen it (within 3 days of closing) or open a follow-up case.")
            % {"case": case.number},
            code="case_closed",
        )

    def create() -> Comment:
        from cases.services.transitions import case_customer_answer, customer_answer_transition

        # A comment that answers is part of the move it makes: that move's notice carries its text,
        # so each person hears of it once.
        answer = customer_answer_transition(case=case, author=author, is_internal=is_internal)
        comment = comment_add(
            case=case, author=author, body=body, is_internal=is_internal, at=now, source=source, within=answer
        )
        case_customer_answer(case=case, comment=comment, now=now)
        return comment

    return create_once(
        user_id=author.pk,
        scope=f"comment_create:{case.pk}",  # the same key on another case is another request
        key=idempotency_key,
        model=Comment,
        create=create,
        now=now,
    )
