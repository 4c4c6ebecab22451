"""Reads about cases. ``case_list_for_user`` is *the* visibility rule; everything else builds on it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import get_available_user_FIELD_transitions

from accounts.models import Company, Membership, User
from accounts.selectors import (
    USER_BRIEF_COLUMNS,
    PartnerScope,
    acting_for_company_filter,
    acting_for_company_refusal,
    acting_refusal_error,
    active_membership_for,
    company_ids_visible_to,
    user_brief_deferred,
)
from cases.models import (
    AgentNotice,
    ApplicationArea,
    Attachment,
    Case,
    CaseEvent,
    CaseFollower,
    CaseReason,
    CaseStatus,
    Comment,
    EscalationRequest,
    Priority,
    PriorityRule,
)
from core.errors import Conflict, Detail, NotFound, PermissionRefused
from core.precompiled import PrecompiledQuery

# What each user-facing transition needs from the caller, besides its name.
TRANSITION_INPUTS: dict[str, tuple[str, ...]] = {
    "start": (),
    "await_release": ("tentative_release_date",),
    "engage_engineering": (),
    "request_customer_action": ("message",),
    "resume": (),
    "propose_resolution": ("resolution",),
    "close_out_of_scope": ("out_of_scope_reason",),
    "respond": ("message",),
    "confirm_resolution": (),
    "reject_resolution": ("message",),
    "reopen": (),
}


# What CaseListOutputSerializer reads, and what the detail adds. Each join costs PostgreSQL planning
# time on every request, more than the query itself takes to run with all nine relations joined.
LIST_RELATED = ("company", "product_instance__product", "assignee")
DETAIL_RELATED = ("opened_by", "on_behalf_of", "reason", "application_area")
# The case's people, shown as briefs in the detail.
PEOPLE_SHOWN = ("assignee", "opened_by", "on_behalf_of")
# The columns CaseListOutputSerializer reads. A list page loads nothing else: not the case's long
# texts (up to 20,000 characters each), nor the joined rows' other columns.
LIST_COLUMNS = (
    *("number", "subject", "priority", "status", "escalation_level", "created_at", "updated_at"),
    *("company", "company__name"),
    *("product_instance", "product_instance__environment", "product_instance__product__name"),
    *("assignee", *(f"assignee__{column}" for column in USER_BRIEF_COLUMNS)),
)


def case_list_for_user(*, user: User, scope: PartnerScope = PartnerScope.ESTABLISHMENT) -> QuerySet[Case]:
    """Cases ``user`` may see, preloaded for the list serializer (no per-row queries)."""
    cases = Case.objects.select_related(*LIST_RELATED).annotate(following=_following(user))
    reader = _case_reader(user, scope)
    if reader is None:
        return cases.none()
    return cases.filter(_visible_to(reader.kind, **reader.ids))


@dataclass(frozen=True)
class _CaseReader:
    """Who reads, as the visibility rule needs them: a kind, and the ids its SQL takes as parameters."""

    kind: str
    ids: dict[str, int]


def _case_reader(user: User, scope: PartnerScope) -> _CaseReader | None:
    """``user`` as a kind of case reader (None: sees no case). Staff see every case; a member their
    company's, or only the cases opened by or for them where the company shows members only their
    own (DSUs and managers see all); a partner user the cases of the companies its establishment
    serves (``scope`` partner: that any establishment of its partner serves)."""
    if user.is_staff:
        return _CaseReader("staff", {})
    membership = active_membership_for(user)
    if membership is None:
        return None
    if membership.company is not None:
        if (
            membership.company.case_visibility == Company.CaseVisibility.OWN
            and not membership.sees_all_company_cases
        ):
            return _CaseReader("own", {"company_id": membership.company.pk, "user_id": user.pk})
        return _CaseReader("company", {"company_id": membership.company.pk})
    establishment = membership.establishment
    assert establishment is not None  # the membership constraint: a company or an establishment
    if scope == PartnerScope.PARTNER:
        return _CaseReader("partner", {"partner_id": establishment.partner_id})
    return _CaseReader("establishment", {"establishment_id": establishment.pk})


def _visible_to(kind: str, **ids: int) -> Q:
    """The visibility rule as a filter on cases, for a reader of ``kind`` (``_case_reader``): its SQL
    depends on the kind only, the ids are its parameters (``company_ids_visible_to`` for partners)."""
    if kind == "staff":
        return Q()
    if kind == "company":
        return Q(company_id=ids["company_id"])
    if kind == "own":
        return Q(company_id=ids["company_id"]) & (
            Q(opened_by_id=ids["user_id"]) | Q(on_behalf_of_id=ids["user_id"])
        )
    if kind == "partner":
        served = Company.objects.filter(serving_establishments__partner_id=ids["partner_id"]).distinct()
    else:
        served = Company.objects.filter(serving_establishments=ids["establishment_id"])
    return Q(company_id__in=served.values("pk"))


def case_list_page_for_user(
    *, user: User, scope: PartnerScope = PartnerScope.ESTABLISHMENT
) -> QuerySet[Case]:
    """``case_list_for_user`` reading only what the list shows (``LIST_COLUMNS``): for list pages,
    not for code that goes on to use the cases."""
    return case_list_for_user(user=user, scope=scope).only(*LIST_COLUMNS)


def case_get_for_user(*, user: User, case_id: int, preload: bool = True) -> Case:
    """A case ``user`` may see; missing and forbidden look the same (404).

    ``preload=False`` answers the bare row (the same visibility check, no joins) for callers that only
    need its identity and status, such as services that lock and re-read it.
    """
    cases = case_list_for_user(user=user, scope=PartnerScope.PARTNER)
    cases = cases.select_related(*DETAIL_RELATED) if preload else cases.select_related(None)
    return _the_case(cases, case_id)


def case_detail_get_for_user(*, user: User, case_id: int) -> Case:
    """``case_get_for_user`` preloaded for ``CaseDetailOutputSerializer``: the catalogue codes come as
    ``reason_code`` and ``application_area_code``.

    Scalar subqueries rather than two more joins: planning a join of all nine relations takes far
    longer than running the query (planning grows with every joined relation); the subqueries are
    planned on their own.
    """
    cases = (
        case_list_for_user(user=user, scope=PartnerScope.PARTNER)
        .select_related("opened_by", "on_behalf_of")
        .defer(*(name for relation in PEOPLE_SHOWN for name in user_brief_deferred(relation)))
        .annotate(
            reason_code=Subquery(CaseReason.objects.filter(pk=OuterRef("reason_id")).values("code")[:1]),
            application_area_code=Subquery(
                ApplicationArea.objects.filter(pk=OuterRef("application_area_id")).values("code")[:1]
            ),
        )
    )
    return _the_case(cases, case_id)


# What a write on a case reads besides the row: the services' rules and notices (company, people),
# and the case's answer (the detail serializer: product, catalogue codes), so that the write answers
# from the row it locked.
WRITE_RELATED = ("company", "product_instance__product", "opened_by", "on_behalf_of", "assignee")


def case_lock_for_write(*, case_id: int, user: User | None = None) -> Case:
    """Lock ``case_id``'s row for a write in the caller's transaction, with what the write, its
    notices and its answer read (``WRITE_RELATED``, the catalogue codes as ``case_detail_get_for_user``
    reads them). With ``user``, only a case ``user`` may see (``case_list_for_user``'s rule, in the
    same statement): missing and forbidden look the same (404).

    Only the case row is locked (``of``): without it FOR UPDATE also locks the joined company and
    product rows, so every write in a company would queue behind the others. The SQL depends on the
    kind of reader only (``_visible_to``): compiled once per kind (``core.precompiled``)."""
    reader = _CaseReader("staff", {}) if user is None else _case_reader(user, PartnerScope.PARTNER)
    found: list[Case] = []
    if reader is not None:
        values: dict[str, Any] = {"case_id": case_id, **reader.ids}
        build = functools.partial(_case_for_write, reader.kind)
        found = CASE_LOCK_FOR_WRITE.fetch(key=reader.kind, build=build, **values)
    if not found:
        raise NotFound(_("Case not found."))
    return found[0]


CASE_LOCK_FOR_WRITE = PrecompiledQuery("case locked for a write", max_entries=8)  # one per reader kind


def _case_for_write(kind: str, *, case_id: int, **ids: int) -> QuerySet[Case]:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related(*WRITE_RELATED)
        .annotate(
            reason_code=Subquery(CaseReason.objects.filter(pk=OuterRef("reason_id")).values("code")[:1]),
            application_area_code=Subquery(
                ApplicationArea.objects.filter(pk=OuterRef("application_area_id")).values("code")[:1]
            ),
        )
        .filter(_visible_to(kind, **ids), pk=case_id)
        .order_by()
    )


def _the_case(cases: QuerySet[Case], case_id: int) -> Case:
    # get(), not first(): first() orders by the cases' default ordering, and compiling an ORDER BY
    # hashes every selected expression (the ``following`` CASE, the subqueries), work wasted on a
    # query that can only find one row. get() drops the ordering.
    try:
        return cases.get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(_("Case not found.")) from None


# --- acting on a case -----------------------------------------------------------------------------


def case_acting_check(*, case: Case, user: User, action: Detail) -> None:
    """Raise unless ``user`` may act on ``case`` for its company (``acting_for_company_refusal``:
    in the US only DSUs and managers; partner users only for clients their establishment serves).
    Every customer-side write calls it at the moment of use; staff pass, governed by their own
    checks. ``case`` comes through ``case_get_for_user``: seeing it is that selector's business."""
    refusal = acting_for_company_refusal(user=user, company=case.company)
    if refusal is not None:
        raise acting_refusal_error(
            refusal, user=user, company=case.company, action=action, missing=_("Case not found.")
        )


# --- followers ------------------------------------------------------------------------------------


def case_follower_entitled() -> Q:
    """``case_follow_check`` as a filter on CaseFollower rows, for any number of cases in one query:
    the user is not staff, may act for the case's company (``acting_for_company_filter``: the same
    rule as every other customer-side write) and may still see the case: a partner user, a DSU or
    manager, or any member of a company that shows members every case. Opener and contact are never
    rows, so "sees only their own cases" needs no clause here.
    ``tests/cases/test_followers.py`` holds this equal to ``case_follow_check`` actor by actor."""
    sees_every_case_of_the_company = (
        Q(user__membership__establishment__isnull=False)
        | Q(user__membership__role__in=Membership.DSU_ROLES)
        | Q(case__company__case_visibility=Company.CaseVisibility.COMPANY)
    )
    return (
        Q(user__is_staff=False)
        & acting_for_company_filter(user="user", company="case__company")
        & sees_every_case_of_the_company
    )


def _following(user: User) -> Value | SqlCase:
    """Whether ``user`` gets the case's customer notices: as its opener or contact, or as a follower
    still entitled to them. Staff never follow (they hear as assignees and support managers).

    ``case_follower_entitled`` for this one user, mostly decided here: the membership is loaded
    already, and its joins would add PostgreSQL planning to every case read. Part of the
    compiled case reads: the same rule as ``case_list_for_user`` on what it may read in Python."""
    membership = active_membership_for(user)
    if user.is_staff or membership is None:
        return Value(False)
    told = Q(opened_by=user) | Q(on_behalf_of=user)
    follows = Q(Exists(CaseFollower.objects.filter(case=OuterRef("pk"), user=user)))
    if membership.is_partner:  # only for the clients its own establishment serves: the rule, in SQL
        told |= follows & Q(company__in=company_ids_visible_to(user, scope=PartnerScope.ESTABLISHMENT))
    elif membership.company is not None and case_follow_entitled(user=user, company=membership.company):
        told |= follows  # members see only their company's cases
    # CASE, not a bare OR: "on_behalf_of = user" is NULL on cases without a contact.
    return SqlCase(When(told, then=Value(True)), default=Value(False), output_field=BooleanField())


def case_following_just_opened(*, case: Case, user: User) -> bool:
    """``following`` (as ``_following`` annotates it) of a case ``user`` has just opened: nobody
    follows it yet, so it is whether the caller is its opener or contact."""
    return not user.is_staff and _is_contact(case=case, user=user)


def case_following(*, case: Case, user: User) -> bool:
    """``following`` (as ``_following`` annotates it) of a case in hand, such as the one a write just
    locked and changed: at most one query (whether ``user`` has a follower row), none for staff and
    for the case's opener and contact."""
    if user.is_staff:
        return False
    if _is_contact(case=case, user=user):
        return True
    return (
        case_follow_entitled(user=user, company=case.company)
        and CaseFollower.objects.filter(case=case, user=user).exists()
    )


def case_follow_entitled(*, user: User, company: Company) -> bool:
    """The follow-entitlement rule for someone who can see a case of ``company``: not staff, and
    allowed to act for the company (``acting_for_company_refusal``, as for every customer-side
    write). ``case_follow_check`` says why not; ``case_follower_entitled`` is this rule in SQL, for
    many follower rows at once (``tests/cases/test_followers.py`` holds the two equal)."""
    return not user.is_staff and acting_for_company_refusal(user=user, company=company) is None


def _is_contact(*, case: Case, user: User) -> bool:
    """``user`` opened ``case`` or it was opened for them (``_following``'s first clause, in Python)."""
    return user.pk in (case.opened_by_id, case.on_behalf_of_id)


def case_follow_check(*, case: Case, user: User) -> None:
    """Raise unless ``user``, who can see ``case`` (``case_get_for_user``), may follow it: not staff,
    not already told as its opener or contact, and allowed to act for its company
    (``acting_for_company_refusal``, as for every customer-side write)."""
    if user.is_staff:
        raise PermissionRefused(
            _("Support staff do not follow cases: they hear about them as assignees and support managers."),
            code="follow_not_allowed",
            extra={"reason": "support_staff"},
        )
    case_contacts_check(case=case, user=user)
    try:
        case_acting_check(case=case, user=user, action=_("follow a case"))
    except PermissionRefused as refused:
        raise PermissionRefused(
            _("Only people who may act for %(company)s may follow its cases. %(reason)s")
            % {"company": case.company.name, "reason": refused.detail},
            code="follow_not_allowed",
            extra={"reason": refused.code},
        ) from refused


def case_contacts_check(*, case: Case, user: User) -> None:
    """Raise when ``user`` opened ``case`` or it was opened for them: they always get its notices, so
    there is nothing to follow or unfollow."""
    if _is_contact(case=case, user=user):
        raise Conflict(
            _("%(case)s was opened by you or for you: you get its notices already, and always will.")
            % {"case": case.number},
            code="always_notified",
        )


def case_followers_to_notify(*, case: Case) -> list[User]:
    """The followers of ``case`` still entitled to its notices, in one query (rows of people who
    lost the right stay: they count again if it comes back). Asked for every customer-facing event,
    and its SQL depends on nothing but the case id: compiled once (``core.precompiled``)."""
    followers = CASE_FOLLOWERS_TO_NOTIFY.fetch(key="case", build=_entitled_followers, case_id=case.pk)
    return [follower.user for follower in followers]


CASE_FOLLOWERS_TO_NOTIFY = PrecompiledQuery("case followers to notify", max_entries=1)


def _entitled_followers(case_id: int) -> QuerySet[CaseFollower]:
    entitled = CaseFollower.objects.filter(case_id=case_id).filter(case_follower_entitled())
    return entitled.select_related("user")


def case_follower_list(*, case: Case) -> QuerySet[CaseFollower]:
    """Everyone following ``case`` (for support), each with ``notified``: still entitled to its notices."""
    entitled = SqlCase(When(case_follower_entitled(), then=Value(True)), default=Value(False))
    return (
        CaseFollower.objects.filter(case=case)
        .select_related("user")
        .annotate(notified=entitled)
        .order_by("created_at", "pk")
    )


def comment_just_added(*, comment: Comment) -> Comment:
    """A comment the caller has just stored, ready for ``CommentOutputSerializer`` without reading it
    back: its author is the writer's own object, and nothing is attached to it yet."""
    comment._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # type: ignore[attr-defined]
    return comment


def comment_list_for_user(*, user: User, case: Case) -> QuerySet[Comment]:
    comments = Comment.objects.filter(case=case).select_related("author").prefetch_related("attachments")
    return comments if user.is_staff else comments.filter(is_internal=False)


def event_list_for_user(*, user: User, case: Case) -> QuerySet[CaseEvent]:
    events = CaseEvent.objects.filter(case=case).select_related("actor")
    return events if user.is_staff else events.filter(is_internal=False)


def attachment_list_for_user(*, user: User, case: Case) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(case=case).select_related("uploaded_by", "comment")
    return attachments if user.is_staff else attachments.exclude(comment__is_internal=True)


def attachment_get_for_user(*, user: User, case: Case, attachment_id: int) -> Attachment:
    attachment = attachment_list_for_user(user=user, case=case).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("Attachment not found."))
    return attachment


def escalation_list_for_user(*, user: User, case: Case) -> QuerySet[EscalationRequest]:
    return EscalationRequest.objects.filter(case=case).select_related("requested_by", "decided_by", "comment")


def escalation_get_for_user(*, user: User, case: Case, escalation_id: int) -> EscalationRequest:
    escalation = escalation_list_for_user(user=user, case=case).filter(pk=escalation_id).first()
    if escalation is None:
        raise NotFound(_("Escalation request not found."))
    return escalation


def priority_for(*, environment: str, business_impact_scope: str, business_impact: str) -> str:
    """The priority matrix cell (data in PriorityRule, seeded by fixtures); P3 when a cell is missing."""
    rules = PRIORITY_RULE.fetch(
        key="cell",
        build=_priority_rule,
        environment=environment,
        business_impact_scope=business_impact_scope,
        business_impact=business_impact,
    )
    return rules[0].priority if rules else Priority.P3


PRIORITY_RULE = PrecompiledQuery("priority rule", max_entries=1)  # every case opened asks


def _priority_rule(
    environment: str, business_impact_scope: str, business_impact: str
) -> QuerySet[PriorityRule]:
    cell = PriorityRule.objects.filter(
        environment=environment, business_impact_scope=business_impact_scope, business_impact=business_impact
    )
    return cell.order_by("pk")[:1]


@dataclass(frozen=True)
class AvailableTransition:
    name: str
    target: str
    required_fields: tuple[str, ...]


def available_transitions_for(*, case: Case, user: User) -> list[AvailableTransition]:
    """The transitions ``user`` may make now, with what each needs (used by the API and the admin).

    A customer-side user who may not act for the case's company (``case_acting_check``) has none: a
    US member reads the case but does not move it. Asked only when the status offers the customer a
    move, so readers of cases on support's side pay nothing (a partner's check is one query)."""
    found = []
    for transition in get_available_user_FIELD_transitions(case, user, Case._meta.get_field("status")):
        if transition.name not in TRANSITION_INPUTS:
            continue
        required = TRANSITION_INPUTS[transition.name]
        if transition.name == "reopen" and user.is_staff and reopen_window_expired(case=case):
            required = ("reason",)
        found.append(AvailableTransition(transition.name, str(transition.target), required))
    if not found or user.is_staff:
        return found
    if case.status == CaseStatus.CLOSED and reopen_window_expired(case=case):
        return []
    return found if acting_for_company_refusal(user=user, company=case.company) is None else []


def reopen_window_expired(*, case: Case, now: datetime | None = None) -> bool:
    """Closed more than 3 days ago (exactly 3 days after closing is still inside the window)."""
    until = case.reopen_until
    return until is not None and (now or timezone.now()) > until


def comment_get_for_user(*, user: User, case: Case, comment_id: int) -> Comment:
    """A comment of ``case`` ``user`` may read (customers never see internal notes), else 404."""
    comment = comment_list_for_user(user=user, case=case).filter(pk=comment_id).first()
    if comment is None:
        raise NotFound(_("Comment not found on this case."))
    return comment


# --- a staff member's inbox (cases.notices writes it) ----------------------------------------------


def agent_notice_unread_count(*, user: User) -> int:
    """The unread count in the admin header: one COUNT over a partial index."""
    return AgentNotice.objects.filter(recipient=user, read_at__isnull=True).count()


def agent_notice_list_for_user(*, user: User) -> QuerySet[AgentNotice]:
    """``user``'s own notices, unread first, newest first, with what the inbox shows."""
    return (
        AgentNotice.objects.filter(recipient=user)
        .select_related("case", "actor")
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .order_by("-unread", "-created_at", "-id")
    )
