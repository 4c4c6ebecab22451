"""Error codes of the reports (see ``core.errors``)."""

from django.utils.translation import gettext_lazy as _

from core.errors import detail_example, error_define

REPORTS_NOT_ALLOWED = error_define(
    "reports_not_allowed",
    status=403,
    detail=_("Reports are for support managers, and for a customer company's managers about their company."),
)
UNKNOWN_PARAMETER = error_define(
    "unknown_parameter",
    status=400,
    detail=detail_example(_("Unknown query parameters: %(names)s."), names="week"),
    allowed=["analyst", "company", "from", "priority", "product", "to"],
)
INVALID_DATE_RANGE = error_define(
    "invalid_date_range",
    status=400,
    detail=detail_example(
        _("The period starts (%(start)s) after it ends (%(end)s)."), start="2026-06-08", end="2026-06-01"
    ),
)
DATE_RANGE_TOO_LONG = error_define(
    "date_range_too_long",
    status=400,
    detail=detail_example(_("A report covers at most %(days)s days; ask for a shorter period."), days=731),
    max_days=731,
)
DATE_OUT_OF_RANGE = error_define(
    "date_out_of_range",
    status=400,
    detail=detail_example(
        _("A report's period lies between %(min)s and %(max)s; %(day)s does not."),
        min="1970-01-01",
        max="9998-12-31",
        day="0093-02-22",
    ),
    min_date="1970-01-01",
    max_date="9998-12-31",
)
# Every report's errors, by code, for its schema (``core.schema.raises``): who asks, the filters, the
# company (another company's id answers as a missing one).
REPORT_ERRORS = (
    "reports_not_allowed",
    "unknown_parameter",
    "invalid",
    "invalid_date_range",
    "date_range_too_long",
    "date_out_of_range",
    "not_found",
)
