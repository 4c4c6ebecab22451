"""The satisfaction survey sent when a case closes (``cases.notices.customers`` writes it): finding
it by the token in its link, the language of its page, and its one write, the answer."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cases.models import SatisfactionSurvey
from notifications.messages import LANGUAGES


def survey_get_by_token(*, token: str) -> SatisfactionSurvey | None:
    """The survey whose link carries ``token`` (the token is the only key: no login), or None."""
    return (
        SatisfactionSurvey.objects.select_related("case__company", "respondent").filter(token=token).first()
    )


def survey_language(*, survey: SatisfactionSurvey) -> str:
    """The language the survey's e-mail was written in: the respondent's, else the company's."""
    language = survey.respondent.language or survey.case.company.language or "en"
    return language if language in LANGUAGES else "en"


@transaction.atomic
def survey_answer(
    *, survey: SatisfactionSurvey, rating: str, comment: str = "", now: datetime | None = None
) -> SatisfactionSurvey:
    """Record the one-question answer (answering again replaces it)."""
    survey.rating, survey.comment, survey.answered_at = rating, comment, now or timezone.now()
    survey.save(update_fields=["rating", "comment", "answered_at"])
    return survey
