"""What a publication puts live (`compare-live`) and the WebSub pings after it (`websub-ping`).

The live site and the hub are servers on 127.0.0.1 in this process: nothing leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from advisory_site.commands.websub import PingRequest, PingResult, ping, ping_requests
from tests.conftest import SITE_YAML, MakeSite, release, run_cli
from tests.localhost import serve_folder

HUB = "https://pubsubhubbub.appspot.com/"
EMBARGOED = "content/releases/2026/embargoed-grants.md"
GRANTS = release("Embargoed Grants", "2026-12-01T09:00:00-05:00")
OLD = release("Old News", "2016-10-07")
FORMATS = ("rss.xml", "atom.xml", "feed.json")


def build(site: Path, output: Path, now: str) -> Path:
    result = run_cli(
        "build", "--site", str(site), "--output", str(output), "--now", now, "--no-search"
    )
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture
def two_builds(make_site: MakeSite, tmp_path: Path) -> tuple[Path, Path]:
    """The live site at 8:59 and the build of 9:00 that lifts the embargo of one release."""
    site = make_site(
        {"content/releases/2016/old.md": OLD, EMBARGOED: GRANTS},
        site_yaml=SITE_YAML + f"websub_hub: {HUB}\n",
    )
    live = build(site, tmp_path / "live", "2026-12-01T08:59:00-05:00")
    new = build(site, tmp_path / "new", "2026-12-01T09:00:00-05:00")
    return live, new


def compare(origin: str, new: Path, tmp_path: Path) -> tuple[str, dict[str, str], str]:
    """The summary, the step outputs and the warnings of compare-live."""
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    result = run_cli("compare-live", origin + "/", str(new), "--github-output", str(output))
    assert result.returncode == 0, result.stderr
    lines = output.read_text(encoding="utf-8").splitlines()
    return result.stdout, dict(line.split("=", 1) for line in lines), result.stderr


def addresses(origin: str, *folders: str) -> list[str]:
    return [f"{origin}/{folder}{form}" for folder in folders for form in FORMATS]


def test_the_feeds_that_changed_are_pinged_in_every_format(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    live, new = two_builds
    with serve_folder(live) as origin:
        summary, outputs, warnings = compare(origin, new, tmp_path)
    assert warnings == ""
    assert outputs["websub_hub"] == HUB
    # the release is filed under Cybersecurity and DHS: those feeds and the site's changed
    assert json.loads(outputs["websub_feeds"]) == addresses(
        origin, "", "agencies/dhs/", "topics/cybersecurity/"
    )
    assert summary.splitlines() == [
        "## What this publication puts live",
        "",
        "**1 new feed item and 0 updated go live.**",
        "",
        "| Feed item | Change | Modified |",
        "|---|---|---|",
        (
            "| [Embargoed Grants](https://www.example.gov/news/2026/12/01/embargoed-grants/) | new "
            "| 2026-12-01T09:00:00-05:00 |"
        ),
        "",
        (
            f"WebSub: after the deploy, {HUB} is pinged for 3 changed feeds in every format "
            "(9 addresses)."
        ),
        "",
    ]


def test_an_unchanged_site_pings_nothing(two_builds: tuple[Path, Path], tmp_path: Path) -> None:
    _, new = two_builds
    with serve_folder(new) as origin:
        summary, outputs, _ = compare(origin, new, tmp_path)
    assert json.loads(outputs["websub_feeds"]) == []
    assert "**0 new feed items and 0 updated go live.**" in summary
    assert summary.rstrip().endswith("WebSub: no feed changed, so no hub is pinged.")


def test_feeds_the_live_site_cannot_give_are_pinged(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    """A first deploy (or a live site that does not answer): every feed counts as changed."""
    live, new = two_builds
    shutil.rmtree(live / "topics")  # topic feeds new with this build
    with serve_folder(live) as origin:
        _, outputs, warnings = compare(origin, new, tmp_path)
    pinged = json.loads(outputs["websub_feeds"])
    assert addresses(origin, "topics/election-security/") == [
        url for url in pinged if "/topics/election-security/" in url
    ]
    assert (
        f"topics/election-security/feed.json: {origin}/topics/election-security/feed.json "
        "answered HTTP 404; its items count as new"
    ) in warnings
    empty = tmp_path / "empty"
    empty.mkdir()
    with serve_folder(empty) as origin:
        summary, outputs, _ = compare(origin, new, tmp_path)
    assert len(json.loads(outputs["websub_feeds"])) == 3 * (1 + 2 + 2)  # every feed of the site
    assert summary.splitlines()[2] == (
        f"> The live feed.json could not be read ({origin}/feed.json answered HTTP 404): every "
        "item below counts as new."
    )
    assert "**2 new feed items and 0 updated go live.**" in summary


def test_without_a_hub_nothing_is_pinged(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/releases/2016/old.md": OLD})
    new = build(site, tmp_path / "new", "2026-12-01T09:00:00-05:00")
    empty = tmp_path / "empty"
    empty.mkdir()
    with serve_folder(empty) as origin:
        summary, outputs, _ = compare(origin, new, tmp_path)
    assert outputs == {"websub_hub": "", "websub_feeds": "[]"}
    assert summary.rstrip().endswith(
        "WebSub: no `websub_hub` in content/site.yaml, so no hub is pinged."
    )


def test_the_ping_requests_are_websub_publish_notifications() -> None:
    feeds = [
        "https://www.example.gov/rss.xml",
        "https://www.example.gov/topics/cyber security/feed.json?x=1&y=2",
        "https://www.example.gov/rss.xml",  # once only
    ]
    requests = ping_requests(HUB, feeds)
    assert [(request.hub, request.feed) for request in requests] == [
        (HUB, feeds[0]),
        (HUB, feeds[1]),
    ]
    assert requests[0].body == b"hub.mode=publish&hub.url=https%3A%2F%2Fwww.example.gov%2Frss.xml"
    assert parse_qs(requests[1].body.decode("ascii")) == {
        "hub.mode": ["publish"],
        "hub.url": [feeds[1]],
    }
    assert requests[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    for hub, feed in (("ftp://hub/", feeds[0]), ("https://", feeds[0]), (HUB, "/rss.xml")):
        with pytest.raises(Exception, match="expected the"):
            ping_requests(hub, [feed])


def test_pings_stop_at_the_deadline_and_say_what_was_not_sent() -> None:
    ticks = iter([0.0, 1.0, 130.0])
    sent: list[tuple[str, float]] = []

    def sender(request: PingRequest, timeout: float) -> PingResult:
        sent.append((request.feed, timeout))
        return PingResult(feed=request.feed, status=204, problem="")

    requests = ping_requests(HUB, ["https://a.example/rss.xml", "https://a.example/atom.xml"])
    results = ping(requests, sender=sender, clock=lambda: next(ticks))
    assert sent == [("https://a.example/rss.xml", 20.0)]
    assert [result.problem for result in results] == ["", "not sent: out of time"]


class Hub(BaseHTTPRequestHandler):
    """A WebSub hub: 204 for every publish notification, 500 for feeds named 'broken'."""

    received: ClassVar[list[tuple[str, str, dict[str, list[str]]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode("ascii"))
        self.received.append((self.path, self.headers["Content-Type"], form))
        broken = "broken" in form["hub.url"][0]
        self.send_response(500 if broken else 204)
        body = b"Internal error\nwhile fetching the topic" if broken else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def hub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hub"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_hub_is_pinged_and_failures_are_reported_not_fatal() -> None:
    feeds = ["https://www.example.gov/rss.xml", "https://www.example.gov/broken/atom.xml"]
    Hub.received.clear()
    with hub() as address:
        result = run_cli("websub-ping", "--hub", address, "--feeds", json.dumps(feeds))
    assert result.returncode == 0, result.stderr
    assert Hub.received == [
        ("/hub", "application/x-www-form-urlencoded", {"hub.mode": ["publish"], "hub.url": [feed]})
        for feed in feeds
    ]
    assert result.stdout.splitlines() == [
        "## WebSub",
        "",
        f"Pinged {address} for 2 feed addresses: 1 accepted, 1 failed.",
        "",
        "The site is published; readers of these feeds see the change when they next poll.",
        "",
        "| Feed | Problem |",
        "|---|---|",
        f"| {feeds[1]} | the hub answered HTTP 500: Internal error while fetching the topic |",
        "",
    ]
    assert result.stderr == (
        f"{feeds[1]}: the hub answered HTTP 500: Internal error while fetching the topic\n"
    )


def test_an_unreachable_hub_is_reported_and_bad_usage_refused() -> None:
    feeds = json.dumps(["https://www.example.gov/rss.xml"])
    result = run_cli("websub-ping", "--hub", "http://127.0.0.1:9/", "--feeds", feeds)
    assert result.returncode == 0
    assert "0 accepted, 1 failed." in result.stdout
    assert "| https://www.example.gov/rss.xml | no answer from the hub: " in result.stdout
    for bad in ("rss.xml", "{}", '["/rss.xml"]'):
        refused = run_cli("websub-ping", "--hub", HUB, "--feeds", bad)
        assert refused.returncode == 2, bad


def test_the_ping_step_sends_what_the_compare_step_found(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    """The two steps of the publication, chained through their step outputs as in publish.yml."""
    live, new = two_builds
    with serve_folder(live) as origin:
        _, outputs, _ = compare(origin, new, tmp_path)
    Hub.received.clear()
    with hub() as address:
        # the hub the feeds announce is https://; this one is its stand-in on 127.0.0.1
        assert outputs["websub_hub"] == HUB
        result = run_cli("websub-ping", "--hub", address, "--feeds", outputs["websub_feeds"])
    assert result.returncode == 0, result.stderr
    pinged = [form["hub.url"] for _, _, form in Hub.received]
    assert pinged == [
        [url] for url in addresses(origin, "", "agencies/dhs/", "topics/cybersecurity/")
    ]
    assert all(form["hub.mode"] == ["publish"] for _, _, form in Hub.received)
    assert "9 accepted, 0 failed." in result.stdout


def test_a_large_live_feed_is_read_in_full(make_site: MakeSite, tmp_path: Path) -> None:
    """Feeds carry full bodies: the site's is hundreds of kilobytes, and an unchanged one that
    could not be read would count as changed (every item 'new', every format pinged)."""
    paragraph = "The Department announced grants for state and local cybersecurity. " * 60
    site = make_site(
        {
            f"content/releases/2016/r{day:02d}.md": release(
                f"Release {day}", f"2016-10-{day:02d}"
            ).replace("Body of", paragraph + "\n\nBody of")
            for day in range(1, 29)
        },
        site_yaml=SITE_YAML + f"websub_hub: {HUB}\n",
    )
    new = build(site, tmp_path / "new", "2026-12-01T09:00:00-05:00")
    assert (new / "feed.json").stat().st_size > 100_000
    with serve_folder(new) as origin:
        summary, outputs, warnings = compare(origin, new, tmp_path)
    assert warnings == ""
    assert json.loads(outputs["websub_feeds"]) == []
    assert "**0 new feed items and 0 updated go live.**" in summary
