"""`advisory-site release-due`: the scheduled workflow republishes only when a release is due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW_ISO, run_cli
from tests.localhost import serve_folder


@pytest.fixture
def deployed_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on localhost, as GitHub Pages serves the deployed site."""
    with serve_folder(tmp_path) as origin:
        yield tmp_path, f"{origin}/"


@pytest.mark.parametrize(
    ("build_info", "due", "reason"),
    [
        (
            '{"next_release_at": "2026-11-24T06:30:00-05:00"}',
            "true",
            "the release scheduled for 2026-11-24T06:30:00-05:00 is due",
        ),
        (
            '{"next_release_at": "2026-11-24T07:00:00-05:00"}',  # exactly now
            "true",
            "the release scheduled for 2026-11-24T07:00:00-05:00 is due",
        ),
        (
            '{"next_release_at": "2026-11-24T07:30:00-05:00"}',
            "false",
            "the next release is scheduled for 2026-11-24T07:30:00-05:00",
        ),
        ('{"next_release_at": null}', "false", "the deployed site has no scheduled release"),
        (
            '{"next_release_at": "tomorrow"}',
            "true",
            "the deployed build-info.json is unreadable; rebuilding to be safe",
        ),
    ],
)
def test_due_only_when_the_deployed_next_release_has_passed(
    deployed_site: tuple[Path, str], build_info: str, due: str, reason: str
) -> None:
    folder, url = deployed_site
    (folder / "build-info.json").write_text(build_info, encoding="utf-8")
    result = run_cli("release-due", url + "build-info.json", "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"due={due}\n"  # the format of $GITHUB_OUTPUT
    assert result.stderr == reason + "\n"


def test_a_site_without_build_info_is_rebuilt(deployed_site: tuple[Path, str]) -> None:
    _, url = deployed_site
    result = run_cli("release-due", url + "build-info.json", "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "due=true\n"
    assert result.stderr == (f"{url}build-info.json answered HTTP 404; rebuilding to be safe\n")


def test_an_unreachable_site_is_rebuilt_and_a_file_can_stand_in(tmp_path: Path) -> None:
    result = run_cli("release-due", "http://127.0.0.1:9/build-info.json", "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "due=true\n"
    assert result.stderr.startswith("cannot fetch http://127.0.0.1:9/build-info.json: ")
    info = tmp_path / "build-info.json"
    info.write_text('{"next_release_at": "2026-11-25T00:00:00Z"}', encoding="utf-8")
    result = run_cli("release-due", str(info), "--now", NOW_ISO)
    assert result.stdout == "due=false\n"
    assert run_cli("release-due", str(info), "--now", "yesterday").returncode == 2
