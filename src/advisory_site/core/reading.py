"""Bounded reading: only regular files, size-checked before a byte is read.

Anything in a pull request can be a symbolic link or a special file: a release linked to
``/dev/zero`` would be read until memory runs out, a FIFO named ``*.md`` would block the build
for ever. A file is judged by ``stat`` (following links) before it is opened, opened without
blocking, judged again by ``fstat`` (it may have been swapped meanwhile), and read up to its
limit and not a byte further.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class ReadError(Exception):
    """A file that is not read: ``message`` says why, for a press officer; ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "", *, size: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.size = size  # of a file refused for its size; 0 otherwise


def kind_problem(mode: int) -> str:
    """'is a named pipe (FIFO), not a regular file' and the like; '' for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"is {kind}, not a regular file"


SIZE_HINT = "split it or move large material out of the release"


def size_problem(size: int, limit: int) -> str:
    return f"the file is {size:,} bytes; the limit is {limit:,}"


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``limit`` of them;
    a ReadError for anything else."""
    try:
        found = os.stat(path)  # noqa: PTH116 - a str or a Path, as given
    except OSError as exc:
        raise ReadError(f"cannot be read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a NUL in the name
        raise ReadError("cannot be read: its name holds a NUL character") from exc
    problem = kind_problem(found.st_mode)
    if problem:
        raise ReadError(problem, "replace it with an ordinary file")
    if found.st_size > limit:
        raise ReadError(size_problem(found.st_size, limit), SIZE_HINT, size=found.st_size)
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ReadError(f"cannot be read: {exc.strerror or exc}") from exc
    try:
        opened = os.fstat(descriptor)
        problem = kind_problem(opened.st_mode)
        if problem:  # swapped for something else since the stat
            raise ReadError(problem, "replace it with an ordinary file")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise ReadError(f"cannot be read: {exc.strerror or exc}") from exc
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew since the stat
        raise ReadError(
            f"the file grew past the limit of {limit:,} bytes while it was read", size=len(data)
        )
    return data
