"""Markdown to sanitised HTML, with one configured Markdown instance per renderer."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, SubElement

import markdown
import nh3
from markdown.blockprocessors import BlockProcessor, ParagraphProcessor
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from advisory_site.core.htmlscan import ASSET_TAGS
from advisory_site.markdown.quickmarkdown import quicken

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
    # a video's player address (source.video), which static/js/video.js loads on a click, and
    # the play button's name and description and the player's title, in the page's language
    "figure": {"data-embed", "data-play", "data-note", "data-player"},
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
END_MARK_CLASS = "end-mark"
# the classes of what source.media (a document's label, its "request an accessible format" link)
# and source.video (a video's figure) write into a body
_CLASSES = {
    "a": {"footnote-ref", "footnote-backref"},
    "div": {"footnote"},
    "figure": {"video"},
    "p": {END_MARK_CLASS, "video-link"},
    "span": {"file-label", "file-request", "file-request-name", "video-host"},
}
_SCHEMES = {"http", "https", "mailto", "tel"}
BODY_WORDS = tuple(sorted(_TAGS | {name for names in _CLASSES.values() for name in names}))
"""The element names and classes a sanitised body may hold (the stylesheet keeps their rules)."""


# The line that closes a release: '###', '# # #' (any spacing), '#', '\\#' (an escaped one, as
# the seed writes it) or '-30-', alone on a line.
_END_MARK = re.compile(r"^ {0,3}(?:(?:\\?#[ \t]*)+|-[ \t]*30[ \t]*-)[ \t]*$")
_HASHES_ONLY = re.compile(r"^[#\\\s]*$")
# A paragraph may be an editor's wrap only if its longest line is this long: editors wrap at 60
# to 80 columns (git 72, Emacs 70, Vim and Prettier 80); a longer line was typed as it is.
WRAP_WIDTHS = range(60, 81)
_LINK_TARGET = re.compile(r"\]\([^()\s]*\)")  # a long address may run past the wrap column


class _EndMark(Preprocessor):
    """Takes the release's end mark (its last line, if that is one) out of the text.

    Runs after fenced code and raw HTML are set aside, so a '#' in them is never taken.
    """

    def run(self, lines: list[str]) -> list[str]:
        self.md.end_mark = ""  # type: ignore[attr-defined]
        last = len(lines) - 1
        while last >= 0 and not lines[last].strip():
            last -= 1
        if last >= 0 and _END_MARK.match(lines[last]):
            self.md.end_mark = " ".join(lines[last].replace("\\", "").split())  # type: ignore[attr-defined]
            kept = lines[:last]
            while kept and not kept[-1].strip():
                kept.pop()
            return [*kept, "", ""]  # as the text ends after whitespace normalisation
        return lines


class _Headings(Treeprocessor):
    """Headings as a release's reader needs them.

    A heading made only of '#' (an end mark in the middle of a body, or one typed without the
    blank line above) becomes a centred paragraph; the levels are shifted so that the body's
    first heading is an h2 (the page title is the only h1, and real releases often use '###'
    for their sub-heads), none going above h2 or below h6.
    """

    def run(self, root: Element) -> None:
        headings = []
        for element in root.iter():
            if element.tag not in _ALL_HEADINGS:
                continue
            if len(element) == 0 and _HASHES_ONLY.match(element.text or ""):
                level = int(element.tag[1])
                rest = " ".join((element.text or "").replace("\\", "").split())
                element.tag = "p"
                element.text = "#" * level + (" " + rest if rest else "")
                element.set("class", END_MARK_CLASS)
                continue
            headings.append(element)
        if not headings:
            return
        shift = 2 - int(headings[0].tag[1])
        for element in headings:
            element.tag = f"h{min(6, max(2, int(element.tag[1]) + shift))}"


_ALL_HEADINGS = frozenset(f"h{level}" for level in range(1, 7))


class _LineBlocks(ParagraphProcessor):
    """Lines typed one under another in a paragraph stay one under another (a schedule, an
    address, a signature), unless the paragraph is prose an editor wrapped: see
    ``is_line_block``."""

    def run(self, parent: Element, blocks: list[str]) -> None:
        block = blocks[0]
        if "\n" in block.strip() and is_line_block(block.strip().split("\n")):
            blocks[0] = "  \n".join(line.rstrip() for line in block.split("\n"))
        super().run(parent, blocks)


def is_line_block(lines: list[str]) -> bool:
    """Whether the line ends of a paragraph were typed on purpose.

    A paragraph is taken as wrapped prose, and flows as one, when its longest line (not counting
    link addresses) is 60 to 80 characters long and each line ends where the next line's first
    word would not have fitted within that longest line: what an editor that wraps at a column
    leaves, and none of its lines is in capitals (a label such as OPEN PRESS, or "FOR FURTHER
    INFORMATION ... OR", is never prose). Any other paragraph keeps its lines.
    """
    if any(_in_capitals(line) for line in lines):
        return True
    widths = [len(_LINK_TARGET.sub("]()", line.rstrip())) for line in lines]
    widest = max(widths)
    if widest not in WRAP_WIDTHS:
        return True
    for width, following in zip(widths, lines[1:], strict=False):
        words = following.split()
        if words and width + 1 + len(words[0]) <= widest:
            return True
    return False


def _in_capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


class _AsteriskNotes(BlockProcessor):
    """A lone line starting with '* ' under an advisory ("OPEN PRESS*" then "* Credentialed
    media must ...") is a note, as the press office typed it, not a one-item bulleted list. A
    list of several items, or one continued by more '* ' paragraphs, stays a list."""

    _NOTE = re.compile(r"^\* \S")
    _ITEM = re.compile(r"^ {0,3}(?:[*+-]|\d+[.)])[ \t]", re.MULTILINE)

    def test(self, parent: Element, block: str) -> bool:
        if not self._NOTE.match(block) or len(self._ITEM.findall(block)) != 1:
            return False
        if self.parser.state.isstate("list") or parent.tag in ("li", "ul", "ol"):
            return False
        previous = self.lastChild(parent)
        return previous is None or previous.tag not in ("ul", "ol")

    def run(self, parent: Element, blocks: list[str]) -> bool:
        if len(blocks) > 1 and self._ITEM.match(blocks[1]):
            return False  # the first item of a loose list
        paragraph = SubElement(parent, "p")
        paragraph.text = "\\" + blocks.pop(0)  # the '*' shown as typed
        return True


class _ReleaseExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        # after fenced code (25) and raw HTML (20) are set aside
        md.preprocessors.register(_EndMark(md), "end_mark", 15)
        md.parser.blockprocessors.register(_LineBlocks(md.parser), "paragraph", 10)
        # before the bulleted lists (30)
        md.parser.blockprocessors.register(_AsteriskNotes(md.parser), "asterisk_note", 35)
        # before 'inline' (20), so that a heading's text is as typed, and 'toc' (5), so that
        # ids are made for the final headings
        md.treeprocessors.register(_Headings(md), "release_headings", 30)


@dataclass(frozen=True, slots=True)
class Rendered:
    utf8: bytes  # the sanitised HTML, UTF-8 (kept for thousands of releases: see Release.body)
    first_paragraph: str  # plain text, for default summaries
    end_mark: str = ""  # the closing line ('###', '-30-'), shown after the body; '' if none
    # raw HTML the sanitiser would remove or change: (offset in the text, message, hint)
    problems: tuple[tuple[int, str, str], ...] = ()

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
                _ReleaseExtension(),
            ],
            extension_configs={
                "footnotes": {"UNIQUE_IDS": False},
                # press offices type '--' for an em dash ("WASHINGTON -- The Secretary ...")
                "smarty": {"substitutions": {"ndash": "&mdash;"}},
            },
            output_format="html",
        )
        if quick:
            quicken(self._markdown)

    def render(self, text: str) -> Rendered:
        md = self._markdown
        md.reset()
        unsafe = md.convert(text)
        safe = own_ids(sanitise(unsafe))
        return Rendered(
            utf8=safe.encode("utf-8"),
            first_paragraph=first_paragraph_text(safe),
            end_mark=getattr(md, "end_mark", ""),
            problems=tuple(unsafe_html(text, md.htmlStash.rawHtmlBlocks, unsafe)),
        )


_LINK_ATTRIBUTES = frozenset({"href", "src", "cite"})

PAGE_IDS = (
    "main-content",
    "search-form",
    "search-query",
    "search-results",
    "search-status",
    "site-search-query",
    "agency-feeds",
    "all-feed",
    "topic-feeds",
    "latest-heading",
    "related-heading",
    "topics-heading",
    "updates-heading",
    "years-heading",
)
"""The ids the site's templates give their own elements (the skip link's target, the search
form...): a body's element may not take one, or the skip link would jump into the text."""
BODY_ID_SUFFIX = "-in-text"
_PAGE_ID = re.compile(r'(\s(?:id="|href="#))(' + "|".join(map(re.escape, PAGE_IDS)) + ')"')


def own_ids(fragment: str) -> str:
    """``fragment`` with every id that is one of the page's own (a heading "Main content"
    gets id="main-content") renamed with BODY_ID_SUFFIX, and the body's links to it with it."""
    if "id=" not in fragment and 'href="#' not in fragment:
        return fragment
    return _PAGE_ID.sub(
        lambda match: f'{match.group(1)}{match.group(2)}{BODY_ID_SUFFIX}"', fragment
    )


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
    """The sanitiser's settings, converted for nh3 once rather than on every call."""

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
        if tag == "p" and not self.done and ("class", END_MARK_CLASS) not in attrs:
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


# What to write instead of an element the sanitiser removes.
_INSTEAD = {
    "iframe": "link to it instead, such as [Watch the video](https://www.youtube.com/watch?v=...)",
    "video": "link to it instead, such as [Watch the video](https://www.youtube.com/watch?v=...)",
    "audio": "link to the recording instead, such as [Listen to the remarks](https://...)",
    "embed": "link to the file or page instead, such as [Read the report (PDF)](https://...)",
    "object": "link to the file or page instead, such as [Read the report (PDF)](https://...)",
    "script": "a release cannot run scripts; remove it (to show code, put it in a ``` block)",
    "style": "the site's stylesheet styles every release; remove it",
    "form": "link to the form's page instead",
    "input": "link to the form's page instead",
    "button": "write a link instead, such as [Apply for assistance](https://...)",
    "font": "remove it; the site's stylesheet sets the fonts",
    "center": "remove it; the site's stylesheet lays out the text",
}
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_GENERIC_ATTRIBUTES = frozenset({"lang", "title"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20]")


class _HtmlCheck(HTMLParser):
    """Finds what the sanitiser would remove or change in raw HTML: (offset, message, hint).

    With ``urls_only``, only addresses are checked (for the HTML that Markdown made)."""

    def __init__(self, *, urls_only: bool, removed: set[str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.urls_only = urls_only
        self.found: list[tuple[int, str, str]] = []
        self.line_starts = [0]
        # the elements reported, shared by the parsers of one body (inline HTML comes in pieces)
        self.removed = set() if removed is None else removed

    def check(self, html: str) -> list[tuple[int, str, str]]:
        index = html.find("\n")
        while index >= 0:
            self.line_starts.append(index + 1)
            index = html.find("\n", index + 1)
        self.feed(html)
        self.close()
        return self.found

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        # the end of an element already reported is not reported again
        if not self.urls_only and tag not in _TAGS and tag not in self.removed:
            self.found.append(
                (
                    self._offset(),
                    f"the end tag </{tag}> would be removed from the published page",
                    "remove it; to show it as text, write &lt;/ for its </",
                )
            )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        offset = self._offset()
        removed = "would be removed from the published page"
        if not self.urls_only and tag not in _TAGS:
            self.removed.add(tag)
            hint = _INSTEAD.get(
                tag, "write it in Markdown or remove it; to show it as text, write &lt; for its <"
            )
            self.found.append((offset, f"the <{tag}> element {removed}", hint))
            return
        allowed = _ATTRIBUTES.get(tag, set()) | _GENERIC_ATTRIBUTES
        for name, value in attrs:
            text = value or ""
            problem = ""
            hint = "remove it"
            if name in _URL_ATTRIBUTES and name in allowed:
                scheme = _SCHEME.match(_INVISIBLE.sub("", text))
                if scheme and scheme.group(1).lower() not in _SCHEMES:
                    problem = f"the {scheme.group(1).lower()}: address in <{tag} {name}> {removed}"
                    hint = "link to an https:// address (put a file on a web site and link to it)"
            elif self.urls_only:
                continue
            elif name.startswith("on"):
                problem = f"the event handler {name} on <{tag}> {removed}"
                hint = "a release cannot run scripts; remove it"
            elif name == "class":
                unknown = sorted(set(text.split()) - _CLASSES.get(tag, set()))
                if unknown:
                    problem = f"the class {' '.join(unknown)} on <{tag}> {removed}"
                    hint = "remove it; the site's stylesheet styles every release"
            elif name == "style" and name in allowed:
                declarations = (part.split(":", 1)[0] for part in text.split(";"))
                if {d.strip().lower() for d in declarations if d.strip()} - {"text-align"}:
                    problem = f"the style on <{tag}> {removed}"
                    hint = "only text-align is kept; a Markdown table (|:---|:---:|) aligns columns"
            elif name not in allowed:
                problem = f"the attribute {name} on <{tag}> {removed}"
            if problem:
                self.found.append((offset, problem, hint))


def unsafe_html(text: str, raw: list[str | Element], made: str) -> Iterator[tuple[int, str, str]]:
    """What the sanitiser would remove or change in a body, as (offset in ``text``, message,
    hint), in the order of the text: the raw HTML the author typed (``raw``, as Markdown set it
    aside; what is not in ``text`` as it stands is Markdown's own, such as fenced code) and the
    addresses of every link and image in ``made``, the HTML that Markdown made of it."""
    if "<" not in text and ":" not in text:
        return iter(())
    found: dict[tuple[int, str], str] = {}
    searched: dict[str, int] = {}
    removed: set[str] = set()
    for entry in raw:
        if not isinstance(entry, str) or "<" not in entry:
            continue  # an element Markdown made, or an entity
        typed = entry.strip()  # Markdown keeps a block's line end
        start = text.find(typed, searched.get(typed, 0))
        if start < 0:  # a block Markdown changed (it expands tabs), or made (fenced code)
            typed = typed.split("\n", 1)[0]
            start = text.find(typed, searched.get(typed, 0))
            if start < 0:
                continue
        searched[typed] = start + len(typed)
        start -= len(entry) - len(entry.lstrip())
        for offset, message, hint in _HtmlCheck(urls_only=False, removed=removed).check(entry):
            found.setdefault((start + offset, message), hint)
    if any(f"{attribute}=" in made for attribute in _URL_ATTRIBUTES):
        seen = {message for _, message in found}
        for _, message, hint in _HtmlCheck(urls_only=True).check(made):
            if message not in seen:
                seen.add(message)
                found.setdefault((_locate_url(text, message), message), hint)
    return ((offset, message, found[offset, message]) for offset, message in sorted(found))


def _locate_url(text: str, message: str) -> int:
    """Where the address a URL problem names was typed: the first place its scheme is."""
    scheme = message.split(" ", 2)[1].rstrip(":")
    lowered = text.lower()
    for candidate in (f"({scheme}:", f"<{scheme}:", f"{scheme}:"):
        found = lowered.find(candidate)
        if found >= 0:
            return found + (1 if candidate[0] in "(<" else 0)
    return 0


MAX_SUMMARY = 300
# A sentence ends at '.', '!' or '?' (and a closing quote or bracket) before a space and a
# capital letter, a digit or an opening quote, unless the word is an abbreviation: initials
# (U.S., D.C., a.m.) or a title before a name.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d\u2019)]*(?=\s+[\"\u201c\u2018(]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Za-z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Lt|Gen|Col|Sgt|Capt|Adm|Hon|Rev|St|"
    r"Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|No|Nos|Vol|Inc|Co|Corp|Jr|Sr|Mt|Ft|Ave|Blvd|vs)\.)$"
)


def trimmed_summary(text: str, limit: int = MAX_SUMMARY) -> str:
    """``text`` (a first paragraph) as a summary of at most ``limit`` characters: its first
    sentences, as many as fit; if even the first does not, its first words and an ellipsis."""
    if len(text) <= limit:
        return text
    cut = 0
    for match in _SENTENCE_END.finditer(text, 0, limit + 1):
        end = match.end()
        if end > limit:
            break
        before = text[max(0, match.start() - 12) : match.start()]
        if not (before.endswith(".") and _ABBREVIATION.search(" " + before)):
            cut = end
    if cut:
        return text[:cut].rstrip()
    words = text[:limit].rsplit(None, 1)[0].rstrip(" ,;:-\u2013\u2014")
    return words + "\u2026"
