"""Query counts of the workspace pages the other modules do not bound: the case page with many
comments carrying files, the macro search, the presence poll (every viewer every few seconds) and the
preferences page. Each is measured small, then again with many more rows: the count must not grow."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, CannedResponse, Comment
from tests.admin.conftest import add_timer
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def comments_with_files(case, count, *, author, internal=False):
    for index in range(count):
        comment = Comment.objects.create(
            case=case,
            author=author,
            body=f"Comment {index}",
            is_internal=internal,
            created_at=timezone.now(),
        )
        Attachment.objects.create(
            case=case,
            comment=comment,
            file=f"attachments/{case.pk}/log-{index}.txt",
            filename=f"log-{index}.txt",
            content_type="text/plain",
            size=12,
            uploaded_by=author,
            created_at=timezone.now(),
        )


def test_the_case_page_query_count_does_not_grow_with_comments_and_files(
    analyst_client, around_the_clock, calendar_cache_held, django_assert_max_num_queries
):
    case = CaseFactory()
    add_timer(case, around_the_clock, due_in=timedelta(hours=2))
    colleague = AnalystFactory()
    comments_with_files(case, 1, author=case.opened_by)
    page = reverse("admin:cases_case_change", args=[case.pk])
    analyst_client.get(page)  # warm the calendar cache

    # the case page's budget (tests/admin/test_queue_navigation.py) without the queue window
    with django_assert_max_num_queries(17) as few:
        assert analyst_client.get(page).status_code == 200
    comments_with_files(case, 20, author=case.opened_by)
    comments_with_files(case, 20, author=colleague, internal=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = analyst_client.get(page)
    assert response.status_code == 200
    assert response.content.decode().count("log-") >= 41  # every file is on the page


def test_the_macro_search_query_count_does_not_grow_with_macros(
    analyst_client, django_assert_max_num_queries
):
    case = CaseFactory()
    url = reverse("admin:cases_case_macros", args=[case.pk])

    def make(count, start):
        for index in range(start, start + count):
            CannedResponse.objects.create(
                title=f"Log request {index}",
                language="fr" if index % 2 else "en",
                body="Please send the log.",
                assignee=AnalystFactory(),
            )

    make(2, 0)
    with django_assert_max_num_queries(8) as few:
        response = analyst_client.get(url, {"macro_q": "log"}, **HTMX)
    assert len(response.context["macros"]) == 2
    make(30, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = analyst_client.get(url, {"macro_q": "log"}, **HTMX)
        assert response.content.decode().count('class="cd-macro-item"') == 32


def test_the_presence_poll_query_count_does_not_grow_with_new_comments(
    analyst_client, django_assert_max_num_queries
):
    case = CaseFactory()
    url = reverse("admin:cases_case_presence", args=[case.pk])
    colleagues = [AnalystFactory() for _ in range(3)]

    Comment.objects.create(case=case, author=colleagues[0], body="First", created_at=timezone.now())
    with django_assert_max_num_queries(6) as few:
        assert "1 new comment" in analyst_client.get(url, {"seen": 0}).content.decode()
    for colleague in colleagues * 5:
        Comment.objects.create(case=case, author=colleague, body="More", created_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "16 new comments" in analyst_client.get(url, {"seen": 0}).content.decode()


@pytest.mark.parametrize("seen", ["-5", "abc", "99999999999999999999999999", "9" * 5000, ""])
def test_a_tampered_seen_marker_in_the_poll_answers_without_error(analyst_client, seen):
    case = CaseFactory()
    Comment.objects.create(case=case, author=AnalystFactory(), body="Hi", created_at=timezone.now())

    response = analyst_client.get(reverse("admin:cases_case_presence", args=[case.pk]), {"seen": seen})

    assert response.status_code == 200


def test_the_preferences_page_query_count_is_bounded(analyst_client, django_assert_max_num_queries):
    url = reverse("admin:cases_analystprofile_preferences")
    # session, user, the profile, the page's own permission look-ups, the header's unread count
    with django_assert_max_num_queries(7):
        response = analyst_client.get(url)
    assert response.status_code == 200
    assert not isinstance(response.wsgi_request.user, AnonymousUser)
