"""New cases by e-mail: mail to the support address from a known, authenticated person who may act
for a company opens a case under the API's rules; anyone else gets one polite, rate-limited answer
and nothing is created; mail sent by machines is never applied nor answered."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from accounts.models import Membership, ProductInstance
from cases.models import Attachment, Case, CaseEvent, Comment
from inbound.models import InboundAutoReply, InboundEmail
from inbound.parsing import InboundAttachment, parse_json, parse_mime
from inbound.processing import inbound_email_process
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.rendering import render_email
from tests.factories import (
    AnalystFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductFactory,
    ProductInstanceFactory,
    USCompanyFactory,
    member,
    partner_user,
)
from tests.inbound.inbound_mail import (
    AUTHSERV_ID,
    ENDPOINT,
    SECRET,
    inbound,
    json_payload,
    trusted_results,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # Monday 09:00 in Paris


@pytest.fixture(autouse=True)
def reference_data(db, settings):
    call_command("bootstrap", verbosity=0)  # case reasons, application areas, the SLA policy
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    settings.INBOUND_EMAIL_SECRET = SECRET


def support() -> str:
    return settings.SUPPORT_EMAIL_ADDRESS


def to_support(
    sender: str, text: str, *, subject: str = "Journal entries fail", now: datetime = NOW, **kwargs
) -> InboundEmail:
    message = inbound(sender, support(), text, **kwargs)
    message.subject = subject
    return inbound_email_process(message=message, now=now)


def raw(sender: str, text: str = "Posting fails.", *, to: str | None = None, **headers: str) -> bytes:
    """A raw message our receiving server authenticated, with extra ``headers`` (underscores: dashes)."""
    message = EmailMessage()
    message["Authentication-Results"] = trusted_results(sender)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message["From"] = sender
    message["To"] = to or support()
    message["Subject"] = "Journal entries fail"
    message.set_content(text)
    return message.as_bytes()


def answers() -> list[Notification]:
    return list(Notification.objects.filter(kind__startswith="inbound_").order_by("pk"))


def french_company():
    company = CompanyFactory(domain="bouquet.test")  # FR, French, one production instance below
    ProductInstanceFactory(company=company)
    return company


# --- opening --------------------------------------------------------------------------------------


def test_a_member_opens_a_case_by_writing_to_support():
    company = french_company()
    customer = member(company)

    logged = to_support(customer.email, "Posting a journal entry fails since this morning.")

    case = Case.objects.get()
    assert (logged.outcome, logged.case, logged.reason) == ("opened", case, "")
    assert (case.company, case.opened_by, case.product_instance) == (
        company,
        customer,
        company.product_instances.get(),
    )
    assert (case.subject, case.problem_summary) == (
        "Journal entries fail",
        "Posting a journal entry fails since this morning.",
    )
    assert (case.reason.code, case.application_area.code) == ("system-issue", "to-be-classified")
    assert (case.business_impact_scope, case.business_impact, case.priority) == ("individual", "medium", "P3")
    created = case.events.get(type=CaseEvent.Type.CREATED)
    assert created.data["channel"] == "email"
    assert created.data["missing_fields"] == [
        "error_message",
        "occurred_at",
        "users_affected",
        "replication_steps",
        "expected_result",
        "worked_before",
        "troubleshooting_tried",
    ]
    # The acknowledgement (the usual "case received" e-mail) asks for them, in the company's language.
    ack = Notification.objects.get(kind="case_created")
    assert (ack.to_address, ack.language) == (customer.email, "fr")
    text = render_email(kind=ack.kind, language=ack.language, context=ack.context).text
    assert "le message d'erreur exact ; la date et l'heure du problème" in text
    assert "le dépannage déjà tenté." in text
    assert not answers()


def test_labelled_lines_fill_the_description_template_and_the_impact():
    company = french_company()
    customer = member(company)
    text = (
        "The payment run stops.\n\n"
        "Error message: BANK-42 file rejected\n"
        "Date and time: 2026-05-29 16:45\n"
        "Steps to reproduce:\n1. Open payments\n2. Run\n"
        "Business impact: high\n"
        "Scope: the whole company\n"
        "-- \nJane, Finance"
    )

    to_support(customer.email, text, subject="Re: Payment run")

    case = Case.objects.get()
    assert (case.subject, case.problem_summary) == ("Payment run", "The payment run stops.")
    assert case.error_message == "BANK-42 file rejected"
    assert case.replication_steps == "1. Open payments\n2. Run"
    assert case.occurred_at == datetime(2026, 5, 29, 14, 45, tzinfo=UTC)  # 16:45 in Paris
    assert (case.business_impact_scope, case.business_impact, case.priority) == ("organisation", "high", "P1")
    missing = case.events.get(type=CaseEvent.Type.CREATED).data["missing_fields"]
    assert missing == ["users_affected", "expected_result", "worked_before", "troubleshooting_tried"]


def test_an_unreadable_date_stays_in_the_summary_and_is_asked_for():
    customer = member(french_company())

    to_support(customer.email, "It fails.\nDate et heure : hier après-midi")

    case = Case.objects.get()
    assert case.occurred_at is None
    assert case.problem_summary == "It fails.\n\nDate and time: hier après-midi"
    assert "occurred_at" in case.events.get(type=CaseEvent.Type.CREATED).data["missing_fields"]


def test_the_product_named_picks_the_instance_and_an_unnamed_one_is_asked_for():
    company = CompanyFactory(domain="thames.test", country="GB", language="en")
    financials = ProductFactory(name="Financials", code="financials")
    time = ProductFactory(name="Intelligent Time", code="intelligent-time")
    ProductInstanceFactory(company=company, product=financials)
    ProductInstanceFactory(
        company=company, product=financials, environment=ProductInstance.Environment.SANDBOX
    )
    wanted = ProductInstanceFactory(company=company, product=time)
    customer = member(company)

    unnamed = to_support(customer.email, "Something fails.")
    named = to_support(
        customer.email, "Timesheets fail.\nProduct: Intelligent Time", now=NOW + timedelta(days=2)
    )

    assert (unnamed.outcome, unnamed.reason.split(":")[0]) == ("refused", "product_unclear")
    (asked,) = answers()
    assert (asked.kind, asked.recipient, asked.language) == ("inbound_case_details_needed", customer, "en")
    text = render_email(kind=asked.kind, language=asked.language, context=asked.context).text
    assert '"Product: Financials" (one of: Financials, Intelligent Time)' in text
    assert named.outcome == "opened"
    assert Case.objects.get().product_instance == wanted


def test_a_sandbox_mention_picks_the_sandbox_instance():
    company = CompanyFactory(domain="acme-fr.test")
    financials = ProductFactory(name="Financials", code="financials")
    ProductInstanceFactory(company=company, product=financials)
    sandbox = ProductInstanceFactory(company=company, product=financials, environment="sandbox")

    to_support(member(company).email, "Fails.\nProduct: Financials sandbox")

    assert Case.objects.get().product_instance == sandbox


# --- who may open: the API's rule ----------------------------------------------------------------


def test_a_us_member_is_refused_and_told_who_can_authorise_them():
    us = USCompanyFactory(domain="acme.test")
    ProductInstanceFactory(company=us)
    manager = member(us, role=Membership.Role.MANAGER, first_name="Mary", last_name="Boss")
    plain = member(us)

    logged = to_support(plain.email, "Please help.")

    assert not Case.objects.exists()
    assert (logged.outcome, logged.reason.split(":")[0]) == ("refused", "dsu_required")
    (answer,) = answers()
    assert (answer.kind, answer.to_address, answer.context["reason"]) == (
        "inbound_no_access",
        plain.email,
        "dsu_required",
    )
    text = render_email(kind=answer.kind, language=answer.language, context=answer.context).text
    assert "only a designated support user may contact support" in text
    assert f"Mary Boss <{manager.email}>" in text


def test_a_us_dsu_opens_a_case():
    us = USCompanyFactory(domain="acme.test")
    ProductInstanceFactory(company=us)
    dsu = member(us, role=Membership.Role.DSU)

    assert to_support(dsu.email, "Please help.").outcome == "opened"
    assert Case.objects.get().opened_by == dsu


def test_a_pending_member_is_refused_and_told_why():
    company = french_company()
    member(company, role=Membership.Role.MANAGER)
    pending = member(company, status=Membership.Status.PENDING)

    logged = to_support(pending.email, "Bonjour")

    assert logged.reason.startswith("membership_inactive") and not Case.objects.exists()
    (answer,) = answers()
    assert (answer.language, answer.context["reason"]) == ("fr", "membership_inactive")
    assert answer.context["managers"]


def test_a_partner_opens_for_the_client_its_message_names():
    acme, thames = french_company(), CompanyFactory(name="Thames Ltd", domain="thames.test", country="GB")
    ProductInstanceFactory(company=thames)
    partner = partner_user(PartnerEstablishmentFactory(clients=[acme, thames]))

    by_subject = to_support(partner.email, "Fails.", subject="Thames Ltd: journal entries fail")
    by_line = to_support(partner.email, f"Fails.\nCompany: {acme.name}", subject="Journal entries fail")

    assert (by_subject.outcome, by_line.outcome) == ("opened", "opened")
    assert list(Case.objects.order_by("pk").values_list("company", "opened_by")) == [
        (thames.pk, partner.pk),
        (acme.pk, partner.pk),
    ]


def test_a_partner_who_names_no_client_is_asked_which():
    acme, thames = french_company(), CompanyFactory(name="Thames Ltd", domain="thames.test", country="GB")
    partner = partner_user(PartnerEstablishmentFactory(clients=[acme, thames]))

    logged = to_support(partner.email, "Fails.")

    assert logged.reason.startswith("company_unclear") and not Case.objects.exists()
    (answer,) = answers()
    assert answer.kind == "inbound_case_details_needed"
    assert answer.context["options"] == ", ".join(sorted([acme.name, thames.name]))


def test_a_partner_serving_one_client_opens_for_it():
    acme = french_company()
    partner = partner_user(PartnerEstablishmentFactory(clients=[acme]))

    assert to_support(partner.email, "Fails.").outcome == "opened"
    assert Case.objects.get().company == acme


def test_a_partner_naming_a_client_it_does_not_serve_opens_nothing():
    served, other = french_company(), CompanyFactory(name="Olivar SL", domain="olivar.test")
    sibling = PartnerEstablishmentFactory(clients=[other])
    partner = partner_user(PartnerEstablishmentFactory(partner=sibling.partner, clients=[served]))

    logged = to_support(partner.email, "Fails.\nCompany: Olivar SL")

    assert logged.reason.startswith("company_unclear") and not Case.objects.exists()
    assert answers()[0].context["options"] == served.name  # only its own clients are offered


def test_a_partner_whose_establishment_serves_nobody_is_told_so():
    partner = partner_user(PartnerEstablishmentFactory())

    logged = to_support(partner.email, "Fails.")

    assert logged.reason.startswith("partner_not_serving_company") and not Case.objects.exists()
    assert [a.context["reason"] for a in answers()] == ["partner_not_serving_company"]


def test_staff_writing_to_support_open_nothing_and_get_no_answer():
    french_company()

    logged = to_support(AnalystFactory().email, "Test")

    assert logged.reason.startswith("staff_sender")
    assert not Case.objects.exists() and not answers()


# --- strangers: one polite answer a day ----------------------------------------------------------


def test_an_unknown_sender_gets_one_answer_a_day(time_machine):
    time_machine.move_to(NOW, tick=False)
    stranger = "someone@elsewhere.example"

    def write() -> InboundEmail:
        return inbound_email_process(message=inbound(stranger, support(), "Can you help?"))

    first = write()
    time_machine.move_to(NOW + timedelta(hours=24) - timedelta(seconds=1), tick=False)
    second = write()
    time_machine.move_to(NOW + timedelta(hours=24), tick=False)
    third = write()

    assert [log.reason for log in (first, second, third)] == [
        "sender_unknown: Unknown (or ambiguous) sender address. (answered)",
        "sender_unknown: Unknown (or ambiguous) sender address. (not answered: already answered within the interval)",
        "sender_unknown: Unknown (or ambiguous) sender address. (answered)",
    ]
    assert [(a.to_address, a.language, a.context["reason"]) for a in answers()] == [
        (stranger, "en", "sender_unknown")
    ] * 2
    assert InboundAutoReply.objects.get().sent_count == 2
    assert not Case.objects.exists()


def test_an_unknown_sender_on_a_company_domain_is_answered_in_its_language_without_names():
    company = french_company()
    member(company, role=Membership.Role.MANAGER)

    to_support("nouveau@bouquet.test", "Bonjour, je n'ai pas de compte.")

    (answer,) = answers()
    assert (answer.language, answer.context["managers"], answer.recipient) == ("fr", "", None)
    text = render_email(kind=answer.kind, language=answer.language, context=answer.context).text
    assert "cette adresse n'appartient à aucun utilisateur" in text


def test_the_answer_is_marked_as_automatic_so_autoresponders_stay_quiet():
    to_support("someone@elsewhere.example", "Hello")

    notifications_deliver_due(now=NOW)

    (sent,) = mail.outbox
    assert (sent.to, sent.extra_headers["Auto-Submitted"]) == (["someone@elsewhere.example"], "auto-replied")


def test_an_unauthenticated_sender_is_never_answered():
    from tests.inbound.inbound_mail import spf_only

    logged = to_support(
        "someone@elsewhere.example", "Hello", verdicts=spf_only("softfail", "x@elsewhere.example")
    )

    assert logged.reason.startswith("sender_unauthenticated")
    assert not answers() and not InboundAutoReply.objects.exists()


# --- mail sent by machines: never applied, never answered ----------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender", "why"),
    [
        ({"Auto_Submitted": "auto-replied"}, None, "Auto-Submitted: auto-replied"),
        ({"Auto_Submitted": "auto-generated; type=oof"}, None, "Auto-Submitted: auto-generated"),
        ({"Precedence": "bulk"}, None, "Precedence: bulk"),
        ({"Precedence": "junk"}, None, "Precedence: junk"),
        ({"Precedence": "list"}, None, "Precedence: list"),
        ({"X_Autoreply": "yes"}, None, "X-Autoreply header"),
        ({"Return_Path": "<>"}, None, "null envelope sender"),
        ({}, "MAILER-DAEMON@bouquet.test", "mail-system sender MAILER-DAEMON@bouquet.test"),
        ({}, "postmaster@elsewhere.example", "mail-system sender postmaster@elsewhere.example"),
    ],
)
def test_mail_sent_by_machines_opens_nothing_and_is_never_answered(headers, sender, why):
    company = french_company()
    dsu = member(company, role=Membership.Role.DSU)  # even from someone who may open cases

    logged = inbound_email_process(message=parse_mime(raw(sender or dsu.email, **headers)), now=NOW)

    assert (logged.outcome, logged.reason.split(":")[0]) == ("refused", "auto_submitted")
    assert why in logged.reason
    assert not Case.objects.exists() and not answers() and not InboundAutoReply.objects.exists()


def test_an_out_of_office_reply_to_a_case_is_not_the_customers_answer():
    company = french_company()
    customer = member(company)
    to_support(customer.email, "Fails.")
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.PENDING_CUSTOMER)

    logged = inbound_email_process(
        message=parse_mime(
            raw(
                customer.email,
                "I am out of the office.",
                to=f"case+{case.reply_token}@{settings.INBOUND_EMAIL_DOMAIN}",
                Auto_Submitted="auto-replied",
            )
        ),
        now=NOW,
    )

    assert logged.reason.startswith("auto_submitted")
    assert not Comment.objects.exists()
    assert Case.objects.get().status == Case.Status.PENDING_CUSTOMER


def test_auto_submitted_no_is_a_person_and_a_suppress_header_only_stops_the_answer():
    company = french_company()
    dsu = member(company, role=Membership.Role.DSU)

    opened = inbound_email_process(message=parse_mime(raw(dsu.email, Auto_Submitted="no")), now=NOW)
    stranger = inbound_email_process(
        message=parse_mime(raw("x@elsewhere.example", X_Auto_Response_Suppress="DR, AutoReply")), now=NOW
    )

    assert opened.outcome == "opened"
    assert stranger.reason.endswith("(not answered: the sender asked for no automatic answers)")
    assert not answers()


# --- attachments, repeats, and over HTTP ---------------------------------------------------------


def test_an_oversized_attachment_is_dropped_and_the_case_is_still_opened(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 100
    customer = member(french_company())
    attachments = [
        InboundAttachment("app.log", "text/plain", b"ERROR GL-42"),
        InboundAttachment("huge.log", "text/plain", b"x" * 101),
        InboundAttachment("tool.exe", "application/octet-stream", b"MZ"),
    ]

    logged = to_support(customer.email, "Logs attached.", attachments=attachments)

    assert logged.outcome == "opened"
    assert [a.filename for a in Attachment.objects.filter(case=logged.case)] == ["app.log"]
    assert logged.reason == "Attachments refused: huge.log: file_too_large, tool.exe: unsupported_file_type"


def test_the_same_message_delivered_twice_opens_one_case(api_client):
    customer = member(french_company())
    message = raw(customer.email, Message_ID="<abc.123@bouquet.test>")

    first, again = (
        api_client.generic(
            "POST", ENDPOINT, message, content_type="message/rfc822", HTTP_X_INBOUND_SECRET=SECRET
        )
        for _ in range(2)
    )

    assert (first.status_code, first.json()) == (202, {"outcome": "opened", "reason": ""})
    assert again.json() == {
        "outcome": "opened",
        "reason": "Delivered again: its Message-ID already opened this case.",
    }
    assert Case.objects.count() == 1


def test_the_json_endpoint_reads_headers_for_machines_and_repeats(api_client):
    customer = member(french_company())
    autoreply = json_payload(
        customer.email, support(), headers="Auto-Submitted: auto-replied\r\nMessage-ID: <1@x>\r\n"
    )
    person = json_payload(customer.email, support(), headers={"Message-ID": "<2@bouquet.test>"})

    refused = api_client.post(ENDPOINT, autoreply, format="json", HTTP_X_INBOUND_SECRET=SECRET)
    opened = api_client.post(ENDPOINT, person, format="json", HTTP_X_INBOUND_SECRET=SECRET)
    repeat = api_client.post(ENDPOINT, person, format="json", HTTP_X_INBOUND_SECRET=SECRET)

    assert refused.json()["outcome"] == "refused" and refused.json()["reason"].startswith("auto_submitted")
    assert (opened.json()["outcome"], repeat.json()["outcome"]) == ("opened", "opened")
    assert Case.objects.count() == 1


@pytest.mark.parametrize("headers", [["not", "a", "dict"], {"X-Bad": 1}])
def test_json_headers_of_the_wrong_shape_are_refused(headers):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        parse_json(json_payload("a@b.example", support(), headers=headers))

    assert (refused.value.code, refused.value.extra) == ("invalid_inbound_payload", {"field": "headers"})


def test_text_bodies_are_not_html_escaped_and_the_html_part_is():
    rendered = render_email(
        kind="inbound_no_access",
        language="en",
        context={"reason": "dsu_required", "managers": "Mary O'Brien <mary@acme.test>", "subject": "A & B"},
    )

    assert "Mary O'Brien <mary@acme.test>" in rendered.text and '"A & B"' in rendered.text
    assert "Mary O&#x27;Brien &lt;mary@acme.test&gt;" in rendered.html
