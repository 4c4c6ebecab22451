"""Inbound e-mail: replies become case comments; managers' answers decide authorisation requests.

A message may change something only when its sender is authenticated (``sender_authenticated``:
an aligned DKIM or SPF pass), is a known, active, non-staff user, and writes to an address that
lets that user act: a case they may comment on (``case+<token>@…``), or an authorisation request
they were asked to decide (``authorization+<token>@…``, issued to them alone). Everything else is
refused and changes nothing. Whatever the outcome, the message is logged (``InboundEmail``) and a
refusal is also a ``logger.warning``; neither ever holds the message body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorizationRequest, User
from accounts.services import authorization_request_approve, authorization_request_reject
from cases.models import Case, Comment
from cases.selectors import case_get_for_user
from cases.services import attachment_add, comment_create
from core.errors import ApplicationError
from notifications.inbound.authentication import sender_authenticated
from notifications.inbound.parsing import InboundMessage, clean_text
from notifications.models import AuthorizationReplyAddress, InboundEmail

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


def inbound_email_process(*, message: InboundMessage, now: datetime | None = None) -> InboundEmail:
    """Apply one inbound message (a case reply or an authorisation decision) or refuse it; always logged."""
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

    if not authentication.authenticated:
        return refuse("sender_unauthenticated", authentication.explanation)
    sender = _sender(message)
    if sender is None:
        return refuse("sender_unknown", "Unknown (or ambiguous) sender address.")
    if sender.is_staff:
        return refuse("staff_sender", "Staff act in the admin: mail from a staff address changes nothing.")
    for address in message.recipients:
        if match := _CASE_ADDRESS.match(address):
            return _case_reply(message, sender, match["token"], authentication.explanation, now, refuse)
        if match := _AUTHORIZATION_ADDRESS.match(address):
            return _authorization_answer(
                message, sender, match["token"], authentication.explanation, now, refuse
            )
    return refuse("no_inbound_address", "No case or authorisation address among the recipients.")


def _case_reply(
    message: InboundMessage, sender: User, token: str, authentication: str, now: datetime, refuse: _Refuse
) -> InboundEmail:
    case_id = Case.objects.filter(reply_token=token).values_list("pk", flat=True).first()
    if case_id is None:
        return refuse("reply_address_unknown", "Unknown case reply address.")
    body = strip_quoted(message.text)
    if not body:
        return refuse("empty_reply", "Nothing left after removing the quoted history.")
    dropped: list[str] = []
    try:
        with transaction.atomic():
            # The same checks as the API: a case the sender may see, and a comment they may write.
            case = case_get_for_user(user=sender, case_id=case_id)
            comment, _ = comment_create(
                case=case, author=sender, body=body, source=Comment.Source.EMAIL, now=now
            )
            for item in message.attachments:
                upload = SimpleUploadedFile(item.filename, item.content, content_type=item.content_type)
                try:
                    with transaction.atomic():
                        attachment_add(case=case, uploaded_by=sender, upload=upload, comment=comment, now=now)
                except ApplicationError as error:  # too large or not an accepted type: the comment stays
                    dropped.append(f"{item.filename}: {error.code}")
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
