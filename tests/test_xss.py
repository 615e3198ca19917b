"""A corpus of known XSS payloads (tests/xss/payloads.txt) in every field a pull request
controls, and in site.yaml's names: no payload survives as executable markup in any output file.

Files are parsed as a browser would (html5lib for HTML, lxml for XML feeds, json for JSON), so
a payload that is merely escaped text passes and one that became an element or attribute fails.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import html5lib
import pytest
from lxml import etree

from advisory_site.markdown.render import Renderer
from tests.conftest import NOW_ISO, SITE_YAML, MakeSite, read_tree, run_cli

PAYLOADS = tuple(
    line
    for line in (Path(__file__).parent / "xss" / "payloads.txt").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
)
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "data", "poster", "background", "cite", "srcset",
        "longdesc", "lowsrc", "dynsrc", "ping", "manifest", "icon", "codebase", "xlink:href",
    }
)  # fmt: skip
ACTIVE_ELEMENTS = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "base"})
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
HTML_IN_XML = frozenset({"description", "encoded", "content", "summary", "subtitle"})
URL_KEYS = frozenset(
    {"url", "external_url", "image", "banner_image", "icon", "favicon", "home_page_url",
     "feed_url", "avatar", "next_url"}
)  # fmt: skip


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def as_email(payload: str) -> str:
    """The payload shaped to pass the email check: no spaces, no '@', then a domain."""
    return re.sub(r"\s+", "/", payload).replace("@", "") + "@evil.example"


def payload_body(payload: str) -> str:
    """A body with the payload where Markdown takes it as markup."""
    return f"{payload}\n\nBefore {payload} after.\n\n- item {payload}\n\n> {payload}\n"


def xss_site(make_site: MakeSite, *, in_bodies: bool = False) -> Path:
    """Payloads in every field; in the bodies, as code (text), unless ``in_bodies``: a body
    with raw HTML that the sanitiser would change, images without alt text or files that do not
    exist is refused (test_payloads_in_bodies_are_refused_or_harmless)."""
    topics = "".join(
        f"  - {{id: t-{n}, name: {yaml_text(p)}, description: {yaml_text(p)}}}\n"
        for n, p in enumerate(PAYLOADS)
    )
    agencies = "".join(
        f"  - {{id: a-{n}, name: {yaml_text(p)}, short_name: {yaml_text(p[:20])}}}\n"
        for n, p in enumerate(PAYLOADS)
    )
    kinds = "".join(f"  - {{id: k-{n}, name: {yaml_text(p)}}}\n" for n, p in enumerate(PAYLOADS))
    site_yaml = re.sub(
        r"^(topics|agencies|kinds|footer_links):\n(?:  .*\n)*", "", SITE_YAML, flags=re.M
    )
    site_yaml += f"kinds:\n  - {{id: press-release, name: Press Release}}\n{kinds}"
    site_yaml += f"topics:\n{topics}agencies:\n{agencies}"
    site_yaml += f"footer_links:\n  - {{label: {yaml_text(PAYLOADS[0])}, url: /about/}}\n"
    site_yaml += f"  - {{label: {yaml_text(PAYLOADS[8])}, url: 'https://www.usa.gov/'}}\n"
    files = {}
    for n, payload in enumerate(PAYLOADS):
        day = f"2016-{1 + n // 28:02d}-{1 + n % 28:02d}"
        files[f"content/releases/r{n:03d}.md"] = (
            "---\n"
            f"title: {yaml_text(payload)}\n"
            f"slug: xss-{n}\n"
            f"release_date: {day}\n"
            f"kind: k-{n}\n"
            f"summary: {yaml_text(payload)}\n"
            f"distribution: {yaml_text(payload)}\n"
            f"contact: {{office: {yaml_text(payload)}, phone: 202-555-0100, "
            f"email: {yaml_text(as_email(payload))}}}\n"
            f"topics: [t-{n}]\n"
            f"agencies: [a-{n}]\n"
            f"updates: [{{date: {day}, note: {yaml_text(payload)}}}]\n"
            "---\n"
            + (payload_body(payload) if in_bodies else f"~~~~~~~~~~\n{payload}\n~~~~~~~~~~\n")
        )
    files["content/pages/about.md"] = (
        f"---\ntitle: {yaml_text(PAYLOADS[1])}\nsummary: {yaml_text(PAYLOADS[2])}\n---\n"
        + "\n\n".join(PAYLOADS if in_bodies else (f"`` {p} ``" for p in PAYLOADS if "`" not in p))
        + "\n"
    )
    return make_site(files, site_yaml=site_yaml)


# -- the checks -------------------------------------------------------------------------------


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def dangerous_url(value: str) -> bool:
    # browsers ignore leading spaces and controls, and tabs and newlines anywhere in a scheme
    squeezed = "".join(char for char in value if ord(char) > 0x20).lower()
    return squeezed.startswith(BAD_SCHEMES)


def csp_hashes(root: Any) -> set[str]:
    for meta in root.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "content-security-policy":
            return set(meta.get("content", "").replace(";", " ").split())
    return set()


def ours(script: Any, hashes: set[str]) -> bool:
    """Our own scripts: data blocks (JSON-LD), files of the site, inline code the CSP hashes."""
    kind = (script.get("type") or "").strip().lower()
    if kind == "application/ld+json":
        json.loads(script.text or "null")
        return True
    src = script.get("src")
    if src is not None:
        return src.startswith("/") and not src.startswith("//") and "evil" not in src
    digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest()).decode()
    return f"'sha256-{digest}'" in hashes


def markup_problems(root: Any, where: str, *, document: bool) -> Iterator[str]:
    hashes = csp_hashes(root) if document else set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tag = local(element.tag)
        if tag == "script" and not ours(element, hashes):
            yield f"{where}: <script> {element.get('src') or (element.text or '')[:40]!r}"
        if tag in ACTIVE_ELEMENTS:
            yield f"{where}: <{tag}>"
        if tag == "style" and re.search(r"(?i)url\(|expression|@import", element.text or ""):
            yield f"{where}: <style> loading {element.text!r}"
        refresh = (element.get("http-equiv") or "").lower() == "refresh"
        if tag == "meta" and refresh and "javascript" in (element.get("content") or "").lower():
            yield f"{where}: <meta content={element.get('content')!r}>"
        for name, value in element.attrib.items():
            attribute = local(name)
            if attribute.startswith("on"):
                yield f"{where}: <{tag} {attribute}=...>"
            if attribute == "srcdoc":
                yield f"{where}: <{tag} srcdoc=...>"
            if (attribute in URL_ATTRIBUTES or name.endswith("}href")) and dangerous_url(value):
                yield f"{where}: <{tag} {attribute}={value!r}>"
            if attribute == "style" and re.search(r"(?i)url\(|expression|javascript", value):
                yield f"{where}: <{tag} style={value!r}>"


def html_problems(data: str, where: str, *, document: bool = True) -> list[str]:
    if document:
        root = html5lib.parse(data, namespaceHTMLElements=False)
    else:
        root = html5lib.parseFragment(data, namespaceHTMLElements=False)
    problems = list(markup_problems(root, where, document=document))
    if document and re.search(r"(?i)<script[^>]*>\s*alert", data):
        problems.append(f"{where}: raw <script>alert")
    return problems


def xml_problems(data: bytes, where: str) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local(element.tag)
        # Atom text constructs are plain text unless type="html"; RSS descriptions are HTML
        atom = element.tag.startswith("{http://www.w3.org/2005/Atom}")
        kind = element.get("type", "text" if atom else "html")
        parent = element.getparent()
        if name == "description" and parent is not None and local(parent.tag) == "channel":
            kind = "text"  # an RSS channel's description is a phrase, not markup
        if name in HTML_IN_XML and kind != "text" and element.text:
            problems += html_problems(element.text, f"{where} <{name}>", document=False)
        if name in ("link", "guid", "id", "loc", "uri", "url") and dangerous_url(
            element.text or ""
        ):
            problems.append(f"{where}: <{name}>{element.text}")
        for attribute, value in element.attrib.items():
            if local(attribute) in ("href", "src", "url") and dangerous_url(value):
                problems.append(f"{where}: <{name} {attribute}={value!r}>")
    return problems


def json_problems(value: Any, where: str, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in json_problems(v, where, k)]
    if isinstance(value, list):
        return [p for v in value for p in json_problems(v, where, key)]
    if not isinstance(value, str):
        return []
    if key == "content_html":
        return html_problems(value, f"{where} {key}", document=False)
    if key in URL_KEYS and dangerous_url(value):
        return [f"{where} {key}: {value!r}"]
    return []


def search_problems(data: bytes, where: str) -> list[str]:
    """Pagefind fragments (gzip JSON) hold page text, checked as the HTML it becomes in a reader's
    browser: pagefind.js escapes < and > in ``content`` before marking the words of an excerpt
    (the only string search.js inserts as HTML); search.js writes ``meta`` values as text and
    ``url`` as a link, which must stay on the site."""
    fragment = json.loads(gzip.decompress(data).removeprefix(b"pagefind_dcd"))
    excerpt = fragment["content"].replace("<", "&lt;").replace(">", "&gt;")
    problems = html_problems(excerpt, where, document=False)
    if not fragment["url"].startswith("/"):
        problems.append(f"{where}: result link {fragment['url']!r} leaves the site")
    return problems


def output_problems(tree: dict[str, bytes]) -> tuple[list[str], int]:
    """Every problem in every file, and how many files were checked."""
    problems: list[str] = []
    checked = 0
    for path, data in tree.items():
        if path.endswith(".html"):
            problems += html_problems(data.decode("utf-8"), path)
        elif path.endswith(".xml"):
            problems += xml_problems(data, path)
        elif path.endswith(".json"):
            problems += json_problems(json.loads(data), path)
        elif path.startswith("pagefind/") and path.endswith(".pf_fragment"):
            problems += search_problems(data, path)
        else:
            continue
        checked += 1
    return problems, checked


# -- the tests --------------------------------------------------------------------------------


def test_no_payload_survives_in_any_output_file(make_site: MakeSite) -> None:
    site = xss_site(make_site)
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    tree = read_tree(site / "_site")
    problems, checked = output_problems(tree)
    assert problems == []
    assert checked > 4 * len(PAYLOADS)

    # the payloads did reach the pages, as text: the test is not passing on an empty site
    for number, payload in enumerate(PAYLOADS):
        page = tree[
            f"news/2016/{1 + number // 28:02d}/{1 + number % 28:02d}/xss-{number}/index.html"
        ]
        root = html5lib.parse(page, namespaceHTMLElements=False)
        assert "".join(root.find(".//h1").itertext()) == payload
        office = root.find(".//p[@class='office']")
        assert "".join(office.itertext()) == payload


@pytest.mark.parametrize(
    "page",
    [
        "<p><img src=x onerror=alert(1)></p>",
        "<script>alert(1)</script>",
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<img src="data:image/svg+xml;base64,AAAA">',
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
        "<iframe src=https://evil.example></iframe>",
        "<div style='background:url(javascript:alert(1))'>x</div>",
        '<script src="//evil.example/x.js"></script>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ],
)
def test_the_checker_finds_executable_markup(page: str) -> None:
    """The checks above can fail: each of these pages is caught."""
    assert html_problems(f"<!DOCTYPE html><html><body>{page}</body></html>", "x.html")


def test_the_checker_reads_feeds_and_json() -> None:
    rss = b"<rss><item><description>&lt;img src=x onerror=alert(1)&gt;</description></item></rss>"
    assert xml_problems(rss, "rss.xml")
    assert json_problems({"items": [{"content_html": "<svg onload=alert(1)>"}]}, "feed.json")
    assert json_problems({"items": [{"url": "javascript:alert(1)"}]}, "feed.json")
    escaped = b"<rss><item><description>&amp;lt;script&amp;gt;</description></item></rss>"
    assert xml_problems(escaped, "rss.xml") == []


def test_payloads_in_bodies_are_refused_or_harmless(make_site: MakeSite) -> None:
    """Raw payloads in bodies: a body whose image has no alt text, or refers to a file that does
    not exist, is refused with its place; every other one builds, and is harmless as published
    (the sanitiser is the wall)."""
    site = xss_site(make_site, in_bodies=True)
    result = run_cli("check", "--site", str(site))
    assert "Traceback" not in result.stderr
    refused = set(re.findall(r"^(content/\S+\.md):\d+:\d+: body: ", result.stderr, re.M))
    assert refused  # images without alt text are among the payloads
    for path in refused:
        text = (site / path).read_text(encoding="utf-8")
        head, _, body = text.partition("\n---\n")
        (site / path).write_text(f"{head}\n---\n~~~~~~~~~~\n{body}\n~~~~~~~~~~\n", "utf-8")
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    problems, checked = output_problems(read_tree(site / "_site"))
    assert problems == []
    assert checked > 4 * len(PAYLOADS)


def test_raw_html_the_sanitiser_would_change_is_refused() -> None:
    """Raw HTML that the sanitiser would remove or change is reported with its place (the
    build refuses it, above), so the published body is what was approved; what is not reported
    is harmless as published (the sanitiser is the second wall)."""
    renderer = Renderer()
    refused = 0
    for payload in PAYLOADS:
        rendered = renderer.render(payload_body(payload))
        refused += bool(rendered.problems)
        assert html_problems(rendered.html, payload, document=False) == []
    assert refused > len(PAYLOADS) // 2
