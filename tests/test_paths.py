"""No output path leaves the output folder; links out of the site folder are refused."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisory_site.core.errors import OutputError
from advisory_site.core.urls import alias_problem, output_path
from advisory_site.publish.output import path_problem, write_site
from advisory_site.source import symlinks
from tests.conftest import NOW_ISO, MakeSite, read_tree, release, run_cli


@dataclass(frozen=True)
class File:
    path: str
    data: bytes


@pytest.mark.parametrize(
    "alias",
    [
        "/news/../../etc/passwd",
        "/..",
        "/./news",
        "/news/./x",
        "//evil.example/x",
        "/\\evil.example",
        "/news\\..\\..\\x",
        "/.well-known/security.txt",
        "/.git/config",
        "/.htaccess",
        "/news//x",
        "/news/\uff0e\uff0e/\uff0e\uff0e/etc",  # fullwidth full stops
        "/news\uff0f..\uff0fetc",  # fullwidth solidus
        "/news\u2215..\u2215etc",  # division slash
        "/news/\u2024\u2024/x",  # one dot leader
        "/caf\u00e9/",
        "/a%2e%2e/x",
        "/news/x\x00y",
        "news/x",
        "/" + "a" * 101,
        "/" + "a/" * 201,
    ],
)
def test_dangerous_aliases_are_refused(alias: str) -> None:
    assert alias_problem(alias) != ""


@pytest.mark.parametrize(
    "alias", ["/news/2016/10/07/old-name", "/news/2016/10/07/old-name/", "/press/old_page.html"]
)
def test_plain_aliases_are_accepted(alias: str) -> None:
    assert alias_problem(alias) == ""
    assert path_problem(output_path(alias)) == ""


@pytest.mark.parametrize(
    "path",
    ["../x.html", "/etc/passwd", "a/../../x", "a//b", "./a", "a/./b", "a\\..\\b", "a\x00b", ""],
)
def test_the_writer_refuses_paths_that_leave_the_folder(tmp_path: Path, path: str) -> None:
    target = tmp_path / "out" / "_site"
    write_site(target, [File("index.html", b"previous")])
    with pytest.raises(OutputError, match="outside the output folder"):
        write_site(target, [File("index.html", b"next"), File(path, b"x")])
    assert read_tree(target) == {"index.html": b"previous"}
    # nothing was written beside the folder: the half-made one is the spare for the next build
    assert sorted(p.name for p in target.parent.iterdir()) == ["._site.spare", "_site"]


def test_the_writer_refuses_names_too_long_for_the_file_system(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="longer than 255 bytes"):
        write_site(tmp_path / "_site", [File("a/" + "é" * 128 + ".html", b"x")])


def test_an_overlong_alias_is_a_content_error(make_site: MakeSite) -> None:
    alias = "/news/" + "a" * 150
    site = make_site({"content/releases/a.md": release("Moved", aliases=f"[{alias}]")})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert (
        "content/releases/a.md:7:11: aliases[0]: a part of '/news/aaaa" in result.stderr
        and "is 150 characters long; the limit is 100" in result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("link", "folder"),
    [
        ("content/releases/secret.md", "file"),
        ("content/pages/passwd.md", "file"),
        ("templates/base.html", "file"),
        ("static/keys", "folder"),
        ("content/releases/2016", "folder"),
    ],
)
def test_links_out_of_the_site_are_refused(
    make_site: MakeSite, tmp_path: Path, link: str, folder: str
) -> None:
    site = make_site({"content/releases/a.md": release("Inside"), "static/site.css": "p {}"})
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text(release("SECRET-FROM-OUTSIDE"), encoding="utf-8")
    (site / link).unlink(missing_ok=True)
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside if folder == "folder" else secret)
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert (
        f"{link}: is a symbolic link that points outside the site folder "
        "(copy the file into the site instead of linking to it)"
    ) in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert not (site / "_site").exists()


def test_links_inside_the_site_are_followed(make_site: MakeSite) -> None:
    site = make_site({"content/shared/a.md": release("Shared")})
    (site / "content/releases/shared.md").symlink_to(site / "content/shared/a.md")
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert (site / "_site/news/2016/10/07/shared/index.html").is_file()


def test_a_link_loop_is_refused(make_site: MakeSite) -> None:
    site = make_site()
    loop = site / "content/releases/loop.md"
    loop.symlink_to(loop)
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert "content/releases/loop.md: is a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr


def test_control_characters_are_refused_with_their_place(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Fine") + "Bell\x07 here\n"})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "content/releases/a.md:9:5: the file contains the control character U+0007 "
        "(delete it; it is invisible in most editors)"
    )


def test_huge_values_give_short_one_line_messages(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Fine", date="'" + "9" * 5000 + "'")})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("content/releases/a.md:3:15: release_date: expected a date like")
    assert len(first) < 500


def test_the_link_scan_finds_what_os_walk_finds_in_its_order(tmp_path: Path) -> None:
    root = tmp_path / "content"
    for folder in ("b/z", "b/a", "a", "c/d/e"):
        (root / folder).mkdir(parents=True)
    for file in ("b/z/1.md", "b/a/2.md", "a/3.md", "c/d/e/4.md", "top.md"):
        (root / file).write_text("x", encoding="utf-8")
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "link.md").symlink_to(tmp_path / "nowhere")
    (root / "b" / "z" / "to-file.md").symlink_to(root / "top.md")
    (root / "b" / "linked-folder").symlink_to(outside)  # not walked into
    (root / "c" / "d" / "dangling").symlink_to(tmp_path / "missing")
    (root / "a" / "0-first.md").symlink_to(root / "a" / "3.md")
    expected = [
        Path(parent, name)
        for parent, folders, files in os.walk(root)
        for name in sorted([*folders, *files])
        if Path(parent, name).is_symlink()
    ]
    assert len(expected) == 4
    assert list(symlinks._links(root)) == expected


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            "content/pages/team/about.md",
            (
                "pages must sit directly in content/pages/, or in the folder of one of the "
                "site's other languages, not in another sub-folder"
            ),
        ),
        ("content/pages/News Room.md", "'News Room' cannot be a page name"),
        ("content/pages/news.md", "'news' cannot be a page name"),
    ],
)
def test_pages_are_named_for_their_url(make_site: MakeSite, page: str, message: str) -> None:
    site = make_site({page: "---\ntitle: About\n---\nText.\n"})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert f"{page}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
