"""Bulk actions on the case list: each reports what it did, what was already so, and what it refused."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseStatus
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cases_case_changelist")


def said(response):
    return [str(message) for message in response.context["messages"]]


def run(client, action, cases, **data):
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in cases], **data}, follow=True
    )


def test_assign_to_me_reports_done_unchanged_and_refused(analyst_client, analyst):
    fresh, closed, mine = CaseFactory(), CaseFactory(status=CaseStatus.CLOSED), CaseFactory(assignee=analyst)

    response = run(analyst_client, "assign_to_me", [fresh, closed, mine])

    assert said(response) == [
        f"Assigned to you: {fresh.number}.",
        f"Already yours: {mine.number}.",
        f"Not assigned: {closed.number} (closed: reopen it first).",
    ]
    assert Case.objects.get(pk=fresh.pk).assignee == analyst
    assert Case.objects.get(pk=closed.pk).assignee is None
    assert CaseEvent.objects.filter(type=CaseEvent.Type.ASSIGNED).count() == 1


def test_assign_to_an_analyst_asks_whom_first(analyst_client):
    cases = CaseFactory.create_batch(2)
    colleague = AnalystFactory(first_name="Bo", last_name="Colleague")

    page = analyst_client.post(
        CHANGELIST, {"action": "assign_to_analyst", ACTION_CHECKBOX_NAME: [c.pk for c in cases]}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert all(case.number in html for case in cases) and 'name="assignee"' in html

    response = run(analyst_client, "assign_to_analyst", cases, apply="1", assignee=colleague.pk)

    assert said(response) == [f"Assigned to Bo Colleague: {cases[0].number}, {cases[1].number}."]
    assert set(Case.objects.values_list("assignee", flat=True)) == {colleague.pk}


def test_assigning_to_a_non_analyst_is_refused_by_the_form(analyst_client):
    case = CaseFactory()
    inactive = AnalystFactory(is_active=False)

    page = run(analyst_client, "assign_to_analyst", [case], apply="1", assignee=inactive.pk)

    assert page.context["form"].errors["assignee"]
    assert Case.objects.get(pk=case.pk).assignee is None


def test_change_priority_with_a_reason(analyst_client):
    p3, p1, closed = (
        CaseFactory(priority="P3"),
        CaseFactory(priority="P1"),
        CaseFactory(status=CaseStatus.CLOSED),
    )

    missing_reason = run(analyst_client, "change_priority", [p3], apply="1", priority="P1", reason="")
    assert missing_reason.context["form"].errors["reason"]

    response = run(
        analyst_client, "change_priority", [p3, p1, closed], apply="1", priority="P1", reason="Go-live"
    )

    assert said(response) == [
        f"Priority changed to P1: {p3.number}.",
        f"Already P1: {p1.number}.",
        f"Priority not changed: {closed.number} (closed: reopen it first).",
    ]
    assert Case.objects.get(pk=p3.pk).priority == "P1"
    assert CaseEvent.objects.get(type=CaseEvent.Type.PRIORITY_CHANGED).note == "Go-live"


def test_delete_is_not_an_action(analyst_client):
    response = analyst_client.get(CHANGELIST)
    choices = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert choices == ["", "assign_to_me", "assign_to_analyst", "change_priority"]
