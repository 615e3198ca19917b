"""The Content-Security-Policy in real Chromium: the site works, injected script does not run."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import NOW_ISO, MakeSite, release, run_cli

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(make_site: MakeSite) -> Iterator[str]:
    table = "\n| State | Visits |\n|:--|--:|\n| Ohio | 3 |\n"
    site = make_site({"content/releases/a.md": release("Table") + table})
    (site / "static/css").mkdir(parents=True)
    (site / "static/css/site.css").write_text("main { color: rgb(1, 2, 3); }\n", "utf-8")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site / "_site"))
    )
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO, "--base-url", base)
    assert result.returncode == 0, result.stderr
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_works_and_injected_script_is_blocked(served: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            messages: list[str] = []
            page.on("console", lambda message: messages.append(message.text))
            page.goto(served + "news/2016/10/07/table/")
            # our stylesheet and the hashed alignment style attributes apply
            assert page.eval_on_selector("main", "e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
            assert page.eval_on_selector("td:last-child", "e => getComputedStyle(e).textAlign") == (
                "right"
            )
            # script injected into the page (as an XSS would) does not run
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.injected = 1'; document.body.append(s); }"
            )
            assert page.evaluate("window.injected") is None
            assert any("Content Security Policy" in message for message in messages)
            assert not any("style-src" in message for message in messages), messages
        finally:
            browser.close()
