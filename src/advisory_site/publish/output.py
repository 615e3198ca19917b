"""The only module that touches the output folder: write a complete new one, then swap it in.

A reader of the folder (a web server, a deploy step) sees either the whole previous site or the
whole new one. The new site is written into a sibling staging folder; on Linux the two folders are
exchanged atomically with renameat2(RENAME_EXCHANGE); elsewhere two renames are used, and a build
that dies between them is repaired by the next one.

The previous site is not deleted after the swap but kept next to the output folder as the spare
(``.<name>.spare``, such as ``._site.spare``). The next build takes the spare as its staging folder
and brings it to the new plan in place, so that a rebuild costs what changed rather than making
and deleting every folder. Where nothing changed, the spare's files are hard links to the output
folder's: it doubles disk use only for files that changed, and deleting it is always safe (the
next build then starts from an empty folder, as the first one does).

Nothing in the spare is trusted, since a build killed while using it leaves it in any state.
Before anything is written, everything in it that is not a regular file or a folder made as this
build would make it is removed: symbolic links above all, so that no write can go through one. A
file planned as ``Unchanged`` is kept only if it is the very inode of the output folder's file (a
file is never modified in place, so the same inode holds the same bytes), else linked again; every
written file replaces the spare's, which is unlinked first, never written into (the two folders
share inodes); what the plan does not name is removed before ``finish`` runs.
"""

# The thousands of files of a site are handled as strings with os functions: making and taking
# apart a Path for each costs more than the system call.
# ruff: noqa: PTH103, PTH108, PTH120, PTH123

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from advisory_site.core.errors import OutputError, UsageError

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
    """A file whose bytes are those of the same path in the current output folder: it is kept
    from the spare if it is that very file, else hard-linked into the new folder instead of being
    written again (copied where links fail)."""

    path: str


@dataclass(frozen=True, slots=True)
class Deferred:
    """A file that ``write_site``'s ``write_deferred`` step writes, with ``write_new``, once every
    other file is in place (so that worker processes can render and write pages in parallel)."""

    path: str


def staging_prefix(target: Path) -> str:
    return f".{target.name}.new-"


def retired_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def spare_path(target: Path) -> Path:
    """The previous site, kept for the next build to start from (see the module docstring)."""
    return target.parent / f".{target.name}.spare"


def lock_path(target: Path) -> Path:
    """The file a build holds locked while it works on ``target`` (see ``output_lock``)."""
    return target.parent / f".{target.name}.lock"


LOCK_WAIT = 600.0
"""Seconds a build waits by default for another build of the same output folder to finish."""

# Output folders locked by this process: a POSIX lock does not exclude its own process.
_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def output_lock(
    target: Path, *, wait: float = LOCK_WAIT, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold ``target``'s lock: one build at a time per output folder.

    Two builds of one folder would delete each other's staging folders and swap in half a site.
    The lock is a POSIX record lock (``lockf``) on a file beside the folder: the system drops it
    when the process ends, however it ends, and forked workers do not inherit it (a worker left
    behind by a killed build never holds the next build up). Another build waits up to ``wait``
    seconds, told once through ``notify``, then fails with an OutputError naming the holder.
    The file is removed on release; a waiter that then holds a removed file's lock tries again.
    """
    target = target.absolute()
    path = lock_path(target)
    key = str(target)
    deadline = time.monotonic() + wait
    told = False
    while True:
        holder = _lock(path, target, key)
        if isinstance(holder, int):
            descriptor = holder
            break
        if not holder:
            continue
        if time.monotonic() >= deadline:
            raise OutputError(
                f"another build ({holder}) is writing into {target}; nothing was changed "
                "(run this build again when that one has finished)"
            )
        if not told and notify is not None:
            notify(
                f"Another build ({holder}) is writing into {target}; waiting up to "
                f"{wait:g} s for it to finish."
            )
            told = True
        time.sleep(0.05)
    try:
        with contextlib.suppress(OSError):  # only to name the holder: a full disk may refuse it
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still locked: a waiter then finds its file gone, and retries
        with _HELD_GUARD:
            _HELD.discard(key)
        os.close(descriptor)  # releases the lock


def _still_named(descriptor: int, path: Path) -> bool:
    """Whether the locked file is still the one at ``path`` (not removed by its last holder)."""
    try:
        named = path.lstat()
    except OSError:
        return False
    held = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _lock(path: Path, target: Path, key: str) -> int | str:
    """The locked descriptor of ``path``, or who holds the lock ('' to try again at once)."""
    with _HELD_GUARD:
        if key in _HELD:  # never open the file then: closing it would drop this process's lock
            return "in this process"
        descriptor = _open_lock(path, target)
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _holder(descriptor)
            os.close(descriptor)
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return holder
            raise OutputError(f"cannot lock the output folder {target}: {exc.strerror}") from exc
        if not _still_named(descriptor, path):  # removed by the build that held it: try again
            os.close(descriptor)
            return ""
        _HELD.add(key)
        return descriptor


def _holder(descriptor: int) -> str:
    """'process 1234' for the build holding the lock (it writes its id), as far as known."""
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeError):
        text = ""
    return f"process {text}" if text.isdigit() else "another process"


def _open_lock(path: Path, target: Path) -> int:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | _NO_FOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot lock the output folder {target}: {exc.strerror}") from exc


PROTECTED = ("content", "templates", "locales", "static", "assets", ".git", ".cache")
"""The site's sources (and its cache): an output folder never overlaps any of them."""


def output_place_problem(site_dir: Path, target: Path) -> str:
    """Why ``target`` may not be the output folder of the site in ``site_dir``, or ''.

    A build replaces its output folder whole, so the folder may not be or hold the site's
    sources (``--output .``, ``--output ..``), lie inside them (``--output content/pages``: the
    next build would delete the pages) or be a folder a build did not make (``--output src``).
    """
    site = site_dir.resolve()
    output = target.resolve()
    shown = os.fspath(target)
    if ".git" in output.parts:
        return f"--output {shown} is inside a Git repository's .git folder"
    sources = [site / name for name in PROTECTED]
    for source in (site, *sources):
        if source == output or source.is_relative_to(output):
            what = "the site folder" if source == site else f"{source.name}/"
            return f"--output {shown} would replace {what} {source} (the site's sources)"
    for source in sources:
        if output.is_relative_to(source):
            return f"--output {shown} is inside the site's {source.name}/ folder {source}"
    try:
        found = output.lstat() if output.exists() else None
        if found is not None and stat.S_ISDIR(found.st_mode) and any(output.iterdir()):
            marker = output / BUILT_MARKER
            if not marker.is_file() or marker.is_symlink():
                return (
                    f"--output {shown} is a folder with files that no build made (it has no "
                    f"{BUILT_MARKER}); a build replaces its output folder whole"
                )
    except OSError as exc:
        return f"--output {shown} cannot be used: {exc.strerror}"
    return ""


def check_output_place(site_dir: Path, target: Path) -> None:
    """Raise a UsageError (exit 2) when ``output_place_problem`` finds one."""
    problem = output_place_problem(site_dir, target)
    if problem:
        raise UsageError(f"{problem}; choose another output folder, such as {site_dir / '_site'}")


BUILT_MARKER = "build-info.json"
"""A file every build writes: a folder holding it was made by a build."""

REQUIRED = ("index.html", BUILT_MARKER, "rss.xml", "atom.xml", "feed.json", "sitemap.xml")
"""Files every complete site has: what the deploy checks before publishing a folder."""


def missing_required(folder: Path) -> list[str]:
    """The ``REQUIRED`` files that ``folder`` lacks as regular files."""
    missing = []
    for name in REQUIRED:
        try:
            found = (folder / name).lstat()
        except OSError:
            missing.append(name)
            continue
        if not stat.S_ISREG(found.st_mode):
            missing.append(name)
    return missing


def write_site(
    target: Path,
    files: Iterable[Written | Unchanged | Deferred],
    *,
    write_deferred: Callable[[Path], None] | None = None,
    finish: Callable[[Path], None] | None = None,
    keep_previous: bool = True,
    keep_failed: bool = True,
) -> None:
    """Replace ``target`` with a folder holding exactly ``files``, or leave it as it was.

    ``write_deferred`` then writes the ``Deferred`` files into the staging folder it is given,
    each with ``write_new``, from any process. ``finish`` runs on the complete staging folder
    just before the swap (the search indexer adds its files there). If either raises, the
    previous site stays as it was.

    ``keep_previous`` False: the replaced site is deleted rather than kept as the spare;
    ``keep_failed`` False: so is the staging folder of a failed build. A preview build (drafts,
    embargoed releases) passes them so that its content never lingers next to the public site.
    """
    target = target.absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _recover(target)
        staging, spare = _staging(target)
    except OSError as exc:
        raise OutputError(f"cannot prepare the output folder {target}: {exc.strerror}") from exc
    planned: list[str] = []
    try:
        _writing(staging.chmod, 0o755)
        _write_plan(staging, _listed(files, planned), previous=target, spare=spare)
        if write_deferred is not None:
            write_deferred(staging.resolve())
        if finish is not None:
            finish(staging)
        _check_complete(staging, planned)
        _writing(_swap, staging, target, keep_previous)
    except (_WriteError, DeferredWriteError, _IncompleteError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"cannot write the site into {target}: {exc}; the previous site was left as it was"
        ) from exc
    except BaseException:
        # A build that fails for its content (a template error, an unsafe page) is fixed and
        # run again at once, often in the preview server: its half-made folder is kept as the
        # spare, whose every entry the next build checks, rather than making a whole one again.
        if keep_failed:
            _keep_as_spare(staging, target)
        else:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _listed(
    files: Iterable[Written | Unchanged | Deferred], paths: list[str]
) -> Iterator[Written | Unchanged | Deferred]:
    for file in files:
        paths.append(file.path)
        yield file


class _IncompleteError(Exception):
    """The staging folder lacks files of the plan: it is never swapped in."""


def _check_complete(staging: Path, planned: list[str]) -> None:
    """Check that ``staging`` holds every planned file as a regular file, just before the swap:
    whatever went wrong (another process deleting in the folder, a worker that wrote nothing),
    an incomplete site is never published."""
    base = os.fspath(staging)
    missing = []
    for path in planned:
        try:
            found = os.lstat(f"{base}/{path}")
        except OSError:
            missing.append(path)
            continue
        if not stat.S_ISREG(found.st_mode):
            missing.append(path)
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise _IncompleteError(
            f"the new site lacks {len(missing)} of its {len(planned)} planned files ({shown})"
        )


def _writing(action: Callable[..., object], *args: object) -> None:
    try:
        action(*args)
    except OSError as exc:
        raise _WriteError(exc) from exc


def write_new(staging: Path, path: str, data: bytes) -> os.stat_result:
    """Write a ``Deferred`` file into the staging folder ``write_site`` passed to its
    ``write_deferred`` step, and return its stat. Its place was cleared for it, so it is
    created, never written into (the folder may share inodes with the output folder); missing
    folders are made on the way.
    """
    destination = _checked(staging, path)
    try:
        try:
            descriptor = os.open(destination, _NEW_FILE, 0o666)
        except FileNotFoundError:
            _make_folders(os.path.dirname(destination))
            descriptor = os.open(destination, _NEW_FILE, 0o666)
        except FileExistsError:  # written by a worker that failed later: its work is redone
            os.unlink(destination)
            descriptor = os.open(destination, _NEW_FILE, 0o666)
        try:
            left = memoryview(data)
            while left:
                left = left[os.write(descriptor, left) :]
            return os.fstat(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise DeferredWriteError(exc.strerror or str(exc)) from exc


# like open(..., "xb"), without its buffered file object: a build writes thousands
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _make_folders(folder: str) -> None:
    """``os.makedirs(folder, exist_ok=True)``, but trying the folder itself first: its parent
    is there for most pages (each release page is alone in a new folder)."""
    try:
        os.mkdir(folder)  # noqa: PTH102 - a str: a Path per page costs more than the call
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # made by another worker meanwhile
        pass


class DeferredWriteError(Exception):
    """Writing a ``Deferred`` file failed (a full disk...): ``write_site`` reports it as an
    OutputError. A plain message, so that it crosses from a worker process unchanged."""


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


def _checked(root: Path, path: str) -> str:
    """Where ``path`` goes under ``root`` (a string: a Path per file costs more than its
    writing); an OutputError if it cannot be written there."""
    problem = path_problem(path)
    destination = f"{root}/{path}"
    if problem:
        raise OutputError(f"refusing to write {path!r} outside the output folder: {problem}")
    return destination


@dataclass(frozen=True, slots=True)
class _Spare:
    """What the staging folder holds before writing, as '/'-separated paths. Entries are taken
    out as the plan claims them, so that what is left at the end is what the plan does not name.
    """

    folders: set[str]
    files: set[str]


def _staging(target: Path) -> tuple[Path, _Spare]:
    """The staging folder and what it holds: the spare when it is a folder of ours, cleared of
    what must not stay; else (any doubt, any error) a fresh empty folder."""
    staging = _fresh_staging(target)
    spare = spare_path(target)
    try:
        found = spare.lstat()
    except FileNotFoundError:
        return staging, _Spare(set(), set())
    try:
        if not (stat.S_ISDIR(found.st_mode) and _ours(found)):
            _remove(spare, found)
            return staging, _Spare(set(), set())
        mode = _folder_mode(staging)
        staging.rmdir()
        spare.rename(staging)
        return staging, _inventory(staging, mode)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return _fresh_staging(target), _Spare(set(), set())


def _fresh_staging(target: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=staging_prefix(target), dir=target.parent))


def _ours(found: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or found.st_uid == os.geteuid()


def _remove(path: Path, found: os.stat_result) -> None:
    if stat.S_ISDIR(found.st_mode):
        shutil.rmtree(path)
    else:
        path.unlink()  # a symbolic link itself, not what it points to


def _folder_mode(staging: Path) -> int:
    """The mode this process gives a new folder (the umask may differ from the last build's)."""
    probe = staging / "probe"
    probe.mkdir()
    try:
        return stat.S_IMODE(probe.lstat().st_mode)
    finally:
        probe.rmdir()


def _inventory(staging: Path, mode: int) -> _Spare:
    """List the spare now in ``staging``, removing all but regular files and folders of ours
    with ``mode``: no symbolic link (nor FIFO, socket or device) is left for a write to meet."""
    spare = _Spare(set(), set())
    base = os.fspath(staging)
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(f"{base}/{folder}" if folder else base) as entries:
            for entry in entries:
                path = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    found = entry.stat(follow_symlinks=False)
                    if _ours(found) and stat.S_IMODE(found.st_mode) == mode:
                        spare.folders.add(path)
                        pending.append(path)
                    else:
                        shutil.rmtree(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    spare.files.add(path)
                else:
                    Path(entry.path).unlink()
    return spare


def _write_plan(
    staging: Path,
    files: Iterable[Written | Unchanged | Deferred],
    *,
    previous: Path,
    spare: _Spare,
) -> None:
    """Bring ``staging``, holding ``spare``, to ``files``: then it holds exactly those, but for
    the ``Deferred`` ones, whose places are cleared (``write_new`` makes missing folders)."""
    ready: set[str] = {""}  # folders that are as planned
    root = staging.resolve()
    # Making the files (rendering pages) may raise anything, such as a template error: only the
    # writing below is an output problem.
    for file in files:
        # With no empty, '.' or '..' part, a path can only lead out of staging through a
        # symbolic link, and staging holds only regular files and folders (no links): no need to
        # resolve each path, which would cost the file system thousands of lookups.
        destination = _checked(root, file.path)
        try:
            folder = file.path.rpartition("/")[0]
            if folder not in ready:
                if isinstance(file, Deferred) and not spare.folders and not spare.files:
                    continue  # an empty staging folder: nothing in the way, write_new makes it
                _make_folder(root, folder, ready, spare)
            if file.path in spare.folders:  # a folder where a file is planned
                _remove_folder(root, file.path, spare)
            elif file.path in spare.files:
                spare.files.remove(file.path)
                if isinstance(file, Unchanged) and _same_file(
                    destination, f"{previous}/{file.path}"
                ):
                    continue
                os.unlink(destination)  # never written into: the output folder may share it
            if isinstance(file, Deferred):
                continue
            if isinstance(file, Unchanged):
                _link_or_copy(f"{previous}/{file.path}", destination)
            else:
                with open(destination, "xb") as stream:
                    stream.write(file.data)
        except OSError as exc:
            raise _WriteError(exc) from exc
    _writing(_remove_unplanned, root, spare)


def _make_folder(root: Path, folder: str, ready: set[str], spare: _Spare) -> None:
    """Make ``folder`` and its missing parents, keeping those the spare has."""
    parent = folder.rpartition("/")[0]
    if parent not in ready:
        _make_folder(root, parent, ready, spare)
    if folder in spare.folders:
        spare.folders.remove(folder)
    else:
        if folder in spare.files:  # a file where a folder is planned
            spare.files.remove(folder)
            (root / folder).unlink()
        (root / folder).mkdir()
    ready.add(folder)


def _remove_folder(root: Path, folder: str, spare: _Spare) -> None:
    shutil.rmtree(root / folder)
    inside = folder + "/"
    spare.folders.difference_update([path for path in spare.folders if path.startswith(inside)])
    spare.folders.remove(folder)
    spare.files.difference_update([path for path in spare.files if path.startswith(inside)])


def _same_file(first: str, second: str) -> bool:
    """Whether both paths name one regular file: the same inode of the same device."""
    try:
        one, other = os.lstat(first), os.lstat(second)
    except OSError:
        return False
    return stat.S_ISREG(one.st_mode) and (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


def _remove_unplanned(root: Path, spare: _Spare) -> None:
    """Remove what is left of the spare; a folder goes with its content."""
    for folder in spare.folders:
        if folder.rpartition("/")[0] not in spare.folders:
            shutil.rmtree(root / folder)
    for path in spare.files:
        if path.rpartition("/")[0] not in spare.folders:
            (root / path).unlink()


class _WriteError(Exception):
    """An OSError of the writing itself, told apart from errors raised by making the files
    (jinja2's TemplateNotFound is an OSError too, and must stay a template error)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # a file system without hard links: copying gives the same bytes
        shutil.copyfile(source, destination)


def _swap(staging: Path, target: Path, keep_previous: bool = True) -> None:
    if not target.exists() and not target.is_symlink():
        staging.rename(target)
        return
    if not target.is_dir() or target.is_symlink():
        raise OutputError(f"{target} exists and is not a folder; move it away first")
    if _exchange(staging, target):
        retired = staging  # staging now holds the previous site
    else:
        retired = Path(tempfile.mkdtemp(prefix=retired_prefix(target), dir=target.parent))
        retired.rmdir()
        target.rename(retired)
        staging.rename(target)
    if keep_previous:
        _keep_as_spare(retired, target)
    else:
        shutil.rmtree(retired, ignore_errors=True)


def _keep_as_spare(previous: Path, target: Path) -> None:
    try:
        previous.rename(spare_path(target))
    except OSError:  # the name is taken (another build's spare) or cannot be used
        shutil.rmtree(previous, ignore_errors=True)


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
    """Clean up after a build that was killed: restore a retired site, keep one leftover folder
    as the spare (whatever state it is in: the next build checks every entry), drop the rest."""
    parent = target.parent
    retired = sorted(parent.glob(retired_prefix(target) + "*"))
    if retired and not target.exists():
        retired[-1].rename(target)
        retired = retired[:-1]
    leftovers = [*retired, *parent.glob(staging_prefix(target) + "*")]
    spare = spare_path(target)
    if leftovers and not spare.is_symlink() and not spare.exists():
        kept = leftovers.pop()
        try:
            kept.rename(spare)
        except OSError:
            leftovers.append(kept)
    for leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)
