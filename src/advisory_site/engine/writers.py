"""Where a build's files go: nowhere (``check``), into memory (tests), into the atomic output
folder (``build``, the preview), or compared with a folder (``--verify-cache``).

A writer takes the files made in the main process whole, and gives the pipeline a ``Sink`` for
the pages, which workers render and put straight into it (no page crosses between processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from advisory_site.core.models import Site
from advisory_site.engine.cache import Stat
from advisory_site.publish.output import (
    LOCK_WAIT,
    Deferred,
    Unchanged,
    output_lock,
    write_new,
    write_site,
)
from advisory_site.site.plan import OutputFile, includes_unpublished
from advisory_site.source.lint import LintWarning

Entry = OutputFile | Unchanged | Deferred


class Sink(Protocol):
    """Takes pages as they are made: ``put`` in any process, ``took`` in the main one, with
    what ``put`` returned."""

    stats: dict[str, Stat]  # the files written, for the store (empty when none are)

    def put(self, path: str, data: bytes) -> object: ...

    def took(self, path: str, receipt: object) -> None: ...


class Writer(Protocol):
    folder: Path | None  # the folder whose unchanged pages a build may keep (None: no keeping)

    def hold(self) -> contextlib.AbstractContextManager[object]:
        """Held for the whole build: the plan relies on what the folder holds."""
        ...

    def accept(self, site: Site, warnings: Sequence[LintWarning]) -> None:
        """Told what will be written before anything is; may stop the build by raising."""
        ...

    def write(self, files: Sequence[Entry], pages: Callable[[Sink], None]) -> None:
        """Write ``files``; ``pages`` puts the ``Deferred`` ones into the sink it is given."""
        ...


@dataclass(slots=True)
class NullSink:
    stats: dict[str, Stat] = field(default_factory=dict)

    def put(self, path: str, data: bytes) -> object:
        return None

    def took(self, path: str, receipt: object) -> None:
        return None


class Nowhere:
    """Makes every file and writes none: ``check``."""

    folder: Path | None = None

    def hold(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()

    def accept(self, site: Site, warnings: Sequence[LintWarning]) -> None:
        return None

    def write(self, files: Sequence[Entry], pages: Callable[[Sink], None]) -> None:
        pages(NullSink())


@dataclass(slots=True)
class MemorySink:
    files: dict[str, bytes]
    stats: dict[str, Stat] = field(default_factory=dict)

    def put(self, path: str, data: bytes) -> object:
        return data

    def took(self, path: str, receipt: object) -> None:
        assert isinstance(receipt, bytes)
        self.files[path] = receipt


class Memory(Nowhere):
    """Keeps every file in ``files``, in path order: what tests look at."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.warnings: tuple[LintWarning, ...] = ()

    def accept(self, site: Site, warnings: Sequence[LintWarning]) -> None:
        self.warnings = tuple(warnings)

    def write(self, files: Sequence[Entry], pages: Callable[[Sink], None]) -> None:
        made: dict[str, bytes] = {}
        pages(MemorySink(made))
        for file in files:
            self.files[file.path] = file.data if isinstance(file, OutputFile) else made[file.path]

    def outputs(self) -> list[OutputFile]:
        return [OutputFile(path, data) for path, data in self.files.items()]


@dataclass(slots=True)
class FolderSink:
    staging: Path
    stats: dict[str, Stat] = field(default_factory=dict)

    def put(self, path: str, data: bytes) -> object:
        stat = write_new(self.staging, path, data)
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def took(self, path: str, receipt: object) -> None:
        assert isinstance(receipt, tuple)
        self.stats[path] = receipt


Prepare = Callable[[Site, Sequence[LintWarning]], Callable[[Path], None] | None]


class Folder:
    """The output folder, replaced whole or not at all (``output.write_site``), under its lock.

    ``prepare`` sees the site and its warnings before anything is written: it may stop the
    build by raising (``--strict``) and returns what runs on the complete folder (search).
    ``private``: a preview's folder, whose spare and failed folders are kept (it is deleted
    when the preview stops); ``unpublished``: a build with drafts or embargoed releases, which
    never leaves them in a spare beside the public site.
    """

    def __init__(
        self,
        output: Path,
        *,
        prepare: Prepare | None = None,
        private: bool = False,
        unpublished: bool = False,
        wait: float = LOCK_WAIT,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.folder: Path | None = output.absolute()
        self._prepare = prepare
        self._finish: Callable[[Path], None] | None = None
        self._private = private
        self._unpublished = unpublished
        self._wait = wait
        self._notify = notify
        self.sink: FolderSink | None = None

    def hold(self) -> contextlib.AbstractContextManager[object]:
        assert self.folder is not None
        return output_lock(self.folder, wait=self._wait, notify=self._notify)

    def accept(self, site: Site, warnings: Sequence[LintWarning]) -> None:
        if self._prepare is not None:
            self._finish = self._prepare(site, warnings)

    def write(self, files: Sequence[Entry], pages: Callable[[Sink], None]) -> None:
        assert self.folder is not None
        target = self.folder

        def deferred(staging: Path) -> None:
            pages(FolderSink(staging))

        write_site(
            target,
            files,
            write_deferred=deferred,
            finish=self._finish,
            keep_previous=self._private or not includes_unpublished(target),
            keep_failed=self._private or not self._unpublished,
        )


@dataclass(slots=True)
class CompareSink:
    folder: Path
    problems: list[str]
    stats: dict[str, Stat] = field(default_factory=dict)

    def put(self, path: str, data: bytes) -> object:
        return _difference(self.folder, path, data)

    def took(self, path: str, receipt: object) -> None:
        if isinstance(receipt, str):
            self.problems.append(receipt)


def _difference(folder: Path, path: str, data: bytes) -> str | None:
    try:
        actual = (folder / path).read_bytes()
    except OSError:
        return f"{path}: missing from the incremental build"
    return None if actual == data else f"{path}: differs from a clean build"


class Compare(Nowhere):
    """Compares every file with ``folder`` (``--verify-cache``): ``problems`` lists each file
    that differs, is missing or is not made, in path order. Folders under ``made_after`` (added
    by a ``finish`` step, like the search index) are left out."""

    def __init__(
        self,
        folder: Path,
        *,
        made_after: tuple[str, ...] = (),
        wait: float = LOCK_WAIT,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._folder = folder
        self._made_after = made_after
        self._wait = wait
        self._notify = notify
        self.problems: list[str] = []

    def hold(self) -> contextlib.AbstractContextManager[object]:
        return output_lock(self._folder, wait=self._wait, notify=self._notify)

    def write(self, files: Sequence[Entry], pages: Callable[[Sink], None]) -> None:
        found: list[str] = []
        pages(CompareSink(self._folder, found))
        for file in files:
            if isinstance(file, OutputFile):
                problem = _difference(self._folder, file.path, file.data)
                if problem:
                    found.append(problem)
        expected = {file.path for file in files}
        for extra in sorted(self._folder.rglob("*")):
            relative = extra.relative_to(self._folder).as_posix()
            made_after = relative.startswith(self._made_after)
            if extra.is_file() and relative not in expected and not made_after:
                found.append(f"{relative}: not made by a clean build")
        self.problems = sorted(found, key=_problem_order(files))


def _problem_order(files: Sequence[Entry]) -> Callable[[str], tuple[int, str]]:
    order = {file.path: number for number, file in enumerate(files)}

    def key(problem: str) -> tuple[int, str]:
        path = problem.split(": ", 1)[0]
        return (order.get(path, len(order)), problem)

    return key
