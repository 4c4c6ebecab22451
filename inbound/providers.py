"""Mail received by a provider (Mailgun, Postmark, …) through django-anymail's inbound webhooks.

anymail checks each call's signature or basic auth and parses the provider's payload into an
``AnymailInboundMessage`` (a full ``email.message.EmailMessage``); its ``inbound`` signal brings
that message here, where it becomes an ``InboundMessage`` and goes through the same processing,
and the same authentication rule, as everything else that arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anymail.utils import get_anymail_setting
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings

from inbound.models import InboundEmail
from inbound.parsing import InboundMessage, InboundPayloadInvalid, message_from_email
from inbound.processing import inbound_email_process, inbound_refusal_log

# Where the receiving view leaves the message it already converted (so a bad one is a 400 there).
CONVERTED_MESSAGE = "casedesk_inbound_message"


@dataclass(frozen=True)
class InboundProvider:
    view: type[AnymailCoreWebhookView]
    # The anymail setting holding the key the provider signs each call with, when anymail checks one;
    # providers without one are authenticated by basic auth alone (ANYMAIL_WEBHOOK_SECRET).
    signing_key_setting: str = ""

    def configured(self) -> bool:
        """Whether anymail will authenticate every call (a key or secret that is set and not empty)."""
        name = self.signing_key_setting or "WEBHOOK_SECRET"
        return bool(get_anymail_setting(name.lower(), default=""))


INBOUND_PROVIDERS: dict[str, InboundProvider] = {
    "mailgun": InboundProvider(MailgunInboundWebhookView, signing_key_setting="MAILGUN_WEBHOOK_SIGNING_KEY"),
    "mailjet": InboundProvider(MailjetInboundWebhookView),
    "postmark": InboundProvider(PostmarkInboundWebhookView),
    "sparkpost": InboundProvider(SparkPostInboundWebhookView),
}


def message_from_anymail(message: Any, *, provider: str) -> InboundMessage:
    """Our ``InboundMessage`` from anymail's; the verdicts come from the topmost
    ``Authentication-Results`` header carrying INBOUND_EMAIL_AUTHSERV_ID (set it to the authserv-id
    the provider's receiving servers write, and make sure they remove forged copies)."""
    source = f"anymail:{provider}"
    try:
        envelope = [message.envelope_recipient] if isinstance(message.envelope_recipient, str) else []
        return message_from_email(
            message,
            authserv_id=settings.INBOUND_EMAIL_AUTHSERV_ID,
            envelope_recipients=envelope,
            source=source,
        )
    except InboundPayloadInvalid:
        raise
    except Exception as error:  # the email package on hostile input: whatever breaks is the input's
        raise InboundPayloadInvalid(f"Unreadable inbound message ({type(error).__name__}).") from error


def anymail_inbound_received(sender: object, event: Any, esp_name: str, **kwargs: Any) -> InboundEmail:
    """Receiver of ``anymail.signals.inbound``: apply the message (its call was already authenticated)."""
    provider = str(esp_name).lower().replace(" ", "_")
    message = getattr(event, CONVERTED_MESSAGE, None)
    if message is None:
        try:
            message = message_from_anymail(event.message, provider=provider)
        except InboundPayloadInvalid as error:
            return inbound_refusal_log(code=error.code, detail=error.detail, source=f"anymail:{provider}")
    return inbound_email_process(message=message)
