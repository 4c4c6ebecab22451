"""django-anymail's inbound webhooks, one per provider, at ``/inbound/anymail/<provider>/``.

anymail verifies each call (the provider's signature, and/or HTTP basic auth with ANYMAIL's
WEBHOOK_SECRET) and parses the payload; these views add what Casedesk promises of every endpoint:
a provider answers only when enabled (INBOUND_EMAIL_PROVIDERS) and configured with its secret,
the body may carry one attachment of ATTACHMENT_MAX_BYTES, and every refusal is a JSON 4xx with a
stable code and an ``InboundEmail`` log row, never a 5xx.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from core.errors import ApplicationError, NotFound, PayloadTooLarge, PermissionRefused
from inbound.api.views import declared_length, inbound_body_read, inbound_too_large
from inbound.parsing import InboundPayloadInvalid, inbound_body_limit
from inbound.processing import inbound_refusal_log
from inbound.providers import CONVERTED_MESSAGE, INBOUND_PROVIDERS, message_from_anymail

# Mailgun retries a failed delivery for hours with the same signature; older ones are refused.
MAILGUN_SIGNATURE_MAX_AGE = timedelta(hours=24)


def _refused(error: ApplicationError, source: str) -> JsonResponse:
    inbound_refusal_log(code=error.code, detail=error.detail, source=source)
    return JsonResponse({"code": error.code, "detail": error.detail, **error.extra}, status=error.status_code)


class _CasedeskInboundMixin(AnymailCoreWebhookView):
    """Turns anymail's refusals into our errors, and converts the message while still answering for
    the payload (a message that cannot be read is a 400, not a 200 that changed nothing)."""

    # Set by delivery_claim: the cache key of the Mailgun token this call used (views live per request).
    claimed_delivery: str | None = None

    def run_validators(self, request: HttpRequest) -> None:
        try:
            super().run_validators(request)
        except AnymailWebhookValidationFailure as error:
            raise PermissionRefused(str(error), code="inbound_signature_invalid") from error
        except RequestDataTooBig as error:  # a form field past DATA_UPLOAD_MAX_MEMORY_SIZE
            raise PayloadTooLarge(
                "A form field is larger than this server accepts: send attachments as files, or "
                "use the provider's JSON or parsed (not raw MIME) format.",
                code="inbound_message_too_large",
            ) from error
        except (SuspiciousOperation, MultiPartParserError, ValueError, KeyError) as error:
            raise InboundPayloadInvalid(f"Unreadable webhook call ({type(error).__name__}).") from error
        self.delivery_claim(request)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except BaseException:  # not applied: the provider's retry of this very call must get through
            if self.claimed_delivery:
                cache.delete(self.claimed_delivery)
            raise

    def delivery_claim(self, request: HttpRequest) -> None:
        """Mailgun signs the timestamp and a token, not the body: a captured signature would carry
        any body. So a signature is good for one delivery, within MAILGUN_SIGNATURE_MAX_AGE."""
        if self.provider != "mailgun":
            return
        token, timestamp = request.POST.get("token", ""), request.POST.get("timestamp", "")
        try:
            age = abs(timezone.now().timestamp() - float(timestamp))
        except ValueError as error:
            raise InboundPayloadInvalid("Mailgun's timestamp is not a number.") from error
        if not age <= MAILGUN_SIGNATURE_MAX_AGE.total_seconds():
            raise PermissionRefused("Mailgun's signature is too old.", code="inbound_signature_invalid")
        key = f"inbound:mailgun-token:{hashlib.sha256(token.encode()).hexdigest()}"
        if not cache.add(key, 1, timeout=int(2 * MAILGUN_SIGNATURE_MAX_AGE.total_seconds())):
            raise PermissionRefused(
                "This Mailgun signature was already used.", code="inbound_signature_replayed"
            )
        self.claimed_delivery = key

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            events = list(super().parse_events(request))
        except Exception as error:  # anymail parsing a hostile payload: whatever breaks is the input's
            raise InboundPayloadInvalid(
                f"Unreadable {self.esp_name} payload ({type(error).__name__})."
            ) from error
        for event in events:
            setattr(event, CONVERTED_MESSAGE, message_from_anymail(event.message, provider=self.provider))
        return events

    @property
    def provider(self) -> str:
        return str(self.esp_name).lower().replace(" ", "_")


@functools.cache
def _guarded_view(name: str) -> Callable[..., HttpResponse]:
    base = INBOUND_PROVIDERS[name].view
    view_class: type[AnymailCoreWebhookView] = type(
        f"Casedesk{base.__name__}", (_CasedeskInboundMixin, base), {}
    )
    return view_class.as_view()


@csrf_exempt
def anymail_inbound(request: HttpRequest, provider: str) -> HttpResponse:
    """One provider's inbound webhook (POST; HEAD answers the providers that probe the URL first)."""
    source = f"anymail:{provider}"[:40]
    entry = INBOUND_PROVIDERS.get(provider)
    if entry is None or provider not in settings.INBOUND_EMAIL_PROVIDERS:
        error: ApplicationError = NotFound("No inbound webhook for this provider.", code="not_found")
        return JsonResponse({"code": error.code, "detail": error.detail}, status=404)
    if request.method not in ("POST", "HEAD"):
        return JsonResponse(
            {"code": "method_not_allowed", "detail": "Inbound webhooks take POST."},
            status=405,
            headers={"Allow": "POST, HEAD"},
        )
    if not entry.configured():
        return _refused(
            PermissionRefused(
                f"The {provider} inbound webhook has no secret configured: every call is refused.",
                code="inbound_provider_not_configured",
            ),
            source,
        )
    try:
        if declared_length(request.META) > inbound_body_limit():
            raise inbound_too_large(inbound_body_limit())
        # Read here, within the inbound limit: anymail reads request.body, which Django caps at
        # DATA_UPLOAD_MAX_MEMORY_SIZE (the rest of the API's limit); a body already read is not re-checked.
        request._body = inbound_body_read(request)
        request._stream = BytesIO(request._body)
        return _guarded_view(provider)(request)
    except ApplicationError as error:
        return _refused(error, source)


# core.limits: the view reads its body within the inbound limit and refuses (and logs) a larger one.
anymail_inbound.request_body_max_bytes = inbound_body_limit  # type: ignore[attr-defined]
anymail_inbound.request_body_checked_by_view = True  # type: ignore[attr-defined]
