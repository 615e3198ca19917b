"""`advisory-site serve`: a local preview that rebuilds on every edit and reloads open tabs.

The preview builds with drafts and embargoed releases included (each marked as such on its
page) into a temporary folder, serves it on 127.0.0.1 with the standard library's threaded HTTP
server, and watches content/, templates/ and static/ with watchfiles. Release bodies are rendered
once per distinct text, so a rebuild renders only the files that changed. While the content has
errors every page shows them instead of the site; the first clean rebuild brings the site back.
Open tabs follow along through Server-Sent Events on /__reload: a script tag added to each page
as it is served (never to a normal build) loads /__reload.js, which reloads the tab when the build
generation changes. A file from the page's own origin, because the site's Content-Security-Policy
(rightly) forbids inline scripts.
"""

from __future__ import annotations

import functools
import ipaddress
import mimetypes
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

import jinja2
import watchfiles

from advisory_site.core.errors import BuildError, ContentError, OutputError, UsageError
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.report import html_page, template_problem
from advisory_site.engine.build import BuildOptions
from advisory_site.engine.cache import PreviewStore
from advisory_site.engine.executors import Serial
from advisory_site.engine.pipeline import run
from advisory_site.engine.writers import Folder
from advisory_site.source.frontmatter import MAX_FILE_BYTES

RELOAD_PATH = "/__reload"
WATCHED = ("content", "templates", "locales", "static")
HEARTBEAT_SECONDS = 5.0
RELOAD_SCRIPT_PATH = "/__reload.js"
# The generation the page was built in travels with the tag; the script compares it with the stream.
RELOAD_TAG = '<script src="' + RELOAD_SCRIPT_PATH + '" data-generation="{generation}"></script>\n'
RELOAD_SCRIPT = (
    "(function () {\n"
    '  "use strict";\n'
    '  var seen = document.currentScript.getAttribute("data-generation");\n'
    '  var events = new EventSource("' + RELOAD_PATH + '");\n'
    "  events.onmessage = function (event) {\n"
    "    if (event.data !== seen) {\n"
    "      events.close();\n"
    "      window.location.reload();\n"
    "    }\n"
    "  };\n"
    "})();\n"
).encode()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The result of one (re)build: the problems that stop it, or none."""

    generation: int
    errors: tuple[ContentError, ...]


class Preview:
    """Builds the site for preview and tells waiting browsers when the result changes.

    Builds run one at a time (the start-up build, then the watcher thread's); request threads
    only read the latest outcome, under ``changed``.
    """

    def __init__(self, site_dir: Path, output: Path, base_url: str, out: TextIO) -> None:
        self.site_dir = site_dir
        self.output = output
        self.base_url = base_url
        self.out = out
        self.rendered = 0  # pages the last rebuild rendered (the others were unchanged)
        self.changed = threading.Condition()
        self.outcome = Outcome(generation=0, errors=())
        self.stopping = False
        self.store = PreviewStore()

    def rebuild(self) -> Outcome:
        """Build into the output folder; on problems keep the last good site and show them.

        A build like ``advisory-site build``'s, with its own store (kept in memory and in
        ``.cache/preview-cache.pickle``: drafts, scheduled releases and the preview's address
        make other pages), so that an edit re-renders what it changes. In one process: forking
        workers from a server with threads running could copy a lock some thread holds.
        """
        started = time.perf_counter()
        errors: tuple[ContentError, ...] = ()
        options = BuildOptions(
            site_dir=self.site_dir,
            now=datetime.now(UTC),
            drafts=True,
            future=True,
            base_url=self.base_url,
            preview=True,
        )
        try:
            built = run(options, Serial(), self.store, Folder(self.output, private=True))
        except BuildError as exc:
            errors = exc.errors
        except jinja2.TemplateError as exc:
            located = template_problem(exc, self.site_dir)
            errors = (located or ContentError(path="templates", message=str(exc)),)
        except OutputError as exc:
            errors = (ContentError(path=str(self.output), message=str(exc)),)
        except Exception as exc:  # a preview server must outlive any one build
            traceback.print_exc(file=self.out)
            errors = (ContentError(path="(build)", message=f"{type(exc).__name__}: {exc}"),)
        else:
            self.rendered = built.rendered
            elapsed = time.perf_counter() - started
            for warning in built.warnings:
                print(warning, file=self.out)
            print(
                f"Built {built.pages} pages in {elapsed:.2f} s "
                f"({built.rendered} rendered, {built.reused} unchanged).",
                file=self.out,
                flush=True,
            )
        if errors:
            for error in errors:
                print(error, file=self.out)
            print(
                f"{len(errors)} problem(s) found; the preview shows them until they are fixed.",
                file=self.out,
                flush=True,
            )
        with self.changed:
            self.outcome = Outcome(generation=self.outcome.generation + 1, errors=errors)
            self.changed.notify_all()
            return self.outcome

    def latest(self) -> Outcome:
        with self.changed:
            return self.outcome

    def wait(self, seen: int, timeout: float) -> Outcome:
        """The latest outcome once its generation differs from ``seen`` (or after ``timeout``)."""
        with self.changed:
            self.changed.wait_for(
                lambda: self.stopping or self.outcome.generation != seen, timeout=timeout
            )
            return self.outcome

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


def error_page(errors: Sequence[ContentError], site_dir: Path) -> str:
    """The page shown in place of the site while it cannot be built: every problem, with the
    line of the site's file it is on."""
    return html_page(errors, functools.partial(source_line, site_dir))


def source_line(site_dir: Path, error: ContentError) -> str | None:
    """The text of the line a problem is on, when it is a readable file of the site."""
    if not error.line:
        return None
    try:
        lines = read_regular(site_dir / error.path, MAX_FILE_BYTES).decode("utf-8").splitlines()
    except (ReadError, UnicodeError):
        return None
    return lines[error.line - 1] if error.line <= len(lines) else None


def with_reload_script(page: str, generation: int) -> bytes:
    """``page`` with the live-reload script's tag before its closing body tag."""
    script = RELOAD_TAG.format(generation=generation)
    at = page.lower().rfind("</body>")
    if at < 0:
        return (page + script).encode("utf-8")
    return (page[:at] + script + page[at:]).encode("utf-8")


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The host of a Host header, without its port or brackets, lower case: '[::1]:8000' ->
    '::1'; '' when it is malformed."""
    header = header.strip().lower().removesuffix(".")
    if header.startswith("["):
        inside, bracket, rest = header[1:].partition("]")
        return inside if bracket and (not rest or rest[1:].isdigit()) else ""
    name, colon, port = header.partition(":")
    if colon and not port.isdigit():
        return ""
    return name.removesuffix(".")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PreviewServer(ThreadingHTTPServer):
    """The preview's HTTP server. It answers only requests for its own names: a web page whose
    domain is made to resolve to 127.0.0.1 (DNS rebinding) sends its own name as the Host, and
    would otherwise read drafts and embargoed releases from the press officer's machine."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], preview: Preview | None = None, *, host: str = ""
    ) -> None:
        super().__init__(address, PreviewHandler)
        self.preview = preview
        given = host_name(host) if host else ""
        self.allowed_hosts = LOOPBACK_NAMES | ({given} if given else set())


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "advisory-site-preview"

    def do_GET(self) -> None:
        self.respond(with_body=True)

    def do_HEAD(self) -> None:
        self.respond(with_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the console is for build results."""

    def host_allowed(self) -> bool:
        """Whether the request names this server: one of its names, or the very address the
        request came in on (an IP address, which no rebinding can put in a Host header)."""
        name = host_name(self.headers.get("Host", ""))
        if name in self.server.allowed_hosts:
            return True
        local = str(self.connection.getsockname()[0]).lower()
        return bool(name) and name == local.removeprefix("::ffff:")

    def respond(self, *, with_body: bool) -> None:
        if not self.host_allowed():
            self.send_response(HTTPStatus.MISDIRECTED_REQUEST)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        preview = self.server.preview
        if preview is None:
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        path = unquote(urlsplit(self.path).path)
        if path == RELOAD_PATH:
            self.stream_reloads(preview)
            return
        if path == RELOAD_SCRIPT_PATH:
            self.send(
                HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_SCRIPT, with_body=with_body
            )
            return
        outcome = preview.latest()
        if outcome.errors and not path.startswith("/static/"):
            page = error_page(outcome.errors, preview.site_dir)
            self.send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "text/html; charset=utf-8",
                with_reload_script(page, outcome.generation),
                with_body=with_body,
            )
            return
        self.send_file(preview, path, outcome.generation, with_body=with_body)

    def send_file(self, preview: Preview, path: str, generation: int, *, with_body: bool) -> None:
        root = preview.output.resolve()
        try:
            file = (root / path.lstrip("/")).resolve()
            folder = file.is_relative_to(root) and file.is_dir()
        except (OSError, ValueError):  # a NUL in the path, a name too long for the system
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        if not file.is_relative_to(root):
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        if folder:
            if not path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            file = file / "index.html"
        status = HTTPStatus.OK
        if not _is_file(file):
            status, file = HTTPStatus.NOT_FOUND, root / "404.html"
        try:
            data = file.read_bytes()
        except OSError:  # the folder is being swapped for a new build; the tab reloads anyway
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if media_type == "text/html":
            data = with_reload_script(data.decode("utf-8"), generation)
        if media_type.startswith("text/") or media_type.endswith(("json", "xml")):
            media_type += "; charset=utf-8"
        self.send(status, media_type, data, with_body=with_body)

    def send(self, status: HTTPStatus, media_type: str, data: bytes, *, with_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        # Drafts and embargoed releases stay here: no other origin may load them (CORP), and
        # a link followed from a preview page does not tell the next site its address.
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def stream_reloads(self, preview: Preview) -> None:
        """Server-Sent Events: the build generation now, then every time it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while not preview.stopping:
                outcome = preview.wait(seen, HEARTBEAT_SECONDS)
                if outcome.generation != seen:
                    seen = outcome.generation
                    self.wfile.write(f"data: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")  # finds tabs that were closed
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def _is_file(file: Path) -> bool:
    try:
        return file.is_file()
    except (OSError, ValueError):
        return False


def watch_and_rebuild(preview: Preview, stop: threading.Event) -> None:
    """Rebuild after every batch of changes to the watched folders, until ``stop`` is set."""
    paths = [preview.site_dir / name for name in WATCHED if (preview.site_dir / name).is_dir()]
    for _changes in watchfiles.watch(
        *paths, stop_event=stop, debounce=300, step=50, raise_interrupt=False
    ):
        preview.rebuild()


def serve(site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve a live preview until Ctrl-C; returns the exit status."""
    out = sys.stdout
    if threading.current_thread() is threading.main_thread():
        # A shell may start us with SIGINT ignored; Ctrl-C must still stop the preview.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server = PreviewServer((host, port), host=host)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    temp = Path(tempfile.mkdtemp(prefix="advisory-site-preview-"))
    stop = threading.Event()
    watcher: threading.Thread | None = None
    preview: Preview | None = None
    try:
        bound = server.server_address[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/"
        preview = Preview(site_dir, temp / "site", url, out)
        server.preview = preview
        if not is_loopback(host):
            print(
                f"WARNING: the preview listens on {host}, beyond this computer: anyone who can "
                "reach it on the network can read the drafts and embargoed releases it "
                f"shows. Stop it (Ctrl-C) and run without --host unless you mean that.",
                file=sys.stderr,
                flush=True,
            )
        preview.rebuild()
        watcher = threading.Thread(target=watch_and_rebuild, args=(preview, stop), daemon=True)
        watcher.start()
        print(
            f"Serving a preview of {site_dir.resolve()} at {url}\n"
            "Drafts and scheduled releases are included and marked. Press Ctrl-C to stop.",
            file=out,
            flush=True,
        )
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if preview is not None:
            preview.stop()
        stop.set()
        server.server_close()
        if watcher is not None:
            watcher.join(timeout=10)
        shutil.rmtree(temp, ignore_errors=True)
    print("Stopped the preview.", file=out, flush=True)
    return 0
