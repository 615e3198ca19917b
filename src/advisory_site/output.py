"""The only module that touches the output folder: write a complete new one, then swap it in.

A reader of the folder (a web server, a deploy step) sees either the whole previous site or the
whole new one. The new site is written into a sibling staging folder; on Linux the two folders are
exchanged atomically with renameat2(RENAME_EXCHANGE); elsewhere two renames are used, and a build
that dies between them is repaired by the next one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from advisory_site.errors import OutputError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class Written(Protocol):
    """A planned file: ``path`` relative to the output folder ('/'-separated) and its bytes."""

    @property
    def path(self) -> str: ...

    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A file whose bytes are those of the same path in the current output folder: it is
    hard-linked into the new folder instead of being written again (copied where links fail)."""

    path: str


def staging_prefix(target: Path) -> str:
    return f".{target.name}.new-"


def retired_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def write_site(
    target: Path,
    files: Iterable[Written | Unchanged],
    *,
    finish: Callable[[Path], None] | None = None,
) -> None:
    """Replace ``target`` with a folder holding exactly ``files``, or leave it as it was.

    ``finish`` runs on the complete staging folder just before the swap (the search indexer
    adds its files there); if it raises, the previous site stays as it was.
    """
    target = target.absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _recover(target)
        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(target), dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot prepare the output folder {target}: {exc.strerror}") from exc
    try:
        _writing(staging.chmod, 0o755)
        _write_all(staging, files, previous=target)
        if finish is not None:
            finish(staging)
        _writing(_swap, staging, target)
    except _WriteError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"cannot write the site into {target}: {exc}; the previous site was left as it was"
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _writing(action: Callable[..., object], *args: object) -> None:
    try:
        action(*args)
    except OSError as exc:
        raise _WriteError(exc) from exc


def update_site(target: Path, files: Sequence[Written], previous: dict[str, bytes]) -> int:
    """Bring ``target``, last written with ``previous``, to ``files``; return how many changed.

    For a preview server: not atomic, but a rebuild after one edit rewrites a handful of files
    instead of the whole folder. ``previous`` is updated to the new contents.
    """
    wanted = {file.path: file.data for file in files}
    root = target.absolute()
    try:
        for path in sorted(set(previous) - set(wanted)):
            (root / path).unlink(missing_ok=True)
            del previous[path]
        changed = [file for file in files if previous.get(file.path) != file.data]
        _write_all(root, changed)
    except (OSError, _WriteError) as exc:
        previous.clear()  # unknown state: the next update rewrites everything
        raise OutputError(f"cannot update the preview in {target}: {exc}") from exc
    previous.update(wanted)
    return len(changed)


MAX_NAME_BYTES = 255
"""Longest file or folder name that common file systems (ext4, APFS, NTFS) accept."""


def path_problem(path: str) -> str:
    """Why a planned path cannot be written inside the output folder, or '' when it can."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or "\x00" in path:
        return "is not a relative path"
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' part"
    if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in parts):
        return f"has a part longer than {MAX_NAME_BYTES} bytes"
    return ""


def _write_all(
    staging: Path, files: Iterable[Written | Unchanged], *, previous: Path | None = None
) -> None:
    made: set[Path] = set()
    root = staging.resolve()
    # Making the files (rendering pages) may raise anything, such as a template error: only the
    # writing below is an output problem.
    for file in files:
        problem = path_problem(file.path)
        # With no empty, '.' or '..' part, a path can only lead out of staging through a
        # symbolic link, and staging is a fresh folder holding only what we wrote (no links):
        # no need to resolve each path, which would cost the file system thousands of lookups.
        destination = root / file.path
        if problem or destination == root:
            raise OutputError(
                f"refusing to write {file.path!r} outside the output folder: "
                f"{problem or 'it leads out of it'}"
            )
        try:
            folder = destination.parent
            if folder not in made:
                # one mkdir for a folder whose parent exists, rather than one a level
                folder.mkdir(parents=folder.parent not in made, exist_ok=True)
                made.update(folder.parents)
                made.add(folder)
            if isinstance(file, Unchanged):
                assert previous is not None, "an unchanged file needs the previous folder"
                _link_or_copy(previous / file.path, destination)
            else:
                destination.write_bytes(file.data)
        except OSError as exc:
            raise _WriteError(exc) from exc


class _WriteError(Exception):
    """An OSError of the writing itself, told apart from errors raised by making the files
    (jinja2's TemplateNotFound is an OSError too, and must stay a template error)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:  # a file system without hard links: copying gives the same bytes
        shutil.copyfile(source, destination)


def _swap(staging: Path, target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        staging.rename(target)
        return
    if not target.is_dir() or target.is_symlink():
        raise OutputError(f"{target} exists and is not a folder; move it away first")
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous site
        return
    retired = Path(tempfile.mkdtemp(prefix=retired_prefix(target), dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where that is not available."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
        return False
    raise OSError(errno, os.strerror(errno))


def _recover(target: Path) -> None:
    """Clean up after a build that was killed: restore a retired site, drop stale staging."""
    parent = target.parent
    retired = sorted(parent.glob(retired_prefix(target) + "*"))
    if retired and not target.exists():
        retired[-1].rename(target)
        retired = retired[:-1]
    for leftover in [*retired, *parent.glob(staging_prefix(target) + "*")]:
        shutil.rmtree(leftover, ignore_errors=True)
