"""Rule: the admin and the API docs work in a real browser under the Content Security Policy, with
not one violation.

Chromium (Debian's, through Playwright) reports every violation as a ``securitypolicyviolation``
event, which an init script forwards to the test, and as a console error, which the test also
collects. An analyst signs in, opens the changelist and a case and takes it; the Swagger UI loads
the schema and expands an operation. A last test makes sure the listener does see a violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.admin.test_browser import PASSWORD, TIMEOUT_MS, chromium, demo, site  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each violation goes to the test (across navigations) and stays on the page (read synchronously).
LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.effectiveDirective, blocked: event.blockedURI, page: event.documentURI,
    source: event.sourceFile, line: event.lineNumber, sample: event.sample,
  };
  window.cspViolations.push(violation);
  window.reportCspViolation(violation);
});
"""


@dataclass
class Watched:
    page: Any
    violations: list[dict] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def problems(self) -> list[object]:
        on_this_page = self.page.evaluate("() => window.cspViolations")
        return [*self.violations, *on_this_page, *self.console]


@pytest.fixture
def watched(chromium) -> Iterator[Watched]:  # noqa: F811  (the imported fixture)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Watched(page)
    context.expose_function("reportCspViolation", lambda violation: watched.violations.append(violation))
    context.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            watched.console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    try:
        yield watched
    finally:
        context.close()


def sign_in(watched: Watched, base_url: str, username: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_the_admin_works_without_a_violation(watched, demo):  # noqa: F811
    from playwright.sync_api import expect

    page, case = watched.page, demo["cases"][0]
    sign_in(watched, demo["url"], "analyst")
    expect(page.locator("#queue-unassigned .cd-count")).to_have_text("3")
    # The workspace's own stylesheet applies (it was an inline <style> before the policy).
    assert page.eval_on_selector("#queue-unassigned", "el => getComputedStyle(el).borderRadius") == "16px"

    page.goto(f"{demo['url']}/admin/cases/case/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.check("#action-toggle")  # the admin's own scripts run: "select all" ticks every row
    expect(page.locator("input[name=_selected_action]:checked")).to_have_count(3)

    page.click(f"#result_list a:text-is('{case.number}')")
    expect(page.locator(".cd-header h1")).to_contain_text(case.subject)
    assert page.eval_on_selector(".cd-columns", "el => getComputedStyle(el).display") == "grid"
    page.click("button[data-transition=start]")
    expect(page.locator(".messagelist")).to_contain_text("Take case & start done; now 'In progress'")

    assert watched.problems() == []


def test_the_api_docs_work_without_a_violation(watched, site):  # noqa: F811
    from playwright.sync_api import expect

    page = watched.page
    page.goto(f"{site}/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()  # Swagger UI ran and rendered the fetched schema
    assert operations.count() > 40
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()

    assert watched.problems() == []


def test_the_listener_sees_a_violation(watched, site):  # noqa: F811
    page = watched.page
    page.goto(f"{site}/admin/login/")

    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )

    page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("() => window.ran") is None
    assert next(v["directive"] for v in watched.problems() if isinstance(v, dict)) == "script-src-elem"


def test_the_analyst_workspace_and_manager_screens_work_without_a_violation(watched, demo, monkeypatch):  # noqa: F811
    """htmx (macro search and insertion, presence polling), the shortcuts dialog, the time zone
    settings, the authorisation request page and the outbox list (issue 19)."""
    from playwright.sync_api import expect

    monkeypatch.setattr("cases.admin.workspace.case_page.PRESENCE_HEARTBEAT_SECONDS", 1)
    page, case = watched.page, demo["cases"][0]
    sign_in(watched, demo["url"], "supportmanager")
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/?_changelist_filters=worklist%3Dunassigned")
    page.fill("#id_body", "Hello")
    page.fill("#cd-macro-search", "recorder")
    expect(page.locator("#cd-macro-list .cd-macro-item")).to_have_count(1)  # htmx swapped the list
    page.click("#cd-macro-list .cd-macro-item")
    expect(page.locator("#cd-macro-effects")).to_be_visible()  # htmx swapped the composer's text
    with page.expect_response(lambda response: "/presence/" in response.url):
        pass  # the presence poll ran (and its answer was swapped in)
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("#cd-shortcuts")).to_be_visible()
    page.keyboard.press("Escape")

    page.goto(f"{demo['url']}/admin/cases/analystprofile/me/preferences/")
    page.goto(f"{demo['url']}/admin/accounts/authorizationrequest/{demo['request'].pk}/change/")
    expect(page.locator("#approve-request")).to_be_visible()
    page.goto(f"{demo['url']}/admin/notifications/notification/")
    expect(page.locator("#result_list")).to_be_visible()

    assert watched.problems() == []
