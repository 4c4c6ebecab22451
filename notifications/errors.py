"""Error codes of webhooks and surveys (see ``core.errors``)."""

from django.utils.translation import gettext_lazy as _

from core.errors import detail_example, error_define

WEBHOOK_URL_INVALID = error_define("webhook_url_invalid", status=400, detail=_("The URL names no host."))
WEBHOOK_HTTPS_REQUIRED = error_define(
    "webhook_https_required", status=400, detail=_("Webhook URLs must use https://.")
)
WEBHOOK_CREDENTIALS_FORBIDDEN = error_define(
    "webhook_credentials_forbidden",
    status=400,
    detail=_("Webhook URLs must not carry credentials (user:password@): authenticate with the signature."),
)
WEBHOOK_URL_FORBIDDEN = error_define(
    "webhook_url_forbidden",
    status=400,
    detail=detail_example(
        _("The host %(host)s resolves to an address that is not on the public internet (%(reason)s)."),
        host="hooks.acme.example",
        reason="private",
    ),
    reason="private",
)
WEBHOOK_HOST_UNRESOLVABLE = error_define(
    "webhook_host_unresolvable",
    status=400,
    detail=detail_example(_("The host %(host)s could not be resolved."), host="hooks.acme.example"),
)
WEBHOOK_INACTIVE = error_define(
    "webhook_inactive", status=409, detail=_("This webhook is disabled: enable it before testing it.")
)
