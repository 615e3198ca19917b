"""Whether the scheduled workflow must rebuild: has a release become due since the last deploy?

Every build writes ``build-info.json`` with ``next_release_at``, the moment of the next embargoed
release (or null). The deployed copy of that file therefore says when the live site goes stale.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from advisory_site.core.reading import ReadError, read_regular

FETCH_TIMEOUT = 30.0  # seconds
HTTP_NOT_FOUND = 404


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    due: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployed:
    """The deployed build-info.json: its bytes, or why they could not be read."""

    data: bytes | None
    problem: str = ""


MAX_INFO_BYTES = 64 * 1024
"""Largest build-info.json that release-due reads: the file is under a hundred bytes."""
MAX_FETCH_BYTES = 64 * 1024 * 1024
"""Largest file of the live site read otherwise (a feed of full releases is a few MB)."""


def read_deployed(
    source: str, *, timeout: float = FETCH_TIMEOUT, limit: int = MAX_FETCH_BYTES
) -> Deployed:
    """Read build-info.json from the live site (an http(s) address) or from a file.

    Bounded both ways: at most ``limit`` bytes are read, and the whole fetch (name lookup,
    connection, every byte of the answer) ends after ``timeout`` seconds, however slowly the
    server sends: it runs in a thread that is left behind when the time is up.
    """
    if urlsplit(source).scheme not in ("http", "https"):
        try:
            return Deployed(data=read_regular(source, limit))
        except ReadError as exc:
            return Deployed(data=None, problem=f"{source}: {exc.message}")
    outcome: list[Deployed] = []
    fetcher = threading.Thread(
        target=lambda: outcome.append(_fetch(source, timeout, limit)), daemon=True
    )
    fetcher.start()
    fetcher.join(timeout)
    if not outcome:
        return Deployed(data=None, problem=f"{source} did not answer in full within {timeout:g} s")
    return outcome[0]


def _fetch(source: str, timeout: float, limit: int) -> Deployed:
    import http.client  # noqa: PLC0415 - slow to import; only this needs it
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        source, headers={"Cache-Control": "no-cache", "User-Agent": "advisory-site"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                return Deployed(data=None, problem=_too_large(source, limit))
            data = response.read(limit + 1)
            if len(data) > limit:
                return Deployed(data=None, problem=_too_large(source, limit))
            return Deployed(data=data)
    except urllib.error.HTTPError as exc:
        exc.close()
        return Deployed(data=None, problem=f"{source} answered HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Deployed(data=None, problem=f"cannot fetch {source}: {reason}")
    except (ValueError, http.client.HTTPException) as exc:  # a malformed answer or address
        return Deployed(data=None, problem=f"cannot fetch {source}: {type(exc).__name__}: {exc}")


def _too_large(source: str, limit: int) -> str:
    return f"{source} is larger than {limit:,} bytes, the most that is read"


def release_due(deployed: Deployed, now: datetime) -> Decision:
    """Rebuild when the deployed site's next release time has passed, or when it is not known."""
    if deployed.data is None:
        return Decision(due=True, reason=f"{deployed.problem}; rebuilding to be safe")
    try:
        info: Any = json.loads(deployed.data)
        text = info["next_release_at"]
        moment = None if text is None else datetime.fromisoformat(text)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
        return Decision(
            due=True, reason="the deployed build-info.json is unreadable; rebuilding to be safe"
        )
    if moment is None:
        return Decision(due=False, reason="the deployed site has no scheduled release")
    if moment.tzinfo is None:
        return Decision(
            due=True, reason=f"next_release_at {text!r} has no UTC offset; rebuilding to be safe"
        )
    if moment <= now:
        return Decision(due=True, reason=f"the release scheduled for {text} is due")
    return Decision(due=False, reason=f"the next release is scheduled for {text}")
