"""Rule: whatever arrives at the inbound endpoints, the answer is a JSON 4xx with a stable code and
a log row, or the message is applied: never a 5xx. What a real mail system sends is accepted: an
unknown charset, NUL characters, an HTML-only body, ``text: null``, and an attachment up to
ATTACHMENT_MAX_BYTES (the README's promise), while a body past the inbound limit is a 413.

The attack (issue 15): ``attachments`` of the wrong type, unknown charsets, NUL bytes, HTML-only
bodies and ``text: null`` answered 500 (or dropped the message), and a message carrying a
README-sized attachment could not be delivered at all.
"""

import base64
import contextlib
import io
import json
from email.message import EmailMessage

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases.models import Attachment, Comment
from inbound.api.views import InboundMimeParser
from inbound.models import InboundEmail
from inbound.parsing import InboundPayloadInvalid, inbound_body_limit, parse_mime
from tests.factories import CaseFactory
from tests.inbound.inbound_mail import (
    AUTHSERV_ID,
    ENDPOINT,
    SECRET,
    attachment_json,
    json_payload,
    mime,
    trusted_results,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inbound_settings(settings, tmp_path):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    settings.MEDIA_ROOT = tmp_path
    return settings


@pytest.fixture
def case():
    return CaseFactory()


def _address(case):
    return f"case+{case.reply_token}@inbound.casedesk.localhost"


def _post_json(client, body):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.generic(
        "POST", ENDPOINT, data, content_type="application/json", HTTP_X_INBOUND_SECRET=SECRET
    )


def _post_mime(client, raw):
    return client.generic("POST", ENDPOINT, raw, content_type="message/rfc822", HTTP_X_INBOUND_SECRET=SECRET)


# --- malformed JSON: 400 invalid_inbound_payload and a log row --------------------------------------

BAD_FIELDS = [
    ("attachments", "x"),
    ("attachments", {"content": "aGk="}),
    ("attachments", [1]),
    ("attachments", [None]),
    ("attachments", [{"filename": "a.log"}]),
    ("attachments", [{"filename": "a.log", "content": 5}]),
    ("attachments", [{"filename": "a.log", "content": "!!! not base64 !!!"}]),
    ("attachments", [{"filename": 3, "content": "aGk="}]),
    ("attachments", [{"filename": "a.log", "content_type": ["text/plain"], "content": "aGk="}]),
    ("from", None),
    ("from", 5),
    ("from", ["boss@acme.test"]),
    ("to", None),
    ("to", 7),
    ("to", ["ok@x.test", 1]),
    ("subject", 5),
    ("text", {"body": "hi"}),
    ("html", ["<p>hi</p>"]),
]


@pytest.mark.parametrize(("name", "value"), BAD_FIELDS)
def test_a_wrongly_typed_field_is_a_400_with_a_log_row(api_client, case, name, value):
    payload = json_payload(case.opened_by.email, _address(case), "hi")
    payload[name] = value

    response = _post_json(api_client, payload)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_inbound_payload"
    assert response.json()["field"].startswith(name)
    logged = InboundEmail.objects.get()
    assert (logged.outcome, logged.source) == ("refused", "json")
    assert logged.reason.startswith("invalid_inbound_payload")
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "body", [b"[]", b'"text"', b"5", b"null", b"{not json", b'{"from": NaN}', b"\xff\xfe\x00", b"[" * 100_000]
)
def test_a_body_that_is_no_json_object_is_a_400(api_client, body):
    response = _post_json(api_client, body)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_inbound_payload")
    assert InboundEmail.objects.get().reason.startswith("invalid_inbound_payload")


def test_an_unsupported_content_type_is_a_415_with_a_log_row(api_client):
    response = api_client.generic(
        "POST",
        ENDPOINT,
        b"from=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert InboundEmail.objects.get().reason.startswith("unsupported_media_type")


@pytest.mark.parametrize("raw", [b"", b"   ", b"\xff" * 64, b"Subject: no sender\r\n\r\nbody"])
def test_mime_without_a_sender_or_body_is_a_400(api_client, raw):
    response = _post_mime(api_client, raw)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_inbound_payload")
    assert InboundEmail.objects.get().source == "mime"


# --- what real mail looks like: accepted ------------------------------------------------------------


def test_text_null_takes_the_html_part_as_text(api_client, case):
    html = (
        "<html><head><style>p {color: red}</style></head><body><p>It works now,&nbsp;thanks!</p>"
        "<div class='gmail_quote'><blockquote>Please try again</blockquote></div></body></html>"
    )
    payload = json_payload(case.opened_by.email, _address(case), None, html=html)

    response = _post_json(api_client, payload)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert Comment.objects.get(case=case).body == "It works now, thanks!"


def test_text_null_without_html_is_an_empty_reply_not_an_error(api_client, case):
    response = _post_json(api_client, json_payload(case.opened_by.email, _address(case), None))

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    assert response.json()["reason"].startswith("empty_reply")


def test_an_html_only_mime_message_becomes_plain_text(api_client, case):
    html = (
        "<div>First line<br>second line</div><script>alert(1)</script>"
        "<div>On Mon, Support wrote:</div><blockquote><p>old text</p></blockquote>"
    )
    raw = mime(case.opened_by.email, _address(case), None, html=html)

    response = _post_mime(api_client, raw)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert Comment.objects.get(case=case).body == "First line\nsecond line"


@pytest.mark.parametrize("charset", ["x-unknown-charset", "base64", "utf-8\x00"])
def test_an_unknown_charset_is_read_as_utf8_with_replacement(api_client, case, charset):
    body = "Ça marche, merci — ½".encode()
    raw = (
        (
            f"Authentication-Results: {trusted_results(case.opened_by.email)}\r\n"
            f"From: {case.opened_by.email}\r\nTo: {_address(case)}\r\nSubject: =?x-klingon?q?Re=3A_hi?=\r\n"
            f'Content-Type: text/plain; charset="{charset}"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        ).encode()
        + body
        + b"\xff\r\n"
    )

    response = _post_mime(api_client, raw)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert Comment.objects.get(case=case).body == "Ça marche, merci — ½\ufffd"


def test_nul_characters_and_lone_surrogates_are_removed_before_storing(api_client, case):
    payload = json_payload(case.opened_by.email, _address(case), "Fixed\x00 it \ud800 today")
    payload["subject"] = "Re\x00: bug"
    payload["attachments"] = [attachment_json("a\x00pp.log", "text/plain", b"bytes \x00 stay bytes")]

    response = _post_json(api_client, payload)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert Comment.objects.get(case=case).body == "Fixed it ? today"
    assert InboundEmail.objects.get().subject == "Re: bug"
    attachment = Attachment.objects.get(case=case)
    assert attachment.filename == "app.log"
    assert attachment.file.read() == b"bytes \x00 stay bytes"


def test_nul_characters_in_mime_are_removed(api_client, case):
    raw = mime(case.opened_by.email, _address(case), "x").replace(b"\nx\n", b"\nbefore\x00after\n")

    response = _post_mime(api_client, raw)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert Comment.objects.get(case=case).body == "beforeafter"


# --- size: one attachment of ATTACHMENT_MAX_BYTES fits; more is a 413 ---------------------------------


def test_an_attachment_of_the_readme_limit_is_accepted_in_json_and_mime(api_client, case):
    limit = django_settings.ATTACHMENT_MAX_BYTES  # the README's 25 MB, not a test-sized stand-in
    content = b"0123456789abcdef" * (limit // 16) + b"x" * (limit % 16)
    assert len(content) == limit
    payload = json_payload(
        case.opened_by.email,
        _address(case),
        "Full log",
        attachments=[attachment_json("full.log", "text/plain", content)],
    )
    raw = mime(
        case.opened_by.email,
        _address(case),
        "Full log again",
        attachments=[("full.log", "text/plain", content)],
    )
    assert len(raw) <= inbound_body_limit()

    as_json = _post_json(api_client, payload)
    as_mime = _post_mime(api_client, raw)

    assert (as_json.status_code, as_json.json()) == (202, {"outcome": "commented", "reason": ""})
    assert (as_mime.status_code, as_mime.json()) == (202, {"outcome": "commented", "reason": ""})
    assert list(Attachment.objects.filter(case=case).values_list("size", flat=True)) == [limit, limit]


def test_an_attachment_one_byte_over_the_limit_is_refused_and_the_reply_kept(api_client, case):
    content = b"y" * (django_settings.ATTACHMENT_MAX_BYTES + 1)
    payload = json_payload(
        case.opened_by.email,
        _address(case),
        "Too big",
        attachments=[attachment_json("big.log", "text/plain", content)],
    )

    response = _post_json(api_client, payload)

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert response.json()["reason"] == "Attachments refused: big.log: file_too_large"
    assert Comment.objects.get(case=case).body == "Too big"
    assert not Attachment.objects.exists()


def test_a_body_past_the_inbound_limit_is_a_413_with_a_log_row(api_client, case, inbound_settings):
    inbound_settings.INBOUND_EMAIL_MAX_BYTES = 10_000
    payload = json_payload(case.opened_by.email, _address(case), "z" * 10_001)

    as_json = _post_json(api_client, payload)
    as_mime = _post_mime(api_client, mime(case.opened_by.email, _address(case), "z" * 10_001))

    for response in (as_json, as_mime):
        assert (response.status_code, response.json()["code"]) == (413, "inbound_message_too_large")
        assert response.json()["max_bytes"] == 10_000
    assert InboundEmail.objects.filter(reason__startswith="inbound_message_too_large").count() == 2
    assert not Comment.objects.exists()


def test_a_body_longer_than_its_declared_length_is_still_cut_at_the_limit(inbound_settings):
    inbound_settings.INBOUND_EMAIL_MAX_BYTES = 1_000

    with pytest.raises(Exception) as refused:
        InboundMimeParser().parse(io.BytesIO(b"x" * 1_001))

    assert getattr(refused.value, "code", None) == "inbound_message_too_large"
    assert InboundMimeParser().parse(io.BytesIO(b"x" * 1_000)) == b"x" * 1_000


def test_the_default_inbound_limit_fits_one_base64_attachment_and_its_text():
    limit = django_settings.ATTACHMENT_MAX_BYTES
    encoded = len(base64.encodebytes(b"\x00" * limit))  # MIME's base64: 76 characters and a newline

    assert encoded < inbound_body_limit() < encoded + 2 * 1024 * 1024


# --- any input at all: never a 5xx --------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
inbound_fields = st.sampled_from(
    [
        "from",
        "to",
        "subject",
        "text",
        "html",
        "attachments",
        "spf",
        "SPF",
        "dkim",
        "dkim_domain",
        "envelope",
        "envelope_from",
    ]
)


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    arbitrary=st.dictionaries(st.text(max_size=12), json_values, max_size=6),
    shaped=st.dictionaries(inbound_fields, json_values, max_size=12),
)
def test_any_json_object_gets_an_answer_below_500(api_client, case, arbitrary, shaped):
    for payload in (arbitrary, shaped, {**json_payload(case.opened_by.email, _address(case)), **shaped}):
        response = _post_json(api_client, payload)
        assert response.status_code in (202, 400), response.content
        assert "code" in response.json() or "outcome" in response.json()


def _mime_variants(data: bytes, case) -> list[bytes]:
    headers = (
        f"Authentication-Results: {trusted_results(case.opened_by.email)}\r\n"
        f"From: {case.opened_by.email}\r\nTo: {_address(case)}\r\n"
    ).encode()
    return [
        data,
        headers + data,
        headers + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + data,
    ]


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_mime_get_an_answer_below_500(api_client, case, data):
    for raw in _mime_variants(data, case):
        response = _post_mime(api_client, raw)
        assert response.status_code in (202, 400), response.content


@hypothesis_settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000))
def test_parse_mime_raises_only_the_payload_error(data):
    headers = b"From: a@b.test\r\nTo: case+x@i.test\r\nContent-Type: multipart/alternative; boundary=q\r\n\r\n--q\r\n"
    for raw in (data, headers + data):
        with contextlib.suppress(InboundPayloadInvalid):
            parse_mime(raw, authserv_id=AUTHSERV_ID)


def test_structured_mime_edge_cases_are_read(api_client, case):
    message = EmailMessage()
    message["Authentication-Results"] = trusted_results(case.opened_by.email)
    message["From"] = case.opened_by.email
    message["To"] = _address(case)
    message.set_content("outer")
    inner = EmailMessage()
    inner["From"] = "x@y.test"
    inner.set_content("forwarded")
    message.add_attachment(inner)  # message/rfc822 attachment
    message.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream", filename="bin.exe")

    response = _post_mime(api_client, message.as_bytes())

    assert (response.status_code, response.json()["outcome"]) == (202, "commented")
    assert "bin.exe: unsupported_file_type" in response.json()["reason"]


def test_the_inbound_limit_is_the_inbound_endpoints_own(api_client, case, inbound_settings):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE still holds the rest of the API; the inbound endpoint
    reads its body within its own, larger limit."""
    inbound_settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big_text = "The whole log follows. " + "z" * 50_000

    inbound_json = _post_json(api_client, json_payload(case.opened_by.email, _address(case), big_text))
    elsewhere = api_client.post(
        "/api/v1/auth/token/", {"username": "x" * 50_000, "password": "y"}, format="json"
    )

    assert (inbound_json.status_code, inbound_json.json()["outcome"]) == (202, "commented")
    assert elsewhere.status_code in (400, 413)
