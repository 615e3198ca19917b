"""`advisory-site check-links`: every internal link and anchor of a built site resolves."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisory_site.commands.cli import main
from advisory_site.commands.linkcheck import check_links
from tests.conftest import NOW_ISO, REPO, run_cli


def write_tree(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


BROKEN_SITE = {
    "index.html": """\
        <!DOCTYPE html>
        <html><head>
        <link rel="canonical" href="https://www.example.gov/">
        <link rel="alternate" type="application/feed+json" href="https://www.example.gov/feed.json">
        <link rel="stylesheet" href="/static/site.css">
        </head><body>
        <a href="#main">Skip</a>
        <main id="main">
        <a href="/about/">About</a> <a href="about">About, relative</a>
        <a href="/about/#team">Team</a>
        <a href="/about/#nowhere">Nowhere</a>
        <a href="/news/missing/">Missing</a>
        <img src="/img/a.png" srcset="/img/a.png 1x, /img/b.png 2x" alt="">
        <a href="https://elsewhere.example/">Elsewhere</a> <a href="mailto:a@example.gov">Mail</a>
        </main>
        </body></html>
        """,
    "about/index.html": """\
        <!DOCTYPE html>
        <html><head><link rel="canonical" href="https://www.example.gov/about/"></head>
        <body><h2 id="team">Team</h2>
        <a href="../">Home</a> <a href="../index.html#main">Main</a> <a href="#top">Top</a>
        <a name="legacy"></a><a href="#legacy">Legacy anchor</a>
        </body></html>
        """,
    "feed.json": "{}",
    "rss.xml": "<rss/>",
    "atom.xml": "<feed/>",
    "sitemap.xml": "<urlset/>",
    "build-info.json": "{}",
    "static/site.css": "body {}",
    "img/a.png": "",
}


def test_broken_link_and_anchor_are_reported_with_file_and_line(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "_site", BROKEN_SITE)
    result = run_cli("check-links", str(site))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{site.as_posix()}/index.html: broken link to /about/#nowhere (line 11)",
        f"{site.as_posix()}/index.html: broken link to /news/missing/ (line 12)",
        f"{site.as_posix()}/index.html: broken link to /img/b.png (line 13)",
        (
            "3 broken links in 1 page; checked 17 internal links and anchors in 2 pages "
            "(base URL https://www.example.gov/); 2 external links counted, not fetched."
        ),
    ]


def test_a_site_without_broken_links_passes(tmp_path: Path) -> None:
    files = dict(BROKEN_SITE)
    files["index.html"] = (
        files["index.html"]
        .replace("#nowhere", "#legacy")
        .replace("/news/missing/", "/about/")
        .replace(", /img/b.png 2x", "")
    )
    site = write_tree(tmp_path / "_site", files)
    result = run_cli("check-links", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "No broken links: checked 16 internal links and anchors in 2 pages "
        "(base URL https://www.example.gov/); 2 external links counted, not fetched.\n"
    )


def test_links_must_stay_under_the_base_path_of_project_pages(tmp_path: Path) -> None:
    site = write_tree(
        tmp_path / "_site",
        {
            "index.html": """\
                <link rel="canonical" href="https://owner.github.io/repo/">
                <a href="/repo/about/">ok</a>
                <a href="about/">ok, relative</a>
                <a href="https://owner.github.io/repo/about/">ok, absolute</a>
                <a href="/about/">misses the base path</a>
                <a href="../../about/">climbs out of it</a>
                <a href="https://owner.github.io/other-repo/">another project: external</a>
                """,
            "about/index.html": "<p>About</p>",
        },
    )
    report = check_links(site)
    assert report.base_url == "https://owner.github.io/repo/"
    assert [(b.url, b.line) for b in report.broken] == [("/about/", 5), ("../../about/", 6)]
    assert report.external == 1  # another project on the same host is another site
    assert report.internal == 6  # the canonical link is one of them


def test_an_explicit_base_url_wins_over_the_canonical_links(tmp_path: Path) -> None:
    site = write_tree(
        tmp_path / "_site",
        {
            "index.html": '<link rel="canonical" href="https://a.example/"><a href="/x/">x</a>',
            "x/index.html": "",
        },
    )
    assert check_links(site).broken == ()
    assert [b.url for b in check_links(site, base_url="https://b.example/sub/").broken] == ["/x/"]


def test_redirect_pages_are_followed_through_meta_refresh(tmp_path: Path) -> None:
    site = write_tree(
        tmp_path / "_site",
        {
            "index.html": '<link rel="canonical" href="https://www.example.gov/">',
            "old/index.html": (
                '<meta http-equiv="refresh" content="0; url=https://www.example.gov/gone/">'
            ),
        },
    )
    assert [(b.file, b.url) for b in check_links(site).broken] == [
        ("old/index.html", "https://www.example.gov/gone/")
    ]


@pytest.mark.parametrize(
    "base_url", ["https://www.example.gov/", "https://owner.github.io/advisory-site/"]
)
def test_the_sample_site_has_no_broken_links(tmp_path: Path, base_url: str) -> None:
    output = tmp_path / "_site"
    assert (
        main(
            [
                "build",
                "--site",
                str(REPO),
                "--output",
                str(output),
                "--now",
                NOW_ISO,
                "--base-url",
                base_url,
            ]
        )
        == 0
    )
    report = check_links(output)
    assert report.base_url == base_url
    assert report.broken == ()
    assert report.pages > 30
    assert report.internal > 500


def test_a_missing_folder_is_wrong_usage(tmp_path: Path) -> None:
    result = run_cli("check-links", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "is not a folder; build the site first" in result.stderr
