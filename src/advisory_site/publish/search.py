"""The site search index: Pagefind's bundled binary, fed one small record per searchable release.

Pagefind reads HTML. Rather than have it parse every page of the site (listings included, to find
the marked release bodies), the build writes each searchable release's record, a minimal HTML
document holding only what is searched (title, summary, body) and what results and filters need
(date, topic, agency, kind, year), into a temporary folder, and runs Pagefind over that folder with
the chunked index written into the staging folder's ``pagefind/``. Drafts, embargoed and withdrawn
releases have no record, so they are never indexed. Each record is in its release's language
(``<html lang>``), from which Pagefind makes one index per language: the search page of a
language (``/search/``, ``/es/search/``) loads only its own, so it finds only its releases.

An index is a function of its records and of the indexer, so it is kept in ``.cache/search/``
under the hash of both: when no record changed, the build copies that index instead of running
Pagefind (and its files are the very same bytes). Each kept file's SHA-256 is checked before it
is used, so an entry cut short or altered (or restored by CI from another runner) is rebuilt,
never published. Only the newest entry is kept.

The binary is run as a plain process rather than through Pagefind's Python API, whose service
client pauses before reading each answer: minutes for a site of thousands of releases.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from html import escape
from importlib import metadata
from pathlib import Path

from advisory_site.core.errors import OutputError
from advisory_site.core.models import Release, Site, long_date
from advisory_site.site.sections import site_text_in

INDEX_FOLDER = "pagefind"  # where the index goes in the output folder, served as /pagefind/
BINARY_VARIABLE = "PAGEFIND_BINARY_PATH"  # Pagefind's own override of its bundled binary
CACHE = Path(".cache/search")
MANIFEST = "manifest.sha256"
STALE = 3600  # seconds after which a build that left records or a half-kept entry is gone
# Bump when what a record holds, or how Pagefind is run, changes.
_FORMAT = b"advisory-site search 1"


class SearchError(OutputError):
    """The search index could not be built; the previous site was left as it was."""


def pagefind_binary() -> Path:
    """The Pagefind executable: $PAGEFIND_BINARY_PATH, else the one bundled by pagefind[bin]."""
    override = os.environ.get(BINARY_VARIABLE)
    if override:
        return Path(override)
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415  (only builds with search need it)
    except ImportError:
        raise SearchError(
            "the search indexer is not installed; run `pip install -e .` to install "
            "pagefind[bin], or build with --no-search for a preview without search"
        ) from None
    try:
        return Path(get_executable())
    except FileNotFoundError as exc:
        raise SearchError(
            f"the search indexer's binary is missing ({exc}); reinstall pagefind[bin], "
            "or build with --no-search for a preview without search"
        ) from None


def searchable(site: Site) -> tuple[Release, ...]:
    """The releases search finds: every published one that is not withdrawn."""
    return tuple(release for release in site.releases if not release.withdrawn)


def record(release: Release, site: Site) -> str:
    """The HTML document Pagefind indexes for ``release``.

    Only the title, the body and a hand-written summary (one that is not the first paragraph)
    are searched; the date is the result's metadata and its sort key; topics, agencies, kind
    and the local year are filters, with the values the search page's boxes offer
    (``site.contexts.search_filters``).
    """
    config = site.config
    lang = release.lang or config.language
    local = release.release_date.astimezone(config.tz)
    title = escape(release.title)
    filters = "".join(
        f'<span data-pagefind-filter="{name}">{escape(value)}</span>'
        for name, values in (
            ("topic", (site_text_in(site, topic.name, lang) for topic in release.topics)),
            ("agency", (site_text_in(site, agency.name, lang) for agency in release.agencies)),
            ("kind", (site_text_in(site, release.kind.name, lang),)),
        )
        for value in values
    )
    summary = (
        ""
        if release.summary_in_body
        else f' data-pagefind-index-attrs="data-summary" data-summary="{escape(release.summary)}"'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>\n"
        f'<article data-pagefind-body data-pagefind-filter="year:{local.year:04d}">\n'
        f'<div data-pagefind-ignore data-pagefind-meta="date:{long_date(local.date(), lang)}" '
        f'data-pagefind-sort="date:{local.isoformat()}">{filters}</div>\n'
        f"<h1>{title}</h1>\n<div{summary}>\n{release.body_html}\n</div>\n</article>\n</body></html>\n"
    )


def index_releases(
    site: Site, staging: Path, *, cache: Path | None = None, binary: Path | None = None
) -> bool:
    """Write the search index of ``site``'s searchable releases into ``staging/pagefind``.

    ``cache`` is the folder of kept indexes (``<site>/.cache/search``), None for none. True when
    the kept index was used, False when Pagefind made it.
    """
    executable = binary or pagefind_binary()
    records = sorted((release.url, record(release, site)) for release in searchable(site))
    key = _key(records, executable)
    target = staging / INDEX_FOLDER
    if cache is not None and _restore(cache / key, target):
        return True
    shutil.rmtree(target, ignore_errors=True)  # Pagefind must never write into a kept file
    if cache is not None:
        _remove_stale(cache)
        cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".records-", dir=cache) as folder:
        source = Path(folder)
        for url, document in records:
            page = source / url.strip("/") / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(document, encoding="utf-8")
        index_site(source, output=target, binary=executable)
    if cache is not None:
        _keep(target, cache, key)
    return False


def index_site(folder: Path, *, output: Path | None = None, binary: Path | None = None) -> None:
    """Run Pagefind over the HTML pages in ``folder``, writing into ``output``
    (``folder/pagefind`` by default)."""
    executable = binary or pagefind_binary()
    target = output or folder / INDEX_FOLDER
    command = [str(executable), "--site", str(folder), "--output-path", str(target), "--quiet"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise SearchError(
            f"cannot run the search indexer {executable}: {exc.strerror or exc}; "
            "the previous site was left as it was (build with --no-search to skip search)"
        ) from None
    if result.returncode != 0:
        raise SearchError(
            f"the search indexer {executable.name} failed with exit status {result.returncode}"
            f"{_explain(result.stdout + result.stderr)}; the previous site was left as it was"
        )
    if not (target / "pagefind.js").is_file():
        raise SearchError(
            f"the search indexer {executable.name} wrote no index; "
            "the previous site was left as it was"
        )


def _explain(output: str) -> str:
    """Pagefind's own error lines, to say why it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")] or lines[-2:]
    return ": " + " ".join(dict.fromkeys(errors)) if errors else ""


def _key(records: list[tuple[str, str]], executable: Path) -> str:
    """The hash of the records and of the indexer that turns them into an index.

    The bundled binary is known by its package's version and its size (the same on every
    machine, where its path and time are not: CI installs it afresh each run); another one
    ($PAGEFIND_BINARY_PATH) by the hash of its bytes.
    """
    digest = hashlib.sha256(_FORMAT)
    try:
        if os.environ.get(BINARY_VARIABLE):
            binary = hashlib.sha256(executable.read_bytes()).hexdigest()
        else:
            binary = f"{metadata.version('pagefind-bin')}:{executable.stat().st_size}"
    except (OSError, metadata.PackageNotFoundError):
        binary = str(executable)
    digest.update(f"\0{binary}\0{len(records)}\0".encode())
    for url, document in records:
        digest.update(url.encode() + b"\0" + document.encode() + b"\0")
    return digest.hexdigest()[:32]


def _files(folder: Path) -> Iterator[str]:
    for parent, _, names in os.walk(folder):
        for name in names:
            yield Path(parent, name).relative_to(folder).as_posix()


def _remove_stale(cache: Path) -> None:
    """Remove what builds killed midway left in ``cache`` (records, entries being kept), once
    old enough that no build still running can be using it."""
    try:
        leftovers = [p for p in cache.iterdir() if p.name.startswith((".records-", ".new-"))]
        for leftover in leftovers:
            if time.time() - leftover.stat().st_mtime > STALE:
                shutil.rmtree(leftover, ignore_errors=True)
    except OSError:
        return


def _restore(entry: Path, target: Path) -> bool:
    """Link (or copy) the kept index ``entry`` into ``target`` if every file is whole."""
    try:
        lines = (entry / MANIFEST).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    index = entry / "index"
    expected: dict[str, str] = {}
    for line in lines:
        digest, _, name = line.partition("  ")
        if not name or name.startswith("/") or ".." in name.split("/"):
            return False
        expected[name] = digest
    try:
        if sorted(_files(index)) != sorted(expected):
            return False
        for name, digest in expected.items():
            if hashlib.sha256((index / name).read_bytes()).hexdigest() != digest:
                return False
        shutil.rmtree(target, ignore_errors=True)
        for name in sorted(expected):
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(index / name, destination)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return False
    return True


def _keep(target: Path, cache: Path, key: str) -> None:
    """Keep the index just written as the only entry of ``cache`` (best effort: a cache that
    cannot be written costs the next build time, never this one its output)."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=cache, prefix=".new-"))
        lines = []
        for name in sorted(_files(target)):
            source = target / name
            lines.append(f"{hashlib.sha256(source.read_bytes()).hexdigest()}  {name}")
            destination = partial / "index" / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(source, destination)
        (partial / MANIFEST).write_text("\n".join(lines) + "\n", encoding="ascii")
        entry = cache / key
        shutil.rmtree(entry, ignore_errors=True)
        partial.rename(entry)
        for other in cache.iterdir():
            if other.name != key and not other.name.startswith((".records-", ".new-")):
                shutil.rmtree(other, ignore_errors=True)
    except OSError:
        return


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)
