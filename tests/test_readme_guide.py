"""The README's press officer's guide works exactly as written, in a fresh copy of the site.

Every line of the guide's ``sh`` blocks is run with bash, unchanged, in a copy of the
repository that has the set-up's ``.venv`` and ``node_modules``; ``serve`` is started, asked for
the home page and the new release's page, and stopped with Ctrl-C. The release template of the
GitHub route is checked and built the way the pull request's check does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
LEFT_OUT = (
    "_site",
    "_site.*",
    "._site.*",
    ".cache",
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
)
LEFT_OUT_TOO = ("*_cache", ".hypothesis", "test-artifacts", "*.egg-info")


def section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    ends = [
        match.start()
        for match in re.finditer(r"\n(#+) ", text[start + 1 :])
        if len(match.group(1)) <= len(level)
    ]
    return text[start + 1 : start + 1 + ends[0]] if ends else text[start + 1 :]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


GUIDE = section(README, "## Press officer's guide")
COMMANDS = [line for block in blocks(GUIDE, "sh") for line in block.splitlines() if line.strip()]


def fresh_copy(tmp_path: Path) -> Path:
    """The repository as a clone has it, plus the set-up's virtual environment and npm packages."""
    copy = tmp_path / "site"
    shutil.copytree(
        REPO, copy, ignore=shutil.ignore_patterns(*LEFT_OUT, *LEFT_OUT_TOO), symlinks=True
    )
    (copy / ".venv").symlink_to(REPO / ".venv")
    (copy / "node_modules").symlink_to(REPO / "node_modules")
    return copy


def run(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        check=False,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_serve(command: str, folder: Path, paths: list[str]) -> dict[str, object]:
    """Runs a `serve` line in its own network namespace when the system allows one."""
    runner = [sys.executable, "-m", "tests.guide_serve"]
    isolated = shutil.which("unshare") and run("unshare -rn true", folder).returncode == 0
    if isolated:  # port 8000 is then free even on a machine shared with other previews
        runner = ["unshare", "-rn", *runner, "--loopback-up"]
    done = subprocess.run(
        [*runner, command, *paths],
        check=False,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_the_guide_uses_only_commands_that_work_after_the_set_up() -> None:
    assert len(COMMANDS) >= 5
    for command in COMMANDS:
        assert command.startswith(".venv/bin/advisory-site "), command
    # the same form wherever the guide names a command in the text
    for bare in re.findall(r"`(advisory-site [^`]*)`", GUIDE):
        assert "--format github" in bare, f"`{bare}` does not work as written after the set-up"


def test_every_command_of_the_guide_works_as_written(tmp_path: Path) -> None:
    site = fresh_copy(tmp_path)
    release_path = ""
    for command in COMMANDS:
        if " serve" in command:
            assert release_path, "the guide starts the preview before it creates a release"
            report = run_serve(command, site, [release_path])
            pages = report["pages"]
            assert isinstance(pages, dict), report
            assert pages["/"][0] == 200, report
            status, text = pages[release_path]
            assert status == 200, report
            assert "Secretary Announces New Cybersecurity Grants" in text
            assert "Draft" in text  # the preview marks the draft
            assert report["status"] == 0, report
            assert "Stopped the preview." in str(report["output"]), report
            continue
        done = run(command, site)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if " new " in command:
            address = re.search(r"published at https?://[^/]+(/\S+)", done.stdout)
            assert address, done.stdout
            release_path = address.group(1)
    assert (site / "_site" / "index.html").is_file()


def test_the_github_routes_release_template_passes_the_pull_requests_check(
    tmp_path: Path,
) -> None:
    route = section(GUIDE, "### On GitHub, without a terminal")
    (template,) = blocks(route, "yaml")
    name = re.search(r"`(\d{4}/[a-z0-9-]+\.md)`", route)
    page = re.search(r"release\s+is\s+`(news/[^`]+/index\.html)`", route)
    assert name and page, "the route names the file to create and the page to look at"
    site = fresh_copy(tmp_path)
    file = site / "content" / "releases" / name.group(1)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(template, encoding="utf-8")
    checked = run(".venv/bin/advisory-site check --strict --format github", site)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "::" not in checked.stdout  # no annotation, not even a warning
    built = run(".venv/bin/python build.py --now 2026-12-02T00:00:00Z", site)
    assert built.returncode == 0, built.stdout + built.stderr
    html = (site / "_site" / page.group(1)).read_text(encoding="utf-8")
    assert "Secretary Announces New Cybersecurity Grants" in html


@pytest.mark.parametrize(
    "link", sorted(set(re.findall(r"\]\(((?:docs/|SECURITY|bench/)[^)#]+)", README)))
)
def test_the_readme_links_documents_that_exist(link: str) -> None:
    assert (REPO / link).is_file()
