"""Case search: ranked results with snippets (``case_search_for_user``) and the list's ``search``
filter (``case_search_filter``), on PostgreSQL full-text search with a substring fallback elsewhere.

Who sees what is ``cases.selectors.case_list_for_user``'s rule, applied *inside* the search (before
anything is counted, ranked or cut off): ``_visibility`` writes it as a condition on search entries,
and ``tests/cases/test_search.py`` holds the two equal actor by actor. A customer's search reads
only public entries, through indexes whose predicate is ``NOT is_internal``: no result, count, rank
or snippet can depend on an internal note (``tests/security/test_customers_never_search_internal_notes.py``).

Cost follows the matches, never the table: a search ranks at most ``SEARCH_WINDOW`` matching texts,
the newest first (PostgreSQL reads them either from the GIN index, when the words are rare, or by
walking the texts newest first until it has enough, when they are common), groups them by case,
ranks, and computes snippets only for the page shown. Past ``SEARCH_WINDOW`` matching texts the
answer says its count is a lower bound (``count_exact`` false).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value, When

from accounts.models import Company, Language, User
from accounts.selectors import PartnerScope, active_membership_for, company_ids_visible_to
from cases.models import Case, CaseSearchEntry, Comment
from cases.selectors import case_list_for_user

# At most this many matching texts (case texts, comments, notes) are ranked per search, newest first.
SEARCH_WINDOW = 500
# How a search finds them (``_text_hits``): among the newest texts it may see, this many at most,
# walked newest first (enough for words in a quarter of the texts or more); else, up to this many
# matches, all of them from the GIN index, sorted newest first.
SEARCH_RECENT = 4 * SEARCH_WINDOW
SEARCH_PROBE = 4 * SEARCH_WINDOW
# When the newest SEARCH_RECENT texts held fewer than SEARCH_WINDOW matches but enough that, at their
# density, the window fills within SEARCH_WALK texts, the walk goes on, through at most twice the
# texts that density predicts (and never more than SEARCH_WALK).
SEARCH_WALK = 20 * SEARCH_RECENT
SEARCH_WALK_MIN = SEARCH_WINDOW * SEARCH_RECENT // SEARCH_WALK
# Trigram matching (partial words, misspelt names) is tried only when no whole word matched: it would
# otherwise add near misses to exact answers ("Company 199" for "Company 198"); and only for queries
# this long at least (the trigrams of shorter ones match nearly everything).
FUZZY_MIN_LENGTH = 3
QUERY_MAX_LENGTH = 200
# The exact number's weight: a case named by its number comes first.
NUMBER_RANK = 100.0
# What ``matched_in`` says, by entry kind.
MATCHED_IN = {
    CaseSearchEntry.Kind.CASE: "case",
    CaseSearchEntry.Kind.COMMENT: "comment",
    CaseSearchEntry.Kind.EMAIL: "email",
    CaseSearchEntry.Kind.NOTE: "internal_note",
}
# ts_headline marks matches with these (removed from the text first), then escape_snippet makes HTML.
_START, _STOP = "\x02", "\x03"
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_NUMBER = re.compile(r"^(?:CS-?)?0*(\d{1,9})$", re.IGNORECASE)
# A company's language → its text search configuration (migration cases.0005_case_search).
TEXT_SEARCH_CONFIG: dict[str, str] = {
    Language.ENGLISH: "casedesk_en",
    Language.FRENCH: "casedesk_fr",
    Language.SPANISH: "casedesk_es",
}


@dataclass(frozen=True)
class SearchHit:
    case_id: int
    rank: float
    snippet: str  # HTML: the text escaped, matches in <mark>
    matched_in: str  # "case", "comment", "email", "internal_note" (staff only)


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    count: int  # matching cases; a lower bound unless count_exact
    count_exact: bool


def case_number_in(query: str) -> str | None:
    """The case number ``query`` names, normalised ("cs-42", "000042", "42" → "CS-000042"), if any."""
    found = _NUMBER.match(query.strip())
    return f"CS-{int(found.group(1)):06d}" if found else None


def search_languages(user: User) -> tuple[str, ...]:
    """The languages a query is read in: a company member's company's language (its cases are indexed
    in it); for partners and staff, who see companies of every language, all three, each text matched
    only by the query read in its own language. Only keys of ``TEXT_SEARCH_CONFIG`` (they are written
    into the SQL)."""
    membership = active_membership_for(user)
    if not user.is_staff and membership is not None and membership.company is not None:
        language = membership.company.language
        return (language if language in TEXT_SEARCH_CONFIG else Language.ENGLISH,)
    return tuple(TEXT_SEARCH_CONFIG)


def escape_snippet(text: str) -> str:
    """``text`` with ``_START``/``_STOP`` marks as HTML on one line: everything escaped, matches in
    <mark>."""
    text = " ".join(text.split())
    return html.escape(text, quote=False).replace(_START, "<mark>").replace(_STOP, "</mark>")


# --- the visibility rule as a condition on search entries ------------------------------------------


def _visibility(user: User, scope: PartnerScope) -> tuple[str, dict[str, Any]] | None:
    """``case_list_for_user(user=user, scope=scope)`` as SQL on the search entry ``e`` (None: nothing
    visible). The same branches, in the same order; for staff, every entry."""
    if user.is_staff:
        return "TRUE", {}
    membership = active_membership_for(user)
    if membership is None:
        return None
    if membership.company is not None:
        condition = "e.company_id = %(visible_company)s::bigint"
        params: dict[str, Any] = {"visible_company": membership.company.pk}
        if (
            membership.company.case_visibility == Company.CaseVisibility.OWN
            and not membership.sees_all_company_cases
        ):
            condition += (
                " AND EXISTS (SELECT 1 FROM cases_case own WHERE own.id = e.case_id"
                " AND (own.opened_by_id = %(visible_user)s::bigint OR own.on_behalf_of_id = %(visible_user)s::bigint))"
            )
            params["visible_user"] = user.pk
        return condition, params
    companies = list(company_ids_visible_to(user, scope=scope).values_list("pk", flat=True))
    return "e.company_id = ANY(%(visible_companies)s::bigint[])", {"visible_companies": companies}


def _language_query(language: str) -> str:
    return f"websearch_to_tsquery('{TEXT_SEARCH_CONFIG[language]}'::regconfig, %(q)s)"


def _matches(languages: tuple[str, ...], entry: str = "e") -> str:
    """Entry ``entry`` matches the query read in the entry's own language. One arm per language, each
    with its own query: the planner then estimates (and the GIN index reads) one reading of each
    word per text, where the OR of the three languages' queries would count a word whose stems
    coincide three times over."""
    if len(languages) == 1:
        return f"{entry}.document @@ {_language_query(languages[0])}"
    return (
        "("
        + " OR ".join(
            f"({entry}.language = '{language}' AND {entry}.document @@ {_language_query(language)})"
            for language in languages
        )
        + ")"
    )


def _entry_query(languages: tuple[str, ...], entry: str = "e") -> str:
    """The query read in entry ``entry``'s language, for its rank and snippet (an unknown language is
    indexed in English: ``casedesk_search_config``)."""
    if len(languages) == 1:
        return _language_query(languages[0])
    arms = " ".join(
        f"WHEN '{language}' THEN {_language_query(language)}"
        for language in languages
        if language != Language.ENGLISH
    )
    return f"(CASE {entry}.language {arms} ELSE {_language_query(Language.ENGLISH)} END)"


def _text_match(user: User, languages: tuple[str, ...]) -> str:
    match = _matches(languages)
    if user.is_staff:
        # Two arms, so each reads its partial index (public texts; internal notes).
        return f"((NOT e.is_internal AND {match}) OR (e.is_internal AND {match}))"
    return f"(NOT e.is_internal AND {match})"


def _prefix_tsquery() -> str:
    """Each word of the query as a prefix (``'imprim':*``), for highlighting what trigrams matched.
    Words are ``\\w+`` runs, quoted with quote_literal: nothing else of the query reaches to_tsquery."""
    return (
        "coalesce((SELECT to_tsquery('casedesk_simple', string_agg(quote_literal(w[1]) || ':*', ' | '))"
        " FROM regexp_matches(lower(%(q)s), '\\w+', 'g') AS w), ''::tsquery)"
    )


_CASE_TEXT = (
    "concat_ws(E'\\n', c.subject, c.problem_summary, c.error_message, c.users_affected, "
    "c.replication_steps, c.expected_result, c.worked_before, c.troubleshooting_tried, c.resolution)"
)


def _newest(columns: str, *, visibility: str, parts: tuple[str, ...], condition: str, limit: str) -> str:
    """The newest ``limit`` visible texts of ``parts`` (``NOT e.is_internal``; for staff, also
    ``e.is_internal``) that meet ``condition``, newest first: one walk of each part's own index by
    time, merged, so that it stops as soon as the newest ``limit`` of them all are found."""
    walks = [
        f"SELECT {columns} FROM cases_casesearchentry e WHERE {visibility} AND {part} AND {condition}"
        f" ORDER BY e.at DESC LIMIT {limit}"
        for part in parts
    ]
    if len(walks) == 1:
        return walks[0]
    merged = " UNION ALL ".join(f"({walk})" for walk in walks)
    return f"SELECT * FROM ({merged}) merged ORDER BY merged.at DESC LIMIT {limit}"


def _text_hits(user: User, visibility: str, languages: tuple[str, ...]) -> str:
    """CTEs ending in ``text_hits``: the newest ``SEARCH_WINDOW`` texts that match, by a strategy chosen
    per query from counts measured in the statement itself rather than from the planner's estimate of
    how many texts match (for a word the statistics do not list, that estimate can be a thousand times
    too high, and walking every text newest first looking for it then costs the whole table).

    1. ``recent``: the newest ``SEARCH_RECENT`` visible texts, walked newest first until the window is
       full. Enough for common words: at most ``SEARCH_RECENT`` texts read; and for every word when
       those are all the texts there are (``beyond``).
    2. Else, when at least ``SEARCH_WALK_MIN`` of those matched (at that density the window fills
       within ``SEARCH_WALK`` texts), ``walk``: the same walk goes on, through at most twice the texts
       that density predicts. The cost follows the page shown, not all the matches.
    3. Else ``probe``: at most ``SEARCH_PROBE + 1`` matches in any order (read from the GIN index,
       unless the planner expects the words to be so common that a scan finds them at once). Up to
       ``SEARCH_PROBE``, those are all of them: the newest are sorted out of them.
    4. Else (more than ``SEARCH_PROBE`` matches, but sparse among the newest texts): the planner
       chooses between walking newest first and the GIN index, on its estimate.

    Each step runs only when the ones before did not answer (a one-time filter on their counts).

    Public texts and, for staff, internal notes are read as two parts, each only through indexes
    whose predicate it implies (walks merged by time; the GIN index of each): a customer's statement
    can only reach ``NOT is_internal`` indexes."""
    parts = ("NOT e.is_internal", "e.is_internal") if user.is_staff else ("NOT e.is_internal",)
    match = _matches(languages)
    columns = "e.id, e.case_id, e.at, e.language, e.document"
    recent_count, walk_count, probe_count = (
        f"(SELECT count(*) FROM {name})" for name in ("recent", "walk", "probe")
    )
    walk_texts = (
        f"least(%(walk)s::bigint, 2 * %(window)s::bigint * %(recent)s::bigint / greatest({recent_count}, 1))"
    )

    # Whether there are texts past the newest SEARCH_RECENT (read from the index alone): if not (a
    # small company), the first walk saw every text, and its matches are all of them.
    beyond_recent = _newest(
        "e.at", visibility=visibility, parts=parts, condition="TRUE", limit="%(recent)s::bigint + 1"
    )
    more = "(SELECT more FROM beyond)"
    walk_gate = f"{recent_count} BETWEEN %(walk_min)s::bigint AND %(window)s::bigint - 1 AND {more}"

    def walked(*, gate: str, texts: str) -> str:
        newest = _newest(columns, visibility=visibility, parts=parts, condition=gate, limit=texts)
        return f"""SELECT r.id, r.case_id, r.at, ts_rank_cd(r.document, {_entry_query(languages, "r")}, 32) AS rank
            FROM ({newest}) r
            WHERE {_matches(languages, "r")}
            ORDER BY r.at DESC LIMIT %(window)s::bigint"""

    ranked = f"SELECT e.id, e.case_id, e.at, ts_rank_cd(e.document, {_entry_query(languages)}, 32) AS rank"
    # A part each (an OR of the two would have its common terms factored out, and reach no index).
    probe_gate = f"{recent_count} < %(window)s::bigint AND {walk_count} < %(window)s::bigint AND {more}"
    probes = " UNION ALL ".join(
        f"(SELECT e.id, e.at FROM cases_casesearchentry e WHERE {probe_gate} AND {visibility} AND {part}"
        f" AND {match} LIMIT %(probe)s::bigint + 1)"
        for part in parts
    )
    past_probe = _newest(
        columns,
        visibility=visibility,
        parts=parts,
        condition=f"{probe_count} > %(probe)s::bigint AND {match}",
        limit="%(window)s::bigint",
    )
    return f"""recent AS MATERIALIZED (
            {walked(gate="TRUE", texts="%(recent)s::bigint")}
        ),
        beyond AS MATERIALIZED (
            SELECT EXISTS (SELECT 1 FROM ({beyond_recent}) newest OFFSET %(recent)s::bigint) AS more
        ),
        walk AS MATERIALIZED (
            {walked(gate=walk_gate, texts=walk_texts)}
        ),
        probe AS MATERIALIZED (
            SELECT * FROM ({probes}) probes LIMIT %(probe)s::bigint + 1
        ),
        text_hits AS (
            SELECT * FROM recent WHERE {recent_count} >= %(window)s::bigint OR NOT {more}
            UNION ALL
            SELECT * FROM walk WHERE {walk_count} >= %(window)s::bigint
            UNION ALL
            ({ranked}
             FROM (
                 SELECT p.id FROM probe p
                 WHERE {probe_count} <= %(probe)s::bigint
                 ORDER BY p.at DESC LIMIT %(window)s::bigint
             ) newest
             JOIN cases_casesearchentry e ON e.id = newest.id)
            UNION ALL
            (SELECT r.id, r.case_id, r.at, ts_rank_cd(r.document, {_entry_query(languages, "r")}, 32) AS rank
             FROM ({past_probe}) r)
        )"""


def _headline(languages: tuple[str, ...]) -> str:
    """The snippet of entry ``e`` (``c``: its case when it is the case's own, ``m``: its comment)."""
    return f"""ts_headline(
        casedesk_search_config(e.language),
        translate(CASE WHEN e.comment_id IS NULL THEN {_CASE_TEXT} ELSE m.body END, E'\\x02\\x03', ''),
        {_entry_query(languages)} || {_prefix_tsquery()},
        %(headline)s
    )"""


_NO_HITS = "SELECT NULL::bigint AS id, NULL::bigint AS case_id, NULL::timestamptz AS at, NULL::real AS rank WHERE FALSE"


def _search_sql(user: User, visibility: str, *, trigrams: bool, number: bool, snippets: bool = True) -> str:
    """Whole words and the number; or, with ``trigrams``, trigrams of the label alone (the reading
    for when nothing else matched: ``_search_rows``)."""
    languages = search_languages(user)
    number_hits = (
        f"""SELECT e.id, e.case_id, e.at, {NUMBER_RANK}::real AS rank
            FROM cases_case c JOIN cases_casesearchentry e ON e.case_id = c.id AND e.comment_id IS NULL
            WHERE c.number = %(number)s AND {visibility}"""
        if number
        else _NO_HITS
    )
    fuzzy_hits = (
        f"""SELECT e.id, e.case_id, e.at, (word_similarity(%(q)s, e.label) / 2)::real AS rank
            FROM cases_casesearchentry e
            WHERE e.comment_id IS NULL AND {visibility} AND %(q)s <%% e.label
            ORDER BY e.at DESC LIMIT %(window)s::bigint"""
        if trigrams
        else _NO_HITS
    )
    text_hits = f"text_hits AS ({_NO_HITS})" if trigrams else _text_hits(user, visibility, languages)
    return f"""
        WITH {text_hits},
        number_hits AS ({number_hits}),
        fuzzy_hits AS ({fuzzy_hits}),
        hits AS (
            SELECT * FROM text_hits UNION ALL SELECT * FROM number_hits UNION ALL SELECT * FROM fuzzy_hits
        ),
        found AS (
            SELECT case_id, sum(rank) AS rank, max(at) AS last_at,
                   (array_agg(id ORDER BY rank DESC, at DESC, id DESC))[1] AS entry_id
            FROM hits GROUP BY case_id
        ),
        page AS (
            SELECT * FROM found ORDER BY rank DESC, last_at DESC, case_id DESC
            LIMIT %(limit)s::bigint OFFSET %(offset)s::bigint
        ),
        summary AS (
            SELECT (SELECT count(*) FROM found) AS total,
                   (SELECT count(*) FROM text_hits) >= %(window)s
                   OR (SELECT count(*) FROM fuzzy_hits) >= %(window)s AS capped
        )
        SELECT s.total, s.capped, p.case_id, p.rank, e.kind, {_headline(languages) if snippets else "NULL"}
        FROM summary s
        LEFT JOIN page p ON TRUE
        LEFT JOIN cases_casesearchentry e ON e.id = p.entry_id
        LEFT JOIN cases_case c ON c.id = e.case_id AND e.comment_id IS NULL
        LEFT JOIN cases_comment m ON m.id = e.comment_id
        ORDER BY p.rank DESC, p.last_at DESC, p.case_id DESC
    """


@contextmanager
def _planned_per_query() -> Iterator[None]:
    """Run a search as an unnamed statement, planned for its own words (a prepared statement's generic
    plan cannot tell a word in half the texts from a rare one), without JIT compilation: the
    statement's estimated cost counts every strategy of ``_text_hits``, though one-time filters
    run only one, and would pass ``jit_above_cost``, compiling for longer than the search runs."""
    connection.ensure_connection()
    raw = connection.connection
    threshold = getattr(raw, "prepare_threshold", None)
    if threshold is not None:
        raw.prepare_threshold = None
    try:
        # No savepoint: inside a caller's transaction the setting lasts until that one ends.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            # Nor parallel workers: a gated-off strategy (the one-time filters) would still start
            # them, at more than the cost of the search itself, to find that it has nothing to do.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
            )
            yield
    finally:
        if threshold is not None:
            raw.prepare_threshold = threshold


def case_search_statement(
    *,
    user: User,
    query: str,
    scope: PartnerScope,
    offset: int,
    limit: int,
    snippets: bool = True,
    trigrams: bool = False,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL ``case_search_for_user`` runs on PostgreSQL and its parameters (None: ``user`` sees no
    case). Rows: (total, capped, case id, rank, entry kind, headline), best first; one row with no
    case when the page is empty. ``trigrams``: the second statement, run only when the first found
    nothing (``_search_rows``)."""
    visible = _visibility(user, scope)
    if visible is None:
        return None
    return _statement(user, query, visible, offset=offset, limit=limit, snippets=snippets, trigrams=trigrams)


def _statement(
    user: User,
    query: str,
    visible: tuple[str, dict[str, Any]],
    *,
    offset: int,
    limit: int,
    snippets: bool,
    trigrams: bool,
) -> tuple[str, dict[str, Any]]:
    visibility, params = visible
    query = query.strip()
    number = case_number_in(query)
    sql = _search_sql(user, visibility, trigrams=trigrams, number=number is not None, snippets=snippets)
    return sql, {
        **params,
        "q": query,
        "number": number,
        "window": SEARCH_WINDOW,
        "recent": SEARCH_RECENT,
        "walk": SEARCH_WALK,
        "walk_min": SEARCH_WALK_MIN,
        "probe": SEARCH_PROBE,
        "limit": limit,
        "offset": offset,
        "headline": _HEADLINE_OPTIONS,
    }


def _trigrams_apply(query: str) -> bool:
    """Whether a query that matched no whole word is read again by trigrams: not a case number (its
    trigrams find its neighbours, "CS-000041" for "CS-000042", not what was meant), nor too short."""
    return case_number_in(query) is None and len(query.strip()) >= FUZZY_MIN_LENGTH


def _search_rows(
    *, user: User, query: str, scope: PartnerScope, offset: int, limit: int, snippets: bool
) -> list[tuple[Any, ...]]:
    """The rows of ``case_search_statement`` (none: ``user`` sees no case): whole words and the
    number; when they found nothing, trigrams of the label. Two statements rather than one holding
    both: planning the trigram operator (its selectivity is estimated on the labels' statistics)
    would cost every search for the few that need it."""
    visible = _visibility(user, scope)
    if visible is None:
        return []
    reading = functools.partial(
        _statement, user, query, visible, offset=offset, limit=limit, snippets=snippets
    )
    with _planned_per_query(), connection.cursor() as cursor:
        cursor.execute(*reading(trigrams=False))
        rows = cursor.fetchall()
        # Nothing found: no text matched (a query read by trigrams names no number).
        if rows[0][0] == 0 and _trigrams_apply(query):
            cursor.execute(*reading(trigrams=True))
            rows = cursor.fetchall()
    return rows


def case_search_for_user(
    *, user: User, query: str, scope: PartnerScope = PartnerScope.ESTABLISHMENT, offset: int, limit: int
) -> SearchPage:
    """The cases ``user`` may see that match ``query``, best first: ``limit`` of them from ``offset``,
    each with its rank, a snippet of its best matching text and where that text is.

    Ranking: an exact case number first; then the sum over a case's matching texts of ``ts_rank_cd``
    (subject, company and people's names weigh most, then summary and error message, then the rest of
    the description, comments and notes); when no whole word matched, half the trigram word
    similarity of the label; ties newest first."""
    query = query.strip()
    if connection.vendor != "postgresql":
        return _simple_search(user=user, query=query, scope=scope, offset=offset, limit=limit)
    rows = _search_rows(user=user, query=query, scope=scope, offset=offset, limit=limit, snippets=True)
    if not rows:
        return SearchPage(hits=[], count=0, count_exact=True)
    total, capped = rows[0][0], rows[0][1]
    hits = [
        SearchHit(
            case_id=case_id,
            rank=round(float(rank), 4),
            snippet=escape_snippet(headline or ""),
            matched_in=MATCHED_IN[kind],
        )
        for _, _, case_id, rank, kind, headline in rows
        if case_id is not None
    ]
    return SearchPage(hits=hits, count=total, count_exact=not capped)


def case_search_ranked_ids(*, user: User, query: str) -> list[int]:
    """Every case ``case_search_for_user`` finds, best first, without snippets (the admin ranks its
    changelist by this and shows snippets for its page: ``case_search_snippets``)."""
    query = query.strip()
    if connection.vendor != "postgresql":
        matches = _simple_matches(user=user, query=query, scope=PartnerScope.ESTABLISHMENT)
        return list(matches.values_list("pk", flat=True)[: 2 * SEARCH_WINDOW])
    rows = _search_rows(
        user=user,
        query=query,
        scope=PartnerScope.ESTABLISHMENT,
        offset=0,
        limit=SEARCH_WINDOW + 1,  # a window (of texts or of trigram matches), and the number
        snippets=False,
    )
    return [row[2] for row in rows if row[2] is not None]


def case_search_snippets(*, user: User, query: str, case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(snippet, matched_in) for each of ``case_ids`` that ``user`` may see: its best matching text
    (by ``ts_rank_cd``, newest first), or the case's own text when only its number or label matched."""
    query = query.strip()
    if not case_ids:
        return {}
    if connection.vendor != "postgresql":
        matches = case_list_for_user(user=user).filter(pk__in=case_ids)
        return {
            hit.case_id: (hit.snippet, hit.matched_in) for hit in _simple_hits(user, query, list(matches))
        }
    visible = _visibility(user, PartnerScope.ESTABLISHMENT)
    if visible is None:
        return {}
    visibility, params = visible
    languages = search_languages(user)
    sql = f"""
        WITH best AS (
            SELECT DISTINCT ON (e.case_id) e.id
            FROM cases_casesearchentry e
            WHERE e.case_id = ANY(%(ids)s::bigint[]) AND {visibility}
              AND ({_text_match(user, languages)} OR e.comment_id IS NULL)
            ORDER BY e.case_id, ts_rank_cd(e.document, {_entry_query(languages)}, 32) DESC, e.at DESC, e.id DESC
        )
        SELECT e.case_id, e.kind, {_headline(languages)}
        FROM best b JOIN cases_casesearchentry e ON e.id = b.id
        LEFT JOIN cases_case c ON c.id = e.case_id AND e.comment_id IS NULL
        LEFT JOIN cases_comment m ON m.id = e.comment_id
    """
    with _planned_per_query(), connection.cursor() as cursor:
        cursor.execute(sql, {**params, "ids": case_ids, "q": query, "headline": _HEADLINE_OPTIONS})
        return {case_id: (escape_snippet(text or ""), MATCHED_IN[kind]) for case_id, kind, text in cursor}


def _few_matching_case_ids(*, user: User, query: str, languages: tuple[str, ...]) -> list[int] | None:
    """The cases of the texts matching ``query`` in ``user``'s company (staff: every company) when
    there are at most ``SEARCH_PROBE`` of them, read from the GIN index; None when there are more,
    when the words are plentiful among the newest texts (at least ``SEARCH_WALK_MIN`` of the newest
    ``SEARCH_RECENT``, the density at which the search walks too: the list's own walk then soon fills
    a page, and the GIN index would read every match of the words for nothing), or for a partner
    (then the list walks its cases). A superset of what ``user`` may see: the list's own queryset
    applies the visibility rule."""
    membership = active_membership_for(user)
    if user.is_staff:
        where, params = "TRUE", {}
    elif membership is not None and membership.company is not None:
        where, params = "e.company_id = %(company)s::bigint", {"company": membership.company.pk}
    else:
        return None
    parts = ("NOT e.is_internal", "e.is_internal") if user.is_staff else ("NOT e.is_internal",)
    newest = _newest(
        "e.at, e.language, e.document",
        visibility=where,
        parts=parts,
        condition="TRUE",
        limit="%(recent)s::bigint",
    )
    probes = " UNION ALL ".join(
        f"(SELECT e.case_id FROM cases_casesearchentry e WHERE NOT (SELECT plentiful FROM density)"
        f" AND {where} AND {part} AND {_matches(languages)} LIMIT %(probe)s::bigint + 1)"
        for part in parts
    )
    with _planned_per_query(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH density AS MATERIALIZED (
                    SELECT count(*) >= %(walk_min)s::bigint AS plentiful FROM (
                        SELECT 1 FROM ({newest}) r WHERE {_matches(languages, "r")} LIMIT %(walk_min)s::bigint
                    ) enough
                )
                SELECT (SELECT plentiful FROM density),
                       ARRAY(SELECT case_id FROM ({probes}) probes LIMIT %(probe)s::bigint + 1)""",
            {
                **params,
                "q": query,
                "probe": SEARCH_PROBE,
                "recent": SEARCH_RECENT,
                "walk_min": SEARCH_WALK_MIN,
            },
        )
        plentiful, case_ids = cursor.fetchone()
    return None if plentiful or len(case_ids) > SEARCH_PROBE else sorted(set(case_ids))


def case_search_filter(*, user: User, query: str, cases: QuerySet[Case]) -> QuerySet[Case]:
    """The list's ``search``: ``cases`` (``case_list_for_user``'s, in the list's order) whose texts
    match ``query`` as ``case_search_for_user`` reads it: whole words in the caller's languages or
    the exact number, else, when no whole word matched, trigrams of the label. Customers match
    public texts only."""
    query = query.strip()
    number = case_number_in(query)
    by_number = Q(number=number) if number else Q(pk__in=[])
    if connection.vendor != "postgresql":
        return cases.filter(_simple_match(user=user, query=query) | by_number)
    languages = search_languages(user)
    text = reduce(
        or_,
        (
            Q(document=SearchQuery(query, config=TEXT_SEARCH_CONFIG[language], search_type="websearch"))
            & (Q(language=language) if len(languages) > 1 else Q())
            for language in languages
        ),
    )
    entries = CaseSearchEntry.objects.filter(case_id=OuterRef("pk"))
    public = Q(is_internal=False) & text
    text = public | (Q(is_internal=True) & text) if user.is_staff else public
    # Few matches: their cases, from the GIN index (walking the list's cases for them would read
    # every case); many: the list's cases in order, each tested, which soon fills a page.
    few = _few_matching_case_ids(user=user, query=query, languages=languages)
    text_match = Q(pk__in=few) if few is not None else Q(Exists(entries.filter(text)))
    found = cases.filter(text_match | by_number)
    if number is not None or len(query) < FUZZY_MIN_LENGTH or found.exists():
        return found
    similar = Q(comment__isnull=True) & Q(TrigramWordSimilar(F("label"), Value(query)))
    return cases.filter(Exists(entries.filter(similar)))


# --- the fallback (SQLite: `make run`) ---------------------------------------------------------------

_CASE_TEXT_FIELDS = (
    "subject",
    "problem_summary",
    "error_message",
    "users_affected",
    "replication_steps",
    "expected_result",
    "worked_before",
    "troubleshooting_tried",
    "resolution",
)


# What the label holds besides the number and subject.
_LABEL_FIELDS = (
    "company__name",
    "opened_by__first_name",
    "opened_by__last_name",
    "on_behalf_of__first_name",
    "on_behalf_of__last_name",
)


def _comments_visible(user: User) -> QuerySet[Comment]:
    comments = Comment.objects.all()
    return comments if user.is_staff else comments.filter(is_internal=False)


def _simple_match(*, user: User, query: str) -> Q:
    """A substring of the case's texts, company or people's names, or of a comment it may read
    (internal notes: staff only)."""
    in_case = reduce(
        or_, (Q(**{f"{field}__icontains": query}) for field in _LABEL_FIELDS + _CASE_TEXT_FIELDS)
    )
    in_comment = Exists(_comments_visible(user).filter(case=OuterRef("pk"), body__icontains=query))
    return in_case | Q(in_comment)


def _simple_matches(*, user: User, query: str, scope: PartnerScope) -> QuerySet[Case]:
    """The fallback's matches, the exact number first, then newest first."""
    number = case_number_in(query)
    matches = case_list_for_user(user=user, scope=scope).filter(
        _simple_match(user=user, query=query) | (Q(number=number) if number else Q(pk__in=[]))
    )
    named = SqlCase(When(number=number, then=Value(0)), default=Value(1)) if number else Value(1)
    return matches.order_by(named, "-created_at", "-id")


def _simple_search(*, user: User, query: str, scope: PartnerScope, offset: int, limit: int) -> SearchPage:
    """Without PostgreSQL: the same answer's shape, from a substring match; unranked (1.0, the exact
    number 100.0), newest first, with a snippet around the first match."""
    matches = _simple_matches(user=user, query=query, scope=scope)
    cases = list(matches[offset : offset + limit])
    hits = _simple_hits(user, query, cases, number=case_number_in(query))
    return SearchPage(hits=hits, count=matches.count(), count_exact=True)


def _simple_hits(user: User, query: str, cases: list[Case], *, number: str | None = None) -> list[SearchHit]:
    """A hit per case: a snippet around the first match in its texts, else in its newest matching
    comment (one query for all of them)."""
    comments: dict[int, Comment] = {}
    for comment in (
        _comments_visible(user).filter(case__in=cases, body__icontains=query).order_by("-created_at")
    ):
        comments.setdefault(comment.case_id, comment)
    hits = []
    for case in cases:
        texts = [(getattr(case, field), "case") for field in _CASE_TEXT_FIELDS]
        if case.pk in comments:
            comment = comments[case.pk]
            kind = (
                "internal_note"
                if comment.is_internal
                else "email"
                if comment.source == "email"
                else "comment"
            )
            texts.append((comment.body, kind))
        snippet, matched_in = next(
            ((_excerpt(text, query), kind) for text, kind in texts if query.lower() in text.lower()),
            (_excerpt(case.subject, ""), "case"),
        )
        rank = NUMBER_RANK if case.number == number else 1.0
        hits.append(SearchHit(case_id=case.pk, rank=rank, snippet=snippet, matched_in=matched_in))
    return hits


def _excerpt(text: str, query: str, *, around: int = 80) -> str:
    """Up to ``around`` characters either side of the first occurrence of ``query``, marked."""
    at = text.lower().find(query.lower()) if query else -1
    if at < 0:
        return escape_snippet(text[: 2 * around])
    start, end = max(0, at - around), at + len(query)
    marked = f"{text[start:at]}{_START}{text[at:end]}{_STOP}{text[end : end + around]}"
    return ("… " if start else "") + escape_snippet(marked) + (" …" if end + around < len(text) else "")
