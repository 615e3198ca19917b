"""Photos as the best image pipelines publish them, with Pillow: resized WebP variants for
``srcset`` and the original's format as the fallback, every one re-encoded from the pixels alone
(no EXIF, no GPS position, no camera serial number, no XMP, no colour profile), oriented as the
camera meant, at most ``MAX_WIDTH`` pixels wide.

Encoding a photo takes a good part of a second, so the results are cached in
``<site>/.cache/images/`` under the hash of the photo's bytes and of this pipeline's settings: an
unchanged photo costs a read of its bytes on the next build. An entry carries the hash of each of
its files, so an entry cut short or altered is made again, never published. Output is
deterministic: the same photo gives the same bytes on every machine with the same Pillow.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError, __version__

CACHE = Path(".cache/images")
WIDTHS = (480, 800, 1200, 1600)  # the WebP variants, each only if the photo is at least as wide
MAX_WIDTH = WIDTHS[-1]  # the fallback is no wider: a 6,000-pixel original is never published
MAX_BYTES = 20_000_000  # a photo file larger than this is refused (export it smaller)
MAX_PIXELS = 50_000_000  # and one with more pixels than this (a decompression bomb, or a scan)
WEBP_QUALITY = 80
JPEG_QUALITY = 85
# The formats made into variants; others (GIF, SVG) are published as they are.
PROCESSED = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
_SETTINGS = json.dumps(
    {
        "pipeline": 1,
        "pillow": __version__,
        "widths": WIDTHS,
        "webp": WEBP_QUALITY,
        "jpeg": JPEG_QUALITY,
    },
    sort_keys=True,
).encode()


class ImageError(Exception):
    """A photo that cannot be published: ``message`` says why, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Variant:
    width: int
    suffix: str  # '-800.webp', or the fallback's own extension ('.jpg')
    data: bytes


@dataclass(frozen=True, slots=True)
class Processed:
    """A photo made ready: its fallback (original format) and its WebP variants, narrowest
    first; ``width`` and ``height`` are the fallback's."""

    width: int
    height: int
    fallback: Variant
    variants: tuple[Variant, ...]


@dataclass(slots=True)
class Counts:
    """How many photos a build encoded and how many it found in the cache."""

    processed: int = 0
    reused: int = 0


def too_large(size: int) -> ImageError:
    return ImageError(
        f"the photo is {size:,} bytes; the limit is {MAX_BYTES:,}",
        f"export it at most {MAX_WIDTH * 2:,} pixels wide as a JPEG (a few megabytes), "
        "not the camera original",
    )


def dimensions(data: bytes) -> tuple[int, int] | None:
    """The width and height of an image Pillow reads (from its header), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                orientation = image.getexif().get(0x0112, 1)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombWarning):
        return None
    except Image.DecompressionBombError:
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


class ImageCache:
    """Processed photos by the hash of their bytes, in ``<site>/.cache/images/``."""

    def __init__(self, site_dir: Path) -> None:
        self.folder = site_dir / CACHE
        self.counts = Counts()

    def get(self, data: bytes) -> Processed:
        """The photo ``data`` processed, from the cache or made (and cached) now."""
        if len(data) > MAX_BYTES:
            raise too_large(len(data))
        key = hashlib.sha256(_SETTINGS + hashlib.sha256(data).digest()).hexdigest()
        found = self._read(key)
        if found is not None:
            self.counts.reused += 1
            return found
        made = process(data)
        self.counts.processed += 1
        self._write(key, made)
        return made

    def _read(self, key: str) -> Processed | None:
        entry = self.folder / key
        try:
            meta = json.loads((entry / "meta.json").read_text("utf-8"))
            files = []
            for width, suffix, digest in meta["files"]:
                data = (entry / f"{width}{suffix}").read_bytes()
                if hashlib.sha256(data).hexdigest() != digest:
                    return None
                files.append(Variant(int(width), str(suffix), data))
            return Processed(
                width=int(meta["width"]),
                height=int(meta["height"]),
                fallback=files[0],
                variants=tuple(files[1:]),
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def _write(self, key: str, made: Processed) -> None:
        """Save an entry whole or not at all (made in a temporary folder, then renamed)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=".new-"))
            files = (made.fallback, *made.variants)
            for variant in files:
                (staging / f"{variant.width}{variant.suffix}").write_bytes(variant.data)
            meta = {
                "width": made.width,
                "height": made.height,
                "files": [[v.width, v.suffix, hashlib.sha256(v.data).hexdigest()] for v in files],
            }
            (staging / "meta.json").write_text(json.dumps(meta), "utf-8")
            staging.replace(self.folder / key)
        except OSError:
            return  # a cache that cannot be written only costs time


def process(data: bytes) -> Processed:
    """Decode the photo, orient it, and encode its fallback and WebP variants from its pixels
    alone; an ImageError if it is not a photo Pillow can read or is too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                kind = opened.format or ""
                if kind not in PROCESSED:
                    raise ImageError(
                        f"is a {kind or 'file of unknown type'}, not a JPEG, PNG or WebP photo",
                        "save it as a JPEG (photos) or PNG (graphics)",
                    )
                if opened.width * opened.height > MAX_PIXELS:
                    raise ImageError(
                        f"the photo is {opened.width:,} x {opened.height:,} pixels; the limit "
                        f"is {MAX_PIXELS:,} pixels",
                        f"export it at most {MAX_WIDTH * 2:,} pixels wide",
                    )
                opened.load()
                image = ImageOps.exif_transpose(opened)
    except ImageError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageError("has too many pixels to be a photo", "export it smaller") from exc
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError) as exc:
        raise ImageError(
            "is not an image that can be read (damaged, or not what its name says)",
            "export it again as a JPEG or PNG",
        ) from exc
    image = _pixels_only(image, kind)
    largest = min(image.width, MAX_WIDTH)
    fallback_image = _resized(image, largest)
    fallback = Variant(largest, PROCESSED[kind], _encode(fallback_image, kind))
    widths = [width for width in WIDTHS if width < largest] + [largest]
    variants = tuple(
        Variant(width, f"-{width}.webp", _encode(_resized(image, width), "WEBP"))
        for width in widths
    )
    return Processed(
        width=fallback_image.width,
        height=fallback_image.height,
        fallback=fallback,
        variants=variants,
    )


def _pixels_only(image: Image.Image, kind: str) -> Image.Image:
    """A copy holding the pixels and nothing else (no ``info``: EXIF, XMP, ICC, comments), in
    a mode the output formats take."""
    wanted = "RGB"
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        wanted = "RGBA"
    if kind == "JPEG":
        wanted = "RGB"
    clean = image.convert(wanted) if image.mode != wanted else image.copy()
    clean.info = {}
    return clean


def _resized(image: Image.Image, width: int) -> Image.Image:
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    resized = image.resize((width, height), Image.Resampling.LANCZOS)
    resized.info = {}
    return resized


def _encode(image: Image.Image, kind: str) -> bytes:
    """The image in ``kind``, with fixed settings and no metadata (deterministic bytes)."""
    buffer = io.BytesIO()
    if kind == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif kind == "PNG":
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4, exact=False)
    return buffer.getvalue()
