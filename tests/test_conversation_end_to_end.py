"""The conversation of issue 18, walked end to end over HTTP and inbound e-mail, as its three parties
see it: the customer (their mail client and the API), the analyst (a browser on the admin, logged in
with the login form, CSRF enforced) and our receiving mail server (the inbound endpoint, with the
SPF/DKIM verdicts it writes).

Pat of Thames Ltd (England, GB-ENG; business hours 06:00–18:00 London; band 2: P2 first response
4 h, next update 12 h) writes to support; the case is routed to Tamara, who is told and answers
from the admin; Pat answers that e-mail; Tamara proposes a fix; Pat answers "still broken" and the
case is back with Tamara, who is told; fixed again, confirmed, closed; Pat reopens it the next day
and its next-update timer runs again. At each step: the state, the timers and who was told what;
at the end, everything each party received, in order, and one thread for every e-mail of the case.
"""

import email
import email.policy
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, PlanTier, User
from accounts.services import api_token_create
from cases.models import AgentNotice, AnalystProfile, Case, CaseEvent, Comment, Queue
from cases.services import case_auto_close_due
from inbound.models import InboundEmail
from notifications.delivery import case_thread_id
from notifications.models import Notification
from sla.models import Metric, SlaTimer
from tests.factories import AnalystFactory, CompanyFactory, ProductFactory, ProductInstanceFactory, member
from tests.inbound.inbound_mail import AUTHSERV_ID, ENDPOINT, SECRET, trusted_results

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
S = Case.Status
SUBJECT = "Payment run stopped"
CSRF_INPUT = r'name="csrfmiddlewaretoken" value="([^"]+)"'


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of June 2026 in London (Monday 1 June is an ordinary working day in England)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=LONDON)


# --- the customer's mail client --------------------------------------------------------------------


def parsed(sent) -> EmailMessage:
    """An e-mail we sent, as the reader's mail client sees it."""
    return email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def written(sender: str, to: str, subject: str, text: str, message_id: str) -> EmailMessage:
    """A message as our receiving server hands it over: SPF/DKIM checked, verdicts in its header."""
    message = EmailMessage()
    message["Authentication-Results"] = trusted_results(sender)
    message["From"] = f"Pat Kent <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    return message


def answer(to_this: EmailMessage, sender: str, text: str, message_id: str) -> EmailMessage:
    """Pressing "Reply" on ``to_this``: to its Reply-To, in its thread, quoting it below the answer."""
    quoted = to_this.get_body(preferencelist=("plain",)).get_content().splitlines()  # type: ignore[union-attr]
    body = f"{text}\n\nOn Mon, 1 Jun 2026, Support wrote:\n" + "\n".join(f"> {line}" for line in quoted)
    reply = written(sender, str(to_this["Reply-To"]), f"Re: {to_this['Subject']}", body, message_id)
    reply["In-Reply-To"] = str(to_this["Message-ID"])
    reply["References"] = f"{to_this['References']} {to_this['Message-ID']}"
    return reply


# --- what each party was told ---------------------------------------------------------------------


def mail_to(person: User, since: int = 0) -> list[tuple[str, str]]:
    """(kind, headline) of each e-mail sent to ``person`` (from ``mail.outbox[since]`` on), in order;
    the kind is the outbox row's that carries the e-mail's Message-ID."""
    sent = [parsed(m) for m in mail.outbox[since:] if m.to == [person.email]]
    kinds = dict(
        Notification.objects.filter(message_id__in=[str(m["Message-ID"]) for m in sent]).values_list(
            "message_id", "kind"
        )
    )
    return [
        (kinds[str(m["Message-ID"])], m.get_body(preferencelist=("plain",)).get_content().splitlines()[0])  # type: ignore[union-attr]
        for m in sent
    ]


def inbox_of(analyst: User) -> list[tuple[str, bool]]:
    """The analyst's admin inbox, oldest first: (kind, read)."""
    notices = AgentNotice.objects.filter(recipient=analyst).order_by("created_at", "pk")
    return [(kind, read_at is not None) for kind, read_at in notices.values_list("kind", "read_at")]


def timers(case: Case) -> dict[str, tuple[str, datetime | None]]:
    return {t.metric: (t.state, t.due_at) for t in SlaTimer.objects.filter(case=case)}


def badge(page: str) -> str:
    """The unread count in the admin header."""
    return re.search(r'class="cd-inbox-count[^"]*" data-unread="(\d+)"', page)[1]  # type: ignore[index]


# --- the analyst's browser ------------------------------------------------------------------------


def admin_login(browser: Client, user: User) -> None:
    """The admin's login form, with its CSRF token, as a person would fill it in."""
    page = browser.get(reverse("admin:login")).content.decode()
    response = browser.post(
        reverse("admin:login"),
        {
            "username": user.username,
            "password": "password-123",  # tests/factories.py
            "csrfmiddlewaretoken": re.search(CSRF_INPUT, page)[1],  # type: ignore[index]
            "next": reverse("admin:index"),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def case_page_form(browser: Client, case: Case, action: str) -> dict[str, str]:
    """Open the case page (which marks the case's notices read) and answer the hidden fields of the
    form that posts to ``action`` (its CSRF token, the queue, the newest comment shown), as a browser
    would send them: the form is on the page."""
    page = browser.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page.content.decode(), re.S
    )
    assert form is not None, f"no form posting to {action} on the case page"
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[1])
    assert "csrfmiddlewaretoken" in dict(hidden)
    return dict(hidden)


def admin_reply(browser: Client, case: Case, text: str) -> None:
    url = reverse("admin:cases_case_reply", args=[case.pk])
    fields = case_page_form(browser, case, url)
    response = browser.post(url, {**fields, "body": text})
    assert response.status_code == 302, response.content


def admin_transition(browser: Client, case: Case, name: str, **fields: str) -> None:
    """A transition button of the case page, and its form when it asks for something."""
    case.refresh_from_db()
    url = reverse("admin:cases_case_transition", args=[case.pk, name])
    page = browser.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert url in page, f"no '{name}' button on the case page"
    token = re.search(CSRF_INPUT, page)[1]  # type: ignore[index]
    response = browser.post(url, {"seen_status": case.status, "csrfmiddlewaretoken": token, **fields})
    assert response.status_code == 302, response.content


# --- the walk -------------------------------------------------------------------------------------


@pytest.fixture
def thames(db, settings):
    call_command("bootstrap", verbosity=0)  # catalogs, queues, the SLA policy, calendars
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    company = CompanyFactory(
        name="Thames Ltd",
        domain="thames.test",
        country="GB",
        subdivision="GB-ENG",
        time_zone="Europe/London",
        language="en",
        plan_tier=PlanTier.SP_PREMIUM,
    )
    financials = ProductFactory(name="Financials", code="financials")  # bootstrap's
    ProductInstanceFactory(company=company, product=financials)
    customer = member(
        company, role=Membership.Role.MEMBER, email="pat@thames.test", first_name="Pat", last_name="Kent"
    )
    analyst = AnalystFactory(first_name="Tamara", last_name="Jones")
    AnalystProfile.objects.create(user=analyst, availability="available")
    Queue.objects.get(product=financials, language="en").analysts.add(analyst)  # routing's choice
    return customer, analyst


def test_the_conversation_from_an_email_to_a_reopened_case(
    thames, time_machine, django_capture_on_commit_callbacks
):
    customer, analyst = thames
    mail_server, browser, api = Client(), Client(enforce_csrf_checks=True), APIClient()

    def step(act: Callable[[], object]) -> object:
        """One party's action; its after-commit work (routing, delivery) runs as a worker would."""
        with django_capture_on_commit_callbacks(execute=True):
            return act()

    def mail_in(message: EmailMessage) -> dict[str, str]:
        """Our receiving server posts a message it received to the inbound endpoint."""
        response = mail_server.generic(
            "POST", ENDPOINT, message.as_bytes(), content_type="message/rfc822", HTTP_X_INBOUND_SECRET=SECRET
        )
        assert response.status_code == 202, response.content
        return response.json()

    def api_move(case: Case, transition: str) -> dict:
        """The customer over the API, with a token of theirs (tokens live hours, not days)."""
        _, secret = api_token_create(user=customer)
        api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        response = api.post(
            f"/api/v1/cases/{case.pk}/transitions/", {"transition": transition}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    def told_since(since: int) -> dict[str, list[tuple[str, str]]]:
        return {"customer": mail_to(customer, since), "analyst": mail_to(analyst, since)}

    # 1. Monday 09:00: Pat writes to the support address. The case opens, Pat is told, and routing
    #    gives it to Tamara, who gets an inbox line and an e-mail.
    time_machine.move_to(at(1, 9), tick=False)
    first = written(
        customer.email,
        settings.SUPPORT_EMAIL_ADDRESS,
        SUBJECT,
        "The payment run stops with a bank error.\n\nError message: BANK-42 file rejected\n"
        "Scope: the accounts payable team\n",
        "<first@thames.test>",
    )
    assert step(lambda: mail_in(first)) == {"outcome": "opened", "reason": ""}
    case = Case.objects.get()
    assert (case.status, case.opened_by, case.assignee, case.priority) == (S.OPEN, customer, analyst, "P2")
    assert case.events.get(type=CaseEvent.Type.CREATED).data["channel"] == "email"
    assert timers(case) == {Metric.FIRST_RESPONSE: ("running", at(1, 13))}  # 4 business hours
    assert told_since(0) == {
        "customer": [("case_created", f"We received your case: {SUBJECT}")],
        "analyst": [("agent_assigned", "Assigned to you")],
    }
    assert inbox_of(analyst) == [("assigned", False)]

    # 2. 09:30: Tamara logs in to the admin and sees one unread notice; she opens the case (read),
    #    starts it and replies with the case page's reply form. A post without the form's CSRF
    #    token changes nothing.
    time_machine.move_to(at(1, 9, 30), tick=False)
    admin_login(browser, analyst)
    assert badge(browser.get(reverse("admin:index")).content.decode()) == "1"
    reply_url = reverse("admin:cases_case_reply", args=[case.pk])
    assert browser.post(reply_url, {"body": "Forged."}).status_code == 403
    mark = len(mail.outbox)
    step(lambda: admin_transition(browser, case, "start"))
    step(lambda: admin_reply(browser, case, "Which bank file format do you use?"))
    assert inbox_of(analyst) == [("assigned", True)]
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    # First response given at 09:30; the next update is due 12 business hours later: 8 h 30 on
    # Monday, 3 h 30 on Tuesday from 06:00.
    assert timers(case) == {
        Metric.FIRST_RESPONSE: ("met", at(1, 13)),
        Metric.NEXT_UPDATE: ("running", at(2, 9, 30)),
    }
    assert told_since(mark) == {"customer": [("support_reply", "New reply from support")], "analyst": []}
    support_reply = parsed(mail.outbox[-1])
    assert "Which bank file format do you use?" in support_reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # 3. 10:00: Pat answers that e-mail in their mail client; it becomes Pat's comment, and Tamara
    #    is told what Pat wrote (without the quoted history).
    time_machine.move_to(at(1, 10), tick=False)
    mark = len(mail.outbox)
    sepa = answer(support_reply, customer.email, "SEPA XML.", "<second@thames.test>")
    assert step(lambda: mail_in(sepa))["outcome"] == "commented"
    assert Comment.objects.filter(case=case, author=customer).get().body == "SEPA XML."
    assert told_since(mark) == {"customer": [], "analyst": [("agent_customer_reply", f"{customer} replied")]}
    assert "SEPA XML." in mail.outbox[-1].body and "Which bank" not in mail.outbox[-1].body
    assert inbox_of(analyst) == [("assigned", True), ("customer_reply", False)]

    # 4. 11:00: Tamara opens the case and proposes a resolution; Pat has 9 days to answer.
    time_machine.move_to(at(1, 11), tick=False)
    mark = len(mail.outbox)
    step(lambda: admin_transition(browser, case, "propose_resolution", resolution="Bank format updated."))
    case.refresh_from_db()
    assert (case.status, case.whose_move, case.auto_close_at) == (
        S.VERIFY_RESOLUTION,
        "customer",
        at(1, 11) + timedelta(days=9),
    )
    assert timers(case)[Metric.NEXT_UPDATE] == ("paused", None)
    assert told_since(mark) == {
        "customer": [("verify_resolution", "Please verify the resolution")],
        "analyst": [],
    }
    assert inbox_of(analyst) == [("assigned", True), ("customer_reply", True)]
    verify = parsed(mail.outbox[-1])

    # 5. Tuesday 09:00: Pat answers "still broken" to that e-mail. The case is back with support
    #    (an event naming Pat's comment), will not close by itself, and Tamara is told once.
    time_machine.move_to(at(2, 9), tick=False)
    mark = len(mail.outbox)
    broken = answer(verify, customer.email, "Still broken: the bank rejects the file.", "<third@thames.test>")
    assert step(lambda: mail_in(broken))["outcome"] == "commented"
    case.refresh_from_db()
    assert (case.status, case.whose_move, case.auto_close_at) == (S.IN_PROGRESS, "customer_support", None)
    still_broken = Comment.objects.filter(case=case, author=customer).latest("id")
    hand_back = case.events.get(transition="reject_resolution")
    assert (hand_back.actor, hand_back.from_status, hand_back.to_status) == (
        customer,
        S.VERIFY_RESOLUTION,
        S.IN_PROGRESS,
    )
    assert hand_back.data == {"comment_id": still_broken.pk, "cause": "customer_comment"}
    assert f"comment #{still_broken.pk}" in hand_back.note
    assert told_since(mark) == {
        "customer": [],
        "analyst": [("agent_resolution_rejected", f"{customer} says the resolution does not work")],
    }
    assert "Still broken: the bank rejects the file." in mail.outbox[-1].body
    assert inbox_of(analyst)[-1] == ("resolution_rejected", False)
    # The next update runs again with the 12 h it had left: 9 h on Tuesday, 3 h on Wednesday.
    assert timers(case)[Metric.NEXT_UPDATE] == ("running", at(3, 9))
    assert case_auto_close_due(now=at(1, 11) + timedelta(days=9)) == []

    # 6. 14:00: Tamara proposes again; 16:00: Pat confirms over the API. Closed, every timer stopped.
    time_machine.move_to(at(2, 14), tick=False)
    mark = len(mail.outbox)
    step(
        lambda: admin_transition(browser, case, "propose_resolution", resolution="Bank certificate renewed.")
    )
    time_machine.move_to(at(2, 16), tick=False)
    assert step(lambda: api_move(case, "confirm_resolution"))["status"] == "closed"  # type: ignore[index]
    assert {metric: state for metric, (state, _) in timers(case).items()} == {
        Metric.FIRST_RESPONSE: "met",
        Metric.NEXT_UPDATE: "met",
    }
    assert told_since(mark) == {
        "customer": [
            ("verify_resolution", "Please verify the resolution"),
            ("case_closed", "Your case is closed"),
        ],
        "analyst": [],
    }

    # 7. Wednesday 10:00, within the 3 days: Pat reopens it over the API. The next-update timer
    #    runs again (12 business hours: 8 h Wednesday, 4 h Thursday), and Tamara is told.
    time_machine.move_to(at(3, 10), tick=False)
    mark = len(mail.outbox)
    reopened = step(lambda: api_move(case, "reopen"))
    assert (reopened["status"], reopened["whose_move"]) == ("in_progress", "customer_support")  # type: ignore[index]
    assert timers(case)[Metric.NEXT_UPDATE] == ("running", at(4, 10))
    sla = {t["metric"]: t for t in reopened["sla"]}  # type: ignore[index]
    assert (sla["next_update"]["state"], sla["next_update"]["due_at"]) == ("running", "2026-06-04T09:00:00Z")
    assert case.events.get(type="sla_restarted").data["due_at"] == at(4, 10).astimezone(UTC).isoformat()
    assert told_since(mark) == {
        "customer": [("reopened", "Case reopened")],
        "analyst": [("agent_reopened", f"{customer} reopened the case")],
    }
    assert badge(browser.get(reverse("admin:index")).content.decode()) == "1"

    # Everything each party received, in order.
    assert mail_to(customer) == [
        ("case_created", f"We received your case: {SUBJECT}"),
        ("support_reply", "New reply from support"),
        ("verify_resolution", "Please verify the resolution"),
        ("verify_resolution", "Please verify the resolution"),
        ("case_closed", "Your case is closed"),
        ("reopened", "Case reopened"),
    ]
    assert mail_to(analyst) == [
        ("agent_assigned", "Assigned to you"),
        ("agent_customer_reply", f"{customer} replied"),
        ("agent_resolution_rejected", f"{customer} says the resolution does not work"),
        ("agent_reopened", f"{customer} reopened the case"),
    ]
    assert inbox_of(analyst) == [
        ("assigned", True),
        ("customer_reply", True),
        ("resolution_rejected", True),
        ("reopened", False),
    ]
    assert len(mail.outbox) == 10  # nobody else was mailed, nothing twice

    # One thread: every e-mail we sent about the case answers the case's thread id and has its own
    # Message-ID; Pat's answers answer the e-mails Pat received; the customer's go to the case's
    # reply address, the analyst's have none (staff answer in the admin).
    thread = case_thread_id(case)
    sent = [parsed(m) for m in mail.outbox]
    assert len({str(m["Message-ID"]) for m in sent}) == len(sent)
    for message in sent:
        assert (str(message["In-Reply-To"]), re.findall(r"<[^>]+>", str(message["References"]))) == (
            thread,
            [thread],
        )
        assert str(message["Subject"]) == f"[{case.number}] {SUBJECT}"
        to_customer = str(message["To"]) == customer.email
        reply_address = f"case+{case.reply_token}@{settings.INBOUND_EMAIL_DOMAIN}"
        assert message["Reply-To"] == (reply_address if to_customer else None)
    for ours, theirs in ((support_reply, sepa), (verify, broken)):
        assert theirs["In-Reply-To"] == ours["Message-ID"]
        assert re.findall(r"<[^>]+>", str(theirs["References"])) == [thread, str(ours["Message-ID"])]

    # The case's whole history, and the inbound log.
    assert list(case.events.order_by("created_at", "id").values_list("type", "transition", "to_status")) == [
        ("created", "", "open"),
        ("assigned", "", ""),
        ("transition", "start", "in_progress"),
        ("commented", "", ""),  # Tamara's answer
        ("commented", "", ""),  # Pat's e-mail
        ("transition", "propose_resolution", "verify_resolution"),
        ("commented", "", ""),  # "still broken"
        ("transition", "reject_resolution", "in_progress"),
        ("transition", "propose_resolution", "verify_resolution"),
        ("transition", "confirm_resolution", "closed"),
        ("reopened", "reopen", "in_progress"),
        ("sla_restarted", "", ""),
    ]
    assert list(InboundEmail.objects.order_by("received_at", "pk").values_list("outcome", "case")) == [
        ("opened", case.pk),
        ("commented", case.pk),
        ("commented", case.pk),
    ]
