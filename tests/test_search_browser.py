"""The search page in a real browser (Debian's chromium, driven by Playwright) over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from advisory_site.commands.cli import main
from tests.conftest import NOW_ISO, REPO
from tests.localhost import serve_folder
from tests.search_site import (
    DRAFT_WORD,
    EMBARGO_WORD,
    MACHINES_URL,
    ORGANISATION_WORD,
    PHISHING_URL,
    SUMMARY_WORD,
    WITHDRAWN_WORD,
    write_search_site,
)

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SEED_TITLE = (
    "Joint Statement from the Department Of Homeland Security and Office of the Director of "
    "National Intelligence on Election Security"
)
AFFILIATE = "quillfeather-press"


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped sample site, served at the root of the origin."""
    root = tmp_path_factory.mktemp("sample") / "_site"
    assert main(["build", "--site", str(REPO), "--output", str(root), "--now", NOW_ISO]) == 0
    with serve_folder(root) as origin:
        yield origin


@pytest.fixture(scope="module")
def press_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The search test site (with a draft and an embargoed release), served under /press/."""
    folder = tmp_path_factory.mktemp("press")
    site = write_search_site(folder / "site", affiliate=AFFILIATE)
    output = folder / "root" / "press"
    base = "https://www.example.gov/press/"
    arguments = ["build", "--site", str(site), "--output", str(output), "--base-url", base]
    assert main([*arguments, "--now", NOW_ISO]) == 0
    with serve_folder(folder / "root") as origin:
        yield origin + "/press"


def open_search(browser: Browser, url: str, *, bypass_csp: bool = False) -> tuple[Page, list[str]]:
    """Open the search page with JavaScript, recording every request it makes.

    The page's Content-Security-Policy is enforced unless ``bypass_csp`` (to inject axe-core).
    """
    page = browser.new_context(bypass_csp=bypass_csp).new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    # Pagefind loads when the reader turns to the form, or at once for a search's address
    if "?" not in url:
        expect(page.locator("#search-form")).not_to_have_attribute("data-ready", "true")
        page.locator("#search-query").focus()
    expect(page.locator("#search-form")).to_have_attribute("data-ready", "true")
    return page, requests


def search_for(page: Page, words: str) -> None:
    page.get_by_label("Search press releases").fill(words)
    page.get_by_label("Search press releases").press("Enter")
    expect(page.locator("#search-status")).to_contain_text(words)


def tick(page: Page, group: str, label: str) -> None:
    """Click a filter's label, as a reader does (USWDS draws the box; the input is hidden)."""
    fieldset = page.get_by_role("group", name=group)
    fieldset.locator("label").filter(has_text=re.compile(label)).click()


def result_titles(page: Page) -> list[str]:
    return page.locator("#search-results > li h2 a").all_inner_texts()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))"
    )
    return violations


def test_typing_a_query_finds_the_expected_release_first(
    browser: Browser, sample_site: str
) -> None:
    page, requests = open_search(browser, sample_site + "/search/")
    search_for(page, "election security")
    titles = result_titles(page)
    assert titles[0] == SEED_TITLE
    assert len(titles) >= 2
    first = page.locator("#search-results > li").first
    expect(first.locator(".search-result-date")).to_have_text("October 7, 2016")
    expect(first.locator(".search-result-excerpt mark").first).to_have_text(
        re.compile("^(election|security)$", re.IGNORECASE)
    )
    assert page.url.endswith("/search/?query=election+security")
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_TITLE)
    assert all(url.startswith(sample_site + "/") for url in requests), requests
    page.close()


def test_a_topic_filter_narrows_the_results(browser: Browser, sample_site: str) -> None:
    page, _ = open_search(browser, sample_site + "/search/")
    search_for(page, "security")
    everything = result_titles(page)
    tick(page, "Topic", r"^Border Security \(\d+\)$")
    expect(page.locator("#search-status")).to_contain_text("filtered by Border Security")
    filtered = result_titles(page)
    assert filtered == [
        "Remarks by the Secretary at the Southern Port of Entry Modernization Ceremony"
    ]
    assert len(everything) > len(filtered)
    assert set(filtered) <= set(everything)
    # the filter is part of the address, so the result can be shared
    assert "topic=Border+Security" in page.url
    page.reload()
    expect(page.locator("#search-form")).to_have_attribute("data-ready", "true")
    expect(page.locator("#search-results > li")).to_have_count(1)
    page.close()


def test_filters_alone_list_releases_newest_first(browser: Browser, sample_site: str) -> None:
    page, _ = open_search(browser, sample_site + "/search/")
    tick(page, "Year", r"^2020 ")
    expect(page.locator("#search-status")).to_have_text("1 release filtered by 2020.")
    assert result_titles(page) == [
        "Joint Statement on the Continuing Work of Election Officials After Election Day"
    ]
    tick(page, "Type", r"^Statement ")
    tick(page, "Year", r"^2020 ")  # and off again
    expect(page.locator("#search-status")).to_have_text("2 releases filtered by Statement.")
    assert result_titles(page) == [
        "Joint Statement on the Continuing Work of Election Officials After Election Day",
        SEED_TITLE,
    ]
    page.close()


def test_the_header_search_box_leads_to_results(browser: Browser, press_site: str) -> None:
    page = browser.new_page()
    page.goto(press_site + "/")
    page.get_by_role("search", name="Site").get_by_label("Search releases").fill("ballot")
    page.get_by_role("search", name="Site").get_by_role("button", name="Search").click()
    expect(page.locator("#search-status")).to_have_text("2 releases found for “ballot”.")
    assert page.url == press_site + "/search/?query=ballot"
    hrefs = page.locator("#search-results > li h2 a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert sorted(hrefs) == sorted(["/press" + MACHINES_URL, "/press" + PHISHING_URL])
    page.close()


@pytest.mark.parametrize(
    ("words", "found"),
    [
        (DRAFT_WORD, 0),
        (EMBARGO_WORD, 0),
        (WITHDRAWN_WORD, 0),
        (ORGANISATION_WORD, 0),  # in every page's footer, which is not indexed
        (SUMMARY_WORD, 1),  # only in a hand-written summary, which is
    ],
)
def test_unpublished_words_are_not_found(
    browser: Browser, press_site: str, words: str, found: int
) -> None:
    page, requests = open_search(browser, press_site + "/search/")
    search_for(page, words)
    expect(page.locator("#search-results > li")).to_have_count(found)
    if not found:
        expect(page.locator("#search-status")).to_have_text(f"No releases found for “{words}”.")
    origin = press_site.removesuffix("/press")
    assert all(url.startswith(origin + "/press/") for url in requests), requests
    page.close()


def test_excerpts_show_markup_in_the_text_as_text(browser: Browser, press_site: str) -> None:
    page, _ = open_search(browser, press_site + "/search/")
    search_for(page, "onerror")
    excerpt = page.locator("#search-results .search-result-excerpt")
    expect(excerpt).to_contain_text("<img src=x onerror=alert(1)>")
    assert excerpt.locator("img, b").count() == 0
    # Pagefind marks the whole token the word is in
    expect(excerpt.locator("mark")).to_have_text(["onerror=alert(1)>"])
    page.close()


SPANISH_CISA = (
    "CISA amplía su servicio gratuito de escaneo de vulnerabilidades a los gobiernos locales"
)
SPANISH_FACT_SHEET = (
    "Hoja informativa: Apoyo federal a las comunidades durante la temporada de huracanes de 2017"
)


def test_the_spanish_search_page_finds_only_spanish_releases(
    browser: Browser, sample_site: str
) -> None:
    """/es/search/ loads Pagefind's Spanish index (from <html lang="es">): a Spanish query
    finds the Spanish release, and a word of both versions finds only the Spanish ones."""
    page, requests = open_search(browser, sample_site + "/es/search/")
    field = page.get_by_label("Buscar comunicados de prensa")
    field.fill("vulnerabilidades condados")
    field.press("Enter")
    expect(page.locator("#search-status")).to_have_text(
        "1 comunicado encontrado para «vulnerabilidades condados»."
    )
    assert result_titles(page) == [SPANISH_CISA]
    first = page.locator("#search-results > li").first
    expect(first.locator(".search-result-date")).to_have_text("4 de diciembre de 2018")
    expect(first.get_by_role("list", name="Más información")).to_be_visible()
    # "CISA" and "FEMA" are in the English and the Spanish versions alike: only the Spanish
    # versions are found here
    field.fill("CISA")
    field.press("Enter")
    expect(page.locator("#search-status")).to_have_text("1 comunicado encontrado para «CISA».")
    assert result_titles(page) == [SPANISH_CISA]
    field.fill("FEMA")
    field.press("Enter")
    expect(page.locator("#search-status")).to_have_text(
        re.compile(r"^\d+ comunicados? encontrados? para «FEMA»\.$")
    )
    spanish = result_titles(page)
    assert SPANISH_FACT_SHEET in spanish
    # an English word of the English original finds nothing in Spanish
    field.fill("scanning")
    field.press("Enter")
    expect(page.locator("#search-status")).to_have_text(
        "No se encontró ningún comunicado para «scanning»."
    )
    tick(page, "Tema", "^Ciberseguridad")
    expect(page.locator("#search-status")).to_have_text(
        "No se encontró ningún comunicado para «scanning» filtrado por Ciberseguridad."
    )
    assert any("/pagefind/wasm.es.pagefind" in url for url in requests), requests
    assert not any("wasm.en.pagefind" in url for url in requests), requests
    page.close()
    # and the English page finds the English versions, not the Spanish
    page, _ = open_search(browser, sample_site + "/search/")
    search_for(page, "scanning")
    english = result_titles(page)
    assert "CISA Expands No-Cost Vulnerability Scanning to Local Governments" in english
    assert not set(english) & {SPANISH_CISA, SPANISH_FACT_SHEET, *spanish}
    page.close()


def test_spanish_search_page_has_no_axe_violations(browser: Browser, sample_site: str) -> None:
    page, _ = open_search(browser, sample_site + "/es/search/?query=CISA", bypass_csp=True)
    expect(page.locator("#search-results > li").first).to_be_visible()
    assert axe_violations(page) == []
    page.close()


def test_search_page_has_no_axe_violations(browser: Browser, sample_site: str) -> None:
    # the sample site has the real design (USWDS), so colour contrast is checked too
    page, _ = open_search(browser, sample_site + "/search/", bypass_csp=True)
    assert axe_violations(page) == []
    search_for(page, "security")
    tick(page, "Topic", "^Cybersecurity")
    expect(page.locator("#search-status")).to_contain_text("filtered by Cybersecurity")
    expect(page.locator(".search-result-excerpt mark").first).to_be_visible()
    assert axe_violations(page) == []
    page.close()


def test_without_javascript_the_form_goes_to_search_gov(browser: Browser, press_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sent: list[str] = []

    def answer_locally(route: Route, request: Request) -> None:
        sent.append(request.url)  # never leaves the machine: answered here
        route.fulfill(status=200, content_type="text/html", body="<title>Search.gov</title>")

    page.route("https://search.usa.gov/**", answer_locally)
    page.goto(press_site + "/search/")
    expect(page.locator("[data-search-fallback]")).to_contain_text("Search.gov")
    # the filters do nothing without script: never sent (the stylesheet hides them: test_browser)
    assert page.locator(".search-filters input[name]").count() == 0
    page.get_by_label("Search press releases").fill("ballot")
    page.get_by_label("Search press releases").press("Enter")
    page.wait_for_url("https://search.usa.gov/**")
    assert sent == [f"https://search.usa.gov/search?affiliate={AFFILIATE}&query=ballot"]
    context.close()


def test_without_an_index_the_page_says_so(browser: Browser, tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert main(["build", "--site", str(site), "--now", NOW_ISO, "--no-search"]) == 0
    with serve_folder(site / "_site") as origin:
        page = browser.new_page()
        page.on("console", lambda message: None)
        page.goto(origin + "/search/")
        page.get_by_label("Search press releases").focus()
        expect(page.locator("#search-status")).to_have_text(
            "Search is not available on this copy of the site."
        )
        expect(page.locator(".search-filters")).to_be_hidden()  # they would do nothing
        expect(page.get_by_role("link", name="every release, newest first")).to_be_visible()
        page.close()
