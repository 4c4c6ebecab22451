"""The staff inbox in a real browser: an analyst sees the unread count in the header, opens the inbox,
clicks through to a case, and the count drops (Playwright driving Debian's Chromium)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import AgentNotice, Case
from cases.services import comment_create
from tests.admin.test_browser import PASSWORD, SCREENSHOTS, chromium, login, site  # noqa: F401 (fixtures)
from tests.factories import AnalystFactory, CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_sees_the_unread_count_opens_the_inbox_and_reads_a_case(chromium, site):  # noqa: F811
    from playwright.sync_api import expect

    analyst = AnalystFactory(username="inbox.analyst", first_name="Ines", last_name="Box")
    analyst.set_password(PASSWORD)
    analyst.save(update_fields=["password"])
    start = timezone.now() - timedelta(hours=1)
    older = CaseFactory(status=Case.Status.IN_PROGRESS, assignee=analyst, subject="Ledger locked")
    newer = CaseFactory(status=Case.Status.IN_PROGRESS, assignee=analyst, subject="Export stops")
    comment_create(case=older, author=older.opened_by, body="Here is the log you asked for.", now=start)
    comment_create(
        case=newer, author=newer.opened_by, body="It stops at line 42.", now=start + timedelta(minutes=5)
    )
    comment_create(
        case=newer, author=newer.opened_by, body="And again today.", now=start + timedelta(minutes=9)
    )

    page = login(chromium, site, "inbox.analyst")
    expect(page.locator("#agent-inbox .cd-inbox-count")).to_have_text("3")

    page.click("#agent-inbox")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#result_list tbody tr").first).to_contain_text("And again today.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "inbox.png", full_page=True)

    page.locator("#result_list tbody tr").first.locator("a.cd-notice-case").click()
    expect(page.locator(".cd-header h1")).to_contain_text("Export stops")
    expect(page.locator("#agent-inbox .cd-inbox-count")).to_have_text("1")  # that case's two are read

    page.click("#agent-inbox")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Here is the log")  # unread first
    expect(page.locator("#result_list .cd-notice-unread")).to_have_count(1)
    expect(page.locator("#result_list .cd-notice-read")).to_have_count(2)
    assert list(AgentNotice.objects.filter(read_at__isnull=True).values_list("case", flat=True)) == [older.pk]
