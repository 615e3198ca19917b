"""The corpus of real federal releases (tests/corpus, see its README) built as a site, each page
compared with what the agency's own page shows (tests/corpus/expected.yaml): title, date, release
number, dateline, end mark, lines shown one under another, lists, quotations, links, contact and
sub-heads. ``check --strict`` must pass on it: the lint's findings are mistakes a press office
would agree with, and these releases are correct as their agencies wrote them.

Typography is compared loosely (straight and curly quotes alike, every dash alike), because the
site sets quotes and dashes as typographers do: tests/test_real_releases.py pins that down.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import html5lib
import phonenumbers
import pytest
import yaml
from playwright.sync_api import Browser

from advisory_site.commands.cli import main
from advisory_site.source.content import file_slug
from tests.conftest import NOW_ISO, REPO
from tests.localhost import serve_folder

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)
MAX_SUMMARY = 300
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def corpus_site(folder: Path) -> Path:
    """The corpus laid out as a site folder (content/, templates/) in ``folder``."""
    site = folder / "site"
    shutil.copytree(CORPUS / "releases", site / "content" / "releases")
    shutil.copy(CORPUS / "site.yaml", site / "content" / "site.yaml")
    for name in ("templates", "locales", "assets", "static"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy2(REPO / "package-lock.json", site / "package-lock.json")
    (site / "node_modules").symlink_to(REPO / "node_modules")
    return site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = corpus_site(tmp_path_factory.mktemp("corpus"))
    output = site / "_site"
    assert main(["build", "--site", str(site), "--output", str(output), "--now", NOW_ISO]) == 0
    return output


# -- reading a built page -------------------------------------------------------------------------

_DASHES = re.compile(r"\s*(?:--|[\u2012-\u2015])\s*|\s+-\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def loose(text: str) -> str:
    """``text`` with its white space, quotes, dashes and ellipses written one way each."""
    text = " ".join(text.translate(_QUOTES).replace("\u2026", "...").split())
    return _DASHES.sub(" - ", text).strip()


def text_of(element: Any) -> str:
    return "".join(element.itertext())


def lines_of(element: Any) -> list[str]:
    """The lines an element shows: its text, broken at each <br>."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "br":
            parts.append("\0")
        else:
            parts.append(text_of(child))
        parts.append(child.tail or "")
    return [loose(line) for line in "".join(parts).split("\0")]


def has_class(element: Any, name: str) -> bool:
    return name in (element.get("class") or "").split()


def page_url(path: str, entry: dict[str, Any]) -> str:
    year, month, day = str(entry["release_date"]).split("-")
    return f"news/{year}/{month}/{day}/{file_slug(path)}/index.html"


def parse(file: Path) -> Any:
    return html5lib.parse(file.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def find_class(root: Any, tag: str, name: str) -> list[Any]:
    return [element for element in root.iter(tag) if has_class(element, name)]


def page_problems(root: Any, entry: dict[str, Any]) -> Iterator[str]:
    """How the built page differs from what the agency's page shows."""
    article = find_class(root, "article", "release")[0]
    body = find_class(article, "div", "release-body")[0]
    if entry["title"] is not None and loose(text_of(article.find(".//h1"))) != loose(
        entry["title"]
    ):
        yield f"title: {text_of(article.find('.//h1'))!r}"
    dated = article.find(".//p[@class='release-date']/time")
    if not dated.get("datetime", "").startswith(str(entry["release_date"])):
        yield f"release date: {dated.get('datetime')}"
    yield from _number_problems(article, entry)
    yield from _first_paragraph_problems(root, body, entry)
    yield from _end_mark_problems(article, body, entry)
    yield from _line_block_problems(body, entry)
    yield from _list_problems(body, entry)
    text = loose(text_of(body))
    for quote in entry["quotes"]:
        if loose(quote) not in text:
            yield f"quote missing: {quote!r}"
    links = {(a.get("href"), loose(text_of(a))) for a in body.iter("a")}
    for link in entry["links"]:
        if (link["href"], loose(link["text"])) not in links:
            yield f"link missing: {link}"
    yield from _contact_problems(article, entry)
    headings = [e for e in body.iter() if e.tag in _HEADINGS]
    if [loose(text_of(h)) for h in headings] != [loose(h) for h in entry["headings"]]:
        yield f"headings: {[text_of(h) for h in headings]}"
    if headings and headings[0].tag != "h2":
        yield f"the first sub-head is an {headings[0].tag}"


def _number_problems(article: Any, entry: dict[str, Any]) -> Iterator[str]:
    numbers = [loose(text_of(p)) for p in find_class(article, "p", "release-number")]
    wanted = entry["release_number"]
    if wanted is None and numbers:
        yield f"a release number is shown: {numbers}"
    if wanted is not None and not any(number.endswith(loose(str(wanted))) for number in numbers):
        yield f"release number {wanted!r} not shown: {numbers}"


def _first_paragraph_problems(root: Any, body: Any, entry: dict[str, Any]) -> Iterator[str]:
    paragraphs = [p for p in body.findall("p") if loose(text_of(p))]
    first = loose(text_of(paragraphs[0])) if paragraphs else ""
    if entry["dateline"] is not None and not first.startswith(loose(entry["dateline"])):
        yield f"the dateline is not the start of the first paragraph: {first[:60]!r}"
    description = next(
        (m.get("content") for m in root.iter("meta") if m.get("name") == "description"), ""
    )
    summary = loose(description)
    if len(description) > MAX_SUMMARY:
        yield f"the summary is {len(description)} characters long"
    if not first.startswith(summary.removesuffix("...")):
        yield f"the summary is not the start of the first paragraph: {summary[:60]!r}"
    if entry["first_paragraph_chars"] <= MAX_SUMMARY - 10 and summary != first:
        yield f"the summary is not the whole first paragraph: {summary!r}"


def _end_mark_problems(article: Any, body: Any, entry: dict[str, Any]) -> Iterator[str]:
    shown = [loose(text_of(p)) for p in find_class(article, "p", "release-end-mark")]
    shown += [loose(text_of(p)) for p in find_class(body, "p", "end-mark")]
    wanted = entry["end_mark"]
    if wanted is not None and loose(wanted) not in shown:
        yield f"end mark {wanted!r} not shown: {shown}"
    if wanted is None and shown:
        yield f"an end mark is shown: {shown}"
    for element in article.iter():
        if element.tag in _HEADINGS and not loose(text_of(element)).strip("#\\ "):
            yield f"an empty heading or one made of '#': <{element.tag}>{text_of(element)}"


def _line_block_problems(body: Any, entry: dict[str, Any]) -> Iterator[str]:
    shown = [lines_of(e) for e in body.iter() if e.tag in ("p", "li", "td", "dd", "blockquote")]
    for block in entry["line_blocks"]:
        wanted = [loose(line) for line in block]
        if not any(_holds_run(lines, wanted) for lines in shown):
            yield f"not one under another: {block}"


def _holds_run(lines: list[str], wanted: list[str]) -> bool:
    return any(lines[i : i + len(wanted)] == wanted for i in range(len(lines) - len(wanted) + 1))


def _list_problems(body: Any, entry: dict[str, Any]) -> Iterator[str]:
    lists = [
        [loose(text_of(item)) for item in element.findall("li")]
        for element in body.iter()
        if element.tag in ("ul", "ol")
    ]
    lists = [items for items in lists if items]
    wanted = [[loose(item) for item in items] for items in entry["list_items"]]
    if lists != wanted:
        yield f"lists: {lists} (expected {wanted})"


def _contact_problems(article: Any, entry: dict[str, Any]) -> Iterator[str]:
    office = [loose(text_of(p)) for p in find_class(article, "p", "office")]
    contact = find_class(article, "p", "contact")
    wanted = entry["built_contact"]
    if wanted is None:
        if office or contact:
            yield f"a contact is shown: {office}"
        return
    if office != [loose(wanted["office"])]:
        yield f"contact office: {office} (expected {wanted['office']!r})"
    links = {loose(text_of(a)): a.get("href") for p in contact for a in p.iter("a")}
    phone = wanted.get("phone")
    if phone:
        number = phonenumbers.parse(phone, "US")
        tel = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)
        if links.get(loose(phone)) != tel:
            yield f"contact phone: {links} (expected {phone!r} linked to {tel})"
    email = wanted.get("email")
    if email and links.get(email) != f"mailto:{email}":
        yield f"contact email: {links} (expected {email!r})"
    for p in contact:
        text = " ".join(text_of(p).split())
        if "·" in text and " · " not in text:
            yield f"the contact line's separator has no spaces: {text!r}"


def corpus_problems(built_dir: Path) -> dict[str, list[str]]:
    """Each release's differences from its agency's page (an empty list if none)."""
    found = {}
    for path, entry in EXPECTED.items():
        page = built_dir / page_url(path, entry)
        if not page.is_file():
            found[path] = [f"no page at {page_url(path, entry)}"]
            continue
        found[path] = list(page_problems(parse(page), entry))
    return found


# -- the tests ------------------------------------------------------------------------------------


def test_the_corpus_holds_at_least_twenty_real_releases() -> None:
    files = sorted(str(p.relative_to(CORPUS / "releases")) for p in CORPUS.glob("releases/*/*.md"))
    assert len(files) >= 20
    assert files == sorted(EXPECTED)
    for file in files:
        source = (CORPUS / "releases" / file).read_text(encoding="utf-8").splitlines()[1]
        assert source.startswith("# source: http"), file


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_each_page_shows_what_the_agency_page_shows(built: Path, path: str) -> None:
    entry = EXPECTED[path]
    page = built / page_url(path, entry)
    assert page.is_file(), page
    assert list(page_problems(parse(page), entry)) == []


def test_the_corpus_passes_check_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = corpus_site(tmp_path)
    assert main(["check", "--strict", "--site", str(site)]) == 0, capsys.readouterr().err
    assert "warning" not in capsys.readouterr().err


def test_no_end_mark_is_in_a_summary_or_a_feed(built: Path) -> None:
    feeds = (built / "feed.json").read_text(encoding="utf-8")
    assert "###" not in feeds and "# # #" not in feeds and "-30-" not in feeds
    for entry in EXPECTED.values():
        if entry["end_mark"]:
            assert loose(entry["end_mark"]) not in loose((built / "rss.xml").read_text())


def test_line_blocks_and_end_marks_look_right_in_a_browser(built: Path, browser: Browser) -> None:
    """Lines typed one under another are drawn one under another; the end mark is centred."""
    path = next(p for p, e in EXPECTED.items() if e["line_blocks"] and e["end_mark"])
    entry = EXPECTED[path]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    with serve_folder(built) as origin:
        page.goto(f"{origin}/{page_url(path, entry).removesuffix('index.html')}")
        tops = page.evaluate(
            """(lines) => {
                const walker = document.createTreeWalker(
                    document.querySelector('.release-body'), NodeFilter.SHOW_TEXT);
                const tops = [];
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    const text = node.textContent.replace(/\\s+/g, ' ').trim();
                    if (lines.includes(text)) {
                        const range = document.createRange();
                        range.selectNodeContents(node);
                        tops.push(range.getClientRects()[0].top);
                    }
                }
                return tops;
            }""",
            [" ".join(line.split()) for line in entry["line_blocks"][0]],
        )
        assert len(tops) >= 2 and tops == sorted(tops) and len(set(tops)) == len(tops)
        mark = page.locator(".release-end-mark, .release-body .end-mark").first
        assert mark.evaluate("e => getComputedStyle(e).textAlign") == "center"
    context.close()


if __name__ == "__main__":  # figures for a built corpus: python -m tests.test_corpus _site
    problems = corpus_problems(Path(sys.argv[1]))
    for path, found in problems.items():
        for problem in found:
            print(f"{path}: {problem}")
    wrong = sum(1 for found in problems.values() if found)
    print(f"{wrong} of {len(problems)} pages differ from their agency's page")
