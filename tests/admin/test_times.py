"""Times in the workspace read in the analyst's own zone: their setting, else their browser's (the
``casedesk_tz`` cookie the workspace script sets), else UTC; the API keeps UTC. Time in status."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.admin.timezones import short_when
from cases.models import AnalystProfile, CaseStatus, Comment
from cases.services import analyst_time_zone_set
from core.errors import ValidationFailed
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; Paris is UTC+1, Tokyo UTC+9


def page(case):
    return reverse("admin:cases_case_change", args=[case.pk])


@pytest.fixture
def case_with_comment(analyst):
    with time_machine.travel(NOW, tick=False):
        case = CaseFactory(
            status=CaseStatus.IN_PROGRESS, status_changed_at=NOW - timedelta(hours=26, minutes=5)
        )
        Comment.objects.create(case=case, author=case.opened_by, body="Still broken", created_at=NOW)
    return case


@pytest.mark.parametrize(
    ("setting", "cookie", "shown", "zone"),
    [
        ("", "", "2026-03-02 09:00 UTC", "UTC (no zone chosen)"),
        ("", "Europe/Paris", "2026-03-02 10:00 CET", "Europe/Paris (your browser&#x27;s)"),
        ("", "Not/AZone", "2026-03-02 09:00 UTC", "UTC (no zone chosen)"),
        ("Asia/Tokyo", "Europe/Paris", "2026-03-02 18:00 JST", "Asia/Tokyo (your setting)"),
    ],
)
def test_times_on_the_case_page_are_in_the_analysts_zone(
    analyst_client, analyst, case_with_comment, setting, cookie, shown, zone
):
    if setting:
        analyst_time_zone_set(analyst=analyst, time_zone=setting)
    if cookie:
        analyst_client.cookies["casedesk_tz"] = cookie

    with time_machine.travel(NOW, tick=False):
        html = analyst_client.get(page(case_with_comment)).content.decode()

    assert f'<time datetime="2026-03-02T09:00:00+00:00" title="2026-03-02 09:00 UTC">{shown}</time>' in html
    assert f'Times: <a href="{reverse("admin:cases_analystprofile_preferences")}">{zone}</a>' in html
    assert "for 1d 2h" in html  # time in status


def test_the_api_keeps_utc_whatever_the_analysts_zone(analyst_client, analyst, case_with_comment):
    analyst_time_zone_set(analyst=analyst, time_zone="Asia/Tokyo")
    analyst_client.cookies["casedesk_tz"] = "Asia/Tokyo"

    body = analyst_client.get(f"/api/v1/cases/{case_with_comment.pk}/comments/").json()

    assert body["results"][0]["created_at"] in ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00+00:00")


def test_the_case_list_shows_time_in_status_and_last_activity_in_the_zone(analyst_client, case_with_comment):
    analyst_client.cookies["casedesk_tz"] = "Asia/Tokyo"
    case_with_comment.last_customer_activity_at = NOW - timedelta(minutes=90)
    case_with_comment.save(update_fields=["last_customer_activity_at"])

    with time_machine.travel(NOW, tick=False):
        html = analyst_client.get(reverse("admin:cases_case_changelist")).content.decode()

    assert 'title="In this status since 2026-03-01 15:55 JST">1d 2h</span>' in html
    assert 'title="2026-03-02 07:30 UTC">1h 30m ago</time>' in html


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (NOW + timedelta(hours=2), "today 12:00"),
        (NOW + timedelta(days=1), "tomorrow 10:00"),
        (NOW - timedelta(days=1), "yesterday 10:00"),
        (NOW + timedelta(days=3), "Thu 10:00"),
        (NOW + timedelta(days=20), "22 Mar 10:00"),
        (NOW + timedelta(days=400), "2027-04-06 11:00"),
    ],
)
def test_deadlines_read_as_people_say_them(due, expected):
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert short_when(due, NOW) == expected


def test_the_settings_page_sets_and_clears_the_zone(analyst_client, analyst):
    url = reverse("admin:cases_analystprofile_preferences")

    assert analyst_client.get(url).status_code == 200
    analyst_client.post(url, {"time_zone": "America/New_York"})
    assert AnalystProfile.objects.get(user=analyst).time_zone == "America/New_York"
    refused = analyst_client.post(url, {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 200 and refused.context["form"].errors["time_zone"]
    analyst_client.post(url, {"time_zone": ""})
    assert AnalystProfile.objects.get(user=analyst).time_zone == ""


def test_the_service_refuses_an_unknown_zone(analyst):
    with pytest.raises(ValidationFailed) as refused:
        analyst_time_zone_set(analyst=analyst, time_zone="Europe/Atlantis")
    assert refused.value.code == "invalid_time_zone"
