"""A built folder served over HTTP on 127.0.0.1, for browser tests and the page benchmarks.

``serve_folder(folder)`` is Python's plain file server. ``serve_folder(folder, static_host=True)``
answers the way a static host such as GitHub Pages does, which is what page-speed figures must be
measured against: text files gzipped when the browser accepts it, every response with
``Cache-Control: max-age=600``, and ``/404.html`` with status 404 for a path that is not there.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# What GitHub Pages compresses: text formats (fonts in woff2 and images already are compressed).
_COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "application/xml")
CACHE_CONTROL = "max-age=600"


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class StaticHostHandler(QuietHandler):
    """Serves files as a static host does: gzip for text, a cache lifetime, a 404 page."""

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        status = HTTPStatus.OK
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                super().do_GET()  # the redirect to the folder's address with a slash
                return
            path = path / "index.html"
        if not path.is_file():
            status, path = HTTPStatus.NOT_FOUND, Path(self.directory) / "404.html"
        data = path.read_bytes()
        kind = self.guess_type(str(path))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", CACHE_CONTROL)
        if kind.startswith(_COMPRESSED_TYPES) or kind.endswith("+xml"):
            self.send_header("Vary", "Accept-Encoding")
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                data = gzip.compress(data, compresslevel=6, mtime=0)
                self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # the browser may go away first (Lighthouse ends a load once it has what it needs)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


@contextmanager
def serve_folder(folder: Path, *, static_host: bool = False) -> Iterator[str]:
    """Serve ``folder`` from a thread on a free loopback port; yields the origin (no slash)."""
    handler = StaticHostHandler if static_host else QuietHandler
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
