"""A small RFC 5545 writer for published calendars of maintenance windows (no Django imports).

Lines end with CRLF and are folded at 75 octets without splitting a UTF-8 character; TEXT values
escape backslash, semicolon, comma and newlines; every instant is written in UTC with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    categories: str = "MAINTENANCE"


def _utc(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("iCalendar instants must be timezone-aware.")
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line into CRLF-separated chunks of at most 75 octets (§3.1)."""
    chunks: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            # Continuation lines start with one space, which counts towards their 75 octets.
            current, size, limit = " ", 1, MAX_OCTETS
        current += char
        size += width
    chunks.append(current)
    return CRLF.join(chunks)


def calendar_build(*, name: str, events: Iterable[CalendarEvent], stamp: datetime) -> str:
    """A complete VCALENDAR (METHOD:PUBLISH); ``stamp`` is the DTSTAMP: when this copy was made."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Casedesk//System status//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",  # RFC 7986
        f"X-WR-CALNAME:{escape_text(name)}",  # what most clients read
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        "X-PUBLISHED-TTL:PT12H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(event.start)}",
            f"DTEND:{_utc(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += [f"CATEGORIES:{escape_text(event.categories)}", "STATUS:CONFIRMED", "TRANSP:OPAQUE"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
