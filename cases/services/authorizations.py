from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuthorizationRequest, User
from accounts.services import authorization_request_create
from cases.models import Case, CaseStatus
from cases.selectors import case_acting_check
from cases.services.conversation import comment_add_answering
from core.errors import Conflict


@transaction.atomic
def case_authorization_request_raise(
    *,
    case: Case,
    requested_by: User,
    kind: str,
    subject_user: User,
    requested_role: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> AuthorizationRequest:
    """Raise an authorisation request from an open case: the same request as through the API, recorded
    with the case-comment channel, and a public comment on the case that names it. The comment
    contacts support: only people who may act for the case's company raise one (``case_acting_check``),
    and, like any customer comment, answers a case that is the customer's move (``comment_add_answering``)."""
    now = now or timezone.now()
    case_acting_check(case=case, user=requested_by, action=_("raise a request from a case"))
    if case.status == CaseStatus.CLOSED:
        raise Conflict(
            _("%(case)s is closed: raise the request from an open case.") % {"case": case.number},
            code="case_closed",
        )
    request = authorization_request_create(
        requested_by=requested_by,
        company=case.company,
        kind=kind,
        subject_user=subject_user,
        requested_role=requested_role,
        reason=reason,
        channel=AuthorizationRequest.Channel.CASE_COMMENT,
        now=now,
    )
    body = f"Authorisation request #{request.pk}: {request.get_kind_display()} for {subject_user}."
    comment_add_answering(
        case=case, author=requested_by, body=f"{body}\n\n{reason}".strip(), is_internal=False, at=now
    )
    return request
