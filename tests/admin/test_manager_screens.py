"""Screens for support managers (escalations, availability, catalogs, SLA, beat) and read-only histories."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.admin.canned import canned_response_render
from cases.models import (
    AnalystProfile,
    CannedResponse,
    Case,
    CaseEvent,
    CaseStatus,
    Comment,
    EscalationRequest,
    Queue,
)
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, USCompanyFactory

pytestmark = pytest.mark.django_db

# What the "Support managers" group needs for these screens (proposed additions to 00_groups.json).
MANAGER_PERMISSIONS = [
    ("cases", "view_case"),
    ("cases", "view_escalationrequest"),
    ("cases", "change_escalationrequest"),
    ("cases", "view_caseevent"),
    ("cases", "view_attachment"),
    ("cases", "view_analystprofile"),
    ("cases", "change_analystprofile"),
    ("cases", "view_cannedresponse"),
    ("cases", "add_cannedresponse"),
    ("cases", "change_cannedresponse"),
    ("cases", "view_queue"),
    ("cases", "change_queue"),
    ("cases", "view_casereason"),
    ("cases", "change_casereason"),
    ("cases", "view_applicationarea"),
    ("cases", "view_outofscopereason"),
    ("cases", "view_priorityrule"),
    ("cases", "change_priorityrule"),
    ("sla", "view_slapolicy"),
    ("sla", "change_slapolicy"),
    ("sla", "view_calendar"),
    ("sla", "change_calendar"),
    ("sla", "view_holiday"),
    ("sla", "view_slatimer"),
    ("django_celery_beat", "view_periodictask"),
    ("accounts", "view_authorizationrequest"),
    ("accounts", "change_authorizationrequest"),
]


def grant(user, perms):
    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # fresh: the permission cache is per instance


def said(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_authorizationrequest_changelist",
        "admin:cases_escalationrequest_changelist",
        "admin:cases_analystprofile_changelist",
        "admin:cases_cannedresponse_changelist",
        "admin:cases_queue_changelist",
        "admin:cases_casereason_changelist",
        "admin:cases_priorityrule_changelist",
        "admin:cases_caseevent_changelist",
        "admin:sla_slapolicy_changelist",
        "admin:sla_calendar_changelist",
        "admin:django_celery_beat_periodictask_changelist",
    ],
)
def test_manager_screens_are_reachable_with_the_proposed_permissions(client, manager, url_name):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    assert client.get(reverse(url_name)).status_code == 200


def _escalation():
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    comment = Comment.objects.create(
        case=case, author=case.opened_by, body="Board meeting tomorrow", created_at=timezone.now()
    )
    return EscalationRequest.objects.create(
        case=case, comment=comment, requested_by=case.opened_by, created_at=timezone.now()
    )


def test_manager_accepts_an_escalation_with_a_reason(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    escalation = _escalation()
    changelist = reverse("admin:cases_escalationrequest_changelist")
    selected = {"action": "accept_selected", ACTION_CHECKBOX_NAME: [escalation.pk]}

    page = client.post(changelist, selected)
    assert page.status_code == 200 and "Board meeting tomorrow" in page.content.decode()
    response = client.post(changelist, {**selected, "apply": "1", "reason": "Go-live at risk"}, follow=True)

    escalation.refresh_from_db()
    assert (escalation.status, escalation.decision_reason) == ("accepted", "Go-live at risk")
    assert Case.objects.get(pk=escalation.case_id).escalation_level == 1
    assert said(response) == [f"{escalation.case.number}: escalation accepted."]


def test_analysts_see_escalations_but_cannot_decide(client, analyst):
    client.force_login(grant(analyst, [("cases", "view_escalationrequest")]))
    escalation = _escalation()

    response = client.get(reverse("admin:cases_escalationrequest_changelist"))

    assert response.status_code == 200
    assert "accept_selected" not in response.content.decode()
    assert escalation.case.number in response.content.decode()


def test_events_are_read_only_even_for_superusers(admin_client):
    case = CaseFactory()
    event = CaseEvent.objects.create(case=case, type=CaseEvent.Type.CREATED, created_at=timezone.now())

    assert admin_client.get(reverse("admin:cases_caseevent_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:cases_caseevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:cases_caseevent_delete", args=[event.pk])).status_code == 403
    change = admin_client.post(reverse("admin:cases_caseevent_change", args=[event.pk]), {"note": "edited"})
    assert change.status_code == 403
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_analyst_becomes_available_from_the_admin_and_gets_waiting_cases(analyst_client, analyst):
    queue = Queue.objects.create(name="Everything")
    queue.analysts.add(analyst)
    waiting = CaseFactory(queue=queue)

    response = analyst_client.post(
        reverse("admin:cases_analystprofile_me"),
        {"availability": "available", "next": "/admin/"},
        follow=True,
    )

    assert response.redirect_chain == [("/admin/", 302)]
    assert AnalystProfile.objects.get(user=analyst).is_available
    assert Case.objects.get(pk=waiting.pk).assignee == analyst
    assert said(response) == ["You are available for routed cases (1 open case assigned to you)."]
    assert "Go away" in response.content.decode()


def test_availability_redirect_stays_on_this_site(analyst_client):
    response = analyst_client.post(
        reverse("admin:cases_analystprofile_me"), {"availability": "away", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("admin:index")


def test_manager_marks_an_analyst_available(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    profile = AnalystProfile.objects.create(user=AnalystFactory())

    client.post(
        reverse("admin:cases_analystprofile_changelist"),
        {"action": "mark_available", ACTION_CHECKBOX_NAME: [profile.pk]},
    )

    profile.refresh_from_db()
    assert profile.is_available


@pytest.mark.parametrize(
    ("pk", "company", "greeting"),
    [(1, USCompanyFactory, "Hello "), (4, CompanyFactory, "Bonjour "), (7, CompanyFactory, "Hola ")],
)
def test_seeded_canned_responses_render_in_each_language(pk, company, greeting):
    call_command("loaddata", "fixtures/reference/05_canned_responses.json", verbosity=0)
    case = CaseFactory(company=company())

    text = canned_response_render(canned=CannedResponse.objects.get(pk=pk), case=case)

    assert text.startswith(greeting + case.opened_by.get_full_name())
    assert case.number in text and f"/api/v1/cases/{case.pk}/" in text and "{" not in text
    assert CannedResponse.objects.get(pk=pk).transition == "request_customer_action"
