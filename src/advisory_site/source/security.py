"""What keeps the published site safe: the Content-Security-Policy, security.txt (RFC 9116),
the refusal of plain-HTTP assets and inline scripts without a hash, and of symbolic links that
lead out of the site folder. Pure functions, except ``outside_links`` which reads the folder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from advisory_site.core.errors import ContentError
from advisory_site.core.models import SecurityPolicy, SiteConfig
from advisory_site.source.fields import FieldReader

SECURITY_TXT = ".well-known/security.txt"
LINKED_FOLDERS = ("content", "templates", "locales", "static")
DEFAULT_EXPIRES_DAYS = 180
MAX_EXPIRES_DAYS = 365  # RFC 9116 section 2.5.5: "less than a year into the future"

# The only inline style attributes the body sanitiser keeps (table cell alignment), as nh3
# writes them; their hashes let them apply without allowing any other inline style.
ALLOWED_STYLE_ATTRIBUTES = tuple(
    f"text-align:{value}" for value in ("left", "center", "right", "justify")
)
_EXECUTABLE_TYPES = frozenset(
    {"", "module", "text/javascript", "application/javascript", "application/ecmascript"}
)
# (element, attribute) pairs whose URL the browser loads into the page: over plain HTTP they are
# mixed content (blocked or warned about) and let anyone on the network change the page.
_ASSET_ATTRIBUTES = frozenset(
    {
        ("img", "src"),
        ("img", "srcset"),
        ("source", "src"),
        ("source", "srcset"),
        ("script", "src"),
        ("iframe", "src"),
        ("audio", "src"),
        ("video", "src"),
        ("video", "poster"),
        ("track", "src"),
        ("embed", "src"),
        ("object", "data"),
        ("input", "src"),
        ("link", "href"),
    }
)
ASSET_TAGS = frozenset(tag for tag, _ in _ASSET_ATTRIBUTES)
"""The elements that can load something into a page (see ``insecure_assets``)."""
_LOADED_LINKS = frozenset({"stylesheet", "icon", "preload", "modulepreload", "manifest"})
# Where a tag that matters can start (an element that loads something, runs or carries a
# policy), matched in the lowercased page. (HTMLParser ends a tag name at whitespace, '/', '>' or
# NUL.) A plainly written one (quoted values, or unquoted ones without quotes or '=<>`') is
# matched whole as "plain": HTMLParser ends such a tag where the match ends, so what it holds can
# be judged from its text. The '<' leads, outside the alternatives: the regular expression engine
# then jumps from '<' to '<'.
_TAG_NAMES = "|".join(sorted(ASSET_TAGS | {"meta"}))
_TAG_START = re.compile(
    rb"<(?P<name>"
    + _TAG_NAMES.encode()
    + rb")(?=[\s/>\x00])"
    + rb"(?P<plain>(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?>)?"
)
# What a browser ignores in a URL: C0 controls and spaces around it, tabs and newlines anywhere.
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_IGNORED = re.compile(r"[\t\n\r]")


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
    framing). ``image_hosts`` (site.yaml's, https:// origins) are the only other hosts images may
    come from; without them, any https: host.
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
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


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


# -- security.txt ---------------------------------------------------------------------------


def read_security(reader: FieldReader) -> SecurityPolicy | None:
    """The optional ``security:`` block of site.yaml, from which security.txt is made."""
    block = reader.mapping("security")
    if block is None:
        return None
    block.check_keys(("contact", "policy", "expires_days", "preferred_languages"))
    contacts = []
    for index, contact in block.text_list("contact"):
        if not contact.startswith(("mailto:", "https://", "tel:")):
            where, key = (block.nested("contact"), index) if index >= 0 else (block, "contact")
            where.error(
                key,
                f"'{contact}' must start with mailto:, https:// or tel:",
                "for example mailto:security@example.gov",
            )
        contacts.append(contact)
    if not block.has("contact"):
        block.missing("contact")
    policy = block.text("policy")
    if policy and not (policy.startswith("https://") or _is_site_path(policy)):
        block.error("policy", f"'{policy}' must be a site path (/vulnerability-disclosure/)")
    return SecurityPolicy(
        contacts=tuple(contacts),
        policy=policy,
        expires_days=block.integer(
            "expires_days", default=DEFAULT_EXPIRES_DAYS, maximum=MAX_EXPIRES_DAYS
        ),
        preferred_languages=block.text("preferred_languages"),
    )


def _is_site_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def security_txt(config: SiteConfig, now: datetime, ledger_key: str = "") -> bytes:
    """/.well-known/security.txt (RFC 9116); Expires is ``expires_days`` after ``now``.

    ``ledger_key`` (the id of the key that signs /ledger.json) is given in comments, so that a
    reader can check the ledger's key against a second source.
    """
    policy = config.security
    assert policy is not None
    expires = (now.astimezone(UTC) + timedelta(days=policy.expires_days)).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in policy.contacts]
    lines.append(f"Expires: {expires.isoformat().replace('+00:00', 'Z')}")
    lines.append(f"Canonical: {config.absolute('/' + SECURITY_TXT)}")
    if policy.policy:
        url = policy.policy
        lines.append(f"Policy: {config.absolute(url) if _is_site_path(url) else url}")
    lines.append(f"Preferred-Languages: {policy.preferred_languages or config.language}")
    if ledger_key:
        lines += [
            "",
            f"# {config.absolute('/ledger.json')} lists every published release; it is signed",
            f"# ({config.absolute('/ledger.json.sig')}) with this Ed25519 public key",
            f"# ({config.absolute('/ledger-key.pem')}); check a text with `advisory-site verify`",
            f"# or at {config.absolute('/verify/')}.",
            f"# Ledger-Public-Key: {ledger_key}",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- checks of the planned output -----------------------------------------------------------


class _PageScanner(HTMLParser):
    """Collects a page's CSP, its inline executable scripts and its plain-HTTP assets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.policies: list[str] = []
        self.scripts: list[str] = []
        self.insecure: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = _first_values(attrs)
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.policies.append(values.get("content", ""))
        for name, value in values.items():
            if (tag, name) in _ASSET_ATTRIBUTES:
                self.insecure.extend(_plain_http_urls(tag, name, values, value))
        if tag == "script" and "src" not in values and _is_javascript(values):
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)


def _is_javascript(script: dict[str, str]) -> bool:
    """Whether a script element's type makes browsers run it (else it is a data block)."""
    return script.get("type", "").strip().lower() in _EXECUTABLE_TYPES


def _first_values(attrs: list[tuple[str, str | None]]) -> dict[str, str]:
    """A tag's attributes by name; of a name written twice, the first, as browsers read it."""
    values: dict[str, str] = {}
    for name, value in attrs:
        values.setdefault(name, value or "")
    return values


def _plain_http_urls(tag: str, name: str, attrs: dict[str, str], value: str) -> list[str]:
    if tag == "link" and not _LOADED_LINKS & set(attrs.get("rel", "").lower().split()):
        return []  # rel=alternate, canonical, ... are links, not loaded assets
    # srcset is "url 1x, url 2x"
    urls = [(part.split() or [""])[0] for part in value.split(",")] if name == "srcset" else [value]
    return [url.strip() for url in urls if _scheme_text(url).startswith("http:")]


def _scheme_text(url: str) -> str:
    """``url`` as a browser reads its scheme: "ht\ttp:" and " HTTP:" are both "http:"."""
    return _URL_IGNORED.sub("", url.strip(_URL_EDGES)).lower()


def _scan(page: bytes) -> _PageScanner:
    """The page's policies, inline scripts and plain-HTTP assets (``page`` is UTF-8).

    Parsing a whole page in Python costs milliseconds, most of it text and markup that cannot
    load anything. So the parser is fed from each place where such a tag starts, a '>' at a
    time, until it is back to plain text (the tag complete, a script closed), which is exactly
    what it would do there reading the whole page. A place inside a comment or an attribute
    value, which the whole page's parse would skip, makes the check stricter, never laxer
    (every policy found must allow a script). The places are found in the page's bytes,
    lowercased: decoding or lowercasing the whole text would cost more than the rest. A chunk
    from '<' to '>' is whole characters, so each decodes on its own.
    """
    scanner = _PageScanner()
    lowered = page.lower()  # ASCII letters only, as HTML's tag and attribute names
    done = 0
    for start in _TAG_START.finditer(lowered):
        if start.start() < done:
            continue  # inside the chunk just parsed
        done = start.start()
        name, plain = start.group("name", "plain")
        if plain is not None and name != b"script":
            tag = start.group()
            if name == b"meta":
                harmless = b"http-equiv" not in tag
            else:  # a character reference could spell 'http:'; browsers read "ht<tab>tp:" so
                harmless = not (
                    b"http:" in tag or b"&" in tag or b"\t" in tag or b"\n" in tag or b"\r" in tag
                )
            if not harmless:
                policies, insecure = _tag_findings(page[done : start.end()])
                scanner.policies.extend(policies)
                scanner.insecure.extend(insecure)
            done = start.end()
            continue
        if plain is not None and _opens_data_block(page[done : start.end()]):
            # JSON-LD, say: it neither loads nor runs. Its content is read on as text, where a
            # tag start found makes the check stricter, never laxer.
            done = start.end()
            continue
        while True:
            close = page.find(b">", done)
            if close < 0:
                scanner.feed(page[done:].decode("utf-8"))
                done = len(page)
                break
            scanner.feed(page[done : close + 1].decode("utf-8"))
            done = close + 1
            if not scanner.rawdata and scanner.cdata_elem is None:
                break
    scanner.close()
    return scanner


@functools.lru_cache(maxsize=64)
def _opens_data_block(tag: bytes) -> bool:
    """Whether a plainly written script start tag opens a data block: a type that is not
    JavaScript's, and no src (parsed once: every release page has the same JSON-LD tag)."""
    opening = _StartTag()
    opening.feed(tag.decode("utf-8"))
    attributes = opening.attributes
    return attributes is not None and "src" not in attributes and not _is_javascript(attributes)


class _StartTag(HTMLParser):
    """The attributes of the first start tag fed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.attributes is None:
            self.attributes = _first_values(attrs)


@functools.lru_cache(maxsize=256)
def _tag_findings(tag: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The policies and plain-HTTP assets of one plainly written start tag (not a script's),
    parsed once: every page repeats the same policy, which is costly to unescape."""
    scanner = _PageScanner()
    scanner.feed(tag.decode("utf-8"))
    scanner.close()
    return tuple(scanner.policies), tuple(scanner.insecure)


def insecure_assets(fragment: str) -> list[str]:
    """The plain-HTTP URLs an HTML fragment or page would load (images, scripts, styles...)."""
    return _scan(fragment.encode("utf-8")).insecure


def page_problems(data: bytes) -> Iterator[str]:
    """Why a planned HTML page is unsafe to publish: mixed content, unhashed inline scripts."""
    scanner = _scan(data)
    for url in scanner.insecure:
        yield f"loads {url} over plain HTTP (mixed content); use https://"
    policies = [policy.replace(";", " ").split() for policy in scanner.policies]
    for script in scanner.scripts:
        allowed = bool(policies) and all(source_hash(script) in policy for policy in policies)
        if not allowed:
            yield (
                "has an inline script that its Content-Security-Policy does not allow; "
                "move it into static/, or pass its text to content_security_policy()"
            )


# -- the site folder ------------------------------------------------------------------------


def outside_links(site_dir: Path) -> list[ContentError]:
    """Symbolic links in content/, templates/ and static/ that lead out of the site folder.

    A pull request can add a link to /etc/passwd or ~/.ssh/id_rsa as easily as a release;
    following it would publish that file.
    """
    root = site_dir.resolve()
    errors = []
    for folder in LINKED_FOLDERS:
        for link in _links(site_dir / folder):
            relative = link.relative_to(site_dir).as_posix()
            try:
                target = link.resolve(strict=False)
            except (OSError, RuntimeError):
                target = None
            if target is None or not target.is_relative_to(root):
                errors.append(
                    ContentError(
                        path=relative,
                        message="is a symbolic link that points outside the site folder",
                        hint="copy the file into the site instead of linking to it",
                    )
                )
    return errors


def _links(folder: Path) -> Iterator[Path]:
    if folder.is_symlink():
        yield folder
        return
    yield from _walk_links(str(folder))


def _walk_links(folder: str) -> Iterator[Path]:
    """The symbolic links in ``folder`` and below, in the order of ``os.walk`` (each folder's
    by name, then its subfolders'), from the directory listings alone: an lstat of each of
    thousands of files took a tenth of a second."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in sorted(entries, key=lambda entry: entry.name):
        if entry.is_symlink():
            yield Path(entry.path)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_links(entry.path)
