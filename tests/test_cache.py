"""The build cache never changes the output: after every kind of edit, an incremental build is
byte for byte a clean build of the same content."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from advisory_site.commands.cli import main
from advisory_site.core.errors import ContentError
from advisory_site.core.models import Withdrawal
from advisory_site.engine.build import load_site
from advisory_site.engine.cache import cache_file, dumps, engine_digest, load_cache
from advisory_site.source.yamlload import Position
from tests.conftest import NOW, NOW_ISO, REPO, SITE_YAML, MakeSite, read_tree

T = TypeVar("T")
COUNT = 70  # enough files and pages for the work to be spread over worker processes


def numbered(number: int, *, body: str = "") -> str:
    return (
        "---\n"
        f"title: Release number {number}\n"
        f"release_date: 2016-{1 + number % 12:02d}-{1 + number % 28:02d}\n"
        f"topics: [{'cybersecurity' if number % 2 else 'election-security'}]\n"
        "agencies: [dhs]\n"
        "---\n"
        f"First paragraph of release {number}.\n\n## A heading\n\n- a list item\n\n{body}\n"
    )


@pytest.fixture(autouse=True)
def own_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("ADVISORY_SITE_CACHE_KEY", raising=False)


def clean_build(site: Path, scratch: Path) -> dict[str, bytes]:
    """The output of a clean build of a copy of ``site`` (no cache, no previous output)."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns(".cache", "_site"))
    assert main(["build", "--no-search", "--site", str(scratch), "--now", NOW_ISO]) == 0
    return read_tree(scratch / "_site")


def inodes(folder: Path) -> dict[str, int]:
    return {
        path.relative_to(folder).as_posix(): path.stat().st_ino
        for path in folder.rglob("*.html")
        if path.is_file()
    }


def replace_in(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_incremental_builds_equal_clean_builds(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site(
        {f"content/releases/2016/r{n}.md": numbered(n) for n in range(COUNT)},
        site_yaml=SITE_YAML.replace("page_size: 2", "page_size: 3"),
    )
    releases = site / "content" / "releases" / "2016"
    edits: list[tuple[str, Callable[[], object]]] = [
        ("nothing", lambda: None),
        ("add a release", lambda: (releases / "new.md").write_text(numbered(500))),
        ("change a body", lambda: replace_in(releases / "r7.md", "a list item", "an item")),
        ("change a title", lambda: replace_in(releases / "r8.md", "number 8", "number eight")),
        ("change a date", lambda: replace_in(releases / "r9.md", "2016-", "2015-")),
        ("rename a file", lambda: (releases / "r10.md").rename(releases / "renamed.md")),
        ("delete a release", (releases / "r11.md").unlink),
        (
            "make a draft",
            lambda: replace_in(releases / "r12.md", "agencies:", "draft: true\nagencies:"),
        ),
        (
            "change a template",
            lambda: replace_in(site / "templates" / "release.html", "Release Date:", "Released:"),
        ),
        (
            "change site.yaml",
            lambda: replace_in(site / "content" / "site.yaml", "Test Press Room", "Press Room"),
        ),
        (
            "rename a topic",
            lambda: replace_in(
                site / "content" / "site.yaml", "name: Cybersecurity", "name: Cyber Security"
            ),
        ),
        ("an empty body", lambda: (releases / "r13.md").write_text(numbered(13).split("First")[0])),
    ]
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    built_inodes = inodes(site / "_site")
    for number, (what, edit) in enumerate(edits):
        edit()
        cache_before = cache_file(site).stat().st_mtime_ns
        assert (
            main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO, "--verify-cache"])
            == 0
        ), what
        incremental = read_tree(site / "_site")
        assert incremental == clean_build(site, tmp_path / f"clean-{number}"), what
        now_inodes = inodes(site / "_site")
        kept = sum(built_inodes.get(path) == ino for path, ino in now_inodes.items())
        cache_saved = cache_file(site).stat().st_mtime_ns != cache_before
        assert cache_saved == (what != "nothing"), f"{what}: cache saved: {cache_saved}"
        if what == "nothing":
            assert kept == len(now_inodes), "a build with nothing changed rewrote pages"
        elif what in ("change a body", "delete a release"):
            assert 0 < kept < len(now_inodes), f"{what}: the cache was not used"
        built_inodes = now_inodes


def test_a_damaged_or_foreign_cache_is_ignored(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({f"content/releases/r{n}.md": numbered(n) for n in range(5)})
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    cache = cache_file(site)
    whole = cache.read_bytes()
    replace_in(site / "content" / "releases" / "r1.md", "release 1", "release one")
    expected = clean_build(site, tmp_path / "clean")
    damaged = {
        "truncated, as by a killed build": whole[: len(whole) // 2],
        "tampered with": whole[:-1] + bytes([whole[-1] ^ 1]),
        "empty": b"",
    }
    for what, data in damaged.items():
        cache.write_bytes(data)
        assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0, what
        assert read_tree(site / "_site") == expected, what
    # a cache signed with another user's key (as if committed to the repository) is not used
    cache.write_bytes(whole)
    shutil.rmtree(tmp_path / "user-cache")
    assert (
        main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO, "--verify-cache"]) == 0
    )
    assert read_tree(site / "_site") == expected


def test_verify_cache_reports_a_difference(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"content/releases/a.md": numbered(1)})
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    page = next((site / "_site" / "news").rglob("index.html"))
    # an output page edited in place behind the cache's back, keeping its size and time, is
    # reused by the incremental build: the verification must catch it
    stat = page.stat()
    page.write_bytes(page.read_bytes().replace(b"Release number 1", b"Release NUMBER 1"))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    capsys.readouterr()
    assert (
        main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO, "--verify-cache"]) == 1
    )
    relative = page.relative_to(site / "_site").as_posix()
    assert f"{relative}: differs from a clean build" in capsys.readouterr().err


def test_lint_findings_come_from_the_workers_and_the_cache(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """Releases are linted where they are loaded (worker processes) and their findings kept in
    the cache: a rebuild reports the very same warnings, and an edit updates them."""
    files = {f"content/releases/2016/r{n}.md": numbered(n) for n in range(COUNT)}
    files["content/releases/2016/r5.md"] = numbered(5).replace(
        "Release number 5", "URGENT RELEASE NUMBER FIVE"
    )
    files["content/releases/2016/r6.md"] = numbered(6, body="[click here](https://x.gov/)")
    site = make_site(files)
    command = ["build", "--no-search", "--site", str(site), "--now", NOW_ISO]

    def warnings() -> list[str]:
        assert main(command) == 0
        return [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]

    first = warnings()
    assert any("r5.md:2:8: warning: title: is written in capital letters" in w for w in first)
    assert any("r6.md" in w and "'click here'" in w for w in first)
    assert warnings() == first  # from the cache
    replace_in(site / "content/releases/2016/r6.md", "click here", "the advisory")
    assert [w for w in warnings() if "r6.md" in w] == []


def test_a_release_from_the_cache_is_reported_where_its_fields_stand(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release the cache gives back unchanged is checked against the others anew: its
    problems name the lines of its own file, as in a clean build."""
    files = {f"content/releases/2016/r{n}.md": numbered(n) for n in range(COUNT)}
    files["content/releases/2016/r0.md"] = numbered(0).replace(
        "agencies: [dhs]\n", "agencies: [dhs]\nsuperseded_by: /news/2016/02/02/r1/\n"
    )
    site = make_site(files)
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    (site / "content" / "releases" / "2016" / "r1.md").unlink()
    capsys.readouterr()
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) != 0
    assert "content/releases/2016/r0.md:6:16: superseded_by: no release" in capsys.readouterr().err


def round_trip(value: T) -> T:
    """``value`` through the engine's pickler (``cache.Pickler``), checked against plain pickle."""
    copy: T = pickle.loads(dumps(value))  # noqa: S301 - made just above
    assert copy == pickle.loads(pickle.dumps(value, protocol=5))  # noqa: S301 - as above
    return copy


def test_releases_and_findings_survive_pickling_whole() -> None:
    """Releases cross between processes and sit in the cache pickled (``cache.Pickler``)."""
    releases = load_site(REPO).releases
    assert any(release.updates for release in releases)
    withdrawn = dataclasses.replace(releases[0], withdrawal=Withdrawal(reason="An error", date=NOW))
    copies = round_trip((*releases, withdrawn))
    assert copies == (*releases, withdrawn)
    assert all(copy is not release for copy, release in zip(copies, releases, strict=False))
    with pytest.raises(dataclasses.FrozenInstanceError):
        copies[0].title = "Changed"  # type: ignore[misc]
    finding = ContentError(path="a.md", message="is wrong", line=3, column=2, hint="fix it")
    assert round_trip(finding) == finding
    assert round_trip(Position(4, 5)) == Position(4, 5)


def test_a_failed_build_leaves_no_half_written_cache(make_site: MakeSite) -> None:
    """A clean build writes the releases into a temporary cache file as it loads them: when a
    page then fails to render, that file goes, and the next build starts clean again."""
    site = make_site({f"content/releases/r{n}.md": numbered(n) for n in range(COUNT)})
    template = site / "templates" / "release.html"
    good = template.read_text()
    template.write_text(good.replace("{{ release.title }}", "{{ release.no_such_field }}", 1))
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) != 0
    assert not list((site / ".cache").iterdir())
    template.write_text(good)
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    assert [file.name for file in (site / ".cache").iterdir()] == [cache_file(site).name]
    assert (
        main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO, "--verify-cache"]) == 0
    )


def test_a_secret_key_makes_the_cache_good_on_another_machine(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site({f"content/releases/2016/r{n}.md": numbered(n) for n in range(3)})
    monkeypatch.setenv("ADVISORY_SITE_CACHE_KEY", "a repository secret")
    assert main(["build", "--no-search", "--site", str(site), "--now", NOW_ISO]) == 0
    engine = engine_digest()
    assert load_cache(site, engine) is not None
    # another runner: a user cache folder of its own, the same secret
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-runner"))
    assert load_cache(site, engine) is not None
    # without the secret (a fork's pull request), or with another one, it is not trusted
    monkeypatch.delenv("ADVISORY_SITE_CACHE_KEY")
    assert load_cache(site, engine) is None
    monkeypatch.setenv("ADVISORY_SITE_CACHE_KEY", "another secret")
    assert load_cache(site, engine) is None
