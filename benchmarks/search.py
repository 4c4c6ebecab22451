"""Case search at scale: 1,000,000 cases in three languages, searched over HTTP by customers and staff.

Run by hand from the repository root (the database is dropped and created again; its name must
contain "bench"; ~6 GB of disk at full size):

    .venv/bin/python benchmarks/search.py --database-url postgres://postgres@127.0.0.1:54330/casedesk_search_bench
    .venv/bin/python benchmarks/search.py --database-url ... --cases 20000 --companies 60 --requests 80   # quick
    .venv/bin/python benchmarks/search.py --database-url ... --reuse      # measure again, same data

What one run does:

1. Drops and creates the database, ``manage.py migrate``, ``manage.py demo_load --no-cases`` (the
   environment of ``benchmarks/load.py``), then seeds in SQL, reproducibly (``setseed(--seed)``):
   ``--companies`` companies (English, French, Spanish in turn), three users each, and ``--cases``
   cases whose company is drawn with a skew (``random()^2``: the largest company holds ~2 % of all
   cases, the median a few hundred), created over three years in id order, each with a subject,
   the description fields and 3–7 comments (~20 % internal notes by an analyst, ~15 % of the public
   ones e-mail replies). Text is drawn from a ~120-word support vocabulary per language with a
   Zipf-like skew (``random()^2``: the first words are in most texts, the last in ~2 %), plus one
   pseudo-word of four syllables (331,776 of them) in each problem summary and in a third of the
   comments: those are the rare words (a handful of texts each). Triggers are off while seeding;
   the search entries are then written by the same SQL functions the triggers call, in batches, and
   the search indexes built afterwards (timed), then ``VACUUM ANALYZE``.
2. Sizes: the tables and each search index (``pg_relation_size``).
3. Write cost (unless ``--no-write-cost``): one comment insert per transaction (the API's path writes a comment in its own
   transaction too) with the search triggers on and off, on a case with 5 comments and on one with
   300, interleaved in blocks so that the machine's load falls on both alike.
4. Search over HTTP: gunicorn (``--workers`` sync workers, 2 by default; the production image runs
   3) and 8 client threads, closed loop, per class of query: a customer of the largest company and customers of typical ones (company-scoped), and
   staff (every company, every language), each with common words (among the ten most frequent of
   the vocabulary), medium ones and rare ones, on ``GET /api/v1/cases/search/?q=`` (first page, 25);
   then the same with one client thread (a third as many requests: each request's own time, no
   queueing behind the others); then the list's ``?search=`` for every class (a third as many). Per class: p50/p95/p99 ms, cases matched
   (``count``; a lower bound when ``count_exact`` is false) and shown, SQL per request, the load
   average. Then EXPLAIN (ANALYZE, BUFFERS) of one search statement per class.

Results go to ``--output`` (``benchmarks/results/search.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from common import recreate_database
from load import (
    ROOT,
    Client,
    Phase,
    Sample,
    Server,
    git_head,
    machine_lines,
    manage,
    percentile,
    run_phase,
    server_env,
    server_settings,
)

VOCABULARY = {
    "en": """invoice payment ledger report account bank error export import journal posting
        vendor customer reconciliation approval workflow user password login screen button field
        amount currency tax period close budget entry balance statement file upload download
        printer print template email notification schedule batch job failed timeout slow missing
        duplicate wrong total rounding transaction purchase order receipt expense employee payroll
        project dimension location department entity consolidation allocation dashboard filter
        column record update delete create save cancel approve reject submit review access
        permission role setting configuration integration connector sync synchronisation browser
        session cache release version sandbox production upgrade migration data format date
        number line item quantity price discount credit debit refund check deposit transfer
        statement reversal adjustment fiscal year quarter month audit trail history attachment
        signature license subscription renewal contract""",
    "fr": """facture paiement grand livre rapport compte banque erreur export import journal
        écriture fournisseur client rapprochement approbation flux utilisateur mot passe connexion
        écran bouton champ montant devise taxe période clôture budget saisie solde relevé fichier
        téléversement téléchargement imprimante impression modèle courriel notification planning
        lot tâche échec délai lenteur manquant doublon incorrect arrondi transaction commande
        achat reçu dépense salarié paie projet dimension site service entité consolidation
        répartition tableau filtre colonne enregistrement mise jour suppression création
        sauvegarde annulation validation rejet soumission révision accès droit rôle paramètre
        configuration intégration connecteur synchronisation navigateur session version bac sable
        production migration données format date numéro ligne article quantité prix remise avoir
        débit remboursement chèque dépôt virement extourne ajustement exercice trimestre mois
        audit historique pièce jointe signature licence abonnement renouvellement contrat relance""",
    "es": """factura pago libro mayor informe cuenta banco error exportación importación diario
        asiento proveedor cliente conciliación aprobación flujo usuario contraseña acceso pantalla
        botón campo importe moneda impuesto periodo cierre presupuesto entrada saldo extracto
        archivo carga descarga impresora impresión plantilla correo notificación programación lote
        tarea fallo tiempo lentitud falta duplicado incorrecto redondeo transacción pedido compra
        recibo gasto empleado nómina proyecto dimensión ubicación departamento entidad
        consolidación asignación panel filtro columna registro actualización eliminación creación
        guardado cancelación validación rechazo envío revisión permiso rol parámetro configuración
        integración conector sincronización navegador sesión versión prueba producción migración
        datos formato fecha número línea artículo cantidad precio descuento abono débito reembolso
        cheque depósito transferencia reversión ajuste ejercicio trimestre mes auditoría historial
        adjunto firma licencia suscripción renovación contrato""",
}
SYLLABLES = [
    "ka",
    "ro",
    "li",
    "me",
    "sta",
    "vu",
    "no",
    "pe",
    "tri",
    "zo",
    "fa",
    "gu",
    "be",
    "la",
    "xi",
    "mo",
    "du",
    "re",
    "sa",
    "ti",
    "ne",
    "po",
    "cu",
    "vi",
]
FIRST_NAMES = {
    "en": ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Karen", "Thomas", "Nancy"],
    "fr": ["Camille", "Louis", "Chloé", "Hugo", "Manon", "Lucas", "Léa", "Jules", "Inès", "Arthur"],
    "es": ["Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Pablo", "Valeria", "Álvaro", "Carmen", "Diego"],
}
LAST_NAMES = {
    "en": ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker"],
    "fr": [
        "Martin",
        "Bernard",
        "Dubois",
        "Durand",
        "Lefèvre",
        "Moreau",
        "Laurent",
        "Simon",
        "Michel",
        "Garnier",
    ],
    "es": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Ruiz",
    ],
}
LANGUAGES = ("en", "fr", "es")

SEED_SQL = """
CREATE TEMP TABLE bench_vocab (lang int PRIMARY KEY, words text[] NOT NULL);
CREATE TEMP TABLE bench_syllables (s text[] NOT NULL);

-- n words of language lang (1-based: en, fr, es), skewed towards the first ones; with probability
-- rare, one pseudo-word of four syllables among them.
CREATE FUNCTION pg_temp.bench_text(lang int, n int, rare float8) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(w, ' ') FROM (
        SELECT v.words[1 + floor(cardinality(v.words) * random() ^ 2)::int] AS w
        FROM bench_vocab v, generate_series(1, n) WHERE v.lang = $1
        UNION ALL
        SELECT s.s[1 + floor(24 * random())::int] || s.s[1 + floor(24 * random())::int]
               || s.s[1 + floor(24 * random())::int] || s.s[1 + floor(24 * random())::int]
        FROM bench_syllables s WHERE random() < $3
    ) words
$$;
"""


def vocabulary_rows() -> list[tuple[int, list[str]]]:
    return [(index + 1, VOCABULARY[lang].split()) for index, lang in enumerate(LANGUAGES)]


# --------------------------------------------------------------------------- seeding


def seed(database_url: str, *, cases: int, companies: int, seed_value: int, log: list[str]) -> None:
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no triggers while seeding
        conn.execute("SELECT setseed(%s)", [(seed_value % 1000) / 1000])
        conn.execute(SEED_SQL)
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_vocab VALUES (%s, %s)", vocabulary_rows())
            cursor.execute("INSERT INTO bench_syllables VALUES (%s)", [SYLLABLES])
        template = conn.execute("SELECT id FROM accounts_company ORDER BY id LIMIT 1").fetchone()[0]
        first_company = conn.execute(
            """
            INSERT INTO accounts_company
                (name, country, time_zone, language, plan_tier, case_visibility, is_active)
            SELECT 'Bench company ' || g, (ARRAY['US','FR','ES'])[1 + g %% 3],
                   (ARRAY['America/New_York','Europe/Paris','Europe/Madrid'])[1 + g %% 3],
                   (ARRAY['en','fr','es'])[1 + g %% 3], 'gold', 'company', true
            FROM generate_series(0, %s - 1) g
            RETURNING id
            """,
            [companies],
        ).fetchall()[0][0]
        log.append(f"companies from id {first_company} (template {template})")
        product = conn.execute("SELECT id FROM accounts_product ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute(
            """
            INSERT INTO accounts_productinstance (environment, name, company_id, product_id)
            SELECT 'production', 'Production', id, %s FROM accounts_company WHERE id >= %s
            """,
            [product, first_company],
        )
        # Three users per company with names in its language; the first is a DSU.
        for lang in LANGUAGES:
            conn.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                    is_staff, is_active, date_joined, email, language)
                SELECT '!', false, 'bench.' || c.id || '.' || k,
                       (%(first)s::text[])[1 + floor(10 * random())::int],
                       (%(last)s::text[])[1 + floor(10 * random())::int],
                       false, true, now(), 'bench.' || c.id || '.' || k || '@example.com', ''
                FROM accounts_company c, generate_series(1, 3) k
                WHERE c.id >= %(first_company)s AND c.language = %(lang)s
                """,
                {
                    "first": FIRST_NAMES[lang],
                    "last": LAST_NAMES[lang],
                    "first_company": first_company,
                    "lang": lang,
                },
            )
        conn.execute(
            """
            INSERT INTO accounts_membership (role, status, created_at, company_id, user_id)
            SELECT CASE WHEN split_part(u.username, '.', 3) = '1' THEN 'dsu' ELSE 'member' END,
                   'active', now(), split_part(u.username, '.', 2)::bigint, u.id
            FROM accounts_user u WHERE starts_with(u.username, 'bench.')
            """
        )
        conn.execute(
            f"""
            CREATE TEMP TABLE bench_company AS
            SELECT row_number() OVER (ORDER BY c.id) AS idx, c.id, array_position(ARRAY['en','fr','es'], c.language) AS lang,
                   (SELECT array_agg(u.id ORDER BY u.id) FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
                    WHERE m.company_id = c.id) AS users,
                   (SELECT p.id FROM accounts_productinstance p WHERE p.company_id = c.id) AS instance
            FROM accounts_company c WHERE c.id >= {int(first_company)};
            CREATE UNIQUE INDEX ON bench_company (idx);
            """
        )
        reason, area = conn.execute(
            "SELECT (SELECT min(id) FROM cases_casereason), (SELECT min(id) FROM cases_applicationarea)"
        ).fetchone()
        analyst = conn.execute("SELECT id FROM accounts_user WHERE username = 'analyst'").fetchone()[0]
        done = 0
        batch = 50_000
        while done < cases:
            n = min(batch, cases - done)
            conn.execute(
                """
                WITH picks AS (
                    SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) AS id, g,
                           1 + floor(%(companies)s * random() ^ 2)::int AS idx
                    FROM generate_series(%(from)s::bigint, %(to)s::bigint) g
                ), rows AS (
                    SELECT p.id, p.g, c.id AS company_id, c.lang, c.users, c.instance,
                           timestamptz '2023-01-01' + (p.g::float8 / %(cases)s) * interval '1095 days' AS at
                    FROM picks p JOIN bench_company c ON c.idx = p.idx
                )
                INSERT INTO cases_case (id, number, subject, problem_summary, error_message, users_affected,
                    replication_steps, expected_result, worked_before, troubleshooting_tried,
                    business_impact_scope, business_impact, priority, priority_overridden, status,
                    status_changed_at, escalation_level, resolution, reply_token, created_at, updated_at,
                    application_area_id, company_id, opened_by_id, product_instance_id, reason_id,
                    routing_pending, closed_at)
                SELECT r.id, 'CS-' || lpad(r.id::text, greatest(6, length(r.id::text)), '0'),
                       left(pg_temp.bench_text(r.lang, 4 + (r.g %% 5)::int, 0), 200),
                       pg_temp.bench_text(r.lang, 20 + (r.g %% 20)::int, 1),
                       pg_temp.bench_text(r.lang, 3 + (r.g %% 6)::int, 0),
                       pg_temp.bench_text(r.lang, 3 + (r.g %% 3)::int, 0),
                       pg_temp.bench_text(r.lang, 8 + (r.g %% 10)::int, 0),
                       pg_temp.bench_text(r.lang, 5 + (r.g %% 5)::int, 0),
                       '', pg_temp.bench_text(r.lang, 4 + (r.g %% 8)::int, 0),
                       'group', 'medium', (ARRAY['P1','P2','P3'])[1 + (r.g %% 3)::int], false,
                       CASE WHEN r.g < %(cases)s * 0.95 THEN 'closed' ELSE 'in_progress' END,
                       r.at, 0, '', 'bench' || r.id, r.at, r.at, %(area)s, r.company_id,
                       r.users[1 + (r.g %% 3)::int], r.instance, %(reason)s, false,
                       CASE WHEN r.g < %(cases)s * 0.95 THEN r.at + interval '5 days' END
                FROM rows r
                """,
                {
                    "companies": companies,
                    "from": done,
                    "to": done + n - 1,
                    "cases": cases,
                    "area": area,
                    "reason": reason,
                },
            )
            done += n
            print(f"  cases {done:,}/{cases:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))"
        )
        low, high = conn.execute(
            "SELECT min(id), max(id) FROM cases_case WHERE starts_with(reply_token, 'bench')"
        ).fetchone()
        for start in range(low, high + 1, batch):
            conn.execute(
                """
                INSERT INTO cases_comment (body, is_internal, is_escalation_request, source, created_at,
                    author_id, case_id)
                SELECT pg_temp.bench_text(b.lang, 8 + ((c.id + k) %% 25)::int, 0.33),
                       (c.id + k) %% 5 = 0, false,
                       CASE WHEN (c.id + k) %% 5 <> 0 AND (c.id + 3 * k) %% 7 = 1 THEN 'email' ELSE 'api' END,
                       c.created_at + k * interval '3 hours',
                       CASE WHEN (c.id + k) %% 5 = 0 THEN %(analyst)s ELSE c.opened_by_id END, c.id
                FROM cases_case c JOIN bench_company b ON b.id = c.company_id
                CROSS JOIN LATERAL generate_series(1, 3 + (c.id %% 5)::int) k
                WHERE c.id BETWEEN %(start)s AND %(end)s
                """,
                {"analyst": analyst, "start": start, "end": min(high, start + batch - 1)},
            )
            print(
                f"  comments for cases up to {min(high, start + batch - 1):,} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    log.append(f"seeded cases and comments in {time.perf_counter() - started:.0f} s")


SEARCH_INDEXES = (
    "search_public_document",
    "search_internal_document",
    "search_label_trigram",
    "search_public_recent",
    "search_public_time",
    "search_internal_time",
    "search_case",
)


def build_entries(database_url: str, log: list[str]) -> None:
    """Write the search entries with the triggers' own SQL functions, in batches, with the search
    indexes dropped, then build the indexes (each timed)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        definitions = dict(
            conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_casesearchentry'"
                " AND indexname = ANY(%s)",
                [list(SEARCH_INDEXES)],
            ).fetchall()
        )
        for name in definitions:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("TRUNCATE cases_casesearchentry")
        started = time.perf_counter()
        low, high = conn.execute("SELECT min(id), max(id) FROM cases_case").fetchone()
        for start in range(low, high + 1, 50_000):
            conn.execute(
                "SELECT casedesk_case_search_refresh(ARRAY(SELECT id FROM cases_case WHERE id BETWEEN %s AND %s))",
                [start, start + 49_999],
            )
        log.append(f"case entries written in {time.perf_counter() - started:.0f} s")
        print(log[-1], flush=True)
        started = time.perf_counter()
        low, high = conn.execute("SELECT min(id), max(id) FROM cases_comment").fetchone()
        for start in range(low, high + 1, 200_000):
            conn.execute(
                "SELECT casedesk_comment_search_refresh(ARRAY(SELECT id FROM cases_comment WHERE id BETWEEN %s AND %s))",
                [start, start + 199_999],
            )
        log.append(f"comment entries written in {time.perf_counter() - started:.0f} s")
        print(log[-1], flush=True)
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name in SEARCH_INDEXES:
            if name not in definitions:
                continue
            started = time.perf_counter()
            conn.execute(definitions[name])
            log.append(f"index {name} built in {time.perf_counter() - started:.0f} s")
            print(log[-1], flush=True)
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        log.append(f"VACUUM ANALYZE + CHECKPOINT in {time.perf_counter() - started:.0f} s")


def sizes(database_url: str) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = conn.execute(
            """
            SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid), pg_indexes_size(c.oid),
                   pg_total_relation_size(c.oid)
            FROM pg_class c WHERE c.relname IN ('cases_case', 'cases_comment', 'cases_casesearchentry')
            ORDER BY c.relname
            """
        ).fetchall()
        indexes = conn.execute(
            """
            SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = 'cases_casesearchentry' ORDER BY 2 DESC
            """
        ).fetchall()
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    mb = 1024 * 1024
    lines = [
        "| table | rows (estimate) | heap MB | indexes MB | total MB (with TOAST) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{n}` | {r:,} | {h / mb:,.0f} | {i / mb:,.0f} | {t / mb:,.0f} |" for n, r, h, i, t in tables
    ]
    lines += ["", "| index on `cases_casesearchentry` | MB |", "| --- | ---: |"]
    lines += [f"| `{n}` | {s / mb:,.0f} |" for n, s in indexes]
    lines += ["", f"Database: {database / mb:,.0f} MB."]
    return lines


# --------------------------------------------------------------------------- write cost


def write_cost(database_url: str, rounds: int) -> list[str]:
    """Comment inserts, one per transaction, with the search triggers on and off."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        small, author = conn.execute(
            "SELECT c.id, c.opened_by_id FROM cases_case c WHERE starts_with(reply_token, 'bench') ORDER BY c.id DESC LIMIT 1"
        ).fetchone()
        big = conn.execute(
            "SELECT c.id FROM cases_case c WHERE starts_with(reply_token, 'bench') ORDER BY c.id DESC OFFSET 1 LIMIT 1"
        ).fetchone()[0]
        conn.execute(
            """
            INSERT INTO cases_comment (body, is_internal, is_escalation_request, source, created_at, author_id, case_id)
            SELECT 'Earlier comment ' || g || ': the payment file was rejected again by the bank after the upload',
                   false, false, 'api', now(), %s, %s FROM generate_series(1, 300) g
            """,
            [author, big],
        )
        trigger = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_comment_search_insert%%'"
        ).fetchone()[0]
        body = (
            "The supplier payment run failed again this morning with the same bank file error; "
            "we re-uploaded the file and the reconciliation report still shows the duplicate invoice."
        )
        timings: dict[tuple[str, str], list[float]] = {}

        def insert(case: int) -> float:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO cases_comment (body, is_internal, is_escalation_request, source,"
                    " created_at, author_id, case_id) VALUES (%s, false, false, 'api', now(), %s, %s)",
                    [body, author, case],
                )
            return (time.perf_counter() - started) * 1000

        for _ in range(rounds):
            for state in ("on", "off"):
                conn.execute(
                    f"ALTER TABLE cases_comment {'ENABLE' if state == 'on' else 'DISABLE'} TRIGGER {trigger}"
                )
                # Not counted: the first inserts after ALTER TABLE plan their statements again.
                for _ in range(5):
                    insert(small)
                    insert(big)
                for label, case in (("5 comments", small), ("300 comments", big)):
                    for _ in range(25):
                        timings.setdefault((label, state), []).append(insert(case))
        conn.execute(f"ALTER TABLE cases_comment ENABLE TRIGGER {trigger}")
    lines = [
        "| case | search trigger | inserts | mean ms | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for (label, state), values in sorted(timings.items()):
        lines.append(
            f"| {label} | {state} | {len(values)} | {statistics.fmean(values):.2f} | "
            f"{percentile(values, 0.5):.2f} | {percentile(values, 0.99):.2f} |"
        )
    return lines


# --------------------------------------------------------------------------- queries


PICK_SCRIPT = """
import json
from django.db import connection
from accounts.models import User
from accounts.services import api_token_create
out = {"tokens": {}, "rare": {}, "users": {}}
with connection.cursor() as cursor:
    cursor.execute('''SELECT company_id, count(*) FROM cases_case WHERE starts_with(reply_token, 'bench')
                      GROUP BY 1 ORDER BY 2 DESC''')
    counts = cursor.fetchall()
largest = counts[0]
typical = [counts[len(counts) // 2 + i] for i in range(-5, 5)]
for company, n in [largest, *typical]:
    user = User.objects.filter(membership__company_id=company, membership__role="dsu").first()
    out["users"][user.username] = {"company": company, "cases": n, "language": user.membership.company.language}
for username in [*out["users"], "analyst"]:
    _, secret = api_token_create(user=User.objects.get(username=username))
    out["tokens"][username] = secret
# Rare words: the pseudo-word of random problem summaries (a handful of texts each).
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT c.company_id, (regexp_match(c.problem_summary, '\\\\m((?:%(syl)s){4})\\\\M'))[1] FROM cases_case c "
        "WHERE starts_with(c.reply_token, 'bench') AND c.company_id = ANY(%%s) ORDER BY random() LIMIT 400",
        [[u["company"] for u in out["users"].values()]],
    )
    for company, word in cursor.fetchall():
        if word:
            out["rare"].setdefault(str(company), []).append(word)
    cursor.execute(
        "SELECT (regexp_match(problem_summary, '\\\\m((?:%(syl)s){4})\\\\M'))[1] FROM cases_case "
        "WHERE starts_with(reply_token, 'bench') ORDER BY random() LIMIT 100"
    )
    out["rare"]["staff"] = [row[0] for row in cursor.fetchall() if row[0]]
print("JSON=" + json.dumps(out))
"""

EXPLAIN_SCRIPT = """
import json
from django.db import connection
from accounts.models import User
from accounts.selectors import PartnerScope
from cases.search.selectors import case_search_statement
out = {}
with connection.cursor() as cursor:  # as case_search_for_user runs its statement
    cursor.execute("SET jit = off")
    cursor.execute("SET max_parallel_workers_per_gather = 0")
for label, username, word in %(cases)s:
    sql, params = case_search_statement(user=User.objects.get(username=username), query=word,
                                        scope=PartnerScope.ESTABLISHMENT, offset=0, limit=25)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
        entries = None
        if username == "analyst":
            cursor.execute("SELECT count(*) FROM cases_casesearchentry e WHERE "
                           "(e.language = 'en' AND e.document @@ websearch_to_tsquery('casedesk_en', %%(q)s))"
                           " OR (e.language = 'fr' AND e.document @@ websearch_to_tsquery('casedesk_fr', %%(q)s))"
                           " OR (e.language = 'es' AND e.document @@ websearch_to_tsquery('casedesk_es', %%(q)s))",
                           {"q": word})
            entries = cursor.fetchone()[0]
    out[label] = {"word": word, "plan": plan, "matching_texts": entries}
print("JSON=" + json.dumps(out))
"""


@dataclass
class QueryClass:
    label: str
    username: str
    words: list[str]


def word_classes(picked: dict[str, Any]) -> list[QueryClass]:
    """Common: among the 10 most frequent vocabulary words; medium: ranks 40–60; rare: pseudo-words
    that are in the searcher's own cases (so a result exists)."""
    vocab = {lang: VOCABULARY[lang].split() for lang in LANGUAGES}
    users = picked["users"]
    largest = max(users, key=lambda u: users[u]["cases"])
    typical = [u for u in users if u != largest]
    classes = []
    for kind, pick in (("common", slice(0, 10)), ("medium", slice(40, 60))):
        classes.append(
            QueryClass(f"customer, largest company, {kind}", largest, vocab[users[largest]["language"]][pick])
        )
        classes.append(
            QueryClass(
                f"customer, typical companies, {kind}",
                "*typical",
                [f"{u}|{w}" for u in typical for w in vocab[users[u]["language"]][pick]],
            )
        )
        classes.append(
            QueryClass(f"staff, {kind}", "analyst", [w for lang in LANGUAGES for w in vocab[lang][pick]])
        )
    rare = picked["rare"]
    classes.append(
        QueryClass("customer, largest company, rare", largest, rare[str(users[largest]["company"])])
    )
    classes.append(
        QueryClass(
            "customer, typical companies, rare",
            "*typical",
            [f"{u}|{w}" for u in typical for w in rare.get(str(users[u]["company"]), [])],
        )
    )
    classes.append(QueryClass("staff, rare", "analyst", rare["staff"]))
    order = ["common", "medium", "rare"]
    return sorted(classes, key=lambda c: (order.index(c.label.rsplit(", ", 1)[1]), c.label))


def search_phase(
    client: Client,
    tokens: dict[str, str],
    query_class: QueryClass,
    path: str,
    n: int,
    threads: int,
    rng: random.Random,
) -> tuple[Phase, list[dict[str, Any]]]:
    outcomes: list[dict[str, Any]] = []

    def job(username: str, word: str) -> list[Sample]:
        sample = client.call("GET", path.format(q=quote(word)), tokens[username])
        if sample.status == 200:
            data = json.loads(sample.body)
            outcomes.append(
                {
                    "count": data.get("count"),
                    "exact": data.get("count_exact", True),
                    "shown": len(data["results"]),
                }
            )
        sample.body = sample.body[:300]
        return [sample]

    jobs = []
    for _ in range(n):
        choice = rng.choice(query_class.words)
        username, word = choice.split("|", 1) if "|" in choice else (query_class.username, choice)
        jobs.append(lambda u=username, w=word: job(u, w))
    load_before = os.getloadavg()[0]
    phase = run_phase(query_class.label, jobs, threads, time_limit=600)
    phase.note = f"load {load_before:.1f}→{os.getloadavg()[0]:.1f}"
    return phase, outcomes


def phase_row(phase: Phase, outcomes: list[dict[str, Any]]) -> str:
    ok = [s.ms for s in phase.samples if 200 <= s.status < 300]
    queries = [s.queries for s in phase.samples if s.queries is not None]
    counts = [o["count"] for o in outcomes if o["count"] is not None]
    capped = sum(1 for o in outcomes if not o["exact"])
    shown = [o["shown"] for o in outcomes]
    matched = (
        f"{statistics.fmean(counts):,.0f} (max {max(counts):,}; {capped} capped)"
        if counts
        else "— (the list does not count)"
    )
    return (
        f"| {phase.name} | {len(phase.samples)} | {len(phase.samples) / phase.seconds:.1f} | "
        f"{percentile(ok, 0.5):.1f} | {percentile(ok, 0.95):.1f} | **{percentile(ok, 0.99):.1f}** | "
        f"{matched} | {statistics.fmean(shown) if shown else 0:.1f} | "
        f"{statistics.fmean(queries) if queries else float('nan'):.1f} | {len(phase.errors)} | {phase.note} |"
    )


PHASE_HEAD = [
    "| class | requests | req/s | p50 ms | p95 ms | p99 ms | cases matched: mean (max; answers with count_exact false) | shown | SQL/req | errors | load avg (1 min) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:63813", help="broker db 5, results 6, cache 7"
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep the database as the last run left it")
    parser.add_argument("--requests", type=int, default=300, help="per class of query")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn sync workers (the production image's Dockerfile runs 3)",
    )
    parser.add_argument("--write-rounds", type=int, default=8)
    parser.add_argument(
        "--phases",
        default="search,single,list",
        help="which HTTP phases: search (8 threads), single (one thread), list (?search=)",
    )
    parser.add_argument(
        "--no-write-cost",
        action="store_true",
        help="skip the comment insert benchmark (it adds comments: the newest texts a search walks first)",
    )
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "search.md"))
    args = parser.parse_args()

    run_dir = ROOT / "var" / "bench-search"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url, run_dir)
    env.update(
        CELERY_BROKER_URL=f"{args.redis_url}/5",
        CELERY_RESULT_BACKEND=f"{args.redis_url}/6",
        CACHE_URL=f"{args.redis_url}/7",
    )
    log: list[str] = []
    command = " ".join(["benchmarks/search.py", *sys.argv[1:]])
    started_at = datetime.now(UTC)
    if not args.reuse:
        recreate_database(args.database_url)
        manage(env, "migrate", "--noinput", timeout=900)
        manage(env, "demo_load", "--no-cases", timeout=900)
        seed(args.database_url, cases=args.cases, companies=args.companies, seed_value=args.seed, log=log)
        build_entries(args.database_url, log)
    size_lines = sizes(args.database_url)
    print("\n".join(size_lines), flush=True)
    load_at_start = os.getloadavg()
    print(f"load average at the start: {load_at_start}", flush=True)
    write_lines = [] if args.no_write_cost else write_cost(args.database_url, args.write_rounds)
    print("\n".join(write_lines), flush=True)

    out = manage(env, "shell", "-c", PICK_SCRIPT % {"syl": "|".join(SYLLABLES)}, timeout=600)
    picked = json.loads(out.split("JSON=", 1)[1])
    tokens = picked["tokens"]
    classes = word_classes(picked)
    rng = random.Random(args.seed)
    server = Server(env, workers=args.workers, log=run_dir / "gunicorn.log")
    rows: list[str] = []
    single_rows: list[str] = []
    list_rows: list[str] = []
    try:
        server.wait_ready()
        client = Client(server.port)
        # Warm-up: every worker compiles and caches; the operating system's cache holds the indexes.
        for query_class in classes:
            search_phase(client, tokens, query_class, "/api/v1/cases/search/?q={q}", 16, args.threads, rng)
        phases = set(args.phases.split(","))
        for query_class in classes if "search" in phases else []:
            phase, outcomes = search_phase(
                client, tokens, query_class, "/api/v1/cases/search/?q={q}", args.requests, args.threads, rng
            )
            rows.append(phase_row(phase, outcomes))
            print(rows[-1], flush=True)
        # One client thread: each request's own time, without queueing behind the other seven.
        for query_class in classes if "single" in phases else []:
            phase, outcomes = search_phase(
                client, tokens, query_class, "/api/v1/cases/search/?q={q}", args.requests // 3, 1, rng
            )
            single_rows.append(phase_row(phase, outcomes))
            print(single_rows[-1], flush=True)
        for query_class in classes if "list" in phases else []:
            phase, outcomes = search_phase(
                client,
                tokens,
                query_class,
                "/api/v1/cases/?search={q}",
                args.requests // 3,
                args.threads,
                rng,
            )
            list_rows.append(phase_row(phase, outcomes))
            print(list_rows[-1], flush=True)
    finally:
        server.stop()

    examples = []
    for query_class in classes:
        if "typical" in query_class.label:
            continue
        examples.append((query_class.label, query_class.username, query_class.words[0]))
    out = manage(env, "shell", "-c", EXPLAIN_SCRIPT % {"cases": repr(examples)}, timeout=900)
    plans = json.loads(out.split("JSON=", 1)[1])

    report = [
        "# Search benchmark (`benchmarks/search.py`)",
        "",
        f"- Command: `.venv/bin/python {command}`",
        f"- Started {started_at:%Y-%m-%d %H:%M} UTC, finished {datetime.now(UTC):%H:%M} UTC; code at {git_head()}",
        f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in load_at_start)};"
        f" at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}",
        f"- {server_settings(args.database_url)}",
        *machine_lines(),
        f"- Searchers: {json.dumps(picked['users'])} and `analyst` (staff)",
        "",
        "## Seed",
        "",
        *(f"- {line}" for line in log),
        "",
        "## Sizes",
        "",
        *size_lines,
        "",
        "## Comment write cost (one insert per transaction, search trigger on/off, interleaved)",
        "",
        *(write_lines or ["Not measured (`--no-write-cost`)."]),
        "",
        f"## `GET /api/v1/cases/search/?q=` (first page of 25), {args.threads} client threads, gunicorn {args.workers} sync workers",
        "",
        *PHASE_HEAD,
        *rows,
        "",
        "## The same, one client thread (each request's own time: no queueing behind the other seven)",
        "",
        *PHASE_HEAD,
        *single_rows,
        "",
        "## `GET /api/v1/cases/?search=` (the list, first page of 25, newest first), 8 client threads",
        "",
        *PHASE_HEAD,
        *list_rows,
        "",
        "## Plans (EXPLAIN ANALYZE of the search statement, one word per class)",
        "",
    ]
    for label, found in plans.items():
        report += [f"### {label}: `{found['word']}`", ""]
        if found["matching_texts"] is not None:
            report += [f"Texts matching in the whole table: {found['matching_texts']:,}", ""]
        report += ["```", *found["plan"], "```", ""]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(report) + "\n")
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
