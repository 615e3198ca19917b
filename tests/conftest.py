"""Shared fixtures: inline sites written from a dict of files, and the CI no-skip rule."""

from __future__ import annotations

import http.client
import os
import queue
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from advisory_site.core.models import Site
from advisory_site.engine.build import BuildOptions
from advisory_site.engine.cache import NoStore
from advisory_site.engine.executors import Serial
from advisory_site.engine.pipeline import run
from advisory_site.engine.writers import Memory
from advisory_site.site.plan import OutputFile
from advisory_site.source.lint import LintWarning

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NOW_ISO = "2026-11-24T12:00:00+00:00"

SITE_YAML = """\
title: Test Press Room
description: Releases of a test agency.
base_url: https://www.example.gov/
time_zone: America/New_York
organisation: Test Agency
default_contact:
  office: Test Press Office
  phone: 202-555-0100
kinds:
  - {id: press-release, name: Press Release}
  - {id: statement, name: Statement}
topics:
  - {id: election-security, name: Election Security}
  - {id: cybersecurity, name: Cybersecurity}
agencies:
  - {id: dhs, name: Department of Homeland Security, short_name: DHS}
  - {id: odni, name: Office of the Director of National Intelligence, short_name: ODNI}
page_size: 2
footer_links:
  - {label: About, url: /about/}
"""

RELEASE = """\
---
title: {title}
release_date: {date}
kind: statement
agencies: [DHS]
topics: [Cybersecurity]
---
Body of {title}.
"""

MakeSite = Callable[..., Path]

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads a browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session: Playwright's sync API allows one instance at a time."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def release(title: str, date: str = "2016-10-07", **extra: str) -> str:
    """A valid release file; ``extra`` adds front-matter lines."""
    text = RELEASE.format(title=title, date=date)
    if extra:
        lines = "".join(f"{key}: {value}\n" for key, value in extra.items())
        text = text.replace("---\nBody", lines + "---\nBody", 1)
    return text


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """Write a site into tmp_path from {relative path: text}; the repo's templates are used."""

    def make(files: dict[str, str] | None = None, *, site_yaml: str = SITE_YAML) -> Path:
        site = tmp_path / "site"
        (site / "content" / "releases").mkdir(parents=True, exist_ok=True)
        shutil.copytree(REPO / "templates", site / "templates", dirs_exist_ok=True)
        shutil.copytree(REPO / "locales", site / "locales", dirs_exist_ok=True)
        (site / "content" / "site.yaml").write_text(site_yaml, encoding="utf-8")
        for relative, text in (files or {}).items():
            path = site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return site

    return make


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a press officer would (``env`` adds variables)."""
    return subprocess.run(
        [sys.executable, "-m", "advisory_site", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
        check=False,
        timeout=300,
    )


def read_tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def comparable_tree(folder: Path) -> dict[str, bytes]:
    """``read_tree`` without the few search-index files that differ on every build.

    Pagefind writes its filter tables in hash-map order, so they, the page-meta file that names
    them by hash and pagefind-entry.json change from run to run (Pagefind issue #638, still so in
    1.5.2); the release fragments, the word index and every other file are byte-identical.
    """
    return {path: data for path, data in read_tree(folder).items() if not _unstable(path)}


def _unstable(path: str) -> bool:
    return path.startswith("pagefind/filter/") or (
        path.startswith("pagefind/") and path.endswith((".pf_meta", "pagefind-entry.json"))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """In CI (ADVISORY_SITE_NO_SKIP=1) a skipped test is a failed test: nothing may be missing."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        report.skipped
        and os.environ.get("ADVISORY_SITE_NO_SKIP") == "1"
        and not hasattr(report, "wasxfail")
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped, which CI does not allow: {report.longrepr}"


@dataclass(frozen=True, slots=True)
class Built:
    """A site built into memory: every file in path order, the warnings and what was published."""

    files: list[OutputFile]
    warnings: tuple[LintWarning, ...]
    site: Site


def build(options: BuildOptions) -> Built:
    """The pipeline in this process, reusing nothing, its files kept in memory."""
    memory = Memory()
    outcome = run(options, Serial(), NoStore(), memory)
    return Built(files=memory.outputs(), warnings=outcome.warnings, site=outcome.site)


TIMEOUT = 60.0  # seconds a server may take to answer; the machine is shared, so be patient


class Server:
    """A running `advisory-site serve` and the lines it has printed."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.port = int(self.wait_for_line(r"at http://127\.0\.0\.1:(\d+)/").group(1))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.output)
                continue
            self.output.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.output)}")

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    def eventually(self, path: str, check: Callable[[int, str], bool]) -> tuple[int, str]:
        """The first response to ``path`` that passes ``check`` (rebuilds take a moment)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            status, page = self.get(path)
            if check(status, page) or time.monotonic() > deadline:
                return status, page
            time.sleep(0.2)


ServeSite = Callable[[dict[str, str]], tuple[Server, Path]]


@pytest.fixture
def serve_site(make_site: MakeSite) -> Iterator[ServeSite]:
    """Starts `advisory-site serve` on a site of the given files, in a process of its own on a
    free port, as a press officer runs it; every server started is stopped after the test."""
    started: list[Server] = []

    def start(files: dict[str, str]) -> tuple[Server, Path]:
        site = make_site(files)
        process = subprocess.Popen(
            [sys.executable, "-m", "advisory_site", "serve", "--site", str(site), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"},
        )
        try:
            started.append(Server(process))
        except BaseException:
            _stop(process)
            raise
        return started[-1], site

    yield start
    for server in started:
        _stop(server.process)
        server.reader.join(timeout=TIMEOUT)


def _stop(process: subprocess.Popen[str]) -> None:
    with process:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=TIMEOUT)
