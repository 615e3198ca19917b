"""A bound on the processor time one file may take to be rendered and checked.

Python cannot stop a computation from outside, so a watchdog thread (one per process, started
on first use) watches the processor time of each thread inside ``time_budget`` and, once one is
over, raises ``OverBudget`` in that thread (CPython's ``PyThreadState_SetAsyncExc``), which
takes effect at its next Python instruction. One raised while the thread runs a ``__del__`` or
a GC callback is printed and lost there, so it is raised again each time the thread has used
another ``_AGAIN`` seconds inside the block. Processor time, not wall time: a build sharing a
busy machine is not cut short for the time it waited. It works in the main thread, in the
preview's watcher thread and in forked workers alike, and costs a lock and a dictionary entry
per file.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from types import TracebackType

from advisory_site.core.errors import ContentError

DEFAULT_SECONDS = 5
"""Processor seconds per file: far more than the longest ordinary release needs, far less
than a hostile file could take."""
MAX_SECONDS = 600
_AGAIN = 0.5  # processor seconds after which a stop that did not end the block is raised again
_POLL = 0.1  # how often the watchdog looks at the threads it watches (seconds)
_LINGER = 2.0  # how long it keeps looking once none is watched, before it waits to be woken


class OverBudget(BaseException):
    """Raised in a thread whose ``time_budget`` ran out. A BaseException, so that no
    ``except Exception`` in the code it interrupts can swallow it."""


class _Watched:
    __slots__ = ("clock", "deadline", "fired", "thread")

    def __init__(self, thread: int, clock: int, deadline: float) -> None:
        self.thread = thread
        self.clock = clock
        self.deadline = deadline  # the thread's processor time at which to raise (again)
        self.fired = False


class _Watchdog:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.watched: set[_Watched] = set()
        self.running = False

    def watch(self, seconds: float) -> _Watched:
        thread = threading.get_ident()
        clock = time.pthread_getcpuclockid(thread)
        entry = _Watched(thread, clock, time.clock_gettime(clock) + seconds)
        with self.changed:
            # a block of this thread still watched ended without unwatching (its stop came
            # inside __exit__): the thread has moved on, and so does the watchdog
            self.watched -= {other for other in self.watched if other.thread == thread}
            self.watched.add(entry)
            if not self.running:  # (a running one looks every _POLL seconds: no need to wake it)
                self.running = True
                threading.Thread(target=self._run, name="time-budget", daemon=True).start()
        return entry

    def unwatch(self, entry: _Watched) -> bool:
        """Stop watching ``entry``; True if its time had run out (its exception is then either
        on its way up or cancelled here, so that it cannot be raised later)."""
        with self.changed:
            self.watched.discard(entry)
            if entry.fired:
                _raise_in(entry.thread, None)
            return entry.fired

    def _run(self) -> None:
        idle_since: float | None = None
        with self.changed:
            while True:
                if not self.watched:
                    now = time.monotonic()
                    idle_since = idle_since or now
                    if now - idle_since > _LINGER:
                        self.running = False
                        return
                else:
                    idle_since = None
                for entry in self.watched:
                    used = time.clock_gettime(entry.clock)
                    if used >= entry.deadline:
                        entry.fired = True
                        entry.deadline = used + _AGAIN
                        _raise_in(entry.thread, OverBudget)
                self.changed.wait(_POLL)


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in ``thread`` at its next instruction (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread), ctypes.py_object(exception) if exception else None
    )


_watchdog = _Watchdog()


def _after_fork() -> None:
    """A forked child has no watchdog thread, and may hold a copy of its lock taken."""
    global _watchdog  # noqa: PLW0603 - the process's one watchdog, renewed in a child
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_after_fork)


class time_budget:  # noqa: N801 - used as a function: with time_budget(5): ...
    """Run the block within ``seconds`` of this thread's processor time, else raise
    ``OverBudget`` (where the block stood when its time ran out). Not reentrant."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.entry: _Watched | None = None

    def __enter__(self) -> None:
        self.entry = _watchdog.watch(self.seconds)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.entry is not None
        if _watchdog.unwatch(self.entry) and kind is None:
            raise OverBudget


def over_budget(path: str, seconds: int, *, line: int = 1, field: str = "") -> ContentError:
    """The error for a file that took more than ``seconds`` to read, render and check."""
    return ContentError(
        path=path,
        line=line,
        field=field,
        message=f"took more than {seconds} s of processor time to render and check, "
        "and was stopped",
        hint="look for a very long paragraph or line, many unclosed brackets or tags, or deep "
        "nesting, and split it up (the limit is time_limit in content/site.yaml)",
    )
