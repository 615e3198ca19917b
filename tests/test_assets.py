"""The stylesheet step: USWDS compiled with the pinned Dart Sass, cached, hashed, self-hosted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from advisory_site.commands.cli import main
from advisory_site.core.csp import source_hash
from advisory_site.site.assets import CACHE, read_cache, write_cache
from tests.conftest import NOW_ISO, REPO, SITE_YAML, MakeSite, read_tree

SCSS = """\
@use "uswds-core" as *;
.flag { background: url("#{$theme-image-path}/us_flag_small.png"); color: color("primary"); }
"""


def with_uswds(site: Path) -> Path:
    (site / "node_modules").symlink_to(REPO / "node_modules")
    return site


def build(site: Path) -> dict[str, bytes]:
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    return read_tree(site / "_site")


def only(files: dict[str, bytes], pattern: str) -> str:
    matches = [path for path in files if re.fullmatch(pattern, path)]
    assert len(matches) == 1, matches
    return matches[0]


def test_stylesheet_and_its_images_are_published_under_hashed_names(make_site: MakeSite) -> None:
    files = build(with_uswds(make_site({"assets/site.scss": SCSS})))
    css_path = only(files, r"static/css/site\.[0-9a-f]{10}\.css")
    flag_path = only(files, r"static/img/us_flag_small\.[0-9a-f]{10}\.png")
    css = files[css_path].decode()
    assert f'url("../{flag_path.removeprefix("static/")}")' in css
    assert "#005ea2" in css  # the USWDS primary colour token, resolved by Sass
    assert (
        files[flag_path]
        == (REPO / "node_modules/@uswds/uswds/dist/img/us_flag_small.png").read_bytes()
    )
    # nothing of USWDS but what the stylesheet refers to (and each page type's share of it)
    assert sorted(
        path for path in files if path.startswith("static/") and "/page." not in path
    ) == [css_path, flag_path]


PAGE_SCSS = """\
@use "uswds-core" as *;
.usa-banner__header-flag { background: url("#{$theme-image-path}/us_flag_small.png"); }
.not-in-any-template { color: red; }
.usa-footer { color: green; }
.search-filters { gap: 1px; }
@media (min-width: 40em) { .usa-header { color: blue; } }
@media print { .usa-banner { display: none; } }
@media (max-width: 39.99em) { .usa-logo { color: purple; } }
"""


def test_each_page_carries_the_css_it_uses_and_links_the_rest(make_site: MakeSite) -> None:
    yaml = SITE_YAML.replace("base_url: https://www.example.gov/", "base_url: https://x.gov/press/")
    files = build(with_uswds(make_site({"assets/site.scss": PAGE_SCSS}, site_yaml=yaml)))
    page = html.fromstring(files["index.html"])
    (style,) = page.xpath("//head/style/text()")
    flag = only(files, r"static/img/us_flag_small\.[0-9a-f]{10}\.png")
    # what a phone needs is inline; fonts and images by path, under the site's path
    assert f'url("/press/{flag}")' in style
    assert ".usa-footer{color:green}" in style
    assert "@media(max-width: 39.99em){.usa-logo{color:purple}}" in style  # phones only
    assert "not-in-any-template" not in style  # no template uses it
    assert "color:blue" not in style and "print" not in style
    # allowed by its hash, and by nothing looser
    (csp,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert source_hash(style) in csp and "unsafe-inline" not in csp
    # wider screens and print: linked, so that a phone does not wait for them
    (link,) = page.xpath("//link[@rel='stylesheet']")
    assert link.get("media") == "print, (min-width: 40em)"
    rest = files[link.get("href").removeprefix("/press/")].decode()
    assert "color:blue" in rest and "@media print" in rest and "color:green" not in rest
    # a template that never uses the search form's styles does not carry them
    assert "search-filters" not in style
    search_style = html.fromstring(files["search/index.html"]).xpath("//head/style/text()")[0]
    assert "search-filters" in search_style


def test_page_css_is_cached_and_follows_the_templates(make_site: MakeSite) -> None:
    site = with_uswds(make_site({"assets/site.scss": PAGE_SCSS}))
    build(site)
    cached = sorted((site / CACHE).glob("styles-*.json"))
    assert len(cached) == 1
    assert b"color:red" not in build(site)["index.html"]  # no template uses the class
    # a template that starts using it gets its rules on the next build, and only that one
    home = site / "templates" / "home.html"
    text = home.read_text(encoding="utf-8")
    home.write_text(
        text.replace("{% block main %}", '{% block main %}<p class="not-in-any-template">', 1),
        encoding="utf-8",
    )
    files = build(site)
    assert len(list((site / CACHE).glob("styles-*.json"))) == 2
    assert b".not-in-any-template{color:red}" in files["index.html"]
    assert b"color:red" not in files["404.html"]


def test_unchanged_stylesheet_is_not_compiled_again(make_site: MakeSite) -> None:
    site = with_uswds(make_site({"assets/site.scss": SCSS}))
    build(site)
    (cached,) = (site / CACHE).glob("site-*.css")
    # Mark the cached CSS: the next build must publish it as it is, without running Sass.
    css = read_cache(cached)
    assert css is not None
    write_cache(cached, css + "/*from-cache*/")
    assert b"from-cache" in build(site)[only(read_tree(site / "_site"), r"static/css/.*")]
    (site / "assets/site.scss").write_text(SCSS + ".x { color: red; }\n", encoding="utf-8")
    files = build(site)
    assert b"from-cache" not in files[only(files, r"static/css/.*")]
    assert len(list((site / CACHE).glob("site-*.css"))) == 2


def test_missing_node_modules_is_a_clear_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"assets/site.scss": SCSS})
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    err = capsys.readouterr().err
    assert err.startswith("assets/site.scss: the U.S. Web Design System and Dart Sass are not")
    assert "(run npm ci in the site folder)" in err
    assert "Traceback" not in err
    assert not (site / "_site").exists()


def test_sass_error_names_file_and_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = with_uswds(make_site({"assets/site.scss": SCSS + '.broken { color: color("nope"); }\n'}))
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    err = capsys.readouterr().err
    assert err.startswith("assets/site.scss:3:"), err
    assert "Sass:" in err and "Traceback" not in err


def test_reference_to_a_missing_uswds_file_is_an_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = with_uswds(make_site({"assets/site.scss": '.x { background: url("../img/nope.png"); }'}))
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    assert "refers to ../img/nope.png, which @uswds/uswds does not have" in capsys.readouterr().err


def test_site_without_scss_has_no_stylesheet(make_site: MakeSite) -> None:
    files = build(make_site())
    assert not any(path.startswith("static/") for path in files)
    assert 'rel="stylesheet"' not in files["index.html"].decode()
