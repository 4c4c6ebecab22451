"""Comments people write: a customer's public comment while the case is the customer's move is
their answer, and makes the move (``case_customer_answer``), whatever the channel."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CaseStatus, Comment
from cases.selectors import case_acting_check, case_lock_for_write
from cases.services.comments import comment_add
from cases.services.transitions import case_customer_answer, customer_answer_transition
from core.errors import Conflict, PermissionRefused
from core.idempotency import create_once


def comment_add_answering(
    *, case: Case, author: User, body: str, is_internal: bool, at: datetime, source: str = Comment.Source.API
) -> Comment:
    """Store a comment; when it answers (``customer_answer_transition``) make that move too, in the
    caller's transaction. The comment is then part of the move, whose notice carries its text: each
    person hears of it once."""
    answer = customer_answer_transition(case=case, author=author, is_internal=is_internal)
    comment = comment_add(
        case=case, author=author, body=body, is_internal=is_internal, at=at, source=source, within=answer
    )
    case_customer_answer(case=case, comment=comment, now=at)
    return comment


@transaction.atomic
def comment_create(
    *,
    case: Case | None = None,
    case_id: int | None = None,
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
    get their timestamps in the order they are stored. ``case_id`` instead of ``case``, for a caller
    that read nothing (the API): the one locking read checks that ``author`` may see the case (404).
    """
    if case is None:
        assert case_id is not None, "case or case_id"
        case = case_lock_for_write(case_id=case_id, user=author)
    else:
        case = case_lock_for_write(case_id=case.pk)
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
        return comment_add_answering(
            case=case, author=author, body=body, is_internal=is_internal, at=now, source=source
        )

    return create_once(
        user_id=author.pk,
        scope=f"comment_create:{case.pk}",  # the same key on another case is another request
        key=idempotency_key,
        model=Comment,
        create=create,
        now=now,
    )
