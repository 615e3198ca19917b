"""Each page type's share of the compiled stylesheet: inlined, or loaded without blocking.

The whole USWDS stylesheet (about 165 KB) would block every page's first paint while most of it
goes unused. After Sass (``assets.py``), PurgeCSS keeps, for each page template, the rules whose
selectors use words of that template, of the partials and base template every page shares, of
the site's scripts, and of what a Markdown body may hold (the sanitiser's tags and classes). PostCSS
then splits that into the rules a phone needs to paint, which the page carries in a <style>
element allowed by its hash in the Content-Security-Policy, and the rest (wider screens, print),
published under a hashed name and linked with a media attribute so that a phone does not wait
for it (``split_css.mjs``).

Like the compiled CSS, the result is cached in ``<site>/.cache/assets/`` under a hash of every
input (the compiled CSS, the templates, the scripts, the script and the tools' versions).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from advisory_site.core.errors import BuildError, ContentError

SCRIPT = Path(__file__).with_name("split_css.mjs")
TOOLS = (Path("node_modules/purgecss"), Path("node_modules/postcss"))
_CACHE_FORMAT = b"advisory-site page styles 1"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageStyle:
    """One page template's CSS: inlined (``critical``) and linked (``rest``, for ``media``)."""

    critical: str  # url()s relative to the stylesheet folder, as compiled
    rest: str
    media: str  # the media attribute of the rest's link; "" when there is no rest


def request(site_dir: Path, css: str, body_words: tuple[str, ...]) -> bytes:
    """What split_css.mjs is given: the CSS and, for each page template, the text it uses."""
    templates = _templates(site_dir)
    shared = [text for name, text in templates.items() if _is_shared(name)]
    scripts = [
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted((site_dir / "static").rglob("*.js"))
        if path.is_file()
    ]
    pages = {
        name: [text, *shared, *scripts]
        for name, text in templates.items()
        if not _is_shared(name) and "{% extends" in text  # a whole page of its own has no share
    }
    payload = {"css": css, "pages": pages, "safelist": sorted(body_words)}
    return json.dumps(payload, sort_keys=True).encode("utf-8")


def cache_key(site_dir: Path, payload: bytes) -> str:
    """A hash of the request, the script and the versions of the tools it runs."""
    digest = hashlib.sha256(_CACHE_FORMAT + b"\0" + SCRIPT.read_bytes() + b"\0" + payload)
    for tool in TOOLS:
        manifest = site_dir / tool / "package.json"
        digest.update(b"\0" + (manifest.read_bytes() if manifest.is_file() else b"missing"))
    return digest.hexdigest()[:20]


def parse(text: str) -> dict[str, PageStyle]:
    """split_css.mjs's answer, by template name."""
    return {
        name: PageStyle(
            critical=value["critical"].strip(), rest=value["rest"].strip(), media=value["media"]
        )
        for name, value in sorted(json.loads(text).items())
    }


def _templates(site_dir: Path) -> dict[str, str]:
    folder = site_dir / "templates"
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.rglob("*.html"))
        if path.is_file()
    }


def _is_shared(name: str) -> bool:
    """Partials and the base template are part of every page."""
    return name == "base.html" or Path(name).name.startswith("_")


def split(site_dir: Path, payload: bytes) -> str:
    """Run split_css.mjs on ``payload`` (see ``request``); its JSON answer."""
    missing = [str(tool) for tool in TOOLS if not (site_dir / tool / "package.json").is_file()]
    if missing:
        raise BuildError(
            [
                ContentError(
                    path="package.json",
                    message=f"PurgeCSS and PostCSS are not installed ({', '.join(missing)})",
                    hint="run npm ci in the site folder",
                )
            ]
        )
    result = subprocess.run(
        ["node", str(SCRIPT)],
        cwd=site_dir,
        input=payload,
        capture_output=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BuildError(
            [
                ContentError(
                    path="assets/site.scss",
                    message="the stylesheet could not be split by page type: "
                    + (detail[0] if detail else f"node exited with {result.returncode}"),
                )
            ]
        )
    return result.stdout.decode("utf-8")
