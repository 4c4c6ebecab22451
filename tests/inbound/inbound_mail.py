"""Building inbound mail for tests: what a receiving server that checked SPF and DKIM hands us."""

from __future__ import annotations

import base64
from email.message import EmailMessage

from inbound.authentication import DkimVerdict, SenderVerdicts, SpfVerdict
from inbound.parsing import InboundAttachment, InboundMessage

AUTHSERV_ID = "mx.casedesk.test"
SECRET = "inbound-test-secret"
ENDPOINT = "/api/v1/inbound-email/"


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1]


def dkim_pass(address: str) -> SenderVerdicts:
    """What a receiving server says of a message the From domain really signed."""
    return SenderVerdicts(source="test", dkim=(DkimVerdict("pass", domain_of(address)),))


def spf_only(result: str, mail_from: str) -> SenderVerdicts:
    return SenderVerdicts(source="test", spf=(SpfVerdict(result, domain_of(mail_from)),))


def inbound(
    sender: str,
    to: str,
    text: str,
    *,
    verdicts: SenderVerdicts | None = None,
    attachments: list[InboundAttachment] | None = None,
) -> InboundMessage:
    """A message from ``sender``, authenticated (aligned DKIM pass) unless ``verdicts`` says otherwise."""
    return InboundMessage(
        sender=sender,
        recipients=[to],
        subject="Re: your case",
        text=text,
        attachments=attachments or [],
        verdicts=dkim_pass(sender) if verdicts is None else verdicts,
        source="test",
    )


def trusted_results(sender: str, *, dkim: str = "pass", authserv_id: str = AUTHSERV_ID) -> str:
    return f"{authserv_id}; dkim={dkim} header.d={domain_of(sender)} header.s=sel; spf=none smtp.mailfrom={sender}"


def mime(
    sender: str,
    to: str,
    text: str | None = "Hello",
    *,
    results: list[str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """A raw message whose topmost headers are ``results`` (Authentication-Results, in order); by
    default the one our receiving server writes for a DKIM-signed message from ``sender``."""
    message = EmailMessage()
    for value in [trusted_results(sender)] if results is None else results:
        message["Authentication-Results"] = value
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: your request"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def json_payload(sender: str, to: str, text: str | None = "Hello", **fields: object) -> dict[str, object]:
    """The JSON endpoint's payload, DKIM-signed by the sender's domain unless ``fields`` say otherwise."""
    payload: dict[str, object] = {
        "from": sender,
        "to": to,
        "subject": "Re",
        "text": text,
        "dkim": f"{{@{domain_of(sender)} : pass}}",
    }
    payload.update(fields)
    return payload


def attachment_json(filename: str, content_type: str, content: bytes) -> dict[str, str]:
    return {"filename": filename, "content_type": content_type, "content": base64.b64encode(content).decode()}
