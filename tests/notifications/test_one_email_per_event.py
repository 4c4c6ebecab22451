"""One e-mail per event per recipient: every customer-facing move and comment mails each person at
most once, and a move that carries a message (asking the customer for something, a rejected
resolution) says it in its own e-mail instead of a second one for the comment it posts."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from cases.models import AnalystProfile, Case, CaseFollower, Comment
from cases.services import case_transition, comment_create, escalation_request
from notifications.models import Notification
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    OutOfScopeReasonFactory,
    SupportManagerFactory,
    member,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)

# name → (status before, who acts, what they do, the customer side's e-mails, the analyst's e-mails)
MOVES = {
    "start": ("open", "other analyst", {"transition": "start"}, [], []),
    "await_release": (
        "in_progress",
        "analyst",
        {"transition": "await_release", "tentative_release_date": date(2026, 7, 1)},
        [],
        [],
    ),
    "engage_engineering": ("in_progress", "analyst", {"transition": "engage_engineering"}, [], []),
    "request_customer_action": (
        "in_progress",
        "analyst",
        {"transition": "request_customer_action", "message": "Please attach the issue recorder's zip."},
        ["pending_customer"],
        [],
    ),
    "resume": ("pending_release", "analyst", {"transition": "resume"}, [], []),
    "propose_resolution": (
        "in_progress",
        "analyst",
        {"transition": "propose_resolution", "resolution": "Clear the ledger lock in Settings."},
        ["verify_resolution"],
        [],
    ),
    "close_out_of_scope": (
        "in_progress",
        "analyst",
        {"transition": "close_out_of_scope"},
        ["case_closed"],
        [],
    ),
    "respond": (
        "pending_customer",
        "customer",
        {"transition": "respond", "message": "Attached."},
        [],
        ["agent_customer_reply"],
    ),
    "confirm_resolution": (
        "verify_resolution",
        "customer",
        {"transition": "confirm_resolution"},
        ["case_closed"],
        [],
    ),
    "reject_resolution": (
        "verify_resolution",
        "customer",
        {"transition": "reject_resolution", "message": "Still broken."},
        [],
        ["agent_resolution_rejected"],
    ),
    "reopen": ("closed", "customer", {"transition": "reopen"}, ["reopened"], ["agent_reopened"]),
    "support public reply": (
        "in_progress",
        "analyst",
        {"comment": "We found the cause."},
        ["support_reply"],
        [],
    ),
    "support internal note": ("in_progress", "analyst", {"note": "Probably the lock."}, [], []),
    "customer comment": ("in_progress", "customer", {"comment": "Any news?"}, [], ["agent_customer_reply"]),
    "customer comment on Pending Customer Action": (
        "pending_customer",
        "customer",
        {"comment": "Here it is."},
        [],
        ["agent_customer_reply"],
    ),
    "escalation request": (
        "in_progress",
        "customer",
        {"escalation": "Payroll is stopped."},
        ["escalation_requested"],
        ["agent_escalation_requested"],
    ),
}


def _case(status: str):
    company = CompanyFactory(language="en", time_zone="Europe/London")
    analyst = AnalystFactory()
    AnalystProfile.objects.create(user=analyst, availability="available")
    fields: dict[str, object] = {}
    if status == "closed":
        fields["closed_at"] = NOW - timedelta(days=1)
    if status == "verify_resolution":
        fields.update(auto_close_at=NOW + timedelta(days=8), resolution="Fixed.")
    case = CaseFactory(company=company, status=status, assignee=analyst, **fields)
    follower = member(company, role="dsu")
    CaseFollower.objects.create(case=case, user=follower)
    return case, analyst, follower


def _act(name: str, case: Case, analyst) -> None:
    _, who, act, _, _ = MOVES[name]
    actor = {"analyst": analyst, "other analyst": AnalystFactory(), "customer": case.opened_by}[who]
    if "transition" in act:
        fields = dict(act)
        if fields["transition"] == "close_out_of_scope":
            fields["out_of_scope_reason"] = OutOfScopeReasonFactory()
        case_transition(case=case, actor=actor, now=NOW, **fields)  # type: ignore[arg-type]
    elif "comment" in act:
        comment_create(case=case, author=actor, body=act["comment"], now=NOW)
    elif "note" in act:
        comment_create(case=case, author=actor, body=act["note"], is_internal=True, now=NOW)
    else:
        escalation_request(case=case, requested_by=actor, message=act["escalation"], now=NOW)


@pytest.mark.parametrize("name", list(MOVES))
def test_each_person_gets_at_most_one_email_per_move_and_the_move_carries_its_message(
    name, django_capture_on_commit_callbacks
):
    status, who, act, customer_kinds, analyst_kinds = MOVES[name]
    case, analyst, follower = _case(status)
    manager = SupportManagerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        _act(name, case, analyst)

    per_person = Counter(message.to[0] for message in mail.outbox)
    assert all(count == 1 for count in per_person.values()), per_person
    kinds = {
        person: sorted(
            Notification.objects.filter(channel="email", recipient=person).values_list("kind", flat=True)
        )
        for person in (case.opened_by, follower, analyst, manager)
    }
    assert kinds == {
        case.opened_by: customer_kinds,
        follower: customer_kinds,  # a follower hears what the opener hears
        analyst: analyst_kinds,
        manager: ["escalation_review"] if name == "escalation request" else [],
    }
    # What the move said is in the e-mail that tells of it (the comment it posts sends none of its own).
    said = act.get("message") or act.get("resolution") or act.get("comment") or act.get("escalation")
    by_person = {message.to[0]: message for message in mail.outbox}
    readers = [case.opened_by, follower] if who != "customer" else [analyst]
    for person in readers:
        if said and person.email in by_person:
            assert said in by_person[person.email].body, person
    if act.get("transition") in ("request_customer_action", "respond", "reject_resolution"):
        assert Comment.objects.get(case=case).body == said  # the message is still a public comment
