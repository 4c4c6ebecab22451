"""Error codes of the status page, maintenance windows and incidents (see ``core.errors``)."""

from django.utils.translation import gettext_lazy as _

from core.errors import detail_example, error_define

INVALID_TIME_ZONE = error_define(
    "invalid_time_zone",
    status=400,
    detail=detail_example(
        _("Unknown time zone %(name)s: use an IANA name such as Europe/Paris."), name="'Mars/Olympus'"
    ),
    field="tz",
)
INVALID_MAINTENANCE_WINDOW = error_define(
    "invalid_maintenance_window",
    status=400,
    detail=detail_example(_("Not editable: %(fields)s."), fields="product"),
)
MESSAGE_REQUIRED = error_define(
    "message_required", status=400, detail=_("An incident update needs a message.")
)
INVALID_INCIDENT = error_define(
    "invalid_incident", status=400, detail=_("A new incident cannot start resolved.")
)
INCIDENT_RESOLVED = error_define(
    "incident_resolved", status=409, detail=_("This incident is already resolved.")
)
