from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, PayloadTooLarge, PermissionRefused
from notifications.inbound import (
    InboundMessage,
    InboundPayloadInvalid,
    inbound_body_limit,
    inbound_email_process,
    inbound_refusal_log,
    parse_json,
    parse_mime,
)


def declared_length(meta: Mapping[str, Any]) -> int:
    """The body length a request announces (0 when it announces none, or nonsense)."""
    try:
        return max(0, int(meta.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def inbound_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"An inbound message may be at most {limit:,} bytes (one attachment of ATTACHMENT_MAX_BYTES "
        "and its text).",
        code="inbound_message_too_large",
        extra={"max_bytes": limit},
    )


def inbound_body_read(stream: Any) -> bytes:
    """The request body, read up to the inbound limit (larger than the rest of the API's: a message
    may carry one attachment of ATTACHMENT_MAX_BYTES, base64-encoded)."""
    limit = inbound_body_limit()
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise inbound_too_large(limit)
    return bytes(data)


class InboundJsonParser(BaseParser):
    """JSON read through ``inbound_body_read``: DRF's own JSON parser reads ``request.body``, which
    Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        try:
            return json.loads(inbound_body_read(stream), parse_constant=_no_constant)
        except (
            ValueError,
            RecursionError,
        ) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise InboundPayloadInvalid("The body is not valid JSON.") from error


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class InboundMimeParser(BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        return inbound_body_read(stream)


class InboundEmailApi(APIView):
    """Inbound-mail webhook: JSON or raw MIME, authenticated by ``X-Inbound-Secret``."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [InboundJsonParser, InboundMimeParser]
    # core.limits: the body is read here within the inbound limit (after the secret is checked), and
    # an oversized one is refused with a log row, so RequestBodyLimitMiddleware leaves it to the view.
    request_body_max_bytes = staticmethod(inbound_body_limit)
    request_body_checked_by_view = True

    # For the mail server's relay (README: inbound e-mail), not integrators: not in the public schema.
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        secret = settings.INBOUND_EMAIL_SECRET
        given = request.headers.get("X-Inbound-Secret", "")
        source = "mime" if request.content_type.startswith(InboundMimeParser.media_type) else "json"
        try:
            if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
                raise PermissionRefused("Missing or wrong X-Inbound-Secret.", code="inbound_secret_invalid")
            if declared_length(request.META) > inbound_body_limit():
                raise inbound_too_large(inbound_body_limit())
            message = self._message(request, source)
        except (ApplicationError, exceptions.APIException) as error:
            code = error.code if isinstance(error, ApplicationError) else str(error.get_codes())
            inbound_refusal_log(code=code, detail=str(getattr(error, "detail", error)), source=source)
            raise
        logged = inbound_email_process(message=message)
        return Response({"outcome": logged.outcome, "reason": logged.reason}, status=status.HTTP_202_ACCEPTED)

    @staticmethod
    def _message(request: Request, source: str) -> InboundMessage:
        body = request.data
        if source == "mime":
            if not isinstance(body, bytes) or not body.strip():
                raise InboundPayloadInvalid("The MIME message is empty.")
            return parse_mime(body)
        return parse_json(body)
