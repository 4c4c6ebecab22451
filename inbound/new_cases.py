"""New cases by e-mail: what a message to SUPPORT_EMAIL_ADDRESS asks for, as ``case_create``'s input.

The sender is already authenticated and known (``processing``). The rules are the API's, checked by
the same service: who may open a case for which company (``acting_for_company_refusal``: the US DSU
rule, partners only for the clients their establishment serves), the product instance belongs to the
company, catalogue values active and fitting the product. What the API asks as fields, a message
says in its subject and text:

* subject → subject (empty: the first line of the text); text → problem summary;
* lines starting with a label (``Error message: …``, ``Product: …``; English, French or Spanish,
  see ``LABELS``) fill that field, up to the next label or the signature (``-- ``);
* company: a member's own; a partner user's client is the one the message names (``Company:`` line
  or its name or e-mail domain in the subject), else the only client their establishment serves;
* product instance: of the product the message names (``Product:`` or its name in the subject),
  else the company's only production instance; a ``sandbox``/``demo`` mention picks that environment;
* case reason, application area, business impact and scope: the labelled values when they match,
  else INBOUND_CASE_REASON, INBOUND_CASE_APPLICATION_AREA, "one user" and "medium" (the analyst
  adjusts the priority);
* date and time of the issue: ISO (2026-06-01 09:30) or day/month/year (month/day/year in the US),
  in the company's time zone; one that cannot be read stays in the summary.

When the company or the product cannot be told, nothing is created (a case's product decides its
queue, priority and SLA, and cannot be changed afterwards): the sender is told what to add.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from accounts.models import Company, ProductInstance, User
from accounts.selectors import membership_for
from cases.models import ApplicationArea, BusinessImpact, BusinessImpactScope, CaseReason
from core.errors import ValidationFailed
from core.idempotency import MAX_KEY_LENGTH
from inbound.parsing import InboundMessage

# label (as written, normalised) → field. Each field's labels in English, French and Spanish.
LABELS: dict[str, tuple[str, ...]] = {
    "problem_summary": ("problem summary", "summary", "résumé du problème", "résumé", "resumen del problema"),
    "error_message": ("error message", "error", "message d'erreur", "erreur", "mensaje de error"),
    "occurred_at": (
        "date and time",
        "date and time of the issue",
        "when",
        "date et heure",
        "date et heure du problème",
        "fecha y hora",
        "fecha y hora del problema",
    ),
    "users_affected": (
        "users affected",
        "how many users are affected",
        "utilisateurs concernés",
        "utilisateurs affectés",
        "usuarios afectados",
    ),
    "replication_steps": (
        "steps to reproduce",
        "replication steps",
        "étapes pour reproduire",
        "étapes de reproduction",
        "pasos para reproducir",
    ),
    "expected_result": ("expected result", "résultat attendu", "resultado esperado"),
    "worked_before": (
        "worked before",
        "has this worked before",
        "did it work before",
        "fonctionnait avant",
        "cela fonctionnait-il avant",
        "funcionaba antes",
    ),
    "troubleshooting_tried": (
        "troubleshooting tried",
        "troubleshooting",
        "dépannage effectué",
        "dépannage",
        "pruebas realizadas",
        "solución de problemas",
    ),
    "company": ("company", "client", "customer", "société", "entreprise", "empresa", "cliente"),
    "product": ("product", "produit", "producto"),
    "reason": ("case reason", "reason", "motif", "motivo"),
    "application_area": (
        "application area",
        "area",
        "domaine",
        "domaine applicatif",
        "área",
        "area de aplicación",
    ),
    "business_impact": ("business impact", "impact", "impacto", "impacto en el negocio"),
    "business_impact_scope": ("scope", "impact scope", "business impact scope", "portée", "alcance"),
}
# Words that say the business impact, and the scope, in the three languages.
_IMPACT_WORDS: dict[str, tuple[str, ...]] = {
    BusinessImpact.HIGH: ("high", "critical", "élevé", "haut", "fort", "critique", "alto", "crítico"),
    BusinessImpact.MEDIUM: ("medium", "moderate", "moyen", "modéré", "medio", "moderado"),
    BusinessImpact.LOW: ("low", "minor", "faible", "bas", "mineur", "bajo", "menor"),
}
_SCOPE_WORDS: dict[str, tuple[str, ...]] = {
    BusinessImpactScope.ORGANISATION: (
        "organisation",
        "organization",
        "whole company",
        "everyone",
        "toute l'entreprise",
        "tout le monde",
        "organización",
        "toda la empresa",
        "todos",
    ),
    BusinessImpactScope.GROUP: (
        "group",
        "department",
        "several",
        "team",
        "groupe",
        "service",
        "plusieurs",
        "équipe",
        "grupo",
        "departamento",
        "varios",
        "equipo",
    ),
    BusinessImpactScope.INDIVIDUAL: (
        "individual",
        "one user",
        "just me",
        "only me",
        "un utilisateur",
        "un usuario",
    ),
}
DEFAULT_SCOPE = BusinessImpactScope.INDIVIDUAL
DEFAULT_IMPACT = BusinessImpact.MEDIUM
_ENVIRONMENT_WORDS = {
    ProductInstance.Environment.SANDBOX: ("sandbox", "bac à sable", "test environment"),
    ProductInstance.Environment.DEMO: ("demo", "implementation", "démo", "implantación"),
}
_LABELLED_LINE = re.compile(r"^\s*[-*•]?\s*(?P<label>[^:：\n]{1,45}?)\s*[:：]\s?(?P<value>.*)$")
_SIGNATURE = re.compile(r"^--\s*$")
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|tr|rv|aw|wg)\s*:\s*)+", re.IGNORECASE)
SUBJECT_MAX, SUMMARY_MAX, FIELD_MAX = 200, 20000, 5000


def _normal(text: str) -> str:
    """Lower case, accents kept, punctuation around dropped, spaces collapsed: "¿Funcionaba antes?"."""
    text = unicodedata.normalize("NFC", text).strip().lower().strip("¿?¡!.*_ ")
    return " ".join(text.split())


_FIELD_OF_LABEL = {_normal(label): name for name, labels in LABELS.items() for label in labels}


def labelled_fields(text: str) -> tuple[str, dict[str, str]]:
    """(the text before any label, field → its labelled text); a repeated label adds a line."""
    summary: list[str] = []
    fields: dict[str, list[str]] = {}
    current: list[str] = summary
    for line in text.replace("\r\n", "\n").split("\n"):
        if _SIGNATURE.match(line):
            break
        match = _LABELLED_LINE.match(line)
        name = _FIELD_OF_LABEL.get(_normal(match["label"])) if match else None
        if match and name:
            current = fields.setdefault(name, [])
            current.append(match["value"])
            continue
        current.append(line)
    return "\n".join(summary).strip(), {name: "\n".join(lines).strip() for name, lines in fields.items()}


def _choice(text: str, words: dict[str, tuple[str, ...]], default: str) -> str:
    value = _normal(text)
    if not value:
        return default
    for choice, spellings in words.items():
        if value == choice or any(word in value for word in spellings):
            return choice
    return default


_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_US_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def occurred_at_from(text: str, *, company: Company) -> datetime | None:
    """The issue's date and time in the company's zone (a naive value is local time), or None."""
    value = " ".join(text.split())
    if not value:
        return None
    zone = ZoneInfo(company.time_zone)
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but impossible (2026-02-30)
        parsed = None
    if parsed is None:
        for pattern in _US_DATE_FORMATS if company.requires_dsu else _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, pattern)  # noqa: DTZ007 (local time, zoned below)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


class CaseFields(TypedDict):
    """``case_create``'s fields read from a message."""

    subject: str
    problem_summary: str
    occurred_at: datetime | None
    reason: CaseReason
    application_area: ApplicationArea
    business_impact_scope: str
    business_impact: str
    error_message: str
    users_affected: str
    replication_steps: str
    expected_result: str
    worked_before: str
    troubleshooting_tried: str


@dataclass
class CaseRequest:
    """What ``case_create`` gets for the message, or why no case can be opened yet (``unclear``:
    ``product_unclear``, with the products to name in ``options``)."""

    company: Company
    product_instance: ProductInstance | None = None
    values: CaseFields | None = None
    unclear: str = ""
    options: list[str] = field(default_factory=list)


def _mentioned(haystack: str, *names: str) -> bool:
    return any(name and len(name) >= 3 and name.lower() in haystack for name in names)


def company_for(*, message: InboundMessage, sender: User) -> tuple[Company | None, list[Company]]:
    """The company ``message`` is for, and the sender's candidates: a member's own company; a partner
    user's client named by the message (a ``Company:`` line, or its name or e-mail domain in the
    subject), else the only client their establishment serves. None when it cannot be told."""
    membership = membership_for(sender)
    if membership is None:
        return None, []
    if membership.company is not None:
        return membership.company, [membership.company]
    assert membership.establishment is not None  # the membership constraint: a company or an establishment
    clients = list(membership.establishment.clients.prefetch_related("email_domains").order_by("name"))
    named = labelled_fields(message.text)[1].get("company", "")
    haystack = f"{named}\n{_subject(message)}".lower()
    wanted = _normal(named)
    matches = [
        client
        for client in clients
        if _mentioned(haystack, client.name, *(d.domain for d in client.email_domains.all()))
        or (len(wanted) >= 3 and wanted in client.name.lower())
    ]
    if len(matches) == 1:
        return matches[0], clients
    if not matches and not named and len(clients) == 1:
        return clients[0], clients
    return None, clients


def _subject(message: InboundMessage) -> str:
    return _REPLY_PREFIX.sub("", " ".join(message.subject.split()))


def _instance_for(company: Company, named: str, subject: str) -> tuple[ProductInstance | None, list[str]]:
    instances = list(company.product_instances.select_related("product").order_by("product__name", "pk"))
    haystack = f"{named}\n{subject}".lower()
    products = {i.product for i in instances if _mentioned(haystack, i.product.name, i.product.code)}
    environment = next(
        (env for env, words in _ENVIRONMENT_WORDS.items() if any(w in _normal(named) for w in words)), None
    )
    candidates = [i for i in instances if i.product in products] if len(products) == 1 else []
    if not products and not named:
        candidates = instances
    if environment is not None:
        candidates = [i for i in candidates if i.environment == environment]
    production = [i for i in candidates if i.environment == ProductInstance.Environment.PRODUCTION]
    chosen = production if len(production) == 1 else candidates
    options = sorted({i.product.name for i in instances})
    return (chosen[0] if len(chosen) == 1 else None), options


def _catalog_entry[E: CaseReason | ApplicationArea](entries: Iterable[E], named: str, default_code: str) -> E:
    """The active entry the message names (code or name), else the configured default, else the first."""
    active = list(entries)
    if not active:
        raise ValidationFailed(
            "No active case reason or application area fits this product.", code="catalog_value_missing"
        )
    wanted = _normal(named)
    if wanted:
        for entry in active:
            if wanted in (entry.code.lower(), _normal(entry.name)):
                return entry
    for entry in active:
        if entry.code == default_code:
            return entry
    return active[0]


def case_request_from(*, message: InboundMessage, company: Company) -> CaseRequest:
    """Read ``message`` as a case to open for ``company`` (see the module docstring); raises
    ``catalog_value_missing`` when no active case reason or application area fits."""
    summary, fields = labelled_fields(message.text)
    subject = _subject(message)
    instance, products = _instance_for(company, fields.get("product", ""), subject)
    if instance is None:
        return CaseRequest(company=company, unclear="product_unclear", options=products)

    summary = fields.get("problem_summary") or summary
    occurred_at = occurred_at_from(fields.get("occurred_at", ""), company=company)
    if fields.get("occurred_at") and occurred_at is None:  # kept for the analyst, asked for again
        summary = f"{summary}\n\n{LABELS['occurred_at'][0].capitalize()}: {fields['occurred_at']}".strip()
    first_line = next((line.strip() for line in summary.split("\n") if line.strip()), "")
    subject = subject or first_line or "Case opened by e-mail"
    reasons = CaseReason.objects.filter(is_active=True).order_by("position", "name")
    areas = (
        ApplicationArea.objects.filter(is_active=True)
        .filter(Q(product=None) | Q(product=instance.product_id))
        .order_by("position", "name")
    )

    def text(name: str) -> str:
        return fields.get(name, "")[:FIELD_MAX]

    values = CaseFields(
        subject=subject[:SUBJECT_MAX],
        problem_summary=(summary or subject)[:SUMMARY_MAX],
        occurred_at=occurred_at,
        reason=_catalog_entry(reasons, fields.get("reason", ""), settings.INBOUND_CASE_REASON),
        application_area=_catalog_entry(
            areas, fields.get("application_area", ""), settings.INBOUND_CASE_APPLICATION_AREA
        ),
        business_impact_scope=_choice(fields.get("business_impact_scope", ""), _SCOPE_WORDS, DEFAULT_SCOPE),
        business_impact=_choice(fields.get("business_impact", ""), _IMPACT_WORDS, DEFAULT_IMPACT),
        error_message=text("error_message"),
        users_affected=text("users_affected"),
        replication_steps=text("replication_steps"),
        expected_result=text("expected_result"),
        worked_before=text("worked_before"),
        troubleshooting_tried=text("troubleshooting_tried"),
    )
    return CaseRequest(company=company, product_instance=instance, values=values)


def idempotency_key_for(message: InboundMessage) -> str | None:
    """The message's Message-ID as ``case_create``'s key: a provider's retry opens no second case."""
    if not message.message_id:
        return None
    key = f"email:{message.message_id}"
    if len(key) > MAX_KEY_LENGTH:
        key = f"email-sha256:{hashlib.sha256(message.message_id.encode()).hexdigest()}"
    return key
