"""Render a notification's subject, text and HTML in its language (pure template work, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine
from django.template.loader import render_to_string

from notifications.messages import FOOTER, MESSAGES, SURVEY_PAGE

_ENGINE = Engine(autoescape=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(*, kind: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    by_language = MESSAGES[kind]
    language = language if language in by_language else "en"
    subject_template, body_template = by_language[language]
    # Plain text: nothing is HTML-escaped here ("O'Brien", "<b>"); the HTML layout escapes it.
    subject = " ".join(
        _ENGINE.from_string(subject_template).render(Context(context, autoescape=False)).split()
    )
    body = _ENGINE.from_string(body_template).render(Context(context, autoescape=False)).strip()
    layout = {
        **context,
        "subject": subject,
        "body": body,
        "paragraphs": [p for p in body.split("\n\n") if p.strip()],
        "footer": FOOTER.get(language, FOOTER["en"]),
        "survey": SURVEY_PAGE.get(language, SURVEY_PAGE["en"]),
        "language": language,
    }
    return RenderedEmail(
        subject=subject[:250],
        text=render_to_string("notifications/email.txt", layout),
        html=render_to_string("notifications/email.html", layout),
    )
