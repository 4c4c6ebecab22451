from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Membership
from cases.models import Case, Comment
from inbound.models import InboundEmail
from inbound.parsing import InboundAttachment
from inbound.processing import inbound_email_process, strip_quoted
from tests.factories import AuthorizationRequestFactory, CaseFactory, CompanyFactory, member
from tests.inbound.inbound_mail import (
    AUTHSERV_ID,
    ENDPOINT,
    SECRET,
    attachment_json,
    inbound,
    json_payload,
    mime,
    spf_only,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def reply_to(case):
    return f"case+{case.reply_token}@inbound.casedesk.localhost"


def test_reply_becomes_a_public_comment_without_the_quoted_history():
    case = CaseFactory(status=Case.Status.PENDING_CUSTOMER)
    text = "Here is the log you asked for.\n\nOn Mon, 1 Jun 2026, Support wrote:\n> Please send the log\n"

    logged = inbound_email_process(message=inbound(case.opened_by.email, reply_to(case), text), now=NOW)

    assert logged.outcome == InboundEmail.Outcome.COMMENTED
    assert logged.authentication.startswith(f"dkim=pass d={case.company.email_domains.get().domain}")
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

    logged = inbound_email_process(message=inbound(stranger.email, reply_to(case), "let me in"), now=NOW)

    assert (logged.outcome, logged.reason) == ("refused", "not_found: Case not found.")
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("sender", "verdicts", "reason"),
    [
        ("nobody@unknown.example", None, "sender_unknown: Unknown (or ambiguous) sender address."),
        (None, spf_only("softfail", "x@elsewhere.example"), "sender_unauthenticated: No aligned SPF"),
    ],
)
def test_unknown_or_spoofed_senders_change_nothing(sender, verdicts, reason):
    case = CaseFactory()
    mail_from = sender or case.opened_by.email

    logged = inbound_email_process(
        message=inbound(mail_from, reply_to(case), "hi", verdicts=verdicts), now=NOW
    )

    assert logged.outcome == "refused" and logged.reason.startswith(reason)
    assert not Comment.objects.exists()


def test_attachments_keep_the_api_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 100
    case = CaseFactory()
    attachments = [
        InboundAttachment("app.log", "text/plain", b"ERROR"),
        InboundAttachment("huge.log", "text/plain", b"x" * 101),
        InboundAttachment("tool.exe", "application/octet-stream", b"MZ"),
    ]
    logged = inbound_email_process(
        message=inbound(case.opened_by.email, reply_to(case), "logs", attachments=attachments), now=NOW
    )

    assert logged.outcome == "commented"
    assert [a.filename for a in case.attachments.all()] == ["app.log"]
    assert "huge.log: file_too_large" in logged.reason and "tool.exe: unsupported_file_type" in logged.reason


def _reply_address(request, manager):
    address, _ = AuthorizationReplyAddress.objects.get_or_create(
        request=request, manager=manager, defaults={"created_at": NOW, "expires_at": NOW + timedelta(days=14)}
    )
    return f"authorization+{address.token}@inbound.casedesk.localhost"


def test_manager_on_the_company_domain_approves_by_email():
    company = CompanyFactory(domain="acme.test")
    request = AuthorizationRequestFactory(company=company)
    manager = member(company, role=Membership.Role.MANAGER)

    logged = inbound_email_process(
        message=inbound(manager.email, _reply_address(request, manager), "APPROVE fine by me"), now=NOW
    )

    request.refresh_from_db()
    assert logged.outcome == "decided"
    assert (request.status, request.decided_by, request.decision_channel) == ("approved", manager, "email")
    assert request.decision_reason == "fine by me"


def test_off_domain_or_demoted_managers_cannot_decide_by_email():
    company = CompanyFactory(domain="acme.test")
    request = AuthorizationRequestFactory(company=company)
    off_domain = member(company, role=Membership.Role.MANAGER, email="boss@freemail.example")
    demoted = member(company, role=Membership.Role.MANAGER)
    address = _reply_address(request, demoted)
    Membership.objects.filter(user=demoted).update(role=Membership.Role.MEMBER)

    first = inbound_email_process(
        message=inbound(off_domain.email, _reply_address(request, off_domain), "REJETER"), now=NOW
    )
    second = inbound_email_process(message=inbound(demoted.email, address, "APROBAR"), now=NOW)

    assert first.reason.startswith("manager_email_off_domain")
    assert second.reason.startswith("not_company_manager")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_inbound_endpoint_needs_the_secret_and_accepts_json_and_mime(api_client, settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    case = CaseFactory()
    sender = case.opened_by.email
    payload = json_payload(
        f"Customer <{sender}>",
        reply_to(case),
        "Still broken after the update.",
        attachments=[attachment_json("a.log", "text/plain", b"x")],
    )
    payload["dkim"] = f"{{@{sender.rsplit('@', 1)[1]} : pass}}"

    no_secret = api_client.post(ENDPOINT, payload, format="json")
    as_json = api_client.post(ENDPOINT, payload, format="json", HTTP_X_INBOUND_SECRET=SECRET)
    as_mime = api_client.generic(
        "POST",
        ENDPOINT,
        mime(sender, reply_to(case), "Second message."),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (no_secret.status_code, no_secret.json()["code"]) == (403, "inbound_secret_invalid")
    assert as_json.status_code == 202 and as_json.json()["outcome"] == "commented"
    assert as_mime.status_code == 202 and as_mime.json()["outcome"] == "commented"
    assert list(Comment.objects.filter(case=case).values_list("body", flat=True)) == [
        "Still broken after the update.",
        "Second message.",
    ]
    assert list(InboundEmail.objects.order_by("pk").values_list("source", "outcome")) == [
        ("json", "refused"),
        ("json", "commented"),
        ("mime", "commented"),
    ]


def test_management_command_reads_an_eml_file(tmp_path, settings):
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    case = CaseFactory()
    path = tmp_path / "reply.eml"
    path.write_bytes(mime(case.opened_by.email, reply_to(case), "From the command line."))

    call_command("inbound_email_process", str(path), verbosity=0)

    assert Comment.objects.get(case=case).body == "From the command line."
    assert InboundEmail.objects.get().source == "command"


def test_management_command_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "broken.eml"
    path.write_bytes(b"\xff" * 10)

    with pytest.raises(CommandError):
        call_command("inbound_email_process", str(path), verbosity=0)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Works <b>now</b>.</p>", "Works now."),
        ("<div>one<br>two</div><div>three</div>", "one\ntwo\nthree"),
        ("<p>a &amp; b &lt;c&gt; &eacute;t&eacute;</p>", "a & b <c> été"),
        ("<style>p{}</style><script>x()</script><title>t</title><p>kept</p>", "kept"),
        (
            "<p>mine</p><blockquote>theirs<blockquote>older</blockquote></blockquote>",
            "mine\n> theirs\n> > older",
        ),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("plain text, no tags", "plain text, no tags"),
        ("", ""),
    ],
)
def test_html_bodies_read_as_a_person_reads_them(html, text):
    from inbound.parsing import html_to_text

    assert html_to_text(html) == text
