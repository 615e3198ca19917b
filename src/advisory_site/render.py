"""Markdown to sanitised HTML, with one configured Markdown instance per renderer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from advisory_site.pickling import quick_pickle
from advisory_site.quickmarkdown import quicken
from advisory_site.security import ASSET_TAGS

RENDERER_VERSION = "2"
"""Bump when the rendering of the same Markdown changes, so caches are invalidated."""

# HTML5 elements a release body may use. nh3's defaults include obsolete ones (center, tt, ...)
# that the Nu HTML Checker rejects, so the list is ours.
_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
        "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "s",
        "samp", "small", "source", "span", "strong", "sub", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
LOADING_TAGS = tuple(sorted(_TAGS & ASSET_TAGS))
"""The elements the sanitiser keeps that can load something (an image): a body holds none of
these start tags ("<img", in lower case as the sanitiser writes them) unless it loads something."""
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    # what media.picture writes: the variants of a photo, its size, lazy loading
    "img": {"src", "alt", "width", "height", "title", "loading", "decoding"},
    "source": {"type", "srcset", "sizes"},
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


@quick_pickle
@dataclass(frozen=True, slots=True)
class Rendered:
    utf8: bytes  # the sanitised HTML, UTF-8 (kept for thousands of releases: see Release.body)
    first_paragraph: str  # plain text, for default summaries

    @property
    def html(self) -> str:
        return self.utf8.decode("utf-8")


class Renderer:
    """Turns release bodies into safe HTML. Not thread-safe: one per worker.

    ``quick=False`` leaves out the shortcuts of ``quickmarkdown`` (the same output, slower), for
    the tests that compare the two.
    """

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
            quicken(self._markdown)

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

    def forget(self) -> None:
        """Start afresh for the next file: no last key, nothing new (the renderer is kept)."""
        self.last_key = None
        self.new = {}

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
    return str(_cleaner(base_url).clean(fragment))


@functools.lru_cache(maxsize=8)
def _cleaner(base_url: str) -> nh3.Cleaner:
    """The sanitiser's settings, converted for nh3 once (per call, half its time went to that)."""

    def absolute(_tag: str, attribute: str, value: str) -> str:
        if attribute == "srcset":  # 'a-480.webp 480w, a-800.webp 800w'
            return ", ".join(
                " ".join([urljoin(base_url, url), *rest])
                for url, *rest in (item.split() for item in value.split(",") if item.strip())
            )
        return urljoin(base_url, value) if attribute in _LINK_ATTRIBUTES else value

    return nh3.Cleaner(
        attribute_filter=absolute if base_url else None,
        tags=set(_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes=set(_SCHEMES),
        allowed_classes=_CLASSES,
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


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
