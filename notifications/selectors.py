"""Reads shared by the API, the pages and the admin: surveys, webhook endpoints and their deliveries."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import company_manager_check, membership_for
from core.errors import NotFound
from notifications.messages import LANGUAGES
from notifications.models import Notification, SatisfactionSurvey, WebhookEndpoint


def survey_get_by_token(*, token: str) -> SatisfactionSurvey | None:
    """The survey whose link carries ``token`` (the token is the only key: no login), or None."""
    return (
        SatisfactionSurvey.objects.select_related("case__company", "respondent").filter(token=token).first()
    )


def survey_language(*, survey: SatisfactionSurvey) -> str:
    """The language the survey's e-mail was written in: the respondent's, else the company's."""
    language = survey.respondent.language or survey.case.company.language or "en"
    return language if language in LANGUAGES else "en"


def webhook_list_for_user(*, user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``user`` manages: every company's for support managers, their company's for its
    managers (another member of the company: 403 ``not_company_manager``), none for anyone else."""
    if user.is_support_manager:
        return WebhookEndpoint.objects.order_by("pk")
    membership = membership_for(user)
    if membership is None or membership.company is None:
        return WebhookEndpoint.objects.none()
    company_manager_check(user=user, company=membership.company)
    return WebhookEndpoint.objects.filter(company=membership.company).order_by("pk")


def webhook_get_for_user(*, user: User, webhook_id: int) -> WebhookEndpoint:
    """One endpoint ``user`` manages; another company's and a missing one look the same (404)."""
    endpoint = webhook_list_for_user(user=user).filter(pk=webhook_id).first()
    if endpoint is None:
        raise NotFound(_("Webhook not found."))
    return endpoint


def webhook_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[Notification]:
    """The endpoint's deliveries (its outbox rows), newest first; sent ones are kept for
    RETENTION_SENT_NOTIFICATIONS_DAYS (core retention), failed and pending ones until sent or deleted."""
    return Notification.objects.filter(webhook=endpoint).order_by("-created_at", "-id")
