"""The built sample site in a real browser (Debian's Chromium through Playwright), checked with
axe-core and the Nu HTML Checker: accessible, valid, usable by keyboard and without JavaScript.

Screenshots of every page type at both widths are saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from advisory_site.cli import main
from tests.conftest import NOW_ISO, REPO
from tests.localhost import serve_folder

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (375, 1280)
SEED = "/news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"

# One page of every type the site generates. The sample site is built with three releases a page,
# so that listings have USWDS pagination too.
PAGE_TYPES = {
    "home": "/",
    "news": "/news/",
    "news-page-2": "/news/page/2/",
    "year": "/news/2016/",
    "topics": "/topics/",
    "topic": "/topics/election-security/",
    "agencies": "/agencies/",
    "agency": "/agencies/dhs/",
    "release": SEED,
    "page": "/about/",
    "not-found": "/404.html",
    "subscribe": "/subscribe/",
    "search": "/search/",
}
# Which page type each generated HTML file is; a new kind of page must be added to PAGE_TYPES.
_TYPE_PATTERNS = (
    ("home", r"index\.html"),
    ("news", r"news/index\.html"),
    ("news-page-2", r"news/page/\d+/index\.html"),
    ("year", r"news/\d{4}/(page/\d+/)?index\.html"),
    ("release", r"news/\d{4}/\d\d/\d\d/[^/]+/index\.html"),
    ("topics", r"topics/index\.html"),
    ("topic", r"topics/[^/]+/(page/\d+/)?index\.html"),
    ("agencies", r"agencies/index\.html"),
    ("agency", r"agencies/[^/]+/(page/\d+/)?index\.html"),
    ("not-found", r"404\.html"),
    ("subscribe", r"subscribe/index\.html"),
    ("search", r"search/index\.html"),
    ("page", r"[^/]+/index\.html"),
)


def page_type(path: str) -> str:
    for name, pattern in _TYPE_PATTERNS:
        if re.fullmatch(pattern, path):
            return name
    return f"unknown ({path})"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site, built once per session with three releases to a listing page."""
    site = tmp_path_factory.mktemp("browser") / "site"
    for folder in ("content", "templates", "assets", "static"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    shutil.copy2(REPO / "package-lock.json", site / "package-lock.json")
    (site / "node_modules").symlink_to(REPO / "node_modules")
    settings = site / "content" / "site.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^page_size: .*$", "page_size: 3", text), encoding="utf-8")
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    return site / "_site"


@pytest.fixture(scope="session")
def base_url(built_site: Path) -> Iterator[str]:
    """The built site served over HTTP on a free local port."""
    with serve_folder(built_site) as origin:
        yield origin


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_every_generated_page_type_is_checked(built_site: Path) -> None:
    types = {
        page_type(path.relative_to(built_site).as_posix()) for path in built_site.rglob("*.html")
    }
    assert types == set(PAGE_TYPES)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_page_has_no_axe_violations_and_no_third_party_requests(
    browser: Browser, base_url: str, name: str, width: int
) -> None:
    # axe is injected as an inline script, which the site's Content-Security-Policy rightly
    # blocks; test_content_security_policy_lets_the_site_work checks the page under the policy.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    requests: list[str] = []
    failures: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "response",
        lambda response: (
            failures.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/404.html")
            else None
        ),
    )
    page.goto(base_url + PAGE_TYPES[name], wait_until="networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
    page.add_script_tag(path=AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    violations = [
        f"{violation['id']}: {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in result["violations"]
    ]
    context.close()
    assert violations == []
    assert failures == []
    assert requests and {urlsplit(url).netloc for url in requests} == {urlsplit(base_url).netloc}
    # the stylesheet and its fonts arrived: the page is styled, from this site only
    assert any(re.search(r"/static/css/site\.[0-9a-f]{10}\.css$", url) for url in requests)
    assert any(url.endswith(".woff2") for url in requests)


@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_page_fits_a_320_pixel_screen(browser: Browser, base_url: str, name: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(base_url + PAGE_TYPES[name])
    overflow = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert overflow <= 320


def test_every_html_file_is_valid(built_site: Path) -> None:
    files = sorted(str(path) for path in built_site.rglob("*.html"))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    messages = json.loads(result.stdout)["messages"]
    errors = [
        f"{Path(urlsplit(m.get('url', '')).path).relative_to(built_site)}:{m.get('lastLine')}: "
        f"{m['message']}"
        for m in messages
    ]
    assert errors == []
    assert result.returncode == 0
    assert len(files) > 30


def test_skip_link_moves_focus_to_main_content(page: Page, base_url: str) -> None:
    page.goto(base_url + SEED)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.locator(".usa-skipnav").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    # the next stop is the first link inside main: the breadcrumb trail
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "release", "news-page-2"])
def test_every_interactive_element_is_reachable_by_tab(
    browser: Browser, base_url: str, name: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(base_url + PAGE_TYPES[name])
    # Every control a reader can see at this width (USWDS hides the pagination arrows on phones,
    # where the page numbers do their work).
    total = page.evaluate(
        """() => {
          const all = [...document.querySelectorAll(
            'a[href], button, input, select, textarea, summary')].filter(
            element => element.checkVisibility({visibilityProperty: true}));
          all.forEach((element, index) => element.setAttribute('data-tab-check', index));
          return all.length;
        }"""
    )
    reached: set[str] = set()
    for _ in range(total + 5):
        page.keyboard.press("Tab")
        mark = page.evaluate("document.activeElement.getAttribute('data-tab-check')")
        if mark is not None:
            reached.add(mark)
    context.close()
    assert total > 20
    assert reached == {str(index) for index in range(total)}


@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_pages_work_without_javascript(browser: Browser, base_url: str, name: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base_url + PAGE_TYPES[name])
    assert page.locator("h1").first.is_visible()
    for label in ("News", "Topics", "Agencies", "Search", "Subscribe"):
        assert page.locator(".usa-nav").get_by_role("link", name=label, exact=True).is_visible()
    assert page.get_by_text("An official website of the United States government").is_visible()
    guidance = page.get_by_text("Official websites use .gov")
    assert not guidance.is_visible()
    page.get_by_text("Here’s how you know").click()
    assert guidance.is_visible()
    assert page.get_by_role("link", name="Accessibility statement", exact=True).is_visible()
    context.close()


def test_release_prints_as_a_clean_press_release(page: Page, base_url: str) -> None:
    page.goto(base_url + SEED)
    page.emulate_media(media="print")
    for chrome in (".usa-banner", ".usa-nav", ".usa-breadcrumb", ".usa-footer", ".related"):
        assert not page.locator(chrome).first.is_visible(), chrome
    for text in ("Release Date:", "For Immediate Release", "Contact:", "Last Published Date:"):
        assert page.get_by_text(text).first.is_visible(), text
    assert page.locator("h1").is_visible()
    assert len(page.pdf(format="Letter")) > 1000


@pytest.mark.parametrize("name", ["home", "release", "subscribe"])
def test_content_security_policy_lets_the_site_work(
    browser: Browser, base_url: str, name: str
) -> None:
    """Under the CSP the page loads without a violation; injected script and style do not run."""
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(base_url + PAGE_TYPES[name], wait_until="networkidle")
    assert [m for m in messages if "Content Security Policy" in m] == []
    # as an XSS would: markup with inline style and script added to the page
    page.evaluate(
        """() => {
            document.body.insertAdjacentHTML('beforeend',
                '<table><tr><td id="aligned" style="text-align:right">1</td>'
                + '<td id="coloured" style="color:rgb(255, 0, 0)">2</td></tr></table>');
            const script = document.createElement('script');
            script.textContent = 'window.injected = 1';
            document.body.append(script);
        }"""
    )
    style = "(e, p) => getComputedStyle(e)[p]"
    # table alignment from Markdown is allowed by its hash; any other inline style is not
    assert page.eval_on_selector("#aligned", style, "textAlign") == "right"
    assert page.eval_on_selector("#coloured", style, "color") != "rgb(255, 0, 0)"
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in m for m in messages)
    context.close()
