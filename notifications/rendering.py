"""Render a notification's subject, text and HTML in its language and time zone (pure template work,
no I/O).

Every e-mail about a case has the same subject, ``[<case number>] <case subject>``, so mail clients
that thread by subject as well as by ``References`` (Gmail does) keep a case's mails together; what
happened is the message's headline, its first line (and the HTML heading). Other e-mails use the
headline as their subject.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.messages import (
    FOOTER,
    LANGUAGES,
    STAFF_FOOTER,
    SURVEY_PAGE,
    in_language,
    message_templates,
    texts_in,
)

_ENGINE = Engine(autoescape=False, builtins=["notifications.formatting"])


@functools.lru_cache(maxsize=1024)
def _template(source: str) -> Template:
    """A message text compiled once per process: the texts are constants (``messages.py``), and
    compiling one costs more than rendering it."""
    return _ENGINE.from_string(source)


def _plain(context: dict[str, Any]) -> Context:
    """Texts are plain text: nothing is HTML-escaped here (the HTML layout escapes each paragraph
    once); an escaping Context would show a customer's "It's" as "It&#x27;s" in the text part."""
    return Context(context, autoescape=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_email(
    *, kind: str, language: str, context: dict[str, Any], time_zone: str = "UTC", staff: bool = False
) -> RenderedEmail:
    """``staff``: the reader is support staff (they answer in the admin, not by replying)."""
    language = language if language in LANGUAGES else "en"
    headline_template, body_template = message_templates(kind, language)
    with translation.override(language), timezone.override(_zone(time_zone)):
        headline = _one_line(_template(headline_template).render(_plain(context)))
        body = _template(body_template).render(_plain(context)).strip()
    number, case_subject = context.get("case_number"), context.get("case_subject")
    if number:
        subject = _one_line(f"[{number}] {case_subject or headline}")
        body = f"{headline}\n\n{body}"
    else:
        subject = headline
    layout = {
        **context,
        "subject": subject,
        "headline": headline,
        "body": body,
        "paragraphs": [p for p in body.split("\n\n") if p.strip()][1 if number else 0 :],
        "footer": in_language(STAFF_FOOTER if staff else FOOTER, language),
        "survey": texts_in(SURVEY_PAGE, language),
        "language": language,
    }
    return RenderedEmail(
        subject=subject[:250],
        text=render_to_string("notifications/email.txt", layout),
        html=render_to_string("notifications/email.html", layout),
    )


def render_headline(*, kind: str, language: str, context: dict[str, Any], time_zone: str = "UTC") -> str:
    """A message's headline alone (one line), as ``render_email`` would write it: a digest lists many."""
    headline_template = message_templates(kind, language)[0]
    with translation.override(language), timezone.override(_zone(time_zone)):
        return _one_line(_template(headline_template).render(_plain(context)))
