"""The built sample site in a real browser (Debian's Chromium through Playwright), checked with
axe-core and the Nu HTML Checker: accessible, valid, usable by keyboard and without JavaScript.

Screenshots of every page type at both widths are saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Response

from advisory_site.commands.cli import main
from bench import page_weight
from tests import lighthouse
from tests.conftest import NOW_ISO, REPO
from tests.localhost import serve_folder

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (375, 1280)
SEED = "/news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
# the sample release with a photo in its folder (a figure with a caption, WebP variants)
PHOTO = (
    "/news/2019/06/20/remarks-by-the-secretary-at-the-southern-port-of-entry-modernization-"
    "ceremony/"
)
# the sample release with a video (DVIDS), and the one with a PDF fact sheet in its folder
VIDEO = "/news/2021/10/08/hurricane-ida-blue-roof-installations/"
DOCUMENT = "/news/2023/09/26/cisa-launches-secure-our-world/"

# the sample release whose front matter names a lead image its text does not show
LEAD = "/news/2023/04/18/fema-opens-disaster-recovery-centers-following-spring-flooding/"
# the shipped Spanish translation (lang: es): a release page in another language than the site's
SPANISH = "/news/2023/04/18/fema-centros-recuperacion-inundaciones-primavera/"

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
    "release-photo": PHOTO,
    "release-lead": LEAD,
    "release-video": VIDEO,
    "release-document": DOCUMENT,
    "release-es": SPANISH,
    "page": "/about/",
    "not-found": "/404.html",
    "subscribe": "/subscribe/",
    "search": "/search/",
    "verify": "/verify/",
    "changes": SEED + "changes/",
    "changes-es": SPANISH + "changes/",
    # the Spanish section (/es/): its home, listings, search, subscribe page and pages
    "es-home": "/es/",
    "es-news": "/es/news/",
    "es-news-page-2": "/es/news/page/2/",
    "es-year": "/es/news/2016/",
    "es-agencies": "/es/agencies/",
    "es-topic": "/es/topics/election-security/",
    "es-search": "/es/search/",
    "es-subscribe": "/es/subscribe/",
    "es-page": "/es/about/",
    "es-verify": "/es/verify/",
}
# Which page type each generated HTML file is; a new kind of page must be added to PAGE_TYPES.
_TYPE_PATTERNS = (
    ("es-home", r"es/index\.html"),
    ("es-news", r"es/news/index\.html"),
    ("es-news-page-2", r"es/news/page/\d+/index\.html"),
    ("es-year", r"es/news/\d{4}/(page/\d+/)?index\.html"),
    ("es-agencies", r"es/(topics|agencies)/index\.html"),  # one template: index.html
    ("es-topic", r"es/(topics|agencies)/[^/]+/(page/\d+/)?index\.html"),  # listing.html
    ("es-search", r"es/search/index\.html"),
    ("es-verify", r"es/verify/index\.html"),
    ("es-subscribe", r"es/subscribe/index\.html"),
    ("es-page", r"es/[^/]+/index\.html"),
    ("home", r"index\.html"),
    ("news", r"news/index\.html"),
    ("news-page-2", r"news/page/\d+/index\.html"),
    ("year", r"news/\d{4}/(page/\d+/)?index\.html"),
    ("release-photo", re.escape(PHOTO.lstrip("/")) + r"index\.html"),
    ("release-lead", re.escape(LEAD.lstrip("/")) + r"index\.html"),
    ("release-video", re.escape(VIDEO.lstrip("/")) + r"index\.html"),
    ("release-document", re.escape(DOCUMENT.lstrip("/")) + r"index\.html"),
    ("release-es", re.escape(SPANISH.lstrip("/")) + r"index\.html"),
    ("release", r"news/\d{4}/\d\d/\d\d/[^/]+/index\.html"),
    ("changes-es", re.escape(SPANISH.lstrip("/")) + r"changes/index\.html"),
    ("changes", r"news/\d{4}/\d\d/\d\d/[^/]+/changes/index\.html"),
    ("topics", r"topics/index\.html"),
    ("topic", r"topics/[^/]+/(page/\d+/)?index\.html"),
    ("agencies", r"agencies/index\.html"),
    ("agency", r"agencies/[^/]+/(page/\d+/)?index\.html"),
    ("not-found", r"404\.html"),
    ("subscribe", r"subscribe/index\.html"),
    ("search", r"search/index\.html"),
    ("verify", r"verify/index\.html"),
    ("page", r"[^/]+/index\.html"),
)


def page_type(path: str) -> str:
    for name, pattern in _TYPE_PATTERNS:
        if re.fullmatch(pattern, path):
            return name
    return f"unknown ({path})"


def commit_all(site: Path, moment: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": moment,
        "GIT_COMMITTER_DATE": moment,
        "GIT_AUTHOR_NAME": "Press Office",
        "GIT_AUTHOR_EMAIL": "press@example.gov",
        "GIT_COMMITTER_NAME": "Press Office",
        "GIT_COMMITTER_EMAIL": "press@example.gov",
    }
    for command in (["git", "add", "-A"], ["git", "commit", "-q", "-m", moment]):
        subprocess.run(command, cwd=site, env=env, check=True, capture_output=True)


def give_history(site: Path) -> None:
    """A git history in which the seed release and the Spanish translation were corrected after
    publication (so that they have a changes page), as the repository of a real site has."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=site, check=True)
    (site / ".gitignore").write_text("_site/\n.cache/\nnode_modules\n", encoding="utf-8")
    commit_all(site, "2016-10-06T18:00:00-04:00")
    seed = site / "content/releases/2016/joint-statement-election-security.md"
    text = seed.read_text(encoding="utf-8")
    corrected = text.replace("A number of states have already done so.", "Many states have.")
    corrected = corrected.replace(
        "last_published: 2016-10-07\n",
        "updates:\n  - {date: 2016-10-08, note: Shortened a sentence.}\n",
    )
    assert corrected.count("Many states") == 1 and "updates:" in corrected
    seed.write_text(corrected, encoding="utf-8")
    commit_all(site, "2016-10-08T12:00:00-04:00")
    spanish = site / "content/releases/2023/fema-centros-recuperacion-inundaciones-primavera.md"
    text = spanish.read_text(encoding="utf-8")
    corrected = text.replace("de 8 a.m. a 7 p.m.", "de 8 a.m. a 8 p.m.").replace(
        "de atención.\n---",
        "de atención.\n  - {date: 2023-04-26, note: Se corrigió el horario.}\n---",
    )
    assert corrected.count("a 8 p.m.") == 1 and "2023-04-26" in corrected
    spanish.write_text(corrected, encoding="utf-8")
    commit_all(site, "2023-04-26T12:00:00-04:00")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site, built once per session with three releases to a listing page and a
    git history (a release corrected after publication)."""
    site = tmp_path_factory.mktemp("browser") / "site"
    for folder in ("content", "templates", "locales", "assets", "static"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    shutil.copy2(REPO / "package-lock.json", site / "package-lock.json")
    (site / "node_modules").symlink_to(REPO / "node_modules")
    settings = site / "content" / "site.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^page_size: .*$", "page_size: 3", text), encoding="utf-8")
    give_history(site)
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
    # the page's inline CSS applied (the USWDS banner's flag is a background image)
    page_css_applied = page.evaluate(
        "getComputedStyle(document.querySelector('.usa-banner__header-flag')).backgroundImage"
    ).startswith("url(")
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
    assert page_css_applied
    assert any(re.search(r"/static/css/page\.[0-9a-f]{10}\.css$", url) for url in requests)
    assert any(url.endswith(".woff2") for url in requests)


PHONE_WIDTHS = (320, 375, 390, 414)
# Every visible element that sticks out of the viewport, unless a box of its own clips it.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = element => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter(element => element.checkVisibility({visibilityProperty: true}))
    .filter(element => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && (box.right > width + 0.5 || box.left < -0.5);
    })
    .filter(element => !clipped(element))
    .map(element => `${element.tagName.toLowerCase()}.${element.className}`);
}"""
_BOX = "e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"


def _overlap(a: list[float], b: list[float]) -> bool:
    """Whether two boxes (left, top, right, bottom) share more than a hairline."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


def _boxes(page: Page, selector: str) -> list[list[float]]:
    boxes: list[list[float]] = page.eval_on_selector_all(
        selector, f"elements => elements.map({_BOX})"
    )
    return boxes


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_phone_layouts_neither_overflow_nor_overlap(
    browser: Browser, base_url: str, width: int
) -> None:
    """Each page type on a phone: nothing runs off the screen, the header's parts, the search
    forms' input and button never cover each other, and the navigation stands in rows."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    for name, url in sorted(PAGE_TYPES.items()):
        page.goto(base_url + url)
        overflowing = page.evaluate(_OVERFLOWING)
        if overflowing or page.evaluate("document.documentElement.scrollWidth") > width:
            problems.append(f"{name}: overflows at {width}px: {overflowing[:5]}")
        header = [
            *_boxes(page, ".usa-logo a"),
            *_boxes(page, ".usa-nav__primary-item > a"),
            *_boxes(page, ".site-search .usa-input, .site-search .usa-button"),
        ]
        for first, box in enumerate(header):
            problems.extend(
                f"{name}: header boxes {first} and {second} overlap"
                for second, other in enumerate(header[first + 1 :], first + 1)
                if _overlap(box, other)
            )
        # links side by side (in one row) have the same top and bottom
        links = _boxes(page, ".usa-nav__primary-item > a")
        problems.extend(
            f"{name}: navigation links {first} and {second} are not aligned"
            for first, box in enumerate(links)
            for second, other in enumerate(links[first + 1 :], first + 1)
            if min(box[3], other[3]) > max(box[1], other[1])  # in one row
            and (abs(box[1] - other[1]) > 0.5 or abs(box[3] - other[3]) > 0.5)
        )
        for form in ("#search-form .usa-search", ".site-search"):
            if page.locator(form).count():
                problems.extend(f"{name}: {issue}" for issue in _search_form_problems(page, form))
    page.goto(base_url + PAGE_TYPES["home"])
    (button,) = _boxes(page, "a.usa-button[href$='/news/']")
    (topics,) = _boxes(page, "#topics-heading")
    if topics[1] - button[3] < 16:
        problems.append(f"home: the Topics heading is {topics[1] - button[3]}px below the button")
    context.close()
    assert problems == []


def _search_form_problems(page: Page, form: str) -> list[str]:
    (outer,) = _boxes(page, form)
    (field,) = _boxes(page, f"{form} .usa-input")
    (button,) = _boxes(page, f"{form} .usa-button")
    problems = []
    for label, box in (("input", field), ("button", button)):
        if box[0] < outer[0] - 0.5 or box[2] > outer[2] + 0.5:
            problems.append(f"{form}: the {label} does not fit in the form")
    if _overlap(field, button):
        problems.append(f"{form}: the input and the button overlap")
    clipped = page.eval_on_selector(
        f"{form} .usa-button",
        "e => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight",
    )
    if clipped:
        problems.append(f"{form}: the button's word is clipped")
    return problems


# Every image of a page, scrolled into view (lazy ones load then) and waited for: its address
# as chosen from srcset, and its decoded width (0 if it did not load).
_IMAGES = """async () => {
  const found = [];
  for (const img of Array.from(document.images)) {
    img.scrollIntoView();
    try { await img.decode(); } catch (error) { /* reported as naturalWidth 0 */ }
    found.push([img.currentSrc || img.src, img.naturalWidth]);
  }
  return found;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_image_on_every_page_loads(
    browser: Browser, built_site: Path, base_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    broken: list[str] = []
    seen: dict[str, list[str]] = {}
    for file in sorted(built_site.rglob("*.html")):
        if b'http-equiv="refresh"' in file.read_bytes():
            continue  # an old address that sends the reader on to a release
        path = "/" + file.relative_to(built_site).as_posix().removesuffix("index.html")
        page.goto(base_url + path, wait_until="load")
        for src, natural in page.evaluate(_IMAGES):
            seen.setdefault(path, []).append(urlsplit(src).path)
            if natural <= 0:
                broken.append(f"{path}: {src}")
    context.close()
    assert broken == []
    # the photo's variant fits the screen: a phone takes the 480-pixel WebP, a desktop the 800
    (photo,) = [src for src in seen[PHOTO] if src.startswith(PHOTO)]
    assert photo == f"{PHOTO}new-inspection-lanes-{480 if width == 375 else 800}.webp"
    # and so does the lead image the front matter names, shown first on its page
    (lead,) = [src for src in seen[LEAD] if src.startswith(LEAD)]
    assert lead == f"{LEAD}recovery-center-{480 if width == 375 else 800}.webp"
    # listings show each release's lead image as a thumbnail, a WebP variant (the smallest, or
    # one the browser has already, from the release's page), loaded
    thumbnails = {
        # the home page's five latest: the 2019 photo release is sixth since the video (2021)
        # and fact sheet (2023) releases
        "/": [f"{LEAD}recovery-center"],
        "/news/": [f"{LEAD}recovery-center"],
        "/news/2019/": [f"{PHOTO}new-inspection-lanes"],
        "/topics/disaster-response/": [f"{LEAD}recovery-center"],
        "/agencies/fema/": [f"{LEAD}recovery-center"],
    }
    for listing, expected in thumbnails.items():
        shown = [src for src in seen[listing] if src.startswith("/news/")]
        assert [re.sub(r"-\d+\.webp$", "", src) for src in shown] == expected, (listing, shown)
        assert all(src.endswith(".webp") for src in shown), shown
    # and every page shows the seal in its header
    assert all(any(src.startswith("/static/img/logo.") for src in srcs) for srcs in seen.values())


def test_the_seed_page_stays_within_its_weight_budget(browser: Browser, base_url: str) -> None:
    """bench/page_weight.py's budget (HTML+CSS+JS gzipped) on a first load of the seed release,
    with the header's seal, the icons and the card tags every page now carries."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))  # noqa: PLW0108
    page.goto(base_url + SEED, wait_until="load")
    code = images = 0
    for response in responses:
        size = len(gzip.compress(response.body(), compresslevel=6, mtime=0))
        kind = response.headers.get("content-type", "")
        if any(code_type in kind for code_type in page_weight.CODE_TYPES):
            code += size
        elif kind.startswith("image/"):
            images += size
    context.close()
    assert code <= page_weight.BUDGET, code
    assert images < 10 * 1024, images  # the seal and the banner's flag; no photo on this page


def test_the_published_sample_photo_has_no_metadata(built_site: Path) -> None:
    """The sample photo was made with a camera make, model and GPS position: none is published."""
    source = REPO / "content/releases/2019/remarks-port-of-entry-modernization"
    with Image.open(source / "new-inspection-lanes.jpg") as original:
        assert original.getexif().get_ifd(0x8825)  # the original carries a position
    published = sorted((built_site / PHOTO.lstrip("/")).glob("new-inspection-lanes*"))
    assert len(published) == 5
    for file in published:
        with Image.open(file) as image:
            assert not image.getexif() and not image.getexif().get_ifd(0x8825), file.name
            assert "exif" not in image.info, file.name


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


# The shared layout's text in each language of the sample site's pages.
LAYOUT_NAV = {
    "en": ("News", "Topics", "Agencies", "Search", "Subscribe"),
    "es": ("Noticias", "Temas", "Agencias", "Buscar", "Suscribirse"),
}
NO_SCRIPT_SEARCH = {"en": "Search needs JavaScript", "es": "La búsqueda necesita JavaScript"}
LAYOUT_TEXT = {
    "en": {
        "banner": "An official website of the United States government",
        "guidance": "Official websites use .gov",
        "how": "Here’s how you know",
        "accessibility": "Accessibility statement",
    },
    "es": {
        "banner": "Un sitio oficial del Gobierno de Estados Unidos",
        "guidance": "Los sitios web oficiales usan .gov",
        "how": "Así es como usted puede verificarlo",
        "accessibility": "Declaración de accesibilidad",
    },
}


@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_pages_work_without_javascript(browser: Browser, base_url: str, name: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base_url + PAGE_TYPES[name])
    lang = "es" if name.startswith("es-") or name.endswith("-es") else "en"
    text = LAYOUT_TEXT[lang]
    assert page.locator("h1").first.is_visible()
    for label in LAYOUT_NAV[lang]:
        assert page.locator(".usa-nav").get_by_role("link", name=label, exact=True).is_visible()
    assert page.get_by_text(text["banner"]).is_visible()
    guidance = page.get_by_text(text["guidance"])
    assert not guidance.is_visible()
    page.get_by_text(text["how"]).click()
    assert guidance.is_visible()
    assert page.get_by_role("link", name=text["accessibility"], exact=True).is_visible()
    if name.endswith("search"):  # the filters need script; the page says so
        assert not page.locator(".search-filters").is_visible()
        assert page.get_by_text(NO_SCRIPT_SEARCH[lang]).is_visible()
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


@pytest.mark.parametrize("name", ["home", "release", "subscribe", "verify"])
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


# -- the "Verify a statement" page, as a reader uses it ------------------------------------------

# The last paragraph of the seed release (the joint statement of 7 October 2016), pasted as a
# reader would type or copy it: straight quotes, lines broken where an e-mail wrapped them.
PASTED = """These services include cyber "hygiene" scans of Internet-facing systems, risk and
vulnerability assessments, information sharing about cyber incidents, and best practices for
securing voter registration databases and addressing potential cyber threats."""


def verify_passage(
    page: Page,
    base_url: str,
    text: str,
    *,
    where: str = "verify",
    label: str = "The passage to check",
    button: str = "Verify",
) -> str:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(base_url + PAGE_TYPES[where])
    assert not page.locator("[data-verify-fallback]").is_visible()
    page.get_by_label(label).fill(text)
    page.get_by_role("button", name=button, exact=True).click()
    heading = page.locator("#verify-result h2")
    heading.wait_for()
    assert [m for m in messages if "Content Security Policy" in m] == []
    return page.locator("#verify-result").inner_text()


def test_verify_page_finds_a_real_passage(page: Page, base_url: str) -> None:
    release = page.context.new_page()
    release.goto(base_url + SEED)
    title = release.locator("h1").inner_text()
    # a whole paragraph of the published page, as the browser gives its text
    paragraph = release.locator(".release-body p").nth(2).inner_text()
    release.close()
    result = verify_passage(page, base_url, f"{title}\n\n{paragraph}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "verify-found-1280.png", full_page=True)
    assert "Verified: all 2 paragraphs are in a release of this office" in result
    assert f"{title}, version 2, published October 8, 2016" in result
    # the paragraph quoted from the release's first version: found, and said to have changed
    found = verify_passage(page, base_url, "A number of states have already done so.")
    assert "Not a statement" in found  # a sentence alone is not a paragraph of the release
    pasted = verify_passage(page, base_url, PASTED)
    assert "Not a statement" in pasted  # only part of the paragraph


def test_verify_page_names_an_earlier_version(page: Page, base_url: str, built_site: Path) -> None:
    source = built_site.parent / "content/releases/2016/joint-statement-election-security.md"
    body = source.read_text(encoding="utf-8").split("---\n", 2)[2]
    paragraph = next(p for p in body.split("\n\n") if p.startswith("Nevertheless"))
    original = paragraph.replace("Many states have.", "A number of states have already done so.")
    result = verify_passage(page, base_url, original.replace("\u201c", '"').replace("\u201d", '"'))
    assert "Verified: the paragraph is in a release of this office" in result
    assert "version 1, published October 7, 2016 (an earlier version" in result


def test_verify_page_rejects_an_invented_statement(page: Page, base_url: str) -> None:
    invented = (
        "DHS and ODNI confirm that the vote counts in several states were changed by a foreign "
        "government.\n\nThe election will be held again in December."
    )
    result = verify_passage(page, base_url, invented)
    page.screenshot(path=ARTIFACTS / "verify-not-found-1280.png", full_page=True)
    assert "Not a statement of this office" in result
    assert "No release of this office contains this text" in result
    assert result.count("Not found in any release of this office.") == 2


def test_spanish_verify_page_answers_in_spanish(page: Page, base_url: str) -> None:
    """/es/verify/, reached from the footer of a Spanish page: the text of the Spanish release
    is recognised, in Spanish words and dates; a changed text is rejected, in Spanish too."""
    page.goto(base_url + SPANISH)
    title = page.locator("h1").inner_text()
    paragraphs = [page.locator(".release-body p").nth(n).inner_text() for n in (0, 1)]
    page.get_by_role("contentinfo").get_by_role("link", name="Verificar una declaración").click()
    page.wait_for_url(base_url + "/es/verify/")
    assert page.evaluate("document.documentElement.lang") == "es"
    spanish = {
        "where": "es-verify",
        "label": "El pasaje que desea comprobar",
        "button": "Verificar",
    }
    result = verify_passage(page, base_url, "\n\n".join([title, *paragraphs]), **spanish)
    page.screenshot(path=ARTIFACTS / "es-verify-found-1280.png", full_page=True)
    assert "Verificado: los 3 párrafos están en un comunicado de esta oficina" in result
    assert re.search(
        re.escape(title) + r", versión \d, publicada el \d\d? de [a-z]+ de 20\d\d", result
    )
    assert page.locator("#verify-result a").first.get_attribute("lang") is None  # Spanish too
    assert "Se encuentra en:" in result
    changed = paragraphs[0].replace("FEMA", "La FEMA y el Ejército", 1)
    assert changed != paragraphs[0]
    result = verify_passage(page, base_url, f"{title}\n\n{changed}", **spanish)
    assert "No es una declaración de esta oficina" in result
    assert "1 de 2 párrafos no aparece en ningún comunicado de esta oficina" in result
    assert "No se encuentra en ningún comunicado de esta oficina." in result
    # an English release found from the Spanish page is named in English, and marked so
    english = page.context.new_page()
    english.goto(base_url + SEED)
    seed_title = english.locator("h1").inner_text()
    english.close()
    result = verify_passage(page, base_url, seed_title, **spanish)
    assert "Verificado: el párrafo está en un comunicado de esta oficina" in result
    link = page.locator("#verify-result a", has_text=seed_title).first
    assert link.get_attribute("lang") == "en" and link.get_attribute("hreflang") == "en"
    assert "publicada el 8 de octubre de 2016" in result
    for english_word in ("Verified", "version", "published", "Found in", "Not a statement"):
        assert english_word not in result.replace(seed_title, ""), english_word


def test_browser_and_python_normalise_alike(page: Page, base_url: str) -> None:
    from advisory_site.core.textnorm import has_words, normalise, text_paragraphs  # noqa: PLC0415

    samples = [
        "\u201cQuoted,\u201d he said \u2014 twice\u2026",
        "It\u2019s   the\tstate\u2019s\u00a0call \u2013 or not",
        "e\u0301lection\u2003day\u200b \u00abguillemets\u00bb \u2032prime\u2033",
        "soft\u00adhyphen -- dash --- em \u2212 minus \ufeff",
        "  lines\r\nbroken\rhere\n\n\nnext paragraph \u2028 sep\n \n###",
        "\u0085next line\u3000ideographic\u205f \u1680",
    ]
    page.goto(base_url + PAGE_TYPES["verify"])
    browser_forms = page.evaluate(
        """async (samples) => {
            const module = await import('/static/js/verify.js');
            return samples.map(text => [
                module.normalise(text), module.paragraphs(text),
                module.paragraphs(text).map(module.hasWords)]);
        }""",
        samples,
    )
    python_forms = [
        [normalise(text), text_paragraphs(text), [has_words(p) for p in text_paragraphs(text)]]
        for text in samples
    ]
    assert browser_forms == python_forms


def test_verify_results_have_no_axe_violations(browser: Browser, base_url: str) -> None:
    """The answers the script writes into the page are accessible too (found and not found)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    text = f"{PASTED}\n\nDHS has found no foreign interference of any kind."
    verify_passage(page, base_url, text)
    page.add_script_tag(path=AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    context.close()
    assert [violation["id"] for violation in result["violations"]] == []


# The page types Lighthouse checks (the listings of topics and agencies, and further pages of a
# listing, are the templates of the topic, agency and news pages again).
LIGHTHOUSE_TYPES = (
    "home", "release", "release-photo", "release-lead", "release-video", "release-document",
    "release-es", "news", "year", "topic", "agency", "search", "page", "subscribe", "not-found",
    "verify", "changes", "changes-es", "es-home", "es-news", "es-year", "es-agencies", "es-topic",
    "es-search", "es-subscribe", "es-verify",
)  # fmt: skip


@pytest.fixture(scope="session")
def static_host(built_site: Path) -> Iterator[str]:
    """The built site served as GitHub Pages serves it: gzip, Cache-Control: max-age=600."""
    with serve_folder(built_site, static_host=True) as origin:
        yield origin


def test_lighthouse_is_the_pinned_version() -> None:
    assert lighthouse.version() == "12.2.3"


@pytest.mark.parametrize("name", LIGHTHOUSE_TYPES)
def test_lighthouse_scores(static_host: str, name: str) -> None:
    """Lighthouse (mobile) in Debian's Chromium: 100 for accessibility, best practices and SEO.

    The 404 page is loaded at /404.html, as a static host serves it when asked for it by name;
    it is rightly kept out of search engines (noindex), the one SEO audit it may fail.
    The performance score depends on the load of the machine (simulated throttling multiplies
    the CPU time it sees), so the test asserts only what does not: no layout shift to speak of
    and no render-blocking resource; bench/lighthouse.py records the scores.
    """
    report = lighthouse.run(static_host + PAGE_TYPES[name])
    expected_failures = {"is-crawlable"} if name == "not-found" else set()
    assert set(report.failed) == expected_failures, report.failed
    assert report.scores["accessibility"] == 100
    assert report.scores["best-practices"] == 100
    assert report.scores["seo"] == (report.scores["seo"] if expected_failures else 100)
    assert report.metrics["cumulative-layout-shift"] < 0.05
    audits = report.raw["audits"]
    assert isinstance(audits, dict)
    blocking = audits["render-blocking-resources"].get("details", {}).get("items", [])
    assert blocking == [], blocking


def test_language_switcher_leads_to_the_other_version(page: Page, base_url: str) -> None:
    """A reader follows "Leer en español" from the English release and "Read in English"
    back; the Spanish page is Spanish to the browser (its lang) and in what it shows."""
    original = "/news/2023/04/18/fema-opens-disaster-recovery-centers-following-spring-flooding/"
    page.goto(base_url + original)
    page.get_by_role("link", name="Leer en español").click()
    page.wait_for_url(base_url + SPANISH)
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator(".release-date").inner_text() == "Fecha de publicación: 18 de abril de 2023"
    assert page.get_by_role("navigation", name="Otros idiomas").is_visible()
    page.get_by_role("link", name="Read in English").click()
    page.wait_for_url(base_url + original)
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_missing_spanish_address_offers_the_spanish_section(
    browser: Browser, static_host: str
) -> None:
    """A static host (GitHub Pages, an S3 bucket) answers every missing address with the one
    /404.html: a reader of a broken /es/ link finds the message in Spanish, marked as such,
    leading to the Spanish home, news and search (and the English part to the English ones)."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    response = page.goto(static_host + "/es/news/2099/01/01/no-existe/")
    assert response is not None and response.status == 404
    spanish = page.locator(
        '[lang="es"]', has=page.get_by_role("heading", name="Página no encontrada")
    )
    assert spanish.get_by_text("No pudimos encontrar la página que buscaba.").is_visible()
    links = {
        spanish.get_by_role("link", name=name).get_attribute("href")
        for name in ("Ir a la página de inicio", "Ver todos los comunicados de prensa")
    }
    assert links == {"/es/", "/es/news/"}
    assert page.get_by_role("heading", name="Page not found", level=1).is_visible()
    assert page.title().startswith("Page not found · Página no encontrada |")
    spanish.get_by_role("link", name="Buscar en la sala de prensa").click()
    page.wait_for_url(static_host + "/es/search/")
    assert page.evaluate("document.documentElement.lang") == "es"
    context.close()
