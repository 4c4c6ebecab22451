"""The satisfaction survey's one write: its answer."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from notifications.models import SatisfactionSurvey


@transaction.atomic
def survey_answer(
    *, survey: SatisfactionSurvey, rating: str, comment: str = "", now: datetime | None = None
) -> SatisfactionSurvey:
    """Record the one-question answer (answering again replaces it)."""
    survey.rating, survey.comment, survey.answered_at = rating, comment, now or timezone.now()
    survey.save(update_fields=["rating", "comment", "answered_at"])
    return survey
