"""Queues over cases: what each holds, their counts in one query, and the case list's SLA column."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.admin.display import duration_text, sla_cell
from cases.admin.queues import CASE_QUEUES, case_queue_counts
from cases.models import CaseStatus, Comment, EscalationRequest
from sla.models import Calendar, SlaTimer
from sla.selectors import sla_timer_summaries
from tests.admin.conftest import add_timer
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cases_case_changelist")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def board(analyst, around_the_clock):
    """One case per situation; the comment says which queues it belongs to (besides All)."""
    other = AnalystFactory()
    cases = {
        "mine_warned": CaseFactory(assignee=analyst, status=CaseStatus.IN_PROGRESS),  # mine, breaching
        "mine_closed": CaseFactory(assignee=analyst, status=CaseStatus.CLOSED),  # (none)
        "unassigned_breached": CaseFactory(),  # unassigned, breached
        "unassigned": CaseFactory(),  # unassigned
        "pending_customer": CaseFactory(assignee=other, status=CaseStatus.PENDING_CUSTOMER),
        "verify": CaseFactory(assignee=other, status=CaseStatus.VERIFY_RESOLUTION),
        "escalated": CaseFactory(assignee=other, status=CaseStatus.IN_PROGRESS, escalation_level=1),
        "escalation_pending": CaseFactory(assignee=other, status=CaseStatus.IN_PROGRESS),
    }
    add_timer(cases["mine_warned"], around_the_clock, due_in=timedelta(minutes=30), warnings_sent=1)
    add_timer(cases["unassigned_breached"], around_the_clock, due_in=-timedelta(hours=1), state="breached")
    add_timer(cases["unassigned"], around_the_clock, due_in=timedelta(hours=5))
    case = cases["escalation_pending"]
    comment = Comment.objects.create(
        case=case, author=case.opened_by, body="Please escalate", created_at=timezone.now()
    )
    EscalationRequest.objects.create(
        case=case, comment=comment, requested_by=case.opened_by, created_at=timezone.now()
    )
    return cases


EXPECTED = {
    "mine": {"mine_warned"},
    "unassigned": {"unassigned_breached", "unassigned"},
    "breaching": {"mine_warned"},
    "breached": {"unassigned_breached"},
    "pending_customer": {"pending_customer"},
    "verify_resolution": {"verify"},
    "escalated": {"escalated", "escalation_pending"},
}


def test_queue_counts_come_from_one_query(board, analyst, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = case_queue_counts(user=analyst)

    assert counts == {**{slug: len(names) for slug, names in EXPECTED.items()}, "all": len(board)}
    assert [queue.slug for queue in CASE_QUEUES] == [*EXPECTED, "all"]


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_each_queue_lists_its_cases(board, analyst_client, slug):
    response = analyst_client.get(CHANGELIST, {"worklist": slug})

    assert response.status_code == 200
    listed = {case.pk for case in response.context["cl"].result_list}
    assert listed == {board[name].pk for name in EXPECTED[slug]}
    tabs = {tab["slug"]: tab for tab in response.context["case_queues"]}
    assert tabs[slug]["active"] and tabs[slug]["count"] == len(EXPECTED[slug])


def test_the_admin_index_links_every_queue_with_its_count(board, analyst_client):
    response = analyst_client.get(reverse("admin:index"))

    html = response.content.decode()
    assert 'id="case-workspace"' in html
    assert (
        f'href="{CHANGELIST}?worklist=unassigned" id="queue-unassigned">Unassigned<span class="cd-count">2<'
        in html
    )
    assert "Become available" in html


def test_list_is_ordered_by_nearest_sla_deadline_with_no_clock_last(analyst_client, around_the_clock):
    later, none, overdue, sooner = CaseFactory(), CaseFactory(), CaseFactory(), CaseFactory()
    add_timer(later, around_the_clock, due_in=timedelta(hours=8))
    add_timer(sooner, around_the_clock, due_in=timedelta(hours=1))
    add_timer(overdue, around_the_clock, due_in=-timedelta(minutes=90), state=SlaTimer.State.BREACHED)
    add_timer(sooner, around_the_clock, due_in=timedelta(hours=20), metric="resolution")

    response = analyst_client.get(CHANGELIST)

    assert [c.pk for c in response.context["cl"].result_list] == [overdue.pk, sooner.pk, later.pk, none.pk]


def test_sla_column_shows_time_left_and_due_time_coloured_by_urgency(analyst_client, around_the_clock):
    # Targets are 240 minutes: urgency is the share of it still left (or a warning already sent).
    calm, half, warned, urgent, late, paused = (
        CaseFactory(),
        CaseFactory(),
        CaseFactory(),
        CaseFactory(),
        CaseFactory(),
        CaseFactory(status="pending_customer"),
    )
    add_timer(calm, around_the_clock, due_in=timedelta(hours=3, minutes=30, seconds=30))
    add_timer(half, around_the_clock, due_in=timedelta(hours=1, minutes=30, seconds=30))
    add_timer(warned, around_the_clock, due_in=timedelta(hours=3, seconds=30), warnings_sent=1)
    add_timer(urgent, around_the_clock, due_in=timedelta(minutes=45, seconds=30))
    add_timer(late, around_the_clock, due_in=-timedelta(hours=2), state=SlaTimer.State.BREACHED)
    add_timer(paused, around_the_clock, due_in=None, state=SlaTimer.State.PAUSED, remaining=5400)

    response = analyst_client.get(CHANGELIST)

    cells = {c.pk: sla_cell(c, timezone.now()) for c in response.context["cl"].result_list}
    assert (cells[calm.pk].state, cells[calm.pk].text) == ("ok", "3h 30m left")
    assert (cells[half.pk].state, cells[half.pk].text) == ("warning", "1h 30m left")
    assert (cells[warned.pk].state, cells[warned.pk].text) == ("warning", "3h 00m left")
    assert (cells[urgent.pk].state, cells[urgent.pk].text) == ("urgent", "45m left")
    assert (cells[late.pk].state, cells[late.pk].text) == ("breached", "overdue 2h 00m")
    assert (cells[paused.pk].state, cells[paused.pk].text) == ("paused", "paused (customer's move)")
    assert cells[paused.pk].due_text == "1h 30m left"
    due = timezone.localtime(SlaTimer.objects.get(case=calm).due_at)  # UTC: no zone chosen, no cookie
    assert (
        cells[calm.pk].due_text
        == f"due {'today' if due.date() == timezone.now().date() else 'tomorrow'} {due:%H:%M}"
    )
    html = response.content.decode()
    assert 'class="cd-sla cd-sla-urgent"' in html and "45m left" in html
    assert 'paused <span class="cd-why">(customer\'s move)</span>' in html
    assert f'<span class="cd-due"><time datetime="{due.isoformat()}' in html


def test_changelist_queries_do_not_grow_with_cases(
    analyst_client, around_the_clock, calendar_cache_held, django_assert_max_num_queries
):
    def make(n):
        for case in CaseFactory.create_batch(n, assignee=AnalystFactory()):
            add_timer(case, around_the_clock, due_in=timedelta(hours=2), warnings_sent=1)

    make(5)
    # session, user, time zone, queue counts, saved views, 4 filter choices, count, 2 permissions,
    # the page, resolving the calendar once (cached after), and the header's unread count
    with django_assert_max_num_queries(16):
        assert analyst_client.get(CHANGELIST).status_code == 200
    make(45)
    with django_assert_max_num_queries(16):
        response = analyst_client.get(CHANGELIST, {"worklist": "breaching"})
    assert len(response.context["cl"].result_list) == 50


def test_search_by_number_subject_or_company(analyst_client):
    case = CaseFactory(subject="Payroll export hangs")
    CaseFactory.create_batch(2)

    for term in (case.number, "payroll export", case.company.name):
        listed = analyst_client.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert [c.pk for c in listed] == [case.pk], term


def test_customers_and_anonymous_users_do_not_get_in(client, board):
    customer = board["unassigned"].opened_by
    client.force_login(customer)
    assert client.get(CHANGELIST).status_code == 302  # to the admin login
    client.logout()
    assert client.get(CHANGELIST).status_code == 302


@pytest.mark.parametrize("due_in", [timedelta(days=2, hours=3), -timedelta(days=1, hours=2)])
def test_sla_column_and_case_summary_read_the_same_business_time_left(analyst_client, due_in):
    """One rule for business time left: the list's cell and the case's summary (API, case page)
    answer the same in a business-hours calendar, where it differs from the wall-clock time."""
    business_hours = Calendar.objects.create(name="Office hours test", public_holidays=False)
    for weekday in range(5):
        business_hours.intervals.create(weekday=weekday, start=time(9), end=time(17))
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    overdue = due_in < timedelta(0)
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        add_timer(case, business_hours, due_in=due_in, state="breached" if overdue else "running")
        now = timezone.now()
        response = analyst_client.get(CHANGELIST)
        cell = next(sla_cell(c, now) for c in response.context["cl"].result_list if c.pk == case.pk)
        (summary,) = sla_timer_summaries(case=case, now=now)

    seconds = summary["business_seconds_remaining"]
    assert isinstance(seconds, int) and 0 < abs(seconds) < abs(due_in.total_seconds())  # nights left out
    assert (seconds < 0) == overdue
    amount = duration_text(timedelta(seconds=seconds))
    assert cell.text == (f"overdue {amount}" if overdue else f"{amount} left")
