"""The committed versions of each release file, read from git: the repository is the site, and
every version that was live on it is public (the changes pages, the ledger).

Two ``git`` processes for the whole site, whatever its size: one ``git log`` over the releases
folder (the first-parent history of HEAD, that is what the published branch went through), one
``git cat-file --batch`` for the bytes of every version. Both are bounded in time and in the
bytes they may return. Without git, outside a repository or in a shallow clone, the history is
unavailable, and ``read_history`` says why instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

GIT_TIMEOUT = 120.0  # seconds, for each git process
MAX_VERSIONS = 1_000  # the newest versions of one file that are read
MAX_FILE_BYTES = 8 * 1024 * 1024  # a version larger than this was never a valid release
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # every version of every release together
_SEPARATOR = "\x1e"


@dataclass(frozen=True, slots=True)
class FileVersion:
    """A file as one commit left it (``data`` None: the commit deleted it)."""

    commit: str
    committed: datetime  # the commit's committer date, in UTC
    data: bytes | None


@dataclass(frozen=True, slots=True)
class History:
    """The committed versions of the release files (paths relative to the site folder), oldest
    first; ``unavailable`` says why there is none, or is empty."""

    versions: Mapping[str, tuple[FileVersion, ...]] = field(default_factory=dict)
    unavailable: str = ""

    @property
    def available(self) -> bool:
        return not self.unavailable


class _GitError(Exception):
    pass


def _git(
    args: list[str], cwd: Path, *, stdin: bytes | None = None, limit: int = MAX_TOTAL_BYTES
) -> bytes:
    """The standard output of ``git args`` in ``cwd``; _GitError if it fails or says too much."""
    environment = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "LC_ALL": "C",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    try:
        result = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=environment,
            check=False,
        )
    except FileNotFoundError:
        raise _GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise _GitError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise _GitError(f"git could not be run: {exc.strerror}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitError(message[-1] if message else f"git {args[0]} failed")
    if len(result.stdout) > limit:
        raise _GitError(f"git {args[0]} returned more than {limit} bytes")
    return result.stdout


def read_history(site_dir: Path, sources: Iterable[str], folder: str) -> History:
    """The committed versions of each of ``sources`` (files under ``folder``, both relative to
    ``site_dir``), or why they cannot be read."""
    wanted = set(sources)
    try:
        inside = _git(["rev-parse", "--is-inside-work-tree"], site_dir).strip()
    except _GitError as exc:
        return History(unavailable=f"{site_dir} is not in a git repository ({exc})")
    if inside != b"true":
        return History(unavailable=f"{site_dir} is not in a git work tree")
    try:
        if _git(["rev-parse", "--is-shallow-repository"], site_dir).strip() == b"true":
            return History(
                unavailable="the repository is a shallow clone (check out its full history, "
                "as with fetch-depth: 0)"
            )
        prefix = _git(["rev-parse", "--show-prefix"], site_dir).decode("utf-8").strip()
        try:
            _git(["rev-parse", "--verify", "--quiet", "HEAD"], site_dir)
        except _GitError:
            return History()  # a repository without a commit yet: nothing was ever published
        log = _git(
            [
                "log",
                "--first-parent",
                "--diff-merges=first-parent",
                "--no-renames",
                "-z",
                f"--format={_SEPARATOR}%H %ct",
                "--name-only",
                "HEAD",
                "--",
                f"{prefix}{folder}/",
            ],
            site_dir,
        ).decode("utf-8", "surrogateescape")
        commits = _changes(log, prefix, wanted)
        return History(versions=_contents(site_dir, commits, prefix))
    except _GitError as exc:
        return History(unavailable=str(exc))


def _changes(log: str, prefix: str, wanted: set[str]) -> dict[str, list[tuple[str, datetime]]]:
    """The commits that changed each wanted file, newest first (``git log`` order)."""
    changes: dict[str, list[tuple[str, datetime]]] = {}
    for record in log.split(_SEPARATOR):
        if not record.strip():
            continue
        header, _, names = record.partition("\0")
        commit, _, seconds = header.strip().partition(" ")
        try:
            committed = datetime.fromtimestamp(int(seconds), UTC)
        except (ValueError, OverflowError, OSError):
            continue
        for listed in names.split("\0"):
            name = listed.strip("\n")
            if not name.startswith(prefix):
                continue
            relative = name[len(prefix) :]
            if relative in wanted:
                commits = changes.setdefault(relative, [])
                if len(commits) < MAX_VERSIONS:
                    commits.append((commit, committed))
    return changes


def _contents(
    site_dir: Path, changes: dict[str, list[tuple[str, datetime]]], prefix: str
) -> dict[str, tuple[FileVersion, ...]]:
    """The bytes of every version in ``changes``, read by one ``git cat-file --batch``."""
    specs = [
        (path, commit, committed)
        for path in sorted(changes)
        for commit, committed in reversed(changes[path])
    ]
    if not specs:
        return {}
    request = "".join(f"{commit}:{prefix}{path}\n" for path, commit, _ in specs)
    output = _git(["cat-file", "--batch"], site_dir, stdin=request.encode("utf-8"))
    versions: dict[str, list[FileVersion]] = {}
    position = 0
    for path, commit, committed in specs:
        end = output.find(b"\n", position)
        if end < 0:
            raise _GitError("git cat-file ended early")
        header = output[position:end].split()
        position = end + 1
        data: bytes | None = None
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            data = output[position : position + size] if size <= MAX_FILE_BYTES else None
            position += size + 1  # the blob, then a newline
        elif len(header) == 3:  # not a file at that path (a folder): skip its content
            position += int(header[2]) + 1
        versions.setdefault(path, []).append(FileVersion(commit, committed, data))
    return {path: tuple(items) for path, items in versions.items()}
