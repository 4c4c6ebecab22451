from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from cases.models import Case, CaseEvent, CaseStatus, EscalationRequest
from cases.selectors import case_acting_check
from cases.services.comments import comment_add
from cases.services.events import case_event_record
from cases.services.transitions import case_customer_answer
from core.errors import Conflict, PermissionRefused

# Whole sentences per state: a state's name alone would not agree with the sentence around it in French or Spanish.
ESCALATION_DECIDED = {
    EscalationRequest.Status.ACCEPTED: gettext_lazy("This escalation request is already accepted."),
    EscalationRequest.Status.DECLINED: gettext_lazy("This escalation request is already declined."),
}


@transaction.atomic
def escalation_request(
    *, case: Case, requested_by: User, message: str, now: datetime | None = None
) -> EscalationRequest:
    """A customer asks for escalation with a comment; one pending request per case at a time. Only
    people who may act for the case's company ask (``case_acting_check``). Like any customer comment,
    it answers a case that is the customer's move (``case_customer_answer``)."""
    now = now or timezone.now()
    if requested_by.is_staff:
        raise PermissionRefused(_("Escalation is asked for by the customer."), code="customer_only")
    # Only the case row is locked; its company comes along for the check.
    case = Case.objects.select_for_update(of=("self",)).select_related("company").get(pk=case.pk)
    case_acting_check(case=case, user=requested_by, action=_("ask for an escalation"))
    if case.status == CaseStatus.CLOSED:
        raise Conflict(
            _("%(case)s is closed: reopen it or open a follow-up.") % {"case": case.number},
            code="case_closed",
        )
    if EscalationRequest.objects.filter(case=case, status=EscalationRequest.Status.PENDING).exists():
        raise Conflict(
            _("An escalation request is already being reviewed for this case."),
            code="escalation_already_pending",
        )
    comment = comment_add(
        case=case,
        author=requested_by,
        body=message,
        is_internal=False,
        at=now,
        is_escalation_request=True,
        within="escalation_request",  # the request's own notice carries the message
    )
    escalation = EscalationRequest.objects.create(
        case=case, comment=comment, requested_by=requested_by, created_at=now
    )
    case_event_record(
        case=case,
        type=CaseEvent.Type.ESCALATION_REQUESTED,
        actor=requested_by,
        at=now,
        note=message,
        data={"escalation_id": escalation.pk},
    )
    case_customer_answer(case=case, comment=comment, now=now)  # asking is an answer too
    return escalation


@transaction.atomic
def escalation_decide(
    *, escalation: EscalationRequest, decided_by: User, accept: bool, reason: str, now: datetime | None = None
) -> EscalationRequest:
    """A support manager accepts (raising the case's escalation level) or declines, saying why."""
    now = now or timezone.now()
    if not decided_by.is_support_manager:
        raise PermissionRefused(_("Support managers review escalations."), code="support_manager_required")
    escalation = EscalationRequest.objects.select_for_update().select_related("case").get(pk=escalation.pk)
    if escalation.status != EscalationRequest.Status.PENDING:
        raise Conflict(
            str(ESCALATION_DECIDED[EscalationRequest.Status(escalation.status)]),
            code="escalation_not_pending",
        )
    case = Case.objects.select_for_update().get(pk=escalation.case_id)
    escalation.status = EscalationRequest.Status.ACCEPTED if accept else EscalationRequest.Status.DECLINED
    escalation.decided_by = decided_by
    escalation.decided_at = now
    escalation.decision_reason = reason
    escalation.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    if accept:
        case.escalation_level += 1
        case.updated_at = now
        case.save(update_fields=["escalation_level", "updated_at"])
    case_event_record(
        case=case,
        type=CaseEvent.Type.ESCALATION_ACCEPTED if accept else CaseEvent.Type.ESCALATION_DECLINED,
        actor=decided_by,
        at=now,
        note=reason,
        data={"escalation_id": escalation.pk, "escalation_level": case.escalation_level},
    )
    return escalation
