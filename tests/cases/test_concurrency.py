"""Concurrent writers on a real PostgreSQL server: row locks and the stale-read check hold."""

from collections.abc import Callable

import pytest

from cases.models import Case, CaseEvent, Comment
from cases.services import case_transition, comment_create
from core.errors import ApplicationError
from tests.concurrency import run_together
from tests.factories import AnalystFactory, CaseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_transitions_one_wins_one_gets_conflict():
    case = CaseFactory(status=Case.Status.OPEN)
    first, second = AnalystFactory(), AnalystFactory()
    seen_by_first, seen_by_second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)

    results = run_together(
        [
            lambda: case_transition(case=seen_by_first, actor=first, transition="start").case,
            lambda: case_transition(case=seen_by_second, actor=second, transition="start").case,
        ]
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ApplicationError), results
    assert (errors[0].status_code, errors[0].code) == (409, "conflict")
    assert CaseEvent.objects.filter(case=case, type=CaseEvent.Type.TRANSITION).count() == 1
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS


def test_fifty_concurrent_comments_are_all_stored_in_order():
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    authors = [AnalystFactory() for _ in range(10)]

    def post(n: int) -> Callable[[], object]:
        return lambda: comment_create(case=case, author=authors[n % 10], body=f"comment {n}")

    results = run_together([post(n) for n in range(50)])

    assert not [r for r in results if isinstance(r, Exception)], results
    by_time = list(
        Comment.objects.filter(case=case).order_by("created_at", "id").values_list("id", flat=True)
    )
    by_insertion = list(Comment.objects.filter(case=case).order_by("id").values_list("id", flat=True))
    assert len(by_time) == 50
    assert by_time == by_insertion  # the timeline order is the order they were stored
    assert sorted(c.body for c in Comment.objects.filter(case=case)) == sorted(
        f"comment {n}" for n in range(50)
    )
    assert CaseEvent.objects.filter(case=case, type=CaseEvent.Type.COMMENTED).count() == 50


def test_two_auto_close_sweeps_at_once_close_each_case_once_with_one_notice_each():
    from datetime import timedelta

    from django.utils import timezone

    from cases.services import case_auto_close_due
    from notifications.models import Notification

    now = timezone.now()
    analyst = AnalystFactory()
    cases = []
    for _ in range(30):
        case = CaseFactory(status=Case.Status.IN_PROGRESS)
        cases.append(
            case_transition(
                case=case,
                actor=analyst,
                transition="propose_resolution",
                resolution="Done",
                now=now - timedelta(days=10),
            ).case
        )

    results = run_together([lambda: case_auto_close_due(now=now, batch_size=100)] * 2)

    closed = [case_id for batch in results for case_id in batch]  # type: ignore[union-attr]
    assert sorted(closed) == sorted(c.pk for c in cases)  # every case once, split between the two sweeps
    assert CaseEvent.objects.filter(type=CaseEvent.Type.AUTO_CLOSED).count() == 30
    assert Notification.objects.filter(kind="case_closed").count() == 30


def test_a_transition_locks_the_case_row_only_not_its_company():
    """Transitions of one company's cases must not queue behind each other (or an edit of the
    company): FOR UPDATE OF the case row only, though the company is read in the same query."""
    from django.db import connection, transaction

    from accounts.models import Company

    case = CaseFactory(status=Case.Status.OPEN)
    analyst = AnalystFactory()

    def start_within_two_seconds() -> object:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            return case_transition(case=case, actor=analyst, transition="start").case

    with transaction.atomic():
        Company.objects.select_for_update().get(pk=case.company_id)  # held by someone else meanwhile
        [result] = run_together([start_within_two_seconds])

    assert isinstance(result, Case), result
    assert result.status == Case.Status.IN_PROGRESS
