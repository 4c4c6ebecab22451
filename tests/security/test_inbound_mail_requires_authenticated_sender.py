"""Rule: an inbound message changes nothing unless its sender is authenticated (an aligned DKIM or
SPF pass from our own receiving side); every other verdict, however it is spelled, is a refusal.

The attack (issue 15): a refusal used to need a verdict of exactly ``fail``. A message with no
verdict, or ``none``/``neutral``/``softfail``/``temperror``/``FAIL (…)``, went through: a spoofed
manager's APPROVE made a member a manager, and a spoofed support manager made a member a DSU.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditRecord, AuthorizationReplyAddress, AuthorizationRequest, Membership
from accounts.services import authorization_request_create
from inbound.authentication import (
    MISSING,
    UNREADABLE,
    DkimVerdict,
    SenderVerdicts,
    SpfVerdict,
    sender_authenticated,
    verdict_normalise,
    verdicts_from_authentication_results,
)
from inbound.models import InboundEmail
from tests.factories import CompanyFactory, SupportManagerFactory, USCompanyFactory, member
from tests.inbound.inbound_mail import AUTHSERV_ID, ENDPOINT, SECRET, json_payload, mime

# --- the rule, as a pure function ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("pass", "pass"),
        ("PASS", "pass"),
        ("Pass (sender SPF authorized) identity=mailfrom; client-ip=192.0.2.1", "pass"),
        ("  pass ", "pass"),
        ("(comment first) pass", "pass"),
        ("fail", "fail"),
        ("FAIL (signature did not verify)", "fail"),
        ("Fail (nested (comment) here)", "fail"),
        ("hardfail", "hardfail"),
        ("softfail", "softfail"),
        ("SoftFail (domain transitioning)", "softfail"),
        ("neutral", "neutral"),
        ("none", "none"),
        ("temperror", "temperror"),
        ("permerror", "permerror"),
        (None, MISSING),
        ("", MISSING),
        ("   ", MISSING),
        ("passed", UNREADABLE),
        ("ok", UNREADABLE),
        ("pass(", UNREADABLE),
        ("(unterminated pass", UNREADABLE),
        ("pass" + "x" * 2000, UNREADABLE),
        (["pass"], UNREADABLE),
        ({"result": "pass"}, UNREADABLE),
        (1, UNREADABLE),
        (True, UNREADABLE),
    ],
)
def test_verdicts_are_normalised(raw, normalised):
    assert verdict_normalise(raw) == normalised


def _dkim(result, domain):
    return SenderVerdicts(source="test", dkim=(DkimVerdict(verdict_normalise(result), domain),))


def _spf(result, mail_from_domain):
    return SenderVerdicts(source="test", spf=(SpfVerdict(verdict_normalise(result), mail_from_domain),))


@pytest.mark.parametrize(
    ("from_address", "verdicts", "authenticated"),
    [
        # DKIM: a pass by the From domain or a parent of it
        ("boss@acme.test", _dkim("pass", "acme.test"), True),
        ("boss@mail.acme.test", _dkim("Pass (good signature)", "acme.test"), True),
        ("Boss@ACME.test", _dkim("PASS", "acme.test"), True),
        ("boss@acme.test", _dkim("pass", "evil.test"), False),  # someone else's valid signature
        ("boss@acme.test", _dkim("pass", "mail.acme.test"), False),  # a child is not the From domain
        ("boss@acme.test", _dkim("pass", "xacme.test"), False),
        ("boss@acme.test", _dkim("pass", "test"), False),
        ("boss@acme.test", _dkim("pass", ""), False),
        # SPF: a pass for an envelope sender on the From domain
        ("boss@acme.test", _spf("pass", "acme.test"), True),
        ("boss@acme.test", _spf("pass", "bounces.evil.test"), False),
        ("boss@acme.test", _spf("pass", ""), False),
        # anything but pass, from the right domain
        *[
            ("boss@acme.test", verdicts, False)
            for result in [
                "fail",
                "FAIL (bad)",
                "softfail",
                "neutral",
                "none",
                "temperror",
                "permerror",
                "",
                None,
            ]
            for verdicts in (_dkim(result, "acme.test"), _spf(result, "acme.test"))
        ],
        ("boss@acme.test", SenderVerdicts(), False),
        # the From address itself
        ("", _dkim("pass", "acme.test"), False),
        ("not an address", _dkim("pass", "acme.test"), False),
    ],
)
def test_sender_is_authenticated_only_by_an_aligned_pass(from_address, verdicts, authenticated):
    result = sender_authenticated(from_address=from_address, verdicts=verdicts)

    assert result.authenticated is authenticated
    assert result.explanation  # every answer says why, for the log


def test_one_aligned_pass_among_failures_is_enough():
    verdicts = SenderVerdicts(
        source="test",
        dkim=(DkimVerdict("fail", "acme.test"), DkimVerdict("pass", "acme.test")),
        spf=(SpfVerdict("softfail", "acme.test"),),
    )

    assert sender_authenticated(from_address="boss@acme.test", verdicts=verdicts).authenticated


# --- Authentication-Results: only our receiving side's, only the topmost -------------------------

OURS_PASS = f"{AUTHSERV_ID}; dkim=pass (good signature) header.d=acme.test header.s=s1; spf=none"
OURS_FAIL = (
    f"{AUTHSERV_ID}; dkim=fail (bad signature) header.d=acme.test; spf=softfail smtp.mailfrom=acme.test"
)
FORGED_FOREIGN_PASS = "mx.google.com; dkim=pass header.d=acme.test; spf=pass smtp.mailfrom=boss@acme.test"
FORGED_OURS_PASS = f"{AUTHSERV_ID}; dkim=pass header.d=acme.test; spf=pass smtp.mailfrom=boss@acme.test"


@pytest.mark.parametrize(
    ("headers", "authserv_id", "authenticated"),
    [
        ([OURS_PASS], AUTHSERV_ID, True),
        ([OURS_PASS], AUTHSERV_ID.upper(), True),
        ([OURS_FAIL], AUTHSERV_ID, False),
        ([FORGED_FOREIGN_PASS], AUTHSERV_ID, False),  # anyone can write a header naming another server
        ([FORGED_FOREIGN_PASS, OURS_FAIL], AUTHSERV_ID, False),  # forged above the trusted one
        ([OURS_FAIL, FORGED_FOREIGN_PASS], AUTHSERV_ID, False),  # forged below
        ([OURS_FAIL, FORGED_OURS_PASS], AUTHSERV_ID, False),  # a copy of ours below: only the topmost counts
        ([FORGED_FOREIGN_PASS, OURS_PASS], AUTHSERV_ID, True),
        (
            [f"{AUTHSERV_ID}; dkim=pass (unterminated header.d=acme.test", FORGED_OURS_PASS],
            AUTHSERV_ID,
            False,
        ),
        ([f"{AUTHSERV_ID}; " + "(" * 3000 + ")" * 3000, FORGED_OURS_PASS], AUTHSERV_ID, False),
        ([f'{AUTHSERV_ID} 1; dkim = pass header.d = "acme.test"; spf=none'], AUTHSERV_ID, True),
        ([f"{AUTHSERV_ID}; none"], AUTHSERV_ID, False),
        ([f"{AUTHSERV_ID}; spf=pass smtp.mailfrom=bounce@acme.test"], AUTHSERV_ID, True),
        ([f"{AUTHSERV_ID}; spf=pass smtp.mailfrom=bounce@evil.test"], AUTHSERV_ID, False),
        ([f"{AUTHSERV_ID}; dkim=pass header.i=@acme.test"], AUTHSERV_ID, True),
        ([f"(see {AUTHSERV_ID}) {FORGED_OURS_PASS}"], AUTHSERV_ID, False),  # ours never starts with a comment
        ([FORGED_OURS_PASS.replace(AUTHSERV_ID, AUTHSERV_ID + ".evil.example", 1)], AUTHSERV_ID, False),
        (
            [FORGED_FOREIGN_PASS] * 2000 + [OURS_PASS],
            AUTHSERV_ID,
            True,
        ),  # other servers' headers cost nothing
        ([f"{AUTHSERV_ID}; dkim=pass header.d=acme.test; x=" + "y" * 9000], AUTHSERV_ID, False),  # too long
        ([OURS_PASS], "", False),  # nothing is trusted until the operator names the receiving side
        ([], AUTHSERV_ID, False),
    ],
)
def test_only_the_topmost_header_of_our_receiving_side_is_believed(headers, authserv_id, authenticated):
    verdicts = verdicts_from_authentication_results(headers, authserv_id=authserv_id)

    result = sender_authenticated(from_address="boss@acme.test", verdicts=verdicts)

    assert result.authenticated is authenticated, result.explanation


# --- the attacks, end to end ------------------------------------------------------------------------


@pytest.fixture
def inbound_settings(settings, db):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    return settings


def _request_promoting_a_member(company, manager, role=Membership.Role.MANAGER):
    """A member asks to become ``role``; ``manager`` is sent an authorisation e-mail with a reply address."""
    subject = member(company)
    kind = AuthorizationRequest.Kind.ROLE_CHANGE if role == Membership.Role.MANAGER else "new_dsu"
    request = authorization_request_create(
        requested_by=subject, company=company, kind=kind, subject_user=subject, requested_role=role
    )
    address = AuthorizationReplyAddress.objects.get(request=request, manager=manager)
    return request, subject, f"authorization+{address.token}@inbound.casedesk.localhost"


def _nothing_changed(request, subject, role=Membership.Role.MEMBER):
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING
    assert Membership.objects.get(user=subject).role == role
    assert not AuditRecord.objects.filter(
        authorization_request=request, action=AuditRecord.Action.REQUEST_APPROVED
    ).exists()
    refusal = InboundEmail.objects.latest("pk")
    assert (refusal.outcome, refusal.reason.split(":")[0]) == ("refused", "sender_unauthenticated")


UNAUTHENTICATING_FIELDS = [
    {},  # no verdict at all
    {"spf": "none", "envelope_from": "boss@acme.test"},
    {"spf": "neutral", "envelope_from": "boss@acme.test"},
    {"spf": "softfail", "envelope_from": "boss@acme.test"},
    {"spf": "temperror", "envelope_from": "boss@acme.test"},
    {"spf": "FAIL (not permitted)", "envelope_from": "boss@acme.test"},
    {"dkim": "FAIL (signature did not verify)", "dkim_domain": "acme.test"},
    {"dkim": "{@acme.test : softfail}"},
    {"dkim": "{@attacker.example : pass}"},  # a real signature, by the attacker's own domain
    {"spf": "pass", "envelope_from": "me@attacker.example"},  # SPF passes for the attacker's envelope
    {"dkim": "pass"},  # a pass that does not say who signed
]


@pytest.mark.parametrize("verdict_fields", UNAUTHENTICATING_FIELDS)
def test_spoofed_manager_approve_makes_nobody_a_manager(api_client, inbound_settings, verdict_fields):
    company = CompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER, email="boss@acme.test")
    request, subject, address = _request_promoting_a_member(company, manager)
    payload = {"from": manager.email, "to": address, "subject": "Re", "text": "APPROVE", **verdict_fields}

    response = api_client.post(ENDPOINT, payload, format="json", HTTP_X_INBOUND_SECRET=SECRET)

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    _nothing_changed(request, subject)


@pytest.mark.parametrize(
    "results",
    [
        [],
        [FORGED_FOREIGN_PASS],
        [FORGED_FOREIGN_PASS, OURS_FAIL],
        [OURS_FAIL, FORGED_OURS_PASS],
        [f"{AUTHSERV_ID}; dkim=temperror header.d=acme.test; spf=neutral smtp.mailfrom=acme.test"],
    ],
)
def test_spoofed_manager_approve_in_mime_makes_nobody_a_manager(api_client, inbound_settings, results):
    company = CompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER, email="boss@acme.test")
    request, subject, address = _request_promoting_a_member(company, manager)

    response = api_client.generic(
        "POST",
        ENDPOINT,
        mime(manager.email, address, "APPROVE", results=results),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    _nothing_changed(request, subject)


def test_spoofed_support_manager_makes_nobody_a_dsu(api_client, inbound_settings):
    company = USCompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER)
    support_manager = SupportManagerFactory()
    request, subject, address = _request_promoting_a_member(company, manager, role=Membership.Role.DSU)
    payload = json_payload(support_manager.email, address, "APPROVE", dkim="{@attacker.example : pass}")

    response = api_client.post(ENDPOINT, payload, format="json", HTTP_X_INBOUND_SECRET=SECRET)

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    _nothing_changed(request, subject)


def test_the_real_manager_still_approves_by_mail(api_client, inbound_settings):
    """The control: the same message, DKIM-signed by the manager's domain, decides."""
    company = CompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER, email="boss@acme.test")
    request, subject, address = _request_promoting_a_member(company, manager)

    as_json = api_client.post(
        ENDPOINT,
        json_payload(manager.email, address, "APPROVE", dkim="{@acme.test : pass}"),
        format="json",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (as_json.status_code, as_json.json()["outcome"]) == (202, "decided")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.APPROVED
    assert Membership.objects.get(user=subject).role == Membership.Role.MANAGER


def test_the_real_manager_decides_through_our_receiving_servers_header(api_client, inbound_settings):
    company = CompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER, email="boss@acme.test")
    request, _subject, address = _request_promoting_a_member(company, manager)

    response = api_client.generic(
        "POST",
        ENDPOINT,
        mime(manager.email, address, "REJECT not now", results=[FORGED_FOREIGN_PASS, OURS_PASS, OURS_FAIL]),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (response.status_code, response.json()["outcome"]) == (202, "decided")
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (AuthorizationRequest.Status.REJECTED, "not now")


def test_an_unauthenticated_case_reply_adds_no_comment(api_client, inbound_settings):
    from cases.models import Comment
    from tests.factories import CaseFactory

    case = CaseFactory()
    address = f"case+{case.reply_token}@inbound.casedesk.localhost"
    payload = json_payload(case.opened_by.email, address, "Please close it", dkim=None, spf="softfail")

    response = api_client.post(ENDPOINT, payload, format="json", HTTP_X_INBOUND_SECRET=SECRET)

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    assert not Comment.objects.filter(case=case).exists()
    logged = InboundEmail.objects.get()
    assert logged.reason.startswith("sender_unauthenticated") and "spf=softfail" in logged.authentication
    assert timezone.now() - logged.received_at < timedelta(minutes=1)
