"""A few months of plausible support history, written straight into the tables (seeded, so the same
every time): what the dashboard's screenshot shows. The hand-built data set in ``conftest.py`` is
what the numbers are checked on; this one only has to look like a real desk."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from accounts.models import PlanTier
from cases.models import (
    ApplicationArea,
    BusinessImpact,
    BusinessImpactScope,
    Case,
    CaseEvent,
    CaseReason,
    CaseStatus,
    Comment,
    EscalationRequest,
    SatisfactionSurvey,
)
from sla.models import Metric, SlaTimer
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductFactory,
    ProductInstanceFactory,
    member,
)

TARGETS = {"P1": (60, 480), "P2": (240, 1440), "P3": (480, 2880)}  # first response, resolution (minutes)
ANALYSTS = [("Ann", "Analyst"), ("Bob", "Builder"), ("Chloé", "Dubois"), ("Diego", "Ruiz"), ("Erin", "Walsh")]
COMMENTS = [
    "Quick and clear, thank you.",
    "Took too long to get an answer.",
    "Great help with the bank file.",
]


def support_history(*, now: datetime, weeks: int = 12, per_week: int = 30, seed: int = 20) -> list[Case]:
    rng = random.Random(seed)
    products = [
        ProductFactory(name="Financials", code="financials"),
        ProductFactory(name="Time", code="time"),
    ]
    companies = [
        CompanyFactory(name=name, plan_tier=tier)
        for name, tier in [
            ("Acme Corp", PlanTier.GOLD),
            ("Bouquet SARL", PlanTier.ESSENTIAL),
            ("Olivar SL", PlanTier.SILVER),
            ("Thames Ltd", PlanTier.PLATINUM),
        ]
    ]
    instances = [ProductInstanceFactory(company=c, product=p) for c in companies for p in products]
    openers = {c.pk: member(c, role="dsu") for c in companies}
    analysts = [AnalystFactory(first_name=first, last_name=last) for first, last in ANALYSTS]
    reason: CaseReason = CaseReasonFactory()
    area: ApplicationArea = ApplicationAreaFactory()
    cases, timers, events, comments, surveys = [], [], [], [], []
    escalations: list[tuple[int, Comment, datetime, str]] = []
    start = now - timedelta(weeks=weeks)
    for n in range(weeks * per_week):
        created = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 3600))
        instance = rng.choice(instances)
        priority = rng.choices(["P1", "P2", "P3"], weights=[1, 4, 5])[0]
        age = now - created
        if age > timedelta(days=14):
            status = CaseStatus.CLOSED if rng.random() < 0.93 else rng.choice(list(CaseStatus))
        else:
            status = rng.choice(list(CaseStatus))
        case = Case(
            number=f"CS-{n + 1:06d}",
            company=instance.company,
            product_instance=instance,
            opened_by=openers[instance.company_id],
            subject=f"Problem {n + 1}",
            problem_summary="…",
            reason=reason,
            application_area=area,
            business_impact_scope=BusinessImpactScope.GROUP,
            business_impact=BusinessImpact.MEDIUM,
            priority=priority,
            status=status,
            status_changed_at=created,
            created_at=created,
            updated_at=created,
            assignee=None if status == CaseStatus.OPEN else rng.choice(analysts),
            closed_at=None,
        )
        cases.append(case)
    Case.objects.bulk_create(cases)
    for case in cases:
        first_target, resolution_target = TARGETS[case.priority]
        took = rng.lognormvariate(0, 0.6) * first_target * 60 * 0.6
        answered = case.created_at + timedelta(seconds=took * 1.4)
        if case.status != CaseStatus.OPEN and answered < now:
            late = took > first_target * 60
            timers.append(
                SlaTimer(
                    case=case,
                    metric=Metric.FIRST_RESPONSE,
                    state=SlaTimer.State.BREACHED if late else SlaTimer.State.MET,
                    target_minutes=first_target,
                    remaining_seconds=int(first_target * 60 - took),
                    started_at=case.created_at,
                    met_at=answered,
                    breached_at=case.created_at + timedelta(minutes=first_target) if late else None,
                    updated_at=answered,
                )
            )
            for k in range(rng.randint(1, 4)):
                when = answered + timedelta(hours=k * rng.uniform(2, 30))
                if when < now:
                    comments.append(Comment(case=case, author=case.assignee, body="…", created_at=when))
        if case.status == CaseStatus.CLOSED:
            spent = rng.lognormvariate(0, 0.7) * resolution_target * 60 * 0.5
            closed = min(case.created_at + timedelta(seconds=spent * 3), now - timedelta(minutes=5))
            late = spent > resolution_target * 60
            timers.append(
                SlaTimer(
                    case=case,
                    metric=Metric.RESOLUTION,
                    state=SlaTimer.State.BREACHED if late else SlaTimer.State.MET,
                    target_minutes=resolution_target,
                    remaining_seconds=int(resolution_target * 60 - spent),
                    started_at=case.created_at,
                    met_at=closed,
                    breached_at=case.created_at + timedelta(minutes=resolution_target) if late else None,
                    updated_at=closed,
                )
            )
            events.append(
                CaseEvent(
                    case=case,
                    type=CaseEvent.Type.TRANSITION,
                    from_status=CaseStatus.VERIFY_RESOLUTION,
                    to_status=CaseStatus.CLOSED,
                    created_at=closed,
                )
            )
            if rng.random() < 0.45:
                good = rng.random() < 0.8
                surveys.append(
                    SatisfactionSurvey(
                        case=case,
                        respondent=case.opened_by,
                        created_at=closed,
                        rating="good" if good else "bad",
                        comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                        answered_at=min(closed + timedelta(hours=rng.uniform(1, 48)), now),
                    )
                )
        elif rng.random() < 0.1 and case.created_at < now - timedelta(days=2):  # closed once, reopened
            closed = case.created_at + timedelta(days=1)
            events.append(
                CaseEvent(
                    case=case, type=CaseEvent.Type.TRANSITION, to_status=CaseStatus.CLOSED, created_at=closed
                )
            )
            events.append(
                CaseEvent(
                    case=case,
                    type=CaseEvent.Type.REOPENED,
                    from_status=CaseStatus.CLOSED,
                    to_status=CaseStatus.IN_PROGRESS,
                    created_at=closed + timedelta(hours=5),
                )
            )
        if rng.random() < 0.07:
            when = case.created_at + timedelta(hours=rng.uniform(1, 20))
            if when < now:
                request = Comment(
                    case=case,
                    author=case.opened_by,
                    body="Please escalate.",
                    is_escalation_request=True,
                    created_at=when,
                )
                age = now - when
                decision = (
                    "pending" if age < timedelta(days=2) else rng.choice(["accepted", "accepted", "declined"])
                )
                escalations.append((case.pk, request, when, decision))
    SlaTimer.objects.bulk_create(timers)
    CaseEvent.objects.bulk_create(events)
    Comment.objects.bulk_create([*comments, *(request for _, request, _, _ in escalations)])
    SatisfactionSurvey.objects.bulk_create(surveys)
    EscalationRequest.objects.bulk_create(
        EscalationRequest(
            case_id=case_id, comment=request, requested_by=request.author, status=decision, created_at=when
        )
        for case_id, request, when, decision in escalations
    )
    return cases
