from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, ProductInstance, User
from accounts.selectors import acting_for_company_check
from cases.models import (
    DESCRIPTION_TEMPLATE_FIELDS,
    ApplicationArea,
    Case,
    CaseEvent,
    CaseReason,
    CaseStatus,
    Comment,
)
from cases.selectors import case_get_for_user, priority_for
from cases.services.events import case_event_record
from core.errors import ValidationFailed
from core.idempotency import create_once
from core.publish import publish_after_commit, publishes_combined
from sla.services import sla_timers_start


@transaction.atomic
def case_create(
    *,
    opened_by: User,
    company: Company,
    product_instance: ProductInstance | None,
    subject: str,
    problem_summary: str,
    reason: CaseReason,
    application_area: ApplicationArea,
    business_impact_scope: str,
    business_impact: str,
    error_message: str = "",
    occurred_at: datetime | None = None,
    users_affected: str = "",
    replication_steps: str = "",
    expected_result: str = "",
    worked_before: str = "",
    troubleshooting_tried: str = "",
    on_behalf_of: User | None = None,
    follow_up_of: Case | None = None,
    idempotency_key: str | None = None,
    channel: str = Comment.Source.API,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Open a case (priority from the matrix) and record its creation; answers (case, created).

    With ``idempotency_key``, a repeat from the same user within 24 hours answers the first case.
    ``channel``: what it came through; a case opened by e-mail records the description template's
    fields it lacks on its creation event, and the acknowledgement asks for them.
    """
    now = now or timezone.now()
    acting_for_company_check(user=opened_by, company=company, action=_("open a case"))
    if follow_up_of is not None:
        follow_up_of = _follow_up_source(user=opened_by, case=follow_up_of, company=company)
        product_instance = product_instance or follow_up_of.product_instance
    if product_instance is None:
        raise ValidationFailed(
            _("Choose the product instance the problem is on."), code="product_instance_required"
        )
    _validate_choices(company, product_instance, reason, application_area)

    def create() -> Case:
        # Routing and the creation notices' delivery leave in one message after commit.
        with publishes_combined():
            case = Case.objects.create(
                company=company,
                product_instance=product_instance,
                opened_by=opened_by,
                on_behalf_of=on_behalf_of,
                subject=subject,
                problem_summary=problem_summary,
                error_message=error_message,
                occurred_at=occurred_at,
                users_affected=users_affected,
                replication_steps=replication_steps,
                expected_result=expected_result,
                worked_before=worked_before,
                troubleshooting_tried=troubleshooting_tried,
                reason=reason,
                application_area=application_area,
                business_impact_scope=business_impact_scope,
                business_impact=business_impact,
                priority=priority_for(
                    environment=product_instance.environment,
                    business_impact_scope=business_impact_scope,
                    business_impact=business_impact,
                ),
                follow_up_of=follow_up_of,
                assignee=follow_up_of.assignee if follow_up_of is not None else None,
                status_changed_at=now,
                last_customer_activity_at=None if opened_by.is_staff else now,
                routing_pending=True,
                created_at=now,
                updated_at=now,
            )
            # The number derives from the primary key: unique, stable, and free of a second counter.
            case.number = f"CS-{case.pk:06d}"
            case.save(update_fields=["number"])
            # Queue + next available analyst; a lost message leaves routing_pending for the sweep.
            # Published before the notices, so that it runs first in the message they share: a slow
            # mail relay must not hold up the routing.
            publish_after_commit("cases.tasks.case_route_task", case.pk)
            sla_timers_start(case=case, now=now)  # before the event: its auto-response quotes the due time
            data: dict[str, object] = {
                "priority": case.priority,
                "follow_up_of": follow_up_of.number if follow_up_of else None,
            }
            if channel == Comment.Source.EMAIL:
                missing = [name for name in DESCRIPTION_TEMPLATE_FIELDS if not getattr(case, name)]
                data.update(channel=channel, missing_fields=missing)
            case_event_record(
                case=case,
                type=CaseEvent.Type.CREATED,
                actor=opened_by,
                at=now,
                to_status=CaseStatus.OPEN,
                data=data,
            )
            return case

    return create_once(
        user_id=opened_by.pk, scope="case_create", key=idempotency_key, model=Case, create=create, now=now
    )


def _follow_up_source(*, user: User, case: Case, company: Company) -> Case:
    source = case_get_for_user(user=user, case_id=case.pk)
    if source.status != CaseStatus.CLOSED:
        raise ValidationFailed(
            _("%(case)s is not closed: comment on it instead of opening a follow-up.")
            % {"case": source.number},
            code="follow_up_of_not_closed",
        )
    if source.company_id != company.pk:
        raise ValidationFailed(
            _("A follow-up belongs to the same company."), code="follow_up_of_other_company"
        )
    return source


def _validate_choices(
    company: Company, product_instance: ProductInstance, reason: CaseReason, application_area: ApplicationArea
) -> None:
    if product_instance.company_id != company.pk:
        raise ValidationFailed(
            _("That product instance does not belong to the company."), code="product_instance_not_in_company"
        )
    if not reason.is_active:
        raise ValidationFailed(
            _("The case reason '%(reason)s' is no longer offered.") % {"reason": reason},
            code="inactive_case_reason",
        )
    if not application_area.is_active:
        raise ValidationFailed(
            _("The application area '%(area)s' is no longer offered.") % {"area": application_area},
            code="inactive_application_area",
        )
    if application_area.product_id not in (None, product_instance.product_id):
        raise ValidationFailed(
            _("'%(area)s' is not an area of %(product)s.")
            % {"area": application_area, "product": product_instance.product},
            code="application_area_mismatch",
        )
