"""The normal form in which the ledger hashes a release's text, so that a quoted passage can be
matched: Unicode NFC, invisible characters removed, typographic quotes, dashes and ellipses
folded to ASCII, every run of white space one space, no space at either end or around a dash
(two hyphens, an en dash and a spaced em dash are all "-").

``static/js/verify.js`` does exactly the same in the browser (the tests compare the two): change
one, change the other, and the ledger's ``normalisation`` version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html.parser import HTMLParser

NORMALISATION = 1  # the version of these rules, recorded in the ledger

# Explicit classes rather than Python's or JavaScript's idea of "white space", which differ.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060]")
_SPACE = re.compile(
    "[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_SINGLE_QUOTES = re.compile("[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4]")
_DOUBLE_QUOTES = re.compile("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]")
_DASHES = re.compile(" ?[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d-]+ ?")
_ELLIPSIS = re.compile("\u2026")
_BLANK_LINE = re.compile(r"\r\n?|\n")

# Elements whose text is a paragraph of its own (a list item, a table cell...): text is cut
# into paragraphs where one of them starts or ends. Inline elements (links, emphasis) are not.
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})


def normalise(text: str) -> str:
    """``text`` in the ledger's normal form (see the module's docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SINGLE_QUOTES.sub("'", text)
    text = _DOUBLE_QUOTES.sub('"', text)
    text = _ELLIPSIS.sub("...", text)
    text = _SPACE.sub(" ", text)
    return _DASHES.sub("-", text).strip(" ")


def collapse(text: str) -> str:
    """``text`` with every run of white space one space and none at either end."""
    return _SPACE.sub(" ", text).strip(" ")


def has_words(text: str) -> bool:
    """Whether a paragraph holds a letter or a digit: one that does not (the "###" that ends a
    press release) is in many releases and says nothing, so a passage is checked without it."""
    return any(character.isalnum() for character in text)


def sha256(text: str) -> str:
    """The SHA-256 of ``text`` in UTF-8, in hexadecimal."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_paragraphs(text: str) -> list[str]:
    """The paragraphs of plain text, normalised: blocks separated by a blank line (a line break
    inside a paragraph, as an e-mail or a reflowed quotation has, is only a space)."""
    lines = _BLANK_LINE.split(text)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if normalise(line):
            current.append(line)
        elif current:
            paragraphs.append(normalise(" ".join(current)))
            current = []
    return paragraphs


class _Blocks(HTMLParser):
    """The text of each block of an HTML fragment or page, in document order."""

    def __init__(self, *, normal: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._form = normalise if normal else collapse
        self._text: list[str] = []
        self._skipping = 0

    def _cut(self) -> None:
        block = self._form("".join(self._text))
        if block:
            self.blocks.append(block)
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in BLOCKS:
            self._cut()
        elif tag == "br":
            self._text.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self._cut()
        elif tag == "br":
            self._text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCKS:
            self._cut()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._cut()


def html_paragraphs(html: str, *, normal: bool = True) -> list[str]:
    """The paragraphs of an HTML fragment (a release's body), normalised (or, not ``normal``,
    with white space collapsed only, for display). A line break (<br>) is a space, as a line
    break in pasted text is."""
    parser = _Blocks(normal=normal)
    parser.feed(html)
    parser.close()
    return parser.blocks


class _Page(_Blocks):
    """The blocks of a saved release page: its title (<h1>) and those of its body, or (a page
    of another kind) every block of its <body>."""

    def __init__(self) -> None:
        super().__init__(normal=True)
        self.title: list[str] = []
        self.body: list[str] = []
        self._depth = 0  # element depth inside the release body, 0 outside
        self._start = 0  # the first block of the release body
        self._in_title = False
        self._title_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += tag not in _VOID
        elif tag == "div" and "release-body" in classes:
            self._cut()
            self._depth = 1
            self._start = len(self.blocks)
            return
        if tag == "h1" and not self.title:
            self._in_title = True
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if tag == "h1" and self._in_title:
            self._in_title = False
            title = normalise("".join(self._title_text))
            if title:
                self.title.append(title)
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self._cut()
                self.body = self.blocks[self._start :]

    def handle_data(self, data: str) -> None:
        super().handle_data(data)
        if self._in_title:
            self._title_text.append(data)


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def page_paragraphs(html: str) -> list[str]:
    """The normalised paragraphs of a page saved from the site: the release's title and body
    (its navigation, dates and footer are no part of the release), or every block of a page
    that is not a release page."""
    parser = _Page()
    parser.feed(html)
    parser.close()
    if parser.body:
        return [*parser.title, *parser.body]
    return parser.blocks
