"""`advisory-site serve` as a press officer runs it: a real server process on a free port."""

from __future__ import annotations

import http.client
import io
import signal
from pathlib import Path

import pytest

from advisory_site.commands.serve import Preview, error_page
from tests.conftest import TIMEOUT, MakeSite, Server, ServeSite, read_tree, release

RELEASE_PATH = "/news/2016/10/07/hello/"
DRAFT_PATH = "/news/2016/10/08/draft-plans/"
FUTURE_PATH = "/news/2099/01/01/future-plans/"


class ReloadEvents:
    """A browser tab's Server-Sent Events connection to /__reload."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.connection.request("GET", "/__reload")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next_generation(self) -> int:
        """The build generation of the next event (comments and blank lines skipped)."""
        while True:
            line = self.response.readline().decode("utf-8")
            assert line, "the event stream closed"
            if line.startswith("data: "):
                return int(line.removeprefix("data: "))

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def server(serve_site: ServeSite) -> tuple[Server, Path]:
    return serve_site(
        {
            "content/releases/hello.md": release("Hello"),
            "content/releases/draft-plans.md": release("Draft Plans", "2016-10-08", draft="true"),
            "content/releases/future-plans.md": release(
                "Future Plans", "2099-01-01T09:00:00-05:00"
            ),
            "static/css/site.css": "body { color: #1b1b1b; }\n",
        }
    )


def test_preview_serves_marks_reloads_shows_errors_and_recovers(
    server: tuple[Server, Path],
) -> None:
    running, site = server
    status, home = running.get("/")
    assert status == 200
    assert "<h1>Test Press Room</h1>" in home
    assert '<script src="/__reload.js" data-generation="1"></script>' in home
    status, script = running.get("/__reload.js")
    assert status == 200
    assert 'new EventSource("/__reload")' in script  # the browser test runs it

    status, draft = running.get(DRAFT_PATH)
    assert status == 200
    assert (
        'class="usa-alert usa-alert--warning usa-alert--slim notice notice-preview" role="status"'
        in draft
    )
    assert "<strong>Draft — not published" in draft
    status, future = running.get(FUTURE_PATH)
    assert status == 200
    assert "Scheduled for January 1, 2099 at 9:00\u202fAM EST — not yet public" in future
    assert running.get("/static/css/site.css") == (200, "body { color: #1b1b1b; }\n")
    status, missing = running.get("/no/such/page/")
    assert status == 404
    assert "Page not found" in missing

    tab = ReloadEvents(running.port)
    try:
        first = tab.next_generation()
        # an edit: the tab is told to reload, and the page shows the new text
        source = site / "content/releases/hello.md"
        source.write_text(release("Hello").replace("Body of Hello.", "Edited body."))
        assert tab.next_generation() > first
        status, page = running.eventually(RELEASE_PATH, lambda _, page: "Edited body." in page)
        assert status == 200
        assert "Edited body." in page
        running.wait_for_line(r"Built \d+ pages in [\d.]+ s \(\d+ rendered, [1-9]\d* unchanged\)")

        # a mistake: every page shows it, escaped, with the file and line
        source.write_text(release("Hello", "<b>soon</b>"))
        generation = tab.next_generation()
        status, page = running.eventually("/news/", lambda status, _: status == 500)
        assert status == 500
        assert "<code>content/releases/hello.md:3:15</code>" in page
        assert "got &#x27;&lt;b&gt;soon&lt;/b&gt;&#x27;" in page
        assert "<b>soon</b>" not in page
        assert running.get("/")[0] == 500
        assert '<script src="/__reload.js" data-generation=' in page

        # fixed: the site is back at the next build
        source.write_text(release("Hello"))
        assert tab.next_generation() > generation
        status, page = running.eventually(RELEASE_PATH, lambda status, _: status == 200)
        assert status == 200
        assert "Body of Hello." in page
    finally:
        tab.close()

    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=TIMEOUT) == 0
    running.wait_for_line(r"^Stopped the preview\.$")
    assert "Traceback" not in "".join(running.output)


def test_a_preview_rebuild_renders_only_what_an_edit_changes(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """The preview builds like `build`, with its own cache: an edit re-renders the pages that
    show it, and the folder it serves equals a fresh preview build."""
    files = {f"content/releases/r{n}.md": release(f"Release {n}") for n in range(12)}
    site = make_site(files)
    preview = Preview(site, tmp_path / "preview", "http://127.0.0.1:8000/", io.StringIO())
    assert preview.rebuild().errors == ()
    total = preview.rendered
    assert preview.rebuild().errors == ()
    assert preview.rendered == 0
    edited = site / "content/releases/r3.md"
    edited.write_text(release("Release 3").replace("Body of Release 3.", "Edited body."))
    assert preview.rebuild().errors == ()
    assert 0 < preview.rendered < total
    assert (site / ".cache/preview-cache.pickle").is_file()
    assert not (site / ".cache/build-cache.pickle").exists()  # `build`'s cache is its own
    fresh = Preview(site, tmp_path / "fresh", "http://127.0.0.1:8000/", io.StringIO())
    (site / ".cache/preview-cache.pickle").unlink()
    assert fresh.rebuild().errors == ()
    assert read_tree(tmp_path / "preview") == read_tree(tmp_path / "fresh")


def test_a_template_mistake_is_shown_with_its_file_and_line(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"content/releases/hello.md": release("Hello")})
    preview = Preview(site, tmp_path / "preview", "http://127.0.0.1:8000/", io.StringIO())
    assert preview.rebuild().errors == ()
    template = site / "templates/release.html"
    good = template.read_text()
    template.write_text(good.replace("{{ release.title }}", "{{ release.titel }}", 1))
    (problem,) = preview.rebuild().errors
    assert (problem.path, problem.field) == ("templates/release.html", "template")
    assert problem.line == good.splitlines().index("  <h1>{{ release.title }}</h1>") + 1
    assert "has no attribute 'titel'" in problem.message
    page = error_page([problem], site)
    assert f"<code>templates/release.html:{problem.line}:1</code>" in page
    assert "&lt;h1&gt;{{ release.titel }}&lt;/h1&gt;</pre>" in page
    template.write_text(good)
    assert preview.rebuild().errors == ()
