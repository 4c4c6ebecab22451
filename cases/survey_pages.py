"""The satisfaction survey's page: where the links in the "case closed" e-mail lead (no login).

Opening a link records nothing: mail scanners and link previews open every link in a message. The
page shows the case and the chosen rating with a button; only that button's POST records. The form
carries no CSRF token, on purpose: the survey token in the URL is the only authority (no cookie or
session is involved), so a forged cross-site POST could only do what its author, who would need the
token, can do directly; a CSRF cookie would only fail respondents whose browser refuses cookies.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cases.models import SatisfactionSurvey
from cases.surveys import survey_answer, survey_get_by_token, survey_language
from notifications.messages import SURVEY_PAGE, texts_in


class SurveyAnswerForm(forms.Form):
    """The survey page's POST: the same fields and limits as the API's SurveyAnswerInputSerializer."""

    rating = forms.ChoiceField(choices=SatisfactionSurvey.Rating.choices)
    comment = forms.CharField(required=False, max_length=5000)


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The URL is the key to the survey: keep it out of caches, search engines and Referer headers.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the case and the chosen rating (``?rating=good|bad``) with a confirm button. POST:
    record the answer (answering again replaces it)."""
    survey = survey_get_by_token(token=token)
    if survey is None:
        texts = texts_in(SURVEY_PAGE, "en")
        return _page(request, "cases/survey_not_found.html", {"language": "en", "t": texts}, status=404)
    language = survey_language(survey=survey)
    status, recorded = 200, False
    if request.method == "POST":
        form = SurveyAnswerForm(request.POST)
        if form.is_valid():
            survey = survey_answer(survey=survey, **form.cleaned_data)
            recorded = True
        else:
            status = 400
        chosen = request.POST.get("rating", "")
        comment = request.POST.get("comment", "")
    else:
        chosen, comment = request.GET.get("rating", ""), ""
    if chosen not in SatisfactionSurvey.Rating.values:
        chosen = survey.rating
    texts = texts_in(SURVEY_PAGE, language)
    context = {
        "language": language,
        "t": texts,
        "case_line": texts["case"].format(number=survey.case.number, subject=survey.case.subject),
        "ratings": [("good", texts["good"]), ("bad", texts["bad"])],
        "chosen": chosen,
        "comment": comment or survey.comment,
        "recorded": recorded,
        "answered_line": texts["answered"].format(rating=texts[survey.rating]) if survey.rating else "",
        "invalid": status == 400,
    }
    return _page(request, "cases/survey.html", context, status=status)
