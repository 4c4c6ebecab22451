"""Error codes of cases, their comments, attachments, transitions and escalations (see ``core.errors``)."""

from core.errors import error_define

PRODUCT_INSTANCE_REQUIRED = error_define(
    "product_instance_required", status=400, detail="Choose the product instance the problem is on."
)
PRODUCT_INSTANCE_NOT_IN_COMPANY = error_define(
    "product_instance_not_in_company",
    status=400,
    detail="That product instance does not belong to the company.",
)
FOLLOW_UP_OF_NOT_CLOSED = error_define(
    "follow_up_of_not_closed",
    status=400,
    detail="CS-000042 is not closed: comment on it instead of opening a follow-up.",
)
FOLLOW_UP_OF_OTHER_COMPANY = error_define(
    "follow_up_of_other_company", status=400, detail="A follow-up belongs to the same company."
)
INACTIVE_CASE_REASON = error_define(
    "inactive_case_reason", status=400, detail="The case reason 'data-issue' is no longer offered."
)
INACTIVE_APPLICATION_AREA = error_define(
    "inactive_application_area",
    status=400,
    detail="The application area 'fixed-assets' is no longer offered.",
)
APPLICATION_AREA_MISMATCH = error_define(
    "application_area_mismatch", status=400, detail="'payroll' is not an area of Financials."
)
UNKNOWN_TRANSITION = error_define(
    "unknown_transition", status=400, detail="There is no transition called 'finish'."
)
FIELD_REQUIRED = error_define(
    "field_required", status=400, detail="'propose_resolution' needs resolution.", field="resolution"
)
REASON_REQUIRED = error_define(
    "reason_required", status=400, detail="Say why the priority changes.", field="reason"
)
RELEASE_DATE_IN_PAST = error_define(
    "release_date_in_past", status=400, detail="The tentative release date is in the past."
)
INACTIVE_OUT_OF_SCOPE_REASON = error_define(
    "inactive_out_of_scope_reason", status=400, detail="That out-of-scope reason is no longer offered."
)
INVALID_PRIORITY = error_define("invalid_priority", status=400, detail="Unknown priority 'P9'.")
ASSIGNEE_NOT_STAFF = error_define(
    "assignee_not_staff", status=400, detail="Cases are assigned to active support staff."
)
ANALYST_NOT_STAFF = error_define(
    "analyst_not_staff", status=400, detail="Only active support staff take routed cases."
)
INVALID_AVAILABILITY = error_define(
    "invalid_availability", status=400, detail="Unknown availability 'holiday'."
)
TRANSITION_NOT_ALLOWED = error_define(
    "transition_not_allowed", status=403, detail="'start' is support's move."
)
SUPPORT_ONLY = error_define("support_only", status=403, detail="Only support staff do this.")
SUPPORT_MANAGER_REQUIRED = error_define(
    "support_manager_required", status=403, detail="Support managers review escalations."
)
CUSTOMER_ONLY = error_define("customer_only", status=403, detail="Escalation is asked for by the customer.")
INTERNAL_COMMENT_FORBIDDEN = error_define(
    "internal_comment_forbidden", status=403, detail="Only support writes internal notes."
)
FOLLOW_NOT_ALLOWED = error_define(
    "follow_not_allowed",
    status=403,
    detail="Only people who may act for Acme Corp may follow its cases. In the United States only a "
    "designated support user may follow a case. Acme Corp's managers can authorise it: Dana Whitfield "
    "<dana@acme.example>.",
    reason="dsu_required",
)
INVALID_TRANSITION = error_define(
    "invalid_transition", status=409, detail="'confirm_resolution' is not possible while CS-000042 is 'Open'."
)
CONFLICT = error_define(
    "conflict",
    status=409,
    detail="CS-000042 changed while you were acting: it is now 'Pending Customer Action'. Reload it and "
    "try again.",
)
REOPEN_WINDOW_EXPIRED = error_define(
    "reopen_window_expired",
    status=409,
    detail="CS-000042 closed more than 3 days ago and can no longer be reopened. Open a new case with "
    "follow_up_of=42: it links the two and keeps the product and analyst.",
    follow_up_of=42,
)
CASE_CLOSED = error_define(
    "case_closed",
    status=409,
    detail="CS-000042 is closed: reopen it (within 3 days of closing) or open a follow-up case.",
)
ALWAYS_NOTIFIED = error_define(
    "always_notified",
    status=409,
    detail="CS-000042 was opened by you or for you: you get its notices already, and always will.",
)
ESCALATION_ALREADY_PENDING = error_define(
    "escalation_already_pending",
    status=409,
    detail="An escalation request is already being reviewed for this case.",
)
ESCALATION_NOT_PENDING = error_define(
    "escalation_not_pending", status=409, detail="This escalation request is already accepted."
)
FILE_TOO_LARGE = error_define(
    "file_too_large",
    status=413,
    detail="'recording.mp4' is 31,457,280 bytes; the limit is 26,214,400 bytes.",
    max_bytes=26_214_400,
)
UNSUPPORTED_FILE_TYPE = error_define(
    "unsupported_file_type",
    status=415,
    detail="'setup.exe' is not an accepted file type. Accepted: .csv, .gif, .har, .jpeg, .jpg, .json, .log, "
    ".mov, .mp4, .pdf, .png, .txt, .webm, .webp, .zip.",
)
FILE_CONTENT_MISMATCH = error_define(
    "file_content_mismatch",
    status=415,
    detail="'screenshot.png' does not contain what its name says (image/png).",
)

# A staff member's notice preferences (cases.services.notices), refused per field.
INVALID_EMAIL_NOTICES = error_define(
    "invalid_email_notices", status=400, detail="Unknown e-mail preference 'hourly'.", field="email_notices"
)
INVALID_DIGEST_MINUTES = error_define(
    "invalid_digest_minutes",
    status=400,
    detail="A digest comes every 15, 30 or 60 minutes.",
    field="digest_minutes",
)
INVALID_LANGUAGE = error_define(
    "invalid_language", status=400, detail="Unknown language 'de'.", field="language"
)

# Saved views of the case list (cases.services.workspace).
VIEW_NAME_REQUIRED = error_define("name_required", status=400, detail="Name the view.", field="name")
VIEW_NAME_TOO_LONG = error_define(
    "name_too_long", status=400, detail="Names are at most 60 characters.", field="name"
)
VIEW_QUERY_TOO_LONG = error_define(
    "query_too_long", status=400, detail="The view's filters are longer than 1000 characters."
)
NOT_OWNER = error_define(
    "not_owner", status=403, detail="Only its owner (or a support manager, if shared) deletes a view."
)
