"""What a page would load and run: its plain-HTTP assets, its inline scripts and its policy.

``insecure_assets`` finds mixed content in a fragment or page; ``page_problems`` says why a
planned HTML page is unsafe to publish. Pure functions on the page's text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from html.parser import HTMLParser

from advisory_site.core.csp import source_hash

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

    Most of a page is text and markup that cannot load anything, so rather than parsing all
    of it, the parser is fed from each place where such a tag starts, a '>' at a
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
