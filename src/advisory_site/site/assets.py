"""The site's stylesheet: compile assets/site.scss with Dart Sass (``sass-embedded``: the native
compiler rather than the pure-JavaScript ``sass``) against the U.S. Web Design
System from node_modules, and publish it with the USWDS fonts and images it refers to, each under
a content-hashed name (so a browser may cache them for ever).

Compiling takes a second or more, so the compiled CSS is cached in ``<site>/.cache/assets/`` under
a key hashed from every input (the site's SCSS files, package-lock.json, the Sass and USWDS
versions): an unchanged build costs nothing. An entry carries the hash of its own bytes and
depends on nothing machine-specific, so CI may restore the folder from another runner
(``actions/cache``): an entry cut short or altered is recompiled, never published. The cache is
the only thing this module writes; it is not output. A site without assets/site.scss (a small
test site) has no assets, and templates get an empty map.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from posixpath import normpath

from advisory_site.core.errors import BuildError, ContentError
from advisory_site.site import styles as page_styles

ENTRY = "assets/site.scss"
STYLESHEET = "site.css"  # the logical name templates ask for: site.assets["site.css"]
# The font of the headings (Merriweather bold), which a page may preload: a heading that wraps
# otherwise in the fallback font shown until it arrives (a long one in Spanish) moves the page.
HEADING_FONT = "heading-font"
HEADING_FONT_FILE = re.compile(
    r"static/fonts/merriweather/Latin-Merriweather-Bold\.[0-9a-f]+\.woff2"
)
USWDS = Path("node_modules/@uswds/uswds")
SASS = Path("node_modules/sass-embedded")
CACHE = Path(".cache/assets")
# The compiled CSS is published where USWDS's own dist/css/uswds.css lives relative to its fonts
# and images, so USWDS's default "../fonts" and "../img" paths need no configuration.
CSS_FOLDER = "static/css"
_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]*)\1\s*\)""")
_SASS_FRAME = re.compile(r"^\s*(\S+\.s[ac]ss) (\d+):(\d+)", re.MULTILINE)
# Bump when the way compiled CSS is produced changes, to retire old cache entries.
_CACHE_FORMAT = b"advisory-site assets 3"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageCss:
    """How pages of one template get their CSS: ``inline`` in a <style> element (allowed by its
    hash in the Content-Security-Policy), the rest from ``href`` for ``media`` (none if "")."""

    inline: str
    href: str = ""
    media: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Assets:
    """Files to publish (output path, bytes), the served path of each logical asset and the CSS
    of each page template (by template name)."""

    files: tuple[tuple[str, bytes], ...] = ()
    urls: Mapping[str, str] = field(default_factory=dict)
    page_css: Mapping[str, PageCss] = field(default_factory=dict)

    @property
    def inline_styles(self) -> tuple[str, ...]:
        """Every inline style the pages carry, for the Content-Security-Policy."""
        return tuple(sorted({css.inline for css in self.page_css.values()}))


def build_assets(
    site_dir: Path, *, path_prefix: str = "", body_words: Iterable[str] = ()
) -> Assets:
    """Compile (or reuse) the stylesheet and collect what it refers to; nothing without SCSS.

    ``path_prefix`` is the path the site is served under ('' at a domain's root): inline CSS
    refers to fonts and images by path. ``body_words`` are the element names and classes a
    Markdown body may hold, which every page template keeps the CSS of.
    """
    entry = site_dir / ENTRY
    if not entry.is_file():
        return Assets()
    _require_node_modules(site_dir)
    css = _compiled_css(site_dir)
    css, referenced = _publish_references(site_dir, css)
    name = hashed_name(f"{CSS_FOLDER}/{STYLESHEET}", css.encode("utf-8"))
    files = [*referenced, (name, css.encode("utf-8"))]
    page_css: dict[str, PageCss] = {}
    for template, style in _page_styles(site_dir, css, tuple(body_words)).items():
        href = ""
        if style.rest:
            rest = style.rest.encode("utf-8")
            path = hashed_name(f"{CSS_FOLDER}/page.css", rest)  # templates may share one
            files.append((path, rest))
            href = "/" + path
        # Inline, the CSS's "../fonts/..." would be resolved against the page's address.
        inline = style.critical.replace('url("../', f'url("{path_prefix}/static/')
        inline = inline.replace("</", "<\\/")  # never ends the <style> element early
        page_css[template] = PageCss(inline=inline, href=href, media=style.media if href else "")
    urls = {STYLESHEET: "/" + name}
    heading = [path for path, _ in referenced if HEADING_FONT_FILE.fullmatch(path)]
    if heading:
        urls[HEADING_FONT] = "/" + heading[0]
    return Assets(files=tuple(sorted(dict(files).items())), urls=urls, page_css=page_css)


def _page_styles(
    site_dir: Path, css: str, body_words: tuple[str, ...]
) -> dict[str, page_styles.PageStyle]:
    payload = page_styles.request(site_dir, css, body_words)
    cached = site_dir / CACHE / f"styles-{page_styles.cache_key(site_dir, payload)}.json"
    text = read_cache(cached)
    if text is None:
        text = page_styles.split(site_dir, payload)
        write_cache(cached, text)
    return page_styles.parse(text)


def hashed_name(path: str, data: bytes) -> str:
    """'static/css/site.3f9a1c0b2e.css': the content's hash before the extension."""
    digest = hashlib.sha256(data).hexdigest()[:10]
    pure = PurePosixPath(path)
    return str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))


def _require_node_modules(site_dir: Path) -> None:
    missing = [
        str(folder / "package.json")
        for folder in (USWDS, SASS)
        if not (site_dir / folder / "package.json").is_file()
    ]
    if missing:
        raise BuildError(
            [
                ContentError(
                    path=ENTRY,
                    message=f"the U.S. Web Design System and Dart Sass are not installed "
                    f"({', '.join(missing)} not found)",
                    hint="run npm ci in the site folder",
                )
            ]
        )


def _package_version(site_dir: Path, package: Path) -> str:
    return str(json.loads((site_dir / package / "package.json").read_bytes())["version"])


def cache_key(site_dir: Path) -> str:
    """A hash of everything the compiled CSS depends on."""
    digest = hashlib.sha256(_CACHE_FORMAT)
    folder = site_dir / PurePosixPath(ENTRY).parent
    for file in sorted(folder.rglob("*")):
        if file.is_file():
            digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    lock = site_dir / "package-lock.json"
    digest.update(lock.read_bytes() if lock.is_file() else b"no lock file")
    for package in (SASS, USWDS):
        digest.update(f"\0{package}@{_package_version(site_dir, package)}".encode())
    return digest.hexdigest()[:20]


def _compiled_css(site_dir: Path) -> str:
    cached = site_dir / CACHE / f"site-{cache_key(site_dir)}.css"
    css = read_cache(cached)
    if css is None:
        css = _run_sass(site_dir)
        write_cache(cached, css)
    return css


def read_cache(path: Path) -> str | None:
    """A cache entry's CSS, or None when there is none or it is not whole.

    An entry starts with the SHA-256 of the rest, so one cut short (a build killed while it was
    written, a full disk, a copy restored by CI) or altered is recompiled, never published.
    """
    try:
        header, _, body = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if header != _cache_header(body):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_cache(path: Path, css: str) -> None:
    """Store a cache entry with its checksum, under its final name only once complete."""
    body = css.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a temporary file and renamed, so a concurrent build never reads half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".site-", suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(_cache_header(body) + b"\n" + body)
    Path(temporary).replace(path)


def _cache_header(body: bytes) -> bytes:
    return b"/* sha256:" + hashlib.sha256(body).hexdigest().encode() + b" */"


def _run_sass(site_dir: Path) -> str:
    command = [
        "node",
        str(SASS / "dist" / "bin" / "sass.js"),  # starts the native compiler
        "--no-source-map",
        "--no-error-css",
        "--style=compressed",
        "--quiet-deps",
        f"--load-path={USWDS / 'packages'}",
        ENTRY,
    ]
    try:
        result = subprocess.run(
            command, cwd=site_dir, capture_output=True, text=True, check=False, timeout=600
        )
    except FileNotFoundError:
        raise BuildError(
            [
                ContentError(
                    path=ENTRY,
                    message="Node.js is needed to compile the stylesheet and was not found",
                    hint="install Node.js 18 or later (Debian: apt-get install nodejs)",
                )
            ]
        ) from None
    if result.returncode != 0:
        raise BuildError([_sass_error(result.stderr)])
    return result.stdout


def _sass_error(stderr: str) -> ContentError:
    """Sass's message, placed at the innermost frame in the site's own files."""
    start = re.search(r"(?m)^Error: ", stderr)
    report = stderr[start.start() :] if start else stderr  # warnings may come first
    lines = report.strip().splitlines()
    message = lines[0].removeprefix("Error: ") if lines else "Sass failed"
    for path, line, column in _SASS_FRAME.findall(report):
        if not path.startswith("node_modules"):
            return ContentError(
                path=path, line=int(line), column=int(column), message=f"Sass: {message}"
            )
    return ContentError(path=ENTRY, message=f"Sass: {message}")


def _publish_references(site_dir: Path, css: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Copy each USWDS file the CSS refers to under a hashed name and point the CSS at it."""
    dist = site_dir / USWDS / "dist"
    published: dict[str, str] = {}  # url as written -> url with hashed name
    files: list[tuple[str, bytes]] = []
    problems: list[ContentError] = []

    def replace(match: re.Match[str]) -> str:
        url = match.group(2)
        if not url or url.startswith(("data:", "#")) or "://" in url:
            return match.group(0)
        if url not in published:
            resolved = normpath(f"css/{url.split('?')[0].split('#')[0]}")
            source = dist / resolved
            if resolved.startswith("..") or not source.is_file():
                problems.append(
                    ContentError(
                        path=ENTRY,
                        message=f"the stylesheet refers to {url}, which @uswds/uswds does not have",
                        hint="refer to fonts and images under $theme-font-path/$theme-image-path",
                    )
                )
                return match.group(0)
            data = source.read_bytes()
            name = hashed_name(f"static/{resolved}", data)
            files.append((name, data))
            published[url] = "../" + name.removeprefix("static/")
        return f'url("{published[url]}")'

    rewritten = _URL.sub(replace, css)
    if problems:
        raise BuildError(problems)
    return rewritten, files
