"""The conversation, walked over HTTP and inbound e-mail (issue 18, the case-flow half): the customer
opens a case by e-mail, the analyst answers from the admin, the customer answers by e-mail in the
same thread, the analyst proposes a resolution, the customer says "still broken" by e-mail and the
case is back with support, then it is closed and reopened with its timers running.

States, events and timers are asserted at every step; the notices each party receives are asserted
where the notification half adds them (analyst notices). Instants in London (GB-ENG, business hours
06:00–18:00, Monday 1 June 2026: an ordinary working day in England)."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership, PlanTier
from accounts.services import api_token_create
from cases.models import Case, CaseEvent, Comment
from cases.services import case_auto_close_due
from notifications.models import InboundEmail
from notifications.services import notifications_deliver_due
from sla.models import Metric, SlaTimer
from tests.factories import AnalystFactory, CompanyFactory, ProductFactory, ProductInstanceFactory, member
from tests.notifications.inbound_mail import AUTHSERV_ID, ENDPOINT, SECRET, trusted_results

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
S = Case.Status


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=LONDON)


def email(sender: str, to: str, subject: str, text: str, message_id: str) -> bytes:
    """A message as our receiving server hands it over: SPF/DKIM checked, verdicts in its header."""
    message = EmailMessage()
    message["Authentication-Results"] = trusted_results(sender)
    message["From"] = f"Pat Customer <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    return message.as_bytes()


def timers(case: Case) -> dict[str, tuple[str, datetime | None]]:
    return {t.metric: (t.state, t.due_at) for t in SlaTimer.objects.filter(case=case)}


def history(case: Case) -> list[tuple[str, str, str]]:
    """(type, transition, to_status) of every event so far, oldest first."""
    return list(case.events.order_by("created_at", "id").values_list("type", "transition", "to_status"))


@pytest.fixture
def world(db, settings):
    call_command("bootstrap", verbosity=0)
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    company = CompanyFactory(
        name="Thames Ltd",
        domain="thames.test",
        country="GB",
        subdivision="GB-ENG",
        time_zone="Europe/London",
        language="en",
        plan_tier=PlanTier.SP_PREMIUM,  # band 2: P2 first response 4 h, next update 12 h (business)
    )
    ProductInstanceFactory(company=company, product=ProductFactory(name="Financials", code="financials"))
    customer = member(company, role=Membership.Role.MEMBER, email="pat@thames.test")
    return {"company": company, "customer": customer, "analyst": AnalystFactory()}


def test_the_conversation_from_an_email_to_a_reopened_case(world, client, api_client, time_machine):
    customer, analyst = world["customer"], world["analyst"]

    def mail_in(to: str, subject: str, text: str, message_id: str) -> dict[str, str]:
        response = api_client.generic(
            "POST",
            ENDPOINT,
            email(customer.email, to, subject, text, message_id),
            content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET=SECRET,
        )
        assert response.status_code == 202
        return response.json()

    # 1. Monday 09:00: the customer writes to the support address; the case opens.
    time_machine.move_to(at(1, 9), tick=False)
    opened = mail_in(
        settings.SUPPORT_EMAIL_ADDRESS,
        "Payment run stopped",
        "The payment run stops with a bank error.\n\nError message: BANK-42 file rejected\n"
        "Scope: the accounts payable team\n",
        "<first@thames.test>",
    )
    assert opened == {"outcome": "opened", "reason": ""}
    case = Case.objects.get()
    assert (case.status, case.whose_move, case.opened_by, case.priority) == (
        S.OPEN,
        "customer_support",
        customer,
        "P2",
    )
    assert case.error_message == "BANK-42 file rejected"
    assert timers(case) == {Metric.FIRST_RESPONSE: ("running", at(1, 13))}  # 4 business hours
    created = case.events.get(type=CaseEvent.Type.CREATED)
    assert (created.actor, created.data["channel"]) == (customer, "email")

    # 2. 09:30: the analyst takes the case and answers from the admin.
    time_machine.move_to(at(1, 9, 30), tick=False)
    client.force_login(analyst)
    client.post(reverse("admin:cases_case_transition", args=[case.pk, "start"]), {"seen_status": "open"})
    client.post(
        reverse("admin:cases_case_reply", args=[case.pk]), {"body": "Which bank file format do you use?"}
    )
    case.refresh_from_db()
    assert (case.status, case.assignee) == (S.IN_PROGRESS, analyst)
    # First response given at 09:30; the next update is due 12 business hours later: 8 h 30 on
    # Monday, 3 h 30 on Tuesday from 06:00.
    assert timers(case) == {
        Metric.FIRST_RESPONSE: ("met", at(1, 13)),
        Metric.NEXT_UPDATE: ("running", at(2, 9, 30)),
    }

    # 3. 10:00: the customer answers the analyst's e-mail; the reply lands in the case's thread.
    notifications_deliver_due()
    (reply_mail,) = [m for m in mail.outbox if m.to == [customer.email] and "New reply" in m.subject]
    (thread_address,) = reply_mail.reply_to
    assert thread_address == f"case+{case.reply_token}@{settings.INBOUND_EMAIL_DOMAIN}"
    time_machine.move_to(at(1, 10), tick=False)
    answered = mail_in(
        thread_address,
        "Re: [CS] New reply from support",
        "SEPA XML.\n\nOn Mon, 1 Jun 2026, Support wrote:\n> Which bank file format do you use?",
        "<second@thames.test>",
    )
    assert answered["outcome"] == "commented"
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS  # it was support's move already
    assert Comment.objects.filter(case=case, author=customer).get().body == "SEPA XML."

    # 4. 11:00: the analyst proposes a resolution from the admin; the customer has 9 days.
    time_machine.move_to(at(1, 11), tick=False)
    client.post(
        reverse("admin:cases_case_transition", args=[case.pk, "propose_resolution"]),
        {"seen_status": "in_progress", "resolution": "Bank format updated: please run it again."},
    )
    case.refresh_from_db()
    assert (case.status, case.whose_move, case.auto_close_at) == (
        S.VERIFY_RESOLUTION,
        "customer",
        at(1, 11) + timedelta(days=9),
    )
    assert timers(case)[Metric.NEXT_UPDATE] == ("paused", None)

    # 5. Tuesday 09:00: "still broken", by e-mail: the case is back with support, and stays so.
    time_machine.move_to(at(2, 9), tick=False)
    broken = mail_in(
        thread_address, "Re: Please verify", "Still broken: the bank rejects the file.", "<third@thames.test>"
    )
    assert broken["outcome"] == "commented"
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
    # The next update runs again with the 12 h it had left: 9 h on Tuesday, 3 h on Wednesday.
    assert timers(case)[Metric.NEXT_UPDATE] == ("running", at(3, 9))
    assert case_auto_close_due(now=at(1, 11) + timedelta(days=9)) == []  # the deadline closes nothing

    # 6. The analyst proposes again; the customer confirms over the API: closed, every timer stopped.
    time_machine.move_to(at(2, 14), tick=False)
    client.post(
        reverse("admin:cases_case_transition", args=[case.pk, "propose_resolution"]),
        {"seen_status": "in_progress", "resolution": "Bank certificate renewed."},
    )
    _, secret = api_token_create(user=customer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    time_machine.move_to(at(2, 16), tick=False)
    closed = api_client.post(
        f"/api/v1/cases/{case.pk}/transitions/", {"transition": "confirm_resolution"}, format="json"
    )
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert {metric: state for metric, (state, _due) in timers(case).items()} == {
        Metric.FIRST_RESPONSE: "met",
        Metric.NEXT_UPDATE: "met",
    }

    # 7. Wednesday 10:00: the customer reopens it over the API; the next-update clock runs again.
    time_machine.move_to(at(3, 10), tick=False)
    _, secret = api_token_create(user=customer)  # yesterday's token has expired
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    reopened = api_client.post(
        f"/api/v1/cases/{case.pk}/transitions/", {"transition": "reopen"}, format="json"
    )
    assert reopened.status_code == 200, reopened.json()
    assert (reopened.json()["status"], reopened.json()["whose_move"]) == ("in_progress", "customer_support")
    # 12 business hours from Wednesday 10:00: 8 h Wednesday, 4 h Thursday from 06:00.
    assert timers(case)[Metric.NEXT_UPDATE] == ("running", at(4, 10))
    sla = {t["metric"]: t for t in reopened.json()["sla"]}
    assert (sla["next_update"]["state"], sla["next_update"]["due_at"]) == ("running", "2026-06-04T09:00:00Z")

    # The whole history, in order.
    assert history(case) == [
        ("created", "", "open"),
        ("transition", "start", "in_progress"),
        ("commented", "", ""),  # the analyst's answer
        ("commented", "", ""),  # the customer's e-mail
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
    assert case.events.get(type="sla_restarted").data["due_at"] == at(4, 10).astimezone(UTC).isoformat()
