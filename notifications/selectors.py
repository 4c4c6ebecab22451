"""Reads shared by the survey's API and its page."""

from __future__ import annotations

from notifications.messages import LANGUAGES
from notifications.models import SatisfactionSurvey


def survey_get_by_token(*, token: str) -> SatisfactionSurvey | None:
    """The survey whose link carries ``token`` (the token is the only key: no login), or None."""
    return (
        SatisfactionSurvey.objects.select_related("case__company", "respondent").filter(token=token).first()
    )


def survey_language(*, survey: SatisfactionSurvey) -> str:
    """The language the survey's e-mail was written in: the respondent's, else the company's."""
    language = survey.respondent.language or survey.case.company.language or "en"
    return language if language in LANGUAGES else "en"
