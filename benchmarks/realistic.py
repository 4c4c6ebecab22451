"""A realistic workload: 50 companies, 1,000 customer users, 20 analysts, 1,000,000 cases, and a mixed
load of 70 % reads and 30 % writes against gunicorn, measured per operation.

Run by hand from the repository root (the database is created once and kept for later runs; its name
must contain "bench"):

    .venv/bin/python benchmarks/realistic.py                      # seed if needed, then precompiled on and off
    .venv/bin/python benchmarks/realistic.py --quick              # 20,000 cases, 30 s runs: a smoke run
    .venv/bin/python benchmarks/realistic.py --precompiled on --profile --duration 120
    .venv/bin/python benchmarks/realistic.py --reseed             # drop the database and seed it again

**The dataset** (``seed``: deterministic for a ``--seed``; people through the ORM, the rest in SQL
with ``generate_series`` and a hash of the row number as its random source, so the same seed gives
the same rows whatever the machine):

- 50 companies in ten countries (14 in the US, where only DSUs and managers act), three languages,
  every plan tier, a third of them showing members only their own cases; 1 to 3 product instances
  each (Financials production, sometimes a sandbox and Intelligent Time); sizes follow a Zipf law.
- 1,000 customer users spread over them in the same proportions: one manager per company, DSUs
  (at least two in the US), members; 20 analysts (two of them support managers) staffing the three
  queues, all available; active webhooks for ten companies.
- ``--cases`` cases (1,000,000) over three years, newest highest ids; the last 30 days carry the open
  backlog (about 3 % of all cases are not closed), older ones are mostly closed. Each has its
  created event, an assignment and the transitions of its status path, 1 to 3 public comments
  (analyst and customer in turn) with their events, SLA timers as the services write them
  (first response and next update on production instances, ``not_applicable`` elsewhere), followers
  on 2 % of the cases, and sent e-mail outbox rows for the activity of the last 30 days (older ones
  are purged by the retention job in production).

``BENCH_REDIS`` names the Redis server (``benchmarks/common.py``).

**A run** (per ``--precompiled`` mode, each on a fresh gunicorn; ``on``: as in production, ``off``:
``PRECOMPILED_QUERIES=0``): API tokens for every customer user
and analyst, a session for each analyst (``/admin/login/`` with the CSRF token, as a browser does),
gunicorn with ``--workers`` sync workers (``benchmarks/gunicorn_bench.py``: the project's settings,
plus each request's CPU time in the worker and its operation's name on the stack), ``--warmup``
seconds of load then ``--duration`` measured seconds from ``--threads`` closed-loop client threads.
Each request draws its operation by weight, then a user allowed to do it (uniformly over the users
that qualify: every customer user reads), then a case that user may see:

| operation | weight | request |
| --- | ---: | --- |
| list_first | 18 | ``GET /api/v1/cases/?page_size=25`` |
| list_next | 7 | the next page of a list the thread read before (cursor) |
| list_filtered | 12 | a list with a filter: status, priority, search, created_after |
| detail | 23 | ``GET /api/v1/cases/{id}/`` (60 % an open case of the company, 40 % any) |
| events | 10 | ``GET /api/v1/cases/{id}/events/`` |
| create | 8 | ``POST /api/v1/cases/`` by a customer who may act for the company |
| customer_comment | 9 | ``POST /api/v1/cases/{id}/comments/`` on an open case |
| analyst_reply | 8 | the admin's reply form: ``POST /admin/cases/case/{id}/reply/`` (session, CSRF); writes the support-reply e-mail rows and stops the first-response timer |
| transition | 5 | ``start`` (analyst, an open case), ``propose_resolution`` (analyst, in progress), ``confirm_resolution`` (customer, verify resolution), through the API |

Reported per operation: requests, req/s, client p50/p95/p99, the worker's CPU ms per request
(mean, p50, p95: ``X-Bench-Cpu-Us``), SQL statements per request (``X-Query-Count``), errors by
status; per run: worker resident memory (``/proc``, sampled), PostgreSQL backend CPU per request,
the compiled-query hits and misses (``/metrics``), and the load average. ``--profile`` records the
workers with py-spy (``.venv/bin/py-spy``, not a project dependency: ``uv pip install py-spy``)
during the measured window, writes a speedscope file and the top frames per operation by own and
total time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import load  # noqa: E402  (benchmarks/load.py: environment, gunicorn, percentiles, machine lines)
from common import recreate_database  # noqa: E402

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:54330/casedesk_bench_realistic"
ANALYST_PASSWORD = "realistic-bench-analyst"  # a throwaway database's logins
SEED_VERSION = 1  # bump when the dataset changes: a kept database of another version is seeded again

WEIGHTS = {
    "list_first": 18,
    "list_next": 7,
    "list_filtered": 12,
    "detail": 23,
    "events": 10,
    "create": 8,
    "customer_comment": 9,
    "analyst_reply": 8,
    "transition": 5,
}
READS = ("list_first", "list_next", "list_filtered", "detail", "events")
WRITES = ("create", "customer_comment", "analyst_reply", "transition")

# (country, language, time zones, companies of the 50)
COUNTRIES = (
    ("US", "en", ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"), 14),
    ("GB", "en", ("Europe/London",), 6),
    ("FR", "fr", ("Europe/Paris",), 8),
    ("ES", "es", ("Europe/Madrid",), 5),
    ("DE", "en", ("Europe/Berlin",), 4),
    ("CA", "en", ("America/Toronto", "America/Vancouver"), 4),
    ("MX", "es", ("America/Mexico_City",), 3),
    ("AU", "en", ("Australia/Sydney",), 3),
    ("IE", "en", ("Europe/Dublin",), 2),
    ("BE", "fr", ("Europe/Brussels",), 1),
)
TIERS = ("essential", "sp_essentials", "bronze", "silver", "sp_premium", "gold", "platinum", "sp_vip")
SUBJECTS = (
    "Journal posting times out",
    "Bank reconciliation does not match",
    "Cannot approve supplier invoice",
    "Timesheet approval stuck",
    "Report export fails with E1234",
    "Login loops back to the start page",
    "Expense report rejects receipts",
    "Payment run slower since the upgrade",
    "Integration API returns 500",
    "Year-end close blocked",
)
SEARCH_WORDS = ("journal", "invoice", "timesheet", "export", "payment", "reconciliation")


# --------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Spec:
    companies: int
    customers: int
    analysts: int
    cases: int
    seed: int

    def as_json(self) -> str:
        return json.dumps({**self.__dict__, "version": SEED_VERSION}, sort_keys=True)


def seeded_spec(database_url: str) -> str | None:
    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SELECT spec FROM bench_realistic_seed").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


def seed(database_url: str, spec: Spec, env: dict[str, str]) -> dict[str, float]:
    """Drop and build the database; answers seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database(database_url)
    load.manage(env, "migrate", "--noinput", "-v0", timeout=900)
    load.manage(env, "bootstrap", "-v0")
    timings["migrate + bootstrap"] = time.perf_counter() - started
    django_setup(env)
    started = time.perf_counter()
    seed_people(spec)
    timings["people (ORM)"] = time.perf_counter() - started
    from django.db import connection

    connection.close()
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name, statements in seed_sql(spec):
            started = time.perf_counter()
            for statement in statements:
                conn.execute(statement)
            timings[name] = time.perf_counter() - started
            print(f"   {name}: {timings[name]:.1f} s", flush=True)
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        timings["VACUUM ANALYZE + CHECKPOINT"] = time.perf_counter() - started
        conn.execute("CREATE TABLE bench_realistic_seed (spec text NOT NULL)")
        conn.execute("INSERT INTO bench_realistic_seed VALUES (%s)", [spec.as_json()])
    return timings


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _zipf_shares(n: int, total: int, exponent: float = 0.8, minimum: int = 4) -> list[int]:
    weights = [1 / (i + 1) ** exponent for i in range(n)]
    scale = sum(weights)
    shares = [max(minimum, round(total * w / scale)) for w in weights]
    while sum(shares) > total:  # trim the largest until the total is exact
        shares[shares.index(max(shares))] -= 1
    while sum(shares) < total:
        shares[shares.index(max(shares))] += 1
    return shares


def seed_people(spec: Spec) -> None:
    """Companies, product instances, customer users with memberships, analysts, queues, webhooks."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from accounts.models import Company, Membership, Product, ProductInstance, User
    from cases.models import AnalystProfile, Queue
    from notifications.models import WebhookEndpoint

    rng = random.Random(spec.seed)
    now = datetime.now(UTC)
    countries = [c for c in COUNTRIES for _ in range(c[3])]
    rng.shuffle(countries)
    sizes = _zipf_shares(spec.companies, spec.customers)
    financials, time_product = Product.objects.get(pk=1), Product.objects.get(pk=2)
    with transaction.atomic():
        companies = Company.objects.bulk_create(
            Company(
                name=f"{country} Bench Company {index + 1:02d}",
                country=country,
                time_zone=rng.choice(zones),
                language=language,
                plan_tier=TIERS[index % len(TIERS)],
                case_visibility="own" if index % 3 == 2 else "company",
            )
            for index, (country, language, zones, _) in enumerate(countries[: spec.companies])
        )
        instances = []
        for company in companies:
            instances.append(ProductInstance(company=company, product=financials, environment="production"))
            if rng.random() < 0.6:
                instances.append(ProductInstance(company=company, product=financials, environment="sandbox"))
            if rng.random() < 0.4:
                instances.append(
                    ProductInstance(company=company, product=time_product, environment="production")
                )
        ProductInstance.objects.bulk_create(instances)
        unusable = make_password(None)
        users, memberships = [], []
        for index, (company, size) in enumerate(zip(companies, sizes, strict=True)):
            dsus = max(2 if company.country == "US" else 1, size // 10)
            for n in range(size):
                role = "manager" if n == 0 else "dsu" if n <= dsus else "member"
                user = User(
                    username=f"c{index + 1:02d}.u{n + 1:03d}",
                    email=f"c{index + 1:02d}.u{n + 1:03d}@company{index + 1:02d}.bench.example",
                    first_name=f"User{n + 1}",
                    last_name=f"Company{index + 1:02d}",
                    password=unusable,
                )
                users.append(user)
                memberships.append((user, company, role))
        User.objects.bulk_create(users)
        Membership.objects.bulk_create(
            Membership(user=user, company=company, role=role, status="active")
            for user, company, role in memberships
        )
        password = make_password(ANALYST_PASSWORD)
        analysts = User.objects.bulk_create(
            User(
                username=f"analyst{n + 1:02d}",
                email=f"analyst{n + 1:02d}@support.bench.example",
                first_name=f"Analyst{n + 1}",
                last_name="Support",
                is_staff=True,
                password=password,
            )
            for n in range(spec.analysts)
        )
        analyst_group = Group.objects.get(name="Support analysts")
        manager_group = Group.objects.get(name="Support managers")
        for n, analyst in enumerate(analysts):
            analyst.groups.add(analyst_group, *([manager_group] if n >= spec.analysts - 2 else []))
        AnalystProfile.objects.bulk_create(
            AnalystProfile(user=a, availability="available", availability_changed_at=now) for a in analysts
        )
        half = spec.analysts // 2
        staffing = {1: analysts[:half] + analysts[-2:], 2: analysts[half : half + 5], 3: analysts[-6:]}
        for queue in Queue.objects.filter(pk__in=staffing):
            queue.analysts.add(*staffing[queue.pk])
        managers = {c.pk: u for u, c, role in memberships if role == "manager"}
        WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(
                company=company,
                url=f"https://hooks.company{index + 1:02d}.bench.example/casedesk",
                event_types=["created", "transition"],
                created_by=managers[company.pk],
                created_at=now,
            )
            for index, company in enumerate(companies)
            if index % 5 == 1
        )


# The random source: a hash of (row number, salt), uniform in [0, 1), the same on every machine.
_RANDOM_FUNCTION = """
CREATE FUNCTION pg_temp.r(g bigint, salt bigint) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended($1, $2) & 9007199254740991)::float8 / 9007199254740992 $$
"""


def seed_sql(spec: Spec) -> list[tuple[str, list[str]]]:
    """The SQL steps after the people exist. Foreign keys are not checked while loading
    (``session_replication_role = replica``): every reference is built from rows that exist."""
    n, s = spec.cases, spec.seed * 1000
    span_days = max(60.0, 3 * 365 * spec.cases / 1_000_000)
    setup = [
        "SET session_replication_role = replica",
        "SET jit = off",  # compiling these wide expressions took 17 s for a statement that runs in 0.3 s
        # Whole-table joins: a nested loop over a million cases without their indexes would never end.
        "SET enable_nestloop = off",
        "SET work_mem = '256MB'",
        "SET maintenance_work_mem = '512MB'",
        _RANDOM_FUNCTION,
        # Per company: who may open cases, its instances, manager, US members (contacts), its cut of cases.
        """
        CREATE TEMP TABLE bc AS
        WITH members AS (
            SELECT m.company_id, m.user_id, m.role FROM accounts_membership m ORDER BY m.user_id
        ), inst AS (
            SELECT i.company_id, array_agg(i.id ORDER BY i.id) AS ids,
                   array_agg(i.environment ORDER BY i.id) AS envs, array_agg(i.product_id ORDER BY i.id) AS products
            FROM accounts_productinstance i GROUP BY i.company_id
        ), sized AS (
            SELECT c.id, c.country, c.plan_tier, count(*) AS people,
                   array_agg(m.user_id ORDER BY m.user_id) FILTER (WHERE c.country <> 'US' OR m.role <> 'member') AS openers,
                   array_agg(m.user_id ORDER BY m.user_id) FILTER (WHERE m.role = 'member') AS plain_members,
                   min(m.user_id) FILTER (WHERE m.role = 'manager') AS manager
            FROM accounts_company c JOIN members m ON m.company_id = c.id GROUP BY c.id
        )
        SELECT s.*, i.ids AS instances, i.envs, i.products,
               CASE s.plan_tier WHEN 'essential' THEN 1 WHEN 'sp_essentials' THEN 1
                    WHEN 'gold' THEN 3 WHEN 'platinum' THEN 3 WHEN 'sp_vip' THEN 3 ELSE 2 END AS band,
               sum(s.people) OVER (ORDER BY s.id) - s.people AS lo, sum(s.people) OVER (ORDER BY s.id) AS hi
        FROM sized s JOIN inst i ON i.company_id = s.id
        """,
        """
        CREATE TEMP TABLE slot AS
        SELECT k, (SELECT id FROM bc WHERE (k + 0.5) * (SELECT sum(people) FROM bc) / 1000 >= lo
                   AND (k + 0.5) * (SELECT sum(people) FROM bc) / 1000 < hi) AS company_id
        FROM generate_series(0, 999) AS k
        """,
        """
        CREATE TEMP TABLE qa AS
        SELECT q.id AS queue_id, array_agg(a.user_id ORDER BY a.user_id) AS analysts
        FROM cases_queue q JOIN cases_queue_analysts a ON a.queue_id = q.id GROUP BY q.id
        """,
        "ANALYZE bc",
        "ANALYZE slot",
        "ANALYZE qa",
    ]
    # The case rows: company by slot, then everything else from hashes of the id.
    cases = f"""
    INSERT INTO cases_case (
        id, number, company_id, product_instance_id, opened_by_id, on_behalf_of_id, subject, problem_summary,
        error_message, occurred_at, users_affected, replication_steps, expected_result, worked_before,
        troubleshooting_tried, reason_id, application_area_id, business_impact_scope, business_impact,
        priority, priority_overridden, status, status_changed_at, assignee_id, queue_id, escalation_level,
        tentative_release_date, resolution, out_of_scope_reason_id, auto_close_at, closed_at, follow_up_of_id,
        last_customer_activity_at, routing_pending, reply_token, created_at, updated_at)
    WITH base AS (
        SELECT g, now() - interval '{span_days} days' * (1 - (g - 1 + pg_temp.r(g, {s} + 1)) / {n}) AS created,
               floor(pg_temp.r(g, {s} + 2) * 1000)::int AS k,
               pg_temp.r(g, {s} + 3) AS r_status, pg_temp.r(g, {s} + 4) AS r_inst, pg_temp.r(g, {s} + 5) AS r_open,
               pg_temp.r(g, {s} + 6) AS r_scope, pg_temp.r(g, {s} + 7) AS r_impact, pg_temp.r(g, {s} + 8) AS r_area,
               pg_temp.r(g, {s} + 9) AS r_assignee, pg_temp.r(g, {s} + 10) AS r_time, pg_temp.r(g, {s} + 11) AS r_misc
        FROM generate_series(1, {n}) AS g
    ), shaped AS (
        SELECT b.*, slot.company_id, bc.country, bc.openers, bc.plain_members,
               1 + floor(b.r_inst * array_length(bc.instances, 1))::int AS i,
               bc.instances, bc.envs, bc.products,
               CASE WHEN b.created > now() - interval '30 days' THEN
                        CASE WHEN b.r_status < 0.20 THEN 'open' WHEN b.r_status < 0.50 THEN 'in_progress'
                             WHEN b.r_status < 0.62 THEN 'pending_customer' WHEN b.r_status < 0.66 THEN 'pending_release'
                             WHEN b.r_status < 0.70 THEN 'pending_engineering' WHEN b.r_status < 0.80 THEN 'verify_resolution'
                             ELSE 'closed' END
                    WHEN b.created > now() - interval '90 days' THEN
                        CASE WHEN b.r_status < 0.03 THEN 'pending_release' WHEN b.r_status < 0.06 THEN 'pending_engineering'
                             WHEN b.r_status < 0.10 THEN 'in_progress' ELSE 'closed' END
                    ELSE CASE WHEN b.r_status < 0.005 THEN 'pending_engineering' ELSE 'closed' END
               END AS status,
               (ARRAY['individual', 'group', 'organisation'])[1 + floor(b.r_scope * 3)::int] AS scope,
               (ARRAY['low', 'medium', 'medium', 'high'])[1 + floor(b.r_impact * 4)::int] AS impact
        FROM base b JOIN slot ON slot.k = b.k JOIN bc ON bc.id = slot.company_id
    ), timed AS (
        SELECT sh.*, sh.envs[sh.i] AS env, sh.products[sh.i] AS product,
               -- when the case last changed status: closed cases within 1-20 days; the rest since
               CASE WHEN sh.status = 'closed' THEN least(sh.created + interval '1 day' * (1 + 19 * sh.r_time), now() - interval '1 minute')
                    WHEN sh.status = 'open' THEN sh.created
                    WHEN sh.status = 'verify_resolution' THEN greatest(sh.created, now() - interval '8 days' * sh.r_time)
                    ELSE sh.created + (now() - sh.created) * sh.r_time END AS changed
        FROM shaped sh
    )
    SELECT t.g, 'CS-' || CASE WHEN t.g < 1000000 THEN lpad(t.g::text, 6, '0') ELSE t.g::text END, t.company_id, t.instances[t.i],
           t.openers[1 + floor(t.r_open * array_length(t.openers, 1))::int],
           CASE WHEN t.country = 'US' AND t.r_misc < 0.3 AND t.plain_members IS NOT NULL
                THEN t.plain_members[1 + floor(t.r_misc / 0.3 * array_length(t.plain_members, 1))::int] END,
           (ARRAY{list(SUBJECTS)!r}::text[])[1 + (t.g % {len(SUBJECTS)})] || ' (' || t.g || ')',
           'Since this morning the operation fails for several users; it worked last week. Case ' || t.g
               || '. Steps, expected and actual results are in the description template fields below.',
           CASE WHEN t.r_misc < 0.5 THEN 'E' || (1000 + t.g % 9000) || ': operation timed out' ELSE '' END,
           t.created - interval '1 hour', CASE WHEN t.r_scope < 0.33 THEN 'One accountant' ELSE 'The finance team' END,
           '1. Open the screen 2. Post the entry', 'Expected the entry to post; got an error.', 'Yes, until last week.',
           'Logged out and in.', 1 + (t.g % 7),
           CASE WHEN t.product = 1 THEN (ARRAY[1, 2, 3, 4, 5, 8, 9])[1 + floor(t.r_area * 7)::int]
                ELSE (ARRAY[6, 7, 8, 9])[1 + floor(t.r_area * 4)::int] END,
           t.scope, t.impact, coalesce(pr.priority, 'P3'), false, t.status, t.changed,
           CASE WHEN t.status <> 'open' THEN qa.analysts[1 + floor(t.r_assignee * array_length(qa.analysts, 1))::int] END,
           qa.queue_id, CASE WHEN t.r_misc > 0.98 THEN 1 ELSE 0 END,
           CASE WHEN t.status = 'pending_release' THEN (now() + interval '20 days')::date END,
           CASE WHEN t.status IN ('verify_resolution', 'closed') THEN 'Applied the patch; the entry posts again.' ELSE '' END,
           NULL, CASE WHEN t.status = 'verify_resolution' THEN t.changed + interval '9 days' END,
           CASE WHEN t.status = 'closed' THEN t.changed END, NULL,
           t.created + (t.changed - t.created) * 0.5, false,
           substr(md5('reply' || t.g || '{spec.seed}'), 1, 24), t.created, t.changed
    FROM timed t
    LEFT JOIN cases_priorityrule pr
        ON pr.environment = t.env AND pr.business_impact_scope = t.scope AND pr.business_impact = t.impact
    JOIN qa ON qa.queue_id = CASE WHEN t.product = 2 THEN 3 WHEN t.country IN ('FR', 'ES') THEN 2 ELSE 1 END
    """
    path = """
    CREATE TEMP TABLE path (status text, step int, type text, transition text, from_status text, to_status text);
    INSERT INTO path VALUES
      ('in_progress', 1, 'transition', 'start', 'open', 'in_progress'),
      ('pending_customer', 1, 'transition', 'start', 'open', 'in_progress'),
      ('pending_customer', 2, 'transition', 'request_customer_action', 'in_progress', 'pending_customer'),
      ('pending_release', 1, 'transition', 'start', 'open', 'in_progress'),
      ('pending_release', 2, 'transition', 'await_release', 'in_progress', 'pending_release'),
      ('pending_engineering', 1, 'transition', 'start', 'open', 'in_progress'),
      ('pending_engineering', 2, 'transition', 'engage_engineering', 'in_progress', 'pending_engineering'),
      ('verify_resolution', 1, 'transition', 'start', 'open', 'in_progress'),
      ('verify_resolution', 2, 'transition', 'propose_resolution', 'in_progress', 'verify_resolution'),
      ('closed', 1, 'transition', 'start', 'open', 'in_progress'),
      ('closed', 2, 'transition', 'propose_resolution', 'in_progress', 'verify_resolution'),
      ('closed', 3, 'transition', 'confirm_resolution', 'verify_resolution', 'closed')
    """
    events_created = f"""
    INSERT INTO cases_caseevent (case_id, type, actor_id, transition, from_status, to_status, note, data, is_internal, created_at)
    SELECT c.id, 'created', c.opened_by_id, '', '', 'open', '',
           jsonb_build_object('priority', c.priority, 'follow_up_of', NULL), false, c.created_at
    FROM cases_case c WHERE c.id <= {n}
    """
    events_assigned = f"""
    INSERT INTO cases_caseevent (case_id, type, actor_id, transition, from_status, to_status, note, data, is_internal, created_at)
    SELECT c.id, 'assigned', NULL, '', '', '', '', jsonb_build_object('assignee', c.assignee_id), true,
           c.created_at + interval '1 minute'
    FROM cases_case c WHERE c.id <= {n} AND c.assignee_id IS NOT NULL
    """
    events_path = f"""
    INSERT INTO cases_caseevent (case_id, type, actor_id, transition, from_status, to_status, note, data, is_internal, created_at)
    SELECT c.id, p.type, CASE WHEN p.transition = 'confirm_resolution' THEN c.opened_by_id ELSE c.assignee_id END,
           p.transition, p.from_status, p.to_status, '', '{{}}'::jsonb, false,
           CASE WHEN p.step = (SELECT max(step) FROM path q WHERE q.status = c.status) THEN c.status_changed_at
                ELSE c.created_at + (c.status_changed_at - c.created_at) * p.step / 4.0 END
    FROM cases_case c JOIN path p ON p.status = c.status WHERE c.id <= {n}
    """
    # 1 to 3 public comments on every case support has answered: the analyst first, then in turn.
    comments = f"""
    INSERT INTO cases_comment (case_id, author_id, body, is_internal, is_escalation_request, source, created_at)
    SELECT c.id, CASE WHEN k % 2 = 1 THEN c.assignee_id ELSE c.opened_by_id END,
           CASE WHEN k % 2 = 1 THEN 'Thank you for the details. Could you try again after clearing the cache? (' || k || ')'
                ELSE 'Still failing this morning, same error. (' || k || ')' END,
           false, false, CASE WHEN k % 2 = 1 THEN 'admin' ELSE 'api' END,
           c.created_at + (c.updated_at - c.created_at) * k / 5.0
    FROM cases_case c CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.r(c.id, {s} + 20) * 3)::int) AS k
    WHERE c.id <= {n} AND c.assignee_id IS NOT NULL
    """
    comment_events = f"""
    INSERT INTO cases_caseevent (case_id, type, actor_id, transition, from_status, to_status, note, data, is_internal, created_at)
    SELECT m.case_id, 'commented', m.author_id, '', '', '', '', jsonb_build_object('comment_id', m.id, 'public', true),
           false, m.created_at
    FROM cases_comment m WHERE m.case_id <= {n}
    """
    # SLA timers as sla_timers_start / sla_public_reply leave them.
    timers = f"""
    INSERT INTO sla_slatimer (case_id, metric, state, target_minutes, calendar_id, policy_id, holidays_version, started_at,
                              due_at, warning_at, warnings_sent, remaining_seconds, warned_at, breached_at, met_at, updated_at)
    SELECT c.id, m.metric, 'not_applicable', NULL, NULL, NULL, '', NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, c.created_at
    FROM cases_case c JOIN accounts_productinstance i ON i.id = c.product_instance_id
    CROSS JOIN (VALUES ('first_response'), ('next_update'), ('resolution')) AS m(metric)
    WHERE c.id <= {n} AND i.environment <> 'production'
    """
    timers_production = f"""
    INSERT INTO sla_slatimer (case_id, metric, state, target_minutes, calendar_id, policy_id, holidays_version, started_at,
                              due_at, warning_at, warnings_sent, remaining_seconds, warned_at, breached_at, met_at, updated_at)
    SELECT c.id, t.metric,
           CASE WHEN c.status = 'open' THEN 'running'
                WHEN t.metric = 'first_response' THEN CASE WHEN pg_temp.r(c.id, {s} + 30) < 0.1 THEN 'breached' ELSE 'met' END
                WHEN c.status IN ('in_progress') THEN 'running'
                WHEN c.status = 'closed' THEN 'met' ELSE 'paused' END,
           t.minutes, t.calendar_id, t.policy_id, '0.60', c.created_at,
           CASE WHEN c.status IN ('open', 'in_progress') THEN now() + interval '1 hour' + interval '3 days' * pg_temp.r(c.id, {s} + 31) END,
           CASE WHEN c.status IN ('open', 'in_progress') THEN now() + interval '3 days' * pg_temp.r(c.id, {s} + 31) END,
           0, CASE WHEN c.status NOT IN ('open', 'in_progress', 'closed') THEN 3600 END, NULL,
           CASE WHEN t.metric = 'first_response' AND c.status <> 'open' AND pg_temp.r(c.id, {s} + 30) < 0.1
                THEN c.created_at + interval '1 minute' * t.minutes END,
           CASE WHEN c.status = 'closed' OR (t.metric = 'first_response' AND c.status <> 'open')
                THEN c.created_at + (c.updated_at - c.created_at) / 5.0 END,
           c.updated_at
    FROM cases_case c JOIN accounts_productinstance i ON i.id = c.product_instance_id
    JOIN bc ON bc.id = c.company_id
    JOIN sla_slatarget t ON t.policy_id = 1 AND t.sla_band = bc.band AND t.priority = c.priority
         AND (t.metric = 'first_response' OR (t.metric = 'next_update' AND c.status <> 'open'))
    WHERE c.id <= {n} AND i.environment = 'production'
    """
    followers = f"""
    INSERT INTO cases_casefollower (case_id, user_id, created_at)
    SELECT c.id, bc.manager, c.created_at + interval '1 hour'
    FROM cases_case c JOIN bc ON bc.id = c.company_id
    WHERE c.id <= {n} AND pg_temp.r(c.id, {s} + 40) < 0.02 AND c.opened_by_id <> bc.manager
          AND c.on_behalf_of_id IS DISTINCT FROM bc.manager
    """
    # The e-mail rows of the last 30 days, sent (older sent rows are purged by the retention job).
    outbox = f"""
    INSERT INTO notifications_notification (idempotency_key, message_id, kind, channel, recipient_id, to_address,
        webhook_id, case_id, language, context, status, attempts, last_error, next_attempt_at, claimed_at, sent_at, created_at)
    SELECT 'case_event:' || e.id || ':' || k.kind || ':email:' || u.id,
           '<' || md5('message' || e.id || '{spec.seed}') || '.outbox@bench.example>', k.kind, 'email', u.id, u.email,
           NULL, c.id, coalesce(nullif(u.language, ''), co.language),
           jsonb_build_object('case_id', c.id, 'case_number', c.number, 'case_subject', c.subject, 'priority', c.priority,
                              'company', co.name, 'case_url', 'http://127.0.0.1/api/v1/cases/' || c.id || '/',
                              'message', '', 'name', u.first_name || ' ' || u.last_name),
           'sent', 1, '', e.created_at, NULL, e.created_at + interval '2 seconds', e.created_at
    FROM cases_caseevent e
    JOIN cases_case c ON c.id = e.case_id
    JOIN accounts_company co ON co.id = c.company_id
    JOIN accounts_user u ON u.id = c.opened_by_id
    JOIN LATERAL (SELECT CASE WHEN e.type = 'created' THEN 'case_created'
                              WHEN e.type = 'commented' AND e.actor_id = c.assignee_id THEN 'support_reply'
                              WHEN e.to_status = 'pending_customer' THEN 'pending_customer'
                              WHEN e.to_status = 'verify_resolution' THEN 'verify_resolution'
                              WHEN e.to_status = 'closed' THEN 'case_closed' END AS kind) k ON k.kind IS NOT NULL
    WHERE e.created_at > now() - interval '30 days' AND e.created_at <= now()
    """
    return [
        ("temporary tables", setup),
        ("indexes dropped", [_INDEXES_KEPT, _INDEXES_DROP]),
        (
            f"{n:,} cases",
            [cases, f"SELECT setval(pg_get_serial_sequence('cases_case', 'id'), {n})", "ANALYZE cases_case"],
        ),
        ("events: created, assigned", [path, events_created, events_assigned]),
        ("events: status path", [events_path]),
        ("comments", [comments, "ANALYZE cases_comment"]),
        ("events: comments", [comment_events, "ANALYZE cases_caseevent"]),
        ("SLA timers", [timers, timers_production]),
        ("followers", [followers]),
        ("outbox (last 30 days)", [outbox]),
        ("indexes built again", [_INDEXES_BUILD]),
    ]


# Building an index once over the loaded rows is much faster than maintaining twenty of them row by
# row: the plain indexes of the big tables go before the load and come back after it, as defined
# (the constraints' own indexes, primary and unique keys, stay).
_BIG_TABLES = (
    "'cases_case', 'cases_caseevent', 'cases_comment', 'sla_slatimer', 'notifications_notification', "
    "'cases_casefollower'"
)
_INDEXES_KEPT = f"""
CREATE TEMP TABLE dropped_index AS
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = 'public' AND i.tablename IN ({_BIG_TABLES})
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""
_INDEXES_DROP = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexname FROM dropped_index LOOP EXECUTE 'DROP INDEX ' || quote_ident(r.indexname); END LOOP;
END $$
"""
_INDEXES_BUILD = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexdef FROM dropped_index LOOP EXECUTE r.indexdef; END LOOP;
END $$
"""


# --------------------------------------------------------------------------- the population the client draws from


@dataclass
class Person:
    user_id: int
    company_id: int
    role: str
    token: str = ""

    @property
    def sees_all(self) -> bool:
        return self.role != "member"


@dataclass
class Population:
    """Who may do what and the cases to do it on, as the client tracks them during a run."""

    people: list[Person]
    analysts: list[int]
    analyst_tokens: dict[int, str]
    us_companies: set[int]
    own_companies: set[int]
    instances: dict[int, list[tuple[int, int]]]  # company → (instance id, product id)
    all_cases: dict[int, array]  # company → every case id
    own_cases: dict[int, array]  # user → cases opened by or for them (companies showing own cases)
    by_status: dict[str, dict[int, list[int]]]  # status → company → case ids (not closed)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.by_company: dict[int, list[Person]] = defaultdict(list)
        self.by_user = {person.user_id: person for person in self.people}
        for person in self.people:
            self.by_company[person.company_id].append(person)
        self.actors = [p for p in self.people if self.may_act(p)]

    def may_act(self, person: Person) -> bool:
        return person.company_id not in self.us_companies or person.sees_all

    def sees(self, person: Person, opened_by: int) -> bool:
        return person.company_id not in self.own_companies or person.sees_all or person.user_id == opened_by

    def open_case(self, rng: random.Random, company_id: int) -> int | None:
        with self.lock:
            pools = [self.by_status[s].get(company_id) for s in self.by_status]
            sizes = [len(p) if p else 0 for p in pools]
            total = sum(sizes)
            if not total:
                return None
            index = rng.randrange(total)
            for pool, size in zip(pools, sizes, strict=True):
                if index < size:
                    assert pool is not None
                    return pool[index]
                index -= size
        return None

    def take(self, rng: random.Random, status: str) -> tuple[int, int] | None:
        """A case in ``status`` (any company) removed from its pool: (company, case)."""
        with self.lock:
            companies = [c for c, ids in self.by_status[status].items() if ids]
            if not companies:
                return None
            company = rng.choice(companies)
            ids = self.by_status[status][company]
            index = rng.randrange(len(ids))
            ids[index], ids[-1] = ids[-1], ids[index]
            return company, ids.pop()

    def put(self, status: str, company_id: int, case_id: int) -> None:
        with self.lock:
            if status in self.by_status:
                self.by_status[status].setdefault(company_id, []).append(case_id)

    def move(self, case_id: int, company_id: int, old: str, new: str) -> None:
        with self.lock:
            ids = self.by_status[old].get(company_id)
            if ids and case_id in ids:
                ids.remove(case_id)
                if new in self.by_status:
                    self.by_status[new].setdefault(company_id, []).append(case_id)


def population_load(database_url: str) -> Population:
    with psycopg.connect(database_url) as conn:
        people = [
            Person(*row)
            for row in conn.execute(
                "SELECT m.user_id, m.company_id, m.role FROM accounts_membership m "
                "JOIN accounts_user u ON u.id = m.user_id WHERE m.company_id IS NOT NULL "
                "AND u.username LIKE 'c%%.u%%' ORDER BY m.user_id"
            )
        ]
        analysts = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM accounts_user WHERE is_staff AND username LIKE 'analyst%%' ORDER BY id"
            )
        ]
        companies = conn.execute("SELECT id, country, case_visibility FROM accounts_company").fetchall()
        instances: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for instance_id, company_id, product_id in conn.execute(
            "SELECT id, company_id, product_id FROM accounts_productinstance WHERE environment = 'production' "
            "ORDER BY id"
        ):
            instances[company_id].append((instance_id, product_id))
        own = {c for c, _, visibility in companies if visibility == "own"}
        all_cases: dict[int, array] = defaultdict(lambda: array("i"))
        own_cases: dict[int, array] = defaultdict(lambda: array("i"))
        by_status: dict[str, dict[int, list[int]]] = {
            s: defaultdict(list) for s in ("open", "in_progress", "pending_customer", "verify_resolution")
        }
        other_open: dict[int, list[int]] = defaultdict(list)
        with conn.cursor(name="cases") as cursor:
            cursor.itersize = 50_000
            cursor.execute(
                "SELECT id, company_id, status, opened_by_id, on_behalf_of_id FROM cases_case ORDER BY id"
            )
            for case_id, company_id, status, opened_by, on_behalf_of in cursor:
                all_cases[company_id].append(case_id)
                if company_id in own:
                    own_cases[opened_by].append(case_id)
                    if on_behalf_of:
                        own_cases[on_behalf_of].append(case_id)
                if status in by_status:
                    by_status[status][company_id].append(case_id)
                elif status != "closed":
                    other_open[company_id].append(case_id)
        by_status["other"] = other_open  # pending release / engineering: read and commented, not moved
    return Population(
        people=people,
        analysts=analysts,
        analyst_tokens={},
        us_companies={c for c, country, _ in companies if country == "US"},
        own_companies=own,
        instances=dict(instances),
        all_cases=dict(all_cases),
        own_cases=dict(own_cases),
        by_status=by_status,
    )


def tokens_issue(population: Population) -> None:
    """A fresh API token for every customer user and analyst (older ones removed)."""
    from knox.models import AuthToken

    from accounts.models import User
    from accounts.services import api_token_create

    AuthToken.objects.all().delete()
    users = User.objects.in_bulk([p.user_id for p in population.people] + population.analysts)
    for person in population.people:
        person.token = api_token_create(user=users[person.user_id])[1]
    population.analyst_tokens = {a: api_token_create(user=users[a])[1] for a in population.analysts}


# --------------------------------------------------------------------------- the client


@dataclass
class Sample:
    op: str
    at: float  # monotonic, when sent
    ms: float
    status: int  # 0: no HTTP answer
    queries: int | None
    cpu_us: int | None
    wall_us: int | None
    detail: str = ""


class Http:
    """One request at a time per thread; a new connection when the server closed the last one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def call(
        self,
        op: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Sample, http.client.HTTPResponse | None, bytes]:
        sent = {"Accept": "application/json", "X-Bench-Op": op, **(headers or {})}
        body = None
        if token is not None:
            sent["Authorization"] = f"Token {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Accept"] = "text/html"
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        at = time.monotonic()
        started = time.perf_counter()
        try:
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            ms = (time.perf_counter() - started) * 1000
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.local.conn = None

            def number(name: str) -> int | None:
                value = response.getheader(name)
                return int(value) if value else None

            sample = Sample(
                op,
                at,
                ms,
                response.status,
                number("X-Query-Count"),
                number("X-Bench-Cpu-Us"),
                number("X-Bench-Wall-Us"),
            )
            if not (200 <= response.status < 400):
                sample.detail = data[:200].decode(errors="replace")
            return sample, response, data
        except (OSError, http.client.HTTPException) as exc:
            self.local.conn = None
            return (
                Sample(op, at, (time.perf_counter() - started) * 1000, 0, None, None, None, repr(exc)),
                None,
                b"",
            )


@dataclass
class Session:
    cookies: dict[str, str]
    csrf: str


def _set_cookies(response: http.client.HTTPResponse, into: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            into[name] = morsel.value


_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def analyst_login(client: Http, username: str, any_case: int) -> Session:
    """What a browser does: the login page (CSRF cookie and form token), the form posted, then the
    case page, whose forms carry the token the reply posts."""
    cookies: dict[str, str] = {}
    _, response, page = client.call("login", "GET", "/admin/login/", headers={"Accept": "text/html"})
    assert response is not None and response.status == 200, "admin login page"
    _set_cookies(response, cookies)
    token = _CSRF_FIELD.search(page)
    assert token is not None
    form = {
        "username": username,
        "password": ANALYST_PASSWORD,
        "csrfmiddlewaretoken": token.group(1).decode(),
        "next": "/admin/",
    }
    sample, response, _ = client.call("login", "POST", "/admin/login/", form=form, cookies=cookies)
    assert response is not None and response.status == 302, f"admin login of {username}: {sample}"
    _set_cookies(response, cookies)
    sample, response, page = client.call(
        "login",
        "GET",
        f"/admin/cases/case/{any_case}/change/",
        cookies=cookies,
        headers={"Accept": "text/html"},
    )
    assert response is not None and response.status == 200, f"case page for {username}: {sample}"
    _set_cookies(response, cookies)
    token = _CSRF_FIELD.search(page)
    assert token is not None
    return Session(cookies=cookies, csrf=token.group(1).decode())


class Workload:
    def __init__(self, client: Http, population: Population, sessions: dict[int, Session], seed: int) -> None:
        self.client, self.pop, self.sessions = client, population, sessions
        self.ops, self.weights = list(WEIGHTS), list(WEIGHTS.values())
        self.seed = seed
        self.local = threading.local()
        self.created = 0
        self.lock = threading.Lock()

    def rng(self) -> random.Random:
        rng = getattr(self.local, "rng", None)
        if rng is None:
            with self.lock:
                self.created += 1
                rng = self.local.rng = random.Random(self.seed * 1000 + self.created)
            self.local.next_pages = {}
        return rng

    def one(self) -> Sample:
        rng = self.rng()
        op = rng.choices(self.ops, self.weights)[0]
        sample: Sample | None = getattr(self, op)(rng)
        return sample if sample is not None else self.list_first(rng)

    # --- choosing ---

    def _reader(self, rng: random.Random) -> Person:
        return rng.choice(self.pop.people)

    def _visible_case(self, rng: random.Random, person: Person) -> int | None:
        if person.company_id in self.pop.own_companies and not person.sees_all:
            own = self.pop.own_cases.get(person.user_id)
            return rng.choice(own) if own else None
        if rng.random() < 0.6:
            case = self.pop.open_case(rng, person.company_id)
            if case is not None:
                return case
        cases = self.pop.all_cases.get(person.company_id)
        return rng.choice(cases) if cases else None

    # --- reads ---

    def list_first(self, rng: random.Random) -> Sample:
        person = self._reader(rng)
        sample, _, data = self.client.call(
            "list_first", "GET", "/api/v1/cases/?page_size=25", token=person.token
        )
        if sample.status == 200:
            nxt = json.loads(data).get("next")
            if nxt:
                parts = urlsplit(nxt)
                self.local.next_pages[person.user_id] = f"{parts.path}?{parts.query}"
        return sample

    def list_next(self, rng: random.Random) -> Sample | None:
        pages: dict[int, str] = self.local.next_pages
        if not pages:
            return None
        user_id = rng.choice(list(pages))
        person = self.pop.by_user[user_id]
        sample, _, data = self.client.call("list_next", "GET", pages.pop(user_id), token=person.token)
        if sample.status == 200:
            nxt = json.loads(data).get("next")
            if nxt:
                parts = urlsplit(nxt)
                pages[user_id] = f"{parts.path}?{parts.query}"
        return sample

    def list_filtered(self, rng: random.Random) -> Sample:
        person = self._reader(rng)
        kind = rng.randrange(4)
        if kind == 0:
            query = "status=open&status=in_progress&status=pending_customer"
        elif kind == 1:
            query = f"priority={rng.choice(['P1', 'P2'])}"
        elif kind == 2:
            query = f"search={rng.choice(SEARCH_WORDS)}"
        else:
            query = "created_after=" + datetime.fromtimestamp(time.time() - 7 * 86400, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        return self.client.call(
            "list_filtered", "GET", f"/api/v1/cases/?page_size=25&{query}", token=person.token
        )[0]

    def detail(self, rng: random.Random) -> Sample | None:
        person = self._reader(rng)
        case = self._visible_case(rng, person)
        if case is None:
            return None
        return self.client.call("detail", "GET", f"/api/v1/cases/{case}/", token=person.token)[0]

    def events(self, rng: random.Random) -> Sample | None:
        person = self._reader(rng)
        case = self._visible_case(rng, person)
        if case is None:
            return None
        return self.client.call(
            "events", "GET", f"/api/v1/cases/{case}/events/?limit=50", token=person.token
        )[0]

    # --- writes ---

    def create(self, rng: random.Random) -> Sample:
        person = rng.choice(self.pop.actors)
        instance, product = rng.choice(self.pop.instances[person.company_id])
        body = {
            "product_instance": instance,
            "subject": f"{rng.choice(SUBJECTS)} (load)",
            "problem_summary": "Posting a journal entry times out after 30 seconds on the general ledger.",
            "error_message": "E1234: ledger locked by another session",
            "reason": "system-issue",
            "application_area": "general-ledger" if product == 1 else "timesheets",
            "business_impact_scope": rng.choice(["individual", "group", "organisation"]),
            "business_impact": rng.choice(["low", "medium", "high"]),
        }
        sample, _, data = self.client.call(
            "create", "POST", "/api/v1/cases/", token=person.token, json_body=body
        )
        if sample.status == 201:
            case_id = int(json.loads(data)["id"])
            self.pop.put("open", person.company_id, case_id)
            self.pop.all_cases.setdefault(person.company_id, array("i")).append(case_id)
            if person.company_id in self.pop.own_companies:
                self.pop.own_cases.setdefault(person.user_id, array("i")).append(case_id)
        return sample

    def customer_comment(self, rng: random.Random) -> Sample | None:
        person = rng.choice(self.pop.actors)
        if person.company_id in self.pop.own_companies and not person.sees_all:
            return None  # a member of such a company comments on own cases only: left to DSUs here
        case = self.pop.open_case(rng, person.company_id)
        if case is None:
            return None
        body = {"body": f"Still happening this morning; attaching the log next ({rng.randrange(10**6)})."}
        sample = self.client.call(
            "customer_comment", "POST", f"/api/v1/cases/{case}/comments/", token=person.token, json_body=body
        )[0]
        if sample.status == 201:  # a comment on a pending-customer case hands it back to support
            self.pop.move(case, person.company_id, "pending_customer", "in_progress")
        return sample

    def analyst_reply(self, rng: random.Random) -> Sample | None:
        analyst = rng.choice(self.pop.analysts)
        session = self.sessions[analyst]
        company = rng.choice(list(self.pop.by_company))
        case = self.pop.open_case(rng, company)
        if case is None:
            return None
        form = {
            "csrfmiddlewaretoken": session.csrf,
            "body": "Thank you: we reproduced it and are preparing a fix. Next update tomorrow.",
            "canned": "",
            # The newest comment the analyst's page showed: they read the case before answering. Without
            # it every case with a customer comment is a collision (409, the page shown again).
            "seen_comment": str(2**31 - 1),
        }
        answer = self.client.call(
            "analyst_reply", "POST", f"/admin/cases/case/{case}/reply/", form=form, cookies=session.cookies
        )
        sample, response = answer[0], answer[1]
        if sample.status == 200:  # the workspace again, with the refusal: not sent
            sample.status, sample.detail = 409, "reply refused (workspace page shown again)"
        elif response is not None and "/admin/login/" in (response.getheader("Location") or ""):
            sample.status, sample.detail = 401, "session lost: redirected to the login page"
        return sample

    def transition(self, rng: random.Random) -> Sample | None:
        kind = rng.random()
        if kind < 0.4:
            status, name, new = "open", "start", "in_progress"
        elif kind < 0.7:
            status, name, new = "in_progress", "propose_resolution", "verify_resolution"
        else:
            status, name, new = "verify_resolution", "confirm_resolution", "closed"
        taken = self.pop.take(rng, status)
        if taken is None:
            return None
        company, case = taken
        body: dict[str, Any] = {"transition": name}
        if name == "propose_resolution":
            body["resolution"] = "Applied the patch; the entry posts again."
        if name == "confirm_resolution":
            actors = [p for p in self.pop.by_company[company] if p.sees_all]
            token = rng.choice(actors).token
        else:
            token = self.pop.analyst_tokens[rng.choice(self.pop.analysts)]
        sample = self.client.call(
            "transition", "POST", f"/api/v1/cases/{case}/transitions/", token=token, json_body=body
        )[0]
        self.pop.put(new if sample.status == 200 else status, company, case)
        return sample


# --------------------------------------------------------------------------- measuring the server


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def postgres_backends(database_url: str) -> list[int]:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()",
                [name],
            )
        ]


def metrics_scrape(port: int) -> dict[tuple[str, str], float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    found: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if line.startswith("casedesk_precompiled_fetches_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            found[(labels["query"], labels["outcome"])] = float(line.rsplit(" ", 1)[1])
    return found


class Sampler(threading.Thread):
    def __init__(self, master: int, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.master, self.every = master, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.samples.append(
                (time.monotonic(), {pid: rss_mib(pid) or 0.0 for pid in worker_pids(self.master)})
            )
            self.stop_event.wait(self.every)


# --------------------------------------------------------------------------- one run


@dataclass
class Run:
    mode: str
    samples: list[Sample]
    seconds: float
    rss: list[tuple[float, dict[int, float]]]
    worker_cpu: float
    postgres_cpu: float
    client_cpu: float
    fetches: dict[tuple[str, str], float]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    profile: Path | None = None
    profile_text: list[str] = field(default_factory=list)


class BenchServer(load.Server):
    """load.py's server (readiness, stopping the process group), started with gunicorn_bench.py."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = load.free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi:application",
                "-c",
                str(ROOT / "benchmarks" / "gunicorn_bench.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--capture-output",
                "--error-logfile",
                str(log),
                "--access-logfile",
                str(log.with_name(log.name + ".access")),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: stopped as a whole
        )


def drive(workload: Workload, threads: int, seconds: float) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        mine = []
        while time.monotonic() < deadline:
            mine.append(workload.one())
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return samples, time.perf_counter() - started


def one_run(
    args: argparse.Namespace, mode: str, env: dict[str, str], population: Population, round_no: int
) -> Run:
    run_env = {
        **env,
        "PRECOMPILED_QUERIES": "0" if mode == "off" else "1",
        "PRECOMPILED_QUERIES_OFF": "",
        # Connections kept for the whole run (production: 60 s), so each PostgreSQL backend's CPU can
        # be read from /proc before and after the window: a backend replaced mid-window takes its
        # CPU time with it.
        "DB_CONN_MAX_AGE": "3600",
    }
    log = ROOT / "var" / "bench-realistic" / f"gunicorn-{mode}-{round_no}.log"
    log.write_text("")
    print(
        f"== run {round_no} precompiled {mode}: gunicorn {args.workers} sync workers, {args.threads} threads",
        flush=True,
    )
    tokens_issue(population)
    server = BenchServer(run_env, args.workers, log)
    profiler: subprocess.Popen[bytes] | None = None
    try:
        server.wait_ready(timeout=120)
        client = Http(server.port)
        any_case = next(iter(population.all_cases.values()))[0]
        sessions = {
            a: analyst_login(client, f"analyst{n + 1:02d}", any_case)
            for n, a in enumerate(population.analysts)
        }
        workload = Workload(client, population, sessions, args.seed + round_no)
        warm, _ = drive(workload, args.threads, args.warmup)
        print(f"   warm-up: {len(warm)} requests", flush=True)
        fetches_before = metrics_scrape(server.port)
        workers = worker_pids(server.proc.pid)
        backends = postgres_backends(args.database_url)
        worker_cpu0 = {pid: cpu_seconds(pid) or 0.0 for pid in workers}
        pg_cpu0 = {pid: cpu_seconds(pid) or 0.0 for pid in backends}
        client_cpu0 = time.process_time()
        load_before = os.getloadavg()
        sampler = Sampler(server.proc.pid)
        sampler.start()
        profile_path = None
        if args.profile:
            profile_path = ROOT / "benchmarks" / "results" / f"realistic-{mode}.speedscope.json"
            profiler = subprocess.Popen(
                [
                    str(PY_SPY),
                    "record",
                    "--pid",
                    str(server.proc.pid),
                    "--subprocesses",
                    "--function",
                    "--nonblocking",
                    # Only samples holding the GIL: a worker waiting on PostgreSQL or Redis has released
                    # it, while the OS may still show it runnable on this crowded machine (py-spy's idle
                    # test would count such waits as work).
                    "--gil",
                    "--rate",
                    str(args.profile_rate),
                    "--duration",
                    str(int(args.duration)),
                    "--format",
                    "speedscope",
                    "--output",
                    str(profile_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        samples, seconds = drive(workload, args.threads, args.duration)
        client_cpu = time.process_time() - client_cpu0
        sampler.stop_event.set()
        sampler.join()
        worker_cpu = sum((cpu_seconds(pid) or 0.0) - worker_cpu0[pid] for pid in workers)
        pg_now = postgres_backends(args.database_url)
        postgres_cpu = sum((cpu_seconds(pid) or 0.0) - pg_cpu0.get(pid, 0.0) for pid in pg_now)
        fetches_after = metrics_scrape(server.port)
        fetches = {k: v - fetches_before.get(k, 0.0) for k, v in fetches_after.items()}
        load_after = os.getloadavg()
        if profiler is not None:
            _, err = profiler.communicate(timeout=120)
            if profiler.returncode != 0:
                print(f"   py-spy failed: {err.decode(errors='replace')[-500:]}", flush=True)
                profile_path = None
    finally:
        if profiler is not None and profiler.poll() is None:
            profiler.terminate()
        server.stop()
    run = Run(
        mode=mode,
        samples=samples,
        seconds=seconds,
        rss=sampler.samples,
        worker_cpu=worker_cpu,
        postgres_cpu=postgres_cpu,
        client_cpu=client_cpu,
        fetches=fetches,
        load_before=load_before,
        load_after=load_after,
        profile=profile_path,
    )
    if profile_path is not None and profile_path.exists():
        run.profile_text = profile_report(profile_path, samples, args.profile_rate, args.top)
    tracebacks = log.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"   gunicorn log: {tracebacks} traceback(s) in {log}", flush=True)
    return run


# --------------------------------------------------------------------------- the profile


def profile_report(path: Path, samples: list[Sample], rate: int, top: int) -> list[str]:
    """Own and total time per operation from py-spy's speedscope file: a sample belongs to the
    operation whose ``op_*`` frame is on its stack (benchmarks/gunicorn_bench.py). Weights are in
    seconds (one sample = 1 / rate)."""
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    names = [f"{f['name']} ({_short(f.get('file', ''))}:{f.get('line', 0)})" for f in frames]
    op_of = {i: f["name"][3:] for i, f in enumerate(frames) if f["name"].startswith("op_")}
    own: dict[str, Counter[str]] = defaultdict(Counter)
    total: dict[str, Counter[str]] = defaultdict(Counter)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    per_op: Counter[str] = Counter()
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            op = next((op_of[i] for i in stack if i in op_of), None)
            if op is None:
                continue
            count = weight * rate
            per_op[op] += count
            own[op][names[stack[-1]]] += count
            kinds[op][_kind(frames[stack[-1]].get("file", ""))] += count
            for name in {names[i] for i in stack}:
                if not name.startswith("process "):  # py-spy's frame for the process itself
                    total[op][name] += count
    requests = Counter(s.op for s in samples)
    cpu = defaultdict(list)
    for sample in samples:
        if sample.cpu_us is not None:
            cpu[sample.op].append(sample.cpu_us / 1000)
    lines = [
        f"py-spy `--gil --function`, {rate} samples/s per worker: a sample is a worker holding the GIL (running "
        "Python, or C code that keeps the GIL), so waits on PostgreSQL and Redis do not count. "
        "Sampled ms/request = samples / rate / requests of the operation in the window; the thread CPU "
        "column is the worker's own measure (`X-Bench-Cpu-Us`) for comparison.",
        "",
        "| operation | samples | requests | sampled ms/request | thread CPU ms/request |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for op, count in per_op.most_common():
        n = requests.get(op, 0)
        measured = statistics.fmean(cpu[op]) if cpu[op] else float("nan")
        lines.append(
            f"| {op} | {count:,.0f} | {n:,} | {count / rate * 1000 / n if n else float('nan'):.2f} | {measured:.2f} |"
        )
    for op, count in per_op.most_common():
        if op not in WRITES and op not in ("detail", "list_first"):
            continue
        lines += [
            "",
            f"### {op}: where the samples are ({count:,.0f})",
            "",
            "own time by kind of code:",
            "",
            "```",
        ]
        for kind, weight in kinds[op].most_common():
            lines.append(f"{100 * weight / count:5.1f} %  {kind}")
        lines += ["```", "", "own time, top frames:", "", "```"]
        for name, weight in own[op].most_common(top):
            lines.append(f"{100 * weight / count:5.1f} %  {name}")
        lines += [
            "```",
            "",
            "total time (the frame and what it called; the frames every request passes through, "
            "at 95 % or more, left out):",
            "",
            "```",
        ]
        shown = [(name, weight) for name, weight in total[op].most_common() if weight / count < 0.95]
        for name, weight in shown[: top * 2]:
            lines.append(f"{100 * weight / count:5.1f} %  {name}")
        lines.append("```")
    return lines


_KINDS = (
    ("/psycopg/", "psycopg: sending statements, reading rows, adapting values"),
    ("/django/db/models/sql/", "Django ORM: compiling SQL"),
    ("/django/db/models/", "Django ORM: querysets, expressions, model instances"),
    ("/django/db/", "Django DB layer: backend, transactions, cursors"),
    ("/rest_framework/", "DRF: views, parsing, serializers, rendering"),
    ("/django/template/", "Django templates"),
    ("/django/forms/", "Django forms"),
    ("/django/contrib/", "Django contrib: admin, auth, sessions, messages"),
    ("/kombu/", "Celery/kombu: publishing tasks"),
    ("/celery/", "Celery/kombu: publishing tasks"),
    ("/redis/", "redis-py: throttle counters, broker"),
    ("/django/", "Django: middleware, request and response, URLs, signals"),
    ("/site-packages/", "other libraries"),
    ("/lib/python3", "Python standard library"),
)


def _kind(filename: str) -> str:
    for part, kind in _KINDS:
        if part in filename:
            return kind
    if filename.startswith(str(ROOT) + "/"):
        return "Casedesk code"
    return "other"


def _short(filename: str) -> str:
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1]
    if filename.startswith(str(ROOT) + "/"):
        return filename[len(str(ROOT)) + 1 :]
    return filename


# --------------------------------------------------------------------------- the report


def op_rows(run: Run) -> list[str]:
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for sample in run.samples:
        by_op[sample.op].append(sample)
    rows = []
    for op in (*READS, *WRITES):
        got = by_op.get(op, [])
        if not got:
            continue
        ms = [s.ms for s in got]
        cpu = [s.cpu_us / 1000 for s in got if s.cpu_us is not None]
        queries = [s.queries for s in got if s.queries is not None]
        errors = Counter(s.status for s in got if not 200 <= s.status < 400)
        rows.append(
            f"| {op} | {len(got):,} | {len(got) / run.seconds:.1f} | {load.percentile(ms, 0.5):.1f} | "
            f"{load.percentile(ms, 0.95):.1f} | {load.percentile(ms, 0.99):.1f} | "
            f"{statistics.fmean(cpu) if cpu else float('nan'):.2f} | {load.percentile(cpu, 0.5):.2f} | "
            f"{load.percentile(cpu, 0.95):.2f} | {statistics.fmean(queries) if queries else float('nan'):.1f} | "
            f"{max(queries) if queries else '-'} | "
            + (", ".join(f"{n}× {k or 'no answer'}" for k, n in sorted(errors.items())) or "0")
            + " |"
        )
    return rows


OP_HEAD = [
    "| operation | requests | req/s | p50 ms | p95 ms | p99 ms | worker CPU ms mean | CPU p50 | CPU p95 | SQL/req | max SQL | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
]


def run_summary(run: Run) -> list[str]:
    n = len(run.samples)
    ok = sum(1 for s in run.samples if 200 <= s.status < 400)
    peak: dict[int, float] = defaultdict(float)
    for _, values in run.rss:
        for pid, mib in values.items():
            peak[pid] = max(peak[pid], mib)
    first = run.rss[0][1] if run.rss else {}
    last = run.rss[-1][1] if run.rss else {}
    rss = ", ".join(
        f"pid {pid}: {first.get(pid, 0):.0f} → {last.get(pid, 0):.0f} MiB (peak {peak[pid]:.0f})"
        for pid in sorted(peak)
    )
    lines = [
        f"- {n:,} requests in {run.seconds:.1f} s ({n / run.seconds:.1f} req/s, {ok:,} answered 2xx/3xx); "
        f"load average before {' / '.join(f'{x:.2f}' for x in run.load_before)}, after "
        f"{' / '.join(f'{x:.2f}' for x in run.load_after)}",
        f"- Worker CPU (both workers, /proc): {run.worker_cpu:.1f} s = **{run.worker_cpu * 1000 / n:.2f} ms per request**; "
        f"PostgreSQL backends: {run.postgres_cpu:.1f} s = {run.postgres_cpu * 1000 / n:.2f} ms per request; "
        f"client process: {run.client_cpu:.1f} s",
        f"- Worker resident memory (start of the measured window → end): {rss}",
    ]
    if run.fetches:
        lines.append("- Compiled queries during the window (`casedesk_precompiled_fetches_total`):")
        by_query: dict[str, dict[str, float]] = defaultdict(dict)
        for (query, outcome), value in run.fetches.items():
            by_query[query][outcome] = value
        for query, outcomes in sorted(by_query.items()):
            hit, miss, off = (outcomes.get(k, 0.0) for k in ("hit", "miss", "off"))
            rate = f", hit rate {100 * hit / (hit + miss):.0f} %" if hit + miss else ""
            lines.append(f"  - {query}: {hit:,.0f} hits, {miss:,.0f} misses, {off:,.0f} off{rate}")
    return lines


def comparison(runs: list[Run]) -> list[str]:
    """Per operation, worker CPU and client latency of each mode, runs of a mode pooled."""
    modes = list(dict.fromkeys(r.mode for r in runs))
    if len(modes) < 2:
        return []
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    ms: dict[tuple[str, str], list[float]] = defaultdict(list)
    for run in runs:
        for sample in run.samples:
            ms[(run.mode, sample.op)].append(sample.ms)
            if sample.cpu_us is not None:
                cpu[(run.mode, sample.op)].append(sample.cpu_us / 1000)
    first = modes[0]
    lines = [
        "| operation | "
        + " | ".join(f"CPU ms mean, {m}" for m in modes)
        + " | "
        + " | ".join(f"{m} / {first}" for m in modes[1:])
        + " | client p50 ms "
        + " · ".join(modes)
        + " | client p99 ms "
        + " · ".join(modes)
        + " |",
        "| --- |" + " ---: |" * (2 * len(modes) + 1),
    ]
    for op in (*READS, *WRITES):
        if not all(cpu[(m, op)] for m in modes):
            continue
        means = [statistics.fmean(cpu[(m, op)]) for m in modes]
        lines.append(
            f"| {op} | "
            + " | ".join(f"{v:.2f}" for v in means)
            + " | "
            + " | ".join(f"{v / means[0]:.2f}" for v in means[1:])
            + " | "
            + " · ".join(f"{load.percentile(ms[(m, op)], 0.5):.0f}" for m in modes)
            + " | "
            + " · ".join(f"{load.percentile(ms[(m, op)], 0.99):.0f}" for m in modes)
            + " |"
        )
    totals = {
        m: sum(r.worker_cpu for r in runs if r.mode == m)
        * 1000
        / sum(len(r.samples) for r in runs if r.mode == m)
        for m in modes
    }
    lines += [
        "",
        "Worker CPU per request over the whole mix (/proc, both workers): "
        + ", ".join(f"{m} {v:.2f} ms" for m, v in totals.items())
        + ".",
    ]
    return lines


def dataset_lines(database_url: str) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        counts = {
            table: conn.execute(
                f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'"
            ).fetchone()[0]
            for table in (
                "cases_case",
                "cases_caseevent",
                "cases_comment",
                "sla_slatimer",
                "notifications_notification",
                "cases_casefollower",
                "accounts_user",
                "accounts_company",
            )
        }
        statuses = conn.execute(
            "SELECT status, count(*) FROM cases_case GROUP BY status ORDER BY count(*) DESC"
        ).fetchall()
    return [
        f"- Database size: **{size}**; rows (planner estimates): "
        + ", ".join(f"{table} {count:,}" for table, count in counts.items()),
        "- Cases by status: " + ", ".join(f"{status} {count:,}" for status, count in statuses),
    ]


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="kept between runs; name contains 'bench'"
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--analysts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database even if it matches")
    parser.add_argument("--seed-only", action="store_true", help="seed (if needed) and stop")
    parser.add_argument(
        "--quick", action="store_true", help="20,000 cases, 10 s warm-up, 30 s runs: a smoke run"
    )
    parser.add_argument(
        "--precompiled",
        default="on,off",
        help="comma-separated modes, each a run per round: on, off (PRECOMPILED_QUERIES=0); 'both' = on,off",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="with --precompiled both: on/off pairs, alternating"
    )
    parser.add_argument("--duration", type=float, default=120.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of load before measuring")
    parser.add_argument("--threads", type=int, default=8, help="client threads (closed loop)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the workers during the measured window"
    )
    parser.add_argument("--profile-rate", type=int, default=100)
    parser.add_argument("--top", type=int, default=15, help="frames shown per operation in the profile")
    parser.add_argument(
        "--output", default=None, help="report file (default benchmarks/results/realistic.md)"
    )
    args = parser.parse_args()
    if args.quick:
        if args.database_url == DEFAULT_DATABASE:
            args.database_url = DEFAULT_DATABASE + "_quick"
        args.cases = 20_000
        args.duration = min(args.duration, 30.0)
        args.warmup = min(args.warmup, 10.0)
    output = Path(
        args.output
        or ROOT / "benchmarks" / "results" / ("realistic-quick.md" if args.quick else "realistic.md")
    )
    command = " ".join([".venv/bin/python benchmarks/realistic.py", *map(shlex.quote, sys.argv[1:])])
    run_dir = ROOT / "var" / "bench-realistic"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = load.server_env(args.database_url, run_dir)
    began = datetime.now(UTC)

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    spec = Spec(args.companies, args.customers, args.analysts, args.cases, args.seed)
    seed_timings: dict[str, float] = {}
    if args.reseed or seeded_spec(args.database_url) != spec.as_json():
        print(f"== seeding {urlsplit(args.database_url).path.lstrip('/')}: {spec}", flush=True)
        seed_timings = seed(args.database_url, spec, env)
    else:
        print("== database already seeded with this spec: kept", flush=True)
        load.manage(env, "migrate", "--noinput", "-v0")
        django_setup(env)
    # The admin's pages (the analysts' login and case page) need the static files' manifest (DEBUG=0).
    load.manage(env, "collectstatic", "--noinput", "-v0", timeout=600)
    dataset = dataset_lines(args.database_url)
    print("\n".join(dataset), flush=True)
    if args.seed_only:
        return 0
    population = population_load(args.database_url)
    print(
        f"== population: {len(population.people)} customer users ({len(population.actors)} may act), "
        f"{len(population.analysts)} analysts, "
        + ", ".join(f"{s} {sum(len(v) for v in c.values()):,}" for s, c in population.by_status.items()),
        flush=True,
    )
    wanted = ["on", "off"] if args.precompiled == "both" else args.precompiled.split(",")
    if unknown := set(wanted) - {"on", "off"}:
        parser.error(f"unknown --precompiled modes: {', '.join(sorted(unknown))}")
    modes = wanted * args.rounds
    runs = []
    for number, mode in enumerate(modes, start=1):
        run = one_run(args, mode, env, population, number)
        runs.append(run)
        print("\n".join([*OP_HEAD, *op_rows(run), "", *run_summary(run)]), flush=True)
        from django.db import connection

        connection.close()

    lines = [
        "# Realistic workload (benchmarks/realistic.py)",
        "",
        "**Taken on a shared, loaded machine** (2 cores; other work running: see the load averages): "
        "compare ratios within one report, not absolute figures across reports.",
        "",
        f"- Command (from the repository root): `{command}`",
        f"- Date: {began:%Y-%m-%d %H:%M} UTC; code: {load.git_head()}",
        *load.machine_lines(),
        f"- {load.server_settings(args.database_url)}",
        f"- Dataset ({spec.companies} companies, {spec.customers:,} customer users, {spec.analysts} analysts, "
        f"{spec.cases:,} cases, seed {spec.seed}):",
        *(f"  {line}" for line in dataset),
    ]
    if seed_timings:
        lines.append("- Seeded in this run: " + ", ".join(f"{k} {v:.0f} s" for k, v in seed_timings.items()))
    lines += [
        f"- Server: gunicorn {args.workers} sync workers (`benchmarks/gunicorn_bench.py`), the environment of "
        "`benchmarks/load.py` (DEBUG=0, throttles on at 1000000/min, e-mail to locmem, QUERY_COUNT_HEADER=1, "
        "Redis broker not consumed: routing and delivery tasks are queued, not run); "
        f"client: {args.threads} closed-loop threads in this process; warm-up {args.warmup:.0f} s, "
        f"measured {args.duration:.0f} s per run.",
        "- Latency at the client (connect, request, full answer; includes queueing behind the 2 workers). "
        "Worker CPU: `time.thread_time()` around the application in the worker (`X-Bench-Cpu-Us`). "
        "SQL/req: `X-Query-Count`.",
        "",
    ]
    for number, run in enumerate(runs, start=1):
        lines += [
            f"## Run {number}: precompiled {run.mode}",
            "",
            *OP_HEAD,
            *op_rows(run),
            "",
            *run_summary(run),
            "",
        ]
        errors = [s for s in run.samples if not 200 <= s.status < 400]
        if errors:
            lines += ["Error examples:", ""]
            for sample in errors[:5]:
                lines.append(f"- {sample.op} `{sample.status}` {sample.detail[:200]!r}")
            lines.append("")
        if run.profile_text:
            lines += [
                f"### Profile ({run.profile.relative_to(ROOT) if run.profile else ''})",
                "",
                *run.profile_text,
                "",
            ]
    compared = comparison(runs)
    if compared:
        lines += ["## Compiled queries: the modes side by side (runs of a mode pooled)", "", *compared, ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
