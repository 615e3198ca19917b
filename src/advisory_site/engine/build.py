"""The pipeline's steps before planning: what a build is asked for, reading and validating the
site, the publishing gate, each release's published history and the content lint."""

from __future__ import annotations

import dataclasses
import functools
import gettext
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.models import Release, Site, SiteConfig
from advisory_site.markdown.render import Renderer
from advisory_site.site.changes import Revision, Revisions, current_revision, silent_edit
from advisory_site.site.contexts import Histories
from advisory_site.site.plan import site_csp
from advisory_site.source.catalogues import load_catalogues
from advisory_site.source.config import load_config
from advisory_site.source.content import RELEASES_DIR, FileLoader, load_pages, load_releases
from advisory_site.source.history import read_history
from advisory_site.source.lint import LintWarning, Memo, lint_site
from advisory_site.source.media import Media
from advisory_site.source.symlinks import outside_links

HISTORY_UNAVAILABLE = "Change history is unavailable: {reason}. Every other file was built."


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    site_dir: Path
    now: datetime
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    preview: bool = False  # mark drafts and embargoed releases on their pages (serve)
    signing_key: Ed25519PrivateKey | None = None  # signs /ledger.json
    # `check`: every release planned, drafts and embargoed ones too, without a clock; the
    # change history read for the releases public at ``now``
    check: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LeftOut:
    """How many releases the publishing gate kept out of a build, for its summary line."""

    drafts: int = 0
    scheduled: int = 0  # not drafts, dated after the build's moment (embargoed)

    def __str__(self) -> str:
        drafts = "1 draft" if self.drafts == 1 else f"{self.drafts} drafts"
        return f"{drafts} and {self.scheduled} scheduled left out"


def left_out(everything: Site, site: Site) -> LeftOut:
    """What ``published`` removed from ``everything`` to make ``site``."""
    kept = {id(release) for release in site.releases}
    gone = [release for release in everything.releases if id(release) not in kept]
    drafts = sum(1 for release in gone if release.draft)
    return LeftOut(drafts=drafts, scheduled=len(gone) - drafts)


def site_warnings(
    site: Site,
    site_dir: Path,
    lint_memo: Memo | None = None,
    linted: Mapping[str, tuple[ContentError, ...]] | None = None,
) -> tuple[LintWarning, ...]:
    """The content lint's findings and the files of release folders left unused, in order."""
    found = (
        *lint_site(site, site_dir, lint_memo, linted),
        *(LintWarning(problem) for problem in site.media_warnings),
        *outdated_translations(site),
    )
    return tuple(sorted(found, key=lambda warning: warning.problem.sort_key()))


def outdated_translations(site: Site) -> Iterator[LintWarning]:
    """A warning for each translation whose original had a major update after it was last
    published: its readers see a notice until it is brought up to date."""
    for release in site.releases:
        update = site.outdated_by(release)
        if update is None:
            continue
        original = site.original(release)
        assert original is not None
        when = site.config.local_date(update.date).isoformat()
        yield LintWarning(
            ContentError(
                path=release.source,
                field="translation_of",
                message=f"its original {original.source} had a major update on {when} "
                f"({update.note}), after this translation was last published "
                f"({site.config.local_date(release.last_published).isoformat()}); its page "
                "tells readers so",
                hint="bring the translation up to date and change its last_published to that day",
            )
        )


def load_site(
    site_dir: Path, *, base_url: str | None = None, load: FileLoader | None = None
) -> Site:
    """Read and validate everything; raise BuildError listing every problem found.

    ``load`` loads the release files (``content.load_files`` by default; the pipeline's loads
    them from its store and in parallel, and gives the same).
    """
    errors: list[ContentError] = outside_links(site_dir)
    config = load_config(site_dir, errors)
    if config is None:
        raise BuildError(errors)
    if base_url:
        config = dataclasses.replace(config, base_url=base_url)
    releases = load_releases(site_dir, config, errors, load)
    pages = load_pages(site_dir, config, Renderer(), errors)
    catalogues = load_catalogues(site_dir, config, errors)
    if errors:
        raise BuildError(errors)
    media = site_media(site_dir, config, releases, catalogues)
    releases = [media.release(release) for release in releases]
    pages = [media.page(page) for page in pages]
    if media.errors:
        raise BuildError(media.errors)
    return Site(
        config=config,
        releases=tuple(releases),
        pages=tuple(pages),
        media=tuple(media.files),
        media_warnings=tuple(media.warnings),
        catalogues=catalogues,
    )


def site_media(
    site_dir: Path,
    config: SiteConfig,
    releases: Iterable[Release],
    catalogues: Mapping[str, gettext.NullTranslations],
) -> Media:
    """What checks and makes the files of ``releases`` and writes their words into bodies."""
    return Media(
        site_dir,
        site_csp(config),
        config.path_prefix,
        sources=(release.source for release in releases),
        base_url=config.base_url,
        accessible_formats=config.accessible_formats,
        catalogues=catalogues,
        language=config.language,
    )


def is_published(release: Release, now: datetime, *, drafts: bool, future: bool) -> bool:
    """The publishing gate: drafts and embargoed releases appear nowhere unless previewing."""
    if release.draft and not drafts:
        return False
    return future or release.release_date <= now


def published(site: Site, now: datetime, *, drafts: bool = False, future: bool = False) -> Site:
    releases = tuple(
        release if future else as_of(release, now)
        for release in site.releases
        if is_published(release, now, drafts=drafts, future=future)
    )
    return dataclasses.replace(site, releases=releases)


def as_of(release: Release, now: datetime) -> Release:
    """``release`` as readers may see it at ``now``: like an embargoed release, an ``updates``
    entry, a withdrawal or a ``last_published`` dated later is held back until its moment (the
    feeds' updated dates would otherwise announce it at once)."""
    withdrawal = release.withdrawal
    held_withdrawal = (
        withdrawal is not None and withdrawal.date is not None and withdrawal.date > now
    )
    updates = tuple(update for update in release.updates if update.date <= now)
    if (
        len(updates) == len(release.updates)
        and not held_withdrawal
        and release.last_published <= now
    ):
        return release
    last_published = release.last_published
    if last_published > now:
        last_published = max((update.date for update in updates), default=release.release_date)
        last_published = max(last_published, release.release_date)
    return dataclasses.replace(
        release,
        updates=updates,
        last_published=last_published,
        withdrawal=None if held_withdrawal else withdrawal,
        superseded_by="" if held_withdrawal else release.superseded_by,
    )


def next_release_at(site: Site, now: datetime) -> datetime | None:
    """When the site next changes by the clock alone, or None: the next embargoed (non-draft)
    release becomes public, or a held update, withdrawal or ``last_published`` comes due."""
    moments: list[datetime] = []
    for release in site.releases:
        if release.draft:
            continue
        moments += [release.release_date, release.last_published]
        moments += [update.date for update in release.updates]
        if release.withdrawal is not None and release.withdrawal.date is not None:
            moments.append(release.withdrawal.date)
    return min((moment for moment in moments if moment > now), default=None)


def site_histories(site: Site, site_dir: Path, now: datetime) -> tuple[Histories, str]:
    """The published revisions of each release of ``site`` (read from git), and why they could
    not be read ('' when they could: without them each release has one, as built)."""
    history = read_history(site_dir, (r.source for r in site.releases), RELEASES_DIR)
    if not history.available:
        return {r.source: (current_revision(r),) for r in site.releases}, history.unavailable

    @functools.cache  # made once, and only when a release has an earlier version
    def media() -> Media:
        return site_media(site_dir, site.config, site.releases, site.catalogues)

    def finish(release: Release) -> Release:
        """An earlier version's body as readers saw it; its files' problems are not reported
        (they were when it was built), and the files it makes are not published again."""
        return media().release(release)

    revisions = Revisions(history, site.config, now, Renderer(), finish)
    histories: dict[str, tuple[Revision, ...]] = {}
    for release in site.releases:
        try:
            current: bytes | None = (site_dir / release.source).read_bytes()
        except OSError:
            current = None
        histories[release.source] = revisions.of(release, current) or (current_revision(release),)
    return histories, ""


def silent_edits(site: Site, histories: Histories) -> tuple[LintWarning, ...]:
    """A warning for each release whose text changed since its last published version without
    a new update entry."""
    found = (silent_edit(r, histories.get(r.source, ())) for r in site.releases)
    return tuple(LintWarning(problem) for problem in found if problem is not None)
