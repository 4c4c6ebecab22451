"""Reads about who belongs where and who may do what. The access checks live here, once."""

from __future__ import annotations

from enum import StrEnum

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from knox.models import AuthToken

from accounts.models import (
    DSU_COUNTRIES,
    AuthorizationRequest,
    Company,
    Membership,
    PartnerEstablishment,
    User,
)
from core.errors import ApplicationError, Detail, NotFound, PermissionRefused


class PartnerScope(StrEnum):
    """How far a partner user looks: its own establishment's clients, or every establishment's."""

    ESTABLISHMENT = "establishment"
    PARTNER = "partner"


# What membership_for loads with the membership.
MEMBERSHIP_RELATED = ("company", "establishment__partner")

# What a person shown beside an object needs (accounts.api UserBriefOutputSerializer: id, username,
# name from first and last name, e-mail); the rest of a user row (password hash, dates, flags) is
# left unread where users are joined only to be shown.
USER_BRIEF_COLUMNS = ("id", "username", "first_name", "last_name", "email")


def user_brief_deferred(relation: str) -> tuple[str, ...]:
    """``relation__column`` for every User column a brief does not show, for ``QuerySet.defer``."""
    return tuple(
        f"{relation}__{field.name}"
        for field in User._meta.concrete_fields
        if field.name not in USER_BRIEF_COLUMNS
    )


def membership_for(user: User) -> Membership | None:
    """The user's membership with its organisation, loaded once per user object."""
    if not user.is_authenticated or user.is_staff:
        return None
    cache = user.__dict__
    if "_casedesk_membership" not in cache:
        cache["_casedesk_membership"] = (
            Membership.objects.select_related(*MEMBERSHIP_RELATED).filter(user=user).first()
        )
    membership: Membership | None = cache["_casedesk_membership"]
    return membership


def membership_preloaded(user: User) -> None:
    """``user`` was just read with its membership and ``MEMBERSHIP_RELATED`` joined (token
    authentication): make that ``membership_for``'s answer instead of querying again."""
    if user.is_authenticated and not user.is_staff:
        user.__dict__["_casedesk_membership"] = getattr(user, "membership", None)  # None: no membership


def user_language(user: User) -> str | None:
    """The language ``user`` reads: their own setting, else their company's (staff and partner users
    have no company); ``None`` when neither names a language the product speaks."""
    membership = membership_for(user)
    company = membership.company if membership is not None else None
    for code in (user.language, company.language if company is not None else ""):
        if code:
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:  # a language we do not speak: the next choice
                continue
    return None


def active_membership_for(user: User) -> Membership | None:
    membership = membership_for(user)
    return membership if membership is not None and membership.is_active else None


def company_ids_visible_to(
    user: User, *, scope: PartnerScope = PartnerScope.ESTABLISHMENT
) -> QuerySet[Company]:
    """Companies whose objects ``user`` may see (staff: all). A queryset, to be used as a subquery."""
    companies = Company.objects.all()
    if user.is_staff:
        return companies
    membership = active_membership_for(user)
    if membership is None:
        return companies.none()
    if membership.company_id is not None:
        return companies.filter(pk=membership.company_id)
    establishment = membership.establishment
    assert establishment is not None  # the membership constraint: a company or an establishment
    if scope == PartnerScope.PARTNER:
        return companies.filter(serving_establishments__partner_id=establishment.partner_id).distinct()
    return companies.filter(serving_establishments=membership.establishment_id)


def company_list_for_user(
    *, user: User, scope: PartnerScope = PartnerScope.ESTABLISHMENT
) -> QuerySet[Company]:
    return (
        Company.objects.filter(pk__in=company_ids_visible_to(user, scope=scope).values("pk"))
        .select_related("implementing_partner")
        .prefetch_related("email_domains", "product_instances__product")
        .order_by("name")
    )


def company_get_for_user(
    *, user: User, company_id: int, scope: PartnerScope = PartnerScope.PARTNER
) -> Company:
    """A company ``user`` may see; missing and forbidden look the same (404)."""
    company = company_list_for_user(user=user, scope=scope).filter(pk=company_id).first()
    if company is None:
        raise NotFound(_("Company not found."))
    return company


def company_managers(*, company: Company) -> QuerySet[User]:
    return User.objects.filter(
        membership__company=company,
        membership__role=Membership.Role.MANAGER,
        membership__status=Membership.Status.ACTIVE,
        is_active=True,
    ).order_by("pk")


def _managers_phrase(company: Company) -> str:
    names = [f"{manager} <{manager.email}>" for manager in company_managers(company=company)[:3]]
    if not names:
        return _("%(company)s has no active manager yet; ask Casedesk support to set one up.") % {
            "company": company.name
        }
    return _("%(company)s's managers can authorise it: %(managers)s.") % {
        "company": company.name,
        "managers": ", ".join(names),
    }


class ActingRefusal(StrEnum):
    """Why someone may not act for a company; each is the refusal's stable ``code``."""

    MEMBERSHIP_INACTIVE = "membership_inactive"
    PARTNER_NOT_SERVING = "partner_not_serving_company"
    OTHER_COMPANY = "not_found"
    DSU_REQUIRED = "dsu_required"


def acting_for_company_refusal(*, user: User, company: Company) -> ActingRefusal | None:
    """*The* rule for acting for ``company``, that is contacting its support in any way: opening a
    case, a public comment, an upload, an escalation request, a customer move of a case (respond,
    confirm or reject a resolution, reopen), following a case, raising a request from a case, calling.
    None when ``user`` may; otherwise why not.

    Only people the company authorised act for it (003): an active member of the company, in the US
    only a designated support user or manager; or a user of a partner establishment that serves the
    company (its sibling establishments read its cases with ``?scope=partner`` but do not act).
    Reading is ``company_ids_visible_to``'s and the case list's business, not this. Staff are left
    to their own checks (``None``). Free of queries except for partner users (one EXISTS), so hot
    paths call it on the membership ``membership_for`` already holds; ``acting_for_company_filter``
    is the same rule in SQL, for many rows at once."""
    if user.is_staff:
        return None
    membership = membership_for(user)
    if membership is None or not membership.is_active or not user.is_active:
        return ActingRefusal.MEMBERSHIP_INACTIVE
    if membership.is_partner:
        establishment = membership.establishment
        assert establishment is not None  # the membership constraint: a company or an establishment
        serves = establishment.clients.filter(pk=company.pk).exists()
        return None if serves else ActingRefusal.PARTNER_NOT_SERVING
    if membership.company_id != company.pk:
        return ActingRefusal.OTHER_COMPANY
    if company.requires_dsu and not membership.sees_all_company_cases:
        return ActingRefusal.DSU_REQUIRED
    return None


def acting_for_company_check(*, user: User, company: Company, action: Detail | None = None) -> None:
    """Raise unless ``user`` may act for ``company`` (``acting_for_company_refusal``); ``action`` says
    what they tried, in the refusal's words and language (``_("open a case")``, ...)."""
    refusal = acting_for_company_refusal(user=user, company=company)
    if refusal is not None:
        raise acting_refusal_error(
            refusal, user=user, company=company, action=action if action is not None else _("contact support")
        )


def acting_refusal_error(
    refusal: ActingRefusal, *, user: User, company: Company, action: Detail, missing: Detail | None = None
) -> ApplicationError:
    """The error that explains ``refusal`` to ``user``: a 403 naming who can change it where someone
    can, or for another company's object the 404 ``missing`` (never a 403: it is not theirs to see)."""
    if refusal == ActingRefusal.OTHER_COMPANY:
        return NotFound(missing if missing is not None else _("Company not found."))
    if refusal == ActingRefusal.MEMBERSHIP_INACTIVE:
        membership = membership_for(user)
        if membership is not None and membership.company_id == company.pk and user.is_active:
            if membership.status == Membership.Status.PENDING:
                detail = _("Your account is waiting for validation, so you may not %(action)s. %(managers)s")
            else:
                detail = _("Your account is disabled, so you may not %(action)s. %(managers)s")
            detail %= {"action": action, "managers": _managers_phrase(company)}
        else:
            detail = _("Your account is not active, so you may not %(action)s.") % {"action": action}
    elif refusal == ActingRefusal.PARTNER_NOT_SERVING:
        detail = _(
            "Your establishment does not serve %(company)s: only an establishment serving it may %(action)s for it."
        ) % {"company": company.name, "action": action}
    else:  # DSU_REQUIRED
        detail = _("In the United States only a designated support user may %(action)s. %(managers)s") % {
            "action": action,
            "managers": _managers_phrase(company),
        }
    return PermissionRefused(detail, code=str(refusal))


def acting_for_company_filter(*, user: str, company: str) -> Q:
    """``acting_for_company_refusal`` in SQL: rows whose ``user`` (a lookup path to a User) may act
    for ``company`` (a lookup path to a Company). Staff have no membership and never pass: callers
    that let staff through say so. ``tests/accounts/test_policies.py`` holds it equal to the rule."""
    membership = f"{user}__membership"
    member_of_the_company = Q(**{f"{membership}__company": F(company)}) & (
        Q(**{f"{membership}__role__in": Membership.DSU_ROLES})
        | ~Q(**{f"{company}__country__in": DSU_COUNTRIES})
    )
    serving_partner = Exists(
        PartnerEstablishment.objects.filter(
            pk=OuterRef(f"{membership}__establishment"), clients=OuterRef(company)
        )
    )
    return Q(**{f"{user}__is_active": True, f"{membership}__status": Membership.Status.ACTIVE}) & (
        member_of_the_company | Q(serving_partner)
    )


def company_manager_check(*, user: User, company: Company) -> None:
    """Raise unless ``user`` may manage ``company``'s people: its active manager, or a support manager."""
    if user.is_staff:
        if user.is_support_manager:
            return
        raise PermissionRefused(
            _("Only support managers act for a company's managers."), code="not_company_manager"
        )
    membership = active_membership_for(user)
    if membership is None or membership.company_id != company.pk or not membership.is_manager:
        raise PermissionRefused(
            _("Only a manager of this company can do this. %(managers)s")
            % {"managers": _managers_phrase(company)},
            code="not_company_manager",
        )


def membership_list_for_company(*, user: User, company: Company) -> QuerySet[Membership]:
    company_manager_check(user=user, company=company)
    return Membership.objects.filter(company=company).select_related("user").order_by("user__username")


def authorization_request_list_for_user(*, user: User) -> QuerySet[AuthorizationRequest]:
    """Staff see all; a company's managers see the company's; others see what they asked or are about."""
    requests = AuthorizationRequest.objects.select_related(
        "company", "subject_user", "requested_by", "decided_by"
    ).order_by("-created_at", "-id")
    if user.is_staff:
        return requests
    membership = active_membership_for(user)
    if membership is None or membership.company_id is None:
        return requests.none()
    requests = requests.filter(company_id=membership.company_id)
    if membership.is_manager:
        return requests
    return requests.filter(Q(requested_by=user) | Q(subject_user=user))


def authorization_request_get_for_user(*, user: User, request_id: int) -> AuthorizationRequest:
    found = authorization_request_list_for_user(user=user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("Authorisation request not found."))
    return found


def api_token_list_for_user(*, user: User, current: object = None) -> QuerySet[AuthToken]:
    """``user``'s live API tokens, newest first, each with ``current``: whether it is ``current``
    (the token the request was made with)."""
    current_digest = current.digest if isinstance(current, AuthToken) else ""
    return (
        AuthToken.objects.filter(user=user, expiry__gt=timezone.now())
        .annotate(current=ExpressionWrapper(Q(digest=current_digest), output_field=BooleanField()))
        .order_by("-created", "-digest")
    )
