"""Content lint: things a reader would trip over that are not errors.

Warnings by default, errors with ``--strict``: headings that skip a level (after the first,
which becomes an h2), link text such as "click here", a written summary over 300 characters,
all-caps titles and, where the site sets a house style (``phone_format``), phone numbers written
otherwise: only what a press office would agree is a mistake (real releases, tests/corpus, pass
``--strict``). Images without alt text are found here too, for ``lint_document``'s own callers,
but a build refuses them first (``content.check_body``: Section 508 makes alt text a
requirement). Body findings carry the line and column of the Markdown source.

Every build lints every file, so a body is parsed with markdown-it only when cheap tests on its
text say that a body finding is possible (``body_needs_parse``). The tests are a superset of what
the parse can find; tests/test_lint.py holds the shortcut to the parse's findings.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.entities import entities
from markdown_it.common.utils import isValidEntityCode
from markdown_it.token import Token

from advisory_site.core.budget import OverBudget, over_budget, time_budget
from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.models import Page, Release, Site, SiteConfig
from advisory_site.core.reading import ReadError, read_regular
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
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT_ATTRIBUTE = re.compile(r"\salt\s*=", re.IGNORECASE)

# The parser for the body findings; parsing keeps no state in it between calls.
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")

Memo = dict[tuple[str, str, str], tuple[ContentError, ...]]
"""Findings per (path, file text, phone format), so a preview server re-lints only edits."""


@dataclass(frozen=True, slots=True)
class LintWarning:
    """A finding printed as ``path:line:column: warning: field: message (hint)``."""

    problem: ContentError

    def __str__(self) -> str:
        problem = self.problem
        where = problem.path
        if problem.line:
            where += f":{problem.line}:{problem.column or 1}"
        text = f"{where}: warning: "
        text += f"{problem.field}: {problem.message}" if problem.field else problem.message
        return text + (f" ({problem.hint})" if problem.hint else "")


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
    Page validated from it. Nothing is read or parsed again but the body, and that only when a
    body finding is possible, so it can run wherever the file was loaded (a worker process).

    ``shortcut=False`` always parses the body: the reference the shortcut is tested against.
    """
    return tuple(_lint_file(document, item, config, shortcut))


def _lint_file(
    document: Document, item: Release | Page, config: SiteConfig, shortcut: bool
) -> Iterator[ContentError]:
    finder = _Finder(document, item.source)
    needs_parse = not shortcut or body_needs_parse(document.body, config)
    tokens = _MARKDOWN.parse(document.body) if needs_parse else None
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
        yield from _lint_release_fields(item, document, finder, config, tokens)
    if tokens is not None:
        yield from _lint_body(tokens, finder, config)


def _lint_release_fields(
    release: Release,
    document: Document,
    finder: _Finder,
    config: SiteConfig,
    tokens: Sequence[Token] | None,
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


def _lint_body(
    tokens: Sequence[Token], finder: _Finder, config: SiteConfig
) -> Iterator[ContentError]:
    previous = 1  # the page title is the only h1
    shift: int | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            if _HASHES_ONLY.match(tokens[index + 1].content):
                continue  # an end mark, shown as one (render._Headings)
            # levels are shifted so that the first heading is an h2 (render._Headings)
            if shift is None:
                shift = 2 - int(token.tag[1:])
            level = min(6, max(2, int(token.tag[1:]) + shift))
            if level > previous + 1:
                yield finder.at(
                    finder.body_line(token.map[0]),
                    1,
                    "body",
                    f"this heading becomes an h{level} after an h{previous}, skipping a level",
                    f"start it with {'#' * (previous + 1)} (screen-reader users navigate by "
                    "heading levels)",
                )
            previous = level
        elif token.type == "html_block" and token.map:
            yield from _lint_html(token.content, token.map[0], finder)
        elif token.type == "inline" and token.map:
            yield from _lint_inline(token, finder, config)


def _lint_inline(block: Token, finder: _Finder, config: SiteConfig) -> Iterator[ContentError]:
    """Images, raw <img> tags, links and phone numbers of one paragraph, heading or cell."""
    start, end = block.map or (0, 0)
    cursor = finder.cursor(start, end)
    link_text: list[str] | None = None
    for child in block.children or []:
        if child.type == "link_open":
            link_text = []
        elif child.type == "link_close" and link_text is not None:
            yield from _vague_link("".join(link_text), cursor, finder)
            link_text = None
        elif child.type in ("image", "html_inline"):
            yield from _image_without_alt(child, cursor, finder)
        elif child.type in ("text", "code_inline") and link_text is not None:
            link_text.append(child.content)
        if child.type == "text" and config.phone_format:
            yield from _phones(child.content, cursor, finder, config)


def _vague_link(text: str, cursor: _Cursor, finder: _Finder) -> Iterator[ContentError]:
    line, column = cursor.find(f"[{text}")
    if _normalise(text) in VAGUE_LINK_TEXT:
        yield finder.at(
            line,
            column,
            "body",
            f"the link text '{text}' does not say where the link goes",
            "use words that describe the destination, such as the document's title",
        )


def _image_without_alt(child: Token, cursor: _Cursor, finder: _Finder) -> Iterator[ContentError]:
    if child.type == "image":
        line, column = cursor.find("![")
        if not child.content.strip():
            src = str(child.attrs.get("src", ""))
            yield finder.at(
                line,
                column,
                "body",
                f"the image {src} has no alt text",
                "describe it inside the brackets: ![What the image shows](...)",
            )
    elif _IMG_TAG.match(child.content):
        line, column = cursor.find("<img")
        if not _ALT_ATTRIBUTE.search(child.content):
            yield finder.at(line, column, "body", "an <img> has no alt attribute", 'add alt="..."')


def _phones(
    text: str, cursor: _Cursor, finder: _Finder, config: SiteConfig
) -> Iterator[ContentError]:
    for match in PHONE_LIKE.finditer(text):
        line, column = cursor.find(match.group())
        if not re.search(config.phone_format, match.group()):
            yield finder.at(line, column, "body", *_phone_problem(match.group(), config))


def _lint_html(content: str, first: int, finder: _Finder) -> Iterator[ContentError]:
    for offset, line in enumerate(content.split("\n")):
        for match in _IMG_TAG.finditer(line):
            if not _ALT_ATTRIBUTE.search(match.group()):
                yield finder.at(
                    finder.body_line(first + offset),
                    match.start() + 1,
                    "body",
                    "an <img> has no alt attribute",
                    'add alt="..."',
                )


def is_all_caps(title: str) -> bool:
    """Several words and no lower-case letter: 'URGENT UPDATE ON FLOODING', not 'DHS, FBI'."""
    if any(c.islower() and c.isalpha() for c in title):
        return False  # most titles, at their second letter
    letters = [c for c in title if c.isalpha()]
    words = [w for w in title.split() if sum(c.isalpha() for c in w) >= 2]
    return len(words) >= 2 and len(letters) >= 8


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def body_needs_parse(body: str, config: SiteConfig) -> bool:
    """False only if parsing the body would find nothing, which cheap tests on its text prove.

    Each test below is a superset of what ``_lint_body`` can find (when in doubt, parse):

    - A heading finding needs a heading of level 3 or more (levels start at h2 after the h1
      title), which needs '###' in the text; setext headings are only h1 and h2.
    - A Markdown image needs '![' side by side in a line (an escaped '!' or one from an entity
      is text).
    - An <img> tag (in an HTML block or inline), inline HTML in link text (dropped from it, so
      it may join the words around it) and autolinks (whose text is the address with its
      percent-escapes decoded, so a phone number or "click:here" may hide in it) all need a '<'
      followed by something other than a space or an angle bracket.
    - Link text and phone numbers are made of text (and code) tokens, so both are looked for
      in ``_resolved(body)``; see there, ``_VAGUE_LINK`` and ``_phone_candidates`` for why
      they are found there. Code spans keep entities as written while the resolved text
      decodes them: with a code span and an '&' in the body, parse.
    """
    if "###" in body or "![" in body or _ANGLE.search(body):
        return True
    if "`" in body and "&" in body:
        return True
    text = _resolved(body) if "\\" in body or "&" in body else body
    bracket = text.find("[")
    if bracket >= 0 and _VAGUE_LINK.search(text[bracket:].casefold()):
        return True
    if not config.phone_format:
        return False
    return any(not re.search(config.phone_format, phone) for phone in _phone_candidates(text))


_ANGLE = re.compile(r"<[^\s<>]")
_HASHES_ONLY = re.compile(r"^[#\\\s]*$")
_ESCAPE_OR_ENTITY = re.compile(
    r"\\([^\n])|&(?:#(x[0-9a-f]{1,6}|[0-9]{1,7})|([a-z][a-z0-9]{1,31}));", re.IGNORECASE
)


def _resolved(body: str) -> str:
    """The body with backslash escapes and entities resolved as markdown-it's inline rules do,
    in one pass from left to right (``\\&amp;`` is '&amp;', ``\\a`` stays).

    A text token is a run of one source line resolved this way: no other inline rule matches
    inside it, and it never starts or ends inside an escape or entity (a '\\' always takes the
    character after it, and an entity's letters, digits and ';' are never split by markup). So
    every text token is a substring of the result, except in a table cell after a '\\|' (the
    table drops that backslash): only a '\\' or '|' differ there, which neither link words nor
    phone numbers contain, and the text on either side is the same.
    """

    def resolve(match: re.Match[str]) -> str:
        escaped, number, name = match.groups()
        if escaped is not None:
            return escaped if escaped in string.punctuation else match.group()
        if number is not None:
            code = int(number[1:], 16) if number[0] in "xX" else int(number)
            return chr(code) if isValidEntityCode(code) else "\ufffd"
        return entities.get(name, match.group())

    return _ESCAPE_OR_ENTITY.sub(resolve, body)


def _vague_link_pattern() -> re.Pattern[str]:
    """Text between a '[' and any later ']' whose word characters, leaving out '_', spell a
    vague link text (in ``_resolved(body).casefold()``).

    The text of a link is its text and code tokens (substrings of the resolved body) joined,
    leaving out what lies between them: emphasis markers, backticks, line breaks with the
    indentation or '>' after them; inline HTML and images, which may hold words, need a '<' or
    '![' and are parsed. So its word characters are those of the resolved text between its
    brackets, less some '_' (emphasis). A vague text (after ``_normalise``) has words of letters
    only: a link has a vague text only if the word characters of its text, leaving out '_',
    spell one with nothing else. Before the first letter only the last '[' need be tried.
    """
    spelled = {"".join(_normalise(text).split()) for text in VAGUE_LINK_TEXT}
    gap = r"[\W_]*"
    words = "|".join(gap.join(map(re.escape, word)) for word in sorted(spelled))
    return re.compile(rf"\[(?:[^\w\[]|_)*(?:{words}){gap}\]")


_VAGUE_LINK = _vague_link_pattern()
_PHONE_CANDIDATE = re.compile(rf"(?=({_PHONE_DIGITS}))")
_DIGIT = re.compile(r"\d")
# Punctuation that press releases often hold, and the only non-ASCII characters of most
_COMMON_PUNCTUATION = "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026"


def _has_digit(text: str) -> bool:
    """Whether ``text`` holds a character that ``\\d`` matches, without looking at every one
    (the regular expression takes 30 µs in a release body): the ASCII digits are looked for as
    strings, the others (Arabic-Indic, Devanagari...) only in a text that holds other non-ASCII
    characters than common punctuation."""
    if any(digit in text for digit in "0123456789"):
        return True
    for character in _COMMON_PUNCTUATION:
        text = text.replace(character, "")
    return not text.isascii() and _DIGIT.search(text) is not None


def _phone_candidates(text: str) -> Iterator[str]:
    """Every phone-like run in ``text`` (``_resolved(body)``), at every start, ignoring what
    stands around it.

    ``_phones`` finds PHONE_LIKE in text tokens, which are substrings of the resolved body. A
    match holds only digits, spaces, '+', '(', ')', '.' and '-', and from a given start the
    digits pattern can match in one way only (a '+', a separator, a '(' or a space decides each
    choice), so every phone ``_phones`` checks is one of these, whatever its neighbours.
    """
    if not _has_digit(text):  # the common case, no number at all
        return iter(())
    return (match.group(1) for match in _PHONE_CANDIDATE.finditer(text))


class _Finder:
    """Turns front-matter fields and body offsets into file positions."""

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.path = path

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.document.body.split("\n")

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

    def cursor(self, start: int, end: int) -> _Cursor:
        return _Cursor(self, start, end)


class _Cursor:
    """Finds inline elements in order within the source lines of one block."""

    def __init__(self, finder: _Finder, start: int, end: int) -> None:
        self.finder = finder
        self.start = start
        self.end = end
        self.line = start
        self.column = 0

    def find(self, needle: str) -> tuple[int, int]:
        """The file line and 1-based column of the next ``needle``; the block's start if none."""
        lines = self.finder.lines
        for index in range(self.line, min(self.end, len(lines))):
            found = lines[index].find(needle, self.column if index == self.line else 0)
            if found >= 0:
                self.line, self.column = index, found + len(needle)
                return self.finder.body_line(index), found + 1
        return self.finder.body_line(self.start), 1
