"""Rule: mail from a provider (django-anymail's inbound webhooks) is accepted only from a call the
provider authenticated (Mailgun's HMAC signature, HTTP basic auth with ANYMAIL_WEBHOOK_SECRET), from
a provider the operator enabled and configured; the message then meets the same sender rule as
everything else. A refused call is a JSON 4xx with a stable code and a log row.

The attack (issue 15): a forged webhook call, or a real one carrying a spoofed manager's APPROVE,
would otherwise decide authorisation requests.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Membership
from cases.models import Comment
from inbound.models import InboundEmail
from tests.factories import AuthorizationRequestFactory, CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db
MAILGUN_KEY = "mailgun-signing-key-for-tests"
BASIC_AUTH = "inbound:webhook-secret"
PROVIDER_AUTHSERV_ID = "mx.provider.test"
DOMAIN = "inbound.casedesk.localhost"


@pytest.fixture(autouse=True)
def providers(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.INBOUND_EMAIL_PROVIDERS = ["mailgun", "postmark"]
    settings.INBOUND_EMAIL_AUTHSERV_ID = PROVIDER_AUTHSERV_ID
    settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = MAILGUN_KEY
    settings.ANYMAIL_WEBHOOK_SECRET = BASIC_AUTH
    return settings


def _basic(credentials=BASIC_AUTH):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _results(sender, dkim="pass", authserv_id=PROVIDER_AUTHSERV_ID):
    return f"{authserv_id}; dkim={dkim} header.d={sender.rsplit('@', 1)[1]}; spf=none"


def _mailgun_form(sender, to, text, *, results, key=MAILGUN_KEY, timestamp=None, token=None):
    """Mailgun's "fully parsed" forward() payload, as its routes post it, signed now with a new token."""
    timestamp = timestamp or str(int(timezone.now().timestamp()))
    token = token or secrets.token_hex(25)
    headers = [["Authentication-Results", value] for value in results] + [
        ["From", sender],
        ["To", to],
        ["Subject", "Re: request"],
    ]
    form = {
        "recipient": to,
        "sender": sender,
        "from": sender,
        "subject": "Re: request",
        "body-plain": text,
        "stripped-text": text,
        "message-headers": json.dumps(headers),
        "timestamp": timestamp,
        "token": token,
        "attachment-count": "1",
        "attachment-1": SimpleUploadedFile("app.log", b"ERROR 42\n", content_type="text/plain"),
    }
    if key is not None:
        form["signature"] = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return form


def _postmark_json(sender, to, text, *, results):
    return {
        "FromFull": {"Email": sender, "Name": "Customer"},
        "ToFull": [{"Email": to, "Name": ""}],
        "OriginalRecipient": to,
        "Subject": "Re: request",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Thu, 5 Apr 2026 16:59:01 +0200",
        "TextBody": text,
        "HtmlBody": "",
        "Headers": [{"Name": "Return-Path", "Value": f"<{sender}>"}]
        + [{"Name": "Authentication-Results", "Value": value} for value in results],
        "Attachments": [],
    }


def _case_and_address():
    case = CaseFactory()
    return case, case.opened_by.email, f"case+{case.reply_token}@{DOMAIN}"


# --- Mailgun: HMAC signature ---------------------------------------------------------------------


def test_mailgun_call_with_a_valid_signature_is_applied(client):
    case, sender, address = _case_and_address()

    response = client.post(
        "/inbound/anymail/mailgun/",
        _mailgun_form(sender, address, "Log attached.", results=[_results(sender)]),
        **_basic(),
    )

    assert response.status_code == 200
    comment = Comment.objects.get(case=case)
    assert (comment.body, comment.source) == ("Log attached.", "email")
    assert [a.filename for a in case.attachments.all()] == ["app.log"]
    logged = InboundEmail.objects.get()
    assert (logged.source, logged.outcome) == ("anymail:mailgun", "commented")


@pytest.mark.parametrize(
    ("form_changes", "code"),
    [
        ({"key": "not-the-key"}, "inbound_signature_invalid"),
        ({"key": None}, "inbound_signature_invalid"),  # no signature field at all
    ],
)
def test_mailgun_call_with_a_wrong_or_missing_signature_is_refused(client, form_changes, code):
    _case, sender, address = _case_and_address()

    response = client.post(
        "/inbound/anymail/mailgun/",
        _mailgun_form(sender, address, "Let me in.", results=[_results(sender)], **form_changes),
        **_basic(),
    )

    assert (response.status_code, response.json()["code"]) == (403, code)
    assert not Comment.objects.exists()
    logged = InboundEmail.objects.get()
    assert (logged.outcome, logged.source, logged.reason.split(":")[0]) == (
        "refused",
        "anymail:mailgun",
        code,
    )


def test_mailgun_call_with_a_tampered_timestamp_is_refused(client):
    _case, sender, address = _case_and_address()
    form = _mailgun_form(sender, address, "Let me in.", results=[_results(sender)])
    form["timestamp"] = str(int(form["timestamp"]) + 1)

    response = client.post("/inbound/anymail/mailgun/", form, **_basic())

    assert (response.status_code, response.json()["code"]) == (403, "inbound_signature_invalid")
    assert not Comment.objects.exists()


def test_a_signed_mailgun_call_carrying_a_spoofed_manager_approve_decides_nothing(client):
    company = CompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER, email="boss@acme.test")
    request = AuthorizationRequestFactory(
        company=company, kind=AuthorizationRequest.Kind.ROLE_CHANGE, requested_role="manager"
    )
    token = AuthorizationReplyAddress.objects.create(
        request=request, manager=manager, created_at=request.created_at, expires_at=request.expires_at
    ).token
    address = f"authorization+{token}@{DOMAIN}"
    forged = ["mx.google.com; dkim=pass header.d=acme.test", _results(manager.email, dkim="softfail")]

    response = client.post(
        "/inbound/anymail/mailgun/",
        _mailgun_form(manager.email, address, "APPROVE", results=forged),
        **_basic(),
    )

    assert response.status_code == 200  # the call was genuine; the message inside it was not
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING
    assert Membership.objects.get(user=request.subject_user).role == Membership.Role.MEMBER
    assert InboundEmail.objects.get().reason.startswith("sender_unauthenticated")


# --- Postmark: HTTP basic auth -------------------------------------------------------------------


def test_postmark_call_with_the_webhook_secret_is_applied(client):
    case, sender, address = _case_and_address()

    response = client.post(
        "/inbound/anymail/postmark/",
        _postmark_json(sender, address, "Still failing.", results=[_results(sender)]),
        content_type="application/json",
        **_basic(),
    )

    assert response.status_code == 200
    assert Comment.objects.get(case=case).body == "Still failing."
    assert InboundEmail.objects.get().source == "anymail:postmark"


@pytest.mark.parametrize("auth", [{}, _basic("inbound:wrong"), {"HTTP_AUTHORIZATION": "Bearer x"}])
def test_postmark_call_without_the_webhook_secret_is_refused(client, auth):
    _case, sender, address = _case_and_address()

    response = client.post(
        "/inbound/anymail/postmark/",
        _postmark_json(sender, address, "Let me in.", results=[_results(sender)]),
        content_type="application/json",
        **auth,
    )

    assert (response.status_code, response.json()["code"]) == (403, "inbound_signature_invalid")
    assert not Comment.objects.exists()
    assert InboundEmail.objects.get().outcome == "refused"


# --- which providers answer at all ---------------------------------------------------------------


def test_a_provider_that_is_not_enabled_is_not_there(client, providers):
    providers.INBOUND_EMAIL_PROVIDERS = ["postmark"]

    for path in ("/inbound/anymail/mailgun/", "/inbound/anymail/sendgrid/", "/inbound/anymail/nobody/"):
        response = client.post(path, {}, **_basic())
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("provider", "setting"),
    [("postmark", "ANYMAIL_WEBHOOK_SECRET"), ("mailgun", "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY")],
)
def test_an_enabled_provider_without_its_secret_refuses_every_call(client, providers, provider, setting):
    setattr(providers, setting, "")
    _case, sender, address = _case_and_address()

    response = client.post(
        f"/inbound/anymail/{provider}/",
        json.dumps(_postmark_json(sender, address, "hi", results=[_results(sender)])),
        content_type="application/json",
    )

    assert (response.status_code, response.json()["code"]) == (403, "inbound_provider_not_configured")
    assert not Comment.objects.exists()
    assert InboundEmail.objects.get().reason.startswith("inbound_provider_not_configured")


def test_an_authenticated_call_with_a_payload_anymail_cannot_read_is_a_400(client):
    for body in ("[1, 2]", '{"Headers": "nope"}', "not json"):
        response = client.post(
            "/inbound/anymail/postmark/", body, content_type="application/json", **_basic()
        )
        assert (response.status_code, response.json()["code"]) == (400, "invalid_inbound_payload")
    assert InboundEmail.objects.filter(outcome="refused").count() == 3


def test_only_post_is_served(client):
    response = client.get("/inbound/anymail/postmark/", **_basic())

    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_start_up_checks_name_a_provider_enabled_without_its_secret(providers):
    from inbound.checks import inbound_email_check

    providers.INBOUND_EMAIL_PROVIDERS = ["mailgun", "postmark", "sendgrid"]
    providers.ANYMAIL_WEBHOOK_SECRET = ""
    providers.INBOUND_EMAIL_AUTHSERV_ID = ""

    assert sorted(problem.id for problem in inbound_email_check()) == [
        "notifications.E002",  # sendgrid: not served
        "notifications.E003",  # postmark: no basic-auth secret
        "notifications.W001",  # no authserv-id: nobody could ever be authenticated
    ]
    providers.ANYMAIL_WEBHOOK_SECRET = BASIC_AUTH
    providers.INBOUND_EMAIL_PROVIDERS = ["mailgun", "postmark"]
    providers.INBOUND_EMAIL_AUTHSERV_ID = PROVIDER_AUTHSERV_ID
    assert inbound_email_check() == []


def test_provider_bodies_get_the_inbound_limit_not_djangos(client, providers):
    providers.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    case, sender, address = _case_and_address()
    big_text = "Long log. " + "z" * 50_000

    postmark = client.post(
        "/inbound/anymail/postmark/",
        _postmark_json(sender, address, big_text, results=[_results(sender)]),
        content_type="application/json",
        **_basic(),
    )
    form = _mailgun_form(sender, address, "raw", results=[_results(sender)])
    form["body-mime"] = f"From: {sender}\r\nTo: {address}\r\n\r\n{big_text}\r\n"
    mailgun_raw_mime = client.post("/inbound/anymail/mailgun/mime/", form, **_basic())
    providers.INBOUND_EMAIL_MAX_BYTES = 20_000
    too_large = client.post(
        "/inbound/anymail/postmark/",
        _postmark_json(sender, address, big_text, results=[_results(sender)]),
        content_type="application/json",
        **_basic(),
    )

    assert postmark.status_code == 200
    assert Comment.objects.get(case=case).body == big_text
    # A raw MIME form field is still Django's to limit: refused cleanly, with the advice in the detail.
    assert (mailgun_raw_mime.status_code, mailgun_raw_mime.json()["code"]) == (
        413,
        "inbound_message_too_large",
    )
    assert (too_large.status_code, too_large.json()["code"]) == (413, "inbound_message_too_large")


def test_an_html_only_postmark_message_becomes_plain_text(client):
    case, sender, address = _case_and_address()
    payload = _postmark_json(sender, address, "", results=[_results(sender)])
    payload["HtmlBody"] = "<p>Works <b>now</b>.</p><blockquote>Old question</blockquote>"

    response = client.post("/inbound/anymail/postmark/", payload, content_type="application/json", **_basic())

    assert response.status_code == 200
    assert Comment.objects.get(case=case).body == "Works now."


def test_a_mailgun_signature_is_good_for_one_delivery(client):
    """Mailgun signs a timestamp and a token, not the body: a captured signature must not carry
    another body, nor the same one twice."""
    _case, sender, address = _case_and_address()
    first = _mailgun_form(sender, address, "Once.", results=[_results(sender)])
    replayed = {**first, "body-plain": "Close this case.", "attachment-1": SimpleUploadedFile("a.log", b"x")}

    accepted = client.post("/inbound/anymail/mailgun/", first, **_basic())
    replay = client.post("/inbound/anymail/mailgun/", replayed, **_basic())

    assert accepted.status_code == 200
    assert (replay.status_code, replay.json()["code"]) == (403, "inbound_signature_replayed")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Once."]


def test_a_stale_mailgun_signature_is_refused(client):
    _case, sender, address = _case_and_address()
    form = _mailgun_form(sender, address, "Old.", results=[_results(sender)])

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post("/inbound/anymail/mailgun/", form, **_basic())

    assert (response.status_code, response.json()["code"]) == (403, "inbound_signature_invalid")
    assert not Comment.objects.exists()


def test_a_mailgun_call_that_was_not_applied_can_be_retried(client, providers, tmp_path):
    """A delivery that failed on our side (a 5xx: here the upload storage cannot be written) keeps
    its token usable for Mailgun's retry, and left nothing behind."""
    case, sender, address = _case_and_address()
    form = _mailgun_form(sender, address, "Retried.", results=[_results(sender)])
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the uploads folder should be")
    providers.MEDIA_ROOT = not_a_directory / "uploads"

    client.raise_request_exception = False
    failed = client.post("/inbound/anymail/mailgun/", form, **_basic())
    assert not Comment.objects.exists()
    providers.MEDIA_ROOT = tmp_path / "uploads"
    form["attachment-1"].seek(0)
    retried = client.post("/inbound/anymail/mailgun/", form, **_basic())

    assert failed.status_code == 500  # the provider's cue to retry later
    assert retried.status_code == 200
    assert Comment.objects.get(case=case).body == "Retried."
