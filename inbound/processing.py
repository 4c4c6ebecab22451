"""Inbound e-mail: new mail to the support address opens a case; replies become case comments;
managers' answers decide authorisation requests.

A message may change something only when a person sent it (not an autoresponder, a bounce or bulk
mail: ``InboundMessage.automatic``), its sender is authenticated (``sender_authenticated``: an
aligned DKIM or SPF pass), is a known, active, non-staff user, and writes to an address that lets
that user act: a case they may comment on (``case+<token>@…``), an authorisation request they were
asked to decide (``authorization+<token>@…``, issued to them alone), or the support address
(SUPPORT_EMAIL_ADDRESS) for a company they may open cases for (``new_cases``). Everything else is
refused and changes nothing; mail to the support address that opens nothing gets one polite answer
(``answers``). Whatever the outcome, the message is logged (``InboundEmail``) and a refusal is also
a ``logger.warning``; neither ever holds the message body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Company, User
from accounts.selectors import (
    ActingRefusal,
    acting_for_company_refusal,
    company_managers,
    membership_for,
)
from accounts.services import authorization_request_approve, authorization_request_reject
from cases.models import Case, Comment
from cases.selectors import case_get_for_user
from cases.services import attachment_add, case_create, comment_create
from core.errors import ApplicationError
from inbound.answers import answer_language, inbound_auto_answer
from inbound.authentication import sender_authenticated
from inbound.models import InboundEmail
from inbound.new_cases import case_request_from, company_for, idempotency_key_for
from inbound.parsing import InboundAttachment, InboundMessage, clean_text

logger = logging.getLogger(__name__)

# Records one refusal of the message being processed: (code, detail) -> the log row.
_Refuse = Callable[[str, str], InboundEmail]

_CASE_ADDRESS = re.compile(r"^case\+(?P<token>[A-Za-z0-9_-]+)@", re.IGNORECASE)
_AUTHORIZATION_ADDRESS = re.compile(r"^authorization\+(?P<token>[A-Za-z0-9_-]+)@", re.IGNORECASE)
# Where quoted history starts, in the three languages we serve (and the usual separators).
_QUOTE_HEADERS = re.compile(
    r"^(On .+ wrote:|Le .+ a écrit\s?:|El .+ escribió:|-{2,}\s*(Original Message|Message d'origine|Mensaje original)"
    r"\s*-{2,}|From: .+|De\s?: .+)$",
    re.IGNORECASE,
)
APPROVE_WORDS = {
    "approve",
    "approved",
    "approuver",
    "approuvé",
    "aprobar",
    "aprobado",
    "yes",
    "oui",
    "sí",
    "si",
}
REJECT_WORDS = {"reject", "rejected", "rejeter", "rejeté", "rechazar", "rechazado", "no", "non"}


def strip_quoted(text: str) -> str:
    """Keep what the sender wrote: stop at the first quoted-history header or quoted line block."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if _QUOTE_HEADERS.match(stripped) or stripped.startswith(">"):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def inbound_refusal_log(
    *,
    code: str,
    detail: str,
    source: str,
    message: InboundMessage | None = None,
    authentication: str = "",
    now: datetime | None = None,
) -> InboundEmail:
    """Record a refused inbound message (or request) and warn: ``code`` is the stable reason."""
    now = now or timezone.now()
    reason = clean_text(f"{code}: {detail}")
    sender = message.sender if message else ""
    logger.warning("inbound e-mail from %r via %s refused: %s", sender, source, reason)
    return InboundEmail.objects.create(
        sender=sender[:320],
        recipient=(message.recipients[0] if message and message.recipients else "")[:320],
        subject=(message.subject if message else "")[:500],
        outcome=InboundEmail.Outcome.REFUSED,
        reason=reason,
        source=source[:40],
        authentication=clean_text(authentication)[:500],
        received_at=now,
    )


def _logged(
    message: InboundMessage,
    outcome: str,
    reason: str,
    authentication: str,
    now: datetime,
    case: Case | None = None,
) -> InboundEmail:
    return InboundEmail.objects.create(
        sender=message.sender[:320],
        recipient=(message.recipients[0] if message.recipients else "")[:320],
        subject=message.subject[:500],
        outcome=outcome,
        reason=clean_text(reason),
        source=message.source[:40],
        authentication=authentication[:500],
        case=case,
        received_at=now,
    )


def _sender(message: InboundMessage) -> User | None:
    users = (
        list(User.objects.filter(email__iexact=message.sender, is_active=True)[:2]) if message.sender else []
    )
    return users[0] if len(users) == 1 else None


def _to_support(message: InboundMessage) -> bool:
    return any(address.strip().lower() == settings.SUPPORT_EMAIL_ADDRESS for address in message.recipients)


def inbound_email_process(*, message: InboundMessage, now: datetime | None = None) -> InboundEmail:
    """Apply one inbound message (a new case, a case reply or an authorisation decision) or refuse
    it; always logged."""
    now = now or timezone.now()
    authentication = sender_authenticated(from_address=message.sender, verdicts=message.verdicts)

    def refuse(code: str, detail: str) -> InboundEmail:
        return inbound_refusal_log(
            code=code,
            detail=detail,
            source=message.source,
            message=message,
            authentication=authentication.explanation,
            now=now,
        )

    if message.automatic:
        return refuse(
            "auto_submitted", f"Sent by a machine ({message.automatic}): never applied nor answered."
        )
    if not authentication.authenticated:
        return refuse("sender_unauthenticated", authentication.explanation)
    sender = _sender(message)
    if sender is None:
        detail = "Unknown (or ambiguous) sender address."
        if _to_support(message):
            answered = inbound_auto_answer(
                message=message,
                kind="inbound_no_access",
                reason="sender_unknown",
                context={"managers": ""},  # who manages a company is not told to strangers
                language=answer_language(address=message.sender),
                now=now,
            )
            detail = f"{detail} ({answered})"
        return refuse("sender_unknown", detail)
    if sender.is_staff:
        return refuse("staff_sender", "Staff act in the admin: mail from a staff address changes nothing.")
    for address in message.recipients:
        if match := _CASE_ADDRESS.match(address):
            return _case_reply(message, sender, match["token"], authentication.explanation, now, refuse)
        if match := _AUTHORIZATION_ADDRESS.match(address):
            return _authorization_answer(
                message, sender, match["token"], authentication.explanation, now, refuse
            )
    if _to_support(message):
        return _new_case(message, sender, authentication.explanation, now, refuse)
    return refuse("no_inbound_address", "No case, authorisation or support address among the recipients.")


def _attachments_add(
    case: Case, sender: User, items: list[InboundAttachment], now: datetime, comment: Comment | None = None
) -> list[str]:
    """Store the message's attachments under the API's limits; answers those refused (and why)."""
    dropped: list[str] = []
    for item in items:
        upload = SimpleUploadedFile(item.filename, item.content, content_type=item.content_type)
        try:
            with transaction.atomic():
                attachment_add(case=case, uploaded_by=sender, upload=upload, comment=comment, now=now)
        except ApplicationError as error:  # too large or not an accepted type: the rest stays
            dropped.append(f"{item.filename}: {error.code}")
    return dropped


def _no_access(
    message: InboundMessage,
    sender: User,
    refusal: ActingRefusal,
    company: Company | None,
    now: datetime,
    refuse: _Refuse,
) -> InboundEmail:
    """A known sender who may not open cases for the company: refused, and told how to get access."""
    managers = ""
    if company is not None and refusal in (ActingRefusal.DSU_REQUIRED, ActingRefusal.MEMBERSHIP_INACTIVE):
        managers = ", ".join(
            f"{manager} <{manager.email}>" for manager in company_managers(company=company)[:3]
        )
    answered = inbound_auto_answer(
        message=message,
        kind="inbound_no_access",
        reason=str(refusal),
        context={"managers": managers, "company": company.name if company is not None else ""},
        language=answer_language(address=message.sender, user=sender, company=company),
        now=now,
        recipient=sender,
    )
    return refuse(str(refusal), f"May not open a case for {company or 'a company'} ({answered}).")


def _details_needed(
    message: InboundMessage,
    sender: User,
    reason: str,
    options: list[str],
    company: Company | None,
    now: datetime,
    refuse: _Refuse,
) -> InboundEmail:
    """The message does not say which client company or product: refused, and the sender is told
    what to add (``reason``: ``company_unclear`` or ``product_unclear``)."""
    answered = inbound_auto_answer(
        message=message,
        kind="inbound_case_details_needed",
        reason=reason,
        context={"options": ", ".join(options), "example": options[0] if options else ""},
        language=answer_language(address=message.sender, user=sender, company=company),
        now=now,
        recipient=sender,
    )
    return refuse(reason, f"Options: {', '.join(options) or 'none'} ({answered}).")


def _new_case(
    message: InboundMessage, sender: User, authentication: str, now: datetime, refuse: _Refuse
) -> InboundEmail:
    """Open a case from a message to the support address, under the API's rules (``new_cases``)."""
    membership = membership_for(sender)
    own_company = membership.company if membership is not None else None
    if membership is None or not membership.is_active:
        return _no_access(message, sender, ActingRefusal.MEMBERSHIP_INACTIVE, own_company, now, refuse)
    company, candidates = company_for(message=message, sender=sender)
    if company is None and not candidates:  # a partner establishment that serves nobody
        return _no_access(message, sender, ActingRefusal.PARTNER_NOT_SERVING, None, now, refuse)
    if company is None:
        names = [candidate.name for candidate in candidates]
        return _details_needed(message, sender, "company_unclear", names, None, now, refuse)
    if refusal := acting_for_company_refusal(user=sender, company=company):
        return _no_access(message, sender, refusal, company, now, refuse)
    try:
        request = case_request_from(message=message, company=company)
    except ApplicationError as error:
        return refuse(error.code, error.detail)
    if request.product_instance is None or request.values is None:
        return _details_needed(message, sender, request.unclear, request.options, company, now, refuse)
    try:
        with transaction.atomic():
            case, created = case_create(
                opened_by=sender,
                company=company,
                product_instance=request.product_instance,
                idempotency_key=idempotency_key_for(message),
                channel=Comment.Source.EMAIL,
                now=now,
                **request.values,
            )
            dropped = _attachments_add(case, sender, message.attachments, now) if created else []
    except ApplicationError as error:
        return refuse(error.code, error.detail)
    if not created:
        reason = "Delivered again: its Message-ID already opened this case."
    else:
        reason = f"Attachments refused: {', '.join(dropped)}" if dropped else ""
    return _logged(message, InboundEmail.Outcome.OPENED, reason, authentication, now, case=case)


def _case_reply(
    message: InboundMessage, sender: User, token: str, authentication: str, now: datetime, refuse: _Refuse
) -> InboundEmail:
    case_id = Case.objects.filter(reply_token=token).values_list("pk", flat=True).first()
    if case_id is None:
        return refuse("reply_address_unknown", "Unknown case reply address.")
    body = strip_quoted(message.text)
    if not body:
        return refuse("empty_reply", "Nothing left after removing the quoted history.")
    try:
        with transaction.atomic():
            # The same checks as the API: a case the sender may see, and a comment they may write.
            case = case_get_for_user(user=sender, case_id=case_id)
            comment, _ = comment_create(
                case=case, author=sender, body=body, source=Comment.Source.EMAIL, now=now
            )
            # Too large or not an accepted type: the comment stays, the refusal is logged.
            dropped = _attachments_add(case, sender, message.attachments, now, comment=comment)
    except ApplicationError as error:
        return refuse(error.code, error.detail)
    reason = f"Attachments refused: {', '.join(dropped)}" if dropped else ""
    return _logged(message, InboundEmail.Outcome.COMMENTED, reason, authentication, now, case=case)


def _authorization_answer(
    message: InboundMessage, sender: User, token: str, authentication: str, now: datetime, refuse: _Refuse
) -> InboundEmail:
    address = (
        AuthorizationReplyAddress.objects.select_related("request__company")
        .filter(token=token.lower())
        .first()
    )
    if address is None or address.expires_at <= now:
        return refuse("reply_address_unknown", "Unknown or expired authorisation reply address.")
    if address.manager_id != sender.pk:
        return refuse(
            "reply_address_not_yours", "This authorisation reply address was issued to another manager."
        )
    words = strip_quoted(message.text).split()
    verdict = words[0].strip(".,!:").lower() if words else ""
    if verdict not in APPROVE_WORDS | REJECT_WORDS:
        return refuse(
            "decision_unreadable",
            "The first word must be APPROVE or REJECT (APPROUVER/REJETER, APROBAR/RECHAZAR).",
        )
    decide = authorization_request_approve if verdict in APPROVE_WORDS else authorization_request_reject
    try:
        # The service checks again that the sender is still a manager writing from the company's domain.
        decide(
            request=address.request,
            decided_by=sender,
            reason=" ".join(words[1:])[:2000],
            channel=AuthorizationRequest.Channel.EMAIL,
            now=now,
        )
    except ApplicationError as error:
        return refuse(error.code, error.detail)
    return _logged(message, InboundEmail.Outcome.DECIDED, verdict, authentication, now)
