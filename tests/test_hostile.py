"""Hostile files, options and answers: every one a clear message and exit status, never a hang,
a memory blow-up or a traceback (a real bug of ours still shows one, asking to be reported)."""

from __future__ import annotations

import http.client
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from advisory_site import cli
from advisory_site.deploystate import MAX_INFO_BYTES, read_deployed
from advisory_site.reading import ReadError, read_regular
from tests.conftest import NOW_ISO, SRC, MakeSite, release

MEMORY_LIMIT = 2 * 1024**3  # address space of a command under test: a blow-up fails fast
DEADLINE = 60  # seconds any command under test may take


def run_bounded(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command with at most MEMORY_LIMIT of address space and DEADLINE seconds."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "advisory_site", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        preexec_fn=limit,
        check=False,
        timeout=DEADLINE,
    )


# -- bounded reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_release_linked_to_a_device_is_refused_unread(
    make_site: MakeSite, tmp_path: Path, device: str, command: str
) -> None:
    site = make_site({"content/releases/2016/ok.md": release("A release")})
    (site / "content" / "releases" / "2016" / "endless.md").symlink_to(device)
    extra = ["--output", str(tmp_path / "out"), "--now", NOW_ISO] if command == "build" else []
    started = time.monotonic()
    result = run_bounded(command, "--site", str(site), *extra)
    assert time.monotonic() - started < DEADLINE / 2
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        (
            "content/releases/2016/endless.md: is a character device, not a regular file "
            "(replace it with an ordinary file)"
        ),
        (
            "content/releases/2016/endless.md: is a symbolic link that points outside the site "
            "folder (copy the file into the site instead of linking to it)"
        ),
        "2 problems found; nothing was built or published.",
    ]
    assert not (tmp_path / "out").exists()


def test_a_fifo_named_like_a_release_does_not_hang_the_build(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"content/releases/2016/ok.md": release("A release")})
    os.mkfifo(site / "content" / "releases" / "2016" / "pipe.md")
    (site / "content" / "pages").mkdir(exist_ok=True)
    os.mkfifo(site / "content" / "pages" / "about.md")
    result = run_bounded(
        "build", "--site", str(site), "--output", str(tmp_path / "out"), "--now", NOW_ISO
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        (
            "content/pages/about.md: is a named pipe (FIFO), not a regular file "
            "(replace it with an ordinary file)"
        ),
        (
            "content/releases/2016/pipe.md: is a named pipe (FIFO), not a regular file "
            "(replace it with an ordinary file)"
        ),
        "2 problems found; nothing was built or published.",
    ]


def test_a_site_settings_file_that_is_a_device_is_refused(make_site: MakeSite) -> None:
    site = make_site()
    (site / "content" / "site.yaml").unlink()
    (site / "content" / "site.yaml").symlink_to("/dev/zero")
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "content/site.yaml: is a character device, not a regular file "
        "(replace it with an ordinary file)"
    )


def test_a_file_larger_than_the_limit_is_refused_from_its_size(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.md"
    with sparse.open("wb") as handle:
        handle.truncate(8 * 1024**3)  # 8 GB that take no disk: only the size says so
    with pytest.raises(ReadError) as raised:
        read_regular(sparse, 1024)
    assert raised.value.message == "the file is 8,589,934,592 bytes; the limit is 1,024"
    sparse.write_bytes(b"x" * 1024)
    assert read_regular(sparse, 1024) == b"x" * 1024


def test_a_huge_release_is_refused_without_being_read(make_site: MakeSite) -> None:
    site = make_site()
    with (site / "content" / "releases" / "huge.md").open("wb") as handle:
        handle.truncate(4 * 1024**3)
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "content/releases/huge.md: the file is 4,294,967,296 bytes; the limit is 2,097,152 "
        "(split it or move large material out of the release)"
    )


# -- release-due over the network: a size cap and an overall deadline ---------------------------


@contextmanager
def answering(respond: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 whose every GET is answered by ``respond``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with suppress(BrokenPipeError, ConnectionResetError):
                respond(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/build-info.json"
    finally:
        server.shutdown()
        server.server_close()


def endless(handler: BaseHTTPRequestHandler, *, declared: bool) -> None:
    """1.5 GB of a JSON string, declared in Content-Length or not."""
    handler.send_response(200)
    if declared:
        handler.send_header("Content-Length", str(1_500_000_000))
    handler.end_headers()
    handler.wfile.write(b'{"next_release_at": "')
    block = b"9" * 65536
    for _ in range(1_500_000_000 // len(block)):
        handler.wfile.write(block)


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_answer_is_cut_at_the_size_cap(declared: bool) -> None:
    with answering(lambda handler: endless(handler, declared=declared)) as url:
        started = time.monotonic()
        result = run_bounded("release-due", url, "--now", NOW_ISO)
        elapsed = time.monotonic() - started
    assert elapsed < 20
    assert result.returncode == 0
    assert result.stdout == "due=true\n"
    assert result.stderr == (
        f"{url} is larger than {MAX_INFO_BYTES:,} bytes, which no build-info.json is; "
        "rebuilding to be safe\n"
    )


def dribble(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """One byte every 20 s: each read returns within any per-read timeout."""
    handler.send_response(200)
    handler.end_headers()
    while not stop.wait(20):
        handler.wfile.write(b" ")
        handler.wfile.flush()


def test_a_server_that_dribbles_is_given_up_at_the_deadline() -> None:
    stop = threading.Event()
    with answering(lambda handler: dribble(handler, stop)) as url:
        started = time.monotonic()
        deployed = read_deployed(url, timeout=1.5)
        elapsed = time.monotonic() - started
        stop.set()
    assert 1.5 <= elapsed < 5
    assert deployed.data is None
    assert deployed.problem == f"{url} did not answer in full within 1.5 s"


def test_deeply_nested_json_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    info = tmp_path / "build-info.json"
    info.write_text("[" * 20_000 + "]" * 20_000, encoding="utf-8")
    result = run_bounded("release-due", str(info), "--now", NOW_ISO)
    assert result.returncode == 0
    assert result.stdout == "due=true\n"
    assert result.stderr == "the deployed build-info.json is unreadable; rebuilding to be safe\n"


def test_release_due_refuses_a_device_as_its_file() -> None:
    result = run_bounded("release-due", "/dev/zero", "--now", NOW_ISO)
    assert (result.returncode, result.stdout) == (0, "due=true\n")
    assert result.stderr == (
        "/dev/zero: is a character device, not a regular file; rebuilding to be safe\n"
    )


def test_diff_reports_a_deeply_nested_feed(tmp_path: Path) -> None:
    for name in ("base", "new"):
        (tmp_path / name).mkdir()
    (tmp_path / "base" / "feed.json").write_text('{"items": []}', encoding="utf-8")
    (tmp_path / "new" / "feed.json").write_text("[" * 20_000 + "]" * 20_000, encoding="utf-8")
    result = run_bounded("diff", str(tmp_path / "base"), str(tmp_path / "new"))
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: {tmp_path}/new/feed.json: not a JSON Feed: it is nested too deeply\n"
    )


# -- dates outside the years 1900-2200 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("release_date", "9999-12-31T23:00:00-12:00", 15),
        ("release_date", "0001-01-01T00:00:00+14:00", 15),
        ("release_date", "1899-12-31", 15),
        ("last_published", "2201-01-01", 17),
    ],
)
def test_a_date_outside_the_supported_years_is_an_error_with_its_line(
    make_site: MakeSite, tmp_path: Path, field: str, value: str, column: int
) -> None:
    text = release("Far away")
    if field == "release_date":
        text = text.replace("release_date: 2016-10-07", f"release_date: {value}")
    else:
        text = text.replace("kind: statement", f"kind: statement\n{field}: {value}")
    site = make_site({"content/releases/far.md": text})
    line = text.splitlines().index(f"{field}: {value}") + 1
    for command in (["check"], ["build", "--output", str(tmp_path / "out"), "--now", NOW_ISO]):
        result = run_bounded(*command, "--site", str(site))
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            (
                f"content/releases/far.md:{line}:{column}: {field}: '{value}' is outside the years "
                "1900 to 2200 (write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
            ),
            "1 problem found; nothing was built or published.",
        ]


def test_an_update_dated_9999_is_an_error_with_its_line(make_site: MakeSite) -> None:
    text = release("Updated", updates="\n  - {date: 9999-12-31, note: Far future.}")
    site = make_site({"content/releases/up.md": text})
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = text.splitlines().index("  - {date: 9999-12-31, note: Far future.}") + 1
    assert result.stderr.splitlines()[0].startswith(f"content/releases/up.md:{line}:")
    assert "'9999-12-31' is outside the years 1900 to 2200" in result.stderr


@pytest.mark.parametrize("now", ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00"])
def test_now_outside_the_supported_years_is_wrong_usage(make_site: MakeSite, now: str) -> None:
    site = make_site()
    result = run_bounded("build", "--site", str(site), "--now", now)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"advisory-site build: error: argument --now: '{now}' is outside the years 1900 to 2200"
    )


# -- a bug of ours -------------------------------------------------------------------------------


def test_a_bug_shows_its_traceback_and_asks_to_be_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "run_check", broken)
    assert cli.main(["check", "--site", str(tmp_path)]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ZeroDivisionError: a bug" in err
    assert err.endswith(cli.BUG_REPORT + "\n")


# -- the preview server --------------------------------------------------------------------------


@contextmanager
def preview(site: Path, *extra: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """``advisory-site serve`` on a free port; yields the port once the site is built."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "advisory_site",
            "serve",
            "--site",
            str(site),
            "--port",
            str(port),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Serving a preview"):
                break
        yield port, process
    finally:
        process.terminate()
        process.communicate(timeout=30)


def get(port: int, path: str, host: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        connection.close()


EMBARGOED = "2099-01-01T09:00:00-05:00"


def test_the_preview_answers_only_for_its_own_names(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/2016/old.md": release("Old news"),
            "content/releases/2099/secret.md": release("Secret Embargoed Plan", date=EMBARGOED),
        }
    )
    with preview(site) as (port, _):
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}"):
            status, headers, body = get(port, "/", host)
            assert status == 200, host
            assert b"Secret Embargoed Plan" in body
            assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
            assert headers["Referrer-Policy"] == "no-referrer"
        for host in (f"evil.example:{port}", "evil.example", "127.0.0.1.evil.example", "", "x:y"):
            for path in ("/", "/news/2099/01/01/secret-embargoed-plan/", "/feed.json", "/__reload"):
                status, _, body = get(port, path, host)
                assert (status, body) == (421, b""), (host, path)
        # hostile paths are a plain 404, never a traceback in the console
        for path in ("/%00", "/" + "a" * 300, "/" + "a" * 300 + "/b", "/%00/x"):
            status, _, _ = get(port, path, f"127.0.0.1:{port}")
            assert status == 404, path


def test_the_preview_warns_when_it_listens_beyond_this_computer(make_site: MakeSite) -> None:
    site = make_site({"content/releases/2016/old.md": release("Old news")})
    with preview(site, "--host", "0.0.0.0") as (port, process):  # noqa: S104 - the case tested
        assert get(port, "/", f"0.0.0.0:{port}")[0] == 200
        assert get(port, "/", f"127.0.0.1:{port}")[0] == 200
        assert get(port, "/", "evil.example")[0] == 421
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr.startswith(
        "WARNING: the preview listens on 0.0.0.0, beyond this computer: anyone who can reach "
        "it on the network can read the drafts and embargoed releases it shows."
    )
    assert "Traceback" not in stderr


def test_the_preview_on_loopback_prints_no_warning(make_site: MakeSite) -> None:
    site = make_site({"content/releases/2016/old.md": release("Old news")})
    with preview(site) as (port, process):
        get(port, "/%00", f"127.0.0.1:{port}")
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr == ""
