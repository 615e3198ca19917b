"""Compare two built sites: what a merge will publish to subscribers and which pages change.

Feed items come from the JSON Feeds (``feed.json``, and the same under ``topics/<id>/`` and
``agencies/<id>/``): an id only in the new feed is a new item, an id in both whose
``date_modified`` moved is an update (a minor update keeps ``date_modified``, so it is not one),
and an id only in the old feed is removed, unless its page is still on the site and it merely fell
out of the feed's size limit. Pages are the HTML files of the two folders, compared byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from advisory_site.commands.linkcheck import (
    base_url_from_canonicals,
    built_page,
    html_files,
    scan_page,
    served_path,
)
from advisory_site.core.errors import OutputError, UsageError

SITE_FEED = "feed.json"
LISTED = 50  # at most this many entries per list in the summary; the counts are always complete


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    id: str
    title: str
    url: str
    date_modified: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedDiff:
    path: str  # the feed's file in the site folder, e.g. 'topics/cybersecurity/feed.json'
    new: tuple[FeedItem, ...]
    updated: tuple[FeedItem, ...]
    removed: tuple[FeedItem, ...]
    left_window: tuple[FeedItem, ...]  # no longer in the feed, but the page is still published

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.removed)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteDiff:
    feeds: tuple[FeedDiff, ...]  # every feed in either site, the site-wide feed first
    pages_added: tuple[str, ...]  # served paths such as '/news/'
    pages_changed: tuple[str, ...]
    pages_removed: tuple[str, ...]

    @property
    def site_feed(self) -> FeedDiff | None:
        return next((feed for feed in self.feeds if feed.path == SITE_FEED), None)


def diff_sites(base: Path, new: Path) -> SiteDiff:
    """What changes for readers and subscribers when ``new`` replaces ``base``."""
    for folder in (base, new):
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder; build both sites first")
    base_pages = {file: built_page(base / file) for file in html_files(base)}
    new_pages = {file: built_page(new / file) for file in html_files(new)}
    published = _published_paths(new_pages)
    feed_files = sorted(
        {*_feed_files(base), *_feed_files(new)}, key=lambda path: (path != SITE_FEED, path)
    )
    return SiteDiff(
        feeds=tuple(
            diff_feeds(
                read_feed(base / path), read_feed(new / path), path=path, published=published
            )
            for path in feed_files
        ),
        pages_added=_served(new_pages.keys() - base_pages.keys()),
        pages_removed=_served(base_pages.keys() - new_pages.keys()),
        pages_changed=_served(
            file
            for file in base_pages.keys() & new_pages.keys()
            if base_pages[file] != new_pages[file]
        ),
    )


def diff_feeds(
    base: tuple[FeedItem, ...],
    new: tuple[FeedItem, ...],
    *,
    path: str = SITE_FEED,
    published: frozenset[str] = frozenset(),
) -> FeedDiff:
    """Compare two versions of one feed; ``published`` are the URL paths of the new site's pages."""
    before = {item.id: item for item in base}
    after = {item.id: item for item in new}
    gone = tuple(item for item in base if item.id not in after)
    return FeedDiff(
        path=path,
        new=tuple(item for item in new if item.id not in before),
        updated=tuple(
            item
            for item in new
            if item.id in before and item.date_modified != before[item.id].date_modified
        ),
        removed=tuple(item for item in gone if urlsplit(item.url).path not in published),
        left_window=tuple(item for item in gone if urlsplit(item.url).path in published),
    )


def read_feed(file: Path) -> tuple[FeedItem, ...]:
    """The items of a JSON Feed file; none when the file does not exist."""
    if not file.is_file():
        return ()
    try:
        document: Any = json.loads(built_page(file).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OutputError(f"{file}: not valid JSON: {exc}") from None
    except RecursionError:
        raise OutputError(f"{file}: not a JSON Feed: it is nested too deeply") from None
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise OutputError(f"{file}: not a JSON Feed: it has no 'items' list")
    feed: list[FeedItem] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise OutputError(f"{file}: item {number} of the JSON Feed has no 'id'")
        feed.append(
            FeedItem(
                id=item["id"],
                title=str(item.get("title") or item["id"]),
                url=str(item.get("url") or ""),
                date_modified=str(item.get("date_modified") or item.get("date_published") or ""),
            )
        )
    return tuple(feed)


def _served(files: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(served_path(file) for file in files))


def _feed_files(folder: Path) -> list[str]:
    return [path.relative_to(folder).as_posix() for path in folder.rglob(SITE_FEED)]


def _published_paths(pages: dict[str, bytes]) -> frozenset[str]:
    """The URL paths (base path included) at which ``pages`` are served."""
    home = pages.get("index.html")
    scans = {"index.html": scan_page(home.decode(errors="replace"))} if home else {}
    prefix = urlsplit(base_url_from_canonicals(scans) or "/").path.rstrip("/")
    paths = {prefix + served_path(file) for file in pages}
    return frozenset(paths | {path.rstrip("/") for path in paths if path.endswith("/")})


# -- the Markdown summary -----------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def headline(feed: FeedDiff | None) -> str:
    """'This merge will publish 2 new feed items and update 1.' and the like."""
    if feed is None:
        return "The built site has no feed.json, so the feed items to publish are not known."
    text = f"This merge will publish {plural(len(feed.new), 'new feed item')}"
    if feed.removed:
        return text + f", update {len(feed.updated)} and remove {len(feed.removed)}."
    return text + f" and update {len(feed.updated)}."


def summary_markdown(diff: SiteDiff) -> str:
    """The pull request's job summary (GitHub-flavoured Markdown)."""
    lines = ["## What this merge will publish", "", f"**{headline(diff.site_feed)}**", ""]
    feed = diff.site_feed
    if feed is not None and (feed.changed or feed.left_window):
        lines += ["| Feed item | Change | Modified |", "|---|---|---|"]
        rows = [
            *((item, "new") for item in feed.new),
            *((item, "updated") for item in feed.updated),
            *((item, "removed") for item in feed.removed),
            *((item, "leaves the feed (page stays)") for item in feed.left_window),
        ]
        lines += item_rows(rows)
        lines.append("")
    others = [other for other in diff.feeds if other.path != SITE_FEED and other.changed]
    if others:
        lines += ["| Topic and agency feeds | New | Updated | Removed |", "|---|---:|---:|---:|"]
        lines += [
            f"| {_code('/' + other.path)} | {len(other.new)} | {len(other.updated)} "
            f"| {len(other.removed)} |"
            for other in others
        ]
        lines.append("")
    lines.append(
        f"**Pages:** {len(diff.pages_added)} added, {len(diff.pages_changed)} changed, "
        f"{len(diff.pages_removed)} removed."
    )
    for label, paths in (
        ("added", diff.pages_added),
        ("changed", diff.pages_changed),
        ("removed", diff.pages_removed),
    ):
        if paths:
            lines += ["", f"<details><summary>{plural(len(paths), 'page')} {label}</summary>", ""]
            lines += [f"- {_code(path)}" for path in paths[:LISTED]]
            if len(paths) > LISTED:
                lines.append(f"- and {len(paths) - LISTED} more")
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def item_rows(rows: Sequence[tuple[FeedItem, str]]) -> list[str]:
    """Markdown table rows of feed items and what happened to each, at most LISTED of them."""
    lines = [
        f"| {_item_link(item)} | {change} | {_text(item.date_modified)} |"
        for item, change in rows[:LISTED]
    ]
    if len(rows) > LISTED:
        lines.append(f"| and {len(rows) - LISTED} more | | |")
    return lines


def _text(value: str) -> str:
    """Plain text on one line that Markdown and the HTML inside it show as written."""
    value = " ".join(_CONTROL.sub(" ", value).split())
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]|":
        escaped = escaped.replace(character, "\\" + character)
    return escaped


def _code(value: str) -> str:
    """A path shown as code, whatever characters it holds."""
    if _PLAIN_CODE.fullmatch(value):
        return f"`{value}`"
    return f"<code>{_text(value)}</code>"


_PLAIN_CODE = re.compile(r"[A-Za-z0-9/._~%+=,;:@!$&'()-]*")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _item_link(item: FeedItem) -> str:
    # every character that could end the link or the line is percent-encoded: a newline in a
    # feed's URL must not start new Markdown in the summary
    url = quote(item.url, safe="/:?#@!$&'*+,;=%-._~")
    return (
        f"[{_text(item.title)}]({url})"
        if url.startswith(("https://", "http://"))
        else _text(item.title)
    )
