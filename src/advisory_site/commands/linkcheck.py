"""Check that every internal link and ``#anchor`` of a built site resolves, without a network.

A link is internal when it is relative, a path, or an absolute address under the site's base URL
(given, or read from the pages' canonical links). It resolves when the file it names exists in the
folder (``/x/`` and ``/x`` mean ``x/index.html``, as a static host serves them) and, when it has a
fragment, the target page has an element with that id. External links are counted, never fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from advisory_site.core.errors import OutputError, UsageError
from advisory_site.core.reading import ReadError, read_regular

# Attributes that hold one URL, by element. ``srcset`` (img, source) holds a list.
URL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src",),
    "source": ("src",),
    "script": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "form": ("action",),
}
SRCSET_ELEMENTS = frozenset({"img", "source"})
HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokenLink:
    file: str  # relative to the checked folder, '/'-separated
    line: int
    url: str  # as written in the page

    def message(self, folder: Path) -> str:
        return f"{(folder / self.file).as_posix()}: broken link to {self.url} (line {self.line})"


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkReport:
    pages: int
    internal: int  # internal links and anchors checked
    external: int  # links to other sites, counted but not fetched
    base_url: str | None  # the base URL links were judged against
    broken: tuple[BrokenLink, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Link:
    line: int
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Scan:
    """What one page links to and which fragment targets it offers."""

    links: tuple[_Link, ...]
    ids: frozenset[str]
    canonical: str | None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self.ids: set[str] = set()
        self.canonical: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        line = self.getpos()[0]
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:  # the legacy way to name a fragment target
            self.ids.add(values["name"])
        for name in URL_ATTRIBUTES.get(tag, ()):
            if name in values:
                self.links.append(_Link(line=line, url=values[name].strip()))
        if tag in SRCSET_ELEMENTS and "srcset" in values:
            self.links.extend(_Link(line=line, url=url) for url in srcset_urls(values["srcset"]))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = refresh_url(values.get("content", ""))
            if target:
                self.links.append(_Link(line=line, url=target))
        if tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href")


def srcset_urls(srcset: str) -> Iterator[str]:
    """The URLs of a ``srcset``: comma-separated candidates of a URL and a descriptor."""
    for candidate in srcset.split(","):
        words = candidate.split()
        if words:
            yield words[0]


def refresh_url(content: str) -> str:
    """The target of ``<meta http-equiv="refresh" content="0; url=...">``, or ''."""
    _, _, rest = content.partition(";")
    key, _, url = rest.strip().partition("=")
    return url.strip().strip("'\"") if key.strip().lower() == "url" else ""


def scan_page(text: str) -> _Scan:
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    return _Scan(links=tuple(parser.links), ids=frozenset(parser.ids), canonical=parser.canonical)


MAX_BUILT_BYTES = 64 * 1024 * 1024
"""Largest file of a built site read by check-links and diff (the largest page is ~1 MB)."""


def built_page(file: Path) -> bytes:
    """A file of a built site, read within MAX_BUILT_BYTES."""
    try:
        return read_regular(file, MAX_BUILT_BYTES)
    except ReadError as exc:
        raise OutputError(f"{file}: {exc.message}") from None


def html_files(folder: Path) -> list[str]:
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix in HTML_SUFFIXES and path.is_file()
    )


def served_path(file: str) -> str:
    """The path a page is served at, without the base path: 'news/index.html' -> '/news/'."""
    path = "/" + file
    return path.removesuffix("index.html") if path.endswith("/index.html") else path


def base_url_from_canonicals(scans: dict[str, _Scan]) -> str | None:
    """The base URL a site was built for, read from a canonical link that names its own page."""
    ordered = sorted(scans, key=lambda file: (file != "index.html", file))
    for file in ordered:
        canonical = scans[file].canonical
        if not canonical:
            continue
        parts = urlsplit(canonical)
        own = served_path(file)
        if parts.scheme in ("http", "https") and parts.path.endswith(own):
            prefix = parts.path[: len(parts.path) - len(own)]
            return f"{parts.scheme}://{parts.netloc}{prefix}/"
    return None


class _Site:
    """The folder as a static host serves it under ``base_url``."""

    def __init__(self, files: frozenset[str], base_url: str | None) -> None:
        self.files = files
        parts = urlsplit(base_url or "")
        self.host = parts.netloc.lower()
        self.prefix = parts.path.rstrip("/")  # '' at a domain's root, '/repo' on project Pages

    def page_address(self, file: str) -> str:
        return self.prefix + served_path(file)

    def is_external(self, url: str) -> bool:
        """Another scheme, host or site: an address outside the base URL (a path never is)."""
        parts = urlsplit(url)
        if parts.scheme and parts.scheme.lower() not in ("http", "https"):
            return True  # mailto:, tel:, data:, javascript:
        if not parts.netloc:
            return False
        path = unquote(parts.path)
        return parts.netloc.lower() != self.host or not (
            path == self.prefix or path.startswith(self.prefix + "/")
        )

    def file_of(self, address: str) -> str | None:
        """The file serving an absolute path on this host, or None when there is none."""
        path = unquote(address)  # urljoin has already removed '.' and '..' segments
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return None  # outside the path the site is served under
        relative = path[len(self.prefix) :].lstrip("/")
        candidates = (
            [relative + "index.html"]
            if not relative or relative.endswith("/")
            else [relative, relative + "/index.html"]
        )
        return next((file for file in candidates if file in self.files), None)


def check_links(folder: Path, *, base_url: str | None = None) -> LinkReport:
    """Check every internal link and anchor of every HTML file in ``folder``."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; build the site first")
    scans = {
        file: scan_page(built_page(folder / file).decode("utf-8", errors="replace"))
        for file in html_files(folder)
    }
    base = base_url or base_url_from_canonicals(scans)
    files = frozenset(
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
    )
    site = _Site(files, base)
    internal = external = 0
    broken: set[BrokenLink] = set()
    for file, scan in scans.items():
        here = site.page_address(file)
        for link in scan.links:
            if not link.url or site.is_external(link.url):
                external += bool(link.url)
                continue
            internal += 1
            if not _resolves(site, scans, here, link.url):
                broken.add(BrokenLink(file=file, line=link.line, url=link.url))
    return LinkReport(
        pages=len(scans),
        internal=internal,
        external=external,
        base_url=base,
        broken=tuple(sorted(broken, key=lambda b: (b.file, b.line, b.url))),
    )


def _resolves(site: _Site, scans: dict[str, _Scan], here: str, url: str) -> bool:
    # Resolve on a stand-in origin: urljoin removes '..' segments only in absolute URLs.
    parts = urlsplit(urljoin("http://site.invalid" + here, url))
    target = site.file_of(parts.path)
    if target is None:
        return False
    fragment = unquote(parts.fragment)
    if not fragment or not target.endswith(HTML_SUFFIXES):
        return True
    # The HTML standard scrolls to the top for '#top' even without such an id.
    return fragment in scans[target].ids or fragment.lower() == "top"
