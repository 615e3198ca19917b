"""Destructive faults: two builds of one folder at once, an output folder over the sources, an
incomplete folder about to be published. The published site and the sources always survive.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from advisory_site.core.errors import OutputError
from advisory_site.publish.output import (
    Deferred,
    missing_required,
    output_lock,
    retired_prefix,
    staging_prefix,
    write_new,
    write_site,
)
from tests.conftest import (
    NOW_ISO,
    REPO,
    SRC,
    MakeSite,
    comparable_tree,
    read_tree,
    release,
    run_cli,
)

ROUNDS = 8  # pairs of builds started at once
RELEASES = 60


def build_args(site: Path, output: Path, *extra: str) -> list[str]:
    return [
        *("build", "--site", str(site), "--output", str(output)),
        *("--now", NOW_ISO, "--no-search", *extra),
    ]


def start(*command: str) -> subprocess.Popen[str]:
    """Start a Python process (``-m advisory_site ...`` or ``-c ...``) with the engine."""
    return subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )


def many_releases(make_site: MakeSite, count: int) -> Path:
    """A site of ``count`` releases whose links all resolve (its about page, the static files)."""
    first = date(2016, 1, 1)
    site = make_site(
        {
            f"content/releases/r{number:04d}.md": release(
                f"Release number {number}", date=(first + timedelta(days=number * 2)).isoformat()
            )
            for number in range(count)
        }
        | {"content/pages/about.md": "---\ntitle: About\n---\nAbout us.\n"}
    )
    shutil.copytree(REPO / "static", site / "static")
    return site


def leftovers(output: Path) -> list[str]:
    names = (staging_prefix(output), retired_prefix(output))
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(names))


def test_two_builds_at_once_never_publish_an_incomplete_site(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = many_releases(make_site, RELEASES)
    reference = tmp_path / "reference" / "_site"
    assert run_cli(*build_args(site, reference)).returncode == 0
    expected = comparable_tree(reference)
    output = tmp_path / "out" / "_site"
    waited = 0
    for round_number in range(ROUNDS):
        if round_number % 2:  # now and then a build starts from an empty output folder
            for path in output.parent.glob("*"):
                if path.is_dir():
                    subprocess.run(["rm", "-rf", str(path)], check=True)
        first = start("-m", "advisory_site", *build_args(site, output))
        second = start("-m", "advisory_site", *build_args(site, output))
        results = [process.communicate(timeout=600) for process in (first, second)]
        for process, (stdout, stderr) in zip((first, second), results, strict=True):
            assert process.returncode == 0, stderr
            assert "Traceback" not in stderr
            assert stdout.startswith("Built ")
        waited += sum("Another build (process" in stderr for _, stderr in results)
        assert missing_required(output) == []
        assert comparable_tree(output) == expected
        assert leftovers(output) == []
        checked = run_cli("check-links", str(output))
        assert checked.returncode == 0, checked.stderr
    assert waited >= ROUNDS // 2, "the builds did not overlap: nothing was tested"


def hold_lock(output: Path) -> subprocess.Popen[str]:
    """Another process that holds the lock of ``output`` until killed (a build in its write
    phase, frozen there)."""
    holder = start(
        "-c",
        "import time, pathlib; from advisory_site.publish.output import output_lock\n"
        f"with output_lock(pathlib.Path({str(output)!r})):\n"
        "    print('locked', flush=True); time.sleep(600)",
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    return holder


def test_a_build_that_cannot_wait_says_another_build_is_running(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = many_releases(make_site, 3)
    output = tmp_path / "_site"
    assert run_cli(*build_args(site, output)).returncode == 0
    before = read_tree(output)
    holder = hold_lock(output)
    try:
        busy = (
            f"another build (process {holder.pid}) is writing into {output}; nothing was "
            "changed (run this build again when that one has finished)\n"
        )
        at_once = run_cli(*build_args(site, output, "--wait", "0"))
        assert (at_once.returncode, at_once.stdout) == (1, "")
        assert at_once.stderr == "error: " + busy
        started = time.monotonic()
        waited = run_cli(*build_args(site, output, "--wait", "1.5"))
        assert time.monotonic() - started >= 1.5
        assert (waited.returncode, waited.stdout) == (1, "")
        assert waited.stderr == (
            f"Another build (process {holder.pid}) is writing into {output}; waiting up to 1.5 s "
            "for it to finish.\nerror: " + busy
        )
        assert read_tree(output) == before
    finally:
        holder.kill()
        holder.communicate()
    # the system releases the lock of a process that dies, however it dies
    after = run_cli(*build_args(site, output, "--wait", "0"))
    assert after.returncode == 0, after.stderr


def test_a_lock_in_this_process_excludes_a_second_one(tmp_path: Path) -> None:
    output = tmp_path / "_site"
    with (
        output_lock(output),
        pytest.raises(OutputError, match="is writing into"),
        output_lock(output, wait=0),
    ):
        pass
    with output_lock(output, wait=0):
        pass


# -- an incomplete folder is never swapped in ---------------------------------------------------


def write_both(staging: Path) -> None:
    write_new(staging, "a.html", b"1")
    write_new(staging, "b/index.html", b"2")


def write_one(staging: Path) -> None:
    write_new(staging, "a.html", b"3")  # a worker lost b/index.html


def test_a_staging_folder_missing_planned_files_is_not_swapped_in(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    planned = [Deferred("a.html"), Deferred("b/index.html")]
    write_site(target, planned, write_deferred=write_both)
    before = read_tree(target)
    with pytest.raises(OutputError) as raised:
        write_site(target, planned, write_deferred=write_one)
    assert str(raised.value) == (
        f"cannot write the site into {target}: the new site lacks 1 of its 2 planned files "
        "(b/index.html); the previous site was left as it was"
    )
    assert read_tree(target) == before


# -- check-links (the deploy's gate) refuses an incomplete site ---------------------------------


def test_check_links_refuses_a_site_without_its_required_files(tmp_path: Path) -> None:
    folder = tmp_path / "_site"
    (folder / "pagefind").mkdir(parents=True)
    (folder / "pagefind" / "pagefind.js").write_text("", encoding="utf-8")
    result = run_cli("check-links", str(folder))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{folder}: not a complete site: index.html, build-info.json, rss.xml, atom.xml, "
        "feed.json, sitemap.xml missing; build it again (advisory-site build) before checking "
        "or publishing it\n"
    )


# -- output folders never overlap the sources ---------------------------------------------------


@pytest.fixture
def git_site(make_site: MakeSite) -> Iterator[Path]:
    """A site in a Git repository with an uncommitted edit of a page."""
    site = make_site(
        {
            "content/releases/2016/a.md": release("A release"),
            "content/pages/about.md": "---\ntitle: About\n---\nAbout us.\n",
            "static/robots-extra.txt": "hello\n",
        }
    )
    git = ["git", "-C", str(site), "-c", "user.name=t", "-c", "user.email=t@example.gov"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "site"], check=True)
    (site / "content" / "pages" / "about.md").write_text(
        "---\ntitle: About\n---\nAbout us, edited and not committed.\n", encoding="utf-8"
    )
    yield site


def whole_tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (folders as None), hidden ones and .git included."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (".", "--output {output} would replace the site folder {site} (the site's sources)"),
        ("..", "--output {output} would replace the site folder {site} (the site's sources)"),
        ("content", "--output {output} would replace content/ {site}/content (the site's sources)"),
        ("content/pages", "--output {output} is inside the site's content/ folder {site}/content"),
        (
            "templates",
            "--output {output} would replace templates/ {site}/templates (the site's sources)",
        ),
        ("static/x", "--output {output} is inside the site's static/ folder {site}/static"),
        (".git", "--output {output} is inside a Git repository's .git folder"),
        (".git/objects", "--output {output} is inside a Git repository's .git folder"),
        (
            "content/../content/pages",
            "--output {output} is inside the site's content/ folder {site}/content",
        ),
    ],
)
def test_an_output_folder_over_the_sources_is_refused(
    git_site: Path, output: str, message: str
) -> None:
    site = git_site
    before = whole_tree(site.parent)
    for _ in range(2):  # the second run is the one that used to delete the first's sources
        result = run_cli("build", "--output", output, "--now", NOW_ISO, "--no-search", cwd=site)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == (
            "advisory-site: error: "
            + message.format(output=output, site=site.resolve())
            + "; choose another output folder, such as _site\n"
        )
    assert whole_tree(site.parent) == before
    status = subprocess.run(
        ["git", "-C", str(site), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == " M content/pages/about.md\n"


def test_a_folder_no_build_made_is_not_replaced(git_site: Path) -> None:
    (git_site / "notes").mkdir()
    (git_site / "notes" / "todo.txt").write_text("keep me\n", encoding="utf-8")
    before = whole_tree(git_site.parent)
    result = run_cli("build", "--output", "notes", "--now", NOW_ISO, cwd=git_site)
    assert result.returncode == 2
    assert result.stderr == (
        "advisory-site: error: --output notes is a folder with files that no build made (it "
        "has no build-info.json); a build replaces its output folder whole; choose another "
        "output folder, such as _site\n"
    )
    assert whole_tree(git_site.parent) == before


def test_an_output_folder_beside_the_sources_is_built(git_site: Path) -> None:
    for _ in range(2):
        result = run_cli(
            "build", "--output", "public", "--now", NOW_ISO, "--no-search", cwd=git_site
        )
        assert result.returncode == 0, result.stderr
    assert missing_required(git_site / "public") == []
