"""The site's icon, from one source image: ``assets/favicon.svg``.

Browsers that draw SVG icons get the SVG itself; the others (Safari, and the home-screen icon of
phones) get PNGs rendered from it with resvg (``resvg-py``, deterministic: no system fonts).
Every file is published under a content-hashed name, and each page links them, so no browser asks
for a /favicon.ico the site does not have. A site without the source image has no icon.

``SIZES`` is the one list of rendered sizes: more (a web app manifest's 192 and 512) go there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import resvg_py

from advisory_site.core.errors import BuildError, ContentError
from advisory_site.site.assets import hashed_name

SOURCE = "assets/favicon.svg"
FOLDER = "static/img"
# (rel, size in pixels): a 32-pixel tab icon and the 180-pixel icon iOS puts on a home screen
SIZES = (("icon", 32), ("apple-touch-icon", 180))


@dataclass(frozen=True, slots=True, kw_only=True)
class Icon:
    """One <link> to an icon: rel, served path, media type and sizes ("any" for SVG)."""

    rel: str
    href: str
    type: str
    sizes: str


def build_favicons(site_dir: Path) -> tuple[tuple[tuple[str, bytes], ...], tuple[Icon, ...]]:
    """The icon files to publish (path, bytes) and the links every page carries."""
    source = site_dir / SOURCE
    if not source.is_file():
        return (), ()
    svg = source.read_bytes()
    try:
        text = svg.decode("utf-8")
        pngs = [(rel, size, _png(text, size)) for rel, size in SIZES]
    except (UnicodeDecodeError, ValueError) as error:
        raise BuildError(
            [
                ContentError(
                    path=SOURCE,
                    message=f"the site's icon cannot be drawn: {error}",
                    hint="save it as an SVG image in UTF-8 (a square viewBox works best)",
                )
            ]
        ) from None
    files = [(hashed_name(f"{FOLDER}/favicon.svg", svg), svg)]
    icons = [Icon(rel="icon", href="/" + files[0][0], type="image/svg+xml", sizes="any")]
    for rel, size, png in pngs:
        path = hashed_name(f"{FOLDER}/favicon-{size}.png", png)
        files.append((path, png))
        icons.append(Icon(rel=rel, href="/" + path, type="image/png", sizes=f"{size}x{size}"))
    return tuple(files), tuple(icons)


def _png(svg: str, size: int) -> bytes:
    return bytes(
        resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, skip_system_fonts=True)
    )
