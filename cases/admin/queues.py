"""Queues: saved views over cases for analysts, their counts in one query, and the SLA annotations
the case list sorts and colours by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest

from accounts.models import User
from cases.models import Case, CaseStatus, EscalationRequest
from cases.selectors import case_list_for_user
from sla.models import SlaTimer

Running = SlaTimer.State.RUNNING
Breached = SlaTimer.State.BREACHED


def _not_closed() -> Q:
    return ~Q(status=CaseStatus.CLOSED)


def _warned_timers() -> QuerySet[SlaTimer]:
    return SlaTimer.objects.filter(case=OuterRef("pk"), state=Running, warnings_sent__gt=0)


def _breached_timers() -> QuerySet[SlaTimer]:
    return SlaTimer.objects.filter(case=OuterRef("pk"), state=Breached)


def _pending_escalations() -> QuerySet[EscalationRequest]:
    return EscalationRequest.objects.filter(case=OuterRef("pk"), status=EscalationRequest.Status.PENDING)


@dataclass(frozen=True)
class CaseQueue:
    slug: str
    title: str
    condition: Callable[[User], Q] | None  # None: every case


CASE_QUEUES: tuple[CaseQueue, ...] = (
    CaseQueue("mine", "My open cases", lambda user: _not_closed() & Q(assignee=user)),
    CaseQueue("unassigned", "Unassigned", lambda user: _not_closed() & Q(assignee__isnull=True)),
    CaseQueue("breaching", "Breaching soon", lambda user: _not_closed() & Q(Exists(_warned_timers()))),
    CaseQueue("breached", "Breached", lambda user: _not_closed() & Q(Exists(_breached_timers()))),
    CaseQueue("pending_customer", "Pending customer", lambda user: Q(status=CaseStatus.PENDING_CUSTOMER)),
    CaseQueue("verify_resolution", "Verify resolution", lambda user: Q(status=CaseStatus.VERIFY_RESOLUTION)),
    CaseQueue(
        "escalated",
        "Escalated",
        lambda user: _not_closed() & (Q(escalation_level__gt=0) | Q(Exists(_pending_escalations()))),
    ),
    CaseQueue("all", "All cases", None),
)
QUEUES_BY_SLUG = {queue.slug: queue for queue in CASE_QUEUES}
QUEUE_PARAMETER = "worklist"


def case_queue_counts(*, user: User) -> dict[str, int]:
    """How many cases each queue holds for ``user``: one aggregate query with conditional counts."""
    counts = {
        queue.slug: Count("pk", filter=queue.condition(user)) if queue.condition else Count("pk")
        for queue in CASE_QUEUES
    }
    return case_list_for_user(user=user).select_related(None).aggregate(**counts)


class QueueListFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = QUEUE_PARAMETER

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(queue.slug, queue.title) for queue in CASE_QUEUES if queue.condition is not None]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        queue = QUEUES_BY_SLUG.get(self.value() or "")
        if queue is None or queue.condition is None:
            return queryset
        assert isinstance(request.user, User)
        return queryset.filter(queue.condition(request.user))


def _live_timers() -> QuerySet[SlaTimer]:
    """Timers with a deadline still owed: running, or late and not yet met; nearest deadline first."""
    return SlaTimer.objects.filter(
        case=OuterRef("pk"), state__in=[Running, Breached], met_at__isnull=True, due_at__isnull=False
    ).order_by("due_at", "pk")


def with_sla(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case's nearest SLA deadline (with its timer's calendar, state, warnings and
    target) and, when every clock is paused, the least business time left: enough to show and sort
    the SLA column without a query per row."""
    live = _live_timers()
    paused = SlaTimer.objects.filter(
        case=OuterRef("pk"), state=SlaTimer.State.PAUSED, met_at__isnull=True, remaining_seconds__isnull=False
    ).order_by("remaining_seconds", "pk")
    return cases.annotate(
        sla_due_at=Subquery(live.values("due_at")[:1]),
        sla_calendar_id=Subquery(live.values("calendar_id")[:1]),
        sla_state=Subquery(live.values("state")[:1]),
        sla_warnings_sent=Subquery(live.values("warnings_sent")[:1]),
        sla_target_minutes=Subquery(live.values("target_minutes")[:1]),
        sla_paused_seconds=Subquery(paused.values("remaining_seconds")[:1]),
    )


SLA_DUE_ORDER = F("sla_due_at").asc(nulls_last=True)
