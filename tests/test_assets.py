"""The stylesheet step: USWDS compiled with the pinned Dart Sass, cached, hashed, self-hosted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisory_site.assets import CACHE, read_cache, write_cache
from advisory_site.cli import main
from tests.conftest import NOW_ISO, REPO, MakeSite, read_tree

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
    assert f'<link rel="stylesheet" href="/{css_path}">' in files["index.html"].decode()
    # nothing of USWDS but what the stylesheet refers to
    assert sorted(path for path in files if path.startswith("static/")) == [css_path, flag_path]


def test_unchanged_stylesheet_is_not_compiled_again(make_site: MakeSite) -> None:
    site = with_uswds(make_site({"assets/site.scss": SCSS}))
    build(site)
    (cached,) = (site / CACHE).iterdir()
    # Mark the cached CSS: the next build must publish it as it is, without running Sass.
    css = read_cache(cached)
    assert css is not None
    write_cache(cached, css + "/*from-cache*/")
    assert b"from-cache" in build(site)[only(read_tree(site / "_site"), r"static/css/.*")]
    (site / "assets/site.scss").write_text(SCSS + ".x { color: red; }\n", encoding="utf-8")
    files = build(site)
    assert b"from-cache" not in files[only(files, r"static/css/.*")]
    assert len(list((site / CACHE).iterdir())) == 2


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
