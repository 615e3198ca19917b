"""Secure defaults of the published site: CSP, security.txt, no mixed content, noopener."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory_site.core import htmlscan
from advisory_site.core.csp import content_security_policy, source_hash
from advisory_site.core.htmlscan import page_problems
from tests.conftest import NOW, NOW_ISO, REPO, SITE_YAML, MakeSite, read_tree, release, run_cli

SECURITY = """\
security:
  contact: [mailto:security@example.gov, https://www.example.gov/report/]
  policy: /vulnerability-disclosure/
"""
POLICY_PAGE = {"content/pages/vulnerability-disclosure.md": "---\ntitle: VDP\n---\nReport.\n"}


def build(site: Path) -> dict[str, bytes]:
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    return read_tree(site / "_site")


def html_pages(tree: dict[str, bytes]) -> dict[str, object]:
    return {
        path: html5lib.parse(data, namespaceHTMLElements=False)
        for path, data in tree.items()
        if path.endswith(".html")
    }


def test_every_page_has_a_strict_content_security_policy(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Moved", aliases="[/old/]")})
    pages = html_pages(build(site))
    assert "old/index.html" in pages  # redirect pages too
    for path, document in pages.items():
        metas = document.findall(".//meta[@http-equiv='Content-Security-Policy']")  # type: ignore[attr-defined]
        assert len(metas) == 1, path
        policy = metas[0].get("content")
        assert policy == content_security_policy(), path
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"  # Pagefind's search
        assert directives["object-src"] == "'none'"
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy


def test_aligned_table_cells_are_allowed_by_hash() -> None:
    policy = content_security_policy()
    for alignment in ("left", "center", "right"):
        assert source_hash(f"text-align:{alignment}") in policy


def test_an_inline_script_without_a_hash_fails_the_build(make_site: MakeSite) -> None:
    site = make_site()
    base = site / "templates/base.html"
    base.write_text(
        base.read_text().replace("</body>", "<script>track()</script>\n</body>"), "utf-8"
    )
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert re.search(
        r"^templates: index\.html: has an inline script that its Content-Security-Policy does "
        r"not allow; move it into static/, or pass its text to content_security_policy\(\) "
        r"\(and \d+ more pages\)$",
        result.stderr,
        re.MULTILINE,
    )
    assert not (site / "_site").exists()


def test_a_script_is_judged_by_its_first_type_as_browsers_do() -> None:
    page = '<script type="text/javascript" type="application/json">track()</script>'
    assert list(page_problems(page.encode())) != []
    data = '<script type="application/json" type="text/javascript">{"a": 1}</script>'
    assert list(page_problems(data.encode())) == []


def test_data_scripts_and_hashed_inline_scripts_are_allowed() -> None:
    script = "document.documentElement.className = 'js';"
    policy = content_security_policy([script])
    page = (
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
        f"<script>{script}</script><script src='/static/site.js'></script>"
    )
    assert list(page_problems(page.encode())) == []
    assert list(page_problems((page + "<script>other()</script>").encode())) != []


@pytest.mark.parametrize(
    "asset",
    [
        '<img src="&#104;ttp://a.example/e.png">',  # a character reference spells the scheme
        '<img src="ht\ttp://b.example/t.png">',  # browsers drop tabs and newlines in a URL
        "<link rel=stylesheet href='\nHTTP:\n//c.example/s.css'>",
        '<IMG ALT="東京" SRC=" http://d.example/é.png">',
    ],
)
def test_plain_http_assets_are_found_however_written(asset: str) -> None:
    page = f"<p>Plain text, no script, é.</p>{asset}<p>more</p>"
    assert [problem.split(" over ")[0] for problem in page_problems(page.encode())] == [
        f"loads {htmlscan.insecure_assets(asset)[0]}"
    ]


def test_header_recipe_in_security_md_matches_the_policy() -> None:
    text = (REPO / "SECURITY.md").read_text(encoding="utf-8")
    assert content_security_policy(header=True) in text


# -- security.txt -----------------------------------------------------------------------------


def test_security_txt_follows_rfc_9116(make_site: MakeSite) -> None:
    site = make_site(POLICY_PAGE, site_yaml=SITE_YAML + SECURITY)
    text = build(site)[".well-known/security.txt"].decode("utf-8")
    fields = [line.split(": ", 1) for line in text.splitlines()]
    assert fields == [
        ["Contact", "mailto:security@example.gov"],
        ["Contact", "https://www.example.gov/report/"],
        ["Expires", "2027-05-23T12:00:00Z"],
        ["Canonical", "https://www.example.gov/.well-known/security.txt"],
        ["Policy", "https://www.example.gov/vulnerability-disclosure/"],
        ["Preferred-Languages", "en"],
    ]
    expires = datetime.fromisoformat(dict(fields)["Expires"])
    assert expires == NOW + timedelta(days=180)
    assert NOW < expires < NOW + timedelta(days=365)  # RFC 9116 2.5.5: less than a year
    assert expires.tzinfo == UTC
    assert urlsplit(dict(fields)["Canonical"]).scheme == "https"
    assert text.endswith("\n") and "\r" not in text


def test_without_a_security_block_there_is_no_security_txt(make_site: MakeSite) -> None:
    assert ".well-known/security.txt" not in build(make_site())


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "security:\n  contact: security@example.gov\n  policy: /vulnerability-disclosure/\n",
            (
                "content/site.yaml:22:12: security.contact: 'security@example.gov' must start with "
                "mailto:, https:// or tel: (for example mailto:security@example.gov)"
            ),
        ),
        (
            "security:\n  contact: mailto:s@example.gov\n  policy: /missing/\n",
            (
                "content/site.yaml: security.policy: /missing/ is not a page of this site "
                "(add the page, such as content/pages/vulnerability-disclosure.md)"
            ),
        ),
        (
            "security:\n  policy: /vulnerability-disclosure/\n",
            (
                "content/site.yaml:22:3: security.contact: is required but missing "
                "(add a line 'contact: ...')"
            ),
        ),
        (
            "security:\n  contact: mailto:s@example.gov\n  expires_days: 400\n",
            "content/site.yaml:23:17: security.expires_days: must be between 1 and 365, got 400",
        ),
    ],
)
def test_security_block_mistakes(make_site: MakeSite, block: str, message: str) -> None:
    site = make_site(POLICY_PAGE, site_yaml=SITE_YAML + block)
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert message in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


# -- mixed content and links ------------------------------------------------------------------


def test_a_plain_http_image_in_a_body_is_an_error(make_site: MakeSite) -> None:
    text = release("Pictures") + "\nSee [the report](http://example.com/report).\n\n"
    text += "![Map](http://example.com/map.png)\n"
    site = make_site({"content/releases/a.md": text})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "content/releases/a.md:12:1: body: http://example.com/map.png would be loaded over "
        "plain HTTP (mixed content) (use its https:// address)"
    )
    assert "report" not in result.stderr  # links to http: pages are not mixed content


@pytest.mark.parametrize(
    "asset",
    [
        '<link rel="stylesheet" href="http://cdn.example.com/x.css">',
        '<script src="HTTP://cdn.example.com/x.js"></script>',
        (
            '<img src="https://a.example/1.png" srcset="https://a.example/2.png 2x, '
            'http://a.example/3.png 3x" alt="">'
        ),
    ],
)
def test_a_plain_http_asset_in_a_template_is_an_error(make_site: MakeSite, asset: str) -> None:
    site = make_site()
    base = site / "templates/base.html"
    base.write_text(base.read_text().replace("</head>", f"{asset}\n</head>"), "utf-8")
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert re.search(
        r"^templates: index\.html: loads http://\S+ over plain HTTP \(mixed content\); "
        r"use https:// \(and \d+ more pages\)$",
        result.stderr,
        re.IGNORECASE | re.MULTILINE,
    )
    assert not (site / "_site").exists()


def test_external_links_have_noopener(make_site: MakeSite) -> None:
    text = release("Links") + "\n[Partner](https://partner.example/) and [home](/news/).\n"
    site_yaml = SITE_YAML + "  - {label: USA.gov, url: https://www.usa.gov/}\n"
    site = make_site({"content/releases/a.md": text}, site_yaml=site_yaml)
    external = 0
    for path, document in html_pages(build(site)).items():
        for link in document.iter("a"):  # type: ignore[attr-defined]
            host = urlsplit(link.get("href", "")).netloc
            if host and host != "www.example.gov":
                external += 1
                assert "noopener" in link.get("rel", "").split(), (path, link.get("href"))
    assert external >= 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "footer_links:\n  - {label: Evil, url: //evil.example/}\n",
            "must be a site path (/about/) or an https:// address",
        ),
        (
            "footer_links:\n  - {label: Evil, url: '/\\evil.example/'}\n",
            "must be a site path (/about/) or an https:// address",
        ),
        (
            "agencies:\n  - {id: x, name: X, url: 'javascript:alert(1)'}\n",
            "'javascript:alert(1)' must be an https:// address",
        ),
    ],
)
def test_unsafe_site_links_are_refused(make_site: MakeSite, entry: str, message: str) -> None:
    key = entry.split(":", 1)[0]
    kept = re.sub(rf"^{key}:\n(?:  .*\n)*", "", SITE_YAML, flags=re.MULTILINE)
    site = make_site(site_yaml=kept + entry)
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert message in result.stderr


_PIECES = st.sampled_from(
    [
        '<img src="http://a/x.png">',
        "<IMG\nSRC=http://b/y.png>",
        "<img alt='it's' src=\"http://c/z.png\">",
        '<img title="a>b" src="http://d/q.png">',
        '<link rel="stylesheet" href="http://e/s.css">',
        '<link rel="alternate" href="http://f/feed.xml">',
        "<script>go()</script>",
        '<script src="http://g/app.js"></script>',
        '<script type="application/ld+json">{"a": "<img src=http://h/>"}</script>',
        '<script type="application/ld+json" src="http://t/d.json"></script>',
        "<script type=' Module '>m()</script>",
        "<SCRIPT TYPE=TEXT/PLAIN>",
        "<script>if (a > b) { c('</p>') }</scr" + "ipt >",
        '<meta http-equiv="Content-Security-Policy" content="script-src \'self\'">',
        "<!-- note -->",
        "<p>text &amp; more</p>",
        '<a href="http://i/">a link, not an asset</a>',
        "<imgx src=http://j/>",
        "<source srcset='https://k/a.png 1x, http://l/b.png 2x'>",
        "<script>",
        '<meta name="description" content="a>b">',
        "<meta http-equiv=content-security-policy content=\"script-src 'sha256-x'\">",
        '<img src="&#104;ttp://m/e.png">',
        '<img a=x" b="y>z" src=http://n/s.png>',
        "<link rel=icon href=http://o/i.ico>",
        '<img src="/local.png" alt="fine">',
        '<img src="ht\ttp://p/t.png">',
        '<IMG SRC=" HTTP://q/u.png">',
        "<link rel=stylesheet href='\nhttp://r/s.css'>",
        "é東 “",
        '<img alt="東" src="http://s/é.png">',
        '<meta http-equiv="Content-Security-Policy" content="script-src &#39;self&#39;">',
        "<img src=",
        "'",
        '"',
        ">",
        "<",
        " ",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_page_scan_matches_a_full_parse(page: str) -> None:
    """Parsing only where tags that matter start finds what parsing the whole page finds."""
    quick = htmlscan._scan(page.encode())
    whole = htmlscan._PageScanner()
    whole.feed(page)
    whole.close()
    assert set(whole.insecure) <= set(quick.insecure)
    assert set(whole.scripts) <= set(quick.scripts)
    assert set(whole.policies) <= set(quick.policies)
    if "<!--" not in page and "<script" not in page.lower():
        assert (quick.insecure, quick.scripts, quick.policies) == (
            whole.insecure,
            whole.scripts,
            whole.policies,
        )
