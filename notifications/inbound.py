"""Inbound e-mail: replies become case comments; managers' answers decide authorisation requests.

Whatever the outcome, the message is logged (``InboundEmail``). A sender who may not act, an
unknown token, or a message the provider marks as failing SPF/DKIM changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import email
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorizationRequest, User
from accounts.services import authorization_request_approve, authorization_request_reject
from cases.models import Case, Comment
from cases.selectors import case_get_for_user
from cases.services import attachment_add, comment_create
from core.errors import ApplicationError
from notifications.models import InboundEmail

logger = logging.getLogger(__name__)

_CASE_ADDRESS = re.compile(r"^case\+(?P<token>[A-Za-z0-9_-]+)@", re.IGNORECASE)
_AUTHORIZATION_ADDRESS = re.compile(r"^authorization\+(?P<id>\d+)@", re.IGNORECASE)
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


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMessage:
    sender: str
    recipients: list[str]
    subject: str
    text: str
    attachments: list[InboundAttachment] = field(default_factory=list)
    authentication_failed: bool = False


def parse_mime(raw: bytes) -> InboundMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        attachments.append(
            InboundAttachment(part.get_filename() or "attachment", part.get_content_type(), content)
        )
    auth = str(message.get("Authentication-Results", "")).lower()
    return InboundMessage(
        sender=parseaddr(str(message.get("From", "")))[1],
        recipients=[
            address
            for _, address in getaddresses(
                [str(v) for v in message.get_all("To", []) + message.get_all("Delivered-To", [])]
            )
        ],
        subject=str(message.get("Subject", "")),
        text=text,
        attachments=attachments,
        authentication_failed="spf=fail" in auth or "dkim=fail" in auth,
    )


def parse_json(payload: dict[str, Any]) -> InboundMessage:
    """The common inbound-parse shape: from, to, subject, text, attachments[{filename, content_type, content (base64)}]."""
    attachments = []
    for item in payload.get("attachments") or []:
        try:
            content = base64.b64decode(str(item.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            continue
        attachments.append(
            InboundAttachment(
                str(item.get("filename") or "attachment"), str(item.get("content_type") or ""), content
            )
        )
    to = payload.get("to") or ""
    recipients = [
        address for _, address in getaddresses([to] if isinstance(to, str) else [str(t) for t in to])
    ]
    verdicts = {str(payload.get("spf", "")).lower(), str(payload.get("dkim", "")).lower()}
    return InboundMessage(
        sender=parseaddr(str(payload.get("from", "")))[1],
        recipients=recipients,
        subject=str(payload.get("subject", "")),
        text=str(payload.get("text", "")),
        attachments=attachments,
        authentication_failed="fail" in verdicts,
    )


def strip_quoted(text: str) -> str:
    """Keep what the sender wrote: stop at the first quoted-history header or quoted line block."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if _QUOTE_HEADERS.match(stripped) or stripped.startswith(">"):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _log(
    message: InboundMessage, outcome: str, reason: str, now: datetime, case: Case | None = None
) -> InboundEmail:
    if outcome == InboundEmail.Outcome.REFUSED:
        logger.warning("inbound e-mail from %s refused: %s", message.sender, reason)
    return InboundEmail.objects.create(
        sender=message.sender[:320],
        recipient=(message.recipients[0] if message.recipients else "")[:320],
        subject=message.subject[:500],
        outcome=outcome,
        reason=reason,
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
    refused = InboundEmail.Outcome.REFUSED
    if message.authentication_failed:
        return _log(message, refused, "The provider reports an SPF or DKIM failure (spoofed sender).", now)
    sender = _sender(message)
    if sender is None:
        return _log(message, refused, "Unknown (or ambiguous) sender address.", now)
    for address in message.recipients:
        if match := _CASE_ADDRESS.match(address):
            return _case_reply(message, sender, match["token"], now)
        if match := _AUTHORIZATION_ADDRESS.match(address):
            return _authorization_answer(message, sender, int(match["id"]), now)
    return _log(message, refused, "No case or authorisation address among the recipients.", now)


def _case_reply(message: InboundMessage, sender: User, token: str, now: datetime) -> InboundEmail:
    refused = InboundEmail.Outcome.REFUSED
    case_id = Case.objects.filter(reply_token=token).values_list("pk", flat=True).first()
    if case_id is None:
        return _log(message, refused, "Unknown case reply token.", now)
    body = strip_quoted(message.text)
    if not body:
        return _log(message, refused, "Nothing left after removing the quoted history.", now)
    dropped: list[str] = []
    try:
        with transaction.atomic():
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
        return _log(message, refused, f"{error.code}: {error.detail}", now)
    reason = f"Attachments refused: {', '.join(dropped)}" if dropped else ""
    return _log(message, InboundEmail.Outcome.COMMENTED, reason, now, case=case)


def _authorization_answer(
    message: InboundMessage, sender: User, request_id: int, now: datetime
) -> InboundEmail:
    refused = InboundEmail.Outcome.REFUSED
    request = AuthorizationRequest.objects.select_related("company").filter(pk=request_id).first()
    if request is None:
        return _log(message, refused, "Unknown authorisation request.", now)
    words = strip_quoted(message.text).split()
    verdict = words[0].strip(".,!:").lower() if words else ""
    if verdict not in APPROVE_WORDS | REJECT_WORDS:
        return _log(
            message,
            refused,
            "The first word must be APPROVE or REJECT (APPROUVER/REJETER, APROBAR/RECHAZAR).",
            now,
        )
    decide = authorization_request_approve if verdict in APPROVE_WORDS else authorization_request_reject
    try:
        decide(
            request=request,
            decided_by=sender,
            reason=" ".join(words[1:])[:2000],
            channel=AuthorizationRequest.Channel.EMAIL,
            now=now,
        )
    except ApplicationError as error:
        return _log(message, refused, f"{error.code}: {error.detail}", now)
    return _log(message, InboundEmail.Outcome.DECIDED, verdict, now)
