"""The conversation between a customer and an analyst, walked over HTTP (the API, the admin) and
inbound e-mail, with the notices each party receives asserted in order: nobody's message waits
unseen, each event mails each person once, and every e-mail of the case is in one thread.

The issue's full walk (issue 18) also opens the case by e-mail and has the customer reject the
resolution by e-mail; both are the case-flow half's (new cases by e-mail, the Verify Resolution
answer rule) and use the API here until it lands.
"""

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.models import Membership
from cases.models import AgentNotice, AnalystProfile, Case, Queue
from notifications.outbox import case_thread_id
from tests.factories import AnalystFactory, CompanyFactory, ProductInstanceFactory, member
from tests.notifications.inbound_mail import AUTHSERV_ID, ENDPOINT, SECRET, trusted_results

pytestmark = pytest.mark.django_db
# A Monday morning in Paris, inside business hours.
START = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def received(message) -> EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def answer(to_this: EmailMessage, sender: str, text: str) -> bytes:
    """The customer's mail client answering ``to_this``: to its Reply-To, in its thread."""
    reply = EmailMessage()
    reply["Authentication-Results"] = trusted_results(sender)
    reply["From"] = sender
    reply["To"] = str(to_this["Reply-To"])
    reply["Subject"] = f"Re: {to_this['Subject']}"
    reply["In-Reply-To"] = str(to_this["Message-ID"])
    reply["References"] = f"{to_this['References']} {to_this['Message-ID']}"
    quoted = to_this.get_body(preferencelist=("plain",)).get_content().splitlines()[0]  # type: ignore[union-attr]
    reply.set_content(f"{text}\n\nLe lun. 1 juin 2026, Support a écrit :\n> {quoted}")
    return reply.as_bytes()


def test_the_whole_conversation_tells_each_party_in_order(
    api_client, client, settings, django_capture_on_commit_callbacks
):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    call_command("bootstrap", verbosity=0)  # catalogs, SLA policy, calendars
    company = CompanyFactory(language="fr", time_zone="Europe/Paris")
    instance = ProductInstanceFactory(company=company)
    customer = member(company, role=Membership.Role.DSU)
    analyst = AnalystFactory()
    AnalystProfile.objects.create(user=analyst, availability="available")
    Queue.objects.create(name="Everything").analysts.add(analyst)
    client.force_login(analyst)

    def step(act):
        with django_capture_on_commit_callbacks(execute=True):  # routing and delivery, as a worker would
            return act()

    with time_machine.travel(START, tick=False) as clock:
        # The customer opens a case; routing gives it to the available analyst, who is told.
        api_client.force_authenticate(customer)
        created = step(
            lambda: api_client.post(
                "/api/v1/cases/",
                {
                    "product_instance": instance.pk,
                    "subject": "Export FEC incomplet",
                    "problem_summary": "Il manque des écritures.",
                    "reason": "system-issue",
                    "application_area": "user-administration",
                    "business_impact_scope": "organisation",
                    "business_impact": "medium",
                },
                format="json",
            )
        )
        assert created.status_code == 201, created.content
        case = Case.objects.get(pk=created.json()["id"])
        assert case.assignee == analyst

        # The analyst takes it and replies from the admin.
        clock.shift(timedelta(minutes=20))
        step(lambda: client.post(f"/admin/cases/case/{case.pk}/transition/start/", {"seen_status": "open"}))
        step(
            lambda: client.post(
                f"/admin/cases/case/{case.pk}/reply/", {"body": "Quelle période exportez-vous ?"}
            )
        )

        # The customer answers by e-mail, replying to that e-mail: a comment, and the analyst is told.
        clock.shift(timedelta(minutes=30))
        support_reply = received(mail.outbox[-1])
        inbound = step(
            lambda: api_client.generic(
                "POST",
                ENDPOINT,
                answer(support_reply, customer.email, "Janvier 2026."),
                content_type="message/rfc822",
                HTTP_X_INBOUND_SECRET=SECRET,
            )
        )
        assert inbound.json()["outcome"] == "commented"

        # The analyst proposes a resolution; the customer says it is still broken.
        clock.shift(timedelta(hours=1))
        step(
            lambda: client.post(
                f"/admin/cases/case/{case.pk}/transition/propose_resolution/",
                {"seen_status": "in_progress", "resolution": "Relancez l'export avec le correctif."},
            )
        )
        clock.shift(timedelta(hours=1))
        rejected = step(
            lambda: api_client.post(
                f"/api/v1/cases/{case.pk}/transitions/",
                {"transition": "reject_resolution", "message": "Toujours cassé."},
                format="json",
            )
        )
        assert rejected.json()["status"] == "in_progress"  # back with support

        # Fixed at last, confirmed, closed; then reopened within the window.
        clock.shift(timedelta(hours=1))
        step(
            lambda: client.post(
                f"/admin/cases/case/{case.pk}/transition/propose_resolution/",
                {"seen_status": "in_progress", "resolution": "Corrigé pour de bon."},
            )
        )
        clock.shift(timedelta(hours=1))
        step(
            lambda: api_client.post(
                f"/api/v1/cases/{case.pk}/transitions/", {"transition": "confirm_resolution"}, format="json"
            )
        )
        clock.shift(timedelta(days=1))
        reopened = step(
            lambda: api_client.post(
                f"/api/v1/cases/{case.pk}/transitions/", {"transition": "reopen"}, format="json"
            )
        )
        assert reopened.json()["status"] == "in_progress"

    # What each party received, in order: their e-mails' first lines (what happened)...
    def heard(person):
        return [m.body.splitlines()[0] for m in mail.outbox if m.to == [person.email]]

    assert heard(customer) == [
        "Nous avons bien reçu votre cas : Export FEC incomplet",
        "Nouvelle réponse du support",
        "Merci de vérifier la résolution",
        "Merci de vérifier la résolution",
        "Votre cas est fermé",
        "Cas rouvert",
    ]
    assert heard(analyst) == [
        "Assigned to you",
        f"{customer} replied",
        f"{customer} says the resolution does not work",
        f"{customer} reopened the case",
    ]
    # ... and the analyst's inbox, newest first, all unread until they open the case.
    assert list(AgentNotice.objects.filter(recipient=analyst).values_list("kind", "read_at")) == [
        ("reopened", None),
        ("resolution_rejected", None),
        ("customer_reply", None),
        ("assigned", None),
    ]
    assert "Janvier 2026." in next(
        m.body for m in mail.outbox if m.to == [analyst.email] and "replied" in m.body
    )
    # Every e-mail of the case, to either party, is in the case's thread.
    thread = case_thread_id(case)
    for message in mail.outbox:
        parsed = received(message)
        assert re.findall(r"<[^>]+>", str(parsed["References"])) == [thread]
        assert str(parsed["Subject"]) == f"[{case.number}] Export FEC incomplet"
