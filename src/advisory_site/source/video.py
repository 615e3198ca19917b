"""Videos in a release: a link to a YouTube or DVIDS video on a line of its own becomes a player
that loads nothing from the video's host until the reader asks for it.

The page holds the link (all that a reader without JavaScript, a feed reader or a search engine
sees) in a ``<figure class="video">`` whose ``data-embed`` is the privacy-enhanced player's
address (youtube-nocookie.com; DVIDS's embed). ``static/js/video.js`` puts a styled placeholder
with a play button in front of the link; only a click on it creates the player's frame. A page
with a video allows that host in its Content-Security-Policy's frame-src, and no other page does
(``Release.frame_hosts``). A paragraph right after the video that starts with "Transcript:"
(or the word in the release's language: "Transcripción:") becomes the player's caption, so the
page says where the transcript is.

Every word written around a video is in the release's language, from its catalogue: the link's
text and host, and the play button's name, its description and the player frame's title, which
the figure gives the script as data attributes (the script itself holds no text).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from advisory_site.core.csp import DVIDS_EMBED, YOUTUBE_EMBED
from advisory_site.core.models import N_

VIDEO_CLASS = "video"
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com"}
)
_DVIDS_HOSTS = frozenset({"dvidshub.net", "www.dvidshub.net"})
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATHS = re.compile(r"/(?:embed|shorts|live|v)/([A-Za-z0-9_-]{11})/?")
_DVIDS_PATH = re.compile(r"/video/(?:embed/)?(\d{1,12})(?:/[A-Za-z0-9_-]*)?/?")
_START = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")
_TAGS = re.compile(r"<[^>]*>")

TRANSCRIPT = N_("Transcript:")  # what starts the paragraph that says where the transcript is
LINK_TEXT = N_("%(host)s video")  # a video link's text when the link has none of its own
ON_HOST = N_("(video on %(host)s)")
PLAY = N_("Play video: %(title)s")  # the play button's name
LOADS_FROM = N_("Loads the player from %(host)s")  # its description
PLAYER_TITLE = N_("%(title)s (%(host)s video player)")  # the player frame's title


@functools.lru_cache(maxsize=16)
def _alone(labels: tuple[str, ...]) -> re.Pattern[str]:
    """A paragraph holding one link and nothing else, as the sanitiser writes it, and the
    paragraph after it if that starts with one of ``labels`` ('Transcript:')."""
    starts = "|".join(re.escape(html.escape(label, quote=False)) for label in labels)
    return re.compile(
        r'<p><a href="([^"]*)"[^>]*>((?:(?!</a>).)*)</a></p>'
        rf"(?:\n*<p>((?:{starts})(?:(?!</p>).)*)</p>)?",
        re.DOTALL,
    )


@dataclass(frozen=True, slots=True)
class Video:
    host: str  # the name readers know: 'YouTube', 'DVIDS'
    url: str  # the video's own page, as linked
    embed: str  # the privacy-enhanced player's address
    origin: str  # the embed's origin, for the Content-Security-Policy


def video(url: str) -> Video | None:
    """The video a link to ``url`` is, if it is a YouTube or DVIDS video's address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return None
    if host in _YOUTUBE_HOSTS:
        query = parse_qs(parts.query)
        if host == "youtu.be":
            found = parts.path.strip("/")
        elif parts.path in ("/watch", "/watch/"):
            found = (query.get("v") or [""])[0]
        else:
            match = _YOUTUBE_PATHS.fullmatch(parts.path)
            found = match.group(1) if match else ""
        if not _YOUTUBE_ID.fullmatch(found):
            return None
        start = _seconds((query.get("t") or query.get("start") or [""])[0])
        watch = f"https://www.youtube.com/watch?v={found}" + (f"&t={start}s" if start else "")
        embed = f"{YOUTUBE_EMBED}/embed/{found}?autoplay=1" + (f"&start={start}" if start else "")
        return Video("YouTube", watch, embed, YOUTUBE_EMBED)
    if host in _DVIDS_HOSTS:
        match = _DVIDS_PATH.fullmatch(parts.path)
        if match is None:
            return None
        number = match.group(1)
        own = parts.path if "/embed/" not in parts.path else f"/video/{number}"
        return Video(
            "DVIDS",
            f"https://www.dvidshub.net{own}",
            f"{DVIDS_EMBED}/video/embed/{number}",
            DVIDS_EMBED,
        )
    return None


def _seconds(text: str) -> int:
    """A start time as YouTube writes it ('90', '90s', '1m30s') in seconds; 0 if none."""
    match = _START.fullmatch(text.strip())
    if not text.strip() or match is None:
        return 0
    hours, minutes, seconds = (int(value or 0) for value in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def players(body: str, gettext: Callable[[str], str] = str) -> tuple[str, tuple[str, ...]]:
    """``body`` (sanitised HTML) with each video link alone in its paragraph made a player's
    figure, and the origins those players' frames come from (sorted; empty: no video). Its
    words are in the language of ``gettext``, the catalogue of the release's language; a
    transcript's paragraph may start with the label in that language or in English."""
    if "youtu" not in body and "dvidshub" not in body:
        return body, ()
    origins: set[str] = set()

    def words(message: str, **values: str) -> str:
        return html.escape(gettext(message) % values)

    def figure(match: re.Match[str]) -> str:
        address, text, transcript = match.groups()
        found = video(html.unescape(address))
        if found is None:
            return match.group(0)
        origins.add(found.origin)
        if not _TAGS.sub("", text).strip() or html.unescape(text).strip() in (
            html.unescape(address),
            found.url,
        ):
            text = words(LINK_TEXT, host=found.host)
        title = " ".join(html.unescape(_TAGS.sub("", text)).split())
        caption = f"\n<figcaption>{transcript}</figcaption>" if transcript else ""
        return (
            f'<figure class="{VIDEO_CLASS}" data-embed="{html.escape(found.embed)}"'
            f' data-play="{words(PLAY, title=title)}"'
            f' data-note="{words(LOADS_FROM, host=found.host)}"'
            f' data-player="{words(PLAYER_TITLE, title=title, host=found.host)}">\n'
            f'<p class="video-link"><a href="{html.escape(found.url)}">{text}</a>'
            f'<span class="video-host"> {words(ON_HOST, host=found.host)}</span></p>'
            f"{caption}\n</figure>"
        )

    labels = tuple(dict.fromkeys((gettext(TRANSCRIPT), TRANSCRIPT)))
    made = _alone(labels).sub(figure, body)
    return made, tuple(sorted(origins))
