"""The support managers' dashboard in the admin: who opens it, the numbers its charts carry (the same as
the API's, on the hand-built data set), its filters and its queries."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.factories import AnalystFactory, CaseFactory
from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:reports_dashboard_changelist"


@pytest.fixture
def manager_client(client, world, frozen_now):
    client.force_login(world.max)
    return client


def chart(page: str, chart_id: str) -> dict[tuple[str, str], str]:
    """(series, category) → value of every mark of one chart of the page."""
    svg = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert svg, f"no chart {chart_id}"
    marks = re.findall(r'data-series="([^"]*)" data-category="([^"]*)" data-value="([^"]*)"', svg.group(0))
    return {(series, html.unescape(category)): value for series, category, value in marks}


def test_the_charts_carry_the_reports_numbers(manager_client):
    response = manager_client.get(reverse(DASHBOARD), PERIOD)

    assert response.status_code == 200
    page = response.content.decode()
    # SLA attainment per week (test_numbers): W23 first response 3/5, resolution 1/2; W24 1/1 and 0/1.
    assert chart(page, "chart-sla") == {
        ("first_response", "2026-W23"): "0.6",
        ("resolution", "2026-W23"): "0.5",
        ("first_response", "2026-W24"): "1",
        ("resolution", "2026-W24"): "0",
    }
    # Response times: p50/p90 in seconds, P1 first response 1,200 / 4,680 s.
    times = chart(page, "chart-times-first_response")
    assert (times["p50", "First response P1"], times["p90", "First response P1"]) == ("1200", "4680")
    assert ("p50", "First response P3") not in times  # no timer: no bar
    # Backlog: in progress 1 / 1 / 2 / 1 across the age buckets; open 2 at 1–3 days and 1 at 30+.
    backlog = chart(page, "chart-backlog")
    assert [backlog[f"age-{code}", "In progress"] for code in ("under_1d", "1d_3d", "3d_7d", "7d_30d")] == [
        "1",
        "1",
        "2",
        "1",
    ]
    assert (backlog["age-1d_3d", "Open"], backlog["age-30d_plus", "Open"]) == ("2", "1")
    assert chart(page, "chart-reopens") == {
        ("closed", "2026-W23"): "4",
        ("reopened", "2026-W23"): "2",
        ("closed", "2026-W24"): "2",
        ("reopened", "2026-W24"): "1",
    }
    escalations = chart(page, "chart-escalations")
    assert [escalations[k, "2026-W24"] for k in ("accepted", "declined", "pending")] == ["1", "0", "1"]
    satisfaction = chart(page, "chart-satisfaction")
    assert (satisfaction["good", "2026-W23"], satisfaction["bad", "2026-W23"]) == ("1", "2")
    assert chart(page, "chart-load-open") == {
        ("open", "Bob Builder"): "4",
        ("open", "Ann Analyst"): "3",
        ("open", "Max Manager"): "0",
    }
    assert chart(page, "chart-load-replies")["replies", "Ann Analyst"] == "0.333333"
    # The summaries and the latest comments (escaped, shown as text).
    assert "4 / 2 (67%)" in page  # first response met / missed over the period
    assert "3 of 6 (50%)" in page  # reopen rate
    assert "=HYPERLINK(&quot;http://evil.test&quot;,&quot;x&quot;)" in page


def test_the_csv_links_carry_the_filters(manager_client, world):
    page = manager_client.get(reverse(DASHBOARD), {**PERIOD, "company": world.acme.pk, "priority": "P1"})

    text = page.content.decode()
    query = f"from=2026-06-01&amp;to=2026-06-09&amp;company={world.acme.pk}&amp;priority=P1"
    assert f'href="{reverse("report-backlog-csv")}?{query}"' in text
    assert (
        f'href="{reverse("report-cases-csv")}?created_after=2026-06-01T00%3A00%3A00Z&amp;'
        f"created_before=2026-06-10T00%3A00%3A00Z&amp;company={world.acme.pk}&amp;priority=P1" in text
    )


def test_the_filters_change_the_numbers(manager_client, world):
    page = manager_client.get(reverse(DASHBOARD), {**PERIOD, "company": world.bouquet.pk}).content.decode()

    assert chart(page, "chart-reopens") == {
        ("closed", "2026-W23"): "0",
        ("reopened", "2026-W23"): "0",
        ("closed", "2026-W24"): "1",
        ("reopened", "2026-W24"): "0",
    }


def test_a_reversed_period_is_said_and_the_default_shown(manager_client):
    response = manager_client.get(reverse(DASHBOARD), {"from": "2026-06-09", "to": "2026-06-01"})

    assert response.status_code == 200
    assert "The period starts (2026-06-09) after it ends (2026-06-01)." in response.content.decode()
    assert response.context["filters"].start.isoformat() == "2026-03-23"


def test_an_analyst_may_not_open_the_dashboard(client, world):
    client.force_login(AnalystFactory())

    response = client.get(reverse(DASHBOARD))
    index = client.get(reverse("admin:index"))

    assert response.status_code == 403
    assert reverse(DASHBOARD) not in index.content.decode()


def test_a_customer_is_sent_to_the_admin_login(client, world):
    client.force_login(world.acme_manager)

    response = client.get(reverse(DASHBOARD))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_links_the_dashboard_for_a_support_manager(manager_client):
    index = manager_client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse(DASHBOARD)}"' in index


def test_the_dashboard_queries_do_not_grow_with_the_data(
    manager_client, world, django_assert_max_num_queries
):
    # Session, user and the two permission reads of "support manager"; the 3 filter lists; the reports'
    # transaction (a savepoint and its release inside the test's transaction, the session settings on
    # PostgreSQL); the reports: attainment 2, times 2 (1 on SQLite), backlog 1, reopens 2, escalations
    # 2, satisfaction 2, load 3, latest comments 1; the weeks the summaries hold, once for each of the
    # summarised reports (attainment, response times, reopens, load's replies); the admin's header:
    # the staff member's time zone and their unread notices.
    with django_assert_max_num_queries(30) as first:
        manager_client.get(reverse(DASHBOARD), PERIOD)
    for _ in range(20):
        CaseFactory(
            company=world.acme, product_instance=world.cases["a2"].product_instance, assignee=world.bob
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        manager_client.get(reverse(DASHBOARD), PERIOD)
