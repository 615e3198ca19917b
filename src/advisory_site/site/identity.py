"""The site's identity: its icons, the seal or logo of its header, its default card image and
its web app manifest, each from one file named in ``content/site.yaml``.

Icons come from one SVG (``icon:``, by default ``assets/favicon.svg``): browsers that draw SVG
icons get the SVG itself; the others (Safari, and the home-screen icon of phones) get PNGs
rendered from it with resvg (``resvg-py``, deterministic: no system fonts). Every file is
published under a content-hashed name and each page links them, so no browser asks for a
/favicon.ico the site does not have. A site without the source image has no icon.

The card image (``card_image:``) is what a shared page shows when it has no photo of its own:
it goes through the photo pipeline (``source.images``: metadata stripped, at most 1,600 pixels
wide). The logo (``logo:``, SVG or PNG) is shown in the header with its alt text.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import resvg_py
from PIL import Image

from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.models import Picture, SiteConfig
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.site.assets import hashed_name
from advisory_site.source.images import MAX_BYTES, ImageCache, ImageError, Processed, dimensions
from advisory_site.source.media import MEDIA_TYPES

FOLDER = "static/img"
MANIFEST = "manifest.webmanifest"
MAX_SVG_BYTES = 1_000_000  # an icon or logo drawing is a few kilobytes
# (rel, size in pixels): a 32-pixel tab icon, the 180-pixel icon iOS puts on a home screen, and
# the 192 and 512 pixels the web app manifest offers ('' : in the manifest only)
SIZES = (("icon", 32), ("apple-touch-icon", 180), ("", 192), ("", 512))
LOGO_HEIGHT = 48  # CSS pixels: the header's seal is drawn this high
THEME_COLOR = "#1a4480"  # USWDS primary-dark, the colour of the sample icon
_VIEWBOX = re.compile(
    r'<svg\b[^>]*?\bviewBox\s*=\s*["\']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)'
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Icon:
    """One <link> to an icon: rel, served path, media type and sizes ("any" for SVG)."""

    rel: str
    href: str
    type: str
    sizes: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Logo:
    """The header's seal or logo: its served path, alt text, and size as drawn (CSS pixels)."""

    src: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    files: tuple[tuple[str, bytes], ...] = ()  # (output path, bytes) to publish
    icons: tuple[Icon, ...] = ()  # the <link>s every page carries
    logo: Logo | None = None
    card: Picture | None = None
    manifest: str = ""  # site path of the web app manifest; '' for a site without icons


def build_identity(site_dir: Path, config: SiteConfig) -> Identity:
    """The identity files to publish and what pages show of them; a BuildError naming the
    file for one that cannot be read or drawn."""
    files: list[tuple[str, bytes]] = []
    icons: list[Icon] = []
    manifest_icons: list[dict[str, str]] = []
    if config.icon and (site_dir / config.icon).is_file():
        svg = _read(site_dir, config.icon, MAX_SVG_BYTES)
        text = _svg_text(svg, config.icon, "the site's icon")
        files.append((hashed_name(f"{FOLDER}/favicon.svg", svg), svg))
        icons.append(Icon(rel="icon", href="/" + files[-1][0], type="image/svg+xml", sizes="any"))
        manifest_icons.append({"src": "/" + files[-1][0], "type": "image/svg+xml", "sizes": "any"})
        for rel, size in SIZES:
            png = _png(text, size, config.icon)
            path = hashed_name(f"{FOLDER}/favicon-{size}.png", png)
            files.append((path, png))
            sizes = f"{size}x{size}"
            if rel:
                icons.append(Icon(rel=rel, href="/" + path, type="image/png", sizes=sizes))
            else:
                manifest_icons.append({"src": "/" + path, "type": "image/png", "sizes": sizes})
    logo = _logo(site_dir, config, files) if config.logo else None
    card = _card(site_dir, config, files) if config.card_image else None
    manifest = ""
    if icons:
        manifest = "/" + MANIFEST
        files.append((MANIFEST, web_manifest(config, manifest_icons)))
    return Identity(files=tuple(files), icons=tuple(icons), logo=logo, card=card, manifest=manifest)


def web_manifest(config: SiteConfig, icons: list[dict[str, str]]) -> bytes:
    """The web app manifest: the site's name, start address, colours and icons."""
    prefix = config.path_prefix
    document = {
        "name": config.title,
        "short_name": config.title,
        "description": config.description,
        "lang": config.language,
        "start_url": prefix + "/",
        "scope": prefix + "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [icon | {"src": prefix + icon["src"]} for icon in icons],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _logo(site_dir: Path, config: SiteConfig, files: list[tuple[str, bytes]]) -> Logo:
    suffix = PurePosixPath(config.logo).suffix.lower()
    if suffix == ".svg":
        data = _read(site_dir, config.logo, MAX_SVG_BYTES)
        text = _svg_text(data, config.logo, "the logo")
        match = _VIEWBOX.search(text)
        size = (float(match[1]), float(match[2])) if match else (0.0, 0.0)
        if not all(size):
            raise _error(
                config.logo,
                "the logo has no viewBox, so its proportions are unknown",
                'give its <svg> element a viewBox such as viewBox="0 0 64 64"',
            )
    else:
        processed = _processed(site_dir, config.logo)
        data = processed.fallback.data
        size = (float(processed.width), float(processed.height))
    path = hashed_name(f"{FOLDER}/logo{suffix}", data)
    files.append((path, data))
    width = max(1, round(LOGO_HEIGHT * size[0] / size[1]))
    return Logo(src="/" + path, alt=config.logo_alt, width=width, height=LOGO_HEIGHT)


def _card(site_dir: Path, config: SiteConfig, files: list[tuple[str, bytes]]) -> Picture:
    processed = _processed(site_dir, config.card_image)
    suffix = processed.fallback.suffix
    path = hashed_name(f"{FOLDER}/card{suffix}", processed.fallback.data)
    files.append((path, processed.fallback.data))
    return Picture(
        src=config.path_prefix + "/" + path,
        alt=config.card_image_alt,
        width=processed.width,
        height=processed.height,
        media_type=MEDIA_TYPES[suffix],
        length=len(processed.fallback.data),
    )


def _processed(site_dir: Path, path: str) -> Processed:
    data = _read(site_dir, path, MAX_BYTES)
    if dimensions(data) is None:
        raise _error(path, "is not an image that can be read", "export it again as a PNG or JPEG")
    try:
        return ImageCache(site_dir).get(data)
    except ImageError as exc:
        raise _error(path, exc.message, exc.hint) from None


def _read(site_dir: Path, path: str, limit: int) -> bytes:
    try:
        return read_regular(site_dir / path, limit)
    except ReadError as exc:
        raise _error(path, exc.message, exc.hint) from None


def _svg_text(svg: bytes, path: str, what: str) -> str:
    try:
        return svg.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(path, f"{what} is not UTF-8 text", "save it as an SVG in UTF-8") from None


def _png(svg: str, size: int, path: str) -> bytes:
    """The icon drawn ``size`` pixels square: a drawing that is not square is centred on a
    clear square (resvg keeps its proportions)."""
    try:
        drawn = bytes(
            resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, skip_system_fonts=True)
        )
    except ValueError as error:
        raise _error(
            path,
            f"the site's icon cannot be drawn: {error}",
            "save it as an SVG image in UTF-8 (a square viewBox works best)",
        ) from None
    with Image.open(io.BytesIO(drawn)) as image:
        if image.size == (size, size):
            return drawn
        square = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        square.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
    buffer = io.BytesIO()
    square.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _error(path: str, message: str, hint: str = "") -> BuildError:
    return BuildError([ContentError(path=path, message=message, hint=hint)])
