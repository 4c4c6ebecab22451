"""Rule: the address a manager answers an authorisation request at carries an unguessable token
issued to that manager alone; an answer counts only from that manager. Case reply addresses are
unguessable too, and a reply still needs a sender allowed to act on the case.

The attack (issue 15): managers answered at ``authorization+<request id>@…``, a sequential id
anyone could guess; with a spoofed From, that address was all a stranger needed to decide.
"""

import re
from datetime import timedelta

import pytest
import time_machine

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Membership
from accounts.services import authorization_request_create
from cases.models import Comment
from inbound.models import InboundEmail
from inbound.processing import inbound_email_process
from tests.factories import CaseFactory, CompanyFactory, member
from tests.inbound.inbound_mail import inbound

pytestmark = pytest.mark.django_db
DOMAIN = "inbound.casedesk.localhost"
AUTHORIZATION_REPLY_TO = re.compile(rf"^authorization\+(?P<token>[0-9a-f]+)@{re.escape(DOMAIN)}$")


@pytest.fixture
def raised(django_capture_on_commit_callbacks, mailoutbox):
    """A member asks to become a DSU in a company with two managers; the e-mails are sent."""
    company = CompanyFactory(domain="acme.test")
    managers = [member(company, role=Membership.Role.MANAGER) for _ in range(2)]
    asker = member(company)
    with django_capture_on_commit_callbacks(execute=True):
        request = authorization_request_create(
            requested_by=asker, company=company, kind=AuthorizationRequest.Kind.NEW_DSU, subject_user=asker
        )
    return request, managers, asker, {mail.to[0]: mail for mail in mailoutbox}


def test_each_manager_answers_at_an_unguessable_address_of_their_own(raised):
    request, managers, asker, mails = raised

    tokens = []
    for manager in managers:
        (reply_to,) = mails[manager.email].reply_to
        match = AUTHORIZATION_REPLY_TO.match(reply_to)
        assert match, reply_to
        tokens.append(match["token"])
        assert AuthorizationReplyAddress.objects.get(token=match["token"]).manager == manager
    assert len(set(tokens)) == 2
    assert all(len(token) * 4 >= 128 for token in tokens)  # hex digits: at least 128 bits
    assert all(str(request.pk) != token for token in tokens)
    assert mails[asker.email].reply_to == []  # the asker decides nothing: no address to answer


def test_the_old_sequential_address_decides_nothing(raised):
    request, managers, asker, _ = raised

    logged = inbound_email_process(
        message=inbound(managers[0].email, f"authorization+{request.pk}@{DOMAIN}", "APPROVE")
    )

    assert (logged.outcome, logged.reason.split(":")[0]) == ("refused", "reply_address_unknown")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING
    assert Membership.objects.get(user=asker).role == Membership.Role.MEMBER


@pytest.mark.parametrize("token", ["0" * 40, "deadbeef", "A" * 40, "1"])
def test_made_up_tokens_decide_nothing(raised, token):
    request, managers, _, _ = raised

    logged = inbound_email_process(
        message=inbound(managers[0].email, f"authorization+{token}@{DOMAIN}", "APPROVE")
    )

    assert logged.reason.startswith("reply_address_unknown")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_a_managers_address_does_not_work_for_another_manager(raised):
    request, managers, _asker, mails = raised
    (first_managers_address,) = mails[managers[0].email].reply_to

    logged = inbound_email_process(message=inbound(managers[1].email, first_managers_address, "APPROVE"))

    assert logged.reason.startswith("reply_address_not_yours")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_the_address_expires_with_the_request(raised):
    request, managers, _asker, mails = raised
    (address,) = mails[managers[0].email].reply_to

    with time_machine.travel(request.expires_at + timedelta(seconds=1)):
        logged = inbound_email_process(message=inbound(managers[0].email, address, "APPROVE"))

    assert logged.reason.startswith("reply_address_unknown")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


def test_the_manager_decides_at_their_own_address(raised):
    """The control: the same answer from the manager the address was issued to decides."""
    request, managers, asker, mails = raised
    (address,) = mails[managers[1].email].reply_to

    logged = inbound_email_process(message=inbound(managers[1].email, address, "approve"))

    assert logged.outcome == InboundEmail.Outcome.DECIDED
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (AuthorizationRequest.Status.APPROVED, managers[1])
    assert Membership.objects.get(user=asker).role == Membership.Role.DSU


def test_case_reply_addresses_are_unguessable_and_still_need_a_sender_who_may_act():
    case = CaseFactory()
    other_case = CaseFactory()
    stranger = member(CompanyFactory())  # authenticated, but of another company

    assert len(case.reply_token) >= 24  # secrets.token_urlsafe(18): 144 bits
    assert case.reply_token != other_case.reply_token
    refused = inbound_email_process(
        message=inbound(stranger.email, f"case+{case.reply_token}@{DOMAIN}", "hi")
    )
    unknown = inbound_email_process(message=inbound(case.opened_by.email, f"case+{case.pk}@{DOMAIN}", "hi"))
    accepted = inbound_email_process(
        message=inbound(case.opened_by.email, f"case+{case.reply_token}@{DOMAIN}", "hi")
    )

    assert refused.reason == "not_found: Case not found."
    assert unknown.reason.startswith("reply_address_unknown")
    assert accepted.outcome == InboundEmail.Outcome.COMMENTED
    assert list(Comment.objects.values_list("case", "author")) == [(case.pk, case.opened_by.pk)]
