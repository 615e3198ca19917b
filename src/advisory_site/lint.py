"""Content lint: things a reader would trip over that are not errors.

Warnings by default, errors with ``--strict``: images without alt text, headings that skip a
level, link text such as "click here", long summaries, all-caps titles and phone numbers that do
not follow the site's format. Body findings carry the line and column of the Markdown source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from advisory_site.content import read_document
from advisory_site.errors import ContentError
from advisory_site.frontmatter import Document
from advisory_site.models import Page, Release, Site, SiteConfig

MAX_SUMMARY = 300
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
PHONE_LIKE = re.compile(
    r"(?<![\w.-])(?:\+1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"
)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT_ATTRIBUTE = re.compile(r"\salt\s*=", re.IGNORECASE)

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


def lint_site(site: Site, site_dir: Path, memo: Memo | None = None) -> tuple[LintWarning, ...]:
    """Every lint finding in the site's releases and pages, in file order."""
    memo = {} if memo is None else memo
    found: list[ContentError] = []
    items: tuple[Release | Page, ...] = (*site.releases, *site.pages)
    for item in items:
        file = site_dir / item.source
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue  # the build read it a moment ago; a file deleted since has nothing to lint
        key = (item.source, text, site.config.phone_format)
        if key not in memo:
            memo[key] = tuple(_lint_file(file, item, site.config))
        found.extend(memo[key])
    return tuple(LintWarning(p) for p in sorted(found, key=ContentError.sort_key))


def _lint_file(file: Path, item: Release | Page, config: SiteConfig) -> Iterator[ContentError]:
    errors: list[ContentError] = []
    document = read_document(file, item.source, errors)
    if document is None:
        return
    finder = _Finder(document, item.source)
    if is_all_caps(item.title):
        yield finder.field(
            "title",
            "is written in capital letters",
            "write it in title case; screen readers may spell out all-caps words",
        )
    if isinstance(item, Release):
        yield from _lint_release_fields(item, document, finder, config)
    yield from _lint_body(document, finder, config)


def _lint_release_fields(
    release: Release, document: Document, finder: _Finder, config: SiteConfig
) -> Iterator[ContentError]:
    if len(release.summary) > MAX_SUMMARY:
        if "summary" in document.data:
            yield finder.field(
                "summary",
                f"is {len(release.summary)} characters long; keep it to {MAX_SUMMARY}",
                "listings, search results and feed readers cut long summaries",
            )
        else:
            line = _first_paragraph_line(document)
            yield finder.at(
                line,
                1,
                "summary",
                f"the first paragraph, used as the summary, is {len(release.summary)} "
                f"characters long; keep it to {MAX_SUMMARY}",
                "add a shorter 'summary:' line to the front matter",
            )
    if release.withdrawal is not None and release.withdrawal.date is None:
        yield finder.field(
            "status",
            "a withdrawn release without withdrawn_date does not tell feed readers again",
            "add a line 'withdrawn_date: ...' with the date of the withdrawal",
        )
    contact = document.data.get("contact")
    phone = contact.get("phone") if isinstance(contact, dict) else None
    if phone is not None and not re.search(config.phone_format, str(phone)):
        yield finder.field(
            "contact.phone", *_phone_problem(str(phone), config), path=("contact", "phone")
        )


def _phone_problem(phone: str, config: SiteConfig) -> tuple[str, str]:
    return (
        f"'{phone}' is not written in the site's phone format",
        f"write it like 202-282-8010 (phone_format in content/site.yaml: {config.phone_format})",
    )


def _lint_body(document: Document, finder: _Finder, config: SiteConfig) -> Iterator[ContentError]:
    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(document.body)
    previous = 1  # the page title is the only h1
    for token in tokens:
        if token.type == "heading_open" and token.map:
            level = max(2, int(token.tag[1:]))  # a '#' heading in a body becomes an h2
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
        if child.type == "text":
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
    letters = [c for c in title if c.isalpha()]
    words = [w for w in title.split() if sum(c.isalpha() for c in w) >= 2]
    return len(words) >= 2 and len(letters) >= 8 and not any(c.islower() for c in letters)


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _first_paragraph_line(document: Document) -> int:
    tokens = MarkdownIt("commonmark").parse(document.body)
    for token in tokens:
        if token.type == "paragraph_open" and token.map:
            return document.body_line + token.map[0]
    return document.body_line


class _Finder:
    """Turns front-matter fields and body offsets into file positions."""

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.path = path
        self.lines = document.body.split("\n")

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
