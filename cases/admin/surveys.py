"""The satisfaction surveys sent when cases closed, and their answers (read only)."""

from __future__ import annotations

from django.contrib import admin

from cases.models import SatisfactionSurvey
from core.admin import ReadOnlyAdmin


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdmin):
    list_display = ["case", "respondent", "rating", "answered_at", "created_at"]
    list_filter = ["rating"]
    list_select_related = ["case", "respondent"]
