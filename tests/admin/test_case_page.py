"""The case page: what it shows, and every button going through a service (refusals become messages)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from cases.models import CannedResponse, Case, CaseEvent, CaseStatus, Comment
from cases.services import case_follow
from tests.admin.conftest import add_timer
from tests.factories import AnalystFactory, CaseFactory, OutOfScopeReasonFactory, USCompanyFactory, member

pytestmark = pytest.mark.django_db


def page(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def transition_url(case, name):
    return reverse("admin:cases_case_transition", args=[case.pk, name])


def said(response):
    return [str(message) for message in response.context["messages"]]


def test_page_shows_header_description_timeline_history_and_sla(analyst_client, analyst, around_the_clock):
    case = CaseFactory(error_message="E1234 ledger locked", replication_steps="1. Post\n2. Boom")
    customer = case.opened_by
    now = timezone.now()
    Comment.objects.create(case=case, author=customer, body="It fails every time", created_at=now)
    Comment.objects.create(
        case=case, author=analyst, body="Looks like the lock bug", is_internal=True, created_at=now
    )
    CaseEvent.objects.create(
        case=case, type=CaseEvent.Type.CREATED, actor=customer, to_status="open", created_at=now
    )
    add_timer(case, around_the_clock, due_in=timedelta(hours=1, minutes=1))

    response = analyst_client.get(page(case))

    html = response.content.decode()
    assert response.status_code == 200
    assert case.number in html and case.company.name in html and "Silver" in html and "Production" in html
    assert "Whose move: <strong>Customer support</strong>" in html
    assert "Error message" in html and "E1234 ledger locked" in html and "Steps to reproduce" in html
    assert "Internal note · support only" in html and "Looks like the lock bug" in html
    assert '<span class="cd-tag cd-tag-customer">Customer</span>' in html
    assert "First response" in html and "1h 00m left" in html
    names = [t["name"] for t in response.context["transitions"]]
    assert names == ["start", "close_out_of_scope"]


def test_page_lists_followers_and_says_who_is_no_longer_told(analyst_client):
    case = CaseFactory(company=USCompanyFactory())
    still = member(case.company, role=Membership.Role.DSU, first_name="Still", last_name="Told")
    demoted = member(case.company, role=Membership.Role.DSU, first_name="Was", last_name="Dsu")
    for user in (still, demoted):
        case_follow(case=case, user=user)
    Membership.objects.filter(user=demoted).update(role=Membership.Role.MEMBER)

    html = analyst_client.get(page(case)).content.decode()

    assert "<dt>Followers</dt><dd>Still Told, Was Dsu" in html
    assert html.count("(not told: no longer entitled)") == 1


def test_taking_an_open_case_starts_it_and_assigns_it(analyst_client, analyst):
    case = CaseFactory()

    response = analyst_client.post(transition_url(case, "start"), {"seen_status": "open"}, follow=True)

    case.refresh_from_db()
    assert (case.status, case.assignee) == (CaseStatus.IN_PROGRESS, analyst)
    assert said(response) == [
        f"{case.number}: Take case & start done; now 'In progress' and assigned to you."
    ]
    assert case.events.get(type=CaseEvent.Type.TRANSITION).actor == analyst


def test_a_transition_needing_input_asks_for_it_first(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS, assignee=analyst)
    url = transition_url(case, "request_customer_action")

    form_page = analyst_client.get(url)
    assert form_page.status_code == 200 and 'name="message"' in form_page.content.decode()
    missing = analyst_client.post(url, {"seen_status": "in_progress", "message": ""})
    assert missing.status_code == 200 and missing.context["form"].errors["message"]

    response = analyst_client.post(
        url, {"seen_status": "in_progress", "message": "Please send the recorder log."}, follow=True
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER
    comment = case.comments.get()
    assert (comment.body, comment.is_internal) == ("Please send the recorder log.", False)
    assert "now 'Pending customer action'" in said(response)[0]


@pytest.mark.parametrize(
    ("status", "name", "message"),
    [
        ("pending_customer", "respond", "Respond refused: 'respond' is the customer's move."),
        (
            "open",
            "propose_resolution",
            "Propose resolution refused: 'propose_resolution' is not possible while",
        ),
        ("open", "self_destruct", "Self destruct refused: There is no transition called 'self_destruct'."),
    ],
)
def test_refused_transitions_come_back_as_messages(analyst_client, status, name, message):
    case = CaseFactory(status=status)

    response = analyst_client.post(
        transition_url(case, name), {"seen_status": status, "message": "x", "resolution": "y"}, follow=True
    )

    assert said(response)[0].startswith(message)
    assert Case.objects.get(pk=case.pk).status == status


def test_unavailable_transition_form_is_not_offered(analyst_client):
    case = CaseFactory(status=CaseStatus.PENDING_CUSTOMER)

    response = analyst_client.get(transition_url(case, "respond"), follow=True)

    assert response.redirect_chain[-1][0] == page(case)
    assert said(response) == ["'Respond' is not possible now (Pending customer action)."]


def test_acting_on_a_status_that_changed_meanwhile_is_refused(analyst_client):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    response = analyst_client.post(
        transition_url(case, "engage_engineering"), {"seen_status": "open"}, follow=True
    )

    assert "changed while you were looking" in said(response)[0]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS


def test_close_out_of_scope_takes_a_reason(analyst_client):
    case = CaseFactory()
    reason = OutOfScopeReasonFactory()

    analyst_client.post(
        transition_url(case, "close_out_of_scope"), {"seen_status": "open", "out_of_scope_reason": reason.pk}
    )

    case.refresh_from_db()
    assert (case.status, case.out_of_scope_reason) == (CaseStatus.CLOSED, reason)


def test_public_reply_and_internal_note(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    analyst_client.post(reverse("admin:cases_case_reply", args=[case.pk]), {"body": "We are on it."})
    analyst_client.post(reverse("admin:cases_case_note", args=[case.pk]), {"body": "Check the lock table."})

    public, internal = case.comments.order_by("pk")
    assert (public.body, public.is_internal, public.source, public.author) == (
        "We are on it.",
        False,
        Comment.Source.ADMIN,
        analyst,
    )
    assert (internal.body, internal.is_internal) == ("Check the lock table.", True)


def test_reply_on_a_closed_case_is_refused_and_keeps_the_text(analyst_client):
    case = CaseFactory(status=CaseStatus.CLOSED)

    response = analyst_client.post(reverse("admin:cases_case_reply", args=[case.pk]), {"body": "Hello?"})

    assert response.status_code == 200
    assert said(response)[0].startswith(f"Reply not sent: {case.number} is closed")
    assert response.context["reply_form"]["body"].value() == "Hello?"
    assert not case.comments.exists()


def test_canned_response_fills_the_reply_and_can_move_the_case(analyst_client):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    canned = CannedResponse.objects.create(
        title="Ask for log",
        language="fr",
        body="Bonjour {customer_name}, pour {case_number} ({case_url}) : envoyez le journal. {unknown}",
        transition="request_customer_action",
    )
    customer = case.opened_by

    response = analyst_client.post(
        reverse("admin:cases_case_macro_insert", args=[case.pk]), {"macro": canned.pk, "body": ""}
    )

    form = response.context["reply_form"]
    body = form["body"].value()
    name = customer.get_full_name()
    assert (
        body
        == f"Bonjour {name}, pour {case.number} (http://127.0.0.1:8000/api/v1/cases/{case.pk}/) : envoyez le journal. {{unknown}}"
    )
    assert response.context["macro_checked"]["transition"] is True
    assert 'name="apply_transition" value="on" checked' in response.content.decode()

    analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {"body": body, "canned": canned.pk, "apply_transition": "on"},
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER
    comment = case.comments.get()  # the reply is the transition's message: one comment
    assert (comment.body, comment.source) == (body, Comment.Source.ADMIN)


def test_assign_to_me_to_someone_else_or_nobody(analyst_client, analyst):
    case = CaseFactory()
    colleague = AnalystFactory()
    url = reverse("admin:cases_case_assign", args=[case.pk])

    analyst_client.post(url, {"assignee": analyst.pk})
    assert Case.objects.get(pk=case.pk).assignee == analyst
    analyst_client.post(url, {"assignee": colleague.pk})
    assert Case.objects.get(pk=case.pk).assignee == colleague
    response = analyst_client.post(url, {"assignee": ""}, follow=True)
    assert Case.objects.get(pk=case.pk).assignee is None
    assert said(response)[-1] == f"{case.number} assigned to nobody."
    assert case.events.filter(type=CaseEvent.Type.ASSIGNED).count() == 3


def test_priority_override_needs_a_reason(analyst_client):
    case = CaseFactory(priority="P3")
    url = reverse("admin:cases_case_priority", args=[case.pk])

    refused = analyst_client.post(url, {"priority": "P1", "reason": ""}, follow=True)
    assert said(refused) == ["Choose a priority and say why it changes."]
    analyst_client.post(url, {"priority": "P1", "reason": "Payroll run tonight"})

    case.refresh_from_db()
    assert (case.priority, case.priority_overridden) == ("P1", True)
    assert case.events.get(type=CaseEvent.Type.PRIORITY_CHANGED).note == "Payroll run tonight"


def test_posts_need_the_csrf_token(analyst):
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    case = CaseFactory()

    response = client.post(transition_url(case, "start"), {"seen_status": "open"})

    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN


def test_action_views_are_post_only_and_unknown_cases_are_404(analyst_client):
    case = CaseFactory()
    assert analyst_client.get(reverse("admin:cases_case_reply", args=[case.pk])).status_code == 405
    assert analyst_client.get(reverse("admin:cases_case_change", args=[999_999])).status_code == 404
    assert analyst_client.post(transition_url(Case(pk=999_999), "start")).status_code == 404


def test_the_case_page_never_saves_a_form(analyst_client):
    case = CaseFactory()

    response = analyst_client.post(page(case), {"status": "closed", "priority": "P1"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.priority) == (CaseStatus.OPEN, "P2")
