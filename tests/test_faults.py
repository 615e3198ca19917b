"""Faults while writing: a killed build, a full disk, a read-only folder. The previous site
always survives byte for byte, the error is one clear line, and the next build succeeds.
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from advisory_site.engine.cache import cache_file
from advisory_site.publish.output import retired_prefix, spare_path, staging_prefix
from advisory_site.site.assets import CACHE, read_cache
from tests.conftest import REPO, SRC, MakeSite, comparable_tree, release

KILLS = 10
RELEASES = 400
BEFORE = "2017-06-01T12:00:00+00:00"  # the previous site: releases up to this moment
AFTER = "2026-11-24T12:00:00+00:00"  # the new site: every release

PreExec = Callable[[], None] | None


def build_command(site: Path, output: Path, now: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "advisory_site",
        "build",
        "--site",
        str(site),
        "--output",
        str(output),
        "--now",
        now,
    ]


def run_build(
    site: Path, output: Path, now: str, preexec: PreExec = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        build_command(site, output, now),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        preexec_fn=preexec,
        check=False,
        timeout=600,
    )


def leftovers(output: Path) -> list[str]:
    """The staging and retired folders of a build next to ``output`` (not the spare a build
    keeps on purpose: see output.py)."""
    names = (staging_prefix(output), retired_prefix(output))
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(names))


def many_releases(make_site: MakeSite, count: int) -> Path:
    first = date(2016, 1, 1)
    return make_site(
        {
            f"content/releases/r{number:04d}.md": release(
                f"Release number {number}", date=(first + timedelta(days=number * 2)).isoformat()
            )
            for number in range(count)
        }
    )


def start_writing(command: list[str], output: Path) -> subprocess.Popen[bytes]:
    """Start a build and return once its write phase has begun (the staging folder exists)."""
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(SRC)})
    while process.poll() is None and not leftovers(output):
        time.sleep(0.001)
    return process


def timed_write_phase(command: list[str], output: Path) -> float:
    """Seconds from the start of a build's write phase to its end."""
    output.parent.mkdir(parents=True, exist_ok=True)
    process = start_writing(command, output)
    started = time.monotonic()
    assert process.wait() == 0
    return time.monotonic() - started


def test_a_build_killed_while_writing_leaves_the_previous_site(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = many_releases(make_site, RELEASES)
    output = tmp_path / "out" / "_site"
    reference = tmp_path / "reference" / "_site"
    write_time = timed_write_phase(build_command(site, reference, AFTER), reference)
    new = comparable_tree(reference)
    assert run_build(site, output, BEFORE).returncode == 0
    previous = comparable_tree(output)
    assert previous != new

    chance = random.Random(9)  # noqa: S311 - kill points, not secrets; the same on every run
    killed_while_writing = 0
    for _ in range(KILLS):
        process = start_writing(build_command(site, output, AFTER), output)
        # mostly while writing; now and then just after the swap, while the old copy is deleted
        time.sleep(chance.uniform(0, write_time * 1.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_while_writing += 1
        process.wait()
        tree = comparable_tree(output)
        assert tree in (previous, new), "a killed build left a half-written site"
        if tree == new:  # the kill came after the swap: start again from the previous site
            assert run_build(site, output, BEFORE).returncode == 0
    assert killed_while_writing >= 3, "the kills did not land in the write phase"
    assert_no_process_builds_into(output)

    result = run_build(site, output, AFTER)
    assert result.returncode == 0, result.stderr
    assert comparable_tree(output) == new
    assert leftovers(output) == []
    assert spare_path(output).is_dir()


def assert_no_process_builds_into(output: Path, *, patience: float = 10.0) -> None:
    """The workers of a killed build end with it (their command line is the build's)."""
    deadline = time.monotonic() + patience
    while True:
        left = [pid for pid in builds_into(output) if pid != os.getpid()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left == [], f"workers of a killed build are still running: {left}"


def builds_into(output: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if b"advisory_site" in command and os.fsencode(output) in command.split(b"\0"):
            found.append(int(entry.name))
    return found


# -- the build cache ------------------------------------------------------------------------

SCSS = '@use "uswds-core" as *;\n.flag { color: color("primary"); }\n'


def test_a_cache_entry_left_incomplete_is_recompiled_not_trusted(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"content/releases/a.md": release("First"), "assets/site.scss": SCSS})
    (site / "node_modules").symlink_to(REPO / "node_modules")
    output = tmp_path / "_site"
    chance = random.Random(6)  # noqa: S311 - kill points, not secrets
    for _ in range(3):  # killed anywhere in a cold build: compiling, caching, writing
        process = subprocess.Popen(
            build_command(site, output, AFTER), env={**os.environ, "PYTHONPATH": str(SRC)}
        )
        time.sleep(chance.uniform(0.2, 3.0))
        process.kill()
        process.wait()
    assert run_build(site, output, AFTER).returncode == 0
    good = comparable_tree(output)
    (entry,) = (site / CACHE).glob("site-*.css")
    whole = entry.read_bytes()
    css = read_cache(entry)
    assert css is not None and "#005ea2" in css

    for damaged in (whole[: len(whole) // 2], b"", whole.replace(b"#005ea2", b"#ff0000")):
        entry.write_bytes(damaged)  # cut short, empty, or altered after it was written
        result = run_build(site, output, AFTER)
        assert result.returncode == 0, result.stderr
        assert comparable_tree(output) == good
        assert entry.read_bytes() == whole


# -- a full disk ------------------------------------------------------------------------------


def limit_file_size() -> None:
    """In the child: any file larger than 2 KB fails to write with EFBIG, as a full disk does."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_write_that_fails_leaves_the_previous_site(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/releases/a.md": release("First")})
    output = tmp_path / "_site"
    assert run_build(site, output, BEFORE).returncode == 0
    previous = comparable_tree(output)

    # without the build cache every page is written again (with it, unchanged pages are linked)
    cache_file(site).unlink()
    result = run_build(site, output, AFTER, preexec=limit_file_size)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: cannot write the site into {output}: File too large; "
        "the previous site was left as it was\n"
    )
    assert comparable_tree(output) == previous
    assert leftovers(output) == []


@contextlib.contextmanager
def small_file_system(folder: Path, size: str) -> Iterator[PreExec]:
    """A tmpfs of ``size`` at ``folder``; where mounting is not allowed (not root), the child's
    file size limit stands in for the full disk. Yields the pre-exec function to use."""
    folder.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield None if mounted else limit_file_size
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as handle:
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_a_full_disk_leaves_the_previous_site(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/releases/a.md": release("First")})
    disk = tmp_path / "disk"
    with small_file_system(disk, "4m") as preexec:
        output = disk / "_site"
        assert run_build(site, output, BEFORE).returncode == 0
        previous = comparable_tree(output)
        filler = fill(disk) if preexec is None else None

        result = run_build(site, output, AFTER, preexec=preexec)
        assert result.returncode == 1
        reason = "No space left on device" if preexec is None else "File too large"
        assert result.stderr == (
            f"error: cannot write the site into {output}: {reason}; "
            "the previous site was left as it was\n"
        )
        assert comparable_tree(output) == previous
        assert sorted(p.name for p in disk.iterdir() if p.name != "filler") == ["_site"]

        if filler is not None:
            filler.unlink()
        result = run_build(site, output, AFTER)
        assert result.returncode == 0, result.stderr
        assert leftovers(output) == []


# -- a read-only folder -----------------------------------------------------------------------


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.mkdir()
    except OSError:
        return False
    probe.rmdir()
    return True


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` refuse changes, even to root: chmod for other users; as root the
    immutable attribute, or a read-only bind mount where the file system has no such attribute.
    """
    undo: list[list[str]] = []
    if os.geteuid() != 0:
        folder.chmod(0o555)
    elif (
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode
        == 0
    ):
        undo.append(["chattr", "-i", str(folder)])
    elif subprocess.run(["mount", "--bind", str(folder), str(folder)], check=False).returncode == 0:
        undo.append(["umount", str(folder)])
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
    try:
        assert not _writable(folder), f"could not make {folder} read-only on this machine"
        yield
    finally:
        for command in undo:
            subprocess.run(command, check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("locked", ["parent", "output"])
def test_a_read_only_folder_leaves_the_previous_site(
    make_site: MakeSite, tmp_path: Path, locked: str
) -> None:
    site = make_site({"content/releases/a.md": release("First")})
    output = tmp_path / "public" / "_site"
    assert run_build(site, output, BEFORE).returncode == 0
    previous = comparable_tree(output)

    with read_only(output.parent if locked == "parent" else output):
        result = run_build(site, output, AFTER)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot ")
    assert "Permission denied" in result.stderr or "not permitted" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert comparable_tree(output) == previous
    assert leftovers(output) == []

    assert run_build(site, output, AFTER).returncode == 0
    shutil.rmtree(output)
