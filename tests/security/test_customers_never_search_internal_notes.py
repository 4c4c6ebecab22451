"""A customer's search never depends on internal notes: no result, count, rank or snippet, on the
search endpoint or the list's ``search``, changes with what an internal note says (the rule:
"a customer must never match on internal text; a result set, count or ranking that depends on
internal text is a leak"). Staff find the same words (the control)."""

import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import Company, Membership
from accounts.selectors import PartnerScope
from cases.models import Case
from cases.search import selectors as search
from cases.services import comment_create
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, ProductInstanceFactory, member

pytestmark = pytest.mark.django_db

SEARCH = reverse("case-search")
NOWHERE = "xylocarpa"  # a word nothing in these tests contains


def _search(api_client: Any, user: Any, q: str) -> dict[str, Any]:
    api_client.force_authenticate(user)
    response = api_client.get(SEARCH, {"q": q})
    assert response.status_code == 200, response.json()
    return response.json()


def _listed(api_client: Any, user: Any, q: str) -> list[int]:
    api_client.force_authenticate(user)
    response = api_client.get(reverse("case-list"), {"search": q})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _ids(body: dict[str, Any]) -> list[int]:
    return [row["id"] for row in body["results"]]


def _case(company: Company, opener: Any, **fields: Any) -> Case:
    return CaseFactory(
        company=company, opened_by=opener, product_instance=ProductInstanceFactory(company=company), **fields
    )


@pytest.fixture
def company() -> Company:
    return CompanyFactory(language="en", country="GB")


@pytest.fixture
def customer(company: Company) -> Any:
    return member(company, role=Membership.Role.DSU)


@pytest.fixture
def analyst() -> Any:
    return AnalystFactory()


def test_a_word_only_in_an_internal_note_finds_the_case_for_staff_and_not_for_the_customer(
    api_client, company, customer, analyst
):
    case = _case(company, customer, subject="Bank file rejected")
    _case(company, customer, subject="Another bank file")
    comment_create(case=case, author=analyst, body="Customer's okapi mapping is wrong.", is_internal=True)

    for_staff = _search(api_client, analyst, "okapi")
    assert _ids(for_staff) == [case.pk]
    assert for_staff["results"][0]["matched_in"] == "internal_note"
    assert _listed(api_client, analyst, "okapi") == [case.pk]

    # The customer gets exactly what a word that is nowhere gets: results, count, ranks, snippets.
    assert _search(api_client, customer, "okapi") == _search(api_client, customer, NOWHERE)
    assert _search(api_client, customer, "okapi")["count"] == 0
    assert _listed(api_client, customer, "okapi") == _listed(api_client, customer, NOWHERE) == []


def _without_updated_at(body: dict[str, Any]) -> dict[str, Any]:
    """The answer but for the cases' ``updated_at``, which any comment moves, internal notes included
    (``comment_add``; the case list and detail show it with or without search)."""
    return {
        **body,
        "results": [{k: v for k, v in row.items() if k != "updated_at"} for row in body["results"]],
    }


# No shrinking: each example builds a company and asks fourteen questions; the notes are in the message.
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    notes=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),
            st.lists(st.sampled_from(["ocelot", "tapir", "lynx", NOWHERE]), min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_internal_notes_never_change_what_a_customer_gets(api_client, notes):
    """Whatever internal notes say, and on whichever cases (matching ones included), every answer
    the customer gets (results, count, ranks, snippets) stays what it was."""
    company = CompanyFactory(language="en", name=f"Zoo {CompanyFactory._meta.model.objects.count()}")
    customer = member(company, role=Membership.Role.DSU)
    analyst = AnalystFactory()
    cases = [
        _case(company, customer, subject="Ocelot ledger export"),
        _case(company, customer, subject="Tapir payment run", problem_summary="The ocelot file."),
        _case(company, customer, subject="Lynx approvals"),
        _case(company, customer, subject="Nothing related"),
    ]
    comment_create(case=cases[2], author=customer, body="The tapir and the lynx again.")
    queries = ["ocelot", "tapir", "lynx", "ocelot tapir", '"tapir payment"', "ocelot or lynx", NOWHERE]
    before = {q: _without_updated_at(_search(api_client, customer, q)) for q in queries}
    listed_before = {q: _listed(api_client, customer, q) for q in queries}

    for index, words in notes:
        comment_create(case=cases[index], author=analyst, body=" ".join(words) + " noted", is_internal=True)

    assert {q: _without_updated_at(_search(api_client, customer, q)) for q in queries} == before, notes
    assert {q: _listed(api_client, customer, q) for q in queries} == listed_before, notes


@pytest.mark.postgres
@pytest.mark.parametrize("trigrams", [False, True])
def test_a_customers_search_never_reads_the_internal_notes_index(company, customer, trigrams):
    statement = search.case_search_statement(
        user=customer, query="ledger", scope=PartnerScope.ESTABLISHMENT, offset=0, limit=25, trigrams=trigrams
    )
    assert statement is not None
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # make every index the planner could use tempting
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_internal" not in plan  # the internal notes' GIN and time indexes
    # and every reading of the entries keeps to public ones (the trigram reading reads only the cases'
    # own entries, comment_id IS NULL, never a note's)
    readings = re.findall(r"(NOT )?e\.is_internal", sql)
    assert all(readings) and (readings or (trigrams and "e.comment_id IS NULL" in sql))
