"""What a mail server or provider hands us, as an ``InboundMessage``: a raw MIME message, the JSON
shape of our own endpoint, or any ``email.message.EmailMessage`` (anymail's inbound messages are).

Every input may come from an attacker: whatever cannot be read is an ``InboundPayloadInvalid``
(400 ``invalid_inbound_payload``), never a crash. What can be read is made storable: NUL characters
(PostgreSQL text cannot hold them) and lone surrogates are removed, unknown charsets are decoded as
UTF-8 with replacement characters, and an HTML-only body is turned into plain text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

from django.conf import settings

from core.errors import ValidationFailed
from inbound.authentication import (
    SenderVerdicts,
    dkim_verdicts_from_field,
    spf_verdicts_from_field,
    verdicts_from_authentication_results,
)

# The headers that name who a message was for (a reply-all may put our address in Cc).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
# Room for the text, the headers and MIME's own overhead beside one attachment.
BODY_HEADROOM_BYTES = 1024 * 1024


class InboundPayloadInvalid(ValidationFailed):
    default_code = "invalid_inbound_payload"


def inbound_body_limit() -> int:
    """The largest inbound request body accepted: ``INBOUND_EMAIL_MAX_BYTES`` when set, else room for
    one attachment of ``ATTACHMENT_MAX_BYTES`` in base64 (4/3, plus MIME's line breaks: 78 bytes per
    76 characters) with the message's text and headers."""
    if settings.INBOUND_EMAIL_MAX_BYTES:
        return int(settings.INBOUND_EMAIL_MAX_BYTES)
    encoded = -(-settings.ATTACHMENT_MAX_BYTES // 3) * 4
    return encoded * 78 // 76 + BODY_HEADROOM_BYTES


def clean_text(value: str) -> str:
    """``value`` as PostgreSQL can store it: no NUL characters, no lone surrogates."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes

    def __post_init__(self) -> None:
        self.filename = clean_text(self.filename)[:255] or "attachment"
        self.content_type = clean_text(self.content_type)[:255]


@dataclass
class InboundMessage:
    """One inbound message, whatever it arrived through. ``sender`` is the From address (empty when
    there is not exactly one); ``verdicts`` what the receiving side said about who sent it;
    ``message_id`` its Message-ID (a provider's retry carries the same); ``automatic`` why a machine
    sent it (an auto-reply, a bounce, bulk mail: ``automatic_reason``), empty when a person did;
    ``no_auto_reply`` that the sender asked for no automatic answer."""

    sender: str
    recipients: list[str]
    subject: str
    text: str
    attachments: list[InboundAttachment] = field(default_factory=list)
    verdicts: SenderVerdicts = field(default_factory=SenderVerdicts)
    source: str = ""
    message_id: str = ""
    automatic: str = ""
    no_auto_reply: bool = False

    def __post_init__(self) -> None:
        self.sender = clean_text(self.sender).strip()
        self.recipients = [clean_text(address).strip() for address in self.recipients]
        self.subject = clean_text(self.subject)
        self.text = clean_text(self.text)
        self.message_id = clean_text(self.message_id).strip()[:500]
        self.automatic = clean_text(self.automatic)[:200]


# --- mail sent by machines ------------------------------------------------------------------------

# Senders that are mail systems, never people: their mail is a bounce or a report (RFC 5321, 3834).
SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# Headers some autoresponders add instead of (or beside) Auto-Submitted.
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponse")
_SUPPRESS_AUTO_REPLY = frozenset({"all", "autoreply", "oof"})


def _first_word(value: str | None) -> str:
    words = (value or "").replace(";", " ").split()
    return words[0].lower() if words else ""


def automatic_reason(*, header: Callable[[str], str | None], sender: str, envelope_from: str | None) -> str:
    """Why a message was sent by a machine (RFC 3834): ``Auto-Submitted`` other than ``no``,
    ``Precedence: bulk|list|junk``, an autoresponder's own header, a null envelope sender (``<>``: a
    bounce) or a mail-system sender (MAILER-DAEMON, postmaster). Empty when none says so. Such mail
    never changes anything and is never answered: answering an autoresponder is a mail loop."""
    auto_submitted = _first_word(header("Auto-Submitted"))
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _first_word(header("Precedence"))
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in _AUTORESPONDER_HEADERS:
        if header(name) is not None:
            return f"{name} header"
    if envelope_from is not None and envelope_from.strip() == "<>":
        return "null envelope sender (a bounce)"
    if sender.rsplit("@", 1)[0].lower() in SYSTEM_SENDERS:
        return f"mail-system sender {sender}"
    return ""


def no_auto_reply_asked(header: Callable[[str], str | None]) -> bool:
    """``X-Auto-Response-Suppress`` (Microsoft's) naming all automatic answers or auto-replies."""
    values = (header("X-Auto-Response-Suppress") or "").replace(";", ",").split(",")
    return bool({value.strip().lower() for value in values} & _SUPPRESS_AUTO_REPLY)


def _header_reader(message: Message) -> Callable[[str], str | None]:
    def header(name: str) -> str | None:
        value = message.get(name)
        return None if value is None else str(value)

    return header


# --- HTML bodies ----------------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """Text of an HTML body as a reader sees it: blocks on their own lines, scripts and styles
    dropped, and blockquotes (where mail clients put quoted history) prefixed with "> "."""

    BLOCKS = frozenset(
        [
            "address",
            "article",
            "aside",
            "br",
            "dd",
            "div",
            "dl",
            "dt",
            "footer",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tbody",
            "td",
            "th",
            "thead",
            "tr",
            "ul",
        ]
    )
    HIDDEN = frozenset(["head", "script", "style", "template", "title", "noscript"])

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, list[str]]] = [(0, [])]
        self.hidden = 0
        self.quote_depth = 0

    def _break(self) -> None:
        if "".join(self.lines[-1][1]).strip():
            self.lines.append((self.quote_depth, []))
        else:
            self.lines[-1] = (self.quote_depth, [])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self._break()
        elif tag in self.BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._break()
        elif tag in self.BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.lines[-1][1].append(data)

    def text(self) -> str:
        # Whitespace collapses as a browser collapses it; inline tags (<b>, <a>) add none.
        lines = ((depth, " ".join("".join(chunks).split())) for depth, chunks in self.lines)
        return "\n".join("> " * depth + line for depth, line in lines if line)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body (for messages that carry no text/plain part)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


# --- MIME -----------------------------------------------------------------------------------------


def _charset(name: object) -> str:
    """A text codec for a declared charset; UTF-8 for an unknown one or none (a superset of ASCII)."""
    if isinstance(name, str):
        try:
            decoded = codecs.decode(b"", name)  # bytes for bytes-to-bytes codecs such as base64
        except Exception:  # LookupError, and whatever an odd codec raises (zlib.error, TypeError)
            return "utf-8"
        return name if isinstance(decoded, str) else "utf-8"
    return "utf-8"


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(_charset(part.get_content_charset()), errors="replace")
    except (LookupError, ValueError):  # a codec that cannot replace what it cannot read (idna)
        return payload.decode("utf-8", errors="replace")


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":  # an attached message: its payload is parsed
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        return first.as_bytes() if isinstance(first, Message) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _addresses(values: Iterable[object]) -> list[str]:
    return [address for _, address in getaddresses([str(value) for value in values]) if "@" in address]


def message_from_email(
    message: EmailMessage,
    *,
    verdicts: SenderVerdicts | None = None,
    authserv_id: str = "",
    envelope_recipients: Iterable[str] = (),
    source: str,
) -> InboundMessage:
    """An ``InboundMessage`` from a parsed message; the verdicts are ``verdicts`` when given, else
    those of the topmost ``Authentication-Results`` header carrying ``authserv_id``."""
    if not message.get_all("From"):
        raise InboundPayloadInvalid("The message has no From header.", extra={"field": "From"})
    senders = _addresses(message.get_all("From", []))
    plain = message.get_body(preferencelist=("plain",))
    text = _part_text(plain) if plain is not None else ""
    if not text.strip():  # HTML-only mail, or an empty text part beside the HTML (Postmark sends one)
        html = message.get_body(preferencelist=("html",))
        text = html_to_text(_part_text(html)) if html is not None else text
    attachments = [
        InboundAttachment(
            str(part.get_filename() or "attachment"), part.get_content_type(), _part_bytes(part)
        )
        for part in message.iter_attachments()
    ]
    if verdicts is None:
        verdicts = verdicts_from_authentication_results(
            [str(value) for value in message.get_all("Authentication-Results", [])], authserv_id=authserv_id
        )
    recipients = [
        *_addresses(value for name in RECIPIENT_HEADERS for value in message.get_all(name, [])),
        *envelope_recipients,
    ]
    sender = senders[0] if len(senders) == 1 else ""
    header = _header_reader(message)
    return_path = header("Return-Path")
    return InboundMessage(
        sender=sender,
        recipients=recipients,
        subject=str(message.get("Subject", "")),
        text=text,
        attachments=attachments,
        verdicts=verdicts,
        source=source,
        message_id=header("Message-ID") or "",
        automatic=automatic_reason(header=header, sender=sender, envelope_from=return_path),
        no_auto_reply=no_auto_reply_asked(header),
    )


def parse_mime(raw: bytes, *, authserv_id: str | None = None, source: str = "mime") -> InboundMessage:
    """A raw RFC 5322 message; verdicts from our receiving side's ``Authentication-Results`` header
    (``INBOUND_EMAIL_AUTHSERV_ID`` unless ``authserv_id`` is given)."""
    authserv_id = settings.INBOUND_EMAIL_AUTHSERV_ID if authserv_id is None else authserv_id
    try:
        message = BytesParser(policy=default_policy).parsebytes(raw)
        assert isinstance(message, EmailMessage)  # the default policy's message class
        return message_from_email(message, authserv_id=authserv_id, source=source)
    except InboundPayloadInvalid:
        raise
    except Exception as error:  # the email package meeting hostile bytes: whatever breaks is the input's
        raise InboundPayloadInvalid(f"Unreadable MIME message ({type(error).__name__}).") from error


# --- JSON -----------------------------------------------------------------------------------------


def _optional_string(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InboundPayloadInvalid(f"'{name}' must be a string or null.", extra={"field": name})
    return value


def _recipients(value: object) -> list[str]:
    if isinstance(value, str):
        return _addresses([value])
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return _addresses(value)
    raise InboundPayloadInvalid("'to' must be a string or a list of strings.", extra={"field": "to"})


def _attachments(value: object) -> list[InboundAttachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InboundPayloadInvalid("'attachments' must be a list.", extra={"field": "attachments"})
    attachments = []
    for index, item in enumerate(value):
        where = {"field": f"attachments[{index}]"}
        if not isinstance(item, dict):
            raise InboundPayloadInvalid("Each attachment must be an object.", extra=where)
        filename, content_type, content = (item.get(key) for key in ("filename", "content_type", "content"))
        if not isinstance(content, str):
            raise InboundPayloadInvalid("An attachment's 'content' must be a base64 string.", extra=where)
        if not all(part is None or isinstance(part, str) for part in (filename, content_type)):
            raise InboundPayloadInvalid(
                "An attachment's 'filename' and 'content_type' must be strings.", extra=where
            )
        try:
            data = base64.b64decode("".join(content.split()), validate=True)
        except (binascii.Error, ValueError) as error:
            raise InboundPayloadInvalid(
                "An attachment's 'content' is not valid base64.", extra=where
            ) from error
        attachments.append(InboundAttachment(filename or "attachment", content_type or "", data))
    return attachments


def _envelope_from(payload: dict[str, Any]) -> object:
    if payload.get("envelope_from") is not None:
        return payload["envelope_from"]
    envelope = payload.get("envelope")
    if isinstance(envelope, str):  # SendGrid sends the envelope as a JSON string
        try:
            envelope = json.loads(envelope)
        except ValueError:
            return None
    return envelope.get("from") if isinstance(envelope, dict) else None


def json_verdicts(payload: dict[str, Any]) -> SenderVerdicts:
    """The verdicts a JSON payload carries: ``spf`` (or SendGrid's ``SPF``) for the envelope sender
    ``envelope_from`` (or SendGrid's ``envelope`` ``{"from": …}``), and ``dkim``: SendGrid's
    ``{@example.com : pass}`` or a single verdict for the signing domain ``dkim_domain``."""
    spf = payload.get("spf", payload.get("SPF"))
    return SenderVerdicts(
        source="the JSON payload's spf/dkim fields",
        dkim=dkim_verdicts_from_field(payload.get("dkim"), domain=payload.get("dkim_domain")),
        spf=spf_verdicts_from_field(spf, mail_from=_envelope_from(payload)),
    )


def _json_headers(value: object) -> Message:
    """The message's headers as a relay sends them: a raw header block (SendGrid's ``headers``) or an
    object of name → value."""
    if value is None:
        return Message()
    if isinstance(value, str):
        return HeaderParser().parsestr(value, headersonly=True)
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        headers = Message()
        for name, text in value.items():
            if name.strip() and "\n" not in name and "\r" not in name:
                headers[name.strip()] = text.replace("\r", " ").replace("\n", " ")
        return headers
    raise InboundPayloadInvalid(
        "'headers' must be a raw header block or an object of strings.", extra={"field": "headers"}
    )


def parse_json(payload: object, *, source: str = "json") -> InboundMessage:
    """Our endpoint's JSON: ``from``, ``to``, ``subject``, ``text`` (null or missing: the ``html``
    part as text), ``html``, ``attachments[{filename, content_type, content (base64)}]``, the
    verdicts (``json_verdicts``), and optionally ``headers`` (a raw block or an object: Message-ID,
    Auto-Submitted, Precedence, … as the message carried them)."""
    if not isinstance(payload, dict):
        raise InboundPayloadInvalid("Send a JSON object or a raw MIME message.")
    sender = payload.get("from")
    if not isinstance(sender, str):
        raise InboundPayloadInvalid("'from' must be a string.", extra={"field": "from"})
    senders = _addresses([sender])
    text = _optional_string(payload, "text")
    html = _optional_string(payload, "html")
    try:
        headers = _json_headers(payload.get("headers"))
    except InboundPayloadInvalid:
        raise
    except Exception as error:  # the email package on a hostile header block
        raise InboundPayloadInvalid("Unreadable 'headers'.", extra={"field": "headers"}) from error
    header = _header_reader(headers)
    envelope_from = _envelope_from(payload)
    sender_address = senders[0] if len(senders) == 1 else ""
    return InboundMessage(
        sender=sender_address,
        recipients=_recipients(payload.get("to")),
        subject=_optional_string(payload, "subject"),
        text=text if text.strip() or not html else html_to_text(html),
        attachments=_attachments(payload.get("attachments")),
        verdicts=json_verdicts(payload),
        source=source,
        message_id=header("Message-ID") or "",
        automatic=automatic_reason(
            header=header,
            sender=sender_address,
            envelope_from=envelope_from if isinstance(envelope_from, str) else header("Return-Path"),
        ),
        no_auto_reply=no_auto_reply_asked(header),
    )
