from datetime import UTC, datetime

import icalendar
import pytest

from status.ics import CalendarEvent, calendar_build, escape_text, fold

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_fold_keeps_every_line_within_75_octets_without_splitting_characters():
    line = "DESCRIPTION:" + "Maintenance été — " * 20

    folded = fold(line)

    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert parts[0] + "".join(part[1:] for part in parts[1:]) == line


def test_short_lines_are_not_folded():
    assert fold("UID:x") == "UID:x"


def test_text_values_are_escaped():
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_calendar_round_trips_through_a_parser_with_crlf_lines():
    event = CalendarEvent(
        uid="maintenance-1-20260306@casedesk",
        start=datetime(2026, 3, 7, 3, 30, tzinfo=UTC),
        end=datetime(2026, 3, 7, 7, 30, tzinfo=UTC),
        summary="Financials: weekly, maintenance; offline",
        description="Long text " * 30,
    )

    body = calendar_build(name="Casedesk maintenance", events=[event], stamp=NOW)

    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    parsed = icalendar.Calendar.from_ical(body)
    (vevent,) = parsed.walk("VEVENT")
    assert vevent["SUMMARY"] == "Financials: weekly, maintenance; offline"
    assert vevent["DESCRIPTION"] == "Long text " * 30
    assert vevent.decoded("DTSTART") == event.start
    assert vevent.decoded("DTSTAMP") == NOW


def test_naive_instants_are_refused():
    event = CalendarEvent(uid="x", start=datetime(2026, 3, 7), end=datetime(2026, 3, 8), summary="x")

    with pytest.raises(ValueError, match="aware"):
        calendar_build(name="x", events=[event], stamp=NOW)
