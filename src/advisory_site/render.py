"""Markdown to sanitised HTML, with one configured Markdown instance per renderer."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, TypeVar, cast
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.blockprocessors import (
    BlockProcessor,
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    ReferenceProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrBlockprocessor
from markdown.extensions.def_list import DefListProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.tables import TableProcessor
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.inlinepatterns import Pattern
from markdown.postprocessors import Postprocessor, RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace, Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor, UnescapeTreeprocessor
from markdown.util import ETX, INLINE_PLACEHOLDER_PREFIX, STX, AtomicString, Registry

RENDERER_VERSION = "1"
"""Bump when the rendering of the same Markdown changes, so caches are invalidated."""

# HTML5 elements a release body may use. nh3's defaults include obsolete ones (center, tt, ...)
# that the Nu HTML Checker rejects, so the list is ours.
_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
        "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
        "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "headers", "style"},
    "th": {"colspan", "rowspan", "headers", "scope", "style"},
    "ol": {"start", "reversed"},
    "li": {"id"},
    "sup": {"id"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
    **{heading: {"id"} for heading in _HEADINGS},
}
_CLASSES = {"a": {"footnote-ref", "footnote-backref"}, "div": {"footnote"}}
_SCHEMES = {"http", "https", "mailto", "tel"}


class _DemoteTitles(Treeprocessor):
    """The page title is the only h1: a '#' heading in a body becomes an h2."""

    def run(self, root: Element) -> None:
        for element in root.iter("h1"):
            element.tag = "h2"


class _DemoteTitlesExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        # before 'toc' (priority 5) so ids are made for the final headings
        md.treeprocessors.register(_DemoteTitles(md), "demote_titles", 30)


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
_TRIGGERS = {"inline": (20, _INLINE_TRIGGERS), "smarty": (6, _SMARTY_TRIGGERS)}


class _QuickInline(InlineProcessor):
    """An inline pass that tries each pattern only on the texts it can match.

    Markdown tries every inline pattern, one after the other, on every piece of text, each a
    regular expression search over the whole text: with smarty's second pass of 18 patterns,
    most of the time of rendering a release. A pattern none of whose triggers is in the text
    cannot match, and Markdown then goes on to the next pattern, which this pass does at once.
    ``tests/test_render.py`` checks the output against plain Markdown.
    """

    def __init__(
        self,
        md: markdown.Markdown,
        patterns: list[tuple[Pattern, tuple[str, ...]]],
    ):
        super().__init__(md)
        self.patterns = patterns  # in the order of the pass, each with its triggers
        # A character of each trigger (the first but spaces, which every text has): what a text
        # holds of these picks the patterns worth trying on it, if any.
        self.keys = "".join(sorted({_key(t) for _, triggers in patterns for t in triggers}))
        self.candidates: dict[str, list[tuple[int, Pattern, tuple[str, ...]]]] = {}

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


def _key(trigger: str) -> str:
    """A character that every text holding ``trigger`` holds, and few others: its first but
    white space, which nearly every text has."""
    return trigger.strip(" \n")[:1] or trigger[-1]


# Block processors that can only take a block holding one of these strings (their expressions
# need them), with the class whose expressions those are. Footnote, abbreviation and link
# definitions take every block on test and hand it back from run unless it matches.
_BLOCK_TRIGGERS: dict[str, tuple[type[BlockProcessor], tuple[str, ...]]] = {
    "table": (TableProcessor, ("|",)),
    "hashheader": (HashHeaderProcessor, ("#",)),
    "setextheader": (SetextHeaderProcessor, ("\n=", "\n-")),
    "hr": (HRProcessor, ("-", "_", "*")),
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
        # each trigger's key, one character, is looked for first: much faster than a string
        for key, trigger in self.triggers:
            if key in block and (key is trigger or trigger in block):
                return self.plain.test(parent, block)
        return False

    def run(self, parent: Element, blocks: list[str]) -> bool | None:
        return self.plain.run(parent, blocks)


class _GuardedLines(Preprocessor):
    """A preprocessor that only runs on the texts that hold one of its triggers."""

    def __init__(self, plain: Preprocessor, triggers: tuple[str, ...]) -> None:
        super().__init__(plain.md)
        self.plain = plain
        self.triggers = _keyed(triggers)

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        for key, trigger in self.triggers:
            if key in text and (key is trigger or trigger in text):
                return self.plain.run(lines)
        return lines


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


_T = TypeVar("_T")


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


_Guardable = TypeVar("_Guardable", BlockProcessor, Preprocessor)


def _guard(
    registry: Registry[_Guardable],
    known: Mapping[str, tuple[type[_Guardable], tuple[str, ...]]],
    guarded: Callable[[_Guardable, tuple[str, ...]], _Guardable],
) -> None:
    """Put each known processor of ``registry`` behind its triggers, in its place; one that is
    not of the class its triggers are for stays as it is."""
    for name, (kind, triggers) in known.items():
        if name in registry and type(registry[name]) is kind:
            registry.register(guarded(registry[name], triggers), name, _priority(registry, name))


def _listed(registry: Registry[_T]) -> _ListedRegistry[_T]:
    listed = _ListedRegistry[_T]()
    for name, priority in _items(registry):
        listed.register(registry[name], name, priority)
    return listed


def _priority(registry: Registry[Any], name: str) -> float:
    return next(priority for item, priority in _items(registry) if item == name)


def _items(registry: Registry[Any]) -> list[tuple[str, float]]:
    """The names and priorities in ``registry`` (private to Markdown, and not in its stubs)."""
    return [(item.name, item.priority) for item in registry._priority]  # type: ignore[attr-defined]


def _quicken(md: markdown.Markdown) -> None:
    """Put ``_QuickInline`` in place of Markdown's and smarty's inline passes, where this
    Markdown has the methods it uses and exactly the patterns whose triggers are known (else
    the plain pass stays: same output, slower); and the known block processors and
    preprocessors behind their triggers."""
    _guard(md.parser.blockprocessors, _BLOCK_TRIGGERS, _GuardedBlocks)
    md.parser.blockprocessors = _listed(md.parser.blockprocessors)
    _guard(md.preprocessors, _PREPROCESSOR_TRIGGERS, _GuardedLines)
    if type(md.preprocessors["normalize_whitespace"]) is NormalizeWhitespace:
        normalise = _QuickWhitespace(md.preprocessors["normalize_whitespace"])
        priority = _priority(md.preprocessors, "normalize_whitespace")
        md.preprocessors.register(normalise, "normalize_whitespace", priority)
    if type(md.postprocessors["raw_html"]) is RawHtmlPostprocessor:
        raw_html = _QuickRawHtml(md.postprocessors["raw_html"])
        md.postprocessors.register(raw_html, "raw_html", _priority(md.postprocessors, "raw_html"))
    if type(md.treeprocessors["unescape"]) is UnescapeTreeprocessor:
        unescape = _QuickUnescape(md)
        md.treeprocessors.register(unescape, "unescape", _priority(md.treeprocessors, "unescape"))
    for extension in md.registeredExtensions:
        if (
            isinstance(extension, TocExtension)
            and type(md.treeprocessors["toc"]) is TocTreeprocessor
        ):
            toc = _QuickToc(md, extension.getConfigs())
            md.treeprocessors.register(toc, "toc", _priority(md.treeprocessors, "toc"))
    if not all(
        hasattr(InlineProcessor, f"_InlineProcessor__{method}")
        for method in ("handleInline", "applyPattern")
    ):
        return
    for name, (priority, triggers) in _TRIGGERS.items():
        plain = md.treeprocessors[name]
        assert isinstance(plain, InlineProcessor)
        # (the stubs give the patterns the tree processor's class)
        registry = cast("Registry[Pattern]", plain.inlinePatterns)
        if len(registry) != len(triggers) or not all(p in registry for p in triggers):
            continue
        ordered = sorted(triggers, key=registry.get_index_for_name)
        quick = _QuickInline(md, [(registry[p], triggers[p]) for p in ordered])
        quick.inlinePatterns = plain.inlinePatterns
        md.treeprocessors.register(quick, name, priority)


@dataclass(frozen=True, slots=True)
class Rendered:
    utf8: bytes  # the sanitised HTML, UTF-8 (kept for thousands of releases: see Release.body)
    first_paragraph: str  # plain text, for default summaries

    @property
    def html(self) -> str:
        return self.utf8.decode("utf-8")


class Renderer:
    """Turns release bodies into safe HTML. Not thread-safe: one per worker."""

    def __init__(self, *, quick: bool = True) -> None:
        self._markdown = markdown.Markdown(
            extensions=[
                "tables",
                "footnotes",
                "toc",
                "smarty",
                "sane_lists",
                "fenced_code",
                "def_list",
                "abbr",
                _DemoteTitlesExtension(),
            ],
            extension_configs={"footnotes": {"UNIQUE_IDS": False}},
            output_format="html",
        )
        if quick:
            _quicken(self._markdown)

    def render(self, text: str) -> Rendered:
        self._markdown.reset()
        unsafe = self._markdown.convert(text)
        safe = sanitise(unsafe)
        return Rendered(utf8=safe.encode("utf-8"), first_paragraph=first_paragraph_text(safe))


_LINK_ATTRIBUTES = frozenset({"href", "src", "cite"})


class MemoRenderer(Renderer):
    """Renders each distinct Markdown text once, looking it up in ``known`` first.

    ``known`` holds earlier results (the persistent build cache) by ``key(text)``; what this
    renderer renders itself is added to ``new``, and the last key it looked up is ``last_key``.
    """

    def __init__(self, known: Mapping[bytes, Rendered], *, key: Callable[[str], bytes]) -> None:
        super().__init__()
        self.known = known
        self.key = key
        self.new: dict[bytes, Rendered] = {}
        self.last_key: bytes | None = None

    def render(self, text: str) -> Rendered:
        key = self.last_key = self.key(text)
        found = self.known.get(key) or self.new.get(key)
        if found is None:
            found = self.new[key] = super().render(text)
        return found


def sanitise(fragment: str, *, base_url: str = "") -> str:
    """Remove everything that could run script or load foreign content.

    With ``base_url``, every link, image and citation address is also made absolute against it
    (for feeds, which are read away from the site).
    """

    def absolute(_tag: str, attribute: str, value: str) -> str:
        return urljoin(base_url, value) if attribute in _LINK_ATTRIBUTES else value

    return str(
        nh3.clean(
            fragment,
            attribute_filter=absolute if base_url else None,
            tags=set(_TAGS),
            attributes=_ATTRIBUTES,
            url_schemes=set(_SCHEMES),
            allowed_classes=_CLASSES,
            filter_style_properties={"text-align"},
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    )


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, tags removed and entities decoded, whitespace folded."""
    return " ".join(html.unescape(str(nh3.clean(fragment, tags=set()))).split())


class _FirstParagraph(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.depth:
            self.depth -= 1
            self.done = self.done or (self.depth == 0 and bool("".join(self.parts).strip()))

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)


def first_paragraph_text(fragment: str) -> str:
    """The text of the first paragraph with text. The parser is fed a paragraph end at a time
    and stops once it has it, rather than reading the whole body."""
    parser = _FirstParagraph()
    start = 0
    while not parser.done and start < len(fragment):
        end = fragment.find("</p>", start)
        end = len(fragment) if end < 0 else end + len("</p>")
        parser.feed(fragment[start:end])
        start = end
    parser.close()
    return " ".join("".join(parser.parts).split())
