from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CaseEvent, Priority
from cases.services.events import case_event_record
from core.errors import PermissionRefused, ValidationFailed
from sla.services import sla_timers_recompute


def _support_only(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionRefused(_("Only support staff do this."), code="support_only")


@transaction.atomic
def case_assign(
    *, case: Case, actor: User | None, assignee: User | None, now: datetime | None = None
) -> Case:
    """Give the case to an analyst (or nobody); a no-op when nothing changes. ``actor`` None is the
    system (routing)."""
    now = now or timezone.now()
    if actor is not None:
        _support_only(actor)
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ValidationFailed(_("Cases are assigned to active support staff."), code="assignee_not_staff")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    previous = case.assignee_id
    case.assignee = assignee
    case.updated_at = now
    case.save(update_fields=["assignee", "updated_at"])
    case_event_record(
        case=case,
        type=CaseEvent.Type.ASSIGNED,
        actor=actor,
        at=now,
        data={"from": previous, "to": assignee.pk if assignee else None},
        is_internal=True,
    )
    return case


@transaction.atomic
def case_priority_override(
    *, case: Case, actor: User, priority: str, reason: str, now: datetime | None = None
) -> Case:
    """An analyst overrides the matrix's priority, with a reason that is recorded."""
    now = now or timezone.now()
    _support_only(actor)
    if priority not in Priority.values:
        raise ValidationFailed(
            _("Unknown priority '%(priority)s'.") % {"priority": priority}, code="invalid_priority"
        )
    if not reason.strip():
        raise ValidationFailed(
            _("Say why the priority changes."), code="reason_required", extra={"field": "reason"}
        )
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.priority == priority:
        return case
    previous = case.priority
    case.priority = priority
    case.priority_overridden = True
    case.updated_at = now
    case.save(update_fields=["priority", "priority_overridden", "updated_at"])
    case_event_record(
        case=case,
        type=CaseEvent.Type.PRIORITY_CHANGED,
        actor=actor,
        at=now,
        note=reason,
        data={"from": previous, "to": priority},
    )
    sla_timers_recompute(case=case, reason=f"Priority {previous} → {priority}: {reason}", now=now)
    return case
