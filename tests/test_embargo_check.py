"""`advisory-site embargo-check`: no embargoed or draft release merged into a public repository.

Played on a real git repository: a base branch, a pull-request branch, and the base checked out
beside it as the pull-request workflow does (``.base/``), in each visibility GitHub reports.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import NOW_ISO, SITE_YAML, MakeSite, release, run_cli

EMBARGOED = "content/releases/2026/embargoed.md"
DRAFT = "content/releases/2026/draft.md"
PUBLISHED = "content/releases/2016/old.md"
ALREADY = "content/releases/2026/already-scheduled.md"  # in the base already, not edited
GUIDE = "docs/publishing.md#keeping-embargoes-private"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Press Office", "-c", "user.email=press@example.gov", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pull_request(make_site: MakeSite, files: dict[str, str]) -> tuple[Path, Path]:
    """A repository whose branch 'change' adds ``files`` to 'main'; its checkout and the base's."""
    repo = make_site(
        {
            PUBLISHED: release("Old News", "2016-10-07"),
            ALREADY: release("Already Scheduled", "2026-12-24T09:00:00-05:00"),
            "content/releases/2016/gone.md": release("Gone", "2016-10-08"),
        }
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "content/releases/2016/gone.md").unlink()  # a deletion leaks nothing
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    base = repo.parent / "base"
    git(repo, "worktree", "add", "-q", str(base), "main")
    return repo, base


def check(repo: Path, base: Path, visibility: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "embargo-check", "--site", str(repo), "--base", str(base), "--visibility", visibility,
        "--now", NOW_ISO, *extra,
    )  # fmt: skip


@pytest.fixture
def leaking(make_site: MakeSite) -> tuple[Path, Path]:
    return pull_request(
        make_site,
        {
            EMBARGOED: release("Embargoed Grants", "2026-12-01T09:00:00-05:00"),
            DRAFT: release("Draft Remarks", "2026-11-20", draft="true"),
            PUBLISHED: release("Old News, Corrected", "2016-10-07"),  # an edit, public already
            "content/releases/2026/today.md": release("Out Now", "2026-11-24T06:00:00-05:00"),
        },
    )


def test_a_public_repository_refuses_embargoed_and_draft_releases(
    leaking: tuple[Path, Path],
) -> None:
    repo, base = leaking
    result = check(repo, base, "public")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        (
            f"{DRAFT}:7:8: draft: this release is a draft, and anyone can read it on GitHub now "
            f"(see {GUIDE})"
        ),
        (
            f"{EMBARGOED}:3:15: release_date: this release is embargoed until "
            "2026-12-01T09:00:00-05:00, and anyone can read it on GitHub now, before the embargo "
            f"lifts (see {GUIDE})"
        ),
        (
            "This change would make embargoed or draft releases readable before they are public "
            "(4 release files added or edited: 1 embargoed, 1 draft), because the repository is "
            "public."
        ),
        (
            "Do not merge it: the text is already readable in this pull request, and a merge keeps "
            "it in the repository's history for good. Add such releases through a private "
            f"repository instead (see {GUIDE}), or, if the office accepts that embargoed text is "
            "readable on GitHub, set accept_public_embargoes: true in content/site.yaml."
        ),
    ]


def test_the_findings_are_annotations_on_the_pull_requests_lines(
    leaking: tuple[Path, Path],
) -> None:
    repo, _base = leaking
    result = run_cli(
        "embargo-check", "--base", "../base", "--visibility", "public", "--now", NOW_ISO,
        "--format", "github", cwd=repo,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split("::")[1] for line in lines] == [
        f"error file={DRAFT},line=7,col=8,title=draft",
        f"error file={EMBARGOED},line=3,col=15,title=release_date",
    ]
    assert lines[1].endswith(
        "::this release is embargoed until 2026-12-01T09:00:00-05:00, and anyone can read it on "
        f"GitHub now, before the embargo lifts (see {GUIDE})"
    )


def test_a_private_repository_lets_them_through(leaking: tuple[Path, Path]) -> None:
    repo, base = leaking
    result = check(repo, base, "private")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "The repository is private, so nothing leaks (4 release files added or edited: "
        "1 embargoed, 1 draft).\n"
    )
    github = check(repo, base, "private", "--format", "github")
    assert github.returncode == 0
    notices = [line.split("::")[1].split(",")[0] for line in github.stdout.splitlines()[:2]]
    assert notices == [f"notice file={repo / DRAFT}", f"notice file={repo / EMBARGOED}"]


def test_an_internal_repository_is_readable_by_the_whole_enterprise(
    leaking: tuple[Path, Path],
) -> None:
    repo, base = leaking
    result = check(repo, base, "internal")
    assert result.returncode == 1
    assert "and every member of your GitHub enterprise can read it now" in result.stderr


def test_site_yaml_can_accept_embargoes_in_a_public_repository(make_site: MakeSite) -> None:
    repo, base = pull_request(
        make_site,
        {
            EMBARGOED: release("Embargoed Grants", "2026-12-01T09:00:00-05:00"),
            "content/site.yaml": SITE_YAML + "accept_public_embargoes: true\n",
        },
    )
    result = check(repo, base, "public")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "The repository is public and holds embargoed or draft releases (1 release file added "
        "or edited: 1 embargoed, 0 drafts): accepted by accept_public_embargoes in "
        "content/site.yaml."
    )
    assert f"note: {EMBARGOED}:3:15: release_date:" in result.stderr


def test_public_releases_and_untouched_embargoes_pass(make_site: MakeSite) -> None:
    repo, base = pull_request(
        make_site,
        {
            PUBLISHED: release("Old News, Corrected", "2016-10-07"),
            "content/releases/2026/today.md": release("Out Now", "2026-11-24T12:00:00Z"),
        },
    )
    result = check(repo, base, "public")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "No embargoed or draft release in this change (2 release files added or edited: "
        "0 embargoed, 0 drafts).\n"
    )


def test_an_unreadable_changed_release_is_not_waved_through(make_site: MakeSite) -> None:
    repo, base = pull_request(make_site, {EMBARGOED: "---\ntitle: [unclosed\n---\nBody\n"})
    result = check(repo, base, "public")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"{EMBARGOED}:2:17: cannot tell whether this release is embargoed, because it cannot be "
        "read ("
    )


def test_wrong_usage_is_refused(leaking: tuple[Path, Path]) -> None:
    repo, base = leaking
    assert check(repo, base, "").returncode == 2  # the workflow could not tell: never passes
    missing = check(repo, base.parent / "nowhere", "public")
    assert missing.returncode == 2
    assert "is not a folder; check out the base branch there first" in missing.stderr
