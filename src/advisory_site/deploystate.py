"""Whether the scheduled workflow must rebuild: has a release become due since the last deploy?

Every build writes ``build-info.json`` with ``next_release_at``, the moment of the next embargoed
release (or null). The deployed copy of that file therefore says when the live site goes stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def read_deployed(source: str, *, timeout: float = FETCH_TIMEOUT) -> Deployed:
    """Read build-info.json from the live site (an http(s) address) or from a file."""
    if urlsplit(source).scheme not in ("http", "https"):
        path = Path(source)
        if not path.is_file():
            return Deployed(data=None, problem=f"{source} does not exist")
        return Deployed(data=path.read_bytes())
    import urllib.error  # noqa: PLC0415 - only here: it costs every build 50 ms to import
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        source, headers={"Cache-Control": "no-cache", "User-Agent": "advisory-site"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Deployed(data=response.read())
    except urllib.error.HTTPError as exc:
        exc.close()
        return Deployed(data=None, problem=f"{source} answered HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Deployed(data=None, problem=f"cannot fetch {source}: {reason}")


def release_due(deployed: Deployed, now: datetime) -> Decision:
    """Rebuild when the deployed site's next release time has passed, or when it is not known."""
    if deployed.data is None:
        return Decision(due=True, reason=f"{deployed.problem}; rebuilding to be safe")
    try:
        info: Any = json.loads(deployed.data)
        text = info["next_release_at"]
        moment = None if text is None else datetime.fromisoformat(text)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
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
