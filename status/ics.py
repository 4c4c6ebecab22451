"""Published calendars of maintenance windows, built with the ``icalendar`` library (no Django imports).

The library writes the RFC 5545 text: CRLF line ends, folding at 75 octets without splitting a UTF-8
character, TEXT escaping of backslash, semicolon, comma and newlines. This module decides what a
maintenance calendar holds: every instant in UTC (a ``Z`` time, no VTIMEZONE to get wrong), one
event per maintenance run with the run's stable UID, and the refresh hints clients read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

PRODUCT_ID = "-//Casedesk//System status//EN"
REFRESH_INTERVAL = timedelta(hours=12)
# RFC 5545 TEXT allows no control characters but tab and the line breaks the library escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    categories: str = "MAINTENANCE"


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("iCalendar instants must be timezone-aware.")
    return instant.astimezone(UTC)


def _text(value: str) -> icalendar.vText:
    return icalendar.vText(_CONTROL.sub("", value))


def _event(event: CalendarEvent, stamp: datetime) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", _utc(event.start))
    vevent.add("dtend", _utc(event.end))
    vevent.add("summary", _text(event.summary))
    if event.description:
        vevent.add("description", _text(event.description))
    vevent.add("categories", [event.categories])
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    return vevent


def calendar_build(*, name: str, events: Iterable[CalendarEvent], stamp: datetime) -> bytes:
    """A complete VCALENDAR (METHOD:PUBLISH) as UTF-8 bytes; ``stamp`` is every event's DTSTAMP:
    when this copy was made."""
    stamp = _utc(stamp)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # RFC 7986's NAME and the X-WR-CALNAME most clients read. The library has no type registered for
    # either, so they are given as TEXT explicitly: a product name with a comma or a newline is escaped.
    calendar.add("name", _text(name))
    calendar.add("x-wr-calname", _text(name))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    for event in events:
        calendar.add_component(_event(event, stamp))
    return calendar.to_ical()
