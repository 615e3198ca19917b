"""The preview's live reload in a real browser (Debian's Chromium), under the page's own
Content-Security-Policy: an open tab follows an edit, shows a content mistake and recovers,
each within two seconds of the file being saved, with no policy violation on the way.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import TIMEOUT, Server, ServeSite, release
from tests.test_serve import RELEASE_PATH

FOLLOW_SECONDS = 2.0  # from saving a file to the open tab showing the result
# Records every CSP violation the page reports, before any of its own scripts run.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def preview(serve_site: ServeSite) -> tuple[Server, Path]:
    return serve_site(
        {
            "content/releases/hello.md": release("Hello"),
            "static/css/site.css": "body { color: #1b1b1b; }\n",
        }
    )


def open_tab(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """A tab on ``url`` whose reload stream is connected; also the console's errors."""
    page = browser.new_context().new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            errors.append(message.text)

    page.on("console", console)
    page.add_init_script(VIOLATIONS)
    with page.expect_response(lambda response: response.url.endswith("/__reload")) as stream:
        page.goto(url)
    assert stream.value.status == 200
    assert stream.value.headers["content-type"] == "text/event-stream"
    return page, errors


def seconds_until(page: Page, script: str) -> float:
    """Seconds from now until ``script`` is true in the tab (after reloads), at most TIMEOUT.

    Polled from here: Playwright's own wait_for_function evaluates text, which the page's
    policy (rightly) refuses.
    """
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        try:
            if page.evaluate(script):
                return time.monotonic() - started
        except PlaywrightError:  # the tab is between two documents
            pass
        time.sleep(0.02)
    raise AssertionError(f"not true after {TIMEOUT} s: {script}")


def test_an_open_tab_follows_edits_mistakes_and_fixes_under_the_csp(
    browser: Browser, preview: tuple[Server, Path]
) -> None:
    running, site = preview
    page, console_errors = open_tab(browser, f"http://127.0.0.1:{running.port}{RELEASE_PATH}")
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert policy and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    source = site / "content/releases/hello.md"

    # an edit: the open tab shows the new text by itself
    source.write_text(release("Hello").replace("Body of Hello.", "Edited body."))
    edit = seconds_until(page, "document.body.innerText.includes('Edited body.')")

    # a mistake: the tab turns into the list of problems, naming the file and line
    source.write_text(release("Hello", "10/07/2016"))
    mistake = seconds_until(page, "document.title.includes('problem')")
    assert "content/releases/hello.md:3:15" in page.locator("ol.problems").inner_text()

    # fixed: the tab is the release again
    source.write_text(release("Hello").replace("Body of Hello.", "Fixed body."))
    fix = seconds_until(page, "document.body.innerText.includes('Fixed body.')")
    assert page.locator("h1").inner_text() == "Hello"

    print(f"open tab followed: edit {edit:.2f} s, mistake {mistake:.2f} s, fix {fix:.2f} s")
    assert max(edit, mistake, fix) < FOLLOW_SECONDS, (edit, mistake, fix)
    assert page.evaluate("window.__violations") == []
    assert not [text for text in console_errors if "Content Security Policy" in text]
    page.context.close()
