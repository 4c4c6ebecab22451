"""The reports dashboard in a real browser (Debian's Chromium through Playwright), under the Content
Security Policy: a support manager signs in and opens it; its SVG charts render with the numbers of
the hand-built data set, its stylesheet applies, and not one CSP violation is reported.

The screenshot test draws a few months of plausible history. It saves ``dashboard.png`` under
``$CASEDESK_SCREENSHOTS_DIR`` when set (``make screenshots`` sets it to ``docs/screenshots``), else
under ``artifacts/screenshots`` (git-ignored), so ordinary runs never rewrite the documentation.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.admin.test_browser import PASSWORD, chromium, site  # noqa: F401  (fixtures)
from tests.reports.history import support_history
from tests.security.test_pages_load_under_csp_in_the_browser import sign_in, watched  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD_QUERY = "from=2026-06-01&to=2026-06-09"


def _with_password(user) -> None:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])


def value_of(page, chart: str, series: str, category: str) -> str:
    return page.get_attribute(f'#{chart} [data-series="{series}"][data-category="{category}"]', "data-value")


def test_the_dashboard_draws_the_reports_without_a_violation(watched, site, world):  # noqa: F811
    from playwright.sync_api import expect

    page = watched.page
    _with_password(world.max)
    sign_in(watched, site, "max")

    page.goto(f"{site}/admin/")
    page.click("a[href='/admin/reports/dashboard/']")
    expect(page.locator("#report-sla h2")).to_have_text("SLA attainment by week")
    page.goto(f"{site}/admin/reports/dashboard/?{PERIOD_QUERY}")

    # The worked numbers of tests/reports/test_numbers.py, as the browser drew them.
    assert value_of(page, "chart-sla", "first_response", "2026-W23") == "0.6"
    assert value_of(page, "chart-reopens", "closed", "2026-W23") == "4"
    assert value_of(page, "chart-escalations", "pending", "2026-W24") == "1"
    assert value_of(page, "chart-satisfaction", "bad", "2026-W23") == "2"
    assert value_of(page, "chart-load-open", "open", "Bob Builder") == "4"
    expect(page.locator("#chart-reopens text.rp-value").first).to_have_text("4")
    expect(page.locator("#chart-sla circle")).to_have_count(4)
    # The charts are laid out (SVG with a size) and coloured by the static stylesheet.
    assert page.locator("#chart-sla").bounding_box()["width"] > 300
    good = page.locator("#chart-satisfaction rect.rp-good").first
    assert good.evaluate("el => getComputedStyle(el).fill") == "rgb(46, 125, 50)"
    # The filter form works: Bouquet only.
    page.select_option("#id_company", label="Bouquet SARL")
    page.click("#report-filters button[type=submit]")
    expect(page.locator("#report-period")).to_contain_text("Company: Bouquet SARL")
    assert value_of(page, "chart-reopens", "closed", "2026-W23") == "0"

    assert watched.problems() == []


def test_dashboard_screenshot(watched, site):  # noqa: F811
    from playwright.sync_api import expect

    from tests.factories import SupportManagerFactory

    support_history(now=datetime.now(UTC))
    manager = SupportManagerFactory(username="supportmanager", first_name="Sam", last_name="Manager")
    _with_password(manager)
    page = watched.page
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(watched, site, "supportmanager")

    page.goto(f"{site}/admin/reports/dashboard/")
    expect(page.locator("#chart-sla circle").first).to_be_visible()
    assert page.locator(".rp-empty").count() == 0  # every chart has something to show

    target = Path(
        os.environ.get("CASEDESK_SCREENSHOTS_DIR") or Path(settings.BASE_DIR) / "artifacts" / "screenshots"
    )
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=target / "dashboard.png", full_page=True)
    assert (target / "dashboard.png").stat().st_size > 10_000
    assert watched.problems() == []
