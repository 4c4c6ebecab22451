"""A case page knows the queue it was opened from (``_changelist_filters`` in the URL): previous and
next case in that queue's order, and every action's "… and next" opening the next case."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.admin.workspace import CaseAdmin
from cases.models import Case, CaseEvent, CaseStatus, Comment
from tests.admin.conftest import add_timer
from tests.factories import AnalystFactory, CaseFactory, OutOfScopeReasonFactory

pytestmark = pytest.mark.django_db
UNASSIGNED = "worklist=unassigned"


def page(case, filters=UNASSIGNED):
    url = reverse("admin:cases_case_change", args=[case.pk])
    return f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url


def said(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def queue(around_the_clock):
    """Three unassigned cases, nearest SLA deadline first, and one assigned (not in the queue)."""
    first, second, third = CaseFactory(), CaseFactory(), CaseFactory()
    for case, hours in ((first, 1), (second, 2), (third, 3)):
        add_timer(case, around_the_clock, due_in=timedelta(hours=hours))
    CaseFactory(assignee=AnalystFactory())
    return [first, second, third]


def test_the_case_page_links_previous_and_next_in_the_queue_order(analyst_client, queue):
    first, second, third = queue

    place = analyst_client.get(page(second)).context["place"]

    assert (place.previous_id, place.next_id, place.position) == (first.pk, third.pk, 2)
    assert place.next_url == page(third)
    assert place.list_url == f"{reverse('admin:cases_case_changelist')}?{UNASSIGNED}"


def test_the_case_list_links_carry_the_queue_even_for_all_cases(analyst_client, queue):
    html = analyst_client.get(reverse("admin:cases_case_changelist")).content.decode()

    assert (
        f"{reverse('admin:cases_case_change', args=[queue[0].pk])}?_changelist_filters=worklist%3Dall" in html
    )


def test_the_queue_order_follows_the_list_ordering_in_the_url(analyst_client, queue):
    first, second, third = queue
    by_number_descending = f"{UNASSIGNED}&o=-1"  # the list's first column, reversed

    place = analyst_client.get(page(second, by_number_descending)).context["place"]

    assert (place.previous_id, place.next_id) == (third.pk, first.pk)


def test_take_and_next_starts_the_case_then_opens_the_next_one(analyst_client, analyst, queue):
    first, second, _ = queue

    response = analyst_client.post(
        reverse("admin:cases_case_transition", args=[first.pk, "start"]),
        {"seen_status": "open", "_changelist_filters": UNASSIGNED, "and_next": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == page(second)
    first.refresh_from_db()
    assert (first.status, first.assignee) == (CaseStatus.IN_PROGRESS, analyst)


def test_without_and_next_the_analyst_stays_on_the_case_in_the_queue(analyst_client, queue):
    first = queue[0]

    response = analyst_client.post(
        reverse("admin:cases_case_note", args=[first.pk]),
        {"body": "Looked at it.", "_changelist_filters": UNASSIGNED},
    )

    assert response["Location"] == page(first)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("reply", {"body": "We are on it."}),
        ("note", {"body": "Check the lock table."}),
        ("priority", {"priority": "P1", "reason": "Payroll tonight"}),
        ("assign", {"assignee": "me"}),
    ],
)
def test_every_case_page_action_offers_and_next(analyst_client, analyst, queue, action, data):
    first, second, _ = queue
    if data.get("assignee") == "me":
        data = {"assignee": analyst.pk}

    response = analyst_client.post(
        reverse(f"admin:cases_case_{action}", args=[first.pk]),
        {**data, "_changelist_filters": UNASSIGNED, "and_next": "1"},
    )

    assert response.status_code == 302 and response["Location"] == page(second)
    assert CaseEvent.objects.filter(case=first).exists()  # the action itself went through its service


def test_the_last_case_of_a_queue_goes_back_to_the_list(analyst_client, queue):
    last = queue[-1]

    response = analyst_client.post(
        reverse("admin:cases_case_note", args=[last.pk]),
        {"body": "Done.", "_changelist_filters": UNASSIGNED, "and_next": "1"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{reverse('admin:cases_case_changelist')}?{UNASSIGNED}"
    assert said(response)[-1] == "That was the last case in Unassigned."


def test_a_refused_action_stays_on_the_case(analyst_client, queue):
    first = queue[0]

    response = analyst_client.post(
        reverse("admin:cases_case_transition", args=[first.pk, "engage_engineering"]),
        {"seen_status": "open", "_changelist_filters": UNASSIGNED, "and_next": "1"},
    )

    assert response["Location"] == page(first)
    assert Case.objects.get(pk=first.pk).status == CaseStatus.OPEN


def test_next_crosses_to_the_following_page_of_the_queue(analyst_client, queue, monkeypatch):
    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    _, second, third = queue

    place = analyst_client.get(page(second)).context["place"]
    assert place.next_url == page(third, f"{UNASSIGNED}&p=2")

    on_page_two = analyst_client.get(page(third, f"{UNASSIGNED}&p=2")).context["place"]
    assert (on_page_two.previous_id, on_page_two.next_id, on_page_two.position) == (second.pk, None, 3)
    assert on_page_two.previous_url == page(second)


def test_a_case_no_longer_in_the_queue_has_the_first_case_as_next(analyst_client, analyst, queue):
    taken = CaseFactory(assignee=analyst)

    place = analyst_client.get(page(taken)).context["place"]

    assert (place.previous_id, place.next_id, place.position) == (None, queue[0].pk, None)


@pytest.mark.parametrize(
    "filters", ["status__exact=nonsense&bogus__field=1", "worklist=unassigned&p=abc", "o=99", "x" * 3000]
)
def test_a_tampered_queue_in_the_url_gives_no_neighbours_and_no_error(analyst_client, queue, filters):
    response = analyst_client.get(page(queue[0], filters))

    assert response.status_code == 200
    assert response.context["place"].next_id in (None, queue[1].pk)


def test_the_case_page_query_count_does_not_grow_with_the_queue(
    analyst_client, around_the_clock, calendar_cache_held, django_assert_max_num_queries
):
    def make(n):
        for case in CaseFactory.create_batch(n):
            add_timer(case, around_the_clock, due_in=timedelta(hours=2))

    make(3)
    target = Case.objects.order_by("pk").first()
    Comment.objects.create(
        case=target, author=target.opened_by, body="Still failing", created_at=timezone.now()
    )
    analyst_client.get(page(target))  # warm the calendar cache
    # session, user, time zone, the case, the queue window, comments and their files, timers, 2
    # permission look-ups, followers, macros, events, assignee, attachments, escalations, marking the
    # case's notices read and the header's unread count
    with django_assert_max_num_queries(18):
        assert analyst_client.get(page(target)).status_code == 200
    make(60)
    with django_assert_max_num_queries(18):
        assert analyst_client.get(page(target)).status_code == 200


def test_a_transition_asking_for_input_offers_and_next_and_keeps_the_queue(analyst_client, queue):
    _, second, third = queue
    reason = OutOfScopeReasonFactory()
    url = reverse("admin:cases_case_transition", args=[third.pk, "close_out_of_scope"])
    by_number_descending = f"{UNASSIGNED}&o=-1"  # third, second, first

    form = analyst_client.get(url, {"_changelist_filters": by_number_descending}).content.decode()
    assert 'id="confirm-transition-next"' in form
    assert 'value="worklist=unassigned&amp;o=-1"' in form  # the queue and its order ride along
    response = analyst_client.post(
        url,
        {
            "seen_status": "open",
            "out_of_scope_reason": reason.pk,
            "_changelist_filters": by_number_descending,
            "and_next": "1",
        },
    )

    # In the default order the third case is the last; in the order kept in the URL the second follows.
    assert response.status_code == 302
    assert response["Location"] == page(second, by_number_descending)
    third.refresh_from_db()
    assert (third.status, third.out_of_scope_reason) == (CaseStatus.CLOSED, reason)


def test_a_transition_form_opened_outside_a_queue_offers_no_and_next(analyst_client, queue):
    url = reverse("admin:cases_case_transition", args=[queue[0].pk, "close_out_of_scope"])

    assert 'id="confirm-transition-next"' not in analyst_client.get(url).content.decode()
