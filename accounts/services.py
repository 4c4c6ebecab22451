"""Every change to memberships and authorisation requests. Each function is one transaction and
writes an immutable ``AuditRecord`` naming who acted, through which channel, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from knox.models import AuthToken

from accounts.models import AuditRecord, AuthorizationRequest, Company, Membership, User
from accounts.notices import notifications_for_authorization_request, notifications_for_password_reset
from accounts.selectors import active_membership_for, company_manager_check
from core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed

Channel = AuthorizationRequest.Channel


class SubjectNotInCompany(ValidationFailed):
    """The user an authorisation request is about is not a member of the company. The same words
    whether the id names nobody or someone elsewhere: who exists outside one's company is not told."""

    def __init__(self) -> None:
        super().__init__(
            _("No such user in this company."), code="subject_not_in_company", extra={"field": "subject_user"}
        )


# Whole sentences per state: a state's name alone would not agree with the sentence around it in French or Spanish.
REQUEST_DECIDED = {
    AuthorizationRequest.Status.APPROVED: gettext_lazy("This request is already approved."),
    AuthorizationRequest.Status.REJECTED: gettext_lazy("This request is already rejected."),
    AuthorizationRequest.Status.EXPIRED: gettext_lazy("This request has already expired."),
}


def _membership_state(membership: Membership) -> dict[str, Any]:
    return {"role": membership.role, "status": membership.status}


def _role_action(before: str, after: str) -> str:
    if after == Membership.Role.DSU and before == Membership.Role.MEMBER:
        return AuditRecord.Action.DSU_GRANTED
    if before == Membership.Role.DSU and after == Membership.Role.MEMBER:
        return AuditRecord.Action.DSU_REMOVED
    return AuditRecord.Action.ROLE_CHANGED


def _status_action(after: str) -> str:
    return (
        AuditRecord.Action.USER_VALIDATED
        if after == Membership.Status.ACTIVE
        else AuditRecord.Action.USER_DISABLED
    )


def _last_manager_guard(membership: Membership, *, role: str, status: str) -> None:
    if not (membership.is_manager and membership.is_active) or membership.company_id is None:
        return
    if role == Membership.Role.MANAGER and status == Membership.Status.ACTIVE:
        return
    others = Membership.objects.filter(
        company_id=membership.company_id, role=Membership.Role.MANAGER, status=Membership.Status.ACTIVE
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise Conflict(
            _("%(user)s is the last active manager of %(company)s; appoint another first.")
            % {"user": membership.user, "company": membership.company},
            code="last_manager",
        )


def _apply_membership_change(
    *,
    membership: Membership,
    actor: User,
    channel: str,
    now: datetime,
    role: str | None = None,
    status: str | None = None,
    authorization_request: AuthorizationRequest | None = None,
) -> list[AuditRecord]:
    """Set role and/or status on a locked membership; skip no-ops; one audit record per change."""
    new_role = role if role is not None else membership.role
    new_status = status if status is not None else membership.status
    _last_manager_guard(membership, role=new_role, status=new_status)
    records: list[AuditRecord] = []
    changed: list[str] = []
    common = {
        "actor": actor,
        "company_id": membership.company_id,
        "subject_user_id": membership.user_id,
        "authorization_request": authorization_request,
        "channel": channel,
        "created_at": now,
    }
    if new_status != membership.status:
        records.append(
            AuditRecord(
                action=_status_action(new_status),
                before={"status": membership.status},
                after={"status": new_status},
                **common,
            )
        )
        membership.status = new_status
        changed.append("status")
    if new_role != membership.role:
        records.append(
            AuditRecord(
                action=_role_action(membership.role, new_role),
                before={"role": membership.role},
                after={"role": new_role},
                **common,
            )
        )
        membership.role = new_role
        changed.append("role")
    if changed:
        membership.save(update_fields=changed)
        AuditRecord.objects.bulk_create(records)
    if "status" in changed and new_status == Membership.Status.DISABLED:
        api_tokens_revoke_all(user=membership.user)
    return records


@transaction.atomic
def membership_update(
    *,
    actor: User,
    membership: Membership,
    role: str | None = None,
    status: str | None = None,
    channel: str = Channel.API,
    now: datetime | None = None,
) -> Membership:
    """A company manager grants or removes roles, validates or disables a colleague (whose API tokens
    are then revoked). Audited."""
    now = now or timezone.now()
    if membership.company is None:
        raise ValidationFailed(
            _("Partner memberships are managed by the partner."), code="not_a_company_member"
        )
    company_manager_check(user=actor, company=membership.company)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "company")
        .get(pk=membership.pk)
    )
    _apply_membership_change(
        membership=membership, actor=actor, channel=channel, now=now, role=role, status=status
    )
    return membership


@transaction.atomic
def authorization_request_create(
    *,
    requested_by: User,
    company: Company,
    kind: str,
    subject_user: User,
    requested_role: str = "",
    reason: str = "",
    channel: str = Channel.API,
    now: datetime | None = None,
) -> AuthorizationRequest:
    """Raise a request the company must authorise; the asker is recorded and gets the confirmation."""
    now = now or timezone.now()
    if not requested_by.is_staff:
        membership = active_membership_for(requested_by)
        if membership is None or membership.company_id != company.pk:
            raise PermissionRefused(
                _("Only an active member of the company can ask for this."), code="not_company_member"
            )
    subject_membership = Membership.objects.filter(user=subject_user, company=company).first()
    if subject_membership is None:
        raise SubjectNotInCompany()
    if kind == AuthorizationRequest.Kind.NEW_DSU:
        requested_role = Membership.Role.DSU
        if (
            subject_membership.role in (Membership.Role.DSU, Membership.Role.MANAGER)
            and subject_membership.is_active
        ):
            raise Conflict(_("%(user)s may already open cases.") % {"user": subject_user}, code="already_dsu")
    elif kind == AuthorizationRequest.Kind.ROLE_CHANGE:
        if requested_role not in Membership.Role.values:
            raise ValidationFailed(
                _("A role change needs the requested role."), code="requested_role_required"
            )
        if requested_role == subject_membership.role:
            raise Conflict(
                _("%(user)s already has that role.") % {"user": subject_user}, code="role_unchanged"
            )
    else:
        requested_role = ""
    duplicate = AuthorizationRequest.objects.filter(
        company=company, subject_user=subject_user, kind=kind, status=AuthorizationRequest.Status.PENDING
    ).exists()
    if duplicate:
        raise Conflict(_("The same request is already waiting for a decision."), code="duplicate_request")

    request = AuthorizationRequest.objects.create(
        company=company,
        kind=kind,
        subject_user=subject_user,
        requested_role=requested_role,
        requested_by=requested_by,
        request_channel=channel,
        reason=reason,
        created_at=now,
        expires_at=now + settings.AUTHORIZATION_REQUEST_TTL,
    )
    AuditRecord.objects.create(
        actor=requested_by,
        company=company,
        subject_user=subject_user,
        authorization_request=request,
        action=AuditRecord.Action.REQUEST_RAISED,
        channel=channel,
        after={"kind": kind, "requested_role": requested_role},
        created_at=now,
    )
    _notify(request, now)
    return request


def _notify(request: AuthorizationRequest, now: datetime) -> None:
    notifications_for_authorization_request(request=request, now=now)


def _decision_authority_check(*, user: User, company: Company) -> None:
    """A manager of the company whose address is on one of the company's domains (or a support manager)."""
    company_manager_check(user=user, company=company)
    if user.is_staff:
        return
    domain = user.email.rsplit("@", 1)[-1].lower() if "@" in user.email else ""
    if not company.email_domains.filter(domain=domain).exists():
        raise PermissionRefused(
            _("Decisions must come from an address on %(company)s's e-mail domains; %(email)s is not.")
            % {"company": company.name, "email": user.email or _("none")},
            code="manager_email_off_domain",
        )


def _lock_pending(request: AuthorizationRequest, now: datetime) -> AuthorizationRequest:
    locked = AuthorizationRequest.objects.select_for_update().select_related("company").get(pk=request.pk)
    if locked.status == AuthorizationRequest.Status.PENDING and locked.expires_at <= now:
        raise Conflict(_("This request has expired; raise a new one."), code="request_expired")
    if locked.status != AuthorizationRequest.Status.PENDING:
        raise Conflict(
            str(REQUEST_DECIDED[AuthorizationRequest.Status(locked.status)]), code="request_not_pending"
        )
    return locked


@transaction.atomic
def authorization_request_decide(
    *,
    request: AuthorizationRequest,
    decided_by: User,
    approve: bool,
    reason: str = "",
    channel: str = Channel.API,
    now: datetime | None = None,
) -> AuthorizationRequest:
    """The one decision on a pending request, by a manager of its company on the company's domains
    (``_decision_authority_check``): approving applies the change in the same transaction (role,
    validation, or the password-reset e-mail); rejecting changes nothing about the user. Either way
    the decision is recorded, audited and notified."""
    now = now or timezone.now()
    _decision_authority_check(user=decided_by, company=request.company)
    request = _lock_pending(request, now)
    if approve:
        _authorization_apply(request, decided_by, channel, now)
    status = AuthorizationRequest.Status.APPROVED if approve else AuthorizationRequest.Status.REJECTED
    request.status = status
    request.decided_by = decided_by
    request.decided_at = now
    request.decision_reason = reason
    request.decision_channel = channel
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "decision_channel"])
    AuditRecord.objects.create(
        actor=decided_by,
        company=request.company,
        subject_user_id=request.subject_user_id,
        authorization_request=request,
        action=AuditRecord.Action.REQUEST_APPROVED if approve else AuditRecord.Action.REQUEST_REJECTED,
        channel=channel,
        before={"status": AuthorizationRequest.Status.PENDING},
        after={"status": status, "reason": reason},
        created_at=now,
    )
    _notify(request, now)
    return request


def _authorization_apply(
    request: AuthorizationRequest, decided_by: User, channel: str, now: datetime
) -> None:
    """What an approval changes: the subject's membership (role, validation), or a password reset."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "company")
        .get(user_id=request.subject_user_id, company_id=request.company_id)
    )
    if request.kind == AuthorizationRequest.Kind.PASSWORD_RESET:
        AuditRecord.objects.create(
            actor=decided_by,
            company=request.company,
            subject_user_id=request.subject_user_id,
            authorization_request=request,
            action=AuditRecord.Action.PASSWORD_RESET_AUTHORISED,
            channel=channel,
            created_at=now,
        )
        # An outbox row in this transaction: the e-mail is sent (and retried) like every other.
        notifications_for_password_reset(
            user=membership.user, key=f"authorization_request:{request.pk}:password_reset", now=now
        )
        return
    _apply_membership_change(
        membership=membership,
        actor=decided_by,
        channel=channel,
        now=now,
        role=request.requested_role,
        status=Membership.Status.ACTIVE,
        authorization_request=request,
    )


def authorization_request_approve(
    *,
    request: AuthorizationRequest,
    decided_by: User,
    reason: str = "",
    channel: str = Channel.API,
    now: datetime | None = None,
) -> AuthorizationRequest:
    """Approve and apply the change atomically (``authorization_request_decide``)."""
    return authorization_request_decide(
        request=request, decided_by=decided_by, approve=True, reason=reason, channel=channel, now=now
    )


def authorization_request_reject(
    *,
    request: AuthorizationRequest,
    decided_by: User,
    reason: str = "",
    channel: str = Channel.API,
    now: datetime | None = None,
) -> AuthorizationRequest:
    """Reject: nothing about the user changes; the decision is recorded (``authorization_request_decide``)."""
    return authorization_request_decide(
        request=request, decided_by=decided_by, approve=False, reason=reason, channel=channel, now=now
    )


@transaction.atomic
def authorization_requests_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark pending requests past their expiry as expired (bounded batch; safe to run concurrently)."""
    now = now or timezone.now()
    due = list(
        AuthorizationRequest.objects.select_for_update(skip_locked=True)
        .filter(status=AuthorizationRequest.Status.PENDING, expires_at__lte=now)
        .order_by("expires_at")[:batch_size]
    )
    for request in due:
        request.status = AuthorizationRequest.Status.EXPIRED
        request.decided_at = now
    AuthorizationRequest.objects.bulk_update(due, ["status", "decided_at"])
    AuditRecord.objects.bulk_create(
        AuditRecord(
            company_id=request.company_id,
            subject_user_id=request.subject_user_id,
            authorization_request=request,
            action=AuditRecord.Action.REQUEST_EXPIRED,
            channel=request.request_channel,
            before={"status": AuthorizationRequest.Status.PENDING},
            after={"status": AuthorizationRequest.Status.EXPIRED},
            created_at=now,
        )
        for request in due
    )
    return len(due)


@transaction.atomic
def password_reset_confirm(*, user: User, new_password: str) -> None:
    """Set a new password after a validated reset token (validated by the caller's serializer) and
    revoke every API token issued under the old one."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    api_tokens_revoke_all(user=user)


@transaction.atomic
def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Issue an API token: answers the row and the secret (shown once; the row keeps its digest).

    It expires ``API_TOKEN_TTL`` from now. The user's expired tokens are deleted, and of the live
    ones only the newest ``API_TOKENS_PER_USER`` are kept: the oldest beyond that are revoked."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    token, secret = AuthToken.objects.create(user=user, expiry=settings.API_TOKEN_TTL)
    older = AuthToken.objects.filter(user=user).exclude(digest=token.digest)
    kept = older.order_by("-created", "-digest")[: settings.API_TOKENS_PER_USER - 1]
    older.exclude(digest__in=kept.values("digest")).delete()
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token_id: str) -> None:
    """Revoke one of ``user``'s API tokens, named by its id (``token_key``); another user's is 404."""
    deleted, _by_model = AuthToken.objects.filter(user=user, token_key=token_id).delete()
    if not deleted:
        raise NotFound(_("Token not found."))


@transaction.atomic
def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every API token of ``user`` (password reset or change, deactivation, disabled
    membership, or the user's own request); answers how many there were."""
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted
