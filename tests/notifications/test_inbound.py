import base64
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from accounts.models import AuthorizationRequest, Membership
from cases.models import Case, Comment
from notifications.inbound import InboundMessage, inbound_email_process, strip_quoted
from notifications.models import InboundEmail
from tests.factories import AuthorizationRequestFactory, CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
SECRET = "inbound-test-secret"


def reply_to(case):
    return f"case+{case.reply_token}@inbound.casedesk.localhost"


def message(sender, to, text, **extra):
    return InboundMessage(sender=sender, recipients=[to], subject="Re: your case", text=text, **extra)


def test_reply_becomes_a_public_comment_without_the_quoted_history():
    case = CaseFactory(status=Case.Status.PENDING_CUSTOMER)
    text = "Here is the log you asked for.\n\nOn Mon, 1 Jun 2026, Support wrote:\n> Please send the log\n"

    logged = inbound_email_process(message=message(case.opened_by.email, reply_to(case), text), now=NOW)

    assert logged.outcome == InboundEmail.Outcome.COMMENTED
    comment = Comment.objects.get(case=case)
    assert (comment.body, comment.source, comment.is_internal) == (
        "Here is the log you asked for.",
        "email",
        False,
    )
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS  # the customer's answer hands the case back


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Merci.\n\nLe lun. 1 juin 2026, Support a écrit :\n> ...", "Merci."),
        ("Gracias.\nEl lun, 1 jun 2026, Soporte escribió:\n> ...", "Gracias."),
        ("Thanks\n-----Original Message-----\nFrom: x", "Thanks"),
        ("Line one\nLine two\n> quoted", "Line one\nLine two"),
    ],
)
def test_quoted_history_is_stripped_in_three_languages(text, kept):
    assert strip_quoted(text) == kept


def test_sender_of_another_company_changes_nothing_and_is_logged():
    case = CaseFactory()
    stranger = member(CompanyFactory())

    logged = inbound_email_process(message=message(stranger.email, reply_to(case), "let me in"), now=NOW)

    assert (logged.outcome, logged.reason) == ("refused", "not_found: Case not found.")
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("sender", "authentication_failed", "reason"),
    [
        ("nobody@unknown.example", False, "Unknown (or ambiguous) sender address."),
        (None, True, "The provider reports an SPF or DKIM failure (spoofed sender)."),
    ],
)
def test_unknown_or_spoofed_senders_change_nothing(sender, authentication_failed, reason):
    case = CaseFactory()
    mail_from = sender or case.opened_by.email

    logged = inbound_email_process(
        message=message(mail_from, reply_to(case), "hi", authentication_failed=authentication_failed), now=NOW
    )

    assert (logged.outcome, logged.reason) == ("refused", reason)
    assert not Comment.objects.exists()


def test_attachments_keep_the_api_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 100
    case = CaseFactory()
    from notifications.inbound import InboundAttachment

    attachments = [
        InboundAttachment("app.log", "text/plain", b"ERROR"),
        InboundAttachment("huge.log", "text/plain", b"x" * 101),
        InboundAttachment("tool.exe", "application/octet-stream", b"MZ"),
    ]
    logged = inbound_email_process(
        message=message(case.opened_by.email, reply_to(case), "logs", attachments=attachments), now=NOW
    )

    assert logged.outcome == "commented"
    assert [a.filename for a in case.attachments.all()] == ["app.log"]
    assert "huge.log: file_too_large" in logged.reason and "tool.exe: unsupported_file_type" in logged.reason


def _authorization_mail(sender, request, text):
    return message(sender, f"authorization+{request.pk}@inbound.casedesk.localhost", text)


def test_manager_on_the_company_domain_approves_by_email():
    company = CompanyFactory(domain="acme.test")
    request = AuthorizationRequestFactory(company=company)
    manager = member(company, role=Membership.Role.MANAGER)

    logged = inbound_email_process(
        message=_authorization_mail(manager.email, request, "APPROVE fine by me"), now=NOW
    )

    request.refresh_from_db()
    assert logged.outcome == "decided"
    assert (request.status, request.decided_by, request.decision_channel) == ("approved", manager, "email")
    assert request.decision_reason == "fine by me"


def test_off_domain_or_other_company_managers_cannot_decide_by_email():
    company = CompanyFactory(domain="acme.test")
    request = AuthorizationRequestFactory(company=company)
    off_domain = member(company, role=Membership.Role.MANAGER, email="boss@freemail.example")
    other = member(CompanyFactory(), role=Membership.Role.MANAGER)

    first = inbound_email_process(message=_authorization_mail(off_domain.email, request, "REJETER"), now=NOW)
    second = inbound_email_process(message=_authorization_mail(other.email, request, "APROBAR"), now=NOW)

    assert first.reason.startswith("manager_email_off_domain")
    assert second.reason.startswith("not_company_manager")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_inbound_endpoint_needs_the_secret_and_accepts_json_and_mime(api_client, settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    case = CaseFactory()
    payload = {
        "from": f"Customer <{case.opened_by.email}>",
        "to": reply_to(case),
        "subject": "Re",
        "text": "Still broken after the update.",
        "attachments": [
            {"filename": "a.log", "content_type": "text/plain", "content": base64.b64encode(b"x").decode()}
        ],
    }

    no_secret = api_client.post("/api/v1/inbound-email/", payload, format="json")
    as_json = api_client.post("/api/v1/inbound-email/", payload, format="json", HTTP_X_INBOUND_SECRET=SECRET)
    mime = (
        f"From: {case.opened_by.email}\r\nTo: {reply_to(case)}\r\nSubject: Re\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nSecond message.\r\n"
    ).encode()
    as_mime = api_client.generic(
        "POST", "/api/v1/inbound-email/", mime, content_type="message/rfc822", HTTP_X_INBOUND_SECRET=SECRET
    )

    assert (no_secret.status_code, no_secret.json()["code"]) == (403, "inbound_secret_invalid")
    assert as_json.status_code == 202 and as_json.json()["outcome"] == "commented"
    assert as_mime.status_code == 202 and as_mime.json()["outcome"] == "commented"
    assert list(Comment.objects.filter(case=case).values_list("body", flat=True)) == [
        "Still broken after the update.",
        "Second message.",
    ]


def test_management_command_reads_an_eml_file(tmp_path):
    case = CaseFactory()
    path = tmp_path / "reply.eml"
    path.write_bytes(
        f"From: {case.opened_by.email}\nTo: {reply_to(case)}\nSubject: Re\n\nFrom the command line.\n".encode()
    )

    call_command("inbound_email_process", str(path), verbosity=0)

    assert Comment.objects.get(case=case).body == "From the command line."
