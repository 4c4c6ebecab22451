"""Reads shared by the API, the pages and the admin: surveys and webhook endpoints' deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

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


def webhook_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[Notification]:
    """The endpoint's deliveries (its outbox rows), newest first; sent ones are kept for
    RETENTION_SENT_NOTIFICATIONS_DAYS (core retention), failed and pending ones until sent or deleted."""
    return Notification.objects.filter(webhook=endpoint).order_by("-created_at", "-id")
