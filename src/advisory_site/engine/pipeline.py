"""The build, top to bottom, in one function: ``run``.

Every command builds through it: ``build`` (a process pool, the build cache, the output folder),
``serve`` (in one process, the preview's store, its private folder), ``check`` (in one process,
nothing reused, nothing written), ``--verify-cache`` (a clean build compared with the folder) and
the tests (into memory). What differs is passed in: how the costly steps run (an executor),
what may be reused (a store) and where the files go (a writer).

Correctness comes first: a release (with its lint findings) is reused only for the very same
file bytes, site settings and engine; a page only when the key of everything it is made from
(``cache.PageKeys``) is the one of the page already in the output folder, and that file is
untouched since. ``--verify-cache`` compares the result with a clean build.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from advisory_site.core.errors import ContentError
from advisory_site.core.htmlscan import page_problems
from advisory_site.core.models import Release, Site, SiteConfig
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.urls import output_path
from advisory_site.engine.build import (
    HISTORY_UNAVAILABLE,
    BuildOptions,
    LeftOut,
    left_out,
    load_site,
    next_release_at,
    published,
    silent_edits,
    site_histories,
    site_warnings,
)
from advisory_site.engine.cache import (
    CacheData,
    LintMemo,
    PageKeys,
    Stat,
    Store,
    digest,
    dumps,
    engine_digest,
    folder_digest,
)
from advisory_site.engine.executors import Executor
from advisory_site.engine.writers import Entry, Sink, Writer
from advisory_site.markdown.render import MemoRenderer, Rendered
from advisory_site.publish.output import Deferred, Unchanged
from advisory_site.site.feeds import FORMATS
from advisory_site.site.ledger import LedgerContext, LedgerFile, ledger_json, sha256_bytes
from advisory_site.site.plan import OutputFile, Pending, Planned, SitePlan, UnsafePages, plan_site
from advisory_site.site.templates import SiteView
from advisory_site.source.config import CONFIG_PATH
from advisory_site.source.content import LoadedRelease, Lookups, load_release, read_bytes
from advisory_site.source.frontmatter import MAX_FILE_BYTES
from advisory_site.source.lint import LintWarning, lint_document

FEED_NAMES = tuple(form.file for form in FORMATS)  # "rss.xml", "atom.xml", "feed.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a build did, for its summary."""

    site: Site  # what was published (``check``: everything)
    next_release_at: datetime | None
    warnings: tuple[LintWarning, ...]
    silent_edits: tuple[LintWarning, ...]  # of the warnings, edits without an update note
    left_out: LeftOut
    pages: int
    feeds: int
    rendered: int  # pages made by this build
    reused: int  # pages found unchanged and kept from the previous output
    notices: tuple[str, ...] = ()  # what the build tells once (change history unavailable)


def run(options: BuildOptions, executor: Executor, store: Store, writer: Writer) -> Outcome:
    """Load, validate, plan, render and write the site; raise BuildError on any problem, with
    every problem found, before anything is published."""
    site_dir = options.site_dir
    engine = engine_digest()
    settings = settings_digest(options, engine)
    with writer.hold(), executor:
        previous = store.load(site_dir, engine)
        saved = CacheData(engine=engine)
        try:
            # Load: read, parse and validate every file; render the releases' Markdown (the
            # releases whose very file the store holds are taken from it).
            releases = ReleaseFiles(
                settings,
                engine=engine,
                previous=previous,
                saved=saved,
                executor=executor,
                store=store,
            )
            everything = load_site(site_dir, base_url=options.base_url, load=releases)

            # Validate: the publishing gate, each release's published history, the lint.
            if options.check:
                site, live = everything, published(everything, options.now)
            else:
                site = live = published(
                    everything, options.now, drafts=options.drafts, future=options.future
                )
            histories, unavailable = site_histories(live, site_dir, options.now)
            edits = silent_edits(live, histories)
            lint = LintMemo(settings, previous.lint if previous is not None else {})
            warnings = site_warnings(everything, site_dir, lint, releases.warnings) + edits
            saved.lint = lint.used
            writer.accept(site, warnings)  # --strict stops here, before anything is written

            # Plan: every output file, the pages and feeds still to be made.
            upcoming = next_release_at(everything, options.now)
            plan = plan_site(
                site,
                site_dir,
                next_release=upcoming,
                preview_now=options.now if options.preview else None,
                now=None if options.check else options.now,
                histories=None if options.check else histories,
                signing_key=options.signing_key,
                unpublished=options.drafts or options.future,
            )

            # Render and write: the pages the previous output holds unchanged are kept, the
            # others made by the executor, checked and put into the writer; the ledger last.
            sources = (folder_digest(site_dir / name) for name in ("templates", "locales"))
            keys = PageKeys(digest(engine, *sources), plan.view, releases.keys)
            pages = Pages(plan, keys if store.saves else None, previous, writer.folder)
            unsafe = UnsafePages()
            if options.check:  # files of static/ are published as they are: `check` says so
                for file in plan.files:
                    if isinstance(file, OutputFile):
                        unsafe.check(file)
            writer.write(pages.entries(), functools.partial(pages.make, executor, unsafe))

            # Keep what this build made for the next one.
            if store.saves:
                saved.output = str(writer.folder or "")
                saved.pages = pages.kept_and_made()
                store.save(previous, saved)
        finally:
            store.close()
    files = plan.files
    return Outcome(
        site=site,
        next_release_at=upcoming,
        warnings=warnings,
        silent_edits=edits,
        left_out=left_out(everything, site),
        pages=sum(1 for file in files if file.path.endswith(".html")),
        feeds=sum(1 for file in files if file.path.endswith(FEED_NAMES)),
        rendered=sum(1 for index in pages.todo if files[index].path.endswith(".html")),
        reused=sum(1 for index in pages.unchanged if files[index].path.endswith(".html")),
        notices=(HISTORY_UNAVAILABLE.format(reason=unavailable),) if unavailable else (),
    )


def settings_digest(options: BuildOptions, engine: bytes) -> bytes:
    """What every release and lint finding depends on besides its own file: the engine, the
    site's settings file and the address it is built for."""
    try:
        settings = read_regular(options.site_dir / CONFIG_PATH, MAX_FILE_BYTES)
    except ReadError:  # the build reports it when it reads the file
        settings = b""
    return digest(engine, settings, options.base_url or "")


# -- loading releases ---------------------------------------------------------------------------


class ReleaseFiles:
    """Loads release files as ``content.load_files`` does, linting each too: from the store
    when it holds the same bytes (for the same settings and engine), the others by the
    executor. ``keys``: each release as loaded and its file's key, by source (for page keys);
    ``warnings``: each file's lint findings, by source."""

    def __init__(
        self,
        settings: bytes,
        *,
        engine: bytes,
        previous: CacheData | None,
        saved: CacheData,
        executor: Executor,
        store: Store,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._previous = previous
        self._saved = saved
        self._executor = executor
        self._store = store
        self.keys: dict[str, tuple[Release, bytes]] = {}
        self.warnings: dict[str, tuple[ContentError, ...]] = {}

    def __call__(self, config: SiteConfig, files: list[tuple[str, str]]) -> list[LoadedRelease]:
        previous = self._previous
        bodies = previous.bodies if previous is not None else {}
        found: dict[int, LoadedRelease] = {}
        misses: list[int] = []
        for index, (file, path) in enumerate(files):
            hit = None
            if previous is not None:
                raw = read_bytes(file, path)
                if isinstance(raw, bytes):
                    key = digest(self._settings, path, raw)
                    hit = previous.releases.get(key)
            if hit is None:
                misses.append(index)
            else:
                found[index] = self._keep(key, *hit, bodies)
        work = _ReleaseWork(self._settings, config, Lookups.of(config), self._engine, bodies)
        # Workers forked before the releases are loaded share none of them, so their memory
        # does not grow with what they touch: one set of workers loads them all.
        loaded = self._executor.map(
            _load_files, [files[index] for index in misses], work, renew=False
        )
        new_releases: list[tuple[bytes, tuple[LoadedRelease, bytes]]] = []
        new_bodies: list[tuple[bytes, Rendered]] = []
        for count, (index, data) in enumerate(zip(misses, loaded, strict=True), start=1):
            item: _Loaded = pickle.loads(data)  # noqa: S301 - pickled by this build's worker
            found[index] = item.loaded
            self._saved.bodies.update(item.new_bodies)
            new_bodies.extend(item.new_bodies.items())
            release = item.loaded.release
            if release is not None and item.key is not None and item.body_key is not None:
                self._keep(item.key, item.loaded, item.body_key, bodies)
                new_releases.append((item.key, (item.loaded, item.body_key)))
            elif release is not None:
                self.warnings[release.source] = item.loaded.warnings
            if count % 64 == 0 or count == len(misses):
                self._store.stream({"bodies": new_bodies, "releases": new_releases})
                new_releases, new_bodies = [], []
        return [found[index] for index in range(len(files))]

    def _keep(
        self, key: bytes, loaded: LoadedRelease, body_key: bytes, previous: Mapping[bytes, Rendered]
    ) -> LoadedRelease:
        """A release loaded from the file of ``key``, for the cache this build saves, with its
        body (rendered by this build, or found in the ``previous`` cache's bodies)."""
        assert loaded.release is not None
        self.keys[loaded.release.source] = (loaded.release, key)
        self.warnings[loaded.release.source] = loaded.warnings
        self._saved.releases[key] = (loaded, body_key)
        if body_key not in self._saved.bodies and body_key in previous:
            self._saved.bodies[body_key] = previous[body_key]
        return loaded


@dataclass(frozen=True, slots=True)
class _Loaded:
    key: bytes | None  # None when the file could not be read
    loaded: LoadedRelease
    body_key: bytes | None
    new_bodies: dict[bytes, Rendered]


@dataclass(frozen=True, slots=True)
class _ReleaseWork:
    """What a worker needs to load release files; inherited by forked workers, never pickled."""

    prefix: bytes
    config: SiteConfig
    lookups: Lookups
    engine: bytes
    bodies: Mapping[bytes, Rendered]
    renderers: dict[int, MemoRenderer] = field(default_factory=dict)  # see renderer()

    def renderer(self) -> MemoRenderer:
        """This process's renderer: one Markdown instance per process, not one per task."""
        process = os.getpid()
        renderer = self.renderers.get(process)
        if renderer is None:
            renderer = MemoRenderer(self.bodies, key=functools.partial(digest, self.engine))
            self.renderers[process] = renderer
        return renderer


def _load_files(work: _ReleaseWork, items: list[tuple[str, str]]) -> list[bytes]:
    """Load release files, each result pickled here by the engine's quicker pickler."""
    renderer = work.renderer()
    results = []
    for file, path in items:
        raw = read_bytes(file, path)
        key = digest(work.prefix, path, raw) if isinstance(raw, bytes) else None
        renderer.forget()
        loaded = load_release(
            raw,
            path,
            config=work.config,
            lookups=work.lookups,
            renderer=renderer,
            lint=functools.partial(lint_document, config=work.config),
        )
        results.append(dumps(_Loaded(key, loaded, renderer.last_key, renderer.new)))
    return results


# -- making pages -------------------------------------------------------------------------------


class Pages:
    """The pending files of a plan: which the previous output holds unchanged (``unchanged``),
    which are to be made (``todo``), and making them."""

    def __init__(
        self,
        plan: SitePlan,
        keys: PageKeys | None,  # None: no key is computed (nothing is saved)
        previous: CacheData | None,
        folder: Path | None,
    ) -> None:
        self.plan = plan
        self._keys = keys
        self.todo: list[int] = []
        self.late: list[int] = []  # the ledger and its signature, made from the pages
        self.unchanged: set[int] = set()
        self._page_keys: dict[str, bytes] = {}
        self._kept: dict[str, tuple[bytes, Stat, str]] = {}
        self._hashes: dict[str, str] = {}  # SHA-256 of the pages the ledger lists, by path
        self._stats: Mapping[str, Stat] = {}
        self.hashed: frozenset[str] = frozenset()
        ledgers = [f for f in plan.files if isinstance(f, Pending) and _is_ledger(f)]
        if ledgers:
            context = ledgers[0].context
            assert isinstance(context, LedgerContext)
            self.hashed = frozenset(
                output_path(entry.page.release.url) for entry in context.entries
            )
        reusable = {}
        if previous is not None and folder is not None and previous.output == str(folder):
            reusable = previous.pages
        for index, file in enumerate(plan.files):
            if not isinstance(file, Pending):
                continue
            if reusable and keys is not None:
                key = self._page_keys[file.path] = keys.page(file.path, file.context)
                known = reusable.get(file.path)
                if (
                    known is not None
                    and known[0] == key
                    and _stat(folder, file.path) == known[1]
                    and (known[2] or file.path not in self.hashed)
                ):
                    self.unchanged.add(index)
                    self._kept[file.path] = known
                    if known[2]:
                        self._hashes[file.path] = known[2]
                    continue
            (self.late if _is_ledger(file) else self.todo).append(index)

    def entries(self) -> list[Entry]:
        """Every file, as the writer takes it."""
        return [
            file
            if isinstance(file, OutputFile)
            else Unchanged(file.path)
            if index in self.unchanged
            else Deferred(file.path)
            for index, file in enumerate(self.plan.files)
        ]

    def make(self, executor: Executor, unsafe: UnsafePages, sink: Sink) -> None:
        """Render the pages to make, check them for unsafe markup and put them into ``sink``,
        in the executor's processes; then the ledger from the pages' hashes. The problems stop
        the build once every page is made."""
        work = _PageWork(self.plan.files, self.plan.view, sink, self.hashed, self._wants_keys())
        results = executor.map(_make_pages, self.todo, work)
        for index, (problems, receipt, sha, key) in zip(self.todo, results, strict=True):
            file = self.plan.files[index]
            assert isinstance(file, Pending)
            unsafe.add(file.path, file.rank, problems)
            sink.took(file.path, receipt)
            if sha:
                self._hashes[file.path] = sha
            if key is not None:
                self._page_keys[file.path] = key
        unsafe.raise_if_any()
        ledger: bytes | None = None
        for index in self.late:
            file = self.plan.files[index]
            assert isinstance(file, Pending) and isinstance(file.maker, LedgerFile)
            assert isinstance(file.context, LedgerContext)
            if ledger is None:
                ledger = ledger_json(file.context, self.plan.view.config, self._hashes)
            sink.took(file.path, sink.put(file.path, file.maker.make(ledger)))
            if self._keys is not None and file.path not in self._page_keys:
                self._page_keys[file.path] = self._keys.page(file.path, file.context)
        self._stats = sink.stats

    def kept_and_made(self) -> dict[str, tuple[bytes, Stat, str]]:
        """The store's entry of every page in the output: its key, stat and hash."""
        pages = dict(self._kept)
        for path, key in self._page_keys.items():
            stat = self._stats.get(path)
            if stat is not None and path not in pages:
                pages[path] = (key, stat, self._hashes.get(path, ""))
        return pages

    def _wants_keys(self) -> PageKeys | None:
        """Workers compute the keys of the pages they make unless they are known already."""
        return self._keys if self._keys is not None and not self._page_keys else None


def _is_ledger(file: Pending) -> bool:
    return isinstance(file.maker, LedgerFile)


def _stat(folder: Path | None, path: str) -> Stat | None:
    try:
        stat = os.lstat(f"{folder}/{path}")  # a string: a Path per page costs more than the call
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class _PageWork:
    files: Sequence[Planned]
    view: SiteView
    sink: Sink
    hashed: frozenset[str]  # the pages whose SHA-256 the ledger lists
    keys: PageKeys | None  # when set, the key of each page made is computed with it


def _make_pages(
    work: _PageWork, indices: list[int]
) -> list[tuple[tuple[str, ...], object, str, bytes | None]]:
    """Render pages, check them (``page_problems``), put them into the sink, hash those the
    ledger lists, and compute their keys (``work.keys``)."""
    results = []
    for index in indices:
        page = work.files[index]
        assert isinstance(page, Pending) and not isinstance(page.maker, LedgerFile)
        data = page.maker.render(page.context, work.view)
        receipt = work.sink.put(page.path, data)
        problems = tuple(page_problems(data)) if page.path.endswith(".html") else ()
        sha = sha256_bytes(data) if page.path in work.hashed else ""
        key = work.keys.page(page.path, page.context) if work.keys else None
        results.append((problems, receipt, sha, key))
    return results
