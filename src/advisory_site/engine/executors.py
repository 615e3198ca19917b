"""How a build runs its costly steps (loading release files, rendering pages): in this process
(``Serial``), or spread over forked worker processes (``Pool``).

A pool also holds the garbage collector's full collections off and freezes what exists before
workers are forked, for as long as it is open (``with pool:``): nothing of it outlives the build.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

CHUNK = 64  # items per task sent to a worker: each task costs a round trip between processes
MIN_PARALLEL = 64  # below this, starting workers costs more than it saves
GENERATION = 128  # chunks done by one set of workers (see _in_pool)
FULL_COLLECTIONS = 1_000_000  # the garbage collector's third threshold while a pool is open
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies

Task = Callable[[Any, list[Any]], list[T]]


class Executor(Protocol):
    """Runs ``task(state, chunk)`` over chunks of ``items``, results in order, lazily."""

    def __enter__(self) -> object: ...

    def __exit__(self, *exc: object) -> None: ...

    def map(
        self, task: Task[T], items: Iterable[Any], state: object, *, renew: bool = True
    ) -> Iterator[T]: ...


class Serial:
    """Everything in this process: ``check``, the preview server (forking from a server with
    threads running could copy a lock some thread holds) and small sites."""

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(
        self, task: Task[T], items: Iterable[Any], state: object, *, renew: bool = True
    ) -> Iterator[T]:
        items = list(items)
        for start in range(0, len(items), CHUNK):
            yield from task(state, items[start : start + CHUNK])


class Pool:
    """Forked workers and this process together, ``jobs`` in all (default: the CPUs usable).

    The cache and the plan live as long as the build, hundreds of thousands of objects: full
    collections, visiting them all, are held off while the pool is open, and what exists is
    frozen before workers are forked (no collection visits it then, so none copies it into a
    worker either). Both are undone when the pool closes.
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or default_jobs()
        self._thresholds: tuple[int, int, int] | None = None

    def __enter__(self) -> Pool:
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], self._thresholds[1], FULL_COLLECTIONS)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.unfreeze()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def map(
        self, task: Task[T], items: Iterable[Any], state: object, *, renew: bool = True
    ) -> Iterator[T]:
        """With ``renew``, workers are forked afresh every few thousand items (see _in_pool).

        With few items, one job or no ``fork`` (Windows, some macOS set-ups), everything runs
        here. At most a few chunks are in flight, so results never pile up in memory. If a
        worker fails, the rest is done here, so that an error (a template mistake) is raised
        with its real traceback, or the build simply goes on if the worker died of something
        else.
        """
        items = list(items)
        if (
            self.jobs < 2
            or len(items) < MIN_PARALLEL
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            yield from Serial().map(task, items, state)
            return
        gc.freeze()
        chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
        done = 0
        size = GENERATION if renew else len(chunks)
        for first in range(0, len(chunks), size):
            last = min(first + size, len(chunks))
            try:
                for number, results in _in_pool(
                    task, chunks, first=first, last=last, jobs=self.jobs, state=state
                ):
                    done = number + 1
                    yield from results
            except _WorkerError:  # redone here, where it raises with its real traceback
                for chunk in chunks[done:]:
                    yield from task(state, chunk)
                return


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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


def _in_worker(task: Task[T], items: list[Any]) -> list[T]:
    return task(_WORKER_STATE, items)


class _WorkerError(Exception):
    """A task failed in a worker (the cause is chained)."""


def _in_pool(
    task: Task[T],
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
    memory grows with the pages it touches.
    """
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=jobs - 1, mp_context=context, initializer=_start_worker, initargs=(state,)
    )
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
