import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from status.ics import CalendarEvent, calendar_build

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = "Ledger, reports; exports\\backslash\nsecond line\r\nthird: été — 日本"


def ical_text(value) -> str:
    """RFC 5545 TEXT unescaping in one pass, for the properties the parser keeps as written (it has
    no type for NAME and X-WR-CALNAME)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value.to_ical().decode())


def _event(**fields):
    values = {
        "uid": "maintenance-1-20260306@casedesk",
        "start": datetime(2026, 3, 7, 3, 30, tzinfo=UTC),
        "end": datetime(2026, 3, 7, 7, 30, tzinfo=UTC),
        "summary": "Financials: weekly",
        **fields,
    }
    return CalendarEvent(**values)


def _lines(body: bytes) -> list[bytes]:
    lines = body.split(b"\r\n")
    assert lines[-1] == b"", "the calendar ends with CRLF"
    return lines[:-1]


def test_long_lines_are_folded_within_75_octets_without_splitting_characters():
    description = "Maintenance été — 日本 " * 20

    body = calendar_build(name="Casedesk maintenance", events=[_event(description=description)], stamp=NOW)

    lines = _lines(body)
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character cut in two
    start = next(i for i, line in enumerate(lines) if line.startswith(b"DESCRIPTION:"))
    continuation = [line for line in lines[start + 1 :] if line.startswith(b" ")]
    assert continuation, "a long DESCRIPTION is folded onto continuation lines"
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert vevent["DESCRIPTION"] == description


def test_text_values_are_escaped_on_the_wire_and_round_trip():
    body = calendar_build(name="Casedesk maintenance", events=[_event(summary="a;b,c\\d\ne")], stamp=NOW)

    assert b"SUMMARY:a\\;b\\,c\\\\d\\ne\r\n" in body
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert vevent["SUMMARY"] == "a;b,c\\d\ne"


def test_hostile_names_round_trip_through_a_parser():
    event = _event(summary=f"{HOSTILE}: {HOSTILE}", description=HOSTILE)

    body = calendar_build(name=f"Casedesk maintenance — {HOSTILE}", events=[event], stamp=NOW)

    parsed = icalendar.Calendar.from_ical(body)
    (vevent,) = parsed.walk("VEVENT")
    # iCalendar TEXT has no carriage return: a CRLF in a name comes back as the one newline it stood for.
    expected = HOSTILE.replace("\r\n", "\n")
    assert vevent["SUMMARY"] == f"{expected}: {expected}"
    assert vevent["DESCRIPTION"] == expected
    for prop in ("NAME", "X-WR-CALNAME"):
        assert ical_text(parsed[prop]) == f"Casedesk maintenance — {expected}"
    assert len(parsed.walk("VEVENT")) == 1 and str(vevent["UID"]) == event.uid


def test_control_characters_are_dropped_from_text():
    body = calendar_build(name="x\x00y", events=[_event(summary="a\x1bb\x7fc\td")], stamp=NOW)

    assert not any((byte < 0x20 and byte not in b"\t\r\n") or byte == 0x7F for byte in body)
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert vevent["SUMMARY"] == "abc\td"


def test_calendar_has_the_publish_headers_and_one_confirmed_event_per_run():
    body = calendar_build(
        name="Casedesk maintenance",
        events=[_event(), _event(uid="maintenance-1-20260313@casedesk")],
        stamp=NOW,
    )

    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in body
    parsed = icalendar.Calendar.from_ical(body)
    assert (str(parsed["VERSION"]), str(parsed["PRODID"]), str(parsed["METHOD"])) == (
        "2.0",
        "-//Casedesk//System status//EN",
        "PUBLISH",
    )
    events = parsed.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        "maintenance-1-20260306@casedesk",
        "maintenance-1-20260313@casedesk",
    ]
    assert all((str(e["STATUS"]), str(e["TRANSP"])) == ("CONFIRMED", "OPAQUE") for e in events)
    assert all(e.decoded("DTSTAMP") == NOW for e in events)


def test_instants_in_other_zones_are_written_in_utc():
    paris = ZoneInfo("Europe/Paris")
    event = _event(
        start=datetime(2026, 3, 7, 4, 30, tzinfo=paris), end=datetime(2026, 3, 7, 8, 30, tzinfo=paris)
    )

    body = calendar_build(name="x", events=[event], stamp=datetime(2026, 3, 1, 13, 0, tzinfo=paris))

    assert b"DTSTART:20260307T033000Z\r\n" in body and b"DTEND:20260307T073000Z\r\n" in body
    assert b"DTSTAMP:20260301T120000Z\r\n" in body
    assert b"TZID" not in body and b"VTIMEZONE" not in body


def test_naive_instants_are_refused():
    event = _event(start=datetime(2026, 3, 7), end=datetime(2026, 3, 8))

    with pytest.raises(ValueError, match="aware"):
        calendar_build(name="x", events=[event], stamp=NOW)
