"""The analyst workspace in Chromium (Debian's, through Playwright), one test per point of issue 19:
a keyboard-only walk through a queue, the shortcuts overlay, macros inserted in place, files on a
reply, times in the browser's zone, presence and a reply held back, saved views, the manager
screens, and the layout at 1280 and 1920 px.

``make screenshots`` runs this module with ``CASEDESK_SCREENSHOTS=docs/screenshots``: the pictures
in README's analyst section are taken here; an ordinary test run takes none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import AuthorizationRequest, User
from cases.models import Attachment, Case, CaseStatus, Comment, SavedView
from cases.services import comment_create
from notifications.models import Notification
from tests.admin.test_browser import PASSWORD, TIMEOUT_MS, chromium, demo, site  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("CASEDESK_SCREENSHOTS", "")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# A word of the issue-recorder macro in each customer language (its text, not its title).
RECORDER_WORD = {"en": "recorder", "fr": "enregistreur", "es": "grabadora"}


def shoot(page, name: str, part: str = "") -> None:
    """A screenshot for README (the window from the top, or one ``part`` of the page), only when
    ``make screenshots`` asks for them."""
    if not SCREENSHOTS:
        return
    folder = Path(settings.BASE_DIR) / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    if part:
        page.locator(part).screenshot(path=folder / f"{name}.png")
        return
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=folder / f"{name}.png", full_page=False)


def open_context(chromium, *, width=1440, height=900, zone="Europe/Paris"):  # noqa: F811
    context = chromium.new_context(viewport={"width": width, "height": height}, timezone_id=zone)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def sign_in(page, base_url: str, username: str) -> None:
    """Signs in with the keyboard only (the username box has focus when the login page opens)."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # The admin index, with the workspace script run (its keys are live once <html> has "cd-js"): the
    # login page has a #site-name too, and a key pressed before the script runs does nothing.
    page.wait_for_url(f"{base_url}/admin/")
    page.wait_for_selector("html.cd-js", state="attached")


def test_keyboard_only_walk_from_the_queue_to_the_next_case(chromium, demo):  # noqa: F811
    """Open the queue, open the first case, insert a macro, reply and go to the next case: keys only."""
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")

    page.keyboard.press("q")  # the queue tabs of the workspace panel
    expect(page.locator("#queue-mine")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#queue-unassigned")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    numbers = page.locator("#result_list tbody tr th.field-number a").all_inner_texts()
    expect(page.locator("#result_list tbody tr").first).to_have_class(re.compile("cd-cursor"))
    shoot(page, "case-list")

    page.keyboard.press("Enter")  # the row under the cursor: the first
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[0])
    # Focus lands in the reply box: autofocus applies on a later frame, so wait for it.
    expect(page.locator("#id_body")).to_be_focused()
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads

    page.keyboard.type("Thank you for the details.")
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    expect(page.locator("#cd-macro-search")).to_be_focused()
    first = Case.objects.select_related("company").get(number=numbers[0])
    word = RECORDER_WORD[first.company.language]
    page.keyboard.type(word)
    # The list the search answered (not the one the page opened with), with the one macro that matches.
    expect(page.locator(f'#cd-macro-list .cd-macro-item[data-query="{word}"]')).to_have_count(1)
    expect(page.locator("#cd-macro-list .cd-macro-item")).to_have_count(1)
    shoot(page, "macro-picker", "#reply")
    page.keyboard.press("Enter")
    expect(page.locator("#cd-macro-effects")).to_be_visible()
    expect(page.locator("#id_body")).to_be_focused()
    text = page.input_value("#id_body")
    assert text.startswith("Thank you for the details.\n\n") and first.number in text
    assert page.evaluate("() => window.sameDocument") is True  # inserted in place, typed text kept
    shoot(page, "case-page")

    page.keyboard.press("Control+Shift+Enter")  # send, then the next case of the queue
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[1])
    expect(page.locator(".messagelist")).to_contain_text(f"{numbers[0]}: public reply sent.")
    assert "_changelist_filters=worklist%3Dunassigned" in page.url
    reply = Comment.objects.get(case=first)
    assert reply.body == text and not reply.is_internal
    page.context.close()


def test_shortcuts_overlay_and_transition_keys(chromium, demo):  # noqa: F811
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")
    case = demo["cases"][0]
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/?_changelist_filters=worklist%3Dunassigned")
    page.keyboard.press("Escape")  # out of the reply box: single keys act

    page.keyboard.press("?")
    dialog = page.locator("#cd-shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Take case & start → In progress")
    expect(dialog).to_contain_text("Shift+1")
    shoot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("1")  # the first transition offered: take the case
    expect(page.locator(".messagelist")).to_contain_text("Take case & start done; now 'In progress'")
    case.refresh_from_db()
    assert (case.status, case.assignee.username) == (CaseStatus.IN_PROGRESS, "analyst")
    page.keyboard.press("Escape")
    page.keyboard.press("j")  # the next case of the queue it was opened from
    expect(page.locator(".cd-header .cd-number")).not_to_have_text(case.number)
    page.context.close()


def test_the_remaining_case_keys_move_between_boxes_cases_and_the_queue(chromium, demo):  # noqa: F811
    """n (note), r (reply), / (search), j / k (next / previous), u (back to the queue), and
    Shift+digit (a transition, then the next case)."""
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")
    page.goto(f"{demo['url']}/admin/cases/case/?worklist=unassigned")
    numbers = page.locator("#result_list tbody tr th.field-number a").all_inner_texts()
    page.keyboard.press("Enter")
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[0])
    expect(page.locator("#id_body")).to_be_focused()

    for key, box in (("n", "#id_note_body"), ("r", "#id_body"), ("/", "#cd-search")):
        page.keyboard.press("Escape")
        page.keyboard.press(key)
        expect(page.locator(box)).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[1])
    page.keyboard.press("Escape")
    page.keyboard.press("k")
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[0])

    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Digit1")  # take the case, then the next one of the queue
    expect(page.locator(".cd-header .cd-number")).to_have_text(numbers[1])
    taken = Case.objects.get(number=numbers[0])
    assert (taken.status, taken.assignee.username) == (CaseStatus.IN_PROGRESS, "analyst")
    assert "_changelist_filters=worklist%3Dunassigned" in page.url

    page.keyboard.press("Escape")
    page.keyboard.press("u")
    expect(page).to_have_url(re.compile(r"/admin/cases/case/\?worklist=unassigned"))
    expect(page.locator("#result_list tbody tr")).to_have_count(2)  # the taken case left the queue
    page.context.close()


def test_files_attached_to_a_reply(chromium, demo):  # noqa: F811
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")
    case = demo["cases"][1]
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/")

    page.fill("#id_body", "Voici la capture et le journal.")
    page.set_input_files(
        "#id_reply_attachments",
        [
            {"name": "capture.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "export.log", "mimeType": "text/plain", "buffer": b"line 1\nline 2\n"},
        ],
    )
    page.click("#send-reply")

    expect(page.locator(".messagelist")).to_contain_text("public reply sent; 2 files attached.")
    expect(page.locator(".cd-comment .cd-attachment a")).to_have_text(["capture.png", "export.log"])
    assert set(Attachment.objects.filter(case=case).values_list("filename", flat=True)) == {
        "capture.png",
        "export.log",
    }
    page.context.close()


def test_more_files_than_a_message_may_carry_are_stopped_in_the_browser(chromium, demo):  # noqa: F811
    """Django would refuse the whole form (and the typed text with it): the script says so first."""
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")
    case = demo["cases"][1]
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/")
    most = settings.DATA_UPLOAD_MAX_NUMBER_FILES

    page.fill("#id_body", "Tous les journaux.")
    page.set_input_files(
        "#id_reply_attachments",
        [{"name": f"{n}.log", "mimeType": "text/plain", "buffer": b"x"} for n in range(most + 1)],
    )
    page.click("#send-reply")

    files = page.locator("#id_reply_attachments")
    expect(files).to_have_js_property(
        "validationMessage", f"{most + 1} files: at most {most} may go with one message."
    )
    expect(page.locator("#id_body")).to_have_value("Tous les journaux.")
    assert not Comment.objects.filter(case=case).exists()
    page.set_input_files(
        "#id_reply_attachments",
        [{"name": f"{n}.log", "mimeType": "text/plain", "buffer": b"x"} for n in range(most)],
    )
    page.click("#send-reply")
    expect(page.locator(".messagelist")).to_contain_text(f"public reply sent; {most} files attached.")
    page.context.close()


def test_times_are_in_the_browsers_zone_then_in_the_chosen_one(chromium, demo):  # noqa: F811
    from playwright.sync_api import expect

    page = open_context(chromium, zone="Asia/Tokyo")
    sign_in(page, demo["url"], "analyst")
    case = demo["cases"][0]
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/")

    expect(page.locator(".cd-casebar .cd-zone")).to_contain_text("Asia/Tokyo (your browser's)")
    opened = page.locator(".cd-meta time").first
    expect(opened).to_contain_text("JST")
    expect(page.locator(".cd-sla-table .cd-due time").first).to_contain_text(re.compile(r"due \S+"))

    page.goto(f"{demo['url']}/admin/cases/analystprofile/me/preferences/")
    page.select_option("#id_time_zone", "America/New_York")
    page.click("#save-preferences")
    expect(page.locator("#cd-current-zone")).to_have_text("America/New_York (your setting)")
    page.goto(f"{demo['url']}/admin/cases/case/{case.pk}/change/")
    expect(page.locator(".cd-meta time").first).to_contain_text(re.compile(r"E[SD]T"))
    page.context.close()


def test_two_analysts_see_each_other_and_a_reply_meanwhile_is_held(chromium, demo, monkeypatch):  # noqa: F811
    from playwright.sync_api import expect

    monkeypatch.setattr("cases.admin.workspace.case_page.PRESENCE_HEARTBEAT_SECONDS", 1)
    case = demo["cases"][2]
    url = f"{demo['url']}/admin/cases/case/{case.pk}/change/"
    mine = open_context(chromium)
    sign_in(mine, demo["url"], "analyst")
    mine.goto(url)
    theirs = open_context(chromium)
    sign_in(theirs, demo["url"], "supportmanager")
    theirs.goto(url)

    expect(theirs.locator(".cd-viewing")).to_contain_text("Also viewing: Alex Analyst")
    expect(mine.locator(".cd-viewing")).to_contain_text("Also viewing: Sam Lead")  # by polling

    mine.fill("#id_body", "Estamos revisando el informe.")
    comment_create(case=case, author=User.objects.get(username="supportmanager"), body="Ya lo miro yo.")
    expect(mine.locator("#cd-newer")).to_contain_text("1 new comment since this page opened (Sam Lead)")
    shoot(mine, "collision")
    mine.click("#send-reply")
    expect(mine.locator(".messagelist")).to_contain_text("Not sent: Sam Lead wrote on")
    expect(mine.locator("#id_body")).to_have_value("Estamos revisando el informe.")
    mine.click("#send-reply")
    expect(mine.locator(".messagelist")).to_contain_text("public reply sent.")
    assert list(Comment.objects.filter(case=case).values_list("body", flat=True)) == [
        "Ya lo miro yo.",
        "Estamos revisando el informe.",
    ]
    mine.context.close()
    theirs.context.close()


def test_an_analyst_saves_the_current_list_as_a_shared_view(chromium, demo):  # noqa: F811
    from playwright.sync_api import expect

    page = open_context(chromium)
    sign_in(page, demo["url"], "analyst")
    page.goto(f"{demo['url']}/admin/cases/case/?worklist=unassigned&company__plan_tier__exact=gold")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    page.click(".cd-save-view summary")
    page.fill("#id_name", "Gold, waiting")
    page.check("#id_is_shared")
    page.click("#save-view")

    tab = page.locator(".cd-saved-view a.cd-active")
    expect(tab).to_contain_text("Gold, waiting")
    expect(page.locator(".messagelist")).to_contain_text("shared with the team")
    view = SavedView.objects.get()
    assert (view.query, view.is_shared) == ("company__plan_tier__exact=gold&worklist=unassigned", True)
    page.click("#queue-all")
    page.click(".cd-saved-view a")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.context.close()


def test_support_manager_decides_a_request_with_a_reason_and_reads_the_outbox(chromium, demo):  # noqa: F811
    from playwright.sync_api import expect

    request = demo["request"]
    page = open_context(chromium, width=1440)
    sign_in(page, demo["url"], "supportmanager")

    page.goto(f"{demo['url']}/admin/accounts/authorizationrequest/{request.pk}/change/")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    page.fill("#id_reason", "Confirmed with the company's manager by phone.")
    shoot(page, "authorisation-request", "#content")
    page.click("#approve-request")
    expect(page.locator(".messagelist")).to_contain_text(f"#{request.pk}: approved.")
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (
        AuthorizationRequest.Status.APPROVED,
        "Confirmed with the company's manager by phone.",
    )

    Notification.objects.filter(pk=Notification.objects.order_by("pk").values("pk")[:1]).update(
        status=Notification.Status.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: {'fanny@bouquet-fr.example': (550, b'5.1.1 mailbox unavailable')}",
    )
    page.goto(f"{demo['url']}/admin/notifications/notification/")
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    expect(page.locator(".cd-outbox-status-failed")).to_have_count(1)
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers[1:]] == [
        "created",
        "case",
        "what",
        "channel",
        "to",
        "status",
        "attempts",
        "last error",
    ]
    overflow = page.evaluate(
        "() => { const r = document.querySelector('.results'); return r.scrollWidth - r.clientWidth; }"
    )
    assert overflow <= 0  # every column fits at 1440 px
    shoot(page, "outbox")
    page.context.close()


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_layout_fits_at_1280_and_1920(chromium, demo, width):  # noqa: F811
    page = open_context(chromium, width=width)
    sign_in(page, demo["url"], "analyst")

    page.goto(f"{demo['url']}/admin/cases/case/")
    fit = page.evaluate(
        """() => {
        const results = document.querySelector('.results');
        const line = parseFloat(getComputedStyle(document.querySelector('#result_list td.field-subject, #result_list th.field-subject')).lineHeight);
        const subjects = [...document.querySelectorAll('#result_list .field-subject')].map(cell => cell.getBoundingClientRect().height);
        return {
            table: results.scrollWidth - results.clientWidth,
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            line, tallest: Math.max(...subjects),
        };
    }"""
    )
    assert fit["table"] <= 0 and fit["page"] <= 0  # no horizontal scrollbar
    assert fit["tallest"] <= 2 * fit["line"] + 24  # a subject takes one or two lines (plus padding)
    if width == 1920:
        shoot(page, "case-list-1920")

    page.goto(
        f"{demo['url']}/admin/cases/case/{demo['cases'][0].pk}/change/?_changelist_filters=worklist%3Dall"
    )
    columns = page.evaluate(
        "() => [getComputedStyle(document.querySelector('.cd-columns')).gridTemplateColumns.split(' ').length,"
        " document.documentElement.scrollWidth - document.documentElement.clientWidth]"
    )
    assert columns == [2, 0]  # the case and its side panel side by side, nothing wider than the window
    page.context.close()
