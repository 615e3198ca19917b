"""Content lint: things a reader would trip over that are not errors.

Warnings by default, errors with ``--strict``: headings that skip a level, link text such as
"click here", a written summary over 300 characters, all-caps titles and, where the site sets a
house style (``phone_format``), phone numbers written otherwise: only what a press office would
agree is a mistake (real releases, tests/corpus, pass ``--strict``). Images without alt text are
found here too, for ``lint_document``'s own callers, but a build refuses them first
(``content.check_body``: Section 508 makes alt text a requirement).

The body findings are read from what is published, the sanitised HTML that Python-Markdown and
the sanitiser made of the body (``Release.body``, ``Page.body_html``), so the lint and the page
never disagree: a heading's level is the one the page shows, an image is one the page shows.
Each finding is then placed on the line of the Markdown where it was written (``_Finder``).
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from advisory_site.core.budget import OverBudget, over_budget, time_budget
from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.models import Page, Release, Site, SiteConfig
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.report import as_text
from advisory_site.markdown.render import MAX_SUMMARY
from advisory_site.source.frontmatter import MAX_FILE_BYTES, Document, decode, parse_document

VAGUE_LINK_TEXT = frozenset(
    {
        "click",
        "click here",
        "here",
        "learn more",
        "link",
        "more",
        "more info",
        "read more",
        "this",
        "this link",
    }
)
# Telephone-like runs of digits: (202) 282-8010, 202.282.8010, 202 282 8010, +1 202-282-8010.
_PHONE_DIGITS = r"(?:\+1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
PHONE_LIKE = re.compile(rf"(?<![\w.-]){_PHONE_DIGITS}(?![\w-])")
_ALT_ATTRIBUTE = re.compile(r"\salt\s*=", re.IGNORECASE)

Memo = dict[tuple[str, str, str], tuple[ContentError, ...]]
"""Findings per (path, file text, phone format), so a preview server re-lints only edits."""


@dataclass(frozen=True, slots=True)
class LintWarning:
    """A finding printed as ``path:line:column: warning: field: message (hint)``."""

    problem: ContentError

    def __str__(self) -> str:
        return as_text(self.problem, warning=True)


def lint_site(
    site: Site,
    site_dir: Path,
    memo: Memo | None = None,
    linted: Mapping[str, tuple[ContentError, ...]] | None = None,
) -> tuple[LintWarning, ...]:
    """Every lint finding in the site's releases and pages, in file order.

    ``linted`` holds the findings of files linted as they were loaded (by path): they are not
    read again. A file whose lint takes longer than the site's ``time_limit`` is an error
    (``BuildError``, once every file is linted).
    """
    memo = {} if memo is None else memo
    linted = linted or {}
    found: list[ContentError] = []
    stopped: list[ContentError] = []
    items: tuple[Release | Page, ...] = (*site.releases, *site.pages)
    for item in items:
        if item.source in linted:
            found.extend(linted[item.source])
            continue
        try:
            raw = read_regular(site_dir / item.source, MAX_FILE_BYTES)
        except ReadError:
            continue  # the build read it a moment ago; a file deleted since has nothing to lint
        text = decode(raw, item.source)
        if isinstance(text, ContentError):
            continue  # nor has one changed since into something the build refuses
        key = memo_key(item.source, text, site.config)
        if key not in memo:
            document = parse_document(text, item.source)
            try:
                with time_budget(site.config.time_limit):
                    memo[key] = (
                        ()
                        if isinstance(document, ContentError)
                        else lint_document(document, item, site.config)
                    )
            except OverBudget:
                stopped.append(over_budget(item.source, site.config.time_limit))
                continue
        found.extend(memo[key])
    if stopped:
        raise BuildError(stopped)
    return tuple(LintWarning(p) for p in sorted(found, key=ContentError.sort_key))


def memo_key(path: str, text: str, config: SiteConfig) -> tuple[str, str, str]:
    """The ``Memo`` key of a file, from its text as ``frontmatter.decode`` gives it."""
    return (path, text, config.phone_format)


# Format characters (Unicode category Cf: bidirectional overrides and isolates, zero-width
# spaces and joiners, soft hyphens, the byte-order mark...) and other blank look-alikes.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


def lint_document(
    document: Document, item: Release | Page, config: SiteConfig, *, shortcut: bool = True
) -> tuple[ContentError, ...]:
    """The findings of one file, from what loading it made: its Document and the Release or
    Page validated from it (whose body is the published HTML). Nothing is read or rendered
    again, so it can run wherever the file was loaded (a worker process); the HTML is scanned
    only when cheap tests say a body finding is possible (``body_needs_scan``).

    ``shortcut=False`` always scans the body: the reference the shortcut is tested against.
    """
    return tuple(_lint_file(document, item, config, shortcut))


def _lint_file(
    document: Document, item: Release | Page, config: SiteConfig, shortcut: bool
) -> Iterator[ContentError]:
    finder = _Finder(document, item.source)
    published = item.body_html
    scan = not shortcut or body_needs_scan(published, config)
    if is_all_caps(item.title):
        yield finder.field(
            "title",
            "is written in capital letters",
            "write it in title case; screen readers may spell out all-caps words",
        )
    hidden = _INVISIBLE.search(item.title) if not item.title.isascii() else None
    if hidden is not None:
        char = hidden.group()
        yield finder.field(
            "title",
            f"holds the invisible character U+{ord(char):04X} "
            f"({unicodedata.name(char, 'a format character')})",
            "delete it (retype the title if you cannot find it): it changes how the title "
            "reads without showing itself; a right-to-left override turns text around",
        )
    if isinstance(item, Release):
        yield from _lint_release_fields(item, document, finder, config)
    if scan:
        yield from _lint_body(published, finder, config)


def _lint_release_fields(
    release: Release,
    document: Document,
    finder: _Finder,
    config: SiteConfig,
) -> Iterator[ContentError]:
    # a derived summary is trimmed to MAX_SUMMARY (render.trimmed_summary); a written one is not
    if len(release.summary) > MAX_SUMMARY and "summary" in document.data:
        yield finder.field(
            "summary",
            f"is {len(release.summary)} characters long; keep it to {MAX_SUMMARY}",
            "listings, search results and feed readers cut long summaries",
        )
    if release.withdrawal is not None and release.withdrawal.date is None:
        yield finder.field(
            "status",
            "a withdrawn release without withdrawn_date does not tell feed readers again",
            "add a line 'withdrawn_date: ...' with the date of the withdrawal",
        )
    contact = document.data.get("contact")
    phone = contact.get("phone") if isinstance(contact, dict) else None
    if phone is not None and config.phone_format and not re.search(config.phone_format, str(phone)):
        yield finder.field(
            "contact.phone", *_phone_problem(str(phone), config), path=("contact", "phone")
        )


def _phone_problem(phone: str, config: SiteConfig) -> tuple[str, str]:
    return (
        f"'{phone}' is not written in the site's phone format",
        f"write it like 202-282-8010 (phone_format in content/site.yaml: {config.phone_format})",
    )


def _lint_body(published: str, finder: _Finder, config: SiteConfig) -> Iterator[ContentError]:
    """The findings in a published body, in the order of the page: headings, images, links,
    phone numbers."""
    yield from _headings(published, finder)
    yield from _images(published, finder)
    yield from _links(published, finder)
    if config.phone_format:
        yield from _phones(published, finder, config)


# The sanitiser writes every tag in lower case with its attribute values in double quotes.
_HEADING = re.compile(r"<h([2-6])\b[^>]*>(.*?)</h\1>", re.DOTALL)
_IMAGE = re.compile(r'<img\b((?:[^>"]|"[^"]*")*)>')
_LINK = re.compile(r'<a\b((?:[^>"]|"[^"]*")*)>(.*?)</a>', re.DOTALL)
_ATTRIBUTE = re.compile(r'\s([a-z-]+)(?:="([^"]*)")?')
_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)(?:[^>"]|"[^"]*")*>')
_SHOWN_TAG = re.compile(r"&lt;img\b", re.IGNORECASE)  # an <img> Markdown showed as text
_TYPED_TAG = re.compile(r"<img\b", re.IGNORECASE)
_UNSPOKEN = frozenset({"code", "pre", "kbd", "samp"})  # code, never checked for phone numbers


def _text(fragment: str) -> str:
    """The text of an HTML fragment, as a reader sees it (tags left out)."""
    return html.unescape(_TAG.sub("", fragment))


def _attributes(text: str) -> dict[str, str]:
    return {name: html.unescape(value or "") for name, value in _ATTRIBUTE.findall(text)}


def _headings(published: str, finder: _Finder) -> Iterator[ContentError]:
    previous = 1  # the page title is the only h1
    for match in _HEADING.finditer(published):
        level = int(match.group(1))
        line = finder.heading_line(_text(match.group(2)))
        if level > previous + 1:
            yield finder.at(
                line,
                1,
                "body",
                f"this heading becomes an h{level} after an h{previous}, skipping a level",
                f"start it with {'#' * (previous + 1)} (screen-reader users navigate by "
                "heading levels)",
            )
        previous = level


def _images(published: str, finder: _Finder) -> Iterator[ContentError]:
    if _SHOWN_TAG.search(published):
        for text in _spoken_lines(published):
            for _ in _TYPED_TAG.finditer(text):
                line, column = finder.typed_tag()
                yield finder.at(
                    line,
                    column,
                    "body",
                    "an <img> tag is shown on the page as text, not as an image",
                    "write the tag on one line, or the image in Markdown: "
                    "![What the image shows](photo.jpg)",
                )
    if "<img" not in published:
        return
    for match in _IMAGE.finditer(published):
        attributes = _attributes(match.group(1))
        if attributes.get("alt", "").strip():
            continue
        src = attributes.get("src", "")
        line, column, tag = finder.image(src)
        if tag is None:  # a Markdown image: ![](src)
            yield finder.at(
                line,
                column,
                "body",
                f"the image {src} has no alt text",
                "describe it inside the brackets: ![What the image shows](...)",
            )
        elif not _ALT_ATTRIBUTE.search(tag):  # typed as HTML; alt="" says it is decorative
            yield finder.at(line, column, "body", "an <img> has no alt attribute", 'add alt="..."')


def _links(published: str, finder: _Finder) -> Iterator[ContentError]:
    if "<a" not in published:
        return
    for match in _LINK.finditer(published):
        # the words a reader hears; a soft line break joins them, as the text was typed
        text = _text(match.group(2)).replace("\n", "")
        if _normalise(text) in VAGUE_LINK_TEXT:
            href = _attributes(match.group(1)).get("href", "")
            line, column = finder.link(text, href)
            yield finder.at(
                line,
                column,
                "body",
                f"the link text '{text}' does not say where the link goes",
                "use words that describe the destination, such as the document's title",
            )


def _phones(published: str, finder: _Finder, config: SiteConfig) -> Iterator[ContentError]:
    for text in _spoken_lines(published):
        for match in PHONE_LIKE.finditer(text):
            if not re.search(config.phone_format, match.group()):
                line, column = finder.text(match.group())
                yield finder.at(line, column, "body", *_phone_problem(match.group(), config))


def _spoken_lines(published: str) -> Iterator[str]:
    """The text of the published body outside code, a run between two tags (or line breaks,
    where a typed line ended) at a time."""
    code = 0
    start = 0
    for tag in _TAG.finditer(published):
        if not code and tag.start() > start:
            yield from html.unescape(published[start : tag.start()]).split("\n")
        closing, name = tag.group(1, 2)
        if name in _UNSPOKEN:
            code = max(0, code - 1) if closing else code + 1
        start = tag.end()
    if not code and start < len(published):
        yield from html.unescape(published[start:]).split("\n")


def is_all_caps(title: str) -> bool:
    """Several words and no lower-case letter: 'URGENT UPDATE ON FLOODING', not 'DHS, FBI'."""
    if any(c.islower() and c.isalpha() for c in title):
        return False  # most titles, at their second letter
    letters = [c for c in title if c.isalpha()]
    words = [w for w in title.split() if sum(c.isalpha() for c in w) >= 2]
    return len(words) >= 2 and len(letters) >= 8


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def body_needs_scan(published: str, config: SiteConfig) -> bool:
    """False only if scanning the published body would find nothing, which cheap tests on its
    HTML prove (each a superset of what ``_lint_body`` finds; when in doubt, scan):

    - A heading finding needs a heading of level 3 or more (the first may follow the h1 title).
    - An image finding needs an <img>, or one shown as text ('&lt;img'); a link finding an
      <a> whose text is a vague one.
    - A phone number is a run of text: it is one of the phone-like runs of the whole HTML, tags
      and all, once its entities are resolved (a tag never holds a run's characters).
    """
    if _DEEP_HEADING.search(published) or "<img" in published or _SHOWN_TAG.search(published):
        return True
    if "<a" in published and any(
        _normalise(_text(link.group(2)).replace("\n", "")) in VAGUE_LINK_TEXT
        for link in _LINK.finditer(published)
    ):
        return True
    if not config.phone_format:
        return False
    text = html.unescape(published) if "&" in published else published
    return any(not re.search(config.phone_format, phone) for phone in _phone_candidates(text))


_DEEP_HEADING = re.compile(r"<h[3-6]\b")
_PHONE_CANDIDATE = re.compile(rf"(?=({_PHONE_DIGITS}))")
_DIGIT = re.compile(r"\d")
# Punctuation that press releases often hold, and the only non-ASCII characters of most
_COMMON_PUNCTUATION = "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026"


def _has_digit(text: str) -> bool:
    """Whether ``text`` holds a character that ``\\d`` matches, without running the regular
    expression over every character: the ASCII digits are looked for as strings, the others
    (Arabic-Indic, Devanagari...) only in a text that holds other non-ASCII characters than
    common punctuation."""
    if any(digit in text for digit in "0123456789"):
        return True
    for character in _COMMON_PUNCTUATION:
        text = text.replace(character, "")
    return not text.isascii() and _DIGIT.search(text) is not None


def _phone_candidates(text: str) -> Iterator[str]:
    """Every phone-like run in ``text`` (the unescaped HTML), at every start, ignoring what
    stands around it.

    ``_phones`` finds PHONE_LIKE in runs of text, which are substrings of the unescaped HTML. A
    match holds only digits, spaces, '+', '(', ')', '.' and '-', and from a given start the
    digits pattern can match in one way only (a '+', a separator, a '(' or a space decides each
    choice), so every phone ``_phones`` checks is one of these, whatever its neighbours.
    """
    if not _has_digit(text):  # the common case, no number at all
        return iter(())
    return (match.group(1) for match in _PHONE_CANDIDATE.finditer(text))


class _Finder:
    """Turns front-matter fields, and elements of the published body, into file positions.

    An element is found in the Markdown by what it shows (a heading's words, a link's text, an
    image's address), in order: each kind of element is looked for after the last one found,
    since the page keeps the order of the text. What cannot be found is put at the body's start.
    """

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.path = path
        self._after: dict[str, int] = {}  # kind of element -> offset after the last one found

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.document.body.split("\n")

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for line in self.lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        return starts

    def body_line(self, index: int) -> int:
        return self.document.body_line + index

    def field(
        self, name: str, message: str, hint: str, *, path: tuple[str, ...] = ()
    ) -> ContentError:
        where = self.document.positions.of_value(path or (name,))
        return self.at(where.line, where.column, name, message, hint)

    def at(self, line: int, column: int, field: str, message: str, hint: str) -> ContentError:
        return ContentError(
            path=self.path, line=line, column=column, field=field, message=message, hint=hint
        )

    def _position(self, offset: int) -> tuple[int, int]:
        """The file line and 1-based column of an offset in the body."""
        index = max(0, _line_of(self._line_starts, offset))
        return self.body_line(index), offset - self._line_starts[index] + 1

    def _find(self, kind: str, needle: str) -> int:
        """The offset of the next ``needle`` after the last ``kind`` found, or -1."""
        body = self.document.body
        start = self._after.get(kind, 0)
        found = body.find(needle, start) if needle else -1
        if found >= 0:
            self._after[kind] = found + len(needle)
        return found

    def heading_line(self, text: str) -> int:
        """The file line of the next heading whose words are ``text``'s: a line that starts
        with '#' (after any quote or list marks) or '<h', or one underlined with '=' or '-'."""
        wanted = _letters(text)
        start = _line_of(self._line_starts, self._after.get("heading", 0))
        first = -1
        for index in range(max(start, 0), len(self.lines)):
            line = self.lines[index]
            underlined = index + 1 < len(self.lines) and _UNDERLINE.match(self.lines[index + 1])
            if not (_HEADING_LINE.match(line) or underlined):
                continue
            if wanted in _letters(line):
                self._after["heading"] = self._line_starts[index] + len(line)
                return self.body_line(index)
            first = index if first < 0 else first
        if first >= 0:
            self._after["heading"] = self._line_starts[first] + len(self.lines[first])
            return self.body_line(first)
        return self.body_line(0)

    def image(self, src: str) -> tuple[int, int, str | None]:
        """Where the next image of address ``src`` was typed (line and column) and, if it was
        typed as an <img> tag, that tag; None for a Markdown image (or one not found).

        The address is looked for as each kind writes it: after '](' (or '](<') in Markdown,
        after 'src=' in a tag, after ']: ' in a reference definition.
        """
        body = self.document.body
        lowered = body.lower()
        after = self._after.get("image", 0)
        found = []
        for needle, kind in _IMAGE_NEEDLES:
            text, wanted = (
                (lowered, needle.format(src).lower())
                if kind == "tag"
                else (body, needle.format(src))
            )
            offset = text.find(wanted, after)
            if offset >= 0:
                found.append((offset, kind))
        if not found:
            return self.body_line(0), 1, None
        offset, kind = min(found)
        self._after["image"] = offset + 1
        if kind == "tag":
            tag = lowered.rfind("<img", 0, offset)
            tag = tag if tag >= 0 else offset
            end = body.find(">", offset)
            return (*self._position(tag), body[tag : end + 1 if end >= 0 else len(body)])
        if kind == "reference":  # the image is where its '![' is
            mark = body.find("![", self._after.get("reference", 0))
            self._after["reference"] = mark + 1 if mark >= 0 else 0
            return (*self._position(mark if mark >= 0 else offset), None)
        mark = body.rfind("![", 0, offset)
        return (*self._position(mark if mark >= 0 else offset), None)

    def typed_tag(self) -> tuple[int, int]:
        """Where the next <img> tag was typed (in any case)."""
        body = self.document.body.lower()
        start = self._after.get("typed", 0)
        offset = body.find("<img", start)
        self._after["typed"] = offset + 1 if offset >= 0 else start
        return self._position(offset) if offset >= 0 else (self.body_line(0), 1)

    def link(self, text: str, href: str) -> tuple[int, int]:
        """Where the link of ``text`` was typed: its '[', else its text, else its address."""
        offset = self._find("link", f"[{text}")
        if offset < 0:
            body = self.document.body
            wanted = _normalise(text)
            for bracket in _BRACKET.finditer(body, self._after.get("link", 0)):
                if _normalise(_MARKUP.sub("", bracket.group(1))) == wanted:
                    offset = bracket.start()
                    self._after["link"] = bracket.end()
                    break
        if offset < 0:  # an autolink (<https://...>, <press@example.gov>) or an <a> tag
            offset = self._find("link", text)
        if offset < 0:
            offset = self._find("link", href)
        return self._position(offset) if offset >= 0 else (self.body_line(0), 1)

    def text(self, words: str) -> tuple[int, int]:
        """Where ``words`` (a phone number) were typed, else where their first digits were."""
        offset = self._find("text", words)
        if offset < 0:
            offset = self._find("text", words[:3])
        return self._position(offset) if offset >= 0 else (self.body_line(0), 1)


def _line_of(starts: list[int], offset: int) -> int:
    """The index of the line holding ``offset``, from the offsets where lines start."""
    return bisect.bisect_right(starts, offset) - 1


def _letters(text: str) -> str:
    """The letters and digits of ``text``, in lower case: how a heading's words are matched to
    the line they were typed on, whatever markup and typography stand between them."""
    return "".join(c for c in text.casefold() if c.isalnum())


# How each kind of image writes its address: a Markdown image, an <img> tag, a reference
_IMAGE_NEEDLES = (
    ("]({}", "markdown"),
    ("](<{}", "markdown"),
    ('src="{}', "tag"),
    ("src='{}", "tag"),
    ("src={}", "tag"),
    ("]: {}", "reference"),
)
_HEADING_LINE = re.compile(r"^[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*(?:#|<h[1-6])", re.IGNORECASE)
_UNDERLINE = re.compile(r"^[ \t>]*(?:=+|-+)[ \t]*$")
_BRACKET = re.compile(r"\[([^\[\]]{0,300})\]")
_MARKUP = re.compile(r"<[^>]*>|[*_`\\]")
