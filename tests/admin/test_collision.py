"""Two analysts on one case: "Also viewing" from a short-lived presence record in the cache (gone
after its TTL, absent without error when the cache is down), and a reply held back when someone
else wrote on the case since the page was opened."""

import socket
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus, Comment
from cases.presence import PRESENCE_TTL_SECONDS, case_presence_record
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    real = caches["default"]  # the test's own cache, even if a test points CACHES elsewhere
    real.clear()
    yield
    real.clear()


def page(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def presence(case, seen=0):
    return f"{reverse('admin:cases_case_presence', args=[case.pk])}?seen={seen}"


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_second_analyst_on_the_case_sees_the_first(analyst_client, analyst):
    case = CaseFactory()
    colleague = AnalystFactory(first_name="Bea", last_name="Colleague")
    analyst_client.get(page(case))

    response = as_user(colleague).get(page(case))

    assert [viewer.name for viewer in response.context["viewers"]] == ["Ann Analyst"]
    assert "Also viewing: <strong>Ann Analyst</strong>" in response.content.decode()
    mine = analyst_client.get(presence(case)).content.decode()
    assert "Also viewing: <strong>Bea Colleague</strong>" in mine
    assert f'hx-get="{presence(case)}' in mine and 'hx-trigger="every 15s"' in mine


def test_a_viewer_not_heard_from_within_the_ttl_is_gone(analyst, analyst_client):
    case = CaseFactory()
    colleague = AnalystFactory()
    start = timezone.now()
    case_presence_record(case_id=case.pk, user=colleague, now=start)

    with time_machine.travel(start + timedelta(seconds=PRESENCE_TTL_SECONDS - 5), tick=False):
        assert [v.user_id for v in case_presence_record(case_id=case.pk, user=analyst)] == [colleague.pk]
    with time_machine.travel(start + timedelta(seconds=PRESENCE_TTL_SECONDS + 1), tick=False):
        assert case_presence_record(case_id=case.pk, user=analyst) == []


def test_a_malformed_record_counts_as_nobody(analyst):
    case = CaseFactory()
    cache.set(f"casedesk:presence:case:{case.pk}", {"7": "junk", "8": [1, "x"]}, 30)

    assert case_presence_record(case_id=case.pk, user=analyst) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_the_cache_down_the_case_page_works_without_presence(analyst_client, settings, caplog):
    case = CaseFactory()
    case_presence_record(case_id=case.pk, user=AnalystFactory())  # someone is there, in the real cache
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }

    response = analyst_client.get(page(case))
    polled = analyst_client.get(presence(case))

    assert response.status_code == 200 and response.context["viewers"] == []
    assert polled.status_code == 200 and "Also viewing" not in polled.content.decode()
    warnings = [r.getMessage() for r in caplog.records if r.name == "cases.presence"]
    assert len(warnings) == 2 and warnings[0].startswith("Presence not recorded (cache unavailable)")


def test_the_poll_says_who_wrote_since_the_page_opened(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    seen = analyst_client.get(page(case)).context["seen_comment"]
    Comment.objects.create(case=case, author=analyst, body="mine", created_at=timezone.now())
    Comment.objects.create(case=case, author=case.opened_by, body="theirs", created_at=timezone.now())

    html = analyst_client.get(presence(case, seen)).content.decode()

    assert f"1 new comment since this page opened ({case.opened_by})" in html


def test_a_reply_is_held_back_when_someone_else_wrote_meanwhile(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    colleague = AnalystFactory(first_name="Bea", last_name="Colleague")
    seen = analyst_client.get(page(case)).context["seen_comment"]
    theirs = Comment.objects.create(
        case=case, author=colleague, body="Already answered", created_at=timezone.now()
    )
    url = reverse("admin:cases_case_reply", args=[case.pk])

    held = analyst_client.post(url, {"body": "My answer", "seen_comment": seen})

    assert held.status_code == 409
    assert [str(m) for m in held.context["messages"]] == [
        f"Not sent: Bea Colleague wrote on {case.number} while you were writing. Read it below, then send again."
    ]
    assert held.context["reply_form"]["body"].value() == "My answer"
    assert held.context["reply_form"]["seen_comment"].value() == str(theirs.pk)
    assert (
        f'id="comment-{theirs.pk}"' in held.content.decode()
        and "New while you wrote" in held.content.decode()
    )
    assert list(case.comments.values_list("body", flat=True)) == ["Already answered"]

    sent = analyst_client.post(url, {"body": "My answer", "seen_comment": theirs.pk})

    assert sent.status_code == 302
    assert list(case.comments.order_by("pk").values_list("body", flat=True)) == [
        "Already answered",
        "My answer",
    ]


def test_my_own_comments_do_not_hold_my_reply(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    Comment.objects.create(
        case=case, author=analyst, body="a note of mine", is_internal=True, created_at=timezone.now()
    )

    response = analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]), {"body": "Hi", "seen_comment": 0}
    )

    assert response.status_code == 302
