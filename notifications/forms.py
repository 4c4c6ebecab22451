from __future__ import annotations

from django import forms

from notifications.models import SatisfactionSurvey


class SurveyAnswerForm(forms.Form):
    """The survey page's POST: the same fields and limits as the API's SurveyAnswerInputSerializer."""

    rating = forms.ChoiceField(choices=SatisfactionSurvey.Rating.choices)
    comment = forms.CharField(required=False, max_length=5000)
