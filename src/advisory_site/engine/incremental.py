"""Build into a folder fast: the same plan as ``build.build``, spread over processes and reusing
what the build cache (``cache.py``) proves unchanged.

Correctness comes first: a release (with its lint findings) is reused only for the very same file
bytes, site settings and engine; a page only when the hash of everything it is rendered from (its
template context, the site view, every template and the engine) is the one of the page already in
the output folder, and that file is untouched since. ``verify`` compares the result with a clean
build.

Releases are loaded, rendered and linted, then pages rendered, checked and written, by forked
worker processes and the main process together (one Markdown instance and one compiled set of
templates each); workers write pages straight into the staging folder, so no page crosses
between processes and no build holds every page in memory. Workers that render pages are forked
afresh every few thousand, since a forked process slowly copies the memory it shares (see
``_in_pool``).
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from advisory_site.core.errors import ContentError
from advisory_site.core.htmlscan import page_problems
from advisory_site.core.models import Release, Site, SiteConfig
from advisory_site.engine.build import (
    BuildOptions,
    LeftOut,
    OutputFile,
    Pending,
    Planned,
    Planning,
    UnsafePages,
    includes_unpublished,
    plan,
    rank,
)
from advisory_site.engine.cache import (
    CACHE_FILE,
    CacheData,
    CacheWriter,
    LintMemo,
    PageKeys,
    Stat,
    digest,
    engine_digest,
    folder_digest,
    load_cache,
    same_cache,
    value_digest,
)
from advisory_site.markdown.render import MemoRenderer, Rendered
from advisory_site.publish.output import (
    LOCK_WAIT,
    Deferred,
    Unchanged,
    output_lock,
    write_new,
    write_site,
)
from advisory_site.site.feeds import FORMATS
from advisory_site.source.content import (
    RELEASES_DIR,
    LoadedRelease,
    Lookups,
    checked_releases,
    content_files,
    load_release,
    read_bytes,
)
from advisory_site.source.lint import LintWarning, lint_document

# Files per task sent to a worker: each task costs a round trip between the processes, which
# at 32 files a task took 0.4 CPU s more than at 64 in a build of 10,000 releases.
CHUNK = 64
MIN_PARALLEL = 64  # below this, starting workers costs more than it saves
GENERATION = 128  # chunks of pages done by one set of workers (see _in_pool)
FULL_COLLECTIONS = 1_000_000  # the garbage collector's third threshold during a build
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies
FEED_NAMES = tuple(form.file for form in FORMATS)  # "rss.xml", "atom.xml", "feed.json"

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    site: Site
    next_release_at: datetime | None
    warnings: tuple[LintWarning, ...]
    left_out: LeftOut
    pages: int
    feeds: int
    rendered: int  # pages rendered by this build
    reused: int  # pages found unchanged and linked from the previous output
    notices: tuple[str, ...] = ()  # what the build tells once (change history unavailable)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build_into(
    options: BuildOptions,
    output: Path,
    *,
    use_cache: bool = True,
    jobs: int | None = None,
    prepare: Callable[[Planning], Callable[[Path], None] | None] | None = None,
    cache_name: str = CACHE_FILE,
    wait: float = LOCK_WAIT,
    notify: Callable[[str], None] | None = None,
) -> Outcome:
    """Build the site into ``output`` (atomically, like ``write_site``) and update the cache.

    ``prepare`` sees the plan before anything is written: it may stop the build by raising
    (``--strict``) and returns what ``write_site`` should run on the complete folder (search).
    ``cache_name`` is the cache file in ``.cache/`` (the preview server keeps its own). The
    build holds the output folder's lock throughout (``output_lock``: the plan relies on what
    the folder holds), waiting up to ``wait`` seconds for another build to finish.
    """
    with output_lock(output, wait=wait, notify=notify):
        return _locked_build_into(
            options, output, use_cache=use_cache, jobs=jobs, prepare=prepare, cache_name=cache_name
        )


def _locked_build_into(
    options: BuildOptions,
    output: Path,
    *,
    use_cache: bool,
    jobs: int | None,
    prepare: Callable[[Planning], Callable[[Path], None] | None] | None,
    cache_name: str,
) -> Outcome:
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], FULL_COLLECTIONS)  # see _build_into
    engine = engine_digest()
    writer = CacheWriter(options.site_dir, engine, cache_name)
    try:
        return _build_into(
            options,
            output,
            engine=engine,
            writer=writer if use_cache else None,
            jobs=jobs,
            prepare=prepare,
            cache=cache_name,
        )
    finally:
        writer.discard()  # unless the build finished it: a failed build leaves the last cache
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _build_into(
    options: BuildOptions,
    output: Path,
    *,
    engine: bytes,
    writer: CacheWriter | None,  # None: no cache is used or saved
    jobs: int | None,
    prepare: Callable[[Planning], Callable[[Path], None] | None] | None,
    cache: str,
) -> Outcome:
    # The cache and the plan live as long as the build, and are made of hundreds of thousands of
    # objects: the garbage collector's full collections, visiting them all each time, took
    # seconds at 50,000 releases. A build makes its reference cycles in Markdown's internals,
    # which die young: the collections of young objects stay, full ones are held off
    # (FULL_COLLECTIONS), and what exists is frozen after loading and before workers are forked
    # (no collection visits it then, so none copies it into a worker either).
    jobs = jobs or default_jobs()
    use_cache = writer is not None
    previous = load_cache(options.site_dir, engine, cache) if use_cache else None
    gc.freeze()
    saved = CacheData(engine=engine)
    lint_memo = LintMemo(
        _settings_digest(options, engine), previous.lint if previous is not None else {}
    )
    # Without a previous cache, everything is new: each release is written to the cache as it
    # is loaded (CacheWriter), rather than all of them once the pages are written.
    loader = _ReleaseLoader(engine, previous, saved, jobs, writer if previous is None else None)
    planning = plan(options, releases_loader=loader, lint_memo=lint_memo, linted=loader.warnings)
    saved.lint = lint_memo.used
    planned = planning.files
    gc.freeze()
    finish = prepare(planning) if prepare is not None else None
    target = output.absolute()
    sources = (folder_digest(options.site_dir / name) for name in ("templates", "locales"))
    keys = PageKeys(digest(engine, *sources), loader.keys)
    reusable = previous.pages if previous is not None and previous.output == str(target) else {}
    page_keys: dict[str, bytes] = {}
    kept: dict[str, Stat] = {}  # unchanged pages: write_site keeps their very files (inodes)
    todo: list[int] = []
    unchanged: set[int] = set()
    for index, file in enumerate(planned):
        if not isinstance(file, Pending):
            continue
        if not reusable:  # every page is rendered; workers hash those the cache keeps
            todo.append(index)
            continue
        key = page_keys[file.path] = keys.page(file.path, file.context, file.view)
        known = reusable.get(file.path)
        if known is not None and known[0] == key and _stat(target, file.path) == known[1]:
            unchanged.add(index)
            kept[file.path] = known[1]
        else:
            todo.append(index)
    written = _Written(stats={}, keys=page_keys)
    work = _PageWork(planned, keys if use_cache and not reusable else None)
    write_site(
        target,
        [
            file
            if isinstance(file, OutputFile)
            else Unchanged(file.path)
            if index in unchanged
            else Deferred(file.path)
            for index, file in enumerate(planned)
        ],
        write_deferred=functools.partial(_write_pages, work, todo, jobs, written),
        finish=finish,
        # Drafts and embargoed releases never stay in the spare, beside the public site (the
        # preview server's folder is private to it, and deleted when it stops).
        keep_previous=options.preview or not includes_unpublished(target),
        keep_failed=options.preview or not (options.drafts or options.future),
    )
    if use_cache:
        saved.output = str(target)
        for path, key in page_keys.items():
            stat = kept.get(path) or written.stats.get(path)
            if stat is not None:
                saved.pages[path] = (key, stat)
        if writer is not None and (previous is None or not same_cache(previous, saved)):
            writer.finish(saved)
    return Outcome(
        site=planning.site,
        next_release_at=planning.next_release_at,
        warnings=planning.warnings,
        left_out=planning.left_out,
        pages=sum(1 for file in planned if file.path.endswith(".html")),
        feeds=sum(1 for file in planned if file.path.endswith(FEED_NAMES)),
        rendered=sum(1 for index in todo if planned[index].path.endswith(".html")),
        reused=sum(1 for index in unchanged if planned[index].path.endswith(".html")),
        notices=planning.notices,
    )


def verify(
    options: BuildOptions,
    output: Path,
    *,
    jobs: int | None = None,
    made_after: tuple[str, ...] = (),
) -> list[str]:
    """The files of ``output`` that differ from a clean build (no cache), as messages.

    Files under ``made_after`` (folders a ``finish`` step adds, like the search index) are not
    planned, so they are left out of the comparison.
    """
    jobs = jobs or default_jobs()
    planned = plan(
        options, releases_loader=_ReleaseLoader(engine_digest(), None, CacheData(engine=b""), jobs)
    ).files
    pages = [index for index, file in enumerate(planned) if isinstance(file, Pending)]
    problems = []
    expected: set[str] = set()
    for file in _output_files(planned, pages, jobs):
        expected.add(file.path)
        try:
            actual = (output / file.path).read_bytes()
        except OSError:
            problems.append(f"{file.path}: missing from the incremental build")
            continue
        if actual != file.data:
            problems.append(f"{file.path}: differs from a clean build")
    for extra in sorted(output.rglob("*")):
        relative = extra.relative_to(output).as_posix()
        if extra.is_file() and relative not in expected and not relative.startswith(made_after):
            problems.append(f"{relative}: not made by a clean build")
    return problems


def _settings_digest(options: BuildOptions, engine: bytes) -> bytes:
    """Everything besides a file that its lint findings may depend on: the site's settings."""
    try:
        settings = (options.site_dir / "content" / "site.yaml").read_bytes()
    except OSError:
        settings = b""
    return digest(engine, settings, options.base_url or "")


def _stat(folder: Path, path: str) -> Stat | None:
    try:
        stat = os.lstat(f"{folder}/{path}")  # a string: a Path per page costs more than the call
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class _Written:
    """What writing the pages tells the cache: their stats, and the keys workers computed."""

    stats: dict[str, Stat]
    keys: dict[str, bytes]


def _write_pages(
    work: _PageWork, todo: list[int], jobs: int, written: _Written, staging: Path
) -> None:
    """Render the ``todo`` pages and write them into ``staging``, in worker processes.

    Workers check each page for unsafe markup; the problems stop the build once every page is
    made. Each page's stat goes to ``written`` (the file keeps its inode in the output folder),
    with its key when the workers compute them (``work.keys``).
    """
    unsafe = UnsafePages()
    results = _parallel(_render_and_write, todo, jobs, dataclasses.replace(work, staging=staging))
    for index, (problems, stat, key) in zip(todo, results, strict=True):
        file = work.planned[index]
        unsafe.add(file.path, rank(file), problems)
        written.stats[file.path] = stat
        if key is not None:
            written.keys[file.path] = key
    unsafe.raise_if_any()


@dataclass(frozen=True, slots=True)
class _PageWork:
    planned: Sequence[Planned]
    keys: PageKeys | None  # when set, the key of each page rendered is computed with it
    staging: Path = Path()


def _render_and_write(
    work: _PageWork, indices: list[int]
) -> list[tuple[tuple[str, ...], Stat, bytes | None]]:
    """Render pages, check them (``page_problems``), write them into the staging folder, and
    hash their contexts (``work.keys``)."""
    results = []
    for index in indices:
        page = work.planned[index]
        assert isinstance(page, Pending)
        data = page.render().data
        stat = write_new(work.staging, page.path, data)
        problems = tuple(page_problems(data)) if page.path.endswith(".html") else ()
        key = work.keys.page(page.path, page.context, page.view) if work.keys else None
        results.append((problems, (stat.st_ino, stat.st_size, stat.st_mtime_ns), key))
    return results


def _output_files(planned: Sequence[Planned], pages: list[int], jobs: int) -> Iterator[OutputFile]:
    """Every planned file in order, the ``pages`` rendered in parallel, for ``verify``."""
    rendered = _parallel(_render_pages, pages, jobs, state=planned)
    for file in planned:
        yield file if isinstance(file, OutputFile) else OutputFile(file.path, next(rendered))


def _render_pages(planned: Sequence[Planned], indices: list[int]) -> list[bytes]:
    pages = [planned[index] for index in indices]
    return [page.render().data for page in pages if isinstance(page, Pending)]


# -- releases -----------------------------------------------------------------------------------


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
    bodies: dict[bytes, Rendered]
    renderers: dict[int, MemoRenderer] = field(default_factory=dict)  # see renderer()

    def renderer(self) -> MemoRenderer:
        """This process's renderer: one Markdown instance per process, not one per task."""
        process = os.getpid()
        renderer = self.renderers.get(process)
        if renderer is None:
            renderer = MemoRenderer(self.bodies, key=functools.partial(digest, self.engine))
            self.renderers[process] = renderer
        return renderer


def _load_files(work: _ReleaseWork, items: list[tuple[str, str]]) -> list[_Loaded]:
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
        results.append(_Loaded(key, loaded, renderer.last_key, renderer.new))
    return results


class _ReleaseLoader:
    """Loads releases as ``content.load_releases`` does, from the cache or in parallel."""

    def __init__(
        self,
        engine: bytes,
        previous: CacheData | None,
        saved: CacheData,
        jobs: int,
        writer: CacheWriter | None = None,
    ) -> None:
        self._engine = engine
        self._previous = previous
        self._saved = saved
        self._jobs = jobs
        self._writer = writer  # when set, what ``saved`` gets is written as it comes
        self.keys: dict[int, tuple[Release, bytes]] = {}  # id(release) -> it, its file's key
        self.warnings: dict[str, tuple[ContentError, ...]] = {}  # path -> its lint findings

    def __call__(
        self, site_dir: Path, config: SiteConfig, errors: list[ContentError]
    ) -> list[Release]:
        prefix = digest(self._engine, value_digest(config))
        previous = self._previous
        bodies = previous.bodies if previous is not None else {}
        files = list(content_files(site_dir, RELEASES_DIR))
        found: dict[int, LoadedRelease] = {}
        misses: list[int] = []
        for index, (file, path) in enumerate(files):
            raw = read_bytes(file, path) if previous is not None else None
            hit = None
            if previous is not None and isinstance(raw, bytes):
                key = digest(prefix, path, raw)
                hit = previous.releases.get(key)
            if hit is None:
                misses.append(index)
                continue
            found[index] = self._keep(key, *hit, bodies)
        work = _ReleaseWork(prefix, config, Lookups.of(config), self._engine, bodies)
        # One set of workers loads them all: forked before the releases are, they share none
        # of them, so their memory does not grow with what they touch (see _in_pool).
        loaded = _parallel(
            _load_files, [files[index] for index in misses], self._jobs, work, generation=None
        )
        new_releases: list[tuple[bytes, tuple[LoadedRelease, bytes]]] = []
        new_bodies: list[tuple[bytes, Rendered]] = []
        for count, (index, item) in enumerate(zip(misses, loaded, strict=True), start=1):
            found[index] = item.loaded
            self._saved.bodies.update(item.new_bodies)
            new_bodies.extend(item.new_bodies.items())
            release = item.loaded.release
            if release is not None and item.key is not None and item.body_key is not None:
                self._keep(item.key, item.loaded, item.body_key, bodies)
                new_releases.append((item.key, (item.loaded, item.body_key)))
            elif release is not None:
                self.warnings[release.source] = item.loaded.warnings
            if self._writer is not None and (count % CHUNK == 0 or count == len(misses)):
                self._writer.write({"bodies": new_bodies, "releases": new_releases})
                new_releases, new_bodies = [], []
        return checked_releases((found[index] for index in range(len(files))), errors)

    def _keep(
        self, key: bytes, loaded: LoadedRelease, body_key: bytes, previous: dict[bytes, Rendered]
    ) -> LoadedRelease:
        """A release loaded from the file of ``key``, for the cache this build saves, with its
        body (rendered by this build, or found in the ``previous`` cache's bodies)."""
        assert loaded.release is not None
        self.keys[id(loaded.release)] = (loaded.release, key)
        self.warnings[loaded.release.source] = loaded.warnings
        self._saved.releases[key] = (loaded, body_key)
        if body_key not in self._saved.bodies and body_key in previous:
            self._saved.bodies[body_key] = previous[body_key]
        return loaded


# -- processes ----------------------------------------------------------------------------------

# The state a forked worker was started with. Set once in each worker process by _start_worker
# (and never in the main process): the one module-level variable, because a forked process can
# only be handed unpicklable things (compiled templates, the plan) through its memory image.
_WORKER_STATE: Any = None


def _start_worker(state: object) -> None:
    global _WORKER_STATE  # noqa: PLW0603 - see above
    _end_with_parent()
    _WORKER_STATE = state


def _end_with_parent() -> None:
    """Have the kernel kill this worker when the build that forked it dies.

    A build killed with SIGKILL (the OOM killer, a cancelled CI job) cannot stop its workers;
    without this they sleep on the task queue for ever, holding memory and the open files (the
    build lock among them) that they inherited.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before prctl took effect
        os._exit(1)


def _in_worker(task: Callable[[Any, list[Any]], list[T]], items: list[Any]) -> list[T]:
    return task(_WORKER_STATE, items)


def _parallel(
    task: Callable[[Any, list[Any]], list[T]],
    items: Iterable[Any],
    jobs: int,
    state: object,
    *,
    generation: int | None = GENERATION,
) -> Iterator[T]:
    """``task(state, chunk)`` over ``items`` in chunks, results in order, lazily; workers are
    forked afresh every ``generation`` chunks (None: never).

    With few items, one job or no ``fork`` (Windows, some macOS set-ups), everything runs here.
    At most a few chunks are in flight, so results never pile up in memory. If a worker fails,
    the rest is done here, so that an error (a template mistake) is raised with its real
    traceback, or the build simply goes on if the worker died of something else.
    """
    items = list(items)
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    if (
        jobs < 2
        or len(items) < MIN_PARALLEL
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for chunk in chunks:
            yield from task(state, chunk)
        return
    done = 0
    size = generation or max(1, len(chunks))
    for first in range(0, len(chunks), size):
        last = min(first + size, len(chunks))
        try:
            for number, results in _in_pool(
                task, chunks, first=first, last=last, jobs=jobs, state=state
            ):
                done = number + 1
                yield from results
        except _WorkerError:  # redone here, where it raises with its real traceback
            for chunk in chunks[done:]:
                yield from task(state, chunk)
            return


class _WorkerError(Exception):
    """A task failed in a worker (the cause is chained)."""


def _in_pool(
    task: Callable[[Any, list[Any]], list[T]],
    chunks: list[list[Any]],
    *,
    first: int,
    last: int,
    jobs: int,
    state: object,
) -> Iterator[tuple[int, list[T]]]:
    """Chunks ``first`` to ``last``, results in order: ``jobs - 1`` freshly forked workers do
    them, and this process does one whenever the workers have enough queued.

    Forked workers share this process's memory until they write to it, which they do to every
    object they touch (reference counts): so this process works too rather than adding a
    worker, and workers last a generation of chunks, not the whole build, since a worker's own
    memory grows with the pages it touches. A garbage collection writes to every object it
    visits: frozen (until the build ends), the objects that exist at the fork are never visited
    in the workers (the pool forks them on its first submit).
    """
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=jobs - 1, mp_context=context, initializer=_start_worker, initargs=(state,)
    )
    gc.freeze()
    try:
        pending: deque[tuple[int, Future[list[T]] | list[T]]] = deque()
        queued = 0  # chunks given to the workers and not collected yet
        next_chunk = first
        while next_chunk < last or pending:
            while next_chunk < last and queued < 2 * (jobs - 1):
                pending.append((next_chunk, pool.submit(_in_worker, task, chunks[next_chunk])))
                next_chunk += 1
                queued += 1
            number, head = pending[0]
            if isinstance(head, Future) and not head.done() and next_chunk < last:
                pending.append((next_chunk, task(state, chunks[next_chunk])))
                next_chunk += 1
                continue
            pending.popleft()
            if isinstance(head, Future):
                queued -= 1
                try:
                    results = head.result()
                except Exception as exc:
                    raise _WorkerError from exc
            else:
                results = head
            yield number, results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
