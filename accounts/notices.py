"""What the accounts side tells people by e-mail, written to the outbox in the caller's transaction:
authorisation requests (raised: to the asker and the company's managers; decided: to the asker and
the person concerned) and the authorised password reset. Also the e-mail row of one person, in
their language (else their company's) and their company's time zone, which the other domains'
notices use too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Company, User
from accounts.selectors import company_managers
from notifications.delivery import Undeliverable
from notifications.messages import DECISIONS, REQUEST_KINDS, in_language
from notifications.models import Notification
from notifications.outbox import outbox_write


def person_language(user: User, company: Company | None) -> str:
    """The language a person reads their e-mails in: their own, else their company's, else English."""
    return user.language or (company.language if company else "") or "en"


def person_email(
    *,
    key: str,
    kind: str,
    recipient: User,
    company: Company | None,
    context: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
) -> Notification:
    """The outbox row (not saved) of one e-mail to ``recipient``, keyed by cause, kind and person."""
    return Notification(
        idempotency_key=f"{key}:{kind}:email:{recipient.pk}",
        kind=kind,
        channel=Notification.Channel.EMAIL,
        recipient=recipient,
        to_address=recipient.email,
        case_id=case_id,
        language=person_language(recipient, company)
        if not recipient.is_staff
        else (recipient.language or "en"),
        # Customers read dates in their company's zone; staff notices about cases are written by
        # cases/notices/agents.py with the analyst's own.
        time_zone=company.time_zone if company is not None and not recipient.is_staff else "UTC",
        context={**context, "name": str(recipient)},
        next_attempt_at=now,
        created_at=now,
    )


def person_company(user: User) -> Company | None:
    """The company of a person's membership, if they have one."""
    return getattr(getattr(user, "membership", None), "company", None)


def notifications_for_authorization_request(
    *, request: AuthorizationRequest, now: datetime
) -> list[Notification]:
    """Raised: confirm to the asker, ask the company's managers (each with their own reply address).
    Decided: tell the asker and the subject."""
    company = request.company
    decided = request.status != AuthorizationRequest.Status.PENDING
    key = f"authorization_request:{request.pk}:{request.status}"
    rows = []
    managers = [] if decided else company_managers(company=company)
    people: list[tuple[User | None, bool]] = [(manager, True) for manager in managers]
    # A manager who asked gets the manager's notice (with the reply address), not a second one.
    people += [(user, False) for user in (request.requested_by, request.subject_user if decided else None)]
    seen: set[int] = set()
    for user, for_manager in people:
        if user is None or user.pk in seen or not user.email:
            continue
        seen.add(user.pk)
        language = person_language(user, company)
        context: dict[str, Any] = {
            "request_id": request.pk,
            "request_kind": in_language(REQUEST_KINDS[request.kind], language),
            "subject_user": str(request.subject_user),
            "company": company.name,
            "for_manager": for_manager,
            "decision": in_language(DECISIONS[request.status], language)
            if request.status in DECISIONS
            else request.status,
        }
        if for_manager:
            # Each manager answers at an address issued to them alone; the asker gets none.
            address = _authorization_reply_address(request=request, manager=user, now=now)
            context["reply_to"] = f"authorization+{address.token}@{settings.INBOUND_EMAIL_DOMAIN}"
        kind = "authorization_request_decided" if decided else "authorization_request_raised"
        rows.append(
            person_email(key=key, kind=kind, recipient=user, company=company, context=context, now=now)
        )
    return outbox_write(rows)


def _authorization_reply_address(
    *, request: AuthorizationRequest, manager: User, now: datetime
) -> AuthorizationReplyAddress:
    """The manager's own unguessable address for answering ``request`` by e-mail (one per manager)."""
    address, _ = AuthorizationReplyAddress.objects.get_or_create(
        request=request, manager=manager, defaults={"created_at": now, "expires_at": request.expires_at}
    )
    return address


def notifications_for_password_reset(*, user: User, key: str, now: datetime) -> list[Notification]:
    """The authorised password reset's e-mail, in the caller's transaction. The row holds no token:
    the link is made when the e-mail is sent (``password_reset_link``)."""
    if not user.email:
        return []
    return outbox_write(
        [
            person_email(
                key=key,
                kind="password_reset",
                recipient=user,
                company=person_company(user),
                context={},
                now=now,
            )
        ]
    )


def password_reset_link(notification: Notification) -> dict[str, str]:
    """The reset token, made when the e-mail is sent and never stored: a row in the outbox (or a
    backup of it) holds no credential. Django's token is valid until the password (or last login)
    changes or PASSWORD_RESET_TIMEOUT passes, so a resend carries a different but equally valid one.
    Registered with the delivery for ``password_reset`` e-mails (``AccountsConfig.ready``)."""
    user = notification.recipient
    if user is None or not user.is_active:
        raise Undeliverable("the account is no longer active")
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "confirm_url": f"{settings.PUBLIC_BASE_URL}/api/v1/auth/password-reset/confirm/",
    }
