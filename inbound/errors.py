"""Error codes of inbound mail (see ``core.errors``)."""

from core.errors import error_define

# The inbound-mail endpoints are internal (not in the public schema); their codes are defined all the same.
# Their callers are mail providers and operators, not customers: their words stay English, untranslated.
INVALID_INBOUND_PAYLOAD = error_define(
    "invalid_inbound_payload", status=400, detail="'from' must be a string.", field="from"
)
INBOUND_SECRET_INVALID = error_define(
    "inbound_secret_invalid", status=403, detail="Missing or wrong X-Inbound-Secret."
)
INBOUND_SIGNATURE_INVALID = error_define(
    "inbound_signature_invalid", status=403, detail="Mailgun's signature is too old."
)
INBOUND_SIGNATURE_REPLAYED = error_define(
    "inbound_signature_replayed", status=403, detail="This Mailgun signature was already used."
)
INBOUND_PROVIDER_NOT_CONFIGURED = error_define(
    "inbound_provider_not_configured",
    status=403,
    detail="The mailgun inbound webhook has no secret configured: every call is refused.",
)
INBOUND_MESSAGE_TOO_LARGE = error_define(
    "inbound_message_too_large",
    status=413,
    detail="An inbound message may be at most 36,917,389 bytes (one attachment of ATTACHMENT_MAX_BYTES and "
    "its text).",
    max_bytes=36_917_389,
)
# A case opened by e-mail finds no active case reason or application area for its product.
CATALOG_VALUE_MISSING = error_define(
    "catalog_value_missing",
    status=400,
    detail="No active case reason or application area fits this product.",
)
INBOUND_CODES = frozenset(
    definition.code
    for definition in (
        INVALID_INBOUND_PAYLOAD,
        INBOUND_SECRET_INVALID,
        INBOUND_SIGNATURE_INVALID,
        INBOUND_SIGNATURE_REPLAYED,
        INBOUND_PROVIDER_NOT_CONFIGURED,
        INBOUND_MESSAGE_TOO_LARGE,
        CATALOG_VALUE_MISSING,
    )
)
