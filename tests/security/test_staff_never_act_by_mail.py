"""Rule: staff addresses never act through inbound mail (no support comments, no decisions): staff
work in the admin, where they are logged in. Mail from a staff address, even a genuinely signed
one, is refused and logged.

The attack (issue 15): a message claiming to come from a support manager's address made a member
a DSU; an analyst's address could post "support" replies on any case.
"""

import pytest

from accounts.models import AuthorizationReplyAddress, AuthorizationRequest, Membership
from cases.models import Comment
from inbound.models import InboundEmail
from inbound.processing import inbound_email_process
from tests.factories import (
    AnalystFactory,
    AuthorizationRequestFactory,
    CaseFactory,
    SupportManagerFactory,
    USCompanyFactory,
    member,
)
from tests.inbound.inbound_mail import AUTHSERV_ID, ENDPOINT, SECRET, inbound, mime

pytestmark = pytest.mark.django_db
DOMAIN = "inbound.casedesk.localhost"


def _dsu_request():
    company = USCompanyFactory(domain="acme.test")
    manager = member(company, role=Membership.Role.MANAGER)
    request = AuthorizationRequestFactory(company=company, kind=AuthorizationRequest.Kind.NEW_DSU)
    address = AuthorizationReplyAddress.objects.create(
        request=request, manager=manager, created_at=request.created_at, expires_at=request.expires_at
    )
    return request, manager, f"authorization+{address.token}@{DOMAIN}"


@pytest.mark.parametrize("staff_factory", [SupportManagerFactory, AnalystFactory])
def test_a_signed_message_from_staff_makes_nobody_a_dsu(staff_factory):
    request, _, address = _dsu_request()
    staff = staff_factory()

    logged = inbound_email_process(message=inbound(staff.email, address, "APPROVE"))

    assert (logged.outcome, logged.reason.split(":")[0]) == ("refused", "staff_sender")
    assert logged.authentication.startswith("dkim=pass")  # refused although the signature is good
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING
    assert Membership.objects.get(user=request.subject_user).role == Membership.Role.MEMBER


def test_a_staff_member_who_also_manages_the_company_decides_nothing_by_mail():
    request, manager, address = _dsu_request()
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])

    logged = inbound_email_process(message=inbound(manager.email, address, "APPROVE"))

    assert logged.reason.startswith("staff_sender")
    request.refresh_from_db()
    assert request.status == AuthorizationRequest.Status.PENDING


@pytest.mark.parametrize("staff_factory", [AnalystFactory, SupportManagerFactory])
def test_staff_replies_add_no_support_comment(api_client, settings, staff_factory):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.INBOUND_EMAIL_AUTHSERV_ID = AUTHSERV_ID
    case = CaseFactory()
    staff = staff_factory()
    case.assignee = staff
    case.save(update_fields=["assignee"])
    address = f"case+{case.reply_token}@{DOMAIN}"

    response = api_client.generic(
        "POST",
        ENDPOINT,
        mime(staff.email, address, "Fixed, closing."),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=SECRET,
    )

    assert (response.status_code, response.json()["outcome"]) == (202, "refused")
    assert response.json()["reason"].startswith("staff_sender")
    assert not Comment.objects.filter(case=case).exists()
    assert InboundEmail.objects.get().source == "mime"


def test_the_customer_still_replies_by_mail():
    """The control: the same reply from the case's customer becomes a comment."""
    case = CaseFactory()

    logged = inbound_email_process(
        message=inbound(case.opened_by.email, f"case+{case.reply_token}@{DOMAIN}", "Fixed, thanks.")
    )

    assert logged.outcome == InboundEmail.Outcome.COMMENTED
    assert Comment.objects.get(case=case).author == case.opened_by
