"""What a publication puts live, and the WebSub pings that tell feed subscribers at once.

Before a deploy, ``compare_live`` reads the live site's JSON Feeds (one for the site and one for
each topic and agency) and compares each with the new build's, item by item, with the engine's
own diff (``sitediff.diff_feeds``). A feed that changed, or whose live copy cannot be read, is to
be pinged in all its formats. After the deploy ``ping`` tells the hub (``websub_hub``, read from
the new feeds) with one ``hub.mode=publish`` request per feed address; a failure is reported,
never raised: subscribers' readers poll anyway, and the site is already published.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from advisory_site.commands.deploystate import Deployed, read_deployed
from advisory_site.commands.sitediff import (
    SITE_FEED,
    FeedDiff,
    _text,
    diff_feeds,
    item_rows,
    plural,
    read_feed,
)
from advisory_site.core.errors import UsageError
from advisory_site.site.feeds import FORMATS

PING_TIMEOUT = 20.0  # seconds for each request to the hub
PING_DEADLINE = 120.0  # seconds for all of them
ERROR_TEXT = 200  # characters of a hub's error answer shown in the summary
HTTP_OK_RANGE = range(200, 300)

Fetch = Callable[[str], Deployed]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveComparison:
    base_url: str  # the live site's address, ending with '/'
    feeds: tuple[FeedDiff, ...]  # every feed of the new build, the site-wide feed first
    unread: dict[str, str]  # feed path -> why its live copy could not be read
    hub: str  # the WebSub hub the new feeds announce, or ''

    def changed(self, feed: FeedDiff) -> bool:
        return feed.changed or feed.path in self.unread

    @property
    def ping_urls(self) -> tuple[str, ...]:
        """Every format of every feed that changed, as absolute addresses."""
        return tuple(
            self.base_url + feed.path.removesuffix(SITE_FEED) + form.file
            for feed in self.feeds
            if self.changed(feed)
            for form in FORMATS
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PingRequest:
    """One WebSub publish notification, as sent: a form-encoded POST to the hub."""

    hub: str
    feed: str

    @property
    def body(self) -> bytes:
        return urlencode({"hub.mode": "publish", "hub.url": self.feed}).encode("ascii")

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "advisory-site",
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PingResult:
    feed: str
    status: int  # the hub's HTTP status; 0 when it gave none
    problem: str  # '' when the hub accepted the ping

    @property
    def ok(self) -> bool:
        return not self.problem


def feed_paths(new: Path) -> list[str]:
    """The JSON Feeds of a built site, the site-wide feed first."""
    found = [path.relative_to(new).as_posix() for path in new.rglob(SITE_FEED) if path.is_file()]
    return sorted(found, key=lambda path: (path != SITE_FEED, path))


def compare_live(base_url: str, new: Path, *, fetch: Fetch = read_deployed) -> LiveComparison:
    """Compare the new build's feeds with the live site's at ``base_url``."""
    if not new.is_dir():
        raise UsageError(f"{new} is not a folder; build the site first")
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    prefix = urlsplit(base_url).path
    unread: dict[str, str] = {}
    feeds = []
    with tempfile.TemporaryDirectory(prefix="advisory-site-live-") as scratch:
        for path in feed_paths(new):
            live = fetch(base_url + path)
            if live.data is None:
                unread[path] = live.problem
                before: tuple[Any, ...] = ()
            else:
                copy = Path(scratch) / path
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(live.data)
                before = read_feed(copy)
            after = read_feed(new / path)
            gone = {urlsplit(item.url).path for item in before} - {
                urlsplit(item.url).path for item in after
            }
            published = frozenset(p for p in gone if _built(new, prefix, p))
            feeds.append(diff_feeds(before, after, path=path, published=published))
    return LiveComparison(base_url=base_url, feeds=tuple(feeds), unread=unread, hub=_hub(new))


def _built(new: Path, prefix: str, url_path: str) -> bool:
    """Whether the new build has a page at ``url_path`` (a path on the live site)."""
    if not url_path.startswith(prefix):
        return False
    relative = url_path[len(prefix) :].strip("/")
    folder = new / relative
    return ".." not in relative.split("/") and (folder / "index.html").is_file()


def _hub(new: Path) -> str:
    try:
        document: Any = json.loads((new / SITE_FEED).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return ""
    hubs = document.get("hubs") if isinstance(document, dict) else None
    for hub in hubs if isinstance(hubs, list) else []:
        url = hub.get("url") if isinstance(hub, dict) else None
        if isinstance(url, str) and urlsplit(url).scheme == "https":
            return url
    return ""


def outputs(comparison: LiveComparison) -> str:
    """Step outputs for the ping job, in the format of $GITHUB_OUTPUT."""
    urls = list(comparison.ping_urls) if comparison.hub else []
    return f"websub_hub={comparison.hub}\nwebsub_feeds={json.dumps(urls)}\n"


def went_live_markdown(comparison: LiveComparison) -> str:
    """The job summary's section on what this publication puts live."""
    lines = ["## What this publication puts live", ""]
    site = next((feed for feed in comparison.feeds if feed.path == SITE_FEED), None)
    if site is None:
        lines += ["The built site has no feed.json, so what goes live is not known.", ""]
    else:
        if SITE_FEED in comparison.unread:
            why = _text(comparison.unread[SITE_FEED])
            lines += [
                f"> The live feed.json could not be read ({why}): every item below counts as new.",
                "",
            ]
        headline = (
            f"**{plural(len(site.new), 'new feed item')} and {len(site.updated)} updated"
            + (f", {len(site.removed)} removed" if site.removed else "")
            + " go live.**"
        )
        lines += [headline, ""]
        rows = [
            *((item, "new") for item in site.new),
            *((item, "updated") for item in site.updated),
            *((item, "removed") for item in site.removed),
        ]
        if rows:
            lines += ["| Feed item | Change | Modified |", "|---|---|---|"]
            lines += item_rows(rows)
            lines.append("")
    changed = [feed for feed in comparison.feeds if comparison.changed(feed)]
    if not comparison.hub:
        lines.append("WebSub: no `websub_hub` in content/site.yaml, so no hub is pinged.")
    elif changed:
        lines.append(
            f"WebSub: after the deploy, {_text(comparison.hub)} is pinged for "
            f"{plural(len(changed), 'changed feed')} in every format "
            f"({count(len(comparison.ping_urls), 'address', 'addresses')})."
        )
    else:
        lines.append("WebSub: no feed changed, so no hub is pinged.")
    return "\n".join(lines) + "\n\n"


# -- pinging the hub ----------------------------------------------------------------------------


def ping_requests(hub: str, feeds: Sequence[str]) -> tuple[PingRequest, ...]:
    """One request per feed address, in order, without repeats."""
    if urlsplit(hub).scheme not in ("https", "http") or not urlsplit(hub).netloc:
        raise UsageError(f"expected the hub's https:// address, got {hub!r}")
    for feed in feeds:
        if urlsplit(feed).scheme not in ("https", "http") or not urlsplit(feed).netloc:
            raise UsageError(f"expected the feeds' absolute addresses, got {feed!r}")
    return tuple(PingRequest(hub=hub, feed=feed) for feed in dict.fromkeys(feeds))


def parse_feed_list(text: str) -> list[str]:
    """The --feeds value: a JSON list of addresses, as the compare step wrote it."""
    try:
        feeds: Any = json.loads(text)
    except (ValueError, RecursionError):
        feeds = None
    if not isinstance(feeds, list) or not all(isinstance(feed, str) for feed in feeds):
        raise UsageError(
            f'expected a JSON list of feed addresses such as ["https://..."], {text!r}'
        )
    return feeds


Send = Callable[[PingRequest, float], PingResult]


def send(request: PingRequest, timeout: float) -> PingResult:
    """POST one notification; the hub's answer, or why there was none."""
    import urllib.error  # noqa: PLC0415 - slow to import; only this needs it
    import urllib.request  # noqa: PLC0415

    post = urllib.request.Request(  # noqa: S310 (ping_requests checked the scheme)
        request.hub, data=request.body, headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(post, timeout=timeout) as response:  # noqa: S310
            return PingResult(feed=request.feed, status=response.status, problem="")
    except urllib.error.HTTPError as exc:
        answer = exc.read(ERROR_TEXT).decode("utf-8", "replace").strip()
        exc.close()
        detail = f": {' '.join(answer.split())}" if answer else ""
        return PingResult(
            feed=request.feed, status=exc.code, problem=f"the hub answered HTTP {exc.code}{detail}"
        )
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return PingResult(feed=request.feed, status=0, problem=f"no answer from the hub: {reason}")


def ping(
    requests: Sequence[PingRequest],
    *,
    sender: Send = send,
    deadline: float = PING_DEADLINE,
    clock: Callable[[], float] = time.monotonic,
) -> list[PingResult]:
    """Send every request, within ``deadline`` seconds in all; the rest are reported unsent."""
    ends = clock() + deadline
    results = []
    for request in requests:
        left = ends - clock()
        if left <= 0:
            results.append(PingResult(feed=request.feed, status=0, problem="not sent: out of time"))
            continue
        results.append(sender(request, min(PING_TIMEOUT, left)))
    return results


def count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def ping_markdown(hub: str, results: Sequence[PingResult]) -> str:
    failed = [result for result in results if not result.ok]
    lines = [
        "## WebSub",
        "",
        (
            f"Pinged {_text(hub)} for {count(len(results), 'feed address', 'feed addresses')}: "
            f"{len(results) - len(failed)} accepted, {len(failed)} failed."
        ),
    ]
    if failed:
        lines += [
            "",
            "The site is published; readers of these feeds see the change when they next poll.",
            "",
            "| Feed | Problem |",
            "|---|---|",
        ]
        lines += [f"| {_text(result.feed)} | {_text(result.problem)} |" for result in failed]
    return "\n".join(lines) + "\n\n"
