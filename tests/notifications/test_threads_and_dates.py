"""A case's e-mails form one thread in the reader's mail client (Message-ID, In-Reply-To, References,
one subject), for the customer and for the analyst; dates and times are in the reader's language and
time zone. Read back with Python's e-mail parser, as a mail client would."""

import email
import email.policy
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from cases.models import AnalystProfile, Case
from cases.services import analyst_notice_preferences_set, case_transition, comment_create
from notifications.delivery import case_thread_id
from notifications.rendering import render_email
from sla.services import _event as sla_event
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, USCompanyFactory, member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def parsed(message) -> email.message.EmailMessage:
    """The e-mail as its recipient's client reads it: the bytes on the wire, parsed."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def references(message: email.message.EmailMessage) -> list[str]:
    return re.findall(r"<[^>]+>", str(message["References"] or ""))


def conversation(django_capture_on_commit_callbacks):
    """A case worked through several moves; answers the case, its customer and its analyst."""
    company = CompanyFactory(language="fr", time_zone="Europe/Paris")
    customer = member(company, role="dsu")
    analyst = AnalystFactory()
    AnalystProfile.objects.create(user=analyst, availability="available")
    case = CaseFactory(company=company, opened_by=customer, status=Case.Status.IN_PROGRESS, assignee=analyst)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=analyst, body="Nous regardons.", now=NOW)
        case = case_transition(
            case=case, actor=analyst, transition="request_customer_action", message="Le journal ?", now=NOW
        ).case
        comment_create(case=case, author=customer, body="Voici le journal.", now=NOW + timedelta(hours=1))
        case.refresh_from_db()
        case = case_transition(
            case=case,
            actor=analyst,
            transition="propose_resolution",
            resolution="Corrigé.",
            now=NOW + timedelta(hours=2),
        ).case
        case_transition(
            case=case,
            actor=customer,
            transition="reject_resolution",
            message="Toujours cassé.",
            now=NOW + timedelta(hours=3),
        )
    return case, customer, analyst


def test_all_of_a_cases_emails_form_one_thread_for_the_customer_and_for_the_analyst(
    django_capture_on_commit_callbacks,
):
    case, customer, analyst = conversation(django_capture_on_commit_callbacks)
    other = CaseFactory(status=Case.Status.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=other, author=analyst, body="Another case.", now=NOW)

    by_reader = defaultdict(list)
    for message in mail.outbox:
        by_reader[message.to[0]].append(parsed(message))
    root = case_thread_id(case)
    assert re.fullmatch(rf"<case-{case.number}\.[0-9a-f]{{16}}@casedesk\.localhost>", root)
    assert case.reply_token not in root  # derived from the reply token, never revealing it

    for reader, count in ((customer.email, 3), (analyst.email, 2)):  # 3 notices; 2: reply, rejection
        messages = by_reader[reader]
        assert len(messages) == count
        ids = [m["Message-ID"] for m in messages]
        assert len(set(ids)) == count and all(re.fullmatch(r"<[0-9a-f]{32}\.outbox@.+>", i) for i in ids)
        assert all(str(m["In-Reply-To"]) == root and references(m) == [root] for m in messages)
        assert {str(m["Subject"]) for m in messages} == {f"[{case.number}] {case.subject}"}
    customer_mail = by_reader[customer.email][0]
    assert str(customer_mail["Reply-To"]) == f"case+{case.reply_token}@inbound.casedesk.localhost"
    assert all(m["Reply-To"] is None for m in by_reader[analyst.email])  # staff answer in the admin
    # Another case is another thread.
    [another] = by_reader[other.opened_by.email]
    assert references(another) == [case_thread_id(other)] != [root]


def test_what_happened_is_each_emails_first_line(django_capture_on_commit_callbacks):
    _, customer, analyst = conversation(django_capture_on_commit_callbacks)

    first_lines = [m.body.splitlines()[0] for m in mail.outbox if m.to == [customer.email]]
    assert first_lines == [
        "Nouvelle réponse du support",
        "Nous avons besoin de vous",
        "Merci de vérifier la résolution",
    ]
    analyst_lines = [m.body.splitlines()[0] for m in mail.outbox if m.to == [analyst.email]]
    assert analyst_lines == [f"{customer} replied", f"{customer} says the resolution does not work"]


@pytest.mark.parametrize(
    ("factory", "language", "zone", "expected"),
    [
        (CompanyFactory, "fr", "Europe/Paris", "répondez avant le 10 juin 2026 09:00 (Europe/Paris)"),
        (
            CompanyFactory,
            "es",
            "Europe/Madrid",
            "responda antes del 10 de junio de 2026 a las 09:00 (Europe/Madrid)",
        ),
        (
            USCompanyFactory,
            "en",
            "America/Los_Angeles",
            "answer before June 10, 2026, midnight (America/Los_Angeles)",
        ),
    ],
)
def test_customers_read_dates_in_their_language_and_their_companys_time_zone(
    factory, language, zone, expected, django_capture_on_commit_callbacks
):
    company = factory(language=language, time_zone=zone)
    case = CaseFactory(company=company, status=Case.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        case_transition(
            case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Done.", now=NOW
        )

    [message] = mail.outbox
    assert expected in " ".join(message.body.split())  # 9 days after 07:00 UTC, in the reader's zone
    assert "2026-06-10" not in message.body and "2026-06-10" not in message.alternatives[0][0]


def test_a_customers_own_language_wins_over_the_companys(django_capture_on_commit_callbacks):
    company = CompanyFactory(language="fr", time_zone="Europe/Madrid")
    customer = member(company, role="dsu", language="es")
    case = CaseFactory(company=company, opened_by=customer, status=Case.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        case_transition(
            case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Hecho.", now=NOW
        )

    assert "10 de junio de 2026 a las 09:00 (Europe/Madrid)" in " ".join(mail.outbox[0].body.split())


@pytest.mark.parametrize(
    ("language", "zone", "headline", "due"),
    [
        ("fr", "Europe/Paris", "Première réponse : échéance le 1 juin 2026 11:00 (Europe/Paris)", "Première"),
        (
            "es",
            "Europe/Madrid",
            "Primera respuesta: vence el 1 de junio de 2026 a las 11:00 (Europe/Madrid)",
            "Primera",
        ),
        ("en", "UTC", "First response due June 1, 2026, 9 a.m. (UTC)", "First"),
    ],
)
def test_analysts_read_dates_in_their_own_language_and_time_zone(
    language, zone, headline, due, django_capture_on_commit_callbacks
):
    analyst = AnalystFactory()
    analyst_notice_preferences_set(
        analyst=analyst, email_notices="immediate", digest_minutes=30, time_zone=zone, language=language
    )
    case = CaseFactory(status=Case.Status.IN_PROGRESS, assignee=analyst)

    with django_capture_on_commit_callbacks(execute=True):
        sla_event(
            case,
            "sla_warning",
            NOW,
            "due soon",
            {"metric": "first_response", "due_at": (NOW + timedelta(hours=2)).isoformat()},
        )

    [message] = [m for m in mail.outbox if m.to == [analyst.email]]
    assert message.body.splitlines()[0] == headline
    assert message.subject == f"[{case.number}] {case.subject}"


def test_text_is_plain_and_html_is_escaped_once():
    context = {
        "case_number": "CS-1",
        "case_subject": "A & B",
        "name": "Ana",
        "message": 'It\'s <b>a</b> & "b"',
    }

    rendered = render_email(kind="support_reply", language="en", context=context)

    assert rendered.subject == "[CS-1] A & B"
    assert 'It\'s <b>a</b> & "b"' in rendered.text
    assert "It&#x27;s &lt;b&gt;a&lt;/b&gt; &amp; &quot;b&quot;" in rendered.html
    assert "&amp;#x27;" not in rendered.html


def test_text_already_formatted_by_an_earlier_release_is_shown_as_it_is():
    context = {
        "case_number": "CS-1",
        "case_subject": "GL",
        "name": "Ana",
        "auto_close_date": "2026-06-10 09:00 (Europe/Paris)",
    }

    rendered = render_email(
        kind="auto_close_reminder", language="fr", context=context, time_zone="Europe/Paris"
    )

    assert "le 2026-06-10 09:00 (Europe/Paris)" in rendered.text
