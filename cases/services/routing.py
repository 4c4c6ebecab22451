"""Routing: which queue a case waits in, and which available analyst of that queue gets it.

Queue matching. A queue matches a case when each of its criteria is empty or equal to the case's:
``product`` (the product instance's product), ``countries`` (the company's country in the
comma-separated list) and ``language`` (the company's language). Among matching queues the most
specific wins, criteria compared in this order: a product beats no product, then a country list
beats none, then a language beats none (a named region is narrower than a language spoken in many).
Equal specificity: the oldest queue (lowest id). No match: the case keeps no queue and waits for a
person to pick it up.

Assignment. Only in a queue with ``auto_assign``, and only to its active staff analysts whose
``AnalystProfile`` says *available*: the one with the fewest open (non-closed) cases; ties go to
the one who has waited longest since routing last gave them a case (never first), then the lowest
user id. The available profiles are locked (``select_for_update``, in id order) before the open
cases are counted, so two routings that share analysts run one after the other and the second
counts the first's assignment. Nobody available: the case waits unassigned, and
``analyst_availability_set`` hands out waiting cases when someone becomes available.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import AnalystProfile, Case, CaseStatus, Queue
from cases.services.staffing import case_assign
from core.errors import ValidationFailed
from sla.models import SlaTimer

# Waiting cases handed out when one analyst becomes available (the rest wait for the next change).
AVAILABILITY_ASSIGN_BATCH = 20
# Cases routed by one run of the routing sweep (the next run takes the rest).
ROUTING_SWEEP_BATCH = 200


def _countries(queue: Queue) -> set[str]:
    return {code.strip().upper() for code in queue.countries.split(",") if code.strip()}


def queue_match(*, case: Case, queues: list[Queue]) -> Queue | None:
    """The most specific queue for ``case`` among ``queues`` (see the module docstring), or None."""
    product_id = case.product_instance.product_id
    company = case.company
    matching = [
        queue
        for queue in queues
        if queue.product_id in (None, product_id)
        and (not queue.countries or company.country.upper() in _countries(queue))
        and queue.language in ("", company.language)
    ]
    if not matching:
        return None
    return min(
        matching,
        key=lambda q: (q.product_id is None, not q.countries.strip(), q.language == "", q.pk),
    )


def _pick_analyst(*, queue: Queue) -> User | None:
    """The available analyst of ``queue`` with the fewest open cases (locks their profiles)."""
    profiles = list(
        AnalystProfile.objects.select_for_update(of=("self",))
        .filter(
            availability=AnalystProfile.Availability.AVAILABLE,
            user__in=queue.analysts.filter(is_active=True, is_staff=True),
        )
        .select_related("user")
        .order_by("pk")
    )
    if not profiles:
        return None
    # Counted after the lock: a concurrent routing that picked one of these analysts has committed.
    open_counts = dict(
        Case.objects.filter(assignee_id__in=[p.user_id for p in profiles])
        .exclude(status=CaseStatus.CLOSED)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    chosen = min(
        profiles,
        key=lambda p: (
            open_counts.get(p.user_id, 0),
            p.last_assigned_at is not None,  # never assigned first
            p.last_assigned_at or datetime.min.replace(tzinfo=UTC),
            p.user_id,
        ),
    )
    return chosen.user


@transaction.atomic
def case_route(*, case_id: int, now: datetime | None = None) -> Case | None:
    """Put the case in its queue and, when the queue auto-assigns, give it to the next available
    analyst (through ``case_assign``: an ASSIGNED event). A no-op for closed or assigned cases;
    answers the case, or None when it no longer exists. Clears ``routing_pending``."""
    now = now or timezone.now()
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("company", "product_instance", "queue")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return None
    if case.routing_pending:  # done when this transaction commits, whatever the outcome below
        Case.objects.filter(pk=case.pk).update(routing_pending=False)
        case.routing_pending = False
    if case.status == CaseStatus.CLOSED or case.assignee_id is not None:
        return case
    queue = case.queue
    if queue is None:
        queue = queue_match(case=case, queues=list(Queue.objects.order_by("pk")))
        if queue is None:
            return case
        Case.objects.filter(pk=case.pk).update(queue=queue)
        case.queue = queue
    if not queue.auto_assign:
        return case
    analyst = _pick_analyst(queue=queue)
    if analyst is None:
        return case  # waits unassigned until someone of the queue becomes available
    # The analyst is the actor: case_assign takes a staff user, and routing acts on their behalf.
    case = case_assign(case=case, actor=None, assignee=analyst, now=now)  # the system assigns
    AnalystProfile.objects.filter(user=analyst).update(last_assigned_at=now)
    return case


def cases_route_pending(*, batch_size: int = ROUTING_SWEEP_BATCH) -> int:
    """Route the cases still marked ``routing_pending`` (their routing message was lost or is late),
    oldest first, a bounded batch; each in its own transaction. Answers how many were routed.
    Safe beside the routing task and another sweep: ``case_route`` locks the case and is a no-op
    for a case already assigned."""
    pending = list(
        Case.objects.filter(routing_pending=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    for case_id in pending:
        case_route(case_id=case_id)
    return len(pending)


def waiting_cases_for(*, analyst: User) -> list[int]:
    """Ids of unassigned, non-closed cases in the auto-assigning queues of ``analyst``; nearest SLA
    deadline first, then oldest (a bounded batch)."""
    nearest_due = (
        SlaTimer.objects.filter(case=OuterRef("pk"), state=SlaTimer.State.RUNNING, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return list(
        Case.objects.filter(
            assignee__isnull=True,
            queue__auto_assign=True,
            queue__in=analyst.queues.all(),
        )
        .exclude(status=CaseStatus.CLOSED)
        .annotate(sla_due_at=Subquery(nearest_due))
        .order_by(F("sla_due_at").asc(nulls_last=True), "created_at", "pk")
        .values_list("pk", flat=True)[:AVAILABILITY_ASSIGN_BATCH]
    )


@transaction.atomic
def analyst_availability_set(
    *, analyst: User, availability: str, now: datetime | None = None
) -> AnalystProfile:
    """Mark an analyst available or away (a no-op when unchanged). Becoming available routes a
    bounded batch of the cases waiting in their queues."""
    now = now or timezone.now()
    if not (analyst.is_staff and analyst.is_active):
        raise ValidationFailed(_("Only active support staff take routed cases."), code="analyst_not_staff")
    if availability not in AnalystProfile.Availability.values:
        raise ValidationFailed(
            _("Unknown availability '%(availability)s'.") % {"availability": availability},
            code="invalid_availability",
        )
    AnalystProfile.objects.get_or_create(user=analyst)
    profile = AnalystProfile.objects.select_for_update().get(user=analyst)
    if profile.availability == availability:
        return profile
    profile.availability = availability
    profile.availability_changed_at = now
    profile.save(update_fields=["availability", "availability_changed_at"])
    if profile.is_available:
        for case_id in waiting_cases_for(analyst=analyst):
            case_route(case_id=case_id, now=now)
        profile.refresh_from_db(fields=["last_assigned_at"])
    return profile
