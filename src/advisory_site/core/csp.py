"""The Content-Security-Policy the site's pages carry, and the reading of one.

Inline scripts and styles are allowed by their hashes, never by 'unsafe-inline'; images may also
come from https: hosts (or only the hosts site.yaml names). Pure functions on strings.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

# The origins a release's video player may be framed from (source.video makes the players,
# static/js/video.js accepts no other): YouTube's privacy-enhanced host, and DVIDS.
YOUTUBE_EMBED = "https://www.youtube-nocookie.com"
DVIDS_EMBED = "https://www.dvidshub.net"
FRAME_HOSTS = (YOUTUBE_EMBED, DVIDS_EMBED)

# The only inline style attributes the body sanitiser keeps (table cell alignment), as nh3
# writes them; their hashes let them apply without allowing any other inline style.
ALLOWED_STYLE_ATTRIBUTES = tuple(
    f"text-align:{value}" for value in ("left", "center", "right", "justify")
)


def source_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline script or style."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(
    inline_scripts: Iterable[str] = (),
    *,
    inline_styles: Iterable[str] = (),
    form_actions: Iterable[str] = (),
    header: bool = False,
    image_hosts: Iterable[str] = (),
) -> str:
    """The site's policy: its own scripts, styles and fonts; images also from https: hosts.

    ``inline_scripts`` are the exact texts of inline scripts the templates are given; each is
    allowed by its hash, never by 'unsafe-inline'; so are ``inline_styles``, the <style>
    elements of the pages (each page type's CSS, see assets.PageCss). ``form_actions`` are the
    other origins forms may submit to (Search.gov, for the search page without JavaScript).
    ``header`` adds the directives that only work in an HTTP header (a <meta> tag cannot forbid
    framing), and the video players' hosts, which a page's <meta> policy narrows (with_frames).
    ``image_hosts`` (site.yaml's, https:// origins) are the only other hosts images may come
    from; without them, any https: host.
    """
    # 'wasm-unsafe-eval' lets the search (Pagefind) compile its WebAssembly; it allows no eval()
    hashes = sorted({source_hash(text) for text in inline_scripts})
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *hashes])
    styles = " ".join(
        [
            "'self'",
            "'unsafe-hashes'",
            *(source_hash(text) for text in ALLOWED_STYLE_ATTRIBUTES),
            *sorted({source_hash(text) for text in inline_styles}),
        ]
    )
    directives = [
        "default-src 'self'",
        f"script-src {scripts}",
        f"style-src {styles}",
        " ".join(["img-src 'self'", *(sorted(set(image_hosts)) or ["https:"])]),
        "object-src 'none'",
        "base-uri 'self'",
        " ".join(["form-action 'self'", *sorted(set(form_actions))]),
    ]
    if header:
        # a header applies to every page; each page's <meta> policy still allows frames only
        # where the page has a video, and a browser enforces both
        directives.append(f"frame-src {' '.join(FRAME_HOSTS)}")
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


def with_frames(policy: str, origins: Iterable[str]) -> str:
    """``policy`` letting the page frame ``origins`` (a video's player) and nothing else: only
    a page with a video is given a frame-src; every other page keeps default-src 'self'."""
    allowed = sorted(set(origins))
    return f"{policy}; frame-src {' '.join(allowed)}" if allowed else policy


def image_sources(policy: str) -> tuple[str, ...]:
    """The sources of ``policy``'s img-src directive (else its default-src)."""
    found: dict[str, tuple[str, ...]] = {}
    for directive in policy.split(";"):
        name, *values = directive.split() or [""]
        found.setdefault(name.lower(), tuple(values))
    return found.get("img-src", found.get("default-src", ()))


def source_allows(sources: Iterable[str], url: str) -> bool:
    """Whether a CSP source list (``image_sources``) lets a page load the remote ``url``."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    for given in sources:
        source = given.lower()
        if source == "*":
            if scheme in ("http", "https"):
                return True
            continue
        if source.startswith("'"):
            continue  # 'self' and keywords: not a remote address
        if source.endswith(":") and "/" not in source:
            if scheme == source[:-1] or (source == "http:" and scheme == "https"):
                return True
            continue
        wanted_scheme, _, rest = source.rpartition("://")
        if wanted_scheme and wanted_scheme != scheme:
            continue
        wanted_host = rest.split("/", 1)[0].split(":", 1)[0]
        if wanted_host.startswith("*."):
            if host.endswith(wanted_host[1:]):
                return True
        elif host == wanted_host:
            return True
    return False
