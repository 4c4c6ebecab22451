from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership, ProductInstance
from cases.models import Case, CaseEvent, Comment, EscalationRequest, Priority, PriorityRule
from cases.selectors import available_transitions_for
from cases.services import (
    case_auto_close_due,
    case_create,
    case_priority_override,
    case_transition,
    comment_create,
    escalation_decide,
    escalation_request,
)
from core.errors import ApplicationError
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    SupportManagerFactory,
    USCompanyFactory,
    member,
)

pytestmark = pytest.mark.django_db
S = Case.Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _open(company=None, **kwargs):
    company = company or CompanyFactory()
    instance = (
        kwargs.pop("product_instance")
        if "product_instance" in kwargs
        else ProductInstanceFactory(company=company)
    )
    values = {
        "opened_by": member(company, role=Membership.Role.DSU),
        "company": company,
        "product_instance": instance,
        "subject": "Journal entries fail to post",
        "problem_summary": "Posting fails with error GL-42.",
        "reason": CaseReasonFactory(),
        "application_area": ApplicationAreaFactory(),
        "business_impact_scope": "organisation",
        "business_impact": "high",
        "now": NOW,
    }
    values.update(kwargs)
    return case_create(**values)


@pytest.mark.parametrize(
    ("environment", "rule", "expected"),
    [
        ("production", "P1", "P1"),
        ("sandbox", "P2", "P2"),
        ("production", None, "P3"),  # a missing matrix cell falls back to P3
    ],
)
def test_priority_comes_from_the_matrix(environment, rule, expected):
    if rule:
        PriorityRule.objects.create(
            environment=environment,
            business_impact_scope="organisation",
            business_impact="high",
            priority=rule,
        )
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company, environment=environment)

    case, created = _open(company, product_instance=instance)

    assert created
    assert case.priority == expected
    assert case.number == f"CS-{case.pk:06d}"
    assert case.events.get().type == CaseEvent.Type.CREATED


def test_inactive_catalog_values_are_refused():
    reason = CaseReasonFactory(code="retired", is_active=False)

    with pytest.raises(ApplicationError) as refused:
        _open(reason=reason)

    assert refused.value.code == "inactive_case_reason"
    assert not Case.objects.exists()


def test_us_member_without_dsu_cannot_open():
    us = USCompanyFactory()

    with pytest.raises(ApplicationError) as refused:
        _open(us, opened_by=member(us))

    assert refused.value.code == "dsu_required"


def test_idempotency_key_returns_the_first_case():
    company = CompanyFactory()
    user = member(company)
    first, created_first = _open(company, opened_by=user, idempotency_key="abc")
    again, created_again = _open(company, opened_by=user, idempotency_key="abc", subject="different")

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Case.objects.count() == 1


def test_idempotency_key_expires_after_24_hours():
    company = CompanyFactory()
    user = member(company)
    first, _ = _open(company, opened_by=user, idempotency_key="abc")

    later, created = _open(
        company, opened_by=user, idempotency_key="abc", now=NOW + timedelta(hours=24, seconds=1)
    )

    assert created and later.pk != first.pk


# --- the 9-day auto-close ---------------------------------------------------------------------------


def _in_verify_resolution(at):
    case = CaseFactory(status=S.IN_PROGRESS)
    return case_transition(
        case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Patched.", now=at
    ).case


def test_auto_close_happens_exactly_nine_days_after_verify_resolution():
    case = _in_verify_resolution(NOW)
    assert case.auto_close_at == NOW + timedelta(days=9)

    assert case_auto_close_due(now=NOW + timedelta(days=9) - timedelta(microseconds=1)) == []
    assert case_auto_close_due(now=NOW + timedelta(days=9)) == [case.pk]
    assert case_auto_close_due(now=NOW + timedelta(days=9)) == []  # exactly once

    case.refresh_from_db()
    assert (case.status, case.closed_at, case.auto_close_at) == (S.CLOSED, NOW + timedelta(days=9), None)
    event = case.events.latest("id")
    assert (event.type, event.actor) == (CaseEvent.Type.AUTO_CLOSED, None)


def test_customer_answer_stops_the_auto_close():
    case = _in_verify_resolution(NOW)
    case_transition(
        case=case, actor=case.opened_by, transition="reject_resolution", message="Still broken", now=NOW
    )

    assert case_auto_close_due(now=NOW + timedelta(days=30)) == []


@pytest.mark.parametrize(
    ("transition", "inputs", "posts_comment"),
    [
        ("request_customer_action", {"message": "Which version?"}, True),
        ("propose_resolution", {"resolution": "Patched."}, False),
        ("start", {}, False),
    ],
)
def test_case_transition_answers_the_comment_it_posted(transition, inputs, posts_comment):
    analyst = AnalystFactory()
    status = S.OPEN if transition == "start" else S.IN_PROGRESS
    case = CaseFactory(status=status, assignee=None if transition == "start" else analyst)

    done = case_transition(case=case, actor=analyst, transition=transition, now=NOW, **inputs)

    assert done.case.pk == case.pk and done.case.status != status
    if posts_comment:
        assert done.comment == Comment.objects.get(case=case)
        assert (done.comment.body, done.comment.author, done.comment.is_internal) == (
            inputs["message"],
            analyst,
            False,
        )
    else:
        assert done.comment is None and not Comment.objects.filter(case=case).exists()


# --- the 3-day reopen window -----------------------------------------------------------------------


def _closed_at(at):
    case = _in_verify_resolution(at - timedelta(days=1))
    return case_transition(case=case, actor=case.opened_by, transition="confirm_resolution", now=at).case


def test_reopen_is_allowed_up_to_exactly_three_days_after_closing():
    case = _closed_at(NOW)

    reopened = case_transition(
        case=case, actor=case.opened_by, transition="reopen", now=NOW + timedelta(days=3)
    ).case

    assert reopened.status == S.IN_PROGRESS
    assert reopened.closed_at is None
    assert reopened.events.latest("id").type == CaseEvent.Type.REOPENED


def test_reopen_after_three_days_is_refused_with_follow_up_hint():
    case = _closed_at(NOW)

    with pytest.raises(ApplicationError) as refused:
        case_transition(
            case=case, actor=case.opened_by, transition="reopen", now=NOW + timedelta(days=3, microseconds=1)
        )

    assert (refused.value.status_code, refused.value.code) == (409, "reopen_window_expired")
    assert refused.value.extra == {"follow_up_of": case.pk}


def test_support_manager_reopens_after_the_window_with_a_reason():
    case = _closed_at(NOW)
    manager = SupportManagerFactory()
    late = NOW + timedelta(days=10)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=manager, transition="reopen", now=late)
    reopened = case_transition(
        case=case, actor=manager, transition="reopen", reason="Regression found", now=late
    ).case

    assert refused.value.code == "reason_required"
    assert reopened.status == S.IN_PROGRESS
    assert reopened.events.latest("id").note == "Regression found"


def test_follow_up_links_and_carries_company_product_and_assignee():
    case = _closed_at(NOW)
    analyst = AnalystFactory()
    Case.objects.filter(pk=case.pk).update(assignee=analyst)
    case.refresh_from_db()

    follow_up, _ = _open(case.company, opened_by=case.opened_by, product_instance=None, follow_up_of=case)

    assert follow_up.follow_up_of == case
    assert (follow_up.product_instance, follow_up.assignee) == (case.product_instance, analyst)


def test_follow_up_of_an_open_case_is_refused():
    case = CaseFactory(status=S.IN_PROGRESS)

    with pytest.raises(ApplicationError) as refused:
        _open(case.company, opened_by=case.opened_by, follow_up_of=case)

    assert refused.value.code == "follow_up_of_not_closed"


# --- conflicts, comments, escalations, priority --------------------------------------------------


def test_acting_on_a_stale_case_is_a_conflict():
    case = CaseFactory(status=S.OPEN)
    stale = Case.objects.get(pk=case.pk)
    case_transition(case=case, actor=AnalystFactory(), transition="start", now=NOW)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=stale, actor=AnalystFactory(), transition="start", now=NOW)

    assert (refused.value.status_code, refused.value.code) == (409, "conflict")
    assert CaseEvent.objects.filter(case=case, type=CaseEvent.Type.TRANSITION).count() == 1


def test_taking_an_open_case_assigns_it():
    case = CaseFactory(status=S.OPEN)
    analyst = AnalystFactory()

    assert case_transition(case=case, actor=analyst, transition="start", now=NOW).case.assignee == analyst


def test_customer_comment_on_pending_customer_hands_the_case_back():
    case = CaseFactory(status=S.PENDING_CUSTOMER)

    comment, _ = comment_create(case=case, author=case.opened_by, body="Here is the log.", now=NOW)

    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert comment.body == "Here is the log." and not comment.is_internal
    assert case.last_customer_activity_at == NOW


def test_customers_cannot_write_internal_notes():
    case = CaseFactory()

    with pytest.raises(ApplicationError) as refused:
        comment_create(case=case, author=case.opened_by, body="psst", is_internal=True)

    assert refused.value.code == "internal_comment_forbidden"


def test_escalation_twice_while_pending_is_refused_and_manager_decides():
    case = CaseFactory(status=S.IN_PROGRESS)
    escalation = escalation_request(
        case=case, requested_by=case.opened_by, message="Payroll is blocked", now=NOW
    )

    with pytest.raises(ApplicationError) as again:
        escalation_request(case=case, requested_by=case.opened_by, message="Please!", now=NOW)
    with pytest.raises(ApplicationError) as analyst_try:
        escalation_decide(escalation=escalation, decided_by=AnalystFactory(), accept=True, reason="ok")
    decided = escalation_decide(
        escalation=escalation, decided_by=SupportManagerFactory(), accept=True, reason="Payroll"
    )

    assert again.value.code == "escalation_already_pending"
    assert analyst_try.value.code == "support_manager_required"
    assert decided.status == EscalationRequest.Status.ACCEPTED
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert Comment.objects.get(case=case).is_escalation_request


def test_priority_override_records_the_reason_and_skips_no_ops():
    case = CaseFactory(priority=Priority.P3)
    analyst = AnalystFactory()

    case_priority_override(case=case, actor=analyst, priority="P1", reason="Payroll run tonight", now=NOW)
    case_priority_override(case=case, actor=analyst, priority="P1", reason="again", now=NOW)

    case.refresh_from_db()
    assert (case.priority, case.priority_overridden) == ("P1", True)
    event = case.events.get(type=CaseEvent.Type.PRIORITY_CHANGED)
    assert (event.note, event.data) == ("Payroll run tonight", {"from": "P3", "to": "P1"})


def test_available_transitions_name_required_fields():
    case = CaseFactory(status=S.IN_PROGRESS)

    names = {t.name: t.required_fields for t in available_transitions_for(case=case, user=AnalystFactory())}

    assert names == {
        "await_release": ("tentative_release_date",),
        "engage_engineering": (),
        "request_customer_action": ("message",),
        "propose_resolution": ("resolution",),
        "close_out_of_scope": ("out_of_scope_reason",),
    }
    assert available_transitions_for(case=case, user=case.opened_by) == []


def test_non_production_instance_is_recorded_on_the_case():
    company = CompanyFactory()
    sandbox = ProductInstanceFactory(company=company, environment=ProductInstance.Environment.SANDBOX)

    case, _ = _open(company, product_instance=sandbox)

    assert case.environment == "sandbox"
