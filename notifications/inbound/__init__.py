"""Inbound e-mail: parsing what arrives, deciding who sent it, and applying what it asks."""

from notifications.inbound.authentication import SenderVerdicts, sender_authenticated
from notifications.inbound.parsing import (
    InboundAttachment,
    InboundMessage,
    InboundPayloadInvalid,
    inbound_body_limit,
    parse_json,
    parse_mime,
)
from notifications.inbound.processing import inbound_email_process, inbound_refusal_log, strip_quoted

__all__ = [
    "InboundAttachment",
    "InboundMessage",
    "InboundPayloadInvalid",
    "SenderVerdicts",
    "inbound_body_limit",
    "inbound_email_process",
    "inbound_refusal_log",
    "parse_json",
    "parse_mime",
    "sender_authenticated",
    "strip_quoted",
]
