"""Rule: whatever bytes a client sends as a body, the API answers a JSON 4xx, never a 5xx.

The JSON parser (core.parsers) refuses with 400 ``parse_error`` what would otherwise break the
request later: nesting deep enough to exhaust the stack, lone UTF-16 surrogates, numbers that are
not finite. Form and multipart bodies go through DRF's and Django's parsers,
whose refusals are JSON too (core.exception_handler). The property tests throw generated documents
and raw bytes at real endpoints through the whole middleware and view stack.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.security.conftest import assert_json_4xx

pytestmark = pytest.mark.django_db

# Each of these is a JSON 400 parse_error (and was a 500, or would be one further down, without it).
HOSTILE_JSON = {
    "arrays nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "one level deeper than allowed": b'{"body":' + b"[" * 32 + b"]" * 32 + b"}",
    "invalid UTF-8": b'{"body": "caf\xe9"}',
    "a UTF-8-encoded surrogate": b'{"body": "\xed\xa0\x80"}',
    "a lone surrogate escape in a value": b'{"body": "x\\ud800y"}',
    "a lone surrogate escape in a key": b'{"\\udfff": 1, "body": "x"}',
    "NaN": b'{"body": NaN}',
    "Infinity": b'{"body": Infinity}',
    "-Infinity": b'{"body": -Infinity}',
    "a float beyond double range": b'{"body": 1e400}',
    "a negative float beyond double range": b'{"body": -1e400}',
    "an integer of 5,000 digits": b'{"body": ' + b"9" * 5000 + b"}",
    "truncated": b'{"body": "x',
    "a byte-order mark": b'\xef\xbb\xbf{"body": "x"}',
    "trailing garbage": b'{"body": "x"} {}',
}


@pytest.fixture
def comments_url(case) -> str:
    return reverse("case-comments", args=[case.pk])


@pytest.mark.parametrize("body", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_hostile_json_is_a_parse_error(client, auth, case, comments_url, body):
    response = client.post(comments_url, body, content_type="application/json", **auth)

    assert assert_json_4xx(response, 400)["code"] == "parse_error"
    assert not case.comments.exists()


@pytest.mark.parametrize("body", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_hostile_json_is_a_parse_error_before_authentication_too(client, body):
    response = client.post(reverse("auth-token"), body, content_type="application/json")

    assert assert_json_4xx(response, 400)["code"] == "parse_error"


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (
            b'{"body": "\\ud83d\\ude00 a surrogate pair is one character"}',
            "😀 a surrogate pair is one character",
        ),
        (b'{"body": "caf\xc3\xa9"}', "café"),
        (b'{"body": "x", "unused": [' + b"[" * 30 + b"-9223372036854775808, 1.5e308" + b"]" * 31 + b"}", "x"),
    ],
    ids=["surrogate pair", "UTF-8", "32 levels deep, int64 and double extremes"],
)
def test_well_formed_json_at_the_limits_is_accepted(client, auth, case, comments_url, body, stored):
    response = client.post(comments_url, body, content_type="application/json", **auth)

    assert response.status_code == 201, response.content
    assert case.comments.get().body == stored


def test_json_type_errors_are_validation_errors_not_parse_errors(client, auth, comments_url):
    response = client.post(comments_url, {"body": 12}, content_type="application/json", **auth)

    assert assert_json_4xx(response, 400)["code"] == "invalid"


def test_integers_too_large_for_a_column_are_refused_by_their_field(client, auth, case):
    # Well-formed JSON: the field says what is wrong (tests/proof covers more fields).
    response = client.post(
        reverse("case-list"),
        {"follow_up_of": 2**63, "product_instance": -(2**63) - 1},
        content_type="application/json",
        **auth,
    )

    errors = assert_json_4xx(response, 400)["errors"]
    assert {"follow_up_of", "product_instance"} <= set(errors)


# --- Properties -------------------------------------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def nested_documents(draw) -> bytes:
    """A value wrapped in up to 3,000 levels of arrays and objects, in a random mix."""
    depth = draw(st.integers(min_value=0, max_value=3000))
    pattern = draw(
        st.lists(st.sampled_from(["[", '{"body":', '{"\\u0000":', '{"a":1,"b":']), min_size=1, max_size=4)
    )
    openers = [pattern[i % len(pattern)] for i in range(depth)]
    closers = ["]" if opener == "[" else "}" for opener in reversed(openers)]
    leaf = json.dumps(draw(json_values))
    return ("".join(openers) + leaf + "".join(closers)).encode()


# Valid JSON text spliced with random bytes, lone surrogate escapes and number extremes.
corrupted_json = st.builds(
    lambda head, document, tail: head + document + tail,
    st.binary(max_size=6),
    st.one_of(
        json_values.map(lambda value: json.dumps({"body": value}).encode()),
        st.integers(min_value=0xD800, max_value=0xDFFF).map(lambda c: f'{{"body": "\\u{c:04x}"}}'.encode()),
        st.sampled_from([b"NaN", b"-Infinity", b"1e309", b"-0", b"1" * 30, b"1.0e-400", b'"\\u00"']),
    ),
    st.binary(max_size=6),
)

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=BoUnDaRy",
    "multipart/form-data",
    "text/plain",
]
raw_bodies = st.tuples(
    st.sampled_from(CONTENT_TYPES),
    st.one_of(
        st.binary(max_size=400),
        corrupted_json,
        st.binary(max_size=200).map(lambda b: b"--BoUnDaRy\r\nContent-Disposition: form-data; name=" + b),
    ),
)

ENDPOINTS = {
    "comment": lambda case: reverse("case-comments", args=[case.pk]),
    "case": lambda case: reverse("case-list"),
    "transition": lambda case: reverse("case-transition", args=[case.pk]),
    "attachment": lambda case: reverse("case-attachments", args=[case.pk]),
    "token (anonymous)": lambda case: reverse("auth-token"),
}
PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_nested_documents_never_get_a_5xx(client, auth, case, endpoint, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    url = endpoint(case)

    @PROPERTY_SETTINGS
    @given(document=nested_documents())
    def post(document: bytes) -> None:
        response = client.post(url, document, content_type="application/json", **auth)
        if response.status_code >= 300:
            assert_json_4xx(response)

    post()


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_raw_bytes_never_get_a_5xx(client, auth, case, endpoint, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    url = endpoint(case)

    @PROPERTY_SETTINGS
    @given(request=raw_bodies)
    def post(request: tuple[str, bytes]) -> None:
        content_type, body = request
        response = client.generic("POST", url, body, content_type=content_type, **auth)
        if response.status_code >= 300:
            assert_json_4xx(response)

    post()
