"""The pull-request check that keeps embargoed and draft releases out of a public repository.

The build keeps an embargoed release off the site, but a file pushed to a public repository is
readable by anyone on GitHub at once. So a pull request that adds or edits a release that is
embargoed (dated after now) or a draft fails when the repository is public (or internal: every
member of the enterprise can read it), unless ``accept_public_embargoes: true`` in site.yaml
says the office accepts that. The change is what differs between the base branch's checkout and
the pull request's: a release file that is new, or whose bytes differ from the base's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.models import SiteConfig
from advisory_site.source.config import load_config
from advisory_site.source.content import RELEASES_DIR, content_files, read_document
from advisory_site.source.fields import FieldReader

VISIBILITIES = ("public", "internal", "private")
GUIDE = "docs/publishing.md#keeping-embargoes-private"
WHO = {
    "public": "anyone can read it on GitHub now",
    "internal": "every member of your GitHub enterprise can read it now",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A changed release that is not yet public on the site."""

    problem: ContentError  # where: the draft or release_date line
    draft: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    visibility: str
    changed: int  # release files added or edited
    findings: tuple[Finding, ...]
    accepted: bool  # site.yaml accepts embargoed releases in a public repository

    @property
    def leaks(self) -> bool:
        return bool(self.findings) and self.visibility != "private" and not self.accepted


def changed_releases(site_dir: Path, base_dir: Path) -> Iterator[tuple[str, str]]:
    """The release files of ``site_dir`` that are new or differ from ``base_dir``'s."""
    for file, path in content_files(site_dir, RELEASES_DIR):
        base = base_dir / path
        try:
            if base.is_file() and base.read_bytes() == Path(file).read_bytes():
                continue
        except OSError:
            pass  # unreadable here or there: the check below reads it and reports it
        yield file, path


def check_embargoes(site_dir: Path, base_dir: Path, *, visibility: str, now: datetime) -> Report:
    """Find the added or edited releases that are drafts or embargoed at ``now``."""
    errors: list[ContentError] = []
    config = load_config(site_dir, errors)
    if config is None:
        raise BuildError(errors)
    findings: list[Finding] = []
    changed = 0
    for file, path in changed_releases(site_dir, base_dir):
        changed += 1
        findings += _private(file, path, config, now, visibility)
    return Report(
        visibility=visibility,
        changed=changed,
        findings=tuple(findings),
        accepted=config.accept_public_embargoes,
    )


def _private(
    file: str, path: str, config: SiteConfig, now: datetime, visibility: str
) -> list[Finding]:
    """The finding for one changed release, if it is not public on the site yet."""
    errors: list[ContentError] = []
    document = read_document(file, path, errors)
    who = WHO.get(visibility, "anyone who can read the repository can read it now")
    if document is None:
        problem = errors[0]
        return [
            Finding(
                draft=False,
                problem=ContentError(
                    path=problem.path,
                    line=problem.line,
                    column=problem.column,
                    message="cannot tell whether this release is embargoed, because it cannot "
                    f"be read ({problem.message}); if it is, {who}",
                    hint="fix the file first",
                ),
            )
        ]
    found: list[ContentError] = []
    reader = FieldReader(document.data, positions=document.positions, path=path, errors=found)
    scratch = FieldReader(document.data, positions=document.positions, path=path, errors=[])
    hint = f"see {GUIDE}"
    if scratch.boolean("draft", default=False):
        reader.error("draft", f"this release is a draft, and {who}", hint)
        return [Finding(draft=True, problem=found[-1])]
    release_date = scratch.moment("release_date", config.tz)
    if release_date is not None and release_date > now:
        reader.error(
            "release_date",
            f"this release is embargoed until {config.local_iso(release_date)}, and {who}, "
            "before the embargo lifts",
            hint,
        )
        return [Finding(draft=False, problem=found[-1])]
    return []


def report_lines(report: Report) -> list[str]:
    """What the check says after the findings, for people."""
    drafts = sum(1 for finding in report.findings if finding.draft)
    embargoed = len(report.findings) - drafts
    counted = (
        f"{report.changed} release {'file' if report.changed == 1 else 'files'} added or edited: "
        f"{embargoed} embargoed, {drafts} {'draft' if drafts == 1 else 'drafts'}"
    )
    if not report.findings:
        return [f"No embargoed or draft release in this change ({counted})."]
    if report.visibility == "private":
        return [f"The repository is private, so nothing leaks ({counted})."]
    if report.accepted:
        return [
            (
                f"The repository is {report.visibility} and holds embargoed or draft releases "
                f"({counted}): accepted by accept_public_embargoes in content/site.yaml."
            )
        ]
    return [
        (
            f"This change would make embargoed or draft releases readable before they are public "
            f"({counted}), because the repository is {report.visibility}."
        ),
        (
            "Do not merge it: the text is already readable in this pull request, and a merge keeps "
            f"it in the repository's history for good. Add such releases through a private "
            f"repository instead (see {GUIDE}), or, if the office accepts that embargoed text is "
            "readable on GitHub, set accept_public_embargoes: true in content/site.yaml."
        ),
    ]
