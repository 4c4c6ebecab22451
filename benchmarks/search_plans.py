"""EXPLAIN (ANALYZE, BUFFERS) of the case search statement on a database seeded by ``benchmarks/search.py``
(read-only: the session's transactions are READ ONLY; nothing is migrated or written).

    DATABASE_URL=postgres://postgres@127.0.0.1:54330/casedesk_search_bench SECRET_KEY=... \\
        .venv/bin/python benchmarks/search_plans.py --runs 3 [--selectors PATH] [--jit] [--parallel] [--plans] [LABEL ...]

For each class (staff; a customer of the largest company, company 5; customers of two typical
companies, 911 in English and 870 in French, 353 cases each, the median) it prints the statement's
server-side execution times, its buffers and the answer's count, and writes every plan to
``--output``. Words: common ``invoice`` and medium ``batch`` (ranks 0 and 40 of the English vocabulary,
as ``benchmarks/search.py`` picks them), ``imprimante`` for French; rare: staff's ``labevila`` (one the
1,000,000-case run timed out on) and, for a customer, the pseudo-word of their company's newest case.

``--selectors PATH`` runs another version of ``cases/search/selectors.py`` (e.g. main's, to compare).
JIT and parallel workers are off as ``case_search_for_user`` runs it, unless ``--jit`` or
``--parallel`` (how older statements ran: JIT until the strategies, parallel workers until the
per-language matching).

The database may be older than the code's accounts tables (a seed made on another branch): company
members are read with the columns search uses only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Membership, User  # noqa: E402
from accounts.selectors import PartnerScope  # noqa: E402


def vocabulary_words() -> set[str]:
    """Every vocabulary word of ``benchmarks/search.py``'s seed: the rest are its pseudo-words."""
    spec = importlib.util.spec_from_file_location("search_bench", Path(__file__).with_name("search.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["search_bench"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return {word for words in module.VOCABULARY.values() for word in words.split()}


def load_selectors(path: str | None) -> ModuleType:
    if not path:
        from cases.search import selectors

        return selectors
    spec = importlib.util.spec_from_file_location("cases.search.selectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cases.search.selectors"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--selectors")
    parser.add_argument("--jit", action="store_true")
    parser.add_argument("--parallel", action="store_true", help="allow parallel workers")
    parser.add_argument("--plans", action="store_true", help="print each plan too")
    parser.add_argument("--output", default="/tmp/search_plans.json")
    parser.add_argument("labels", nargs="*", help="only the classes whose label contains one of these")
    args = parser.parse_args()
    selectors = load_selectors(args.selectors)

    def membership(user: User) -> Membership | None:
        return (
            Membership.objects.select_related("company")
            .only(
                "id",
                "user_id",
                "role",
                "status",
                "company_id",
                "company__language",
                "company__case_visibility",
            )
            .filter(user_id=user.pk)
            .first()
        )

    selectors.active_membership_for = membership  # type: ignore[attr-defined]

    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        if not args.jit:
            cursor.execute("SET jit = off")
        if not args.parallel:
            cursor.execute("SET max_parallel_workers_per_gather = 0")

    vocabulary = vocabulary_words()

    def rare_word(company: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT problem_summary FROM cases_case WHERE company_id = %s AND starts_with(reply_token, 'bench')"
                " ORDER BY created_at DESC LIMIT 1",
                [company],
            )
            (summary,) = cursor.fetchone()
        return next(word for word in re.findall(r"\w+", summary) if word not in vocabulary)

    def dsu(company: int) -> User:
        user = User.objects.only("id", "username", "is_staff").filter(
            membership__company_id=company, membership__role="dsu"
        )[0]
        return user

    analyst = User.objects.only("id", "username", "is_staff").get(username="analyst")
    largest, typical, typical_fr = dsu(5), dsu(911), dsu(870)
    classes: list[tuple[str, User, str]] = [
        ("staff rare", analyst, "labevila"),
        ("staff common", analyst, "invoice"),
        ("staff medium", analyst, "batch"),
        ("customer largest rare", largest, rare_word(5)),
        ("customer largest common", largest, "invoice"),
        ("customer largest medium", largest, "batch"),
        ("customer typical(en) rare", typical, rare_word(911)),
        ("customer typical(en) common", typical, "invoice"),
        ("customer typical(en) medium", typical, "batch"),
        ("customer typical(fr) rare", typical_fr, rare_word(870)),
        ("customer typical(fr) medium", typical_fr, "imprimante"),
    ]
    out: dict[str, Any] = {}
    for label, user, word in classes:
        if args.labels and not any(part in label for part in args.labels):
            continue
        statement = selectors.case_search_statement(
            user=user, query=word, scope=PartnerScope.ESTABLISHMENT, offset=0, limit=25
        )
        assert statement is not None
        sql, params = statement
        times, plan = [], []
        for _ in range(args.runs):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            found = re.search(r"Execution Time: ([\d.]+)", plan[-1])
            assert found is not None
            times.append(float(found.group(1)))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            total, capped = cursor.fetchall()[0][:2]
        buffers = next((line.strip() for line in plan if "Buffers" in line), "")
        print(
            f"{label:28} {word:11} count={total:>4} capped={capped!s:5} ms: "
            + " ".join(f"{t:.1f}" for t in times)
            + f" | median {statistics.median(times):.1f} | {buffers}",
            flush=True,
        )
        if args.plans:
            print("\n".join(plan))
        out[label] = {"word": word, "times_ms": times, "plan": plan}
    Path(args.output).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
