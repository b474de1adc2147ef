"""The review desk in a real browser: sign in, the queue, a diff, approve, publish, a stale page.

Chromium from Debian, driven by Playwright; skipped with a message where either is
missing. Every wait is for a state of the page, with generous timeouts.
"""

from __future__ import annotations

import re

import pytest

from cms.articles.models import Article, ArticleStatus
from cms.core.extensions import db
from tests.desk.conftest import screenshot
from tests.servers import call

pytestmark = pytest.mark.live

PORT_HEADLINE = "Koper dock workers strike, halting container traffic"
EDITOR = ("editor@demo.newsroom", "demo-editor-pass")
REPORTER = ("reporter@demo.newsroom", "demo-reporter-pass")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/desk/")
    page.wait_for_url(re.compile(r"/desk/signin"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/desk/$"))


def open_story(page, headline: str = PORT_HEADLINE) -> None:
    page.get_by_role("link", name=headline).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    expect(page.locator(".diff-review")).to_be_visible()


def article_id(headline: str) -> int:
    db.session.remove()
    articles = db.session.scalars(db.select(Article))
    return next(a.id for a in articles if a.head.headline == headline)


def api_token(base_url: str, email: str, password: str) -> dict[str, str]:
    status, _, body = call(
        "POST", f"{base_url}/api/v1/auth/tokens", {"email": email, "password": password}
    )
    assert status == 201
    return {"Authorization": f"Bearer {body['token']}"}


def test_sign_in_review_a_diff_approve_and_publish(desk_page, desk_server):
    page = desk_page
    sign_in(page, *EDITOR)
    in_review = page.locator('[data-queue="in_review"]')
    expect(in_review.get_by_role("link", name=PORT_HEADLINE)).to_be_visible()
    expect(page.locator('[data-queue="published"]').get_by_role("link")).to_have_count(1)
    expect(page.locator('[data-queue="scheduled"]')).to_contain_text("New ferry timetable")
    expect(page.locator('[data-queue="withdrawn"]')).to_contain_text("recalls honey")
    screenshot(page, "queue-1280")

    open_story(page)
    diff = page.locator(".diff-view")
    # Revision 3 against revision 2 by default (nothing is published): the dateline as
    # readers see it, the agency deleted and inserted with signs and spoken words.
    expect(diff.locator(".diff-side-old")).to_contain_text("revision 2")
    expect(diff.locator(".diff-side-new")).to_contain_text("revision 3")
    expect(diff.locator(".diff-side-new")).to_contain_text("Agency credit; shorter headline")
    dateline = diff.locator(".diff-field-dateline")
    expect(dateline).to_contain_text("KOPER, Slovenia (")
    expect(dateline.locator("del")).to_contain_text("Newsroom Wire")
    expect(dateline.locator("ins")).to_contain_text("Reuters")
    expect(dateline.locator("ins .visually-hidden").first).to_have_text("[inserted: ")

    # The editor's move, from revision 1: marked at both places; unchanged runs collapsed.
    page.get_by_label("From").select_option("1")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(diff.locator(".diff-side-old")).to_contain_text("revision 1")
    expect(diff.locator(".diff-moved-from")).to_contain_text("moved from here to paragraph 3")
    expect(diff.locator(".diff-move")).to_contain_text("moved here from paragraph 8")
    page.get_by_label("Context paragraphs").select_option("1")
    page.get_by_role("button", name="Compare", exact=True).click()
    collapsed = diff.locator("details.diff-collapsed").first
    expect(collapsed).to_be_visible()
    collapsed.locator("summary").click()
    expect(collapsed).to_have_attribute("open", "")
    all_fields = diff.locator("details.diff-all-fields")
    all_fields.locator("summary").click()
    expect(all_fields).to_contain_text("By Tomas Rivera, Newsroom Wire")
    screenshot(page, "diff-inline-1280")
    page.get_by_label("Side by side").check()
    expect(diff.locator(".diff-side-by-side")).to_be_visible()
    screenshot(page, "diff-side-by-side-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(diff.locator(".diff-side-by-side")).to_be_visible()
    screenshot(page, "diff-side-by-side-390")
    screenshot(page, "diff-side-by-side-390-view", diff)
    page.get_by_label("Inline").check()
    expect(diff.locator(".diff-inline")).to_be_visible()
    screenshot(page, "diff-inline-390")
    screenshot(page, "diff-inline-390-view", diff)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A note beside the diff, anchored to the revision compared and a paragraph.
    page.get_by_label("Note", exact=True).fill("Check the ship count with the port.")
    page.get_by_label("About paragraph (optional)").fill("4")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note-list")).to_contain_text("on revision 3, paragraph 4")
    expect(diff.locator('[data-new="4"] .note-flag')).to_have_text("1 note")

    # Only what the editor may do now; each action sends the ETag on screen.
    actions = page.locator(".action-buttons")
    expect(actions.get_by_role("button")).to_have_text(["Approve", "Reject"])
    actions.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("button", name="Send approval").click()
    expect(page.locator(".action-result")).to_contain_text("Approve: done")
    expect(actions.get_by_role("button", name="Publish", exact=True)).to_be_visible()
    actions.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".action-result")).to_contain_text("now published")
    expect(page.locator(".stamps")).to_contain_text("First published")

    db.session.remove()
    assert db.session.get(Article, article_id(PORT_HEADLINE)).status == ArticleStatus.PUBLISHED
    assert page.console.unexpected() == []


def test_a_stale_page_is_refused_and_explained(desk_page, desk_server):
    page = desk_page
    story = article_id(PORT_HEADLINE)
    maria = api_token(desk_server, "maria@demo.newsroom", "demo-maria-pass")
    status, _, present = call(
        "PUT", f"{desk_server}/api/v1/articles/{story}/presence", {"activity": "editing"}, maria
    )
    assert status == 200
    sign_in(page, *EDITOR)
    open_story(page)
    since = present["items"][0]["since_display"]
    expect(page.locator(".presence")).to_have_text(f"Maria Lopez is editing (since {since})")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "story-top-390", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The reporter edits the story while the editor looks at revision 3.
    headers = api_token(desk_server, *REPORTER)
    _, response_headers, _ = call("GET", f"{desk_server}/api/v1/articles/{story}", None, headers)
    status, _, _ = call(
        "PATCH",
        f"{desk_server}/api/v1/articles/{story}",
        {"headline": "Koper dockers strike for a second day", "message": "New top"},
        {**headers, "If-Match": response_headers["ETag"]},
    )
    assert status == 200

    page.locator(".action-buttons").get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("button", name="Send approval").click()
    problem = page.get_by_role("alert").filter(has_text="This story changed since you opened it")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("now at revision 4")
    expect(problem.locator("ins")).to_contain_text("second day")
    screenshot(page, "stale-1280")

    db.session.remove()
    article = db.session.get(Article, story)
    assert article.status == ArticleStatus.IN_REVIEW  # refused, and not retried
    assert article.approved_revision_number is None
    page.get_by_role("button", name="Reload the story").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Koper dockers strike for a second day"
    )
    # The browser reports the refused request itself; nothing else may be an error.
    assert page.console.unexpected("status of 412") == []


def test_a_state_changed_under_the_page_is_a_412_too(desk_page, desk_server):
    page = desk_page
    sign_in(page, *EDITOR)
    open_story(page)
    story = article_id(PORT_HEADLINE)
    # Another editor sends it back behind this page's back: same text, new state.
    headers = api_token(desk_server, "admin@demo.newsroom", "demo-admin-pass")
    _, response_headers, _ = call("GET", f"{desk_server}/api/v1/articles/{story}", None, headers)
    status, _, _ = call(
        "POST",
        f"{desk_server}/api/v1/articles/{story}/reject",
        {"reason": "Needs the ministry's reaction"},
        {**headers, "If-Match": response_headers["ETag"]},
    )
    assert status == 200

    page.locator(".action-buttons").get_by_role("button", name="Reject", exact=True).click()
    page.get_by_label("Reason").fill("Too thin")
    page.get_by_role("button", name="Send rejection").click()
    problem = page.get_by_role("alert").filter(has_text="changed since you opened it")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("it is now draft")
    assert page.console.unexpected("status of 412") == []


def test_a_refused_action_says_what_is_allowed_now(desk_page, desk_server):
    page = desk_page
    sign_in(page, *EDITOR)
    open_story(page, "Ljubljana tram strike enters second day as talks stall")
    # A button list gone stale while the ETag did not (the desk shows only allowed
    # actions, so the test makes the stale list itself): the API answers 409.
    page.evaluate("story.allowed = ['publish']; renderActions()")
    page.locator(".action-buttons").get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("button", name="Publish now").click()
    problem = page.get_by_role("alert").filter(has_text="Not possible in the story's state")
    expect(problem).to_be_visible()
    expect(problem.locator(".allowed-now")).to_have_text("Allowed now: Approve, Withdraw.")
    expect(page.locator(".action-buttons").get_by_role("button")).to_have_text(
        ["Approve", "Withdraw"]
    )
    screenshot(page, "conflict-1280")
    assert page.console.unexpected("status of 409") == []


def test_the_queue_and_the_actions_work_with_the_keyboard_alone(desk_page, desk_server):
    page = desk_page
    page.goto("/desk/signin")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(EDITOR[0])
    page.keyboard.press("Tab")
    page.keyboard.type(EDITOR[1])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/$"))
    expect(page.locator('[data-queue="in_review"] a').first).to_be_visible()

    def tab_to(locator, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if locator.evaluate("node => node === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {locator}")

    tab_to(page.locator('[data-queue="in_review"]').get_by_role("link", name=PORT_HEADLINE))
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(PORT_HEADLINE)
    expect(page.locator(".action-buttons button").first).to_be_visible()

    approve = page.locator(".action-buttons").get_by_role("button", name="Approve", exact=True)
    tab_to(approve, limit=120)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Comment (optional)")).to_be_focused()
    page.keyboard.type("Good to go")
    tab_to(page.get_by_role("button", name="Send approval"))
    page.keyboard.press("Enter")
    expect(page.locator(".action-result")).to_contain_text("Approve: done")
    assert page.console.unexpected() == []


def test_search_and_sign_out(desk_page, desk_server):
    page = desk_page
    sign_in(page, *EDITOR)
    page.get_by_label("Search stories").fill("ferry")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("region", name="Search results")
    expect(results.get_by_role("link")).to_have_text(
        ["New ferry timetable links Piran and Venice twice a day"]
    )
    expect(page.get_by_role("status").first).to_contain_text("1 story matches")
    expect(page.locator(".whoami")).to_have_text("Signed in as Elena Marsh (editor)")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/desk/signin"))
    page.goto("/desk/")
    page.wait_for_url(re.compile(r"/desk/signin"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.console.unexpected() == []
