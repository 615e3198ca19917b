"""The command as a press officer runs it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import NOW_ISO, REPO, MakeSite, release, run_cli


def test_build_succeeds_with_a_summary_line(make_site: MakeSite) -> None:
    site = make_site({"content/releases/hello.md": release("Hello")})
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Built 14 pages and 15 feeds from 1 release (0 drafts and 0 scheduled left out) into"
    )
    assert (site / "_site/news/2016/10/07/hello/index.html").is_file()


def test_the_summary_line_counts_the_drafts_and_scheduled_releases_left_out(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "content/releases/a.md": release("Hello"),
            "content/releases/b.md": release("Plans", "2016-10-08", draft="true"),
            "content/releases/c.md": release("Later", "2026-11-25T09:00:00-05:00"),
            "content/releases/d.md": release("Much Later", "2099-01-01"),
            "content/releases/e.md": release("Later Draft", "2099-01-02", draft="true"),
        }
    )
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert "from 1 release (2 drafts and 2 scheduled left out) into" in result.stdout
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO, "--drafts", "--future")
    assert "from 5 releases (0 drafts and 0 scheduled left out) into" in result.stdout


def test_content_errors_exit_1_with_lines_and_no_traceback(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/a.md": "---\ntitle: A\nrelease_date: 10/07/2016\n---\n",
            "content/releases/b.md": "---\ntitle: B\n",
        }
    )
    for command in ("build", "check"):
        result = run_cli(command, "--site", str(site))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines() == [
            (
                "content/releases/a.md:3:15: release_date: expected a date like 2016-10-07, got "
                "'10/07/2016' (write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
            ),
            (
                "content/releases/b.md:1:1: the front matter that starts here is never closed "
                "(did you forget the closing '---' after the last field?)"
            ),
            "2 problems found; nothing was built or published.",
        ]
    assert not (site / "_site").exists()


def test_wrong_usage_exits_2(make_site: MakeSite) -> None:
    site = make_site()
    assert run_cli("build", "--now", "2016-10-07T10:00:00", "--site", str(site)).returncode == 2
    assert run_cli("build", "--base-url", "not a url").returncode == 2
    assert run_cli("publish").returncode == 2
    assert run_cli().returncode == 2


def test_check_passes_on_the_sample_site() -> None:
    result = run_cli("check", "--site", str(REPO))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No problems found in ")


def test_missing_site_yaml_is_a_content_error(tmp_path: Path) -> None:
    result = run_cli("check", "--site", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith(
        "content/site.yaml: the site settings file is missing (is --site pointing at the folder "
        "that holds content/?)"
    )


def test_new_writes_a_release_that_passes_check(make_site: MakeSite) -> None:
    site = make_site()
    result = run_cli(
        "new",
        "Secretary Visits Border: “Progress” & Plans",
        "--site",
        str(site),
        "--kind",
        "statement",
        "--topic",
        "Cybersecurity",
        "--agency",
        "DHS",
        "--now",
        "2026-11-25T03:00:00+00:00",
    )
    assert result.returncode == 0, result.stderr
    relative = "content/releases/2026/secretary-visits-border-progress-plans.md"
    assert result.stdout.splitlines() == [
        f"Created {relative}",
        (
            "It will be published at "
            "https://www.example.gov/news/2026/11/24/secretary-visits-border-progress-plans/"
        ),
    ]
    written = (site / relative).read_text(encoding="utf-8")
    assert "release_date: 2026-11-24\n" in written  # the local date in New York
    assert 'title: "Secretary Visits Border: “Progress” & Plans"\n' in written
    assert "draft: true" in written
    assert run_cli("check", "--site", str(site)).returncode == 0
    again = run_cli(
        "new",
        "Secretary Visits Border: “Progress” & Plans",
        "--site",
        str(site),
        "--now",
        "2026-11-25T03:00:00+00:00",
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert (site / relative).read_text(encoding="utf-8") == written


def test_new_refuses_undeclared_topics(make_site: MakeSite) -> None:
    site = make_site()
    result = run_cli("new", "Title", "--site", str(site), "--topic", "Weather")
    assert result.returncode == 2
    assert "unknown topic 'Weather'" in result.stderr
    assert not (site / "content/releases/2026").exists()


def test_build_py_at_the_root_builds_into_site(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--output", str(output), "--now", NOW_ISO],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (output / "index.html").is_file()


def test_python_m_and_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("build", "check", "new"):
        assert command in result.stdout
