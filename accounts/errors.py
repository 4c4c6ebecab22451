"""Error codes of accounts, companies, tokens and authorisation requests (see ``core.errors``)."""

from core.errors import error_define

LOGIN_LOCKED = error_define(
    "login_locked",
    status=429,
    detail="Too many failed logins for this username or from this address; try again later.",
    retry_after_seconds=840,
)
INVALID_SCOPE = error_define("invalid_scope", status=400, detail="scope is 'establishment' or 'partner'.")
COMPANY_REQUIRED = error_define("company_required", status=400, detail="Staff must name the company.")
NOT_COMPANY_MEMBER = error_define(
    "not_company_member", status=403, detail="Only an active member of the company can ask for this."
)
NOT_A_COMPANY_MEMBER = error_define(
    "not_a_company_member", status=400, detail="Partner memberships are managed by the partner."
)
SUBJECT_NOT_IN_COMPANY = error_define(
    "subject_not_in_company", status=400, detail="No such user in this company.", field="subject_user"
)
REQUESTED_ROLE_REQUIRED = error_define(
    "requested_role_required", status=400, detail="A role change needs the requested role."
)
NOT_COMPANY_MANAGER = error_define(
    "not_company_manager",
    status=403,
    detail="Only a manager of this company can do this. Acme Corp's managers can authorise it: "
    "Dana Whitfield <dana@acme.example>.",
)
MANAGER_EMAIL_OFF_DOMAIN = error_define(
    "manager_email_off_domain",
    status=403,
    detail="Decisions must come from an address on Acme Corp's e-mail domains; dana@gmail.example is not.",
)
DSU_REQUIRED = error_define(
    "dsu_required",
    status=403,
    detail="In the United States only a designated support user may open a case. Acme Corp's managers "
    "can authorise it: Dana Whitfield <dana@acme.example>.",
)
PARTNER_NOT_SERVING_COMPANY = error_define(
    "partner_not_serving_company",
    status=403,
    detail="Your establishment does not serve Acme Corp: only an establishment serving it may open a "
    "case for it.",
)
MEMBERSHIP_INACTIVE = error_define(
    "membership_inactive",
    status=403,
    detail="Your account is waiting for validation, so you may not open a case. Acme Corp's managers can "
    "authorise it: Dana Whitfield <dana@acme.example>.",
)
LAST_MANAGER = error_define(
    "last_manager",
    status=409,
    detail="Dana Whitfield is the last active manager of Acme Corp; appoint another first.",
)
ALREADY_DSU = error_define("already_dsu", status=409, detail="Sam Lee may already open cases.")
ROLE_UNCHANGED = error_define("role_unchanged", status=409, detail="Sam Lee already has that role.")
DUPLICATE_REQUEST = error_define(
    "duplicate_request", status=409, detail="The same request is already waiting for a decision."
)
REQUEST_EXPIRED = error_define(
    "request_expired", status=409, detail="This request has expired; raise a new one."
)
REQUEST_NOT_PENDING = error_define(
    "request_not_pending", status=409, detail="This request is already approved."
)

# Who may act for a company (accounts.selectors.acting_for_company_refusal): every customer-side write.
ACTING_FOR_COMPANY = (DSU_REQUIRED.code, PARTNER_NOT_SERVING_COMPANY.code, MEMBERSHIP_INACTIVE.code)
