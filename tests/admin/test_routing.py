"""Routing: the most specific queue, then the available analyst with the fewest open cases."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership
from cases.models import AnalystProfile, Case, CaseEvent, CaseStatus, Queue
from cases.services import case_create, routing
from cases.services.routing import analyst_availability_set, case_route, queue_match
from core.errors import ValidationFailed
from tests.concurrency import run_together
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductFactory,
    ProductInstanceFactory,
    USCompanyFactory,
    member,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
AVAILABLE, AWAY = AnalystProfile.Availability.AVAILABLE, AnalystProfile.Availability.AWAY


def queue_of(*analysts, **fields):
    fields.setdefault("name", f"Queue {Queue.objects.count() + 1}")
    queue = Queue.objects.create(**fields)
    queue.analysts.add(*analysts)
    return queue


def available(user, last_assigned_at=None):
    return AnalystProfile.objects.create(user=user, availability=AVAILABLE, last_assigned_at=last_assigned_at)


def waiting_case(**kwargs):
    return CaseFactory(status_changed_at=NOW - timedelta(hours=1), **kwargs)


def test_most_specific_queue_wins():
    product, other_product = ProductFactory(), ProductFactory()
    generic = queue_of(name="Everything")
    product_only = queue_of(name="Product", product=product)
    english = queue_of(name="Product EN", product=product, language="en")
    europe = queue_of(name="Product FR/ES", product=product, countries="FR, ES")
    queue_of(name="Other product", product=other_product)
    queues = list(Queue.objects.order_by("pk"))

    def routed(company):
        case = waiting_case(
            company=company, product_instance=ProductInstanceFactory(company=company, product=product)
        )
        return queue_match(case=case, queues=queues)

    assert routed(CompanyFactory(country="FR", language="fr")) == europe
    assert routed(CompanyFactory(country="FR", language="en")) == europe  # region beats language
    assert routed(USCompanyFactory()) == english
    assert routed(CompanyFactory(country="DE", language="de")) == product_only
    unrelated = waiting_case(product_instance=ProductInstanceFactory(product=ProductFactory()))
    assert queue_match(case=unrelated, queues=queues) == generic


def test_routes_to_the_available_analyst_with_fewest_open_cases():
    busy, lighter = AnalystFactory(), AnalystFactory()
    available(busy)
    available(lighter)
    queue = queue_of(busy, lighter)
    CaseFactory.create_batch(2, assignee=busy)
    CaseFactory(assignee=lighter)
    CaseFactory.create_batch(3, assignee=lighter, status=CaseStatus.CLOSED)  # closed cases do not count
    case = waiting_case()

    case_route(case_id=case.pk, now=NOW)

    case.refresh_from_db()
    assert (case.queue, case.assignee) == (queue, lighter)
    event = case.events.get(type=CaseEvent.Type.ASSIGNED)
    assert event.data == {"from": None, "to": lighter.pk}
    assert AnalystProfile.objects.get(user=lighter).last_assigned_at == NOW


@pytest.mark.parametrize(
    ("last_assigned", "expected"),
    [
        # (first analyst, second analyst) last assignment; equal open counts
        ((NOW - timedelta(hours=1), None), 1),  # never assigned goes first
        ((NOW - timedelta(hours=1), NOW - timedelta(hours=3)), 1),  # waited longest goes first
        ((NOW - timedelta(hours=3), NOW - timedelta(hours=1)), 0),
        ((None, None), 0),  # still equal: the lower user id
    ],
)
def test_ties_go_to_the_analyst_waiting_longest(last_assigned, expected):
    analysts = [AnalystFactory(), AnalystFactory()]
    for analyst, at in zip(analysts, last_assigned, strict=True):
        available(analyst, last_assigned_at=at)
        CaseFactory(assignee=analyst)
    queue_of(*analysts)
    case = waiting_case()

    case_route(case_id=case.pk, now=NOW)

    case.refresh_from_db()
    assert case.assignee == analysts[expected]


def test_with_nobody_available_the_case_waits_in_its_queue():
    away, inactive, outsider = AnalystFactory(), AnalystFactory(is_active=False), AnalystFactory()
    AnalystProfile.objects.create(user=away, availability=AWAY)
    available(inactive)
    available(outsider)  # available, but not an analyst of this queue
    queue = queue_of(away, inactive)
    case = waiting_case()

    case_route(case_id=case.pk, now=NOW)

    case.refresh_from_db()
    assert (case.queue, case.assignee) == (queue, None)
    assert not case.events.filter(type=CaseEvent.Type.ASSIGNED).exists()


def test_becoming_available_assigns_waiting_cases_most_urgent_first(monkeypatch):
    analyst, other_queue_analyst = AnalystFactory(), AnalystFactory()
    queue = queue_of(analyst)
    manual = queue_of(analyst, auto_assign=False)
    waiting = [waiting_case(created_at=NOW - timedelta(minutes=m)) for m in (10, 30, 20)]
    for case in waiting:
        case_route(case_id=case.pk, now=NOW)  # nobody available: they wait in `queue`
    Case.objects.filter(pk=waiting[0].pk).update(queue=queue)
    not_auto = waiting_case()
    Case.objects.filter(pk=not_auto.pk).update(queue=manual)
    elsewhere = waiting_case()
    Case.objects.filter(pk=elsewhere.pk).update(queue=queue_of(other_queue_analyst))
    monkeypatch.setattr(routing, "AVAILABILITY_ASSIGN_BATCH", 2)

    profile = analyst_availability_set(analyst=analyst, availability=AVAILABLE, now=NOW)

    assert profile.is_available and profile.last_assigned_at == NOW
    mine = set(Case.objects.filter(assignee=analyst).values_list("pk", flat=True))
    assert mine == {waiting[1].pk, waiting[2].pk}  # the two oldest; the third waits for the next change
    assert Case.objects.get(pk=not_auto.pk).assignee is None
    assert Case.objects.get(pk=elsewhere.pk).assignee is None


def test_auto_assign_off_sets_the_queue_only():
    analyst = AnalystFactory()
    available(analyst)
    queue = queue_of(analyst, auto_assign=False)
    case = waiting_case()

    case_route(case_id=case.pk, now=NOW)

    case.refresh_from_db()
    assert (case.queue, case.assignee) == (queue, None)


def test_no_matching_queue_leaves_the_case_unrouted():
    analyst = AnalystFactory()
    available(analyst)
    queue_of(analyst, product=ProductFactory())
    case = waiting_case()

    case_route(case_id=case.pk, now=NOW)

    case.refresh_from_db()
    assert (case.queue, case.assignee) == (None, None)


def test_closed_or_assigned_cases_are_left_alone():
    analyst, owner = AnalystFactory(), AnalystFactory()
    available(analyst)
    queue_of(analyst)
    closed, owned = waiting_case(status=CaseStatus.CLOSED), waiting_case(assignee=owner)

    case_route(case_id=closed.pk, now=NOW)
    case_route(case_id=owned.pk, now=NOW)

    assert Case.objects.get(pk=closed.pk).assignee is None
    assert Case.objects.get(pk=owned.pk).assignee == owner
    assert case_route(case_id=999_999, now=NOW) is None


def test_opening_a_case_routes_it_after_commit(django_capture_on_commit_callbacks):
    analyst = AnalystFactory()
    available(analyst)
    queue = queue_of(analyst, language="fr")
    company = CompanyFactory(language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        case, _ = case_create(
            opened_by=member(company, role=Membership.Role.DSU),
            company=company,
            product_instance=ProductInstanceFactory(company=company),
            subject="Ledger locked",
            problem_summary="Posting fails",
            reason=CaseReasonFactory(),
            application_area=ApplicationAreaFactory(),
            business_impact_scope="group",
            business_impact="medium",
        )

    case.refresh_from_db()
    assert (case.queue, case.assignee) == (queue, analyst)


def test_availability_is_for_active_staff_and_unchanged_is_a_no_op():
    analyst = AnalystFactory()
    first = analyst_availability_set(analyst=analyst, availability=AWAY, now=NOW)
    again = analyst_availability_set(analyst=analyst, availability=AWAY, now=NOW + timedelta(hours=1))
    assert again.availability_changed_at == first.availability_changed_at
    with pytest.raises(ValidationFailed, match="support staff"):
        analyst_availability_set(analyst=member(CompanyFactory()), availability=AVAILABLE)
    with pytest.raises(ValidationFailed, match="Unknown availability"):
        analyst_availability_set(analyst=analyst, availability="asleep")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_routings_do_not_both_pick_the_least_busy_analyst():
    first, second = AnalystFactory(), AnalystFactory()
    available(first)
    available(second)
    queue_of(first, second)
    cases = [waiting_case(), waiting_case()]

    results = run_together([lambda case=case: case_route(case_id=case.pk) for case in cases])

    assert not [r for r in results if isinstance(r, Exception)], results
    assignees = set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("assignee_id", flat=True))
    assert assignees == {first.pk, second.pk}
