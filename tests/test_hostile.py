"""Hostile files, options and answers: every one a clear message and exit status, never a hang,
a memory blow-up or a traceback (a real bug of ours still shows one, asking to be reported)."""

from __future__ import annotations

import http.client
import json
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

from advisory_site.commands import cli
from advisory_site.commands.deploystate import MAX_INFO_BYTES, read_deployed
from advisory_site.core.reading import ReadError, read_regular
from tests.conftest import NOW_ISO, SITE_YAML, SRC, MakeSite, release, run_cli

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
        f"{url} is larger than {MAX_INFO_BYTES:,} bytes, the most that is read; "
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


def test_an_error_raised_by_a_template_expression_is_the_template_s(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"content/releases/2016/a.md": release("A release")})
    page = site / "templates" / "release.html"
    page.write_text("{{ 1 / 0 }}\n" + page.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_bounded("build", "--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == (
        "templates/release.html:1:1: template: ZeroDivisionError: division by zero\n"
        "The site's templates need fixing; nothing was built or published.\n"
    )


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


# -- nothing published early, nothing left behind -----------------------------------------------

LATER = "2027-01-05T09:00:00-05:00"  # after NOW_ISO
AFTER_LATER = "2027-02-01T12:00:00+00:00"


def feed_item(output: Path) -> dict[str, str]:
    items = json.loads((output / "feed.json").read_text(encoding="utf-8"))["items"]
    assert len(items) == 1
    return dict(items[0])


def page_of(output: Path) -> str:
    return (output / "news/2016/10/07/corrected-later/index.html").read_text(encoding="utf-8")


def test_an_update_dated_later_is_held_until_its_moment(
    make_site: MakeSite, tmp_path: Path
) -> None:
    text = release(
        "Corrected later",
        updates=f"\n  - {{date: '{LATER}', note: A correction not yet public.}}",
    )
    site = make_site({"content/releases/2016/corrected-later.md": text})
    output = tmp_path / "_site"
    result = run_cli("build", "--site", str(site), "--output", str(output), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert feed_item(output)["date_modified"] == "2016-10-07T00:00:00-04:00"
    assert "not yet public" not in page_of(output)
    assert "not yet public" not in (output / "rss.xml").read_text(encoding="utf-8")
    info = json.loads((output / "build-info.json").read_text(encoding="utf-8"))
    assert info == {"next_release_at": "2027-01-05T14:00:00+00:00"}  # the scheduled rebuild
    result = run_cli("build", "--site", str(site), "--output", str(output), "--now", AFTER_LATER)
    assert result.returncode == 0, result.stderr
    assert feed_item(output)["date_modified"] == "2027-01-05T09:00:00-05:00"
    assert "A correction not yet public." in page_of(output)


def test_a_withdrawal_dated_later_is_held_until_its_moment(
    make_site: MakeSite, tmp_path: Path
) -> None:
    text = release(
        "Corrected later",
        status="withdrawn",
        withdrawn_reason="Superseded by a later statement.",
        withdrawn_date=f"'{LATER}'",
    )
    site = make_site({"content/releases/2016/corrected-later.md": text})
    output = tmp_path / "_site"
    result = run_cli("build", "--site", str(site), "--output", str(output), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert "Superseded by a later statement." not in page_of(output)
    assert "corrected-later" in (output / "sitemap.xml").read_text(encoding="utf-8")
    assert feed_item(output)["title"] == "Corrected later"
    info = json.loads((output / "build-info.json").read_text(encoding="utf-8"))
    assert info == {"next_release_at": "2027-01-05T14:00:00+00:00"}
    result = run_cli("build", "--site", str(site), "--output", str(output), "--now", AFTER_LATER)
    assert result.returncode == 0, result.stderr
    assert "Superseded by a later statement." in page_of(output)
    assert "corrected-later" not in (output / "sitemap.xml").read_text(encoding="utf-8")


EMBARGOED_TITLE = "Secret Embargoed Plan"


def holding(folder: Path, text: str) -> list[str]:
    """The files under ``folder`` whose bytes hold ``text``."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and text.encode() in path.read_bytes()
    )


def test_the_spare_never_keeps_what_a_normal_build_does_not_publish(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site(
        {
            "content/releases/2016/old.md": release("Old news"),
            "content/releases/2099/secret.md": release(EMBARGOED_TITLE, date=EMBARGOED),
            "content/releases/2016/draft.md": release("Draft Not Approved", draft="true"),
        }
    )
    output = tmp_path / "_site"
    spare = tmp_path / "._site.spare"
    build = ["build", "--site", str(site), "--output", str(output), "--now", NOW_ISO]
    assert run_cli(*build).returncode == 0
    assert run_cli(*build, "--drafts", "--future").returncode == 0
    assert holding(output, EMBARGOED_TITLE) != []  # asked for: the preview build holds them
    assert holding(spare, EMBARGOED_TITLE) == []  # the spare is the normal build
    assert run_cli(*build).returncode == 0
    for secret in (EMBARGOED_TITLE, "Draft Not Approved"):
        assert holding(output, secret) == []
        assert not spare.exists() or holding(spare, secret) == []
    # a preview build that fails leaves nothing of itself behind either
    assert run_cli(*build, "--drafts", "--future").returncode == 0
    (site / "templates" / "release.html").write_text("{{ no_such }}", encoding="utf-8")
    assert run_cli(*build, "--drafts", "--future").returncode == 1
    assert run_cli(*build).returncode == 1
    for folder in tmp_path.iterdir():
        if folder.name != "_site" and folder.is_dir() and folder.name != "site":
            assert holding(folder, EMBARGOED_TITLE) == [], folder.name


# -- addresses, aliases, ids, invisible characters, the diff summary, `new` ---------------------


def test_a_footer_link_with_a_tab_is_refused(make_site: MakeSite) -> None:
    yaml = SITE_YAML.replace("url: /about/}", 'url: "/\\t/evil.example/"}')
    site = make_site(site_yaml=yaml)
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert (
        "url: '/\\t/evil.example/' holds the control character U+0009, which an address may "
        "not hold (percent-encode it, as %20)"
    ) in result.stderr


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [
        ("base_url", 'https://www.example.gov/"onload="x', "a quote"),
        ("base_url", "https://www.example.gov/\u202e/", "the invisible character U+202E"),
        ("websub_hub", "https://hub.example/ x", "a space"),
    ],
)
def test_addresses_in_the_settings_are_refused_with_what_they_hold(
    make_site: MakeSite, key: str, value: str, what: str
) -> None:
    yaml = (
        SITE_YAML.replace(
            "base_url: https://www.example.gov/",
            f"base_url: https://www.example.gov/\n{key}: '{value}'",
        )
        if key != "base_url"
        else SITE_YAML.replace("base_url: https://www.example.gov/", f"base_url: '{value}'")
    )
    site = make_site(site_yaml=yaml)
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert f"{key}: {value!r} holds {what}, which an address may not hold" in result.stderr


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ('https://www.example.gov/"><script>', "holds a quote"),
        ("https://www.example.gov/\n/x", "holds the control character U+000A"),
        ("https://user@www.example.gov/", "expected an absolute address"),
    ],
)
def test_a_base_url_option_that_could_break_out_is_wrong_usage(
    make_site: MakeSite, base_url: str, message: str
) -> None:
    site = make_site()
    result = run_bounded("build", "--site", str(site), "--base-url", base_url)
    assert result.returncode == 2
    assert message in result.stderr.splitlines()[-1]
    assert not (site / "_site").exists()


def test_the_base_url_is_written_as_parsed(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/releases/2016/a.md": release("A release")})
    output = tmp_path / "_site"
    result = run_cli(
        "build", "--site", str(site), "--output", str(output), "--now", NOW_ISO,
        "--base-url", "HTTPS://Preview.Example.GOV:8443/repo",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 'href="https://preview.example.gov:8443/repo/"' in (output / "index.html").read_text()


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        (
            "/pagefind/pagefind.js",
            (
                "aliases[0]: '/pagefind/pagefind.js' is in /pagefind/, which the build fills "
                "itself (the search index)"
            ),
        ),
        (
            "/NEWS/",
            (
                "aliases: /NEWS/ differs from /news/ only by case (on many servers they are "
                "one address; remove the alias)"
            ),
        ),
    ],
)
def test_an_alias_may_not_shadow_what_the_build_makes(
    make_site: MakeSite, alias: str, message: str
) -> None:
    site = make_site({"content/releases/2016/a.md": release("A release", aliases=f"[{alias}]")})
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 1
    assert message in result.stderr


def test_ids_in_a_body_never_take_the_page_s_own(make_site: MakeSite, tmp_path: Path) -> None:
    text = release("Ids").replace(
        "Body of Ids.",
        '[Skip](#main-content)\n\n## Main content\n\n<h3 id="search-form">Form</h3>\n',
    )
    site = make_site({"content/releases/2016/ids.md": text})
    output = tmp_path / "_site"
    assert run_cli("build", "--site", str(site), "--output", str(output)).returncode == 0
    page = (output / "news/2016/10/07/ids/index.html").read_text(encoding="utf-8")
    assert page.count('id="main-content"') == 1
    assert page.count('id="search-form"') <= 1
    assert '<h2 id="main-content-in-text">Main content</h2>' in page
    assert '<h3 id="search-form-in-text">Form</h3>' in page
    assert 'href="#main-content-in-text"' in page


def test_invisible_characters_in_a_title_are_a_lint_warning(make_site: MakeSite) -> None:
    title = "Secretary \u202eSEMAJ\u202c Announces\u200b Grants"
    site = make_site({"content/releases/2016/t.md": release(f'"{title}"')})
    result = run_bounded("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "content/releases/2016/t.md:2:8: warning: title: holds the invisible character U+202E "
        "(RIGHT-TO-LEFT OVERRIDE) (delete it (retype the title if you cannot find it): it "
        "changes how the title reads without showing itself; a right-to-left override turns "
        "text around)\n"
    )
    assert run_bounded("check", "--strict", "--site", str(site)).returncode == 1


def test_diff_escapes_what_it_copies_into_markdown(tmp_path: Path) -> None:
    base, new = tmp_path / "base", tmp_path / "new"
    base.mkdir()
    new.mkdir()
    (base / "feed.json").write_text('{"items": []}', encoding="utf-8")
    item = {
        "id": "tag:x",
        "title": "A title\n## Injected heading\n| table |",
        "url": "https://www.example.gov/x\n\n[click](https://evil.example/)",
        "date_modified": "2026-11-24T00:00:00+00:00\n- injected",
    }
    (new / "feed.json").write_text(json.dumps({"items": [item]}), encoding="utf-8")
    result = run_bounded("diff", str(base), str(new))
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "A title" in line)
    assert row == (
        "| [A title ## Injected heading \\| table \\|](https://www.example.gov/x%0A%0A%5Bclick%5D"
        "%28https://evil.example/%29) | new | 2026-11-24T00:00:00+00:00 - injected |"
    )
    assert "\n## Injected" not in result.stdout
    assert "\n- injected" not in result.stdout


def test_new_refuses_a_year_folder_linked_out_of_the_site(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site()
    outside = tmp_path / "outside"
    outside.mkdir()
    (site / "content" / "releases" / "2026").symlink_to(outside)
    result = run_cli("new", "Grants", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 2
    assert result.stderr == (
        "advisory-site: error: content/releases/2026 is a symbolic link; new writes release "
        "files only into real folders of the site\n"
    )
    assert list(outside.iterdir()) == []


def test_new_never_writes_a_file_check_refuses(make_site: MakeSite) -> None:
    site = make_site()
    result = run_cli("new", "Bell\x07 Title", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "advisory-site: error: the release this would write is not valid: "
        "content/releases/2026/bell-title.md:2:"
    )
    assert not (site / "content" / "releases" / "2026").exists()
