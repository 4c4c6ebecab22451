"""How a search finds its matching texts (``cases.search.selectors._text_hits``): the strategy is
chosen per query from bounds the statement measures (how many of the newest texts match; how many
texts the GIN index holds for the words, up to a cap), never from the planner's estimate, and every
strategy gives the same answer.

The windows are made small here so that a few texts exercise each strategy; the figures on 1,000,000
cases are in ``benchmarks/results/search-plans.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Company, Membership
from accounts.selectors import PartnerScope
from cases.search import selectors as search
from cases.services import comment_create
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, ProductInstanceFactory, member

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the strategies are PostgreSQL's full-text search")


@pytest.fixture
def company() -> Company:
    return CompanyFactory(language="en", country="GB")


@pytest.fixture
def customer(company: Company) -> Any:
    return member(company, role=Membership.Role.DSU)


@pytest.fixture
def analyst() -> Any:
    return AnalystFactory()


@pytest.fixture
def texts(company: Company, customer: Any, analyst: Any) -> dict[str, Any]:
    """Twelve cases; "heron" in the oldest case's text only; "ledger" in every case and in a public
    comment and an internal note on each (36 texts: common); "osprey" in one internal note only."""
    cases = [
        CaseFactory(
            company=company,
            opened_by=customer,
            product_instance=ProductInstanceFactory(company=company),
            subject=f"Ledger export {n}",
            problem_summary="The heron batch stopped" if n == 0 else "Nothing else",
        )
        for n in range(12)
    ]
    for case in cases:
        comment_create(case=case, author=customer, body="The ledger is still wrong.")
        comment_create(case=case, author=analyst, body="Ledger checked on our side.", is_internal=True)
    comment_create(case=cases[5], author=analyst, body="An osprey in the logs.", is_internal=True)
    return {"cases": cases}


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A window of 3 texts; the newest 8 texts walked; up to 6 matches read from the GIN index.
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)
    monkeypatch.setattr(search, "SEARCH_RECENT", 8)
    monkeypatch.setattr(search, "SEARCH_PROBE", 6)
    monkeypatch.setattr(search, "SEARCH_WALK", 40)
    monkeypatch.setattr(search, "SEARCH_WALK_MIN", 2)
    yield


def _executed_ctes(user: Any, query: str) -> dict[str, int]:
    """Each materialized CTE of the search statement that ran: the rows it produced."""
    statement = search.case_search_statement(
        user=user, query=query, scope=PartnerScope.ESTABLISHMENT, offset=0, limit=25
    )
    assert statement is not None
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: dict[str, int] = {}

    def visit(node: dict[str, Any]) -> None:
        name = node.get("Subplan Name", "")
        if name.startswith("CTE ") and node.get("Actual Loops", 0):
            found[name.removeprefix("CTE ")] = node["Actual Rows"]
        for child in node.get("Plans", []):
            visit(child)

    visit(plan[0]["Plan"])
    return found


def _answer(user: Any, query: str) -> tuple[list[tuple[int, float, str]], int, bool]:
    page = search.case_search_for_user(user=user, query=query, offset=0, limit=25)
    return [(hit.case_id, hit.rank, hit.matched_in) for hit in page.hits], page.count, page.count_exact


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("who", ["customer", "analyst"])
def test_a_rare_word_is_read_from_the_gin_index_not_by_walking_every_text(request, texts, who):
    user = request.getfixturevalue(who)

    ran = _executed_ctes(user, "heron")

    # The newest texts were walked (8 of them, no match there), then the GIN index gave the one match
    # (under the probe's cap): the answer is sorted out of the probe.
    assert ran["recent"] == 0
    assert ran["probe"] == 1
    assert _answer(user, "heron") == ([(texts["cases"][0].pk, pytest.approx(0.2, abs=0.2), "case")], 1, True)


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("who", ["customer", "analyst"])
def test_a_common_word_is_found_among_the_newest_texts_without_the_index(request, texts, who):
    user = request.getfixturevalue(who)

    ran = _executed_ctes(user, "ledger")

    assert ran["recent"] == 3  # the window filled from the newest 8 texts
    assert ran.get("probe", 0) == 0  # the GIN index was not read


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("who", ["customer", "analyst"])
def test_a_word_plentiful_but_not_among_the_newest_few_walks_on_without_the_index(
    request, texts, monkeypatch, who
):
    user = request.getfixturevalue(who)
    # "export" is in the twelve cases' own texts, not in their comments: the newest 13 public texts
    # (the twelve comments, then the newest case; for staff the 26 newest, with the notes) hold one
    # match, short of the window of 3, but at that density the walk predicts it fills: it goes on
    # instead of reading the GIN index.
    monkeypatch.setattr(search, "SEARCH_RECENT", 26 if user.is_staff else 13)
    monkeypatch.setattr(search, "SEARCH_WALK_MIN", 1)

    ran = _executed_ctes(user, "export")

    assert (ran["recent"], ran["walk"], ran.get("probe", 0)) == (1, 3, 0)
    monkeypatch.setattr(search, "SEARCH_WALK_MIN", 2)  # sparser than this: the GIN index, as for a rare word
    ran = _executed_ctes(user, "export")
    assert (ran["recent"], ran["walk"], ran["probe"]) == (1, 0, 7)


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("who", ["customer", "analyst"])
def test_when_the_first_walk_saw_every_text_its_matches_are_the_answer(request, texts, monkeypatch, who):
    user = request.getfixturevalue(who)
    monkeypatch.setattr(search, "SEARCH_RECENT", 100)  # more than the 37 texts there are

    ran = _executed_ctes(user, "heron")

    # One match, short of the window, but no text is left unread: neither the walk nor the index.
    assert (ran["recent"], ran.get("walk", 0), ran.get("probe", 0)) == (1, 0, 0)
    assert _answer(user, "heron") == ([(texts["cases"][0].pk, pytest.approx(0.2, abs=0.2), "case")], 1, True)


@pytest.mark.usefixtures("small_windows")
def test_staff_walk_public_texts_and_internal_notes_together(texts, analyst):
    # The newest texts are the last cases' notes and comments, interleaved (and the "osprey" note):
    # one walk over both, merged by time, fills the window of 3 from the newest 4 texts.
    ran = _executed_ctes(analyst, "ledger")

    assert ran["recent"] == 3 and ran.get("probe", 0) == 0
    cases = texts["cases"]
    assert {hit[0] for hit in _answer(analyst, "ledger")[0]} == {cases[11].pk, cases[10].pk}
    assert _answer(analyst, "osprey")[0][0][::2] == (texts["cases"][5].pk, "internal_note")


@pytest.mark.parametrize("who", ["customer", "analyst"])
@pytest.mark.parametrize("query", ["heron", "ledger", "ledger heron", "osprey", "ledger or osprey"])
def test_every_strategy_gives_the_same_answer(request, texts, monkeypatch, who, query):
    user = request.getfixturevalue(who)
    monkeypatch.setattr(search, "SEARCH_WINDOW", 5)
    answers = {}
    for strategy, recent, walk_min, probe in (
        ("newest texts walked", 1000, 1000, 1000),
        ("walk continued", 2, 1, 1000),
        ("GIN index, sorted", 1, 1000, 1000),
        ("past the probe's cap", 1, 1000, 1),
    ):
        monkeypatch.setattr(search, "SEARCH_RECENT", recent)
        monkeypatch.setattr(search, "SEARCH_WALK_MIN", walk_min)
        monkeypatch.setattr(search, "SEARCH_PROBE", probe)
        answers[strategy] = _answer(user, query)

    assert len(set(map(repr, answers.values()))) == 1, answers


@pytest.mark.parametrize("who", ["customer", "analyst"])
@pytest.mark.parametrize("query", ["heron", "ledger", "osprey", "nowhere"])
def test_the_list_finds_the_same_cases_from_the_index_and_by_walking(
    api_client, request, texts, monkeypatch, who, query
):
    user = request.getfixturevalue(who)
    api_client.force_authenticate(user)
    listed = {}
    for strategy, probe in (("cases of the few matches", 1000), ("cases walked", 1)):
        monkeypatch.setattr(search, "SEARCH_PROBE", probe)
        response = api_client.get(reverse("case-list"), {"search": query, "page_size": 100})
        assert response.status_code == 200
        listed[strategy] = [row["id"] for row in response.json()["results"]]

    assert listed["cases of the few matches"] == listed["cases walked"]
    expected = {"heron": 1, "ledger": 12, "osprey": 1 if who == "analyst" else 0, "nowhere": 0}[query]
    assert len(listed["cases walked"]) == expected


@pytest.mark.parametrize("who", ["customer", "analyst"])
def test_the_list_reads_the_gin_index_only_for_words_sparse_among_the_newest_texts(
    api_client, request, texts, monkeypatch, who
):
    user = request.getfixturevalue(who)
    monkeypatch.setattr(search, "SEARCH_RECENT", 8)
    monkeypatch.setattr(search, "SEARCH_WALK_MIN", 2)
    languages = search.search_languages(user)

    # "ledger" is in every one of the newest 8 texts: the list walks its cases, no index read.
    assert search._few_matching_case_ids(user=user, query="ledger", languages=languages) is None
    # "heron" is in none of them (only the oldest case): the GIN index gives its case.
    heron = texts["cases"][0].pk
    assert search._few_matching_case_ids(user=user, query="heron", languages=languages) == [heron]
    api_client.force_authenticate(user)
    for query, expected in (("heron", 1), ("ledger", 12)):
        response = api_client.get(reverse("case-list"), {"search": query, "page_size": 100})
        assert response.status_code == 200
        assert len(response.json()["results"]) == expected
    # Were 9 of the newest 8 needed, "ledger" would be sparse: its cases come from the index.
    monkeypatch.setattr(search, "SEARCH_WALK_MIN", 9)
    assert search._few_matching_case_ids(user=user, query="ledger", languages=languages) == sorted(
        case.pk for case in texts["cases"]
    )
