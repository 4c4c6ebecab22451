"""Error codes of accounts, companies, tokens and authorisation requests (see ``core.errors``)."""

from django.utils.translation import gettext_lazy as _

from core.errors import detail_example, error_define

# The examples' company and managers, in the words ``accounts.selectors`` writes.
_ACME_MANAGERS = detail_example(
    _("%(company)s's managers can authorise it: %(managers)s."),
    company="Acme Corp",
    managers="Dana Whitfield <dana@acme.example>",
)

LOGIN_LOCKED = error_define(
    "login_locked",
    status=429,
    detail=_("Too many failed logins for this username or from this address; try again later."),
    retry_after_seconds=840,
)
INVALID_SCOPE = error_define("invalid_scope", status=400, detail=_("scope is 'establishment' or 'partner'."))
COMPANY_REQUIRED = error_define("company_required", status=400, detail=_("Staff must name the company."))
NOT_COMPANY_MEMBER = error_define(
    "not_company_member", status=403, detail=_("Only an active member of the company can ask for this.")
)
NOT_A_COMPANY_MEMBER = error_define(
    "not_a_company_member", status=400, detail=_("Partner memberships are managed by the partner.")
)
SUBJECT_NOT_IN_COMPANY = error_define(
    "subject_not_in_company", status=400, detail=_("No such user in this company."), field="subject_user"
)
REQUESTED_ROLE_REQUIRED = error_define(
    "requested_role_required", status=400, detail=_("A role change needs the requested role.")
)
NOT_COMPANY_MANAGER = error_define(
    "not_company_manager",
    status=403,
    detail=detail_example(
        _("Only a manager of this company can do this. %(managers)s"), managers=_ACME_MANAGERS
    ),
)
MANAGER_EMAIL_OFF_DOMAIN = error_define(
    "manager_email_off_domain",
    status=403,
    detail=detail_example(
        _("Decisions must come from an address on %(company)s's e-mail domains; %(email)s is not."),
        company="Acme Corp",
        email="dana@gmail.example",
    ),
)
DSU_REQUIRED = error_define(
    "dsu_required",
    status=403,
    detail=detail_example(
        _("In the United States only a designated support user may %(action)s. %(managers)s"),
        action=_("open a case"),
        managers=_ACME_MANAGERS,
    ),
)
PARTNER_NOT_SERVING_COMPANY = error_define(
    "partner_not_serving_company",
    status=403,
    detail=detail_example(
        _(
            "Your establishment does not serve %(company)s: only an establishment serving it may %(action)s for it."
        ),
        company="Acme Corp",
        action=_("open a case"),
    ),
)
MEMBERSHIP_INACTIVE = error_define(
    "membership_inactive",
    status=403,
    detail=detail_example(
        _("Your account is waiting for validation, so you may not %(action)s. %(managers)s"),
        action=_("open a case"),
        managers=_ACME_MANAGERS,
    ),
)
LAST_MANAGER = error_define(
    "last_manager",
    status=409,
    detail=detail_example(
        _("%(user)s is the last active manager of %(company)s; appoint another first."),
        user="Dana Whitfield",
        company="Acme Corp",
    ),
)
ALREADY_DSU = error_define(
    "already_dsu", status=409, detail=detail_example(_("%(user)s may already open cases."), user="Sam Lee")
)
ROLE_UNCHANGED = error_define(
    "role_unchanged", status=409, detail=detail_example(_("%(user)s already has that role."), user="Sam Lee")
)
DUPLICATE_REQUEST = error_define(
    "duplicate_request", status=409, detail=_("The same request is already waiting for a decision.")
)
REQUEST_EXPIRED = error_define(
    "request_expired", status=409, detail=_("This request has expired; raise a new one.")
)
REQUEST_NOT_PENDING = error_define(
    "request_not_pending", status=409, detail=_("This request is already approved.")
)

# Who may act for a company (accounts.selectors.acting_for_company_refusal): every customer-side write.
ACTING_FOR_COMPANY = (DSU_REQUIRED.code, PARTNER_NOT_SERVING_COMPANY.code, MEMBERSHIP_INACTIVE.code)
