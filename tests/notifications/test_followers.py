"""Followers get a case's customer notices while they are entitled to them, each person once."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from cases.models import Case, CaseEvent, CaseFollower
from cases.notices.customers import notifications_for_case_event
from cases.services import case_follow, case_transition, comment_create
from notifications.models import Notification
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    USCompanyFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
R = Membership.Role


@pytest.fixture
def followed_case():
    """An in-progress US case opened by one DSU and followed by another."""
    case = CaseFactory(company=USCompanyFactory(), status=Case.Status.IN_PROGRESS, assignee=AnalystFactory())
    follower = member(case.company, role=R.DSU)
    case_follow(case=case, user=follower)
    return case, follower


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_follower_gets_the_public_reply_and_the_verify_resolution_notice(
    followed_case, django_capture_on_commit_callbacks
):
    case, follower = followed_case

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=case.assignee, body="We found the cause.", now=NOW)
    replies = _recipients()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, actor=case.assignee, transition="propose_resolution", resolution="Fixed")

    assert replies == sorted([case.opened_by.email, follower.email])
    assert _recipients() == sorted([case.opened_by.email, follower.email])
    assert set(Notification.objects.filter(recipient=follower).values_list("kind", flat=True)) == {
        "support_reply",
        "verify_resolution",
    }


def test_internal_notes_still_reach_no_follower(followed_case, django_capture_on_commit_callbacks):
    case, _ = followed_case

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=case.assignee, body="secret", is_internal=True, now=NOW)

    assert mail.outbox == []


def _lost_dsu_role(user):
    Membership.objects.filter(user=user).update(role=R.MEMBER)


def _disabled(user):
    Membership.objects.filter(user=user).update(status=Membership.Status.DISABLED)


def _left_for_another_company(user):
    Membership.objects.filter(user=user).update(company=CompanyFactory())


def _deactivated(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _made_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])


@pytest.mark.parametrize(
    "change", [_lost_dsu_role, _disabled, _left_for_another_company, _deactivated, _made_staff]
)
def test_a_follower_no_longer_entitled_is_not_mailed_but_keeps_the_row(
    followed_case, django_capture_on_commit_callbacks, change
):
    case, follower = followed_case
    change(follower)

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=case.assignee, body="Update", now=NOW)

    assert _recipients() == [case.opened_by.email]
    assert CaseFollower.objects.filter(case=case, user=follower).exists()  # filtered, not deleted


def test_a_partner_follower_stops_when_its_establishment_stops_serving(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    establishment = PartnerEstablishmentFactory(clients=[company])
    partner = partner_user(establishment)
    case = CaseFactory(company=company, status=Case.Status.IN_PROGRESS)
    case_follow(case=case, user=partner)
    analyst = AnalystFactory()

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=analyst, body="First", now=NOW)
    establishment.clients.remove(company)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=analyst, body="Second", now=NOW)

    bodies_to_partner = [m.body for m in mail.outbox if m.to == [partner.email]]
    assert len(bodies_to_partner) == 1 and "First" in bodies_to_partner[0]


def test_a_row_for_someone_of_another_company_never_sends(django_capture_on_commit_callbacks):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    CaseFollower.objects.create(case=case, user=member(CompanyFactory(), role=R.DSU))  # bypassing the check

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=AnalystFactory(), body="Update", now=NOW)

    assert _recipients() == [case.opened_by.email]


def test_the_opener_who_also_follows_gets_one_mail(django_capture_on_commit_callbacks):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    CaseFollower.objects.create(case=case, user=case.opened_by)  # the API refuses it; rows may still exist

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(case=case, author=AnalystFactory(), body="Update", now=NOW)

    assert _recipients() == [case.opened_by.email]


def test_closing_tells_followers_without_the_openers_survey_link(
    followed_case, django_capture_on_commit_callbacks
):
    case, follower = followed_case
    case = case_transition(
        case=case, actor=case.assignee, transition="propose_resolution", resolution="Fixed"
    ).case
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, actor=case.opened_by, transition="confirm_resolution")

    closed = {
        n.recipient_id: n.context["survey_url"] for n in Notification.objects.filter(kind="case_closed")
    }
    assert set(closed) == {case.opened_by_id, follower.pk}
    assert "/surveys/" in closed[case.opened_by_id]
    assert closed[follower.pk] == ""


def test_followers_are_read_in_one_query_whatever_their_number():
    def queries_for(followers: int) -> int:
        case = CaseFactory(company=USCompanyFactory())
        for _ in range(followers):
            case_follow(case=case, user=member(case.company, role=R.DSU))
        event = CaseEvent.objects.create(case=case, type=CaseEvent.Type.REOPENED, created_at=NOW)
        with CaptureQueriesContext(connection) as queries:
            rows = notifications_for_case_event(event=event)
        assert len(rows) == followers + 1
        return len([q for q in queries.captured_queries if "cases_casefollower" in q["sql"]])

    assert queries_for(1) == queries_for(5) == 1


@pytest.mark.parametrize(
    ("event_type", "reads_followers"),
    [
        (CaseEvent.Type.REOPENED, True),  # mails the customer side
        (CaseEvent.Type.CREATED, False),  # nobody can follow a case being opened
        (CaseEvent.Type.COMMENTED, False),  # a customer's own comment mails no customer
        (CaseEvent.Type.SLA_WARNING, False),  # for support only
    ],
)
def test_followers_are_read_only_for_events_that_mail_the_customer_side(
    followed_case, event_type, reads_followers
):
    case, _ = followed_case
    event = CaseEvent.objects.create(case=case, type=event_type, actor=case.opened_by, created_at=NOW)
    with CaptureQueriesContext(connection) as queries:
        notifications_for_case_event(event=event)
    read = [q for q in queries.captured_queries if "cases_casefollower" in q["sql"]]
    assert len(read) == (1 if reads_followers else 0)
