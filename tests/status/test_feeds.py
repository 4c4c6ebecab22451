from datetime import UTC, datetime, timedelta

import feedparser
import icalendar
import pytest
from django.urls import reverse

from tests.factories import ProductFactory
from tests.status.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MaintenanceWindowFactory,
    OneOffWindowFactory,
)
from tests.status.test_ics import ical_text

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def status_data():
    financials = ProductFactory(name="Financials", code="financials")
    intelligent_time = ProductFactory(name="Intelligent Time", code="intelligent-time")
    MaintenanceWindowFactory(
        product=financials, title="Financials weekly", description="Ledger; reports, & more"
    )
    MaintenanceWindowFactory(
        product=intelligent_time,
        title="Intelligent Time weekly",
        weekday=5,
        local_start_time="23:00",
        duration=timedelta(hours=2),
    )
    incident = IncidentFactory(product=financials, title="Slow <reports>")
    IncidentUpdateFactory(incident=incident, message="Looking into it.", created_at=NOW - timedelta(hours=1))
    return financials, intelligent_time


@pytest.mark.parametrize(("name", "version"), [("status-feed-rss", "rss20"), ("status-feed-atom", "atom10")])
def test_feeds_are_well_formed_and_list_windows_and_updates(client, status_data, name, version):
    response = client.get(reverse(name))

    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == version
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "Financials: Slow <reports> — Investigating"  # the newest first
    assert "Financials: scheduled maintenance — Financials weekly" in titles
    assert len(feed.entries) == 3
    assert all(entry.id.startswith("urn:casedesk:status:") for entry in feed.entries)


def _calendar(client, url, time_machine):
    time_machine.move_to(NOW, tick=False)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line and len(line) <= 75 for line in lines)
    return body, icalendar.Calendar.from_ical(body)


def test_product_calendar_has_upcoming_runs_in_utc_with_stable_uids(client, status_data, time_machine):
    body, calendar = _calendar(client, reverse("status-calendar-product", args=["financials"]), time_machine)

    events = calendar.walk("VEVENT")
    starts = [event.decoded("DTSTART") for event in events]
    # From a week back (02-22 12:00Z: the Fri 02-20 run, 02-21 03:30-07:30Z, is over by then) to 91 days
    # ahead. Fri 19:30 PST = Sat 03:30Z until the change on 03-08; PDT after: 02:30Z.
    assert starts[:4] == [
        datetime(2026, 2, 28, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 7, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 14, 2, 30, tzinfo=UTC),
        datetime(2026, 3, 21, 2, 30, tzinfo=UTC),
    ]
    assert all(event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=4) for event in events)
    assert b"DTSTART:20260314T023000Z\r\n" in body
    assert all(event["SUMMARY"] == "Financials: Financials weekly" for event in events)
    assert all(event.decoded("DTSTAMP") == NOW for event in events)
    assert str(events[2]["UID"]).endswith("-20260313@casedesk")

    time_machine.move_to(NOW + timedelta(days=7), tick=False)
    later = icalendar.Calendar.from_ical(
        client.get(reverse("status-calendar-product", args=["financials"])).content
    )
    assert {str(event["UID"]) for event in events} & {
        str(event["UID"]) for event in later.walk("VEVENT")
    } == {str(event["UID"]) for event in events[1:]}


def test_all_products_calendar_and_one_off_windows(client, status_data, time_machine):
    OneOffWindowFactory(product=status_data[0], title="Database upgrade")

    _, calendar = _calendar(client, reverse("status-calendar"), time_machine)

    events = calendar.walk("VEVENT")
    summaries = {str(event["SUMMARY"]) for event in events}
    assert summaries == {
        "Financials: Financials weekly",
        "Intelligent Time: Intelligent Time weekly",
        "Financials: Database upgrade",
    }
    upgrade = next(event for event in events if event["SUMMARY"] == "Financials: Database upgrade")
    assert (upgrade.decoded("DTSTART"), upgrade.decoded("DTEND")) == (
        datetime(2026, 4, 1, 12, tzinfo=UTC),
        datetime(2026, 4, 1, 14, tzinfo=UTC),
    )
    # Sat 02-28 23:00 PST = Sun 03-01 07:00Z, ending 09:00Z (01:00 local).
    night = next(event for event in events if event.decoded("DTSTART") == datetime(2026, 3, 1, 7, tzinfo=UTC))
    assert night.decoded("DTEND") == datetime(2026, 3, 1, 9, tzinfo=UTC)
    starts = [event.decoded("DTSTART") for event in events]
    assert starts == sorted(starts)


def test_unknown_or_inactive_product_calendar_is_404(client, status_data):
    ProductFactory(code="retired", is_active=False)

    assert client.get(reverse("status-calendar-product", args=["nope"])).status_code == 404
    assert client.get(reverse("status-calendar-product", args=["retired"])).status_code == 404


def test_hostile_product_and_window_names_round_trip_through_the_calendar(client, time_machine):
    """Commas, semicolons, backslashes and newlines in what staff type in the admin are escaped by
    the calendar library: a parser reads back exactly what was typed, and the calendar keeps its shape."""
    product = ProductFactory(name="Ledger, Payroll; HR\\Ops\nEMEA", code="ledger")
    MaintenanceWindowFactory(
        product=product, title="Weekly; backup, then\nreindex", description="Down: a, b; c\\d\ne"
    )

    body, calendar = _calendar(client, reverse("status-calendar-product", args=["ledger"]), time_machine)

    events = calendar.walk("VEVENT")
    assert events, "the window has runs in the published range"
    assert {str(event["SUMMARY"]) for event in events} == {
        "Ledger, Payroll; HR\\Ops\nEMEA: Weekly; backup, then\nreindex"
    }
    assert all(str(event["DESCRIPTION"]).endswith("Down: a, b; c\\d\ne") for event in events)
    name = ical_text(calendar["X-WR-CALNAME"])
    assert name == "Casedesk maintenance — Ledger, Payroll; HR\\Ops\nEMEA"
    assert body.count(b"BEGIN:VEVENT") == len(events)  # no name opened a component of its own
