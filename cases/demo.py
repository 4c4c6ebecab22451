"""The demo: logins, companies and a handful of cases that show the product on first look.

Demo accounts (``fixtures/demo/``) are written with ``loaddata`` (fixed primary keys: reloading resets
them). Demo cases are made through the real services, with the clock set back to when each step
happened, so their events, SLA timers, comments and notifications are what production would hold:
one case in every status, a first-response target missed, an escalation and an authorisation request
waiting for a decision, and conversations in English, French and Spanish. A case already there (same
company and subject) is left alone, so loading twice adds nothing.

Never for production: the demo logins share a published password (README, "Demo data").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorizationRequest, Company, ProductInstance, User
from cases.models import ApplicationArea, Case, CaseReason, Queue
from cases.services import (
    case_authorization_request_raise,
    case_create,
    case_transition,
    comment_create,
    escalation_request,
)
from cases.services.routing import case_route
from sla.services import sla_timers_sweep

# Who works which demo queue (queues themselves are reference data, staffed per installation).
DEMO_QUEUE_ANALYSTS = {
    "Financials — English": ("analyst", "supportmanager"),
    "Financials — Europe (FR/ES)": ("analyst",),
    "Intelligent Time": ("supportmanager",),
}


def demo_fixture_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "demo"


def demo_accounts_load(*, verbosity: int = 0) -> None:
    """Demo logins, companies, partner and memberships, and the analysts of each queue."""
    call_command("loaddata", *sorted(str(p) for p in demo_fixture_dir().glob("*.json")), verbosity=verbosity)
    for queue in Queue.objects.filter(name__in=DEMO_QUEUE_ANALYSTS):
        queue.analysts.add(*User.objects.filter(username__in=DEMO_QUEUE_ANALYSTS[queue.name]))


@dataclass(frozen=True)
class Step:
    """One thing someone did on a demo case, ``ago`` before the load.

    ``action``: ``comment`` (public), ``note`` (internal), ``escalate``, ``authorise`` (ask the
    company to make ``subject`` a DSU), or a transition name; ``text`` is the comment, the message or
    the resolution.
    """

    ago: timedelta
    actor: str
    action: str
    text: str = ""
    subject: str = ""


@dataclass(frozen=True)
class DemoCase:
    subject: str
    opener: str
    product: str
    environment: str
    scope: str
    impact: str
    reason: str
    area: str
    summary: str
    ago: timedelta
    steps: tuple[Step, ...] = field(default=())


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _d(days: float) -> timedelta:
    return timedelta(days=days)


DEMO_CASES: tuple[DemoCase, ...] = (
    DemoCase(  # open, waiting unassigned in the FR/ES queue
        subject="Export FEC incomplet",
        opener="fr.member",
        product="financials",
        environment="production",
        scope="group",
        impact="medium",
        reason="system-issue",
        area="financial-reporting",
        summary="Le fichier FEC exporté pour l'exercice 2025 ne contient aucune écriture de décembre.",
        ago=_h(1),
        steps=(
            Step(
                _h(0.5),
                "fr.member",
                "comment",
                "Bonjour, notre expert-comptable attend ce fichier avant vendredi. "
                "L'export de novembre, lui, est complet.",
            ),
        ),
    ),
    DemoCase(  # in progress, first response missed (P1: 1 hour), escalation waiting for a manager
        subject="Payment run stopped: bank file rejected",
        opener="uk.member",
        product="financials",
        environment="production",
        scope="organisation",
        impact="high",
        reason="error-message",
        area="cash-management",
        summary="Today's supplier payment run fails: the bank rejects the BACS file with 'invalid header'.",
        ago=_h(5),
        steps=(
            Step(_h(4.8), "analyst", "start"),
            Step(
                _h(4.5), "analyst", "note", "Reproduced with the customer's file: the header date is empty."
            ),
            Step(
                _h(1),
                "uk.member",
                "escalate",
                "No reply for four hours while our supplier payments are blocked: please escalate.",
            ),
        ),
    ),
    DemoCase(  # pending release, with an authorisation request raised from the case
        subject="Bank reconciliation rounds EUR amounts",
        opener="us.dsu",
        product="financials",
        environment="production",
        scope="individual",
        impact="medium",
        reason="system-issue",
        area="cash-management",
        summary="Reconciling the EUR account rounds each line to the dollar, so nothing matches.",
        ago=_d(6),
        steps=(
            Step(_d(6) - _h(1), "analyst", "start"),
            Step(
                _d(6) - _h(2),
                "analyst",
                "comment",
                "Thank you: we reproduced the rounding and engineering is preparing a fix.",
            ),
            Step(_d(5), "analyst", "await_release"),
            Step(
                _h(2),
                "us.dsu",
                "authorise",
                "Please make Morgan a designated support user: they cover for me during my leave.",
                subject="us.member",
            ),
        ),
    ),
    DemoCase(  # pending engineering, conversation in Spanish
        subject="El informe de IVA sale vacío",
        opener="es.member",
        product="financials",
        environment="production",
        scope="group",
        impact="medium",
        reason="system-issue",
        area="financial-reporting",
        summary="El modelo 303 del tercer trimestre se genera sin ninguna línea.",
        ago=_d(3),
        steps=(
            Step(_d(3) - _h(0.5), "analyst", "start"),
            Step(
                _d(3) - _h(1),
                "analyst",
                "comment",
                "Hola, hemos reproducido el problema con sus datos y lo estamos analizando.",
            ),
            Step(_d(2), "analyst", "engage_engineering"),
            Step(
                _d(1),
                "es.member",
                "comment",
                "¿Hay alguna novedad? Tenemos que presentar el modelo el día 20.",
            ),
        ),
    ),
    DemoCase(  # pending customer action, asked in French
        subject="Relances clients non envoyées",
        opener="fr.manager",
        product="financials",
        environment="production",
        scope="group",
        impact="low",
        reason="functionality",
        area="accounts-receivable",
        summary="Les relances de niveau 2 ne partent plus depuis la mise à jour de mardi.",
        ago=_d(2),
        steps=(
            Step(_d(2) - _h(1), "supportmanager", "start"),
            Step(
                _d(1),
                "supportmanager",
                "request_customer_action",
                "Bonjour, pourriez-vous enregistrer le problème avec l'enregistreur et joindre le fichier "
                "zip au dossier ?",
            ),
        ),
    ),
    DemoCase(  # verify resolution: closes by itself in 8 days unless the customer answers
        subject="Las facturas de proveedor se duplican",
        opener="es.manager",
        product="financials",
        environment="production",
        scope="group",
        impact="medium",
        reason="system-issue",
        area="accounts-payable",
        summary="Desde el lunes cada factura importada aparece dos veces en el libro de proveedores.",
        ago=_d(4),
        steps=(
            Step(_d(4) - _h(2), "supportmanager", "start"),
            Step(
                _d(4) - _h(3),
                "supportmanager",
                "comment",
                "Hola, estamos revisando la importación de facturas.",
            ),
            Step(
                _d(1),
                "supportmanager",
                "propose_resolution",
                "Hemos corregido la importación y eliminado los duplicados; por favor, compruebe el libro.",
            ),
        ),
    ),
    DemoCase(  # closed yesterday: may still be reopened for two days
        subject="Cannot add a user to the approval workflow",
        opener="us.dsu",
        product="financials",
        environment="sandbox",
        scope="individual",
        impact="low",
        reason="functionality",
        area="user-administration",
        summary="The new controller does not appear in the approver list of the sandbox workflow.",
        ago=_d(5),
        steps=(
            Step(_d(5) - _h(3), "analyst", "start"),
            Step(
                _d(3),
                "analyst",
                "propose_resolution",
                "Approvers must hold the 'Approve' right in the workflow's company: see the help centre, "
                "'Approval workflows'. Granting it makes the controller appear.",
            ),
            Step(_d(1), "us.dsu", "confirm_resolution"),
        ),
    ),
)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _step(case: Case, step: Step, at: datetime) -> Case:
    actor = _user(step.actor)
    if step.action in ("comment", "note"):
        comment_create(case=case, author=actor, body=step.text, is_internal=step.action == "note", now=at)
    elif step.action == "escalate":
        escalation_request(case=case, requested_by=actor, message=step.text, now=at)
    elif step.action == "authorise":
        case_authorization_request_raise(
            case=case,
            requested_by=actor,
            kind=AuthorizationRequest.Kind.NEW_DSU,
            subject_user=_user(step.subject),
            reason=step.text,
            now=at,
        )
    else:
        case_transition(
            case=case,
            actor=actor,
            transition=step.action,
            message=step.text if step.action != "propose_resolution" else "",
            resolution=step.text if step.action == "propose_resolution" else "",
            tentative_release_date=(at + timedelta(days=21)).date()
            if step.action == "await_release"
            else None,
            now=at,
        )
    return Case.objects.get(pk=case.pk)


@transaction.atomic
def _demo_case_create(demo: DemoCase, now: datetime) -> Case:
    opener = _user(demo.opener)
    company = Company.objects.get(memberships__user=opener)
    opened_at = now - demo.ago
    case, _ = case_create(
        opened_by=opener,
        company=company,
        product_instance=ProductInstance.objects.get(
            company=company, product__code=demo.product, environment=demo.environment
        ),
        subject=demo.subject,
        problem_summary=demo.summary,
        reason=CaseReason.objects.get(code=demo.reason),
        application_area=ApplicationArea.objects.get(code=demo.area),
        business_impact_scope=demo.scope,
        business_impact=demo.impact,
        now=opened_at,
    )
    case_route(case_id=case.pk, now=opened_at)  # its queue now, as the worker would a moment later
    for step in demo.steps:
        case = _step(Case.objects.get(pk=case.pk), step, now - step.ago)
    return case


def demo_cases_create(*, now: datetime | None = None) -> list[Case]:
    """Create the demo cases that are missing (one transaction each), then run the SLA sweep as beat
    would at ``now``; answers the cases created."""
    now = now or timezone.now()
    created = []
    for demo in DEMO_CASES:
        company = Company.objects.filter(memberships__user__username=demo.opener).first()
        if Case.objects.filter(company=company, subject=demo.subject).exists():
            continue
        created.append(_demo_case_create(demo, now))
    sla_timers_sweep(now=now)
    return created
