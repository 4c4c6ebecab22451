"""Error codes of the status page, maintenance windows and incidents (see ``core.errors``)."""

from core.errors import error_define

INVALID_TIME_ZONE = error_define(
    "invalid_time_zone",
    status=400,
    detail="Unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Paris.",
    field="tz",
)
INVALID_MAINTENANCE_WINDOW = error_define(
    "invalid_maintenance_window", status=400, detail="Not editable: product."
)
MESSAGE_REQUIRED = error_define("message_required", status=400, detail="An incident update needs a message.")
INVALID_INCIDENT = error_define(
    "invalid_incident", status=400, detail="A new incident cannot start resolved."
)
INCIDENT_RESOLVED = error_define("incident_resolved", status=409, detail="This incident is already resolved.")
