"""``core.precompiled``: SQL compiled once per key, run with each call's values, checked in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from prometheus_client import REGISTRY

from accounts.models import Company, Membership, User
from accounts.services import api_token_create
from cases.models import Case
from core.precompiled import FETCHES, PlaceholderNotFound, PrecompiledQuery, StalePrecompiledQuery
from sla.models import SlaTarget
from sla.selectors import sla_timers_lock_for_write
from tests.factories import (
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db


class _CountingBuilder:
    """A queryset builder that counts its calls: a new template builds it three times (two sets of
    placeholders, then the real values), and check mode once more on every later call."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self.calls = 0

    def __call__(self, **values: Any) -> QuerySet[Any]:
        self.calls += 1
        return self.build(**values)


def _cases_with_people(case_id: int) -> QuerySet[Case]:
    return (
        Case.objects.select_related("company", "opened_by")
        .defer("problem_summary", "opened_by__password")
        .annotate(comment_count=Count("comments"))
        .filter(pk=case_id)
        .order_by()
    )


def test_rows_come_back_as_the_queryset_would_load_them(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False
    first, second = CaseFactory(), CaseFactory()
    query = PrecompiledQuery("test: case with people")
    build = _CountingBuilder(_cases_with_people)

    for case in (first, second, first):
        [loaded] = query.fetch(key="everyone", build=build, case_id=case.pk)
        [expected] = _cases_with_people(case.pk)
        assert (loaded.pk, loaded.subject, loaded.comment_count) == (expected.pk, expected.subject, 0)
        assert loaded.company.name == case.company.name  # joined, not queried
        assert loaded.opened_by.username == case.opened_by.username
        assert loaded.get_deferred_fields() == expected.get_deferred_fields() == {"problem_summary"}

    assert build.calls == 3  # one template
    assert query.fetch(key="everyone", build=build, case_id=second.pk + 1000) == []


def test_a_cached_query_runs_one_statement_and_builds_nothing(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False
    case = CaseFactory()
    query = PrecompiledQuery("test: one statement")
    build = _CountingBuilder(_cases_with_people)
    query.fetch(key="everyone", build=build, case_id=case.pk)

    with django_assert_num_queries(1):
        [loaded] = query.fetch(key="everyone", build=build, case_id=case.pk)
        assert loaded.company.pk == case.company_id
    assert build.calls == 3


def test_check_mode_catches_a_key_that_misses_an_input(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = True
    mine, theirs = CaseFactory(), CaseFactory()
    query = PrecompiledQuery("test: key without the company")

    def cases_of(company_id: int) -> Callable[..., QuerySet[Case]]:
        return lambda case_id: Case.objects.filter(company_id=company_id, pk=case_id).order_by()

    assert query.fetch(key="forgot the company", build=cases_of(mine.company_id), case_id=mine.pk) == [mine]
    # Served from the cache, the SQL would still say the first company: check mode refuses it.
    with pytest.raises(StalePrecompiledQuery):
        query.fetch(key="forgot the company", build=cases_of(theirs.company_id), case_id=theirs.pk)
    # With the company in the key there is nothing to catch.
    assert query.fetch(key=theirs.company_id, build=cases_of(theirs.company_id), case_id=theirs.pk) == [
        theirs
    ]


def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused() -> None:
    query = PrecompiledQuery("test: search")
    with pytest.raises(PlaceholderNotFound):
        query.fetch(key="x", build=lambda text: Case.objects.filter(subject__icontains=text), text="journal")
    with pytest.raises(PlaceholderNotFound):  # a slice bound is written into the SQL
        query.fetch(key="x", build=lambda limit: Case.objects.all()[:limit], limit=5)


def test_a_query_whose_shape_depends_on_a_value_is_refused_when_compiled(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False  # refused whatever the mode
    query = PrecompiledQuery("test: a branch on the value")

    def recent_or_all(case_id: int) -> QuerySet[Case]:
        cases = Case.objects.filter(pk__gte=case_id).order_by()
        return cases.filter(priority="P1") if case_id < 10_000 else cases

    with pytest.raises(PlaceholderNotFound):
        query.fetch(key="x", build=recent_or_all, case_id=5)


def test_placeholders_fit_small_integer_columns(settings: Any) -> None:
    """``SlaTarget.sla_band`` is a small integer: on PostgreSQL a placeholder beyond its range
    compiles to "no rows" (Django's overflow rule; SQLite has no such ranges), which would hold for
    every later value."""
    settings.PRECOMPILED_QUERIES_CHECK = False
    call_command("bootstrap", verbosity=0)  # the seeded policy: targets in every band
    query = PrecompiledQuery("test: band")
    assert SlaTarget.objects.filter(sla_band=1).exists()
    for band in (1, 2, 3):
        expected = list(SlaTarget.objects.filter(sla_band=band).order_by("pk"))
        assert (
            query.fetch(
                key="x",
                build=lambda sla_band: SlaTarget.objects.filter(sla_band=sla_band).order_by("pk"),
                sla_band=band,
            )
            == expected
        )


def test_a_query_that_can_match_nothing_answers_nothing_without_sql(django_assert_num_queries: Any) -> None:
    query = PrecompiledQuery("test: none")
    for _ in range(2):
        with django_assert_num_queries(0):
            assert (
                query.fetch(key="x", build=lambda case_id: Case.objects.none().filter(pk=case_id), case_id=1)
                == []
            )


def test_templates_beyond_the_bound_are_dropped_least_recently_used_first(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False
    case = CaseFactory()
    query = PrecompiledQuery("test: bound", max_entries=2)
    build = _CountingBuilder(lambda case_id: Case.objects.filter(pk=case_id).order_by())
    for key in ("a", "b", "a", "c", "a", "b"):  # "c" pushes out "b" (least recently used), not "a"
        query.fetch(key=key, build=build, case_id=case.pk)
    assert build.calls == 3 * 4  # templates for a, b, c, and b again


def _fetches(query: str, outcome: str) -> float:
    labels = {"query": query, "outcome": outcome}
    return REGISTRY.get_sample_value("casedesk_precompiled_fetches_total", labels) or 0.0


def test_hits_and_misses_are_counted_per_query(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False
    case = CaseFactory()
    query = PrecompiledQuery("test: counted", max_entries=1)
    for key in ("a", "a", "a", "b", "a"):  # "b" pushes "a" out: a miss again
        query.fetch(
            key=key, build=lambda case_id: Case.objects.filter(pk=case_id).order_by(), case_id=case.pk
        )
    assert (_fetches("test: counted", "miss"), _fetches("test: counted", "hit")) == (3, 2)


def test_switched_off_every_call_runs_the_plain_queryset(
    settings: Any, django_assert_num_queries: Any
) -> None:
    """``PRECOMPILED_QUERIES=0``: the same rows, built and compiled on every call, nothing kept."""
    settings.PRECOMPILED_QUERIES = False
    settings.PRECOMPILED_QUERIES_CHECK = True  # would compile the cached SQL too: nothing is cached
    first, second = CaseFactory(), CaseFactory()
    query = PrecompiledQuery("test: off")
    build = _CountingBuilder(_cases_with_people)
    for case in (first, second, first):
        with django_assert_num_queries(1):
            [loaded] = query.fetch(key="everyone", build=build, case_id=case.pk)
        [expected] = _cases_with_people(case.pk)
        assert (loaded.pk, loaded.subject, loaded.comment_count) == (expected.pk, expected.subject, 0)
        assert loaded.company.name == case.company.name
        assert loaded.get_deferred_fields() == expected.get_deferred_fields()
    assert build.calls == 3  # once a call
    assert query._templates == {}
    assert (_fetches("test: off", "off"), _fetches("test: off", "miss")) == (3, 0)
    # Switched back on, the first call compiles a template.
    settings.PRECOMPILED_QUERIES = True
    query.fetch(key="everyone", build=build, case_id=first.pk)
    assert (build.calls, len(query._templates)) == (6, 1)


def test_queries_named_off_run_plainly_and_the_others_stay_compiled(settings: Any) -> None:
    settings.PRECOMPILED_QUERIES_CHECK = False
    settings.PRECOMPILED_QUERIES_OFF = frozenset({"test: named off"})
    case = CaseFactory()
    named, other = PrecompiledQuery("test: named off"), PrecompiledQuery("test: still compiled")
    build = _CountingBuilder(_cases_with_people)
    for _ in range(2):
        assert [c.pk for c in named.fetch(key="everyone", build=build, case_id=case.pk)] == [case.pk]
    assert (build.calls, named._templates) == (2, {})
    for _ in range(2):
        assert [c.pk for c in other.fetch(key="everyone", build=build, case_id=case.pk)] == [case.pk]
    assert (build.calls, len(other._templates)) == (5, 1)
    assert _fetches("test: named off", "off") == 2
    assert (_fetches("test: still compiled", "miss"), _fetches("test: still compiled", "hit")) == (1, 1)


def _fetch_counts() -> dict[tuple[str, str], float]:
    """Every compiled query's calls so far: (query, outcome) → count."""
    return {
        (sample.labels["query"], sample.labels["outcome"]): sample.value
        for metric in FETCHES.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


def _reads_of(api_client: Any, reader: User, case: Case) -> None:
    """What a customer reads most: the case, the first list page and the next (page size 1), with a
    token as API clients send it."""
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=reader)[1]}"}
    detail = api_client.get(reverse("case-detail", args=[case.pk]), **headers)
    assert (detail.status_code, detail.json()["id"]) == (200, case.pk)
    first = api_client.get(reverse("case-list"), {"page_size": 1}, **headers).json()
    assert first["next"] is not None
    second = api_client.get(first["next"], **headers).json()
    listed = [row["id"] for page in (first, second) for row in page["results"]]
    assert case.pk in listed and len(set(listed)) == 2


def test_a_new_reader_compiles_nothing(api_client: Any) -> None:
    """Only reads whose SQL is the same for every reader are compiled (the token lookup, the case's
    SLA timers): the case detail and the list pages are plain querysets, so a reader of another
    company, one who sees only their own cases and a partner's user reuse what the first reader
    compiled (in check mode, compared afresh)."""
    readers = []
    for company in (CompanyFactory(), CompanyFactory(case_visibility=Company.CaseVisibility.OWN)):
        reader = member(company, role=Membership.Role.MEMBER)
        instance = ProductInstanceFactory(company=company)
        cases = CaseFactory.create_batch(2, company=company, opened_by=reader, product_instance=instance)
        readers.append((reader, cases[0]))
    client_company = CompanyFactory()
    establishment = PartnerEstablishmentFactory(clients=[client_company])
    instance = ProductInstanceFactory(company=client_company)
    cases = CaseFactory.create_batch(2, company=client_company, product_instance=instance)
    readers.append((partner_user(establishment), cases[0]))

    _reads_of(api_client, *readers[0])  # whatever earlier tests left, the shapes are compiled now
    before = _fetch_counts()
    for reader, case in readers[1:]:
        _reads_of(api_client, reader, case)
    after = _fetch_counts()

    calls = {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key, 0.0)}
    assert {query for query, outcome in calls if outcome != "hit"} == set()
    assert {query for query, _ in calls} == {"live token with membership", "SLA timers of a case"}


def test_the_sla_writes_lock_a_cases_timers_with_one_compiled_query() -> None:
    """A reply's and a status change's SLA writes start by locking the case's timers: the SQL is the
    same for every case, so the second case hits the first one's template, and it still locks."""
    first, second = CaseFactory(), CaseFactory()
    with transaction.atomic():
        sla_timers_lock_for_write(case_id=first.pk)
    before = _fetch_counts()

    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        locked = sla_timers_lock_for_write(case_id=second.pk)

    after = _fetch_counts()
    query = "SLA timers of a case locked for a write"
    assert after[(query, "hit")] - before.get((query, "hit"), 0.0) == 1
    assert after.get((query, "miss"), 0.0) == before.get((query, "miss"), 0.0)
    assert {timer.case_id for timer in locked} <= {second.pk}
    [statement] = [entry["sql"] for entry in captured.captured_queries if "sla_slatimer" in entry["sql"]]
    if connection.features.has_select_for_update_of:
        assert 'FOR UPDATE OF "sla_slatimer"' in statement
