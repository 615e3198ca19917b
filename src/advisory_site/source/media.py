"""Files that belong to a release: photos and documents kept beside it, checked and published
under its address, and every image and file a body refers to checked before anything is written.

A release is a file (``content/releases/2026/grants.md``) whose files sit in a folder of the same
name next to it (``content/releases/2026/grants/``), or a folder holding ``index.md`` and its
files (``content/releases/2026/grants/index.md``). A relative reference in the body (``port.jpg``,
``docs/fact-sheet.pdf``) names a file in that folder; it is published at the release's address
(``/news/2026/12/01/grants/port.jpg``). Shared files stay in ``static/`` and are referred to as
``/static/...``. Photos go through ``images`` (variants, metadata stripped); other files are
published as they are.

The words this writes into a body (a document's size, "request an accessible format", a photo's
credit, a video's player) are in the release's (or page's) language, through its
catalogue; Babel formats the numbers.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import html
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from posixpath import normpath
from urllib.parse import unquote, urlsplit

from advisory_site.core.csp import image_sources, source_allows
from advisory_site.core.errors import ContentError
from advisory_site.core.models import N_, MediaFile, Page, Picture, Reference, Release
from advisory_site.core.reading import SIZE_HINT, ReadError, read_regular
from advisory_site.markdown.render import sanitise
from advisory_site.source.documents import (
    DOCUMENT_TYPES,
    REQUEST,
    REQUEST_OF,
    Document,
    Gettext,
    document,
    missing_message,
    request_link,
)
from advisory_site.source.images import (
    MAX_BYTES,
    ImageCache,
    ImageError,
    Processed,
    dimensions,
    too_large,
)
from advisory_site.source.languages import ENGLISH
from advisory_site.source.video import players

MAX_FILE_BYTES = 50_000_000  # a document (PDF, spreadsheet) larger than this is refused
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
IMAGE_SUFFIXES = PHOTO_SUFFIXES | {".gif", ".svg"}
LEAD_SUFFIXES = PHOTO_SUFFIXES | {".gif"}  # a card on a social network cannot be an SVG
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
SHARED = ""  # the owner of the variants of a photo of static/: published with static/
SIZES = "(min-width: 64em) 40rem, 100vw"  # the width of a release's body column
# what starts the credit in a photo's caption ("Photo: FEMA"), in English and the release's
# language ("Foto: FEMA")
PHOTO = N_("Photo:")
CREDIT = N_("Credit:")
_UNTRANSLATED = gettext.NullTranslations()
_IMG = re.compile(r"<img\s[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
# a link that may be to a file: not to another site, an e-mail address, a telephone number, an
# anchor or a page of this site outside static/
_LOCAL_HREF = re.compile(r'href="(?!(?:https?|mailto|tel):|#|/(?!static/))')
# a whole link: its start tag up to the address, the address, the rest of the tag, its content
_LINK = re.compile(r'(<a\s[^>]*?href=")([^"]*)("[^>]*>)(.*?)</a>', re.DOTALL)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, bool]] = []
        self.without_alt: list[str] = []  # the addresses of images with no (or empty) alt

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"img": "src", "a": "href"}.get(tag)
        values = dict(attrs)
        address = values.get(wanted or "")
        if address is not None:
            self.found.append((address, tag == "img"))
        if tag == "img" and not (values.get("alt") or "").strip():
            self.without_alt.append(address or "")


def _position(markdown: str, offset: int, body_line: int) -> tuple[int, int]:
    offset = max(offset, 0)
    line_start = markdown.rfind("\n", 0, offset) + 1
    return body_line + markdown.count("\n", 0, offset), offset - line_start + 1


def images_without_alt(html_text: str, markdown: str, body_line: int) -> list[tuple[str, int, int]]:
    """The images of the sanitised ``html_text`` with no alt text: their addresses, and the
    line and column of each in the Markdown (as ``references``)."""
    if "<img" not in html_text:
        return []
    collector = _Collector()
    collector.feed(html_text)
    collector.close()
    found = []
    start = 0
    for src in collector.without_alt:
        offset = markdown.find(src, start) if src else markdown.find("<img", start)
        if offset < 0:
            offset = markdown.find(src)
        start = offset + 1 if offset >= 0 else start
        found.append((src, *_position(markdown, offset, body_line)))
    return found


def is_local(url: str, *, image: bool = True) -> bool:
    """A reference to a file of this site: relative, or under /static/. A link (not an image)
    to a name without an extension, ending in '/' or '.html' is to a page (check-links checks
    those in the built site)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("#", "//")) or not parts.path:
        return False
    if not image:
        name = parts.path.rsplit("/", 1)[-1]
        if "." not in name.strip(".") or name.endswith((".html", ".htm")):
            return False
    return not parts.path.startswith("/") or parts.path.startswith("/static/")


def references(html_text: str, markdown: str, body_line: int) -> tuple[Reference, ...]:
    """The local files and remote images the sanitised ``html_text`` refers to, each with the
    line and column where its address stands in the Markdown ``markdown`` (whose first line is
    line ``body_line`` of the file)."""
    if "<img" not in html_text and not _LOCAL_HREF.search(html_text):
        return ()  # most bodies: links to web pages and to the site's pages only
    collector = _Collector()
    collector.feed(html_text)
    collector.close()
    found = []
    searched_from: dict[str, int] = {}
    for url, image in collector.found:
        remote_image = image and urlsplit(url).scheme in ("http", "https")
        if not (is_local(url, image=image) or remote_image):
            continue
        offset = markdown.find(url, searched_from.get(url, 0))
        if offset < 0:
            offset = markdown.find(url)
        searched_from[url] = offset + 1 if offset >= 0 else 0
        line, column = _position(markdown, offset, body_line)
        found.append(Reference(url=url, image=image, line=line, column=column))
    return tuple(found)


def bundle_folder(source: str) -> str:
    """The folder of a release's own files: the folder of ``.../name/index.md``, or the folder
    ``.../name/`` next to ``.../name.md`` (site-relative, with a trailing '/')."""
    # strings, not PurePosixPath: this is asked for every release of every build
    if source.endswith("/index.md"):
        return source[: -len("index.md")]
    return source.removesuffix(".md") + "/"


RELEASES_DIR = "content/releases"
NO_RELEASE = ""  # the group of files that are in no release's folder


def _bundles(site_dir: Path, sources: Iterable[str]) -> dict[str, set[str]]:
    """The files (not Markdown, not hidden) under the releases' folder, by the release folder
    they are in (the nearest one above them), or under NO_RELEASE."""
    folders = {bundle_folder(source) for source in sources}
    groups: dict[str, set[str]] = {}
    root = site_dir / RELEASES_DIR
    # os.walk and strings, as content.content_files, for the same reason
    for parent, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        relative = RELEASES_DIR + parent[len(str(root)) :].replace(os.sep, "/") + "/"
        owner = NO_RELEASE
        for depth in range(relative.count("/"), 2, -1):
            candidate = "/".join(relative.split("/")[:depth]) + "/"
            if candidate in folders:
                owner = candidate
                break
        for name in files:
            if not name.startswith(".") and not name.endswith(".md"):
                groups.setdefault(owner, set()).add(relative + name)
    return groups


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (links followed), if at most ``limit``; an
    ImageError saying why not (a photo too large gets the advice on exporting it)."""
    try:
        return read_regular(path, limit)
    except ReadError as exc:
        if exc.size and exc.hint == SIZE_HINT:
            if limit == MAX_BYTES:
                raise too_large(exc.size) from None
            raise ImageError(
                exc.message, "publish a smaller version, or link to where the full file is kept"
            ) from None
        raise ImageError(exc.message, exc.hint) from None


@dataclass(slots=True, kw_only=True)
class _Body:
    """What checking the references of one body collects."""

    source: str
    url: str | None  # a release's address; None for a page
    folder: str  # the release's folder ('' for a page)
    used: set[str] = field(default_factory=set)  # the folder's files it refers to
    targets: dict[str, str] = field(default_factory=dict)  # address in the body -> final one
    images: dict[str, tuple[str, Processed | tuple[int, int] | None]] = field(
        default_factory=dict
    )  # image address in the body -> its final address, and what makes its size
    lengths: dict[str, int] = field(default_factory=dict)  # final address -> bytes
    # document address in the body -> its label, and the absolute address it is published at
    documents: dict[str, tuple[Document, str]] = field(default_factory=dict)
    lang: str = ENGLISH  # the body's language, and its catalogue's gettext
    gettext: Gettext = str


def ref_error(
    source: str, ref: Reference, message: str, hint: str, field: str = "body"
) -> ContentError:
    return ContentError(
        path=source, line=ref.line, column=ref.column, field=field, message=message, hint=hint
    )


class Media:
    """Checks the references of every body and makes the files they publish."""

    def __init__(
        self,
        site_dir: Path,
        csp: str,
        path_prefix: str = "",
        sources: Iterable[str] = (),
        *,
        base_url: str = "",
        accessible_formats: str = "",
        catalogues: Mapping[str, gettext.NullTranslations] | None = None,
        language: str = ENGLISH,
    ) -> None:
        """``sources`` are the site paths of every release: the folders of their files are
        found in one walk of the releases' folder, and any other file in it is reported.
        ``accessible_formats`` (site.yaml's: a mailto: or https:// address) is offered next to
        every document; ``base_url`` makes the address a request names absolute.
        ``catalogues`` (by language tag) translate the words written into a body in the
        language of its release or page (``language``, the site's, when it names none)."""
        self.site_dir = site_dir
        self.catalogues = catalogues or {}
        self.language = language
        self.base_url = base_url.rstrip("/")
        self.accessible_formats = accessible_formats
        self._bundles = _bundles(site_dir, sources)
        self.images = ImageCache(site_dir)
        self.sources = image_sources(csp)
        self.csp_sources = " ".join(self.sources)
        self.prefix = path_prefix
        self.errors: list[ContentError] = []
        self.warnings: list[ContentError] = []
        self.files: list[MediaFile] = []
        self._static: dict[str, tuple[str, Processed | tuple[int, int] | None, int]] = {}
        self._photos: dict[str, Processed] = {}  # by the output path of the photo
        self._documents: dict[str, bytes] = {}
        self._labels: dict[str, Document | None] = {}  # by the path of the file in the site
        for path in sorted(self._bundles.get(NO_RELEASE, ())):
            self.warnings.append(
                ContentError(
                    path=path,
                    message="this file is in no release's folder, so it is not published",
                    hint="move it into the folder named like its release (for grants.md, "
                    "grants/), or into static/ if several releases share it",
                )
            )

    def gettext(self, lang: str) -> Gettext:
        """The gettext of the catalogue of ``lang`` ('' for the site's language)."""
        return self.catalogues.get(lang or self.language, _UNTRANSLATED).gettext

    def release(self, release: Release) -> Release:
        """The release with its files checked and made, its body referring to them, its lead
        image (front matter's ``image:``, else the body's first photo), and its video links
        made players (``video.players``), each in the release's language."""
        body, image = release.body_html, None
        words = self.gettext(release.lang)
        if (
            release.references
            or release.lead is not None
            or bundle_folder(release.source) in self._bundles
        ):
            refs = release.references
            body, state = self._resolve(
                release.source, body, refs, release.url, release.lead, lang=release.lang
            )
            image = self._lead(state, release)
        body, frame_hosts = players(body, words)
        changed = body is not release.body_html and body != release.body_html
        if not changed and image is None:
            return release  # most releases: nothing to check, publish or play
        if not changed:
            return dataclasses.replace(release, image=image)
        return dataclasses.replace(
            release, body=sanitise(body).encode("utf-8"), image=image, frame_hosts=frame_hosts
        )

    def page(self, page: Page) -> Page:
        """The page with the files of static/ it refers to checked, and its images sized, in
        the page's language."""
        if not page.references:
            return page
        lang = page.lang or self.language
        body = self.resolve(page.source, page.body_html, page.references, None, lang=lang)
        return (
            page if body == page.body_html else dataclasses.replace(page, body_html=sanitise(body))
        )

    def resolve(
        self,
        source: str,
        body: str,
        refs: tuple[Reference, ...],
        url: str | None,
        *,
        lang: str = "",
    ) -> str:
        """Check the references ``refs`` of the body ``body`` of ``source`` and return the body
        with its files' addresses and images made final. ``url`` is a release's address (its
        folder's files are published under it); None for a page, which has no folder. What it
        writes is in ``lang`` (the site's language by default)."""
        return self._resolve(source, body, refs, url, lang=lang)[0]

    def _resolve(
        self,
        source: str,
        body: str,
        refs: tuple[Reference, ...],
        url: str | None,
        lead: Reference | None = None,
        *,
        lang: str = "",
    ) -> tuple[str, _Body]:
        folder = bundle_folder(source) if url is not None else ""
        lang = lang or self.language
        state = _Body(source=source, url=url, folder=folder, lang=lang, gettext=self.gettext(lang))
        in_folder = self._bundles.get(folder, set()) if folder else set()
        failed = False
        checks = [(ref, "body") for ref in refs]
        if lead is not None:
            checks.append((lead, "image"))
        for ref, field_name in checks:
            problem = self._check(state, ref, in_folder)
            if problem is not None:
                self.errors.append(ref_error(source, ref, *problem, field=field_name))
                failed = True
        if url is not None:
            for path in sorted(in_folder - state.used):
                self.warnings.append(
                    ContentError(
                        path=path,
                        message=f"nothing in {source} refers to this file, so it is not published",
                        hint="refer to it in the release, or remove it from the folder",
                    )
                )
        if failed or not (state.targets or state.images or state.documents):
            return body, state
        return self._rewrite(body, state), state

    def _lead(self, state: _Body, release: Release) -> Picture | None:
        """The lead image of ``release`` from its checked references: front matter's image,
        else the first photo (not an SVG drawing, nor a remote image) of its body."""
        in_body = {
            state.images[ref.url][0] for ref in release.references if ref.url in state.images
        }
        if release.lead is not None:
            candidates = [(release.lead, release.lead_alt)]
        else:
            alts = self._alts(release.body_html)
            candidates = [
                (ref, alts.get(ref.url, ""))
                for ref in release.references
                if ref.image and is_local(ref.url)
            ]
        for ref, alt in candidates:
            found = state.images.get(ref.url)
            if found is None:
                continue
            src, made = found
            suffix = PurePosixPath(urlsplit(src).path).suffix.lower()
            if suffix not in LEAD_SUFFIXES or made is None or not alt:
                continue
            width, height = (made.width, made.height) if isinstance(made, Processed) else made
            return Picture(
                src=src,
                alt=alt,
                width=width,
                height=height,
                media_type=MEDIA_TYPES[suffix],
                length=state.lengths.get(src, 0),
                srcset=srcset_of(src, made, self.prefix) if isinstance(made, Processed) else "",
                in_body=src in in_body,
            )
        return None

    def _alts(self, body: str) -> dict[str, str]:
        """The alt text of each image of ``body``, by its address as references give it."""
        alts: dict[str, str] = {}
        for tag in _IMG.findall(body):
            attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}
            src = attributes.get("src", "")
            if self.prefix and src.startswith(self.prefix + "/static/"):
                src = src[len(self.prefix) :]
            alts.setdefault(src, attributes.get("alt", "").strip())
        return alts

    def _check(self, state: _Body, ref: Reference, in_folder: set[str]) -> tuple[str, str] | None:
        """The problem with one reference (message, hint), or None."""
        parts = urlsplit(ref.url)
        if parts.scheme:  # a remote image
            if not source_allows(self.sources, ref.url):
                message = (
                    f"the image {ref.url} is on a host the site's Content-Security-Policy does "
                    f"not allow (img-src {self.csp_sources}), so browsers would not show it"
                )
                hint = (
                    "save the image in the release's folder and refer to it by its file name, "
                    "or add its host to image_hosts in content/site.yaml"
                )
                return message, hint
            return None
        path = unquote(parts.path)
        what = "image" if ref.image else "file"
        if path.startswith("/static/"):
            site_path = normpath(path.lstrip("/"))
            if not site_path.startswith("static/") or not (self.site_dir / site_path).is_file():
                return (
                    f"the {what} {path} does not exist",
                    f"add the file {site_path}, or correct the address",
                )
            if ref.image:
                try:
                    src, made, length = self._static_image(site_path)
                except ImageError as exc:
                    return f"the image {path}: {exc.message}", exc.hint
                state.images[ref.url] = (src, made)
                state.lengths[src] = length
                return None
            try:
                self._label(state, ref, site_path, None)
            except ImageError as exc:
                return f"the file {path}: {exc.message}", exc.hint
            return None
        if state.url is None:
            return (
                f"the {what} {path} is a relative address, but a page has no folder of files",
                f"put the file in static/ and refer to it as /static/{PurePosixPath(path).name}",
            )
        site_path = normpath(state.folder + path)
        if not site_path.startswith(state.folder):
            return (
                f"the {what} {path} is outside the release's folder {state.folder}",
                "put the file in the release's folder, or in static/ and refer to it as /static/",
            )
        if site_path not in in_folder:
            return (
                f"the {what} {path} does not exist",
                f"save it as {site_path} (the release's folder), or correct the name",
            )
        state.used.add(site_path)
        suffix = PurePosixPath(site_path).suffix.lower()
        if ref.image and suffix not in IMAGE_SUFFIXES:
            return (
                f"the image {path} is not a JPEG, PNG, WebP, GIF or SVG file",
                "save it as a JPEG (photos) or PNG (graphics)",
            )
        published = state.url.lstrip("/") + site_path[len(state.folder) :]
        try:
            self._publish(state, ref, site_path, published, suffix)
        except ImageError as exc:
            return f"the {what} {path}: {exc.message}", exc.hint
        return None

    def _publish(
        self, state: _Body, ref: Reference, site_path: str, published: str, suffix: str
    ) -> None:
        """Make the files of one reference to the release's folder, once however often it is
        referred to, and note its final address (and for an image, its size and variants)."""
        made: Processed | tuple[int, int] | None
        if suffix in PHOTO_SUFFIXES:
            processed = self._photos.get(published)
            stem = published[: -len(suffix)]
            if processed is None:  # not referred to before
                processed = self.images.get(read_file(self.site_dir / site_path, MAX_BYTES))
                self._photos[published] = processed
                self.files.append(
                    MediaFile(
                        state.source, stem + processed.fallback.suffix, processed.fallback.data
                    )
                )
                self.files.extend(
                    MediaFile(state.source, stem + variant.suffix, variant.data)
                    for variant in processed.variants
                )
            published, made = stem + processed.fallback.suffix, processed
            length = len(processed.fallback.data)
        else:
            data = self._documents.get(published)
            if data is None:
                data = read_file(self.site_dir / site_path, MAX_FILE_BYTES)
                if not ref.image:
                    self._label(state, ref, site_path, data)
                self._documents[published] = data
                self.files.append(MediaFile(state.source, published, data))
            elif not ref.image:
                self._label(state, ref, site_path, data)
            made = dimensions(data) if ref.image else None
            length = len(data)
        state.targets[ref.url] = f"{self.prefix}/{published}"
        if ref.image:
            state.images[ref.url] = (f"{self.prefix}/{published}", made)
            state.lengths[f"{self.prefix}/{published}"] = length

    def _label(self, state: _Body, ref: Reference, site_path: str, data: bytes | None) -> None:
        """Note the label of a linked document (PDF, Word, Excel, CSV), and warn, once per
        body, about a PDF without a title, a language or tags. ``data``: the file's bytes, if
        read already. An ImageError for a PDF that cannot be read or is encrypted."""
        suffix = PurePosixPath(site_path).suffix.lower()
        if suffix not in DOCUMENT_TYPES:
            return
        if site_path not in self._labels:
            if data is None:
                data = read_file(self.site_dir / site_path, MAX_FILE_BYTES)
            self._labels[site_path] = document(suffix, data)
        found = self._labels[site_path]
        if found is None:
            return
        if state.url is None or site_path.startswith("static/"):
            address = "/" + site_path
        else:
            address = state.url + site_path[len(state.folder) :]
        already = any(label is found for label, _ in state.documents.values())
        state.documents[ref.url] = (found, self.base_url + address)
        if found.missing and not already:
            message, hint = missing_message(PurePosixPath(site_path).name, found.missing)
            self.warnings.append(ref_error(state.source, ref, message, hint))

    def _static_image(self, site_path: str) -> tuple[str, Processed | tuple[int, int] | None, int]:
        """An image of static/: its final address, what makes its size, and its bytes. A photo
        gets the variants a release's photo gets, published next to it (``flood-480.webp``),
        and a fallback without metadata (``flood-1600.jpg``); the file itself is published as
        it is, for those who link to it."""
        if site_path not in self._static:
            suffix = PurePosixPath(site_path).suffix.lower()
            data = read_file(self.site_dir / site_path, MAX_BYTES)
            if suffix not in PHOTO_SUFFIXES:
                self._static[site_path] = (
                    f"{self.prefix}/{site_path}",
                    dimensions(data),
                    len(data),
                )
            else:
                processed = self.images.get(data)
                stem = site_path[: -len(suffix)]
                fallback = f"{stem}-{processed.width}{processed.fallback.suffix}"
                self.files.append(MediaFile(SHARED, fallback, processed.fallback.data))
                self.files.extend(
                    MediaFile(SHARED, stem + variant.suffix, variant.data)
                    for variant in processed.variants
                )
                self._static[site_path] = (
                    f"{self.prefix}/{fallback}",
                    processed,
                    len(processed.fallback.data),
                )
        return self._static[site_path]

    def _rewrite(self, body: str, state: _Body) -> str:
        targets, images, documents = state.targets, state.images, state.documents
        first = [True]

        def image(match: re.Match[str]) -> str:
            tag = match.group(0)
            attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}
            src = attributes.get("src", "")
            if self.prefix and src.startswith(self.prefix + "/static/"):
                src = src[len(self.prefix) :]
            found = images.get(src)
            if found is None:
                return tag
            return picture(
                attributes, *found, eager=first.pop() if first else False, prefix=self.prefix
            )

        def link(match: re.Match[str]) -> str:
            start, address, rest, content = match.groups()
            href = html.unescape(address)
            if self.prefix and href.startswith(self.prefix + "/static/"):
                href = href[len(self.prefix) :]
            target = targets.get(href)
            found = documents.get(href)
            if target is None and found is None:
                return match.group(0)
            tag = start + (html.escape(target) if target is not None else address) + rest
            if found is None:
                return f"{tag}{content}</a>"
            label, absolute = found
            return f"{tag}{content}{document_label(label, state.lang, state.gettext)}</a>" + (
                self._request(absolute, state.gettext)
            )

        body = _IMG.sub(image, body)
        body = _LINK.sub(link, body)
        return _figures(body, state.gettext)

    def _request(self, address: str, words: Gettext) -> str:
        """The "request an accessible format" link offered after a document, if site.yaml
        names where to ask, in the language of ``words``."""
        if not self.accessible_formats:
            return ""
        name = PurePosixPath(urlsplit(address).path).name
        href = request_link(self.accessible_formats, name, address, words)
        return (
            f' <span class="{REQUEST_CLASS}">(<a href="{html.escape(href)}">'
            f'{html.escape(words(REQUEST))}<span class="{HIDDEN_CLASS}"> '
            f"{html.escape(words(REQUEST_OF) % {'name': name})}</span></a>)</span>"
        )


LABEL_CLASS = "file-label"
REQUEST_CLASS = "file-request"
HIDDEN_CLASS = "file-request-name"  # read by screen readers, not shown


def document_label(found: Document, lang: str = ENGLISH, words: Gettext = str) -> str:
    """The type and size shown in a document's link, read with its name: ' (PDF, 245 kB)',
    in ``lang`` (' (PDF, 1,2 MB)' in Spanish) through its catalogue's ``words``."""
    return f'<span class="{LABEL_CLASS}"> ({html.escape(found.label(lang, words))})</span>'


def picture(
    attributes: dict[str, str],
    src: str,
    made: Processed | tuple[int, int] | None,
    *,
    eager: bool,
    prefix: str = "",
) -> str:
    """An <img> with its final address and size, in a <picture> offering the WebP variants."""
    alt = html.escape(attributes.get("alt", ""))
    title = attributes.get("title", "")
    size = (made.width, made.height) if isinstance(made, Processed) else made
    img = f'<img src="{html.escape(src)}" alt="{alt}"'
    if size is not None:
        img += f' width="{size[0]}" height="{size[1]}"'
    img += ' decoding="async">' if eager else ' loading="lazy" decoding="async">'
    if title:
        img = f'<img data-caption="{html.escape(title)}"' + img[len("<img") :]
    if not isinstance(made, Processed):
        return img
    srcset = srcset_of(src, made, prefix)
    return (
        f'<picture><source type="image/webp" srcset="{html.escape(srcset)}" sizes="{SIZES}">'
        f"{img}</picture>"
    )


def srcset_of(src: str, made: Processed, prefix: str = "") -> str:
    """The WebP variants of the photo published at ``src``, for ``srcset``: beside it, named
    from it ('port.jpg': 'port-480.webp 480w, ...'); a photo of static/, whose fallback is named
    for its width ('flood-1600.jpg'), has them named from the original ('flood-480.webp')."""
    stem = src[: -len(made.fallback.suffix)]
    width_mark = f"-{made.width}"
    if src.startswith(prefix + "/static/") and stem.endswith(width_mark):
        stem = stem[: -len(width_mark)]
    return ", ".join(f"{stem}{v.suffix} {v.width}w" for v in made.variants)


_ALONE = re.compile(
    r'<p>((?:<picture><source [^>]*>)?<img data-caption="([^"]*)"[^>]*>(?:</picture>)?)</p>'
)
_CAPTION_MARK = re.compile(r' data-caption="[^"]*"')


@functools.lru_cache(maxsize=16)
def _credit(labels: tuple[str, ...]) -> re.Pattern[str]:
    """Where a caption's credit starts: before one of ``labels`` ('Photo:', 'Credit:')."""
    return re.compile(r"\s*\b(?=(?:" + "|".join(map(re.escape, labels)) + r")\s)")


def _figures(body: str, words: Gettext = str) -> str:
    """An image alone in its paragraph, with a title, becomes a figure: the title is its
    caption, and the words from 'Photo:' or 'Credit:' on (in English or in the language of
    ``words``: 'Foto:', 'Crédito:') are its credit."""
    labels = tuple(dict.fromkeys((words(PHOTO), words(CREDIT), PHOTO, CREDIT)))
    credit_starts = _credit(labels)

    def figure(match: re.Match[str]) -> str:
        image = _CAPTION_MARK.sub("", match.group(1))
        parts = credit_starts.split(html.unescape(match.group(2)), maxsplit=1)
        text, credit = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        inner = html.escape(text)
        if credit:
            inner += (" " if inner else "") + f"<small>{html.escape(credit)}</small>"
        return f"<figure>{image}<figcaption>{inner}</figcaption></figure>"

    body = _ALONE.sub(figure, body)
    # an image with a title inside a paragraph keeps it as its title
    return _CAPTION_MARK.sub(lambda m: m.group(0).replace("data-caption", "title"), body)
