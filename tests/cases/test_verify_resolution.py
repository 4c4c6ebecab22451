"""Verify Resolution is the customer's move: any answer from the customer side hands the case back
to support, and the 9-day automatic close never closes a case whose customer answered.

The clock is moved with time-machine and the services read it (no ``now`` passed), as the API and
the beat jobs do."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership
from cases.models import Attachment, Case, CaseEvent, Comment
from cases.services import (
    case_auto_close_due,
    case_auto_close_reminders_due,
    case_transition,
    comment_create,
    escalation_request,
)
from cases.services.comments import comment_add
from inbound.processing import inbound_email_process
from tests.factories import AnalystFactory, CaseFactory, member
from tests.inbound.inbound_mail import inbound

pytestmark = pytest.mark.django_db
S = Case.Status
PROPOSED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = PROPOSED + timedelta(days=9)


@pytest.fixture
def clock(time_machine):
    def move_to(at: datetime) -> None:
        time_machine.move_to(at, tick=False)

    return move_to


@pytest.fixture
def proposed(clock):
    """A case whose analyst proposed a resolution at PROPOSED (the clock stays there)."""
    clock(PROPOSED)
    analyst = AnalystFactory()
    case = CaseFactory(status=S.IN_PROGRESS, assignee=analyst)
    case = case_transition(
        case=case, actor=analyst, transition="propose_resolution", resolution="Patched."
    ).case
    assert (case.status, case.auto_close_at) == (S.VERIFY_RESOLUTION, DEADLINE)
    return case


def _hand_back_event(case: Case) -> CaseEvent:
    return case.events.get(type=CaseEvent.Type.TRANSITION, transition="reject_resolution")


def test_a_customer_comment_one_second_before_the_deadline_hands_the_case_back(proposed, clock):
    clock(DEADLINE - timedelta(seconds=1))

    comment, _ = comment_create(case=proposed, author=proposed.opened_by, body="Still broken.")

    proposed.refresh_from_db()
    assert (proposed.status, proposed.whose_move, proposed.auto_close_at) == (
        S.IN_PROGRESS,
        "customer_support",
        None,
    )
    assert proposed.last_customer_activity_at == DEADLINE - timedelta(seconds=1)
    event = _hand_back_event(proposed)
    assert (event.actor, event.from_status, event.to_status) == (
        proposed.opened_by,
        S.VERIFY_RESOLUTION,
        S.IN_PROGRESS,
    )
    assert f"comment #{comment.pk}" in event.note and "not confirmed" in event.note
    assert event.data == {"comment_id": comment.pk, "cause": "customer_comment"}
    assert list(Comment.objects.filter(case=proposed).values_list("body", flat=True)) == ["Still broken."]

    clock(DEADLINE)
    assert case_auto_close_due() == []
    proposed.refresh_from_db()
    assert proposed.status == S.IN_PROGRESS
    assert not proposed.events.filter(type=CaseEvent.Type.AUTO_CLOSED).exists()


def test_a_case_without_an_answer_closes_exactly_at_the_deadline(proposed, clock):
    clock(DEADLINE - timedelta(microseconds=1))
    assert case_auto_close_due() == []

    clock(DEADLINE)
    assert case_auto_close_due() == [proposed.pk]

    proposed.refresh_from_db()
    assert (proposed.status, proposed.closed_at) == (S.CLOSED, DEADLINE)


@pytest.mark.parametrize("is_internal", [False, True], ids=["public reply", "internal note"])
def test_support_comments_are_not_the_customers_answer(proposed, clock, is_internal):
    clock(PROPOSED + timedelta(days=4))
    comment_create(case=proposed, author=proposed.assignee, body="Any news?", is_internal=is_internal)
    proposed.refresh_from_db()
    assert proposed.status == S.VERIFY_RESOLUTION

    clock(DEADLINE)
    assert case_auto_close_due() == [proposed.pk]


def test_a_comment_from_another_customer_of_the_company_answers_too(proposed, clock):
    colleague = member(proposed.company, role=Membership.Role.DSU)
    clock(PROPOSED + timedelta(days=1))

    comment_create(case=proposed, author=colleague, body="It fails for me as well.")

    proposed.refresh_from_db()
    assert proposed.status == S.IN_PROGRESS
    assert _hand_back_event(proposed).actor == colleague


def test_an_escalation_request_is_an_answer(proposed, clock):
    clock(PROPOSED + timedelta(days=2))

    escalation = escalation_request(
        case=proposed, requested_by=proposed.opened_by, message="Escalate, please."
    )

    proposed.refresh_from_db()
    assert proposed.status == S.IN_PROGRESS
    assert _hand_back_event(proposed).data["comment_id"] == escalation.comment_id


def test_a_reply_by_email_is_an_answer(proposed, clock):
    clock(PROPOSED + timedelta(days=3))
    address = f"case+{proposed.reply_token}@inbound.casedesk.localhost"

    logged = inbound_email_process(
        message=inbound(proposed.opened_by.email, address, "Still broken.\n> quoted")
    )

    assert logged.outcome == "commented"
    proposed.refresh_from_db()
    assert proposed.status == S.IN_PROGRESS
    comment = Comment.objects.get(case=proposed)
    assert (comment.body, comment.source) == ("Still broken.", "email")
    assert _hand_back_event(proposed).data == {"comment_id": comment.pk, "cause": "customer_comment"}


def test_a_customer_comment_over_the_api_hands_the_case_back(proposed, clock, api_client):
    clock(PROPOSED + timedelta(days=1))
    api_client.force_authenticate(proposed.opened_by)

    response = api_client.post(
        f"/api/v1/cases/{proposed.pk}/comments/", {"body": "Not fixed."}, format="json"
    )
    detail = api_client.get(f"/api/v1/cases/{proposed.pk}/").json()

    assert response.status_code == 201
    assert (detail["status"], detail["whose_move"], detail["auto_close_at"]) == (
        "in_progress",
        "customer_support",
        None,
    )


# --- the sweeps' second line: customer activity the move missed ---------------------------------


def _answer_without_the_move(case: Case, at: datetime) -> Comment:
    """A customer comment stored without the hand-back (as if that move had been lost)."""
    return comment_add(case=case, author=case.opened_by, body="Still broken.", is_internal=False, at=at)


def test_the_auto_close_hands_back_a_case_whose_customer_answered_without_the_move(proposed, clock):
    _answer_without_the_move(proposed, PROPOSED + timedelta(days=8))
    clock(DEADLINE)

    assert case_auto_close_due() == []

    proposed.refresh_from_db()
    assert (proposed.status, proposed.closed_at, proposed.auto_close_at) == (S.IN_PROGRESS, None, None)
    event = _hand_back_event(proposed)
    assert (event.actor, event.created_at, event.data) == (None, DEADLINE, {"cause": "customer_activity"})
    assert "not closed automatically" in event.note
    assert case_auto_close_due() == []  # nothing left to do, and nothing closed later either


def test_customer_comment_rows_count_even_without_the_activity_mark(proposed, clock):
    Comment.objects.create(
        case=proposed, author=proposed.opened_by, body="Broken", created_at=PROPOSED + timedelta(days=1)
    )  # no last_customer_activity_at, no move: only the row says the customer answered
    clock(DEADLINE)

    assert case_auto_close_due() == []
    proposed.refresh_from_db()
    assert proposed.status == S.IN_PROGRESS


def _activity_without_the_move(kind: str, case: Case, by, at: datetime) -> None:
    """Activity of ``kind`` by ``by`` stored at ``at`` without any move (the second line's inputs)."""
    if kind == "activity mark":
        Case.objects.filter(pk=case.pk).update(last_customer_activity_at=at)
    elif kind == "public comment":
        Comment.objects.create(case=case, author=by, body="Still broken.", created_at=at)
    else:
        Attachment.objects.create(
            case=case,
            file=f"cases/{case.pk}/app.log",
            filename="app.log",
            content_type="text/plain",
            size=11,
            uploaded_by=by,
            created_at=at,
        )


@pytest.mark.parametrize("kind", ["activity mark", "public comment", "upload"])
@pytest.mark.parametrize(
    ("offset", "answered"),
    [(timedelta(0), True), (-timedelta(microseconds=1), False)],
    ids=["at the instant it entered", "a microsecond before"],
)
def test_customer_activity_counts_from_the_instant_the_case_entered_verify_resolution(
    proposed, clock, kind, offset, answered
):
    assert proposed.status_changed_at == PROPOSED
    _activity_without_the_move(kind, proposed, proposed.opened_by, PROPOSED + offset)
    clock(DEADLINE)

    closed = case_auto_close_due()

    proposed.refresh_from_db()
    if answered:
        assert (closed, proposed.status) == ([], S.IN_PROGRESS)
        assert _hand_back_event(proposed).data == {"cause": "customer_activity"}
    else:
        assert (closed, proposed.status) == ([proposed.pk], S.CLOSED)


@pytest.mark.parametrize("kind", ["public comment", "upload"])
def test_support_activity_during_verify_resolution_is_no_answer(proposed, clock, kind):
    _activity_without_the_move(kind, proposed, proposed.assignee, PROPOSED + timedelta(days=1))
    clock(DEADLINE)

    assert case_auto_close_due() == [proposed.pk]


def test_activity_from_before_the_proposal_does_not_count(clock):
    clock(PROPOSED - timedelta(days=1))
    analyst = AnalystFactory()
    case = CaseFactory(status=S.IN_PROGRESS, assignee=analyst)
    comment_create(case=case, author=case.opened_by, body="Here is the log.")
    clock(PROPOSED)
    case = case_transition(
        case=case, actor=analyst, transition="propose_resolution", resolution="Fixed."
    ).case

    clock(DEADLINE)
    assert case_auto_close_due() == [case.pk]


def test_no_reminder_for_a_case_whose_customer_answered(proposed, clock):
    other = CaseFactory(status=S.IN_PROGRESS)
    other = case_transition(
        case=other, actor=AnalystFactory(), transition="propose_resolution", resolution="Done."
    ).case
    _answer_without_the_move(proposed, PROPOSED + timedelta(days=1))
    clock(DEADLINE - timedelta(days=2))

    assert case_auto_close_reminders_due() == [other.pk]
