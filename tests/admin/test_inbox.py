"""The staff inbox in the admin: the unread count in every page's header (one query), the inbox page
(one's own notices, unread first, newest first, linking to the case), opening a case marks its
notices read, and notice preferences."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AgentNotice, AnalystProfile, Case
from cases.services import comment_create
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
INBOX = "/admin/cases/agentnotice/"
CHANGELIST = "/admin/cases/case/"


def told(analyst, *, cases=1, comments=1):
    """Cases assigned to ``analyst`` on which their customers commented (real services)."""
    made = []
    start = timezone.now() - timedelta(hours=1)
    for index in range(cases):
        case = CaseFactory(status=Case.Status.IN_PROGRESS, assignee=analyst)
        for n in range(comments):
            comment_create(
                case=case,
                author=case.opened_by,
                body=f"Message {n} on case {index}",
                now=start + timedelta(minutes=index * comments + n),
            )
        made.append(case)
    return made


def badge(html: str) -> str:
    marker = 'class="cd-inbox-count'
    assert 'id="agent-inbox"' in html and marker in html
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def notice_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "cases_agentnotice" in q["sql"]]


@pytest.mark.parametrize("page", ["/admin/", CHANGELIST, INBOX, "/admin/password_change/"])
def test_every_admin_page_shows_the_unread_count_from_one_query(analyst_client, analyst, page):
    told(analyst, cases=2, comments=2)

    with CaptureQueriesContext(connection) as captured:
        response = analyst_client.get(page)

    assert response.status_code == 200
    assert badge(response.content.decode()) == "4"
    counts = [sql for sql in notice_queries(captured) if "COUNT(" in sql.upper() and "read_at" in sql]
    assert len(counts) == 1  # the header's; the inbox page counts its own list separately


def test_the_login_page_and_customers_never_count_notices(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200 and 'id="agent-inbox"' not in response.content.decode()


def test_the_case_list_costs_one_query_more_for_the_badge_and_does_not_grow(
    analyst_client, analyst, django_assert_max_num_queries
):
    told(analyst, cases=3)
    with django_assert_max_num_queries(14):  # the changelist's own budget (test_queues) holds with the badge
        analyst_client.get(CHANGELIST)
    told(analyst, cases=20, comments=2)
    with django_assert_max_num_queries(14):
        response = analyst_client.get(CHANGELIST)
    assert badge(response.content.decode()) == "43"


def test_opening_a_case_marks_its_notices_read_for_the_viewer_only(
    client, analyst, django_assert_max_num_queries
):
    first, second = told(analyst, cases=2, comments=2)
    colleague = AnalystFactory()
    AnalystProfile.objects.create(user=colleague, availability="available")
    comment_create(case=first, author=analyst, body=f"@{colleague.username} have a look", is_internal=True)
    client.force_login(analyst)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:cases_case_change", args=[first.pk]))

    assert response.status_code == 200
    assert badge(response.content.decode()) == "2"  # counted after the marking: the second case's two
    assert len(notice_queries(captured)) == 2  # the UPDATE marking them read, the header's COUNT
    assert list(
        AgentNotice.objects.filter(recipient=analyst, read_at__isnull=True).values_list("case", flat=True)
    ) == [
        second.pk,
        second.pk,
    ]
    # The colleague's mention on the first case is theirs to read.
    assert AgentNotice.objects.get(recipient=colleague).read_at is None


def test_the_case_page_query_count_does_not_grow_with_notices(
    analyst_client, analyst, django_assert_max_num_queries
):
    [case] = told(analyst, comments=1)
    analyst_client.get(reverse("admin:cases_case_change", args=[case.pk]))  # warm-up
    told(analyst, cases=5, comments=3)
    with CaptureQueriesContext(connection) as few:
        analyst_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    told(analyst, cases=1, comments=10)
    for _ in range(10):
        comment_create(case=case, author=case.opened_by, body="more")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = analyst_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert badge(response.content.decode()) == "25"  # 15 + 10 on the other cases; this one's read


def test_the_inbox_lists_ones_own_notices_unread_first_then_newest_with_case_links(analyst_client, analyst):
    older, newer = told(analyst, cases=2)
    read = told(analyst)[0]
    AgentNotice.objects.filter(case=read).update(read_at=timezone.now())
    stranger = AnalystFactory()
    told(stranger)  # someone else's notices

    response = analyst_client.get(INBOX)

    html = response.content.decode()
    rows = response.context["cl"].result_list
    assert [notice.case for notice in rows] == [newer, older, read]
    assert all(notice.recipient == analyst for notice in rows)
    assert html.index(newer.number) < html.index(older.number) < html.index(read.number)
    assert f'href="{reverse("admin:cases_case_change", args=[newer.pk])}"' in html
    assert "Customer reply" in html and "Message 0 on case 1" in html
    assert response.context["title"] == "Inbox"


def test_the_inbox_query_count_does_not_grow_with_notices(
    analyst_client, analyst, django_assert_max_num_queries
):
    told(analyst, cases=2)

    with CaptureQueriesContext(connection) as few:
        analyst_client.get(INBOX)
    told(analyst, cases=15, comments=3)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = analyst_client.get(INBOX)
    assert len(response.context["cl"].result_list) == 47


def test_an_inbox_filtered_to_unread_and_marked_read_by_action_or_all_at_once(analyst_client, analyst):
    first, second, third = told(analyst, cases=3)
    unread = analyst_client.get(INBOX, {"unread": "1"}).context["cl"].result_list
    assert len(unread) == 3

    picked = AgentNotice.objects.get(case=first)
    response = analyst_client.post(
        INBOX, {"action": "mark_read", "_selected_action": [picked.pk], "index": 0}, follow=True
    )
    assert "1 notice marked read." in response.content.decode()
    assert sorted(AgentNotice.objects.filter(read_at__isnull=True).values_list("case", flat=True)) == sorted(
        [second.pk, third.pk]
    )

    response = analyst_client.post(reverse("admin:cases_agentnotice_read_all"), follow=True)
    assert "2 notices marked read." in response.content.decode()
    assert badge(response.content.decode()) == "0"
    assert analyst_client.get(reverse("admin:cases_agentnotice_read_all")).status_code == 405


def test_someone_elses_notice_cannot_be_marked_or_seen(analyst_client, analyst):
    stranger = AnalystFactory()
    [case] = told(stranger)
    theirs = AgentNotice.objects.get(recipient=stranger)

    analyst_client.post(INBOX, {"action": "mark_read", "_selected_action": [theirs.pk], "index": 0})
    detail = analyst_client.get(reverse("admin:cases_agentnotice_change", args=[theirs.pk]))

    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert detail.status_code == 302  # the admin's "does not exist" redirect: not theirs to see
    assert case.number not in analyst_client.get(INBOX).content.decode()


def test_preferences_are_saved_from_the_inbox(analyst_client, analyst):
    response = analyst_client.post(
        reverse("admin:cases_agentnotice_preferences"),
        {"email_notices": "digest", "digest_minutes": "15", "time_zone": "Europe/Paris", "language": "fr"},
        follow=True,
    )

    assert "Notice preferences saved." in response.content.decode()
    profile = AnalystProfile.objects.get(user=analyst)
    analyst.refresh_from_db()
    assert (profile.email_notices, profile.digest_minutes, profile.time_zone, analyst.language) == (
        "digest",
        15,
        "Europe/Paris",
        "fr",
    )
    form = response.context["preferences_form"]
    assert form.initial["email_notices"] == "digest" and form.initial["time_zone"] == "Europe/Paris"


def test_bad_preferences_are_refused_with_a_message(analyst_client, analyst):
    response = analyst_client.post(
        reverse("admin:cases_agentnotice_preferences"),
        {"email_notices": "hourly", "digest_minutes": "7", "time_zone": "Mars/Base", "language": "en"},
        follow=True,
    )

    assert (
        "Preferences not saved: check digest_minutes, email_notices, time_zone." in response.content.decode()
    )
    assert not AnalystProfile.objects.filter(user=analyst).exists()
