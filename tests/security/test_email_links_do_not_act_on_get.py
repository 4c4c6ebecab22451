"""Rule: a link in an e-mail never acts when it is opened.

Mail scanners, link previews and security gateways open every link in a message before the person
reads it. So opening (GET, HEAD) a link we send changes nothing; an action takes a POST from the
page the link opens. The satisfaction survey is the case in point: each rating in the "closed"
e-mail leads to a page that shows the choice with a button, and only the button records it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.models import Case, SatisfactionSurvey
from cases.services import case_transition
from notifications.messages import LANGUAGES, MESSAGES
from notifications.rendering import render_email
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class _Links(HTMLParser):
    """Every href in an HTML part, and every form with its method, action and checked radio."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
        elif tag == "form":
            self.forms.append(
                {"method": values.get("method", "get").lower(), "action": values.get("action", "")}
            )
        elif tag == "input" and values.get("type") == "radio" and "checked" in values and self.forms:
            self.forms[-1][values["name"]] = values["value"]


def _links_in(text: str, html: str) -> set[str]:
    parser = _Links()
    parser.feed(html)
    return set(re.findall(r"https?://[^\s<>\"']+", text)) | set(parser.hrefs)


def _path(link: str) -> str:
    assert link.startswith(settings.PUBLIC_BASE_URL), link  # every link is ours
    return link.removeprefix(settings.PUBLIC_BASE_URL)


def _open_every_link(links: set[str]) -> list[str]:
    """GET and HEAD each link as a scanner would (no login, no cookies); the SQL that ran."""
    scanner = Client()
    with CaptureQueriesContext(connection) as queries:
        for link in sorted(links):
            for method in (scanner.get, scanner.head):
                assert method(_path(link)).status_code < 500, link
    return [query["sql"] for query in queries.captured_queries]


def _closed_with_survey(
    capture_on_commit, language: str = "en"
) -> tuple[Case, SatisfactionSurvey, mail.EmailMultiAlternatives]:
    """A case its opener closed, its survey, and the "closed" e-mail the worker sent the opener."""
    company = CompanyFactory(language=language)
    case = CaseFactory(
        status=Case.Status.IN_PROGRESS, company=company, opened_by=member(company, language="")
    )
    case = case_transition(
        case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Done", now=NOW
    ).case
    mail.outbox.clear()
    with capture_on_commit(execute=True):
        case_transition(
            case=case, actor=case.opened_by, transition="confirm_resolution", now=NOW + timedelta(hours=1)
        )
    [closing] = [m for m in mail.outbox if m.to == [case.opened_by.email]]
    return case, SatisfactionSurvey.objects.get(case=case), closing


@pytest.mark.parametrize("language", LANGUAGES)
def test_opening_every_link_of_the_closed_case_email_records_nothing(
    language, django_capture_on_commit_callbacks
):
    _case, survey, closing = _closed_with_survey(django_capture_on_commit_callbacks, language)
    html = closing.alternatives[0][0]
    links = _links_in(closing.body, html)
    survey_pages = {link for link in links if f"/surveys/{survey.token}/" in link}

    writes = [sql for sql in _open_every_link(links) if WRITES.match(sql)]

    survey.refresh_from_db()
    assert {link.rsplit("?", 1)[1] for link in survey_pages} == {"rating=good", "rating=bad"}
    assert writes == []
    assert (survey.rating, survey.answered_at) == ("", None)


@pytest.mark.parametrize("rating", ["good", "bad"])
def test_each_rating_in_the_email_is_recorded_by_the_button_on_its_page(
    rating, django_capture_on_commit_callbacks
):
    case, survey, closing = _closed_with_survey(django_capture_on_commit_callbacks)
    [link] = [link for link in _links_in(closing.body, "") if link.endswith(f"?rating={rating}")]
    person = Client()

    page = person.get(_path(link))
    parser = _Links()
    parser.feed(page.content.decode())
    [form] = parser.forms
    unanswered = SatisfactionSurvey.objects.get(pk=survey.pk).answered_at
    answered = person.post(_path(link), {"rating": form["rating"], "comment": "Quick fix"})

    survey.refresh_from_db()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert case.number in page.content.decode() and page["Cache-Control"] == "no-store"
    assert form["method"] == "post" and form["rating"] == rating  # the choice shown, preselected
    assert unanswered is None
    assert answered.status_code == 200 and "Thank you" in answered.content.decode()
    assert (survey.rating, survey.comment, survey.answered_at is not None) == (rating, "Quick fix", True)


def test_the_page_speaks_the_customers_language_and_answering_again_replaces_the_answer(
    django_capture_on_commit_callbacks,
):
    _case, survey, _closing = _closed_with_survey(django_capture_on_commit_callbacks, "fr")
    page = Client().get(f"/surveys/{survey.token}/?rating=bad")
    Client().post(f"/surveys/{survey.token}/", {"rating": "bad"})
    Client().post(f"/surveys/{survey.token}/", {"rating": "good", "comment": "En fait, très bien"})

    survey.refresh_from_db()
    assert 'lang="fr"' in page.content.decode() and "Pas satisfait" in page.content.decode()
    assert (survey.rating, survey.comment) == ("good", "En fait, très bien")


def test_a_post_without_a_valid_rating_records_nothing(django_capture_on_commit_callbacks):
    _case, survey, _closing = _closed_with_survey(django_capture_on_commit_callbacks)

    refused = Client().post(f"/surveys/{survey.token}/", {"rating": "excellent"})

    survey.refresh_from_db()
    assert refused.status_code == 400 and "Choose an answer." in refused.content.decode()
    assert survey.answered_at is None


def test_an_unknown_survey_token_is_a_404_page_and_a_404_json_answer(api_client):
    page = Client().get("/surveys/not-a-token/?rating=good")
    posted = Client().post("/surveys/not-a-token/", {"rating": "good"})
    read = api_client.get("/api/v1/surveys/not-a-token/answer/")
    answered = api_client.post("/api/v1/surveys/not-a-token/answer/", {"rating": "good"}, format="json")

    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "Survey not found" in page.content.decode() and posted.status_code == 404
    assert (read.status_code, read.json()["code"]) == (404, "not_found")
    assert (answered.status_code, answered.json()["code"]) == (404, "not_found")


def test_the_api_reads_on_get_and_records_on_post(api_client, django_capture_on_commit_callbacks):
    case, survey, _closing = _closed_with_survey(django_capture_on_commit_callbacks)
    api = f"/api/v1/surveys/{survey.token}/answer/"

    read = api_client.get(f"{api}?rating=good")  # the link of older e-mails: now only a read
    survey.refresh_from_db()
    unanswered = (survey.rating, survey.answered_at)
    answered = api_client.post(api, {"rating": "bad", "comment": "Slow"}, format="json")

    assert read.status_code == 200 and read.json() == {
        "case_number": case.number,
        "rating": "",
        "comment": "",
        "answered_at": None,
    }
    assert unanswered == ("", None)
    assert (answered.json()["rating"], answered.json()["comment"]) == ("bad", "Slow")


@pytest.mark.parametrize(("kind", "language"), [(k, lang) for k in MESSAGES for lang in LANGUAGES])
def test_no_link_in_any_notification_writes_when_opened(kind, language, django_capture_on_commit_callbacks):
    """Every kind of e-mail, with real links: opening each of them as a scanner writes nothing."""
    case, survey, _closing = _closed_with_survey(django_capture_on_commit_callbacks)
    context = {
        "name": "Ana",
        "case_number": case.number,
        "case_subject": case.subject,
        "case_url": f"{settings.PUBLIC_BASE_URL}/api/v1/cases/{case.pk}/",
        "survey_url": f"{settings.PUBLIC_BASE_URL}/surveys/{survey.token}/",
        "message": "See the log.",
        "automatic": True,
    }
    rendered = render_email(kind=kind, language=language, context=context)

    writes = [sql for sql in _open_every_link(_links_in(rendered.text, rendered.html)) if WRITES.match(sql)]

    survey.refresh_from_db()
    assert writes == [] and survey.answered_at is None
