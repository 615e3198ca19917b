"""Shortcuts through Python-Markdown's passes: each skips only work that cannot change the output.

Markdown tries every inline pattern on every piece of text, every block processor on every block
and every preprocessor on the whole text, mostly with regular expression searches, most of which
cannot match a given text: a pattern or processor whose expression needs a string (its trigger)
that the text does not hold is skipped. The shortcuts take the place of Markdown's own processors
where these are the classes (or patterns) they were written for; elsewhere Markdown's stay, with
the same output, slower. ``tests/test_render.py`` checks the output against plain Markdown on
generated texts that hold every trigger, so that a trigger a pattern could do without fails it.

The shortcuts reach into Python-Markdown's private, name-mangled methods, so they are used only
with the versions they are tested with (``TESTED_VERSIONS``, the range ``pyproject.toml`` allows);
under any other version Markdown's own processors run, after one ``UntestedMarkdownWarning``.

Some texts take Markdown (or the HTML parser it uses) a time that grows with the square of their
length, or nest deeper than Python's recursion limit allows; the quick passes refuse those with
``UnrenderableError`` before starting on them (see ``_Guard`` and ``_QuickInline``). fuzz/README.md
says which constructs these are, and why.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, TypeVar, cast
from xml.etree.ElementTree import Element

import markdown
from markdown.blockprocessors import (
    BlockProcessor,
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    OListProcessor,
    ReferenceProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions.abbr import AbbrBlockprocessor
from markdown.extensions.def_list import DefListProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.tables import TableProcessor
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.inlinepatterns import Pattern
from markdown.postprocessors import Postprocessor, RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace, Preprocessor
from markdown.treeprocessors import InlineProcessor, UnescapeTreeprocessor
from markdown.util import ETX, INLINE_PLACEHOLDER_PREFIX, STX, AtomicString, Registry

_T = TypeVar("_T")

TESTED_VERSIONS = ((3, 11), (3, 12))
"""The Python-Markdown versions the shortcuts are tested with: from the first (major, minor)
up to, not including, the second. Keep in step with ``markdown`` in pyproject.toml."""


class UntestedMarkdownWarning(UserWarning):
    """Python-Markdown is a version the shortcuts are not tested with: it renders without them."""


def is_tested(version: tuple[int, ...]) -> bool:
    """Whether a Python-Markdown (major, minor, ...) is a version the shortcuts are tested on."""
    first, stop = TESTED_VERSIONS
    return first <= tuple(version[:2]) < stop


_warned = False


class UnrenderableError(ValueError):
    """A text Markdown could not render in reasonable time or without exhausting the stack.

    ``line`` is the 0-based line of the text it concerns, or -1 when only ``excerpt`` (the start
    of the paragraph concerned, as Markdown holds it) is known.
    """

    def __init__(self, message: str, hint: str, *, line: int = -1, excerpt: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.excerpt = excerpt

    def line_in(self, text: str) -> int:
        """The 0-based line of ``text`` this concerns, or -1 if unknown."""
        if self.line >= 0 or not self.excerpt:
            return self.line
        offset = text.find(self.excerpt)
        return text.count("\n", 0, offset) if offset >= 0 else -1


MAX_DEPTH = 100
"""Deepest nesting of lists, quotes and indented blocks: Markdown's block parser recurses a few
Python frames per level, and Python stops at 1,000 (lists 300 levels deep do not render)."""
# Each limit below keeps one costly construct to a fraction of the time budget or about a
# second of work (the measured rates are in bench/README.md, "Limits of the render guard").
_HTML_COST = 20_000_000  # characters the HTML parser may scan for tag ends
_BRACKET_COST = 5_000_000  # characters Markdown's link parsing may walk, in Python
_MATCH_COST = 500_000_000  # triggers in texts times their lengths (inline patterns)
_SHORT = 300  # a text this short is cheap to render, whatever it holds
_MAX_ITEMS = 20_000  # list items
_ITEM = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]", re.MULTILINE)
_SPLIT_COST = 100_000_000  # lines that split a block times its length
# a line that splits its block: a '#' heading, a setext underline or a rule
_SPLITS = re.compile(r"^(?:#|[=-]+[ \t]*$| {0,3}(?:[-*_] {0,2}){3,}[ \t]*$)", re.MULTILINE)
_MAX_FENCES = 5_000  # code fences
_MAX_BLOCKS = 20_000  # blocks (between blank lines): quotes, lists and definitions slow past this
_CODE_COST = 5_000_000_000  # indented blocks times the text's length (copying)
_FOOTNOTE_COST = 50_000_000  # footnotes in a block times its length
_MAX_MARKUP = 50_000  # markup characters in a text
# what the inline patterns start from (the triggers of _INLINE_TRIGGERS and _SMARTY_TRIGGERS)
_MARKUP = ("`", "\\", "[", "<", "&", "*", "_", "'", '"', "--", "...", "  \n")
_NESTING = re.compile(r"(?:[ \t]|>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))*")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_BRACKETS = {"[": re.compile(r"[\[\]]"), "(": re.compile(r"[()]")}
# a line that starts with more than MAX_DEPTH of the characters that nest (each counts once)
_DEEP = re.compile(rf"[ \t>\-*+0-9.)]{{{MAX_DEPTH + 1}}}")
_DEEP_LINE = re.compile(rf"\n[ \t>\-*+0-9.)]{{{MAX_DEPTH + 1}}}")  # (a literal first is quick)


def _check_depth(lines: list[str]) -> None:
    """Refuse a line nested more than MAX_DEPTH levels deep: each '>', each list marker and
    each four columns of indentation at its start count as one (more than Markdown would
    count, never fewer)."""
    for number, line in enumerate(lines):
        if not _DEEP.match(line):
            continue  # each level takes at least one character
        prefix = _NESTING.match(line)
        assert prefix is not None  # the expression matches the empty string
        marks = prefix.group()
        columns = len(marks.expandtabs(4)) - len(marks.replace(" ", "").replace("\t", ""))
        depth = marks.count(">") + len(re.findall(r"[-*+\d][.)]?[ \t]", marks)) + columns // 4
        if depth > MAX_DEPTH:
            raise UnrenderableError(
                f"is nested {depth} levels deep (lists, quotes or indentation); "
                f"at most {MAX_DEPTH} can be rendered",
                "flatten the lists or quotes",
                line=number,
            )


def _check_tags(text: str) -> None:
    """Refuse a text in which the HTML parser would read on far for the ends of many tags.

    Python's HTML parser (which Markdown runs over the whole text for raw HTML) reads from each
    '<' that may open a tag, end tag, comment or declaration to the '>' (or '-->') that closes
    it, or to the end of the text: many unclosed ones take a time that grows with the square
    of the text's length.
    """
    if text.count("<") * len(text) <= _HTML_COST:
        return
    cost = 0
    first_far = -1
    close = close_comment = -1
    for match in _TAG_START.finditer(text):
        start = match.start()
        if text.startswith("<!--", start):
            if close_comment < start:
                close_comment = text.find("-->", start + 4)
                close_comment = len(text) if close_comment < 0 else close_comment
            end = close_comment
        else:
            if close < start:
                close = text.find(">", start)
                close = len(text) if close < 0 else close
            end = close
        cost += end - start
        if first_far < 0 and end - start > 1_000:
            first_far = start
        if cost > _HTML_COST:
            raise UnrenderableError(
                "holds too many '<' that open an HTML tag or comment that is not closed for a "
                "long way: Markdown would take minutes to read them",
                "close each tag with '>' (and each comment with '-->'), "
                "or write '&lt;' for a '<' that is not a tag",
                line=text.count("\n", 0, max(first_far, 0)),
            )


def _bracket_cost(text: str, opening: str, closing: str, before: str = "") -> int:
    """How far Markdown's link parsing walks, in Python, character by character: from each
    ``opening`` (preceded by ``before``) to the ``closing`` that balances it, or to the end."""
    cost = 0
    stack: list[int] = []
    for match in _BRACKETS[opening].finditer(text):
        if match.group() == opening:
            stack.append(match.start())
        elif stack:
            start = stack.pop()
            if not before or text.startswith(before, start - len(before)):
                cost += match.start() - start
    return cost + sum(
        len(text) - start
        for start in stack
        if not before or text.startswith(before, start - len(before))
    )


class _InlineCost:
    """What the inline patterns would spend on one document's texts (paragraphs, list items,
    table cells), added up text by text; ``check`` refuses the text that takes it over.

    Two costs grow with the square of a text's length: Markdown's link parsing walks, in
    Python, from each '[' to the ']' that balances it (to the end of the text if none does),
    and from each '](' to its ')'; and each match of any pattern copies the text, which the
    pattern then searches again from its start. Texts of up to ``_SHORT`` characters cost too
    little for the second to matter, however many there are. Each cost is first bounded
    cheaply (every '[' walking to the end; every character a trigger), and only worked out
    once the bounds of a document's texts add up to its limit, which few documents reach.
    """

    def __init__(self, triggers: tuple[str, ...]) -> None:
        self.triggers = triggers
        self.walk = _Cost(_walk, _BRACKET_COST)
        self.matches = _Cost(self._matches, _MATCH_COST)

    def check(self, text: str) -> None:
        if "[" in text and self.walk.add(text, text.count("[") * len(text)):
            raise UnrenderableError(
                "has too many '[' or '](' that are not closed by ']' or ')': "
                "Markdown would take minutes to render it",
                "close the brackets, write '\\[' for a '[' that does not start a link, "
                "or split the paragraph",
                excerpt=_excerpt(text),
            )
        if len(text) > _SHORT and self.matches.add(text, len(text) * len(text)):
            raise UnrenderableError(
                "has too much Markdown markup in long paragraphs: "
                "Markdown would take minutes to render it",
                "split the paragraphs with blank lines",
                excerpt=_excerpt(text),
            )

    def _matches(self, text: str) -> int:
        return sum(map(text.count, self.triggers)) * len(text)


class _Cost:
    """A cost added up over texts: their bounds until these reach ``limit``, then the
    ``exact`` cost of each (of those seen so far, and of each one after)."""

    def __init__(self, exact: Callable[[str], int], limit: int) -> None:
        self.exact = exact
        self.limit = limit
        self.spent = 0
        self.seen: list[str] | None = []  # None once the exact costs are added up

    def add(self, text: str, bound: int) -> bool:
        """Add ``text``; True if the cost is now over the limit."""
        if self.seen is None:
            self.spent += self.exact(text)
        else:
            self.spent += bound
            self.seen.append(text)
            if self.spent > self.limit:
                self.spent = sum(map(self.exact, self.seen))
                self.seen = None
        return self.spent > self.limit


def _walk(text: str) -> int:
    return _bracket_cost(text, "[", "]") + (
        _bracket_cost(text, "(", ")", "]") if "](" in text else 0
    )


def _excerpt(text: str) -> str:
    return text.split("\n", 1)[0][:60]


def _check_counts(text: str, lines: list[str]) -> None:
    """Refuse a text with more blocks, code fences or list items than Markdown handles in
    reasonable time (each costs tens of microseconds, more as there are more)."""
    length = len(text)
    if length > 2 * _MAX_BLOCKS:  # each block takes a character and a blank line
        blocks = text.count("\n\n")
        if blocks > _MAX_BLOCKS:
            raise UnrenderableError(
                f"has {blocks:,} blocks between blank lines: "
                f"Markdown takes too long on more than {_MAX_BLOCKS:,}",
                "split it into several files",
                line=_line_of(lines, "\n\n", _MAX_BLOCKS),
            )
    if length > 3 * _MAX_FENCES:  # each fence takes three characters
        fences = text.count("~~~") + text.count("```")
        if fences > _MAX_FENCES:
            raise UnrenderableError(
                f"has {fences:,} code fences (``` or ~~~): "
                f"Markdown takes too long on more than {_MAX_FENCES:,}",
                "split it into several files",
                line=_line_of_fence(lines, _MAX_FENCES),
            )
    if length > 4 * _MAX_ITEMS:  # each item takes a line of at least three characters
        items = _ITEM.findall(text)
        if len(items) > _MAX_ITEMS:
            raise UnrenderableError(
                f"has {len(items):,} list items: "
                f"Markdown takes too long on more than {_MAX_ITEMS:,}",
                "split it into several files",
                line=[n for n, line in enumerate(lines) if _ITEM.match(line)][_MAX_ITEMS],
            )


def _check_blocks(text: str, lines: list[str]) -> None:
    """Refuse a text whose indented (code) blocks, headings, rules or footnote definitions
    Markdown would copy again and again: each code block after another is added to the one
    before by copying it, and each heading, rule or footnote definition inside a block puts
    the rest of the block back by copying it (and every block processor tests that rest
    again)."""
    length = len(text)
    if length * length > 2 * _CODE_COST:
        indented = text.count("\n\n    ") + text.count("\n\n\t")
        if indented * length > _CODE_COST:
            raise UnrenderableError(
                f"has {indented:,} indented (code) blocks in {length:,} characters: "
                "Markdown would take minutes to render them",
                "join the code blocks, or split the file",
                line=_line_of(lines, "\n\n    ", _CODE_COST // length),
            )
    if length * length // 2 > _SPLIT_COST and len(_SPLITS.findall(text)) * length > _SPLIT_COST:
        offset = 0  # (each line takes 2 characters or more: a short text is under the limit)
        for block in text.split("\n\n"):
            splits = len(_SPLITS.findall(block))
            if splits * len(block) > _SPLIT_COST:
                raise UnrenderableError(
                    f"has {splits:,} headings or rules in a block of {len(block):,} characters: "
                    "Markdown would take minutes to render them",
                    "put blank lines around headings and rules",
                    line=text.count("\n", 0, offset),
                )
            offset += len(block) + 2
    if text.count("[^") * length > _FOOTNOTE_COST:
        offset = 0
        for block in text.split("\n\n"):
            if block.count("[^") * len(block) > _FOOTNOTE_COST:
                raise UnrenderableError(
                    f"has {block.count('[^'):,} footnotes in a block of {len(block):,} "
                    "characters: Markdown would take minutes to render them",
                    "put a blank line between footnote definitions",
                    line=text.count("\n", 0, offset),
                )
            offset += len(block) + 2


def _line_of_fence(lines: list[str], count: int) -> int:
    """The line at which the code fences of ``lines`` pass ``count``."""
    for number, line in enumerate(lines):
        count -= line.count("~~~") + line.count("```")
        if count < 0:
            return number
    return 0


def _line_of(lines: list[str], string: str, count: int) -> int:
    """The line at which the occurrences of ``string`` in ``lines`` (joined) pass ``count``."""
    if string.startswith("\n\n"):  # a blank line, then what follows it
        rest = string[2:]
        blank = [
            n for n, line in enumerate(lines[:-1]) if not line and lines[n + 1].startswith(rest)
        ]
        return blank[count] if count < len(blank) else 0
    return 0


def _line_of_markup(lines: list[str], count: int) -> int:
    """The line at which the markup characters of ``lines`` pass ``count``."""
    for number, line in enumerate(lines):
        count -= sum(map(line.count, _MARKUP))
        if count < 0:
            return number
    return 0


class _Guard(Preprocessor):
    """Refuses a text too deep or too costly to render, before Markdown starts on it."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if _DEEP.match(text) or _DEEP_LINE.search(text):
            _check_depth(lines)
        _check_tags(text)
        _check_counts(text, lines)
        _check_blocks(text, lines)
        # each markup string is at least one character long
        markup = sum(map(text.count, _MARKUP)) if len(text) > _MAX_MARKUP else 0
        if markup > _MAX_MARKUP:
            raise UnrenderableError(
                f"holds {markup:,} characters of Markdown markup (quotes, *, _, `, [, <, &, \\): "
                f"Markdown takes too long on more than {_MAX_MARKUP:,}",
                "split it into several files",
                line=_line_of_markup(lines, _MAX_MARKUP),
            )
        return lines


# The patterns of the two inline passes, each with the strings of which any match of it holds at
# least one: a pattern is only tried on a text that holds one of them. Markdown's own pass: code,
# escapes, links, images and footnotes, autolinks and raw HTML, entities, emphasis, and the
# two-space line break.
_INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
}
# Smarty's pass: typographic dashes, ellipses and quotes. Quotes 2 to 5 need a quote next to one
# of the other kind, quote 6 (the '80s) a single quote before a digit.
_SMARTY_TRIGGERS: dict[str, tuple[str, ...]] = {
    "smarty-em-dashes": ("---",),
    "smarty-en-dashes": ("--",),
    "smarty-ellipses": ("...",),
    "smarty-quotes-0": ("'",),
    "smarty-quotes-1": ('"',),
    "smarty-quotes-2": ("\"'",),
    "smarty-quotes-3": ("'\"",),
    "smarty-quotes-4": ("'\"",),
    "smarty-quotes-5": ("\"'",),
    "smarty-quotes-6": tuple(f"'{digit}" for digit in "0123456789"),
    **{f"smarty-quotes-{index}": ("'",) for index in range(7, 11)},
    **{f"smarty-quotes-{index}": ('"',) for index in range(11, 15)},
}


class _QuickInline(InlineProcessor):
    """An inline pass that tries each pattern only on the texts it can match.

    Markdown tries every inline pattern, one after the other, on every piece of text, each a
    regular expression search over the whole text (smarty's second pass has 18 patterns). A
    pattern none of whose triggers is in the text cannot match, and Markdown then goes on to
    the next pattern, which this pass does at once.
    """

    def __init__(
        self,
        md: markdown.Markdown,
        patterns: list[tuple[Pattern, tuple[str, ...]]],
    ):
        super().__init__(md)
        self.patterns = patterns  # in the order of the pass, each with its triggers
        # what a text holds of the triggers' keys picks the patterns worth trying on it, if any
        self.keys = "".join(sorted({_key(t) for _, triggers in patterns for t in triggers}))
        self.candidates: dict[str, list[tuple[int, Pattern, tuple[str, ...]]]] = {}
        # a text holding none of these (nor a placeholder) is left as it is by the pass
        every = {trigger for _, triggers in patterns for trigger in triggers}
        self.shortest = tuple(sorted(t for t in every if not any(o != t and o in t for o in every)))
        self.wanted = _keyed((INLINE_PLACEHOLDER_PREFIX, *self.shortest))

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        """Markdown's pass over the tree, which hands every text and tail to the patterns (and
        every tail to a throwaway element): a text that holds no trigger and no placeholder is
        left where it is, which is what the pass would make of it."""
        self.stashed_nodes: dict[str, Element | str] = {}
        tree_parents = [] if ancestors is None else ancestors[:]
        self.parent_map = {c: p for p in tree.iter() for c in p}
        stack = [(tree, tree_parents)]
        self._InlineProcessor__build_ancestors(tree, tree_parents)  # type: ignore[attr-defined]
        handle: Callable[[str], str] = self._InlineProcessor__handleInline
        place: Callable[..., list[tuple[Element, list[str]]]]
        place = self._InlineProcessor__processPlaceholders
        wanted = self.wanted
        cost = _InlineCost(self.shortest)
        while stack:
            element, parents = stack.pop(0)
            self.ancestors = parents
            if element is not tree:
                self.ancestors.append(element.tag.lower())
            queue = []
            for child in element:
                text = child.text
                if text and not isinstance(text, AtomicString) and _holds_any(text, wanted):
                    cost.check(text)
                    self.ancestors.append(child.tag.lower())
                    child.text = None
                    found = place(handle(text), child)
                    for item in found:
                        self.parent_map[item[0]] = child
                    stack += found
                    queue.append((child, found))
                    self.ancestors.pop()
                tail = child.tail
                if tail and _holds_any(tail, wanted):
                    cost.check(tail)
                    tail = handle(tail)
                    holder = Element("d")
                    child.tail = None
                    results = place(tail, holder, False)
                    if holder.tail:
                        child.tail = holder.tail
                    position = list(element).index(child) + 1
                    results.reverse()
                    for made in results:
                        self.parent_map[made[0]] = element
                        element.insert(position, made[0])
                if len(child):
                    self.parent_map[child] = element
                    stack.append((child, self.ancestors[:]))
            for parent, found in queue:
                for index, item in enumerate(found):
                    parent.insert(index, item[0])
        return tree

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803 - overrides InlineProcessor's private method
        """Markdown's loop over the patterns, without the searches that cannot match.

        Markdown tries pattern after pattern from ``patternIndex``, each again from where its
        last match ended for as long as it matches. A pattern whose triggers are not in the text
        does not match, and would not later: a match puts a placeholder, which holds no trigger,
        in place of text, so triggers are never made, only removed.
        """
        if isinstance(data, AtomicString):
            return data
        keys = "".join([key for key in self.keys if key in data])
        if not keys:
            return data
        candidates = self.candidates.get(keys)
        if candidates is None:
            candidates = self.candidates[keys] = [
                (index, pattern, triggers)
                for index, (pattern, triggers) in enumerate(self.patterns)
                if any(_key(trigger) in keys for trigger in triggers)
            ]
        apply: Callable[[Pattern, str, int, int], tuple[str, bool, int]]
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        for index, pattern, triggers in candidates:
            if index < patternIndex:
                continue
            for trigger in triggers:
                if trigger in data:
                    break
            else:
                continue
            matched, start = True, 0
            while matched:
                data, matched, start = apply(pattern, data, index, start)
        return data

    def _InlineProcessor__processPlaceholders(  # noqa: N802 - overrides InlineProcessor's private method
        self,
        data: str | None,
        parent: Element,
        isText: bool = True,  # noqa: N803 - the same
    ) -> list[tuple[Element, list[str]]]:
        """Markdown's, which puts the elements that a text's placeholders stand for in its place
        and its text around them: for a text without placeholders, that text alone."""
        if not data or INLINE_PLACEHOLDER_PREFIX in data:
            process: Callable[[str | None, Element, bool], list[tuple[Element, list[str]]]]
            process = super()._InlineProcessor__processPlaceholders  # type: ignore[misc]
            return process(data, parent, isText)
        text = AtomicString(data) if isinstance(data, AtomicString) else data
        if isText:
            parent.text = parent.text + text if parent.text else text
        else:
            parent.tail = parent.tail + text if parent.tail else text
        return []


def _holds_any(text: str, keyed: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``text`` holds one of the strings of ``keyed`` (``_keyed``). Each string's key,
    one character, is looked for first: the quickest search, and most texts lack it. (A loop:
    a generator costs more than the searches on most texts.)"""
    for key, string in keyed:  # noqa: SIM110 - see above
        if key in text and (key is string or string in text):
            return True
    return False


def _key(trigger: str) -> str:
    """A character that every text holding ``trigger`` holds, and few others: its first one
    that is not a space or a line end (which nearly every text has), else its last."""
    return trigger.strip(" \n")[:1] or trigger[-1]


# Block processors that can only take a block holding one of these strings (their expressions
# need them), with the class whose expressions those are. Footnote, abbreviation and link
# definitions take every block on test and hand it back from run unless it matches.
_BLOCK_TRIGGERS: dict[str, tuple[type[BlockProcessor], tuple[str, ...]]] = {
    "table": (TableProcessor, ("|",)),
    "hashheader": (HashHeaderProcessor, ("#",)),
    "setextheader": (SetextHeaderProcessor, ("\n=", "\n-")),
    # three of one of the characters, each followed by up to two spaces
    "hr": (HRProcessor, tuple(c + gap + c for c in "-_*" for gap in ("", " ", "  "))),
    "deflist": (DefListProcessor, (": ",)),
    "quote": (BlockQuoteProcessor, (">",)),
    "footnote": (FootnoteBlockProcessor, ("[^",)),
    "abbr": (AbbrBlockprocessor, ("*[",)),
    "reference": (ReferenceProcessor, ("]:",)),
}
# Preprocessors that return the lines they are given unless the text holds one of these: fenced
# code needs a fence; raw HTML a tag, and its parser rewrites an entity without its ';'.
_PREPROCESSOR_TRIGGERS: dict[str, tuple[type[Preprocessor], tuple[str, ...]]] = {
    "fenced_code_block": (FencedBlockPreprocessor, ("```", "~~~")),
    "html_block": (HtmlBlockPreprocessor, ("<", "&")),
}


def _keyed(triggers: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each trigger with its key (itself if it is one character long)."""
    return tuple((trigger if len(trigger) == 1 else _key(trigger), trigger) for trigger in triggers)


class _GuardedBlocks(BlockProcessor):
    """A block processor that is only tested on the blocks that hold one of its triggers."""

    def __init__(self, plain: BlockProcessor, triggers: tuple[str, ...]) -> None:
        super().__init__(plain.parser)
        self.plain = plain
        self.triggers = _keyed(triggers)

    def test(self, parent: Element, block: str) -> bool:
        return _holds_any(block, self.triggers) and self.plain.test(parent, block)

    def run(self, parent: Element, blocks: list[str]) -> bool | None:
        return self.plain.run(parent, blocks)


class _GuardedLines(Preprocessor):
    """A preprocessor that only runs on the texts that hold one of its triggers."""

    def __init__(self, plain: Preprocessor, triggers: tuple[str, ...]) -> None:
        super().__init__(plain.md)
        self.plain = plain
        self.triggers = _keyed(triggers)

    def run(self, lines: list[str]) -> list[str]:
        return self.plain.run(lines) if _holds_any("\n".join(lines), self.triggers) else lines


class _QuickWhitespace(Preprocessor):
    """Markdown's whitespace normalisation, which removes the characters it uses for its own
    markers, makes every line end a newline, expands tabs, empties the lines that hold only
    spaces and puts two blank lines at the end: of that, a text without those characters,
    carriage returns, tabs and such lines needs only the blank lines. Markdown looks for these
    lines with an expression that is slow on long texts."""

    _SPACES_ONLY = re.compile(r"\n +(?:\n|\Z)")  # a line of spaces (after a first line)

    def __init__(self, plain: Preprocessor) -> None:
        super().__init__(plain.md)
        self.plain = plain

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        for character in (STX, ETX, "\r", "\t"):
            if character in text:
                return self.plain.run(lines)
        if self._SPACES_ONLY.search(text):
            return self.plain.run(lines)
        return (text + "\n\n").split("\n")


class _QuickRawHtml(Postprocessor):
    """Markdown's putting back of the raw HTML it set aside, on the lines from the first of its
    placeholders to the last: its expression, slow on long texts, matches a placeholder (with
    the paragraph tags around it) and never a line end."""

    def __init__(self, plain: Postprocessor) -> None:
        super().__init__()
        self.plain = plain

    def run(self, text: str) -> str:
        first = text.find(STX)
        if first < 0:
            return text
        last = text.rfind(ETX)
        if last < first:
            return self.plain.run(text)
        start = text.rfind("\n", 0, first) + 1
        end = text.find("\n", last)
        if end < 0:
            end = len(text)
        return text[:start] + self.plain.run(text[start:end]) + text[end:]


class _QuickToc(TocTreeprocessor):
    """The table of contents, which looks for its marker only in a document that holds it."""

    def replace_marker(self, root: Element, elem: Element) -> None:
        """Markdown's, which replaces each paragraph whose text is the marker (and walks the
        whole document, joining the text of each element, to find them)."""
        if any(element.text and self.marker in element.text for element in root.iter()):
            super().replace_marker(root, elem)


class _QuickUnescape(UnescapeTreeprocessor):
    """Markdown's restoring of escaped characters, which looks for its marker with an expression
    in every text: only in the texts that hold the marker's first character."""

    def unescape(self, text: str) -> str:
        return super().unescape(text) if STX in text else text


class _ListedRegistry(Registry[_T]):
    """A registry that lists its items once, not on every iteration: the block parser goes
    through its processors for every block."""

    def __init__(self) -> None:
        super().__init__()
        self.listed: list[_T] | None = None

    def __iter__(self) -> Iterator[_T]:
        if self.listed is None:
            self.listed = list(super().__iter__())
        return iter(self.listed)

    def register(self, item: _T, name: str, priority: float) -> None:
        self.listed = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self.listed = None
        super().deregister(name, strict)


def quicken(md: markdown.Markdown) -> None:
    """Put the shortcuts in place of ``md``'s processors (where they are Markdown's own), and
    the guard against texts too deep or too costly to render before them.

    A Markdown whose registries no longer keep their priorities where ``_items`` reads them
    (a private attribute) keeps its own processors: the same output, slower, and only the
    guard's checks of the whole text (the time budget stops the rest). So does one under a
    Python-Markdown version outside ``TESTED_VERSIONS``, with a warning (once per process).
    """
    global _warned  # noqa: PLW0603 - one warning per process, not one per renderer
    md.preprocessors.register(_Guard(md), "guard", 40)  # first, before whitespace (30)
    version = tuple(markdown.__version_info__[:2])
    if not is_tested(version):
        if not _warned:
            _warned = True
            warnings.warn(
                f"Python-Markdown {markdown.__version__} is not a version advisory-site is "
                f"tested with ({_range()}): rendering without its shortcuts, slower; install "
                "the version pyproject.toml asks for (pip install -e .)",
                UntestedMarkdownWarning,
                stacklevel=2,
            )
        return
    if not hasattr(md.preprocessors, _PRIORITIES):
        return
    for name, (kind, triggers) in _PREPROCESSOR_TRIGGERS.items():
        _replace(md.preprocessors, name, kind, partial(_GuardedLines, triggers=triggers))
    _replace(md.preprocessors, "normalize_whitespace", NormalizeWhitespace, _QuickWhitespace)
    for name, (block_kind, block_triggers) in _BLOCK_TRIGGERS.items():
        guarded = partial(_GuardedBlocks, triggers=block_triggers)
        _replace(md.parser.blockprocessors, name, block_kind, guarded)
    for lists in md.parser.blockprocessors:
        if isinstance(lists, OListProcessor) and type(lists).get_items is _PLAIN_GET_ITEMS:
            lists.get_items = partial(_get_items, lists)  # type: ignore[method-assign]
    md.parser.blockprocessors = _listed(md.parser.blockprocessors)
    if all(hasattr(InlineProcessor, f"_InlineProcessor__{m}") for m in _INLINE_METHODS):
        for name, patterns in (("inline", _INLINE_TRIGGERS), ("smarty", _SMARTY_TRIGGERS)):
            quick = partial(_quick_inline, triggers=patterns)
            _replace(md.treeprocessors, name, InlineProcessor, quick)
    toc = [e.getConfigs() for e in md.registeredExtensions if isinstance(e, TocExtension)]
    if toc:
        _replace(md.treeprocessors, "toc", TocTreeprocessor, lambda _: _QuickToc(md, toc[0]))
    _replace(md.treeprocessors, "unescape", UnescapeTreeprocessor, lambda _: _QuickUnescape(md))
    _replace(md.postprocessors, "raw_html", RawHtmlPostprocessor, _QuickRawHtml)


def _range() -> str:
    (major, minor), (stop_major, stop_minor) = TESTED_VERSIONS
    return f">={major}.{minor},<{stop_major}.{stop_minor}"


_PLAIN_GET_ITEMS = OListProcessor.get_items


def _get_items(lists: OListProcessor, block: str) -> list[str]:
    """Markdown's ``OListProcessor.get_items``, which splits a block into list items: it adds
    each line to its item by copying the item, a time that grows with the square of an item's
    lines; this joins each item's lines once."""
    items: list[list[str]] = []
    for line in block.split("\n"):
        match = lists.CHILD_RE.match(line)
        if match:
            if not items and lists.TAG == "ol":
                start = re.match(r"(\d+)", match.group(1))
                assert start is not None  # CHILD_RE's group 1 starts with digits
                lists.STARTSWITH = start.group()  # type: ignore[misc]  # as Markdown does
            items.append([match.group(3)])
        elif lists.INDENT_RE.match(line) and not items[-1][0].startswith(" " * lists.tab_length):
            items.append([line])  # an indented item (a nested list) after a plain one
        else:
            items[-1].append(line)
    return ["\n".join(item) for item in items]


_INLINE_METHODS = ("handleInline", "applyPattern", "processPlaceholders", "build_ancestors")


def _quick_inline(
    plain: InlineProcessor, triggers: Mapping[str, tuple[str, ...]]
) -> InlineProcessor:
    """``_QuickInline`` for the patterns of ``plain``, or ``plain`` itself unless it has
    exactly the patterns whose triggers are known."""
    # (the stubs give the patterns the tree processor's class)
    patterns = cast("Registry[Pattern]", plain.inlinePatterns)
    if len(patterns) != len(triggers) or not all(name in patterns for name in triggers):
        return plain
    ordered = sorted(triggers, key=patterns.get_index_for_name)
    quick = _QuickInline(plain.md, [(patterns[name], triggers[name]) for name in ordered])
    quick.inlinePatterns = plain.inlinePatterns
    return quick


def _replace(
    registry: Registry[_T], name: str, kind: type[Any], quick: Callable[[Any], _T]
) -> None:
    """Put ``quick(processor)`` in the place of the processor ``name``, at its priority, if that
    is of the class ``kind`` and no subclass (which could match more than ``kind`` does)."""
    if name in registry and type(registry[name]) is kind:
        registry.register(quick(registry[name]), name, _priority(registry, name))


def _listed(registry: Registry[_T]) -> _ListedRegistry[_T]:
    listed = _ListedRegistry[_T]()
    for name, priority in _items(registry):
        listed.register(registry[name], name, priority)
    return listed


def _priority(registry: Registry[Any], name: str) -> float:
    return next(priority for item, priority in _items(registry) if item == name)


def _items(registry: Registry[Any]) -> list[tuple[str, float]]:
    """The names and priorities in ``registry`` (private to Markdown, and not in its stubs)."""
    return [(item.name, item.priority) for item in getattr(registry, _PRIORITIES)]


_PRIORITIES = "_priority"  # where a Registry keeps its items' names and priorities
