"""Error codes of cases, their comments, attachments, transitions and escalations (see ``core.errors``)."""

from django.utils.translation import gettext_lazy as _

from core.errors import detail_example, error_define

PRODUCT_INSTANCE_REQUIRED = error_define(
    "product_instance_required", status=400, detail=_("Choose the product instance the problem is on.")
)
PRODUCT_INSTANCE_NOT_IN_COMPANY = error_define(
    "product_instance_not_in_company",
    status=400,
    detail=_("That product instance does not belong to the company."),
)
ATTACHMENT_FILE_MISSING = error_define(
    "attachment_file_missing",
    status=404,
    detail=_("The file of this attachment is no longer stored. Ask support to attach it again."),
)
FOLLOW_UP_OF_NOT_CLOSED = error_define(
    "follow_up_of_not_closed",
    status=400,
    detail=detail_example(
        _("%(case)s is not closed: comment on it instead of opening a follow-up."), case="CS-000042"
    ),
)
FOLLOW_UP_OF_OTHER_COMPANY = error_define(
    "follow_up_of_other_company", status=400, detail=_("A follow-up belongs to the same company.")
)
INACTIVE_CASE_REASON = error_define(
    "inactive_case_reason",
    status=400,
    detail=detail_example(_("The case reason '%(reason)s' is no longer offered."), reason="data-issue"),
)
INACTIVE_APPLICATION_AREA = error_define(
    "inactive_application_area",
    status=400,
    detail=detail_example(_("The application area '%(area)s' is no longer offered."), area="fixed-assets"),
)
APPLICATION_AREA_MISMATCH = error_define(
    "application_area_mismatch",
    status=400,
    detail=detail_example(
        _("'%(area)s' is not an area of %(product)s."), area="payroll", product="Financials"
    ),
)
UNKNOWN_TRANSITION = error_define(
    "unknown_transition",
    status=400,
    detail=detail_example(_("There is no transition called '%(name)s'."), name="finish"),
)
FIELD_REQUIRED = error_define(
    "field_required",
    status=400,
    detail=detail_example(
        _("'%(transition)s' needs %(field)s."), transition="propose_resolution", field="resolution"
    ),
    field="resolution",
)
REASON_REQUIRED = error_define(
    "reason_required", status=400, detail=_("Say why the priority changes."), field="reason"
)
RELEASE_DATE_IN_PAST = error_define(
    "release_date_in_past", status=400, detail=_("The tentative release date is in the past.")
)
INACTIVE_OUT_OF_SCOPE_REASON = error_define(
    "inactive_out_of_scope_reason", status=400, detail=_("That out-of-scope reason is no longer offered.")
)
INVALID_PRIORITY = error_define(
    "invalid_priority",
    status=400,
    detail=detail_example(_("Unknown priority '%(priority)s'."), priority="P9"),
)
ASSIGNEE_NOT_STAFF = error_define(
    "assignee_not_staff", status=400, detail=_("Cases are assigned to active support staff.")
)
ANALYST_NOT_STAFF = error_define(
    "analyst_not_staff", status=400, detail=_("Only active support staff take routed cases.")
)
INVALID_AVAILABILITY = error_define(
    "invalid_availability",
    status=400,
    detail=detail_example(_("Unknown availability '%(availability)s'."), availability="holiday"),
)
TRANSITION_NOT_ALLOWED = error_define(
    "transition_not_allowed",
    status=403,
    detail=detail_example(_("'%(name)s' is support's move."), name="start"),
)
SUPPORT_ONLY = error_define("support_only", status=403, detail=_("Only support staff do this."))
SUPPORT_MANAGER_REQUIRED = error_define(
    "support_manager_required", status=403, detail=_("Support managers review escalations.")
)
CUSTOMER_ONLY = error_define(
    "customer_only", status=403, detail=_("Escalation is asked for by the customer.")
)
INTERNAL_COMMENT_FORBIDDEN = error_define(
    "internal_comment_forbidden", status=403, detail=_("Only support writes internal notes.")
)
FOLLOW_NOT_ALLOWED = error_define(
    "follow_not_allowed",
    status=403,
    detail=detail_example(
        _("Only people who may act for %(company)s may follow its cases. %(reason)s"),
        company="Acme Corp",
        reason=detail_example(
            _("In the United States only a designated support user may %(action)s. %(managers)s"),
            action=_("follow a case"),
            managers=detail_example(
                _("%(company)s's managers can authorise it: %(managers)s."),
                company="Acme Corp",
                managers="Dana Whitfield <dana@acme.example>",
            ),
        ),
    ),
    reason="dsu_required",
)
INVALID_TRANSITION = error_define(
    "invalid_transition",
    status=409,
    detail=detail_example(
        _("'%(name)s' is not possible while %(case)s is '%(status)s'."),
        name="confirm_resolution",
        case="CS-000042",
        status=_("Open"),
    ),
)
CONFLICT = error_define(
    "conflict",
    status=409,
    detail=detail_example(
        _("%(case)s changed while you were acting: it is now '%(status)s'. Reload it and try again."),
        case="CS-000042",
        status=_("Pending customer action"),
    ),
)
REOPEN_WINDOW_EXPIRED = error_define(
    "reopen_window_expired",
    status=409,
    detail=detail_example(
        _(
            "%(case)s closed more than 3 days ago and can no longer be reopened. Open a new case with "
            "follow_up_of=%(id)s: it links the two and keeps the product and analyst."
        ),
        case="CS-000042",
        id=42,
    ),
    follow_up_of=42,
)
CASE_CLOSED = error_define(
    "case_closed",
    status=409,
    detail=detail_example(
        _("%(case)s is closed: reopen it (within 3 days of closing) or open a follow-up case."),
        case="CS-000042",
    ),
)
ALWAYS_NOTIFIED = error_define(
    "always_notified",
    status=409,
    detail=detail_example(
        _("%(case)s was opened by you or for you: you get its notices already, and always will."),
        case="CS-000042",
    ),
)
ESCALATION_ALREADY_PENDING = error_define(
    "escalation_already_pending",
    status=409,
    detail=_("An escalation request is already being reviewed for this case."),
)
ESCALATION_NOT_PENDING = error_define(
    "escalation_not_pending", status=409, detail=_("This escalation request is already accepted.")
)
FILE_TOO_LARGE = error_define(
    "file_too_large",
    status=413,
    detail=detail_example(
        _("'%(filename)s' is %(size)s bytes; the limit is %(limit)s bytes."),
        filename="recording.mp4",
        size="31,457,280",
        limit="26,214,400",
    ),
    max_bytes=26_214_400,
)
UNSUPPORTED_FILE_TYPE = error_define(
    "unsupported_file_type",
    status=415,
    detail=detail_example(
        _("'%(filename)s' is not an accepted file type. Accepted: %(allowed)s."),
        filename="setup.exe",
        allowed=".csv, .gif, .har, .jpeg, .jpg, .json, .log, .mov, .mp4, .pdf, .png, .txt, .webm, .webp, .zip",
    ),
)
FILE_CONTENT_MISMATCH = error_define(
    "file_content_mismatch",
    status=415,
    detail=detail_example(
        _("'%(filename)s' does not contain what its name says (%(content_type)s)."),
        filename="screenshot.png",
        content_type="image/png",
    ),
)

# A staff member's notice preferences (cases.services.notices), refused per field.
INVALID_EMAIL_NOTICES = error_define(
    "invalid_email_notices",
    status=400,
    detail=detail_example(_("Unknown e-mail preference '%(value)s'."), value="hourly"),
    field="email_notices",
)
INVALID_DIGEST_MINUTES = error_define(
    "invalid_digest_minutes",
    status=400,
    detail=_("A digest comes every 15, 30 or 60 minutes."),
    field="digest_minutes",
)
INVALID_LANGUAGE = error_define(
    "invalid_language",
    status=400,
    detail=detail_example(_("Unknown language '%(value)s'."), value="de"),
    field="language",
)

# Saved views of the case list (cases.services.workspace).
VIEW_NAME_REQUIRED = error_define("name_required", status=400, detail=_("Name the view."), field="name")
VIEW_NAME_TOO_LONG = error_define(
    "name_too_long", status=400, detail=_("Names are at most 60 characters."), field="name"
)
VIEW_QUERY_TOO_LONG = error_define(
    "query_too_long",
    status=400,
    detail=detail_example(_("The view's filters are longer than %(limit)s characters."), limit=1000),
)
NOT_OWNER = error_define(
    "not_owner",
    status=403,
    detail=_("Only its owner (or a support manager, if shared) deletes a view."),
)
