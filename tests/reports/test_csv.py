"""CSV exports: the reports' numbers as tables, the case list with its filters and visibility, cells
that cannot run as formulas, and streaming in bounded memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Membership
from cases.models import BusinessImpact, BusinessImpactScope, Case, CaseStatus
from reports.exports import csv_cell
from tests.factories import (
    ApplicationAreaFactory,
    CaseReasonFactory,
    PartnerEstablishmentFactory,
    partner_user,
)
from tests.reports.conftest import PERIOD
from tests.reports.test_access import client_for

pytestmark = pytest.mark.django_db


def streamed(response) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(streamed(response))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-2, -2),  # a number is a number
        (0.25, 0.25),
        (True, "true"),
        (datetime(2026, 6, 1, 9, 30, tzinfo=UTC), "2026-06-01T09:30:00Z"),
    ],
)
def test_a_cell_that_would_be_a_formula_is_escaped(value, cell):
    assert csv_cell(value) == cell


def test_reopen_csv(api):
    response = api.get(reverse("report-reopens-csv"), PERIOD)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="reopens-2026-06-01-2026-06-09.csv"'
    assert streamed(response) == (
        "week,week_start,closed,reopened,reopen_rate\r\n"
        "2026-W23,2026-06-01,4,2,0.5\r\n"
        "2026-W24,2026-06-08,2,1,0.5\r\n"
    )


def test_sla_attainment_csv(api):
    assert table(api.get(reverse("report-sla-attainment-csv"), PERIOD)) == [
        ["week", "week_start", "tier", "priority", "metric", "met", "breached", "attainment"],
        ["2026-W23", "2026-06-01", "silver", "P2", "first_response", "0", "1", "0.0"],
        ["2026-W23", "2026-06-01", "gold", "P1", "first_response", "3", "1", "0.75"],
        ["2026-W23", "2026-06-01", "gold", "P1", "resolution", "1", "1", "0.5"],
        ["2026-W24", "2026-06-08", "silver", "P2", "resolution", "0", "1", "0.0"],
        ["2026-W24", "2026-06-08", "gold", "P1", "first_response", "1", "0", "1.0"],
    ]


def test_response_times_csv_in_seconds_and_hours(api):
    rows = table(api.get(reverse("report-response-times-csv"), PERIOD))

    assert rows[0] == ["metric", "priority", "count", "p50_seconds", "p90_seconds", "p50_hours", "p90_hours"]
    # The worked example of test_numbers: first response P1 p50 1,200 s (1/3 h), p90 4,680 s (1.3 h).
    assert rows[1] == ["first_response", "P1", "5", "1200.0", "4680.0", "0.333333", "1.3"]
    assert rows[3] == ["first_response", "P3", "0", "", "", "", ""]
    assert rows[4][:2] == ["first_response", "all"]


def test_backlog_escalation_satisfaction_and_load_csv_repeat_the_json(api):
    backlog = table(api.get(reverse("report-backlog-csv"), PERIOD))
    escalations = table(api.get(reverse("report-escalations-csv"), PERIOD))
    satisfaction = table(api.get(reverse("report-satisfaction-csv"), PERIOD))
    load = table(api.get(reverse("report-analyst-load-csv"), PERIOD))

    assert backlog[0] == ["status", "under_1d", "1d_3d", "3d_7d", "7d_30d", "30d_plus", "total"]
    assert backlog[1:3] == [
        ["open", "0", "2", "0", "0", "1", "3"],
        ["in_progress", "1", "1", "2", "1", "0", "5"],
    ]
    assert escalations[1:] == [
        ["2026-W23", "2026-06-01", "2", "1", "1", "0"],
        ["2026-W24", "2026-06-08", "2", "1", "0", "1"],
    ]
    assert satisfaction[1] == ["2026-W23", "2026-06-01", "1", "2", "0.333333", "3"]
    assert [(row[1], row[3], row[4]) for row in load[1:]] == [
        ("bob", "4", "2"),
        ("ann", "3", "3"),
        ("max", "0", "1"),
    ]
    assert load[1][2] == "Bob Builder" and load[1][5] == "0.222222"


def test_survey_comments_cannot_run_as_formulas(api):
    rows = table(api.get(reverse("report-satisfaction-comments-csv"), PERIOD))

    assert rows[0] == ["answered_at", "case", "company", "rating", "comment"]
    assert [row[4] for row in rows[1:]] == [
        "'+1 great",
        "Quick and clear",
        "'@support too slow",
        '\'=HYPERLINK("http://evil.test","x")',
    ]
    assert rows[1][0] == "2026-06-08T15:00:00Z"


def test_a_csv_refusal_is_json_whatever_the_client_accepts(world, frozen_now):
    client = client_for(world.acme_dsu)

    response = client.get(reverse("report-backlog-csv"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "reports_not_allowed"


def test_a_client_may_ask_for_text_csv(api):
    response = api.get(reverse("report-backlog-csv"), HTTP_ACCEPT="text/csv")

    assert streamed(response).startswith("status,")


# --- the case list ---------------------------------------------------------------------------------


def ids_in(response) -> list[int]:
    return [int(row[0]) for row in table(response)[1:]]


def test_the_case_csv_has_the_list_visibility_and_order(world, frozen_now):
    client = client_for(world.acme_dsu)

    listed = client.get(reverse("case-list"), {"page_size": 100}).json()["results"]
    exported = table(client.get(reverse("report-cases-csv")))

    assert [row[0] for row in exported[1:]] == [str(case["id"]) for case in listed]
    assert {row[3] for row in exported[1:]} == {"Acme Corp"}  # no Bouquet case
    assert exported[0] == [
        "id",
        "number",
        "subject",
        "company",
        "company_id",
        "product",
        "environment",
        "priority",
        "status",
        "whose_move",
        "assignee",
        "assignee_username",
        "escalation_level",
        "created_at",
        "updated_at",
    ]
    a2 = next(row for row in exported if row[2] == "Case a2")
    first = next(case for case in listed if case["subject"] == "Case a2")
    assert a2[1:] == [
        first["number"],
        "Case a2",
        "Acme Corp",
        str(world.acme.pk),
        "Financials",
        "production",
        "P1",
        "in_progress",
        "customer_support",
        "Ann Analyst",
        "ann",
        "0",
        first["created_at"],
        first["updated_at"],
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"status": ["open", "in_progress"], "priority": "P1"},
        {"assignee": "ASSIGNEE"},
        {"product": "time-tracking"},
        {"created_after": "2026-06-03T00:00:00Z", "ordering": "created_at"},
        {"search": "a1"},
        {"ordering": "-priority"},
    ],
)
def test_the_case_csv_takes_the_list_filters(api, world, params):
    params = {key: (world.bob.pk if value == "ASSIGNEE" else value) for key, value in params.items()}

    listed = [
        case["id"] for case in api.get(reverse("case-list"), {**params, "page_size": 100}).json()["results"]
    ]

    assert ids_in(api.get(reverse("report-cases-csv"), params)) == listed
    assert listed  # each filter picks something


def test_the_case_csv_refuses_what_the_list_refuses(api):
    bad = api.get(reverse("report-cases-csv"), {"status": "nonsense"})
    blank = api.get(reverse("report-cases-csv"), {"search": ""})
    scope = api.get(reverse("report-cases-csv"), {"scope": "galaxy"})

    assert (bad.status_code, bad.json()["code"], list(bad.json()["errors"])) == (400, "invalid", ["status"])
    assert (blank.status_code, blank.json()["code"]) == (400, "invalid")
    assert (scope.status_code, scope.json()["code"]) == (400, "invalid_scope")


def test_a_partner_exports_the_cases_of_the_clients_it_serves(world, frozen_now):
    establishment = PartnerEstablishmentFactory(clients=[world.bouquet])
    client = client_for(partner_user(establishment, role=Membership.Role.MEMBER))

    exported = table(client.get(reverse("report-cases-csv")))

    assert {row[3] for row in exported[1:]} == {"Bouquet SARL"}
    assert len(exported) == 1 + 3  # b1, b2, b3


def test_a_subject_cannot_run_as_a_formula(world, frozen_now):
    case = world.cases["a4"]
    Case.objects.filter(pk=case.pk).update(subject='=cmd|"/c calc"!A1')

    exported = table(client_for(world.acme_manager).get(reverse("report-cases-csv"), {"search": "cmd"}))

    assert exported[1][2] == '\'=cmd|"/c calc"!A1'


# --- bounded memory -------------------------------------------------------------------------------

START = datetime(2025, 1, 1, tzinfo=UTC)


def bulk_cases(world, count: int) -> None:
    """``count`` plain cases at Acme, one a minute from START, written in batches."""
    reason, area = CaseReasonFactory(), ApplicationAreaFactory()
    instance = world.cases["a2"].product_instance
    for first in range(0, count, 5000):
        Case.objects.bulk_create(
            Case(
                number=f"BULK-{n:07d}",
                company=world.acme,
                product_instance=instance,
                opened_by=world.acme_dsu,
                subject=f"Bulk case number {n} with a subject as long as a real one",
                problem_summary="Long text that the export does not read. " * 20,
                reason=reason,
                application_area=area,
                business_impact_scope=BusinessImpactScope.GROUP,
                business_impact=BusinessImpact.MEDIUM,
                priority="P3",
                status=CaseStatus.CLOSED,
                status_changed_at=START + timedelta(minutes=n),
                created_at=START + timedelta(minutes=n),
                updated_at=START + timedelta(minutes=n),
            )
            for n in range(first, min(count, first + 5000))
        )


def streamed_peak(client, params) -> tuple[int, int]:
    """(bytes of CSV, peak bytes Python allocated while the request ran and its CSV was read)."""
    tracemalloc.start()
    try:
        response = client.get(reverse("report-cases-csv"), params)
        size = sum(len(chunk) for chunk in response.streaming_content)
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_case_csv_streams_in_bounded_memory(world, frozen_now):
    bulk_cases(world, 30_000)
    client = client_for(world.max)
    # Warm up once (imports, compiled regexes, the first connection's caches are not per-row costs).
    streamed_peak(client, {"created_before": "2025-01-01T00:10:00Z"})

    small_size, small_peak = streamed_peak(client, {"created_before": "2025-01-04T11:20:00Z"})  # 5,000 cases
    large_size, large_peak = streamed_peak(client, {"created_before": "2025-02-01T00:00:00Z"})  # 30,000

    assert large_size > 5.5 * small_size
    # Six times the rows, not six times the memory: the peak is one fetched chunk of rows (2,000) and
    # its CSV text, whatever the number of rows. Holding every row as Python objects would take
    # several times the size of the CSV itself.
    assert large_peak < 1.3 * small_peak, (small_peak, large_peak)
    assert large_peak < large_size, (large_peak, large_size)


@pytest.mark.postgres
def test_the_case_csv_reads_through_a_server_side_cursor(world, frozen_now):
    bulk_cases(world, 6000)
    response = client_for(world.max).get(reverse("report-cases-csv"))
    chunks = iter(response.streaming_content)

    next(chunks)
    next(chunks)  # rows are coming: the query is open
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        (open_cursors,) = cursor.fetchone()
    rest = sum(len(chunk) for chunk in chunks)

    assert open_cursors == 1
    assert rest > 0


def test_csv_queries_do_not_grow_with_the_rows(api, world, django_assert_max_num_queries):
    for n in range(30):  # more answered surveys with comments, and more cases
        case = Case.objects.create(
            **{
                f.name: getattr(world.cases["a1"], f.name)
                for f in Case._meta.concrete_fields
                if f.name not in ("id", "number", "reply_token")
            },
            number=f"MORE-{n}",
        )
        case.surveys.create(
            respondent=world.acme_dsu, created_at=datetime(2026, 6, 5, tzinfo=UTC), rating="good", comment=f"Fine {n}",
            answered_at=datetime(2026, 6, 5, 1, n, tzinfo=UTC),
        )  # fmt: skip

    # The two reads of "support manager" (the user's and the groups' permissions), then the rows in one
    # query however many.
    with django_assert_max_num_queries(3):
        comments = table(api.get(reverse("report-satisfaction-comments-csv"), PERIOD))
    with django_assert_max_num_queries(1):
        cases = table(api.get(reverse("report-cases-csv")))

    assert len(comments) == 1 + 4 + 30
    assert len(cases) == 1 + 13 + 30
