"""Screens for support managers (escalations, availability, catalogs, SLA, beat) and read-only histories."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord, AuthorizationRequest, Membership
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
from notifications.models import Notification
from tests.factories import (
    AnalystFactory,
    AuthorizationRequestFactory,
    CaseFactory,
    CompanyFactory,
    USCompanyFactory,
)

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


# --- authorisation requests: decided on their page, with a reason -----------------------------------


def _pending_request():
    return AuthorizationRequestFactory(company=CompanyFactory())


def test_the_request_page_offers_approve_and_reject_instead_of_save(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    request = _pending_request()

    html = client.get(
        reverse("admin:accounts_authorizationrequest_change", args=[request.pk])
    ).content.decode()

    assert 'id="approve-request"' in html and 'id="reject-request"' in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html


def test_a_manager_approves_with_a_reason_on_the_request_page(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    request = _pending_request()
    decide = reverse("admin:accounts_authorizationrequest_decide", args=[request.pk])

    response = client.post(decide, {"decision": "approve", "reason": "Confirmed by phone"}, follow=True)

    request.refresh_from_db()
    assert (request.status, request.decision_reason, request.decided_by) == (
        "approved",
        "Confirmed by phone",
        manager,
    )
    assert request.decision_channel == AuthorizationRequest.Channel.ADMIN
    assert Membership.objects.get(user=request.subject_user).role == Membership.Role.DSU
    assert said(response) == [f"#{request.pk}: approved."]
    assert "This request is <strong>approved</strong>" in response.content.decode()


def test_rejecting_needs_a_reason(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    request = _pending_request()
    decide = reverse("admin:accounts_authorizationrequest_decide", args=[request.pk])

    refused = client.post(decide, {"decision": "reject", "reason": "  "}, follow=True)
    assert said(refused) == ["Say why the request is rejected: the reason is sent with the decision."]
    assert AuthorizationRequest.objects.get(pk=request.pk).status == "pending"

    client.post(decide, {"decision": "reject", "reason": "Not on the company's domain"})
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == ("rejected", "Not on the company's domain")
    audit = AuditRecord.objects.get(authorization_request=request)
    assert audit.after == {"status": "rejected", "reason": "Not on the company's domain"}


def test_an_analyst_without_the_authority_is_refused_by_the_service(client, analyst):
    client.force_login(
        grant(
            analyst, [("accounts", "view_authorizationrequest"), ("accounts", "change_authorizationrequest")]
        )
    )
    request = _pending_request()

    response = client.post(
        reverse("admin:accounts_authorizationrequest_decide", args=[request.pk]),
        {"decision": "approve", "reason": ""},
        follow=True,
    )

    assert said(response) == [f"#{request.pk}: Only support managers act for a company's managers."]
    assert AuthorizationRequest.objects.get(pk=request.pk).status == "pending"


def test_without_change_permission_the_page_offers_no_decision(client, analyst):
    client.force_login(grant(analyst, [("accounts", "view_authorizationrequest")]))
    request = _pending_request()

    html = client.get(
        reverse("admin:accounts_authorizationrequest_change", args=[request.pk])
    ).content.decode()
    posted = client.post(
        reverse("admin:accounts_authorizationrequest_decide", args=[request.pk]), {"decision": "approve"}
    )

    assert 'id="approve-request"' not in html
    assert posted.status_code == 403


def test_bulk_decisions_carry_a_reason(client, manager):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    first, second = _pending_request(), _pending_request()
    changelist = reverse("admin:accounts_authorizationrequest_changelist")
    selected = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}

    asked = client.post(changelist, selected)
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    client.post(changelist, {**selected, "apply": "1", "reason": "Duplicate requests"})

    assert set(AuthorizationRequest.objects.values_list("status", "decision_reason")) == {
        ("rejected", "Duplicate requests")
    }


def test_the_request_page_query_count_is_bounded(client, manager, django_assert_max_num_queries):
    client.force_login(grant(manager, MANAGER_PERMISSIONS))
    request = _pending_request()
    url = reverse("admin:accounts_authorizationrequest_change", args=[request.pk])
    client.get(url)

    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


# --- the outbox list: case, readable kind, status, attempts, last error -------------------------------


def _outbox_row(case, **fields):
    return Notification.objects.create(
        idempotency_key=f"test:{Notification.objects.count()}",
        kind=fields.pop("kind", "support_reply"),
        channel=fields.pop("channel", Notification.Channel.EMAIL),
        to_address=fields.pop("to_address", "customer@example.com"),
        case=case,
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
        **fields,
    )


def test_the_outbox_list_shows_case_readable_kind_status_attempts_and_error(admin_client):
    case = CaseFactory()
    error = "SMTPRecipientsRefused: 550 mailbox unavailable; " * 5
    _outbox_row(case, status="failed", attempts=8, last_error=error)
    _outbox_row(
        None, kind="transition", channel=Notification.Channel.WEBHOOK, to_address="https://hooks.example/x"
    )

    response = admin_client.get(reverse("admin:notifications_notification_changelist"))

    html = response.content.decode()
    assert f'<a href="{reverse("admin:cases_case_change", args=[case.pk])}">{case.number}</a>' in html
    assert '<span title="support_reply">Support replied (to customer)</span>' in html
    assert '<span title="transition">Webhook: status changed</span>' in html
    assert '<span class="cd-outbox-status-failed">Failed</span>' in html
    assert f'<span title="{error}">{error[:79]}…</span>' in html  # the whole error on hover
    assert "cases/admin/workspace.css" in html


def test_the_outbox_list_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    for _ in range(3):
        _outbox_row(CaseFactory())
    url = reverse("admin:notifications_notification_changelist")
    admin_client.get(url)
    with django_assert_max_num_queries(10) as few:
        admin_client.get(url)
    for _ in range(30):
        _outbox_row(CaseFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(url).status_code == 200
