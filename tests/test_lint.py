"""Content lint: it reads what is published, and its shortcut finds exactly what a scan finds.

``lint_document`` reads a body's findings from its published HTML (what Python-Markdown and the
sanitiser made of it), and scans that HTML only when cheap tests on it say a body finding is
possible. These tests hold the shortcut to the full scan (``shortcut=False``) over bodies rich
in what makes Markdown tricky, and check that each finding names the line it was typed on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from advisory_site.core.errors import ContentError
from advisory_site.core.models import Contact, Kind, Page, Release, SiteConfig
from advisory_site.engine.build import load_site
from advisory_site.markdown.render import MAX_SUMMARY, Renderer
from advisory_site.source.frontmatter import Document, parse_document
from advisory_site.source.lint import (
    VAGUE_LINK_TEXT,
    body_needs_scan,
    is_all_caps,
    lint_document,
    lint_site,
)
from tests.conftest import MakeSite, release

PATH = "content/releases/2016/lint.md"
DEFAULT_FORMAT = r"^\d{3}-\d{3}-\d{4}$"
PARENTHESES_FORMAT = r"^\(\d{3}\) \d{3}-\d{4}$"
FRONT_MATTER = "---\ntitle: A Release\nrelease_date: 2016-10-07\n---\n"
MOMENT = datetime(2016, 10, 7, tzinfo=UTC)

# What the shortcut reads without scanning: brackets, emphasis, code, entities, escapes,
# headings and setext underlines, containers, tables and phone numbers, split by soft breaks.
PLAIN = [
    *"[]()*_`\\&#;:.-+|>=! \t\n",
    "[", "]", "](https://example.gov/x)", "][ref]", "[]", "\n[ref]: https://example.gov/r\n",
    "click", "Click", "here", "HERE", "this", "link", "Link", "more", "info", "read", "learn",
    "Ready.gov", "word", "é", "\u017f", "\u212a", "\u0130", "\ufb01", "\u0345", "cl", "ick",
    "*", "**", "_", "__", "`", "``", "\n\n", "  \n", "\xa0",
    "&#104;", "&#x68;", "&#X48;", "&amp;", "&lt;", "&in;", "&nbsp;", "&#45;", "&#46;",
    "&#40;", "&#41;", "&#32;", "&#50;", "&bogus;", "&#9999999;", "&#0;", "&#xD800;", "&amp",
    "\\[", "\\]", "\\*", "\\_", "\\-", "\\.", "\\&", "\\`", "\\\\", "\\h", "\\(", "\\|",
    "\n# ", "\n## ", "\n  ## ", "\n=====\n", "\n---\n", "\n-\n", "\n  ===",
    "\n> ", "\n>> ", "\n- ", "\n1. ", "\n  ", "\n    ", "\n```\n", "\n~~~\n",
    "\n| a | b |\n|---|---|\n", "\n|-|\n", "\n--|--\n", " | ", "\n:-\n",
    "202-555-0199", "(202) 555-0199", "202.555.0199", "202 555 0199", "+1 202-555-0199",
    "+1202", "1-202-555-0199", "202-555-\n0199", "202\n555-0199", "202 555\n0199",
    "20", "2", "555", "0199", "12345", "٢٠٢",
]  # fmt: skip
# What makes the shortcut give up and scan: deeper headings, images, HTML and autolinks.
PARSED = [
    "\n### ", "\n#### ", "\n###### ", "### ", "![", "![](a.png)", "![alt](a.png)",
    "<b>", "</b>", "<span>", "<!-- c -->", '<img src="a.png">', '<img alt="" src="a.png">',
    "<IMG SRC=a.png>", "<http://here>", "<click:here>", "<this@link>", "<tel:202%2E555%2E0199>",
    "< b >", "<", ">",
]  # fmt: skip

# Link texts and phone numbers written with markup between and inside their characters.
WRITTEN = {
    " ": [" ", "\n", "  \n", "\n> ", "&#32;", "&nbsp;", "-", "_", "\n-"],
    "-": ["-", "&#45;", "\\-", "*-*", "`-`"],
    ".": [".", "&#46;", "\\.", "\\\\."],
    "(": ["(", "&#40;", "\\("],
    ")": [")", "&#x29;", "\\)"],
    "k": ["k", "K", "\u212a", "&#107;"],
    "s": ["s", "S", "\u017f", "&#x73;"],
}
BETWEEN = ["", "*", "_", "**", "__", "`", "\\", "\n", "  \n", "&amp;", "x"]
HIDING = ["<b></b>", "<!-- c -->", "![](i)", "<x:y>"]  # only ever found by scanning


def written(char: str) -> st.SearchStrategy[str]:
    """One character as it may be written: plainly, in capitals, as an entity or escaped."""
    ways = WRITTEN.get(char) or [char.upper(), f"&#{ord(char)};", f"&#x{ord(char):x};"]
    return st.sampled_from([char] * len(ways) + ways)  # plainly half of the time


@st.composite
def marked_up(draw: st.DrawFn, text: str, between: list[str], rarity: int) -> str:
    """``text`` written with markup between its characters, one in ``rarity`` times."""
    gaps = st.sampled_from([""] * (rarity - 1) * len(between) + between)
    return "".join(draw(written(char)) + draw(gaps) for char in text)


@st.composite
def vague_links(draw: st.DrawFn, between: list[str]) -> str:
    """A link whose text is (or nearly is) a vague one, with markup between its letters."""
    text = draw(st.sampled_from([*sorted(VAGUE_LINK_TEXT), "clicks", "nothere", "here_", "in"]))
    before = draw(st.sampled_from(["", "", "", "", "x", "[", "\\", "_", "*", "> ", "\n- ", "| "]))
    after = draw(st.sampled_from(["](x)", "](x)", "](x)", "][r]\n\n[r]: /r", "]", "]x", "] ]()"]))
    return before + "[" + draw(marked_up(text, between, 4)) + after


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """A phone number in or out of the site's format, with markup inside and around it."""
    area = draw(st.sampled_from(["(202)", "(202) ", "202-", "202.", "202 ", "+1 202-", "202"]))
    number = area + draw(st.sampled_from(["555-0199", "555.0199", "555 0199", "55-0199"]))
    between = ["_", "*", "\n", "  \n", "`"]
    before = draw(st.sampled_from(["", "", "", "x", "1", "-", ".", "_", "*", "\\\\", "&#45;"]))
    after = draw(st.sampled_from(["", "", "", "x", "5", "-", ".", "_", "*", "\\"]))
    return before + draw(marked_up(number, between, 20)) + after


plain_bodies = st.lists(
    st.one_of(st.sampled_from(PLAIN), vague_links(BETWEEN), phone_numbers()), max_size=30
).map("".join)
any_bodies = st.lists(
    st.one_of(st.sampled_from(PLAIN + PARSED), vague_links(BETWEEN + HIDING), phone_numbers()),
    max_size=30,
).map("".join)
phone_formats = st.sampled_from([DEFAULT_FORMAT, PARENTHESES_FORMAT, ""])  # '': no house style


def config(phone_format: str = DEFAULT_FORMAT) -> SiteConfig:
    return SiteConfig(
        title="Lint Press Room",
        base_url="https://www.example.gov/",
        time_zone="America/New_York",
        organisation="Lint Agency",
        default_contact=Contact(office="Press Office", phone="202-555-0100"),
        topics=(),
        agencies=(),
        kinds=(),
        phone_format=phone_format,
    )


RENDERER = Renderer()


def published(body: str) -> str:
    """The HTML a build publishes for ``body``."""
    return RENDERER.render(body).html


def document(body: str) -> Document:
    parsed = parse_document(FRONT_MATTER + body, PATH)
    assert isinstance(parsed, Document)
    return parsed


def long_summary_release(title: str = "A Release", body: str = "") -> Release:
    """A release whose summary is the (long) first paragraph, so its place is linted too."""
    return Release(
        source=PATH,
        title=title,
        release_date=MOMENT,
        last_published=MOMENT,
        kind=Kind(id="press-release", name="Press Release"),
        distribution="For Immediate Release",
        contact=Contact(office="Press Office"),
        agencies=(),
        topics=(),
        summary="x" * (MAX_SUMMARY + 1),
        slug="a-release",
        draft=False,
        updates=(),
        aliases=(),
        body=published(body).encode("utf-8"),
        url="/news/2016/10/07/a-release/",
    )


def assert_same_findings(body: str, phone_format: str) -> tuple[ContentError, ...]:
    parsed = document(body)
    site = config(phone_format)
    item = long_summary_release(body=body)
    fast = lint_document(parsed, item, site)
    full = lint_document(parsed, item, site, shortcut=False)
    assert fast == full
    page = Page(
        source=PATH, name="lint", title="A Page", summary="", body_html=item.body_html, url="/lint/"
    )
    assert lint_document(parsed, page, site) == lint_document(parsed, page, site, shortcut=False)
    return fast


def record(body: str, phone_format: str, found: tuple[ContentError, ...]) -> None:
    """Statistics (pytest --hypothesis-show-statistics): how often each way was taken."""
    way = "scanned" if body_needs_scan(published(body), config(phone_format)) else "shortcut"
    event(f"{way}, {'some' if any(p.field == 'body' for p in found) else 'no'} body finding")


PROPERTY = settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@PROPERTY
@given(body=plain_bodies, phone_format=phone_formats)
@example(body="[cl*ic*k here](x)", phone_format=DEFAULT_FORMAT)
@example(body="[&#104;ere](x) and [mor&#x65;](y)", phone_format=DEFAULT_FORMAT)
@example(body="[_this_ __link__](x)", phone_format=DEFAULT_FORMAT)
@example(body="[\\_here](x) [`here`](y) [more `info`][r]\n\n[r]: /r", phone_format=DEFAULT_FORMAT)
@example(body="[[here]](x) [click\nhere](y) [READ  \nMORE.](z)", phone_format=DEFAULT_FORMAT)
@example(body="[\u017fee](x) [thi\u017f](y) [\u212aLICK](z)", phone_format=DEFAULT_FORMAT)
@example(body="> [lea\n> rn more](x)\n- [more\n  info](y)", phone_format=DEFAULT_FORMAT)
@example(body="| [click | here](x) |\n|---|\n| [here](y) |", phone_format=DEFAULT_FORMAT)
@example(body="Call _202.555.0199_ or 202&#46;555&#46;0199.", phone_format=DEFAULT_FORMAT)
@example(body="x\\\\202-555-0199 and 202\\-555\\-0199", phone_format=PARENTHESES_FORMAT)
@example(body="x\\\\202&#45;555-0199, (202)&#32;555-0199", phone_format=DEFAULT_FORMAT)
@example(body="| a\\\\| 202.555.0199 |\n|-|-|\n", phone_format=DEFAULT_FORMAT)
@example(body="202 555\n0199 and 202-555-\n0199 and +1 202-555-0199", phone_format=DEFAULT_FORMAT)
@example(body="Word\n\xa0\n===\n\nNext", phone_format=DEFAULT_FORMAT)
@example(body="a | b\n--|--\n\nFirst paragraph", phone_format=DEFAULT_FORMAT)
@example(body="[a]: /url\n'title\n| x | y |\n|-|-|'\n\nText", phone_format=DEFAULT_FORMAT)
@example(body="## Title\n\n# One\n\nText", phone_format=DEFAULT_FORMAT)
def test_the_shortcut_finds_what_the_parse_finds(body: str, phone_format: str) -> None:
    found = assert_same_findings(body, phone_format)
    record(body, phone_format, found)


@PROPERTY
@given(body=any_bodies, phone_format=phone_formats)
@example(body="<click:here> <this@link> <-@here>", phone_format=DEFAULT_FORMAT)
@example(body="<tel:202%2E555%2E0199> [cl<b></b>ick](x)", phone_format=DEFAULT_FORMAT)
@example(body="## A\n\n> ### B\n\n- #### C", phone_format=DEFAULT_FORMAT)
@example(
    body="<div>\n<IMG src=a.png>\n</div>\n\n[x ![](a.png) here](y)", phone_format=DEFAULT_FORMAT
)
def test_the_shortcut_finds_what_the_parse_finds_with_html_and_images(
    body: str, phone_format: str
) -> None:
    found = assert_same_findings(body, phone_format)
    record(body, phone_format, found)


# 202.555.0199 in Arabic-Indic and in Devanagari digits (\d matches them)
ARABIC_PHONE = "\u0662\u0660\u0662.\u0665\u0665\u0665.\u0660\u0661\u0669\u0669"
DEVANAGARI_PHONE = "\u0968\u0966\u0968.\u096b\u096b\u096b.\u0966\u0967\u096f\u096f"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[cl*ic*k here](x)", "the link text 'click here' does not say"),
        ("[&#104;ere](x)", "the link text 'here' does not say"),
        ("[_this_ __link__](x)", "the link text 'this link' does not say"),
        ("[`here`](x)", "the link text 'here' does not say"),
        ("[thi\u017f](x)", "the link text 'thi\u017f' does not say"),
        ("> [lea\n> rn more](x)", "the link text 'learn more' does not say"),
        ("Call _202.555.0199_.", "'202.555.0199' is not written in the site's phone format"),
        ("Call 202&#46;555&#46;0199.", "'202.555.0199' is not written in the site's phone format"),
        ("x\\\\202&#45;555.0199", "'202-555.0199' is not written in the site's phone format"),
        # digits that are not ASCII alone, with and without the punctuation looked past for speed
        (f"Call {ARABIC_PHONE}.", f"'{ARABIC_PHONE}' is not written"),
        (f"\u2013 Call \u2018{DEVANAGARI_PHONE}\u2019 \u2026", f"'{DEVANAGARI_PHONE}' is not"),
        (f"\u00e9 Call {DEVANAGARI_PHONE}", f"'{DEVANAGARI_PHONE}' is not written"),
    ],
)
def test_findings_hidden_by_markup_are_found_without_html(body: str, expected: str) -> None:
    """Markup the shortcut must see through: each of these is found, and never skipped."""
    found = assert_same_findings(body, DEFAULT_FORMAT)
    assert any(problem.message.startswith(expected) for problem in found), found
    assert body_needs_scan(published(body), config())


@pytest.mark.parametrize(
    "body",
    [
        "",
        "WASHINGTON - Officials said more.\n\n## What this means\n\nSee [Ready.gov](https://r.gov).",
        "Call 202-555-0199 or write to [the press office](mailto:press@example.gov).",
        "Read [more about *this*](x), [the link list](y) and [here and there](z).",
        "A [ref] and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAT&amp;T, \\*, 3 > 2.",
        "Some `code`, a [`here` document](x) and 202-555-0199.",
    ],
)
def test_ordinary_bodies_are_not_scanned(body: str) -> None:
    assert not body_needs_scan(published(body), config())
    assert_same_findings(body, DEFAULT_FORMAT)


def test_lint_site_lints_each_file_as_lint_document_does(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "content/releases/long.md": release("Long").replace("Body of Long.", "Word " * 70),
            "content/releases/vague.md": release("Vague").replace(
                "Body of Vague.", "Body.\n\n### Deep\n\nSee [here](https://example.gov/)."
            ),
            "content/pages/about.md": "---\ntitle: ABOUT THE PRESS OFFICE\n---\nCall 202.555.0199.",
        }
    )
    site = load_site(site_dir)
    memo: dict[tuple[str, str, str], tuple[ContentError, ...]] = {}
    warnings = lint_site(site, site_dir, memo)
    expected: list[ContentError] = []
    items: tuple[Release | Page, ...] = (*site.releases, *site.pages)
    for item in items:
        parsed = parse_document((site_dir / item.source).read_text(encoding="utf-8"), item.source)
        assert isinstance(parsed, Document)
        expected.extend(lint_document(parsed, item, site.config, shortcut=False))
    assert [warning.problem for warning in warnings] == sorted(expected, key=ContentError.sort_key)
    # the title in capitals and 'here'; not the long first paragraph (the summary is trimmed),
    # the '###' sub-head (the first heading becomes an h2) nor the number (no phone_format)
    assert len(warnings) == 2
    assert len(memo) == 3
    assert lint_site(site, site_dir, memo) == warnings


def test_a_file_changed_into_something_unreadable_has_nothing_to_lint(make_site: MakeSite) -> None:
    site_dir = make_site({"content/releases/a.md": release("ALL CAPS TITLE HERE")})
    site = load_site(site_dir)
    assert len(lint_site(site, site_dir)) == 1
    (site_dir / site.releases[0].source).write_bytes(b"---\ntitle: \xff\n---\n")
    assert lint_site(site, site_dir) == ()
    (site_dir / site.releases[0].source).unlink()
    assert lint_site(site, site_dir) == ()


@pytest.mark.parametrize(
    ("title", "shouting"),
    [
        ("URGENT UPDATE ON FLOODING", True),
        ("ÉTAT DE L’URGENCE À PARIS", True),
        ("URGENT UPDATe ON FLOODING", False),  # one lower-case letter
        ("DHS, FBI", False),  # too few letters
        ("FEMA", False),  # one word
        ("Secretary Announces Grants", False),
        ("ⓐⓑⓒ URGENT UPDATE", True),  # lower-case symbols that are not letters
    ],
)
def test_titles_in_capitals(title: str, shouting: bool) -> None:
    assert is_all_caps(title) is shouting


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Python-Markdown takes '#Heading' for a heading: an h2, then '####Deep' an h5
        (
            "Text.\n\n#Heading\n\nPara.\n\n####Deep\n\nMore.",
            [(11, 1, "this heading becomes an h5 after an h2, skipping a level")],
        ),
        # an <img> tag split over lines in an HTML block is published as an image
        (
            'Text.\n\n<div>\n<img\nsrc="/static/a.png">\n</div>',
            [(8, 1, "an <img> has no alt attribute")],
        ),
        # ... and in a paragraph, as text
        (
            'Text <img\nsrc="/static/a.png"> more.',
            [(5, 6, "an <img> tag is shown on the page as text, not as an image")],
        ),
        # an address with a space is an image to Python-Markdown
        (
            "Text.\n\n![](/static/my image.png)\n\nMore.",
            [(7, 1, "the image /static/my image.png has no alt text")],
        ),
        (
            "## A\n\nSee [the report](a) or\n[click *here*](https://example.gov/)",
            [(8, 1, "the link text 'click here' does not say where the link goes")],
        ),
        (
            "## A\n\n> #### B\n\n- ### C\n\nCall 202.555.0199 or\n_202 555 0199_.",
            [
                (7, 1, "this heading becomes an h4 after an h2, skipping a level"),
                (11, 6, "'202.555.0199' is not written in the site's phone format"),
                (12, 2, "'202 555 0199' is not written in the site's phone format"),
            ],
        ),
    ],
)
def test_each_published_finding_names_the_line_it_was_typed_on(
    body: str, expected: list[tuple[int, int, str]]
) -> None:
    """What the page shows is what is linted, and the finding points at where it was typed
    (the body starts on line 5; a heading's column is 1)."""
    found = assert_same_findings(body, DEFAULT_FORMAT)
    assert [(p.line, p.column, p.message) for p in found if p.field == "body"] == [
        (line, column if "heading" not in message else 1, message)
        for line, column, message in expected
    ]
