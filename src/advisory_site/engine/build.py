"""Read the whole site, then plan every output file. Nothing here writes to disk."""

from __future__ import annotations

import bisect
import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from advisory_site.core.csp import content_security_policy
from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.htmlscan import page_problems
from advisory_site.core.models import Release, Site, SiteConfig, grouped, long_date
from advisory_site.core.reading import SIZE_HINT, ReadError, read_regular
from advisory_site.core.urls import (
    agency_url,
    output_path,
    paginated_url,
    topic_url,
    year_url,
)
from advisory_site.markdown.render import BODY_WORDS, Renderer
from advisory_site.site.assets import build_assets
from advisory_site.site.changes import Revision, Revisions, changes, current_revision, silent_edit
from advisory_site.site.feeds import FORMATS, Feed, feed_files, item_id, opml, site_feeds
from advisory_site.site.identity import build_identity
from advisory_site.site.ledger import (
    LEDGER_URL,
    PUBLIC_KEY_URL,
    SCHEMA_URL,
    SIGNATURE_URL,
    LedgerContext,
    LedgerEntry,
    LedgerMaker,
    SignatureMaker,
    key_id,
    public_pem,
    schema,
)
from advisory_site.site.securitytxt import SECURITY_TXT, security_txt
from advisory_site.site.sitemap import robots_txt, sitemap_xml
from advisory_site.site.templates import (
    ChangesContext,
    Context,
    Crumb,
    FeedLink,
    FilterOption,
    Follow,
    HomeContext,
    IndexContext,
    IndexEntry,
    ListingContext,
    Meta,
    NotFoundContext,
    PageContext,
    Pagination,
    RedirectContext,
    ReleaseContext,
    SearchContext,
    SearchFilter,
    SiteView,
    SubscribeContext,
    Subscription,
    Templates,
    VerifyContext,
)
from advisory_site.source.catalogues import load_catalogues
from advisory_site.source.config import load_config
from advisory_site.source.content import RELEASES_DIR, load_pages, load_releases
from advisory_site.source.history import read_history
from advisory_site.source.lint import LintWarning, Memo, lint_site
from advisory_site.source.media import SHARED, Media
from advisory_site.source.symlinks import outside_links

RELATED_COUNT = 3
OPML_URL = "/feeds.opml"
SEARCH_URL = "/search/"
SEARCH_INDEX_URL = "/pagefind/pagefind.js"  # written by the search step (search.py) after planning
SEARCHGOV_ORIGIN = "https://search.usa.gov"  # where /search/ sends a query without JavaScript
VERIFY_URL = "/verify/"
CHANGES_FOLDER = "changes/"  # a release's changes page, below its own address
HISTORY_UNAVAILABLE = "Change history is unavailable: {reason}. Every other file was built."

Histories = Mapping[str, tuple[Revision, ...]]  # the published revisions of releases, by source


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative to the output folder, '/'-separated
    data: bytes


class Maker(Protocol):
    """What makes a pending file from its context: the templates (a page), or a feed format."""

    def render(self, context: Any, view: SiteView, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Pending:
    """A file planned but not made yet, an HTML page or a feed: making them is the costly part
    of a build, so it is done later, spread over processes and skipped when a cache holds the
    same file (made by the same engine from an equal context, view and templates)."""

    path: str
    context: Context | Feed | LedgerContext
    view: SiteView
    maker: Maker
    rank: int = 0  # the order in which the file was planned (errors name the first page)

    def render(self) -> OutputFile:
        return OutputFile(self.path, self.maker.render(self.context, self.view))


Planned = OutputFile | Pending


def rank(file: Planned) -> int:
    return file.rank if isinstance(file, Pending) else 0


def rendered(file: Planned) -> OutputFile:
    return file.render() if isinstance(file, Pending) else file


ReleasesLoader = Callable[[Path, SiteConfig, list[ContentError]], list[Release]]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    site_dir: Path
    now: datetime
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    preview: bool = False  # mark drafts and embargoed releases on their pages (serve)
    signing_key: Ed25519PrivateKey | None = None  # signs /ledger.json


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    site: Site  # what is published
    files: tuple[OutputFile, ...]
    next_release_at: datetime | None = None  # the next embargoed release, for scheduled builds
    warnings: tuple[LintWarning, ...] = ()
    notices: tuple[str, ...] = ()  # what the build tells once (change history unavailable)

    @property
    def page_count(self) -> int:
        return sum(1 for file in self.files if file.path.endswith(".html"))


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
    )
    return tuple(sorted(found, key=lambda warning: warning.problem.sort_key()))


def load_site(
    site_dir: Path,
    *,
    base_url: str | None = None,
    releases_loader: ReleasesLoader | None = None,
) -> Site:
    """Read and validate everything; raise BuildError listing every problem found.

    ``releases_loader`` replaces the plain one-by-one loading of releases (by a cached, parallel
    one); it must give the same releases and problems.
    """
    errors: list[ContentError] = outside_links(site_dir)
    config = load_config(site_dir, errors)
    if config is None:
        raise BuildError(errors)
    if base_url:
        config = dataclasses.replace(config, base_url=base_url)
    renderer = Renderer()
    if releases_loader is None:
        releases = load_releases(site_dir, config, renderer, errors)
    else:
        releases = releases_loader(site_dir, config, errors)
    pages = load_pages(site_dir, config, renderer, errors)
    catalogues = load_catalogues(site_dir, config, errors)
    if errors:
        raise BuildError(errors)
    media = Media(
        site_dir,
        site_csp(config),
        config.path_prefix,
        sources=(release.source for release in releases),
    )
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


def current_histories(site: Site) -> dict[str, tuple[Revision, ...]]:
    """Each release's history as this build publishes it: its current revision alone."""
    return {release.source: (current_revision(release),) for release in site.releases}


def site_csp(config: SiteConfig, *, inline_styles: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of every page of the site (``inline_styles``: the page
    types' <style> elements, assets.Assets.inline_styles)."""
    return content_security_policy(
        inline_styles=inline_styles,
        form_actions=[SEARCHGOV_ORIGIN] if config.searchgov_affiliate else [],
        image_hosts=config.image_hosts,
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


UNPUBLISHED_KEY = "includes_unpublished"
"""Set in build-info.json by a build with drafts or embargoed releases (--drafts, --future)."""


def build_info_json(next_release: datetime | None, *, unpublished: bool = False) -> bytes:
    """_site/build-info.json, read by the scheduled CI workflow to rebuild right on time."""
    moment = next_release.astimezone(UTC).isoformat() if next_release else None
    info: dict[str, object] = {"next_release_at": moment}
    if unpublished:
        info[UNPUBLISHED_KEY] = True
    return (json.dumps(info, indent=2) + "\n").encode("utf-8")


def includes_unpublished(folder: Path) -> bool:
    """Whether the built site in ``folder`` was made with drafts or embargoed releases (or
    cannot be told apart from one: what is not known to be public is treated as private)."""
    try:
        info = json.loads(read_regular(folder / "build-info.json", 64 * 1024))
    except ReadError:  # no folder, or one no build of this version made
        return False
    except (ValueError, RecursionError):
        return True
    return not isinstance(info, dict) or info.get(UNPUBLISHED_KEY, False) is not False


def build(options: BuildOptions) -> Plan:
    """Load, check, gate and plan the whole site, every page rendered, in this process."""
    planning = plan(options)
    unsafe = UnsafePages()
    files = tuple(unsafe.check(rendered(file), rank(file)) for file in planning.files)
    unsafe.raise_if_any()
    return Plan(
        site=planning.site,
        files=files,
        next_release_at=planning.next_release_at,
        warnings=planning.warnings,
        notices=planning.notices,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Planning:
    """A plan whose HTML pages are not rendered yet (``incremental`` renders them)."""

    site: Site  # what is published
    files: tuple[Planned, ...]
    next_release_at: datetime | None = None
    warnings: tuple[LintWarning, ...] = ()
    left_out: LeftOut = dataclasses.field(default_factory=LeftOut)
    notices: tuple[str, ...] = ()


def site_histories(site: Site, site_dir: Path, now: datetime) -> tuple[Histories, str]:
    """The published revisions of each release of ``site`` (read from git), and why they could
    not be read ('' when they could: without them each release has one, as built)."""
    history = read_history(site_dir, (r.source for r in site.releases), RELEASES_DIR)
    if not history.available:
        return {r.source: (current_revision(r),) for r in site.releases}, history.unavailable
    revisions = Revisions(history, site.config, now, Renderer())
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


def plan(
    options: BuildOptions,
    *,
    lint_memo: Memo | None = None,
    releases_loader: ReleasesLoader | None = None,
    linted: Mapping[str, tuple[ContentError, ...]] | None = None,
) -> Planning:
    """Load, check, gate and plan the whole site, leaving the pages to render.

    ``linted`` holds the lint findings of the files a ``releases_loader`` linted, by path.
    """
    everything = load_site(
        options.site_dir, base_url=options.base_url, releases_loader=releases_loader
    )
    site = published(everything, options.now, drafts=options.drafts, future=options.future)
    upcoming = next_release_at(everything, options.now)
    histories, unavailable = site_histories(site, options.site_dir, options.now)
    files = plan_site(
        site,
        options.site_dir,
        next_release=upcoming,
        preview_now=options.now if options.preview else None,
        now=options.now,
        histories=histories,
        signing_key=options.signing_key,
        unpublished=options.drafts or options.future,
    )
    warnings = site_warnings(everything, options.site_dir, lint_memo, linted)
    warnings += silent_edits(site, histories)
    return Planning(
        site=site,
        files=tuple(files),
        next_release_at=upcoming,
        warnings=warnings,
        left_out=left_out(everything, site),
        notices=(HISTORY_UNAVAILABLE.format(reason=unavailable),) if unavailable else (),
    )


def plan_site(
    site: Site,
    site_dir: Path,
    *,
    next_release: datetime | None = None,
    preview_now: datetime | None = None,
    now: datetime | None = None,
    histories: Histories | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    unpublished: bool = False,
) -> list[Planned]:
    """Every output file, in path order; HTML pages and feeds Pending, made by the writer.

    ``histories`` are the published revisions of the releases (by default, each as built).
    """
    histories = histories if histories is not None else current_histories(site)
    templates = Templates(site_dir / "templates", site.config, site.catalogues)
    feeds = site_feeds(site)
    assets = build_assets(site_dir, path_prefix=site.config.path_prefix, body_words=BODY_WORDS)
    identity = build_identity(site_dir, site.config)
    view = SiteView(
        config=site.config,
        csp=site_csp(site.config, inline_styles=assets.inline_styles),
        feeds=feed_links(feeds[0]),
        assets=dict(assets.urls),
        page_css=dict(assets.page_css),
        icons=identity.icons,
        logo=identity.logo,
        card=identity.card,
        manifest=identity.manifest,
    )
    files: dict[str, Planned] = {}
    errors: list[ContentError] = []

    def add(
        path: str,
        data: bytes | Context | Feed | LedgerContext,
        owner: str = "",
        maker: Maker = templates,
    ) -> None:
        if path in files:
            errors.append(
                ContentError(
                    path=owner or path,
                    message=f"would overwrite the generated file /{path}",
                    hint="choose another name or alias",
                )
            )
            return
        if isinstance(data, bytes):
            files[path] = OutputFile(path, data)
        else:
            files[path] = Pending(path, data, view, maker, rank=len(files))

    sitemap: list[tuple[str, datetime | None]] = []
    entries: list[LedgerEntry] = []
    public = signing_key.public_key() if signing_key is not None else None
    signer = key_id(public) if public is not None else ""
    for context in html_contexts(
        site, feeds, preview_now=preview_now, histories=histories, signer=signer
    ):
        add(output_path(context.meta.url), context)
        if isinstance(context, ReleaseContext):
            entries.append(
                LedgerEntry(
                    page=context,
                    feed_id=item_id(context.release, site.config),
                    revisions=histories[context.release.source],
                )
            )
        withdrawn = isinstance(context, ReleaseContext) and context.release.withdrawn
        if not context.meta.noindex and not withdrawn:
            updated = (
                context.release.last_published if isinstance(context, ReleaseContext) else None
            )
            sitemap.append((context.meta.url, updated))
    # Feeds (RSS, Atom, JSON Feed) are planned here, from the same published releases.
    for feed in feeds:
        for path, writer in feed_files(feed):
            add(path, feed, maker=writer)
    add(OPML_URL.lstrip("/"), opml(site.config, feeds))
    for release in site.releases:
        for alias in release.aliases:
            context = RedirectContext(
                meta=Meta(
                    title=release.title, url=alias, noindex=True, description=release.summary
                ),
                target=site.config.absolute(release.url),
            )
            add(output_path(alias), context, owner=release.source)
    not_found = NotFoundContext(meta=Meta(title="Page not found", url="/404.html", noindex=True))
    add("404.html", not_found)
    add("sitemap.xml", sitemap_xml(site.config, sitemap))
    add("robots.txt", robots_txt(site.config))
    add("build-info.json", build_info_json(next_release, unpublished=unpublished))
    ledger = LedgerContext(entries=tuple(entries), public_key=signer)
    ledger_maker = LedgerMaker(templates)
    add(LEDGER_URL.lstrip("/"), ledger, maker=ledger_maker)
    add(SCHEMA_URL.lstrip("/"), schema())
    if signing_key is not None and public is not None:
        add(SIGNATURE_URL.lstrip("/"), ledger, maker=SignatureMaker(ledger_maker, signing_key))
        add(PUBLIC_KEY_URL.lstrip("/"), public_pem(public))
    shared = (
        (path, data, "")
        for path, data in (*assets.files, *identity.files, *static_files(site_dir / "static"))
    )
    for path, data, owner in (*shared, *published_media(site)):
        add(path, data, owner)
    if site.config.security and now is not None:  # `check` plans without a clock
        add(SECURITY_TXT, security_txt(site.config, now, ledger.public_key))
    errors += [*case_clashes(files, site.releases), *output_problems(site.config, files)]
    if errors:
        raise BuildError(errors)
    return [files[path] for path in sorted(files)]


def published_media(site: Site) -> Iterator[tuple[str, bytes, str]]:
    """The files (path, bytes, owner) of the releases and pages ``site`` publishes, not those
    of drafts left out, and the variants of the photos of static/ (published with it)."""
    published = {release.source for release in site.releases}
    published.update(page.source for page in site.pages)
    published.add(SHARED)
    return ((f.path, f.data, f.owner) for f in site.media if f.owner in published)


def case_clashes(
    files: Mapping[str, Planned], releases: Iterable[Release]
) -> Iterator[ContentError]:
    """An alias whose file differs from another planned file only by case (/NEWS/ and /news/):
    one file on a case-insensitive disk or host, so one would overwrite the other."""
    folded: dict[str, list[str]] = {}
    for path in files:
        folded.setdefault(path.casefold(), []).append(path)
    aliases = [(output_path(alias), r.source) for r in releases for alias in r.aliases]
    for path, owner in aliases:
        others = [other for other in folded.get(path.casefold(), ()) if other != path]
        if others:
            yield ContentError(
                path=owner,
                field="aliases",
                message=f"/{path.removesuffix('index.html')} differs from "
                f"/{others[0].removesuffix('index.html')} only by case",
                hint="on many servers they are one address; remove the alias",
            )


def output_problems(config: SiteConfig, files: Mapping[str, Planned]) -> Iterator[ContentError]:
    """A missing disclosure policy. (Unsafe pages are found as pages are rendered: unsafe_pages.)"""
    policy = config.security.policy if config.security else ""
    if policy.startswith("/") and output_path(policy) not in files:
        yield ContentError(
            path="content/site.yaml",
            field="security.policy",
            message=f"{policy} is not a page of this site",
            hint="add the page, such as content/pages/vulnerability-disclosure.md",
        )


class UnsafePages:
    """Collects unsafe pages (mixed content, unhashed inline scripts) as they are rendered."""

    def __init__(self) -> None:
        self.pages: dict[str, list[tuple[int, str]]] = {}  # problem -> (rank, path) of pages

    def check(self, file: OutputFile, rank: int = 0) -> OutputFile:
        if file.path.endswith(".html"):
            self.add(file.path, rank, page_problems(file.data))
        return file

    def add(self, path: str, rank: int, problems: Iterable[str]) -> None:
        """Record the problems of a page checked elsewhere (in a worker process)."""
        for problem in problems:
            self.pages.setdefault(problem, []).append((rank, path))

    def raise_if_any(self) -> None:
        errors = []
        for problem, pages in self.pages.items():
            others = f" (and {len(pages) - 1} more pages)" if len(pages) > 1 else ""
            first = min(pages)[1]
            errors.append(ContentError(path="templates", field=first, message=problem + others))
        if errors:
            raise BuildError(errors)


MAX_STATIC_BYTES = 100 * 1024 * 1024
"""Largest file of static/ published (a long report as a PDF is a few megabytes)."""


def static_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    if not folder.is_dir():
        return
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if file.is_file() and not any(part.startswith(".") for part in relative.parts):
            path = f"static/{relative.as_posix()}"
            try:
                data = read_regular(file, MAX_STATIC_BYTES)
            except ReadError as exc:
                hint = "" if exc.hint == SIZE_HINT else exc.hint
                raise BuildError(
                    [ContentError(path=path, message=exc.message, hint=hint)]
                ) from None
            yield path, data


# -- the HTML pages -----------------------------------------------------------------------------

HOME = Crumb(label="Home", url="/")
NEWS = Crumb(label="News", url="/news/")


def feed_links(feed: Feed, *, short: bool = False) -> tuple[FeedLink, ...]:
    """A feed in every format, titled for <link rel="alternate"> or (``short``) by format alone."""
    return tuple(
        FeedLink(
            title=form.name if short else f"{feed.title} ({form.name})",
            url=feed.path(form),
            media_type=form.media_type,
        )
        for form in FORMATS
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A topic or an agency as its index and listing pages show it."""

    label: str
    url: str
    description: str
    intro: str
    releases: tuple[Release, ...]
    follow: Follow | None = None


def taxonomy_contexts(
    config: SiteConfig,
    index: Crumb,
    groups: tuple[Group, ...],
    feeds_of: dict[str, tuple[FeedLink, ...]],
) -> Iterator[Context]:
    """The index page of topics (or agencies), then each one's paginated listing."""
    yield IndexContext(
        meta=Meta(title=index.label, url=index.url, breadcrumbs=(HOME,)),
        heading=index.label,
        entries=tuple(
            IndexEntry(
                label=group.label,
                url=group.url,
                description=group.description,
                count=len(group.releases),
            )
            for group in groups
        ),
    )
    for group in groups:
        yield from listing_contexts(
            config,
            group.releases,
            heading=group.label,
            url=group.url,
            crumbs=(HOME, index),
            intro=group.intro,
            feeds=feeds_of.get(group.url, ()),
            follow=group.follow,
        )


def email_signup(config: SiteConfig, url: str) -> tuple[str, bool]:
    """The e-mail sign-up page for the listing at ``url`` ('/', a topic's, an agency's), and
    whether it is that listing's own list (or the one for every release); ('', False) if none."""
    email = config.email_updates
    if email is None:
        return "", False
    own = {"/": email.everything}
    own.update((topic_url(topic_id), page) for topic_id, page in email.topics)
    own.update((agency_url(agency_id), page) for agency_id, page in email.agencies)
    return (own[url], True) if url in own else (email.everything, False)


def follow_box(
    config: SiteConfig, what: str, label: str, url: str, feeds: dict[str, Feed]
) -> Follow | None:
    """The "Follow this topic" (or agency) box of the listing at ``url``."""
    feed = feeds.get(url)
    if feed is None:
        return None
    email, own = email_signup(config, url)
    return Follow(
        what=what,
        label=label,
        links=feed_links(feed, short=True),
        email=email,
        email_own=own,
        provider=config.email_updates.provider if config.email_updates else "",
    )


def html_contexts(
    site: Site,
    feeds: tuple[Feed, ...] = (),
    *,
    preview_now: datetime | None = None,
    histories: Histories | None = None,
    signer: str = "",
) -> Iterator[Context]:
    """Every HTML page of the site, as template contexts.

    Withdrawn releases keep their own page but appear in no listing, pager or related list.
    A release whose text changed after publication (``histories``) has a changes page;
    ``signer`` is the key id that signs the ledger ('' when unsigned).
    """
    config = site.config
    histories = histories or {}
    releases = tuple(r for r in site.releases if not r.withdrawn)
    feeds_of = {feed.folder: feed_links(feed) for feed in feeds}
    feed_at = {feed.folder: feed for feed in feeds}
    yield HomeContext(
        meta=Meta(title=config.title, url="/", description=config.description),
        latest=releases[: config.home_size],
        topics=config.topics,
    )
    yield from release_contexts(site, releases, preview_now, histories)
    yield from release_contexts(
        site, tuple(r for r in site.releases if r.withdrawn), preview_now, histories
    )
    by_year: dict[int, list[Release]] = {}
    for release in releases:
        by_year.setdefault(config.local_date(release.release_date).year, []).append(release)
    years = tuple(sorted(by_year, reverse=True))
    by_topic = grouped(releases, lambda release: release.topics)
    by_agency = grouped(releases, lambda release: release.agencies)
    yield from listing_contexts(
        config,
        releases,
        heading="News",
        url="/news/",
        crumbs=(HOME,),
        intro=f"Every release of {config.organisation}, newest first.",
        years=years,
    )
    for year in years:
        yield from listing_contexts(
            config,
            tuple(by_year[year]),
            heading=f"News from {year}",
            url=year_url(year),
            crumbs=(HOME, NEWS),
            intro="",
        )
    yield from taxonomy_contexts(
        config,
        Crumb(label="Topics", url="/topics/"),
        tuple(
            Group(
                label=topic.name,
                url=topic_url(topic.id),
                description=topic.description,
                intro=topic.description,
                releases=tuple(by_topic.get(topic.id, ())),
                follow=follow_box(config, "topic", topic.name, topic_url(topic.id), feed_at),
            )
            for topic in config.topics
        ),
        feeds_of,
    )
    yield from taxonomy_contexts(
        config,
        Crumb(label="Agencies", url="/agencies/"),
        tuple(
            Group(
                label=agency.name,
                url=agency_url(agency.id),
                description=agency.short_name,
                intro=f"Releases from {agency.name}.",
                releases=tuple(by_agency.get(agency.id, ())),
                follow=follow_box(config, "agency", agency.name, agency_url(agency.id), feed_at),
            )
            for agency in config.agencies
        ),
        feeds_of,
    )
    yield SearchContext(
        meta=Meta(
            title="Search",
            url=SEARCH_URL,
            description=f"Search the releases of {config.organisation}.",
            # Indexed, so that people find where to search the releases; its results for a
            # query (/search/?query=...) name /search/ as their canonical address, which keeps
            # them out of search engines' indexes.
            breadcrumbs=(HOME,),
        ),
        index_url=SEARCH_INDEX_URL,
        searchgov_url=f"{SEARCHGOV_ORIGIN}/search" if config.searchgov_affiliate else "",
        searchgov_affiliate=config.searchgov_affiliate,
        filters=search_filters(site),
    )
    for page in site.pages:
        yield PageContext(
            meta=Meta(
                title=page.title, url=page.url, description=page.summary, breadcrumbs=(HOME,)
            ),
            page=page,
        )
    if feeds:
        yield subscribe_context(config, feeds)
    yield VerifyContext(
        meta=Meta(
            title="Verify a statement",
            url=VERIFY_URL,
            description=f"Check whether a text is a release of {config.organisation}.",
            breadcrumbs=(HOME,),
        ),
        ledger_url=LEDGER_URL,
        signature_url=SIGNATURE_URL if signer else "",
        public_key_url=PUBLIC_KEY_URL if signer else "",
        key_id=signer,
    )


def subscribe_context(config: SiteConfig, feeds: tuple[Feed, ...]) -> SubscribeContext:
    """/subscribe/: every feed, what it follows and its formats, and e-mail sign-up."""
    subscriptions = [
        Subscription(
            name=feed.name,
            description=feed.description,
            url=feed.folder,
            count=feed.total,
            links=feed_links(feed, short=True),
            label="every release" if number == 0 else feed.name,
            email=email_signup(config, feed.folder)[0],
            email_own=email_signup(config, feed.folder)[1],
        )
        for number, feed in enumerate(feeds)
    ]
    return SubscribeContext(
        meta=Meta(
            title="Subscribe",
            url="/subscribe/",
            description=f"Follow the releases of {config.organisation} in a feed reader.",
            breadcrumbs=(HOME,),
        ),
        everything=subscriptions[0],
        topics=tuple(s for s in subscriptions if s.url.startswith("/topics/")),
        agencies=tuple(s for s in subscriptions if s.url.startswith("/agencies/")),
        feed_size=config.feed_size,
        opml_url=OPML_URL,
        email=config.email_updates,
    )


def release_contexts(
    site: Site,
    releases: tuple[Release, ...],
    preview_now: datetime | None,
    histories: Histories,
) -> Iterator[ReleaseContext | ChangesContext]:
    """Release pages, linked newer/older among ``releases`` (withdrawn ones: to nothing), each
    followed by its changes page if its text changed after publication."""
    by_url = {release.url: release for release in site.releases}
    related = RelatedReleases(releases)
    for index, release in enumerate(releases):
        listed = not release.withdrawn
        revisions = histories.get(release.source, ())
        changes_url = release.url + CHANGES_FOLDER if len(revisions) > 1 else ""
        yield ReleaseContext(
            meta=Meta(
                title=release.title,
                url=release.url,
                description=release.summary,
                breadcrumbs=(HOME, NEWS),
                preview_notices=(
                    preview_notices(release, preview_now, site.config) if preview_now else ()
                ),
                image=release.image,
            ),
            release=release,
            newer=releases[index - 1] if listed and index > 0 else None,
            older=releases[index + 1] if listed and index + 1 < len(releases) else None,
            related=related(index) if listed else (),
            successor=by_url.get(release.superseded_by),
            changes_url=changes_url,
        )
        if changes_url:
            yield ChangesContext(
                meta=Meta(
                    title=f"Changes to: {release.title}",
                    url=changes_url,
                    description=f"Every change made to this release after it was published "
                    f"on {long_date(site.config.local_date(revisions[0].published))}.",
                    breadcrumbs=(HOME, NEWS, Crumb(label=release.title, url=release.url)),
                ),
                release=release,
                published=revisions[0].published,
                changes=changes(revisions),
            )


def preview_notices(release: Release, now: datetime, config: SiteConfig) -> tuple[str, ...]:
    """What a press officer previewing the site must not mistake for the public page."""
    notices = []
    if release.draft:
        notices.append("Draft — not published")
    if release.release_date > now:
        local = release.release_date.astimezone(config.tz)
        hour = local.hour % 12 or 12
        noon = "a.m." if local.hour < 12 else "p.m."
        notices.append(
            f"Scheduled for {long_date(local.date())} at {hour}:{local.minute:02d} {noon} "
            f"{local.tzname()} — not yet public"
        )
    return tuple(notices)


class RelatedReleases:
    """The releases most related to each of ``releases``: those sharing the most topics, then
    the most agencies (at least one of either), then the closest in time, then the newer.

    Topics come first: on a department's site most releases share its agency, few a subject.

    Releases with the same topics and agencies form a group, sorted by date, so each release
    compares a few groups, and takes from each only the few members nearest its date, rather than
    being compared with every other release.
    """

    def __init__(self, releases: tuple[Release, ...]) -> None:
        self._releases = releases
        groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
        for index, release in enumerate(releases):
            key = (
                frozenset(topic.id for topic in release.topics),
                frozenset(agency.id for agency in release.agencies),
            )
            groups.setdefault(key, []).append(index)
        self._keys = list(groups)
        self._group_of = {
            index: number for number, key in enumerate(groups) for index in groups[key]
        }
        # each group's members and their moments, earliest first (ties: the newer-listed first)
        self._members = [
            sorted(members, key=lambda index: (self._moment(index), index))
            for members in groups.values()
        ]
        self._moments = [[self._moment(index) for index in members] for members in self._members]
        self._levels: dict[int, list[list[int]]] = {}

    def _moment(self, index: int) -> float:
        return self._releases[index].release_date.timestamp()

    def _levels_of(self, group: int) -> list[list[int]]:
        """The groups sharing something with ``group``, in sets of equal sharing, most first."""
        if group not in self._levels:
            topics, agencies = self._keys[group]
            by_score: dict[tuple[int, int], list[int]] = {}
            for other, (other_topics, other_agencies) in enumerate(self._keys):
                score = (len(topics & other_topics), len(agencies & other_agencies))
                if any(score):
                    by_score.setdefault(score, []).append(other)
            self._levels[group] = [by_score[score] for score in sorted(by_score, reverse=True)]
        return self._levels[group]

    def _nearest(
        self, group: int, moment: float, exclude: int, count: int
    ) -> list[tuple[float, int]]:
        """Up to ``count`` members of ``group`` nearest ``moment`` on each side, with distances."""
        members, moments = self._members[group], self._moments[group]
        at = bisect.bisect_left(moments, moment)
        window = range(max(0, at - count - 1), min(len(members), at + count + 1))
        return [(abs(moments[i] - moment), members[i]) for i in window if members[i] != exclude]

    def __call__(self, index: int) -> tuple[Release, ...]:
        """Those of ``releases[index]``, most related first."""
        moment = self._moment(index)
        chosen: list[int] = []
        for level in self._levels_of(self._group_of[index]):
            wanted = RELATED_COUNT - len(chosen)
            candidates = sorted(
                candidate
                for group in level
                for candidate in self._nearest(group, moment, index, wanted)
            )
            chosen.extend(other for _, other in candidates[:wanted])
            if len(chosen) == RELATED_COUNT:
                break
        return tuple(self._releases[other] for other in chosen)


def listing_contexts(
    config: SiteConfig,
    releases: tuple[Release, ...],
    *,
    heading: str,
    url: str,
    crumbs: tuple[Crumb, ...],
    intro: str,
    years: tuple[int, ...] = (),
    feeds: tuple[FeedLink, ...] = (),
    follow: Follow | None = None,
) -> Iterator[ListingContext]:
    """The pages of one listing, ``config.page_size`` releases each; at least one page.

    ``feeds`` are advertised on the first page, the one subscribers land on.
    """
    size = config.page_size
    count = max(1, -(-len(releases) // size))
    for number in range(1, count + 1):
        title = heading if number == 1 else f"{heading} (page {number} of {count})"
        yield ListingContext(
            meta=Meta(
                title=title,
                url=paginated_url(url, number),
                description=intro or heading,
                breadcrumbs=crumbs,
                feeds=feeds if number == 1 else (),
            ),
            heading=heading,
            intro=intro,
            releases=releases[(number - 1) * size : number * size],
            pagination=Pagination(number=number, count=count, first_url=url),
            years=years,
            follow=follow,
        )


def search_filters(site: Site) -> tuple[SearchFilter, ...]:
    """The search page's filters, with the values the releases' search records give Pagefind."""
    config = site.config
    releases = tuple(r for r in site.releases if not r.withdrawn)  # not indexed

    def options(counts: dict[str, int]) -> tuple[FilterOption, ...]:
        return tuple(FilterOption(value=v, count=n) for v, n in counts.items() if n)

    years: dict[str, int] = {}
    for release in releases:
        year = str(config.local_date(release.release_date).year)
        years[year] = years.get(year, 0) + 1
    # the releases that name each topic, agency and kind (counted by id, not by comparing)
    topics = Counter(t for r in releases for t in {topic.id for topic in r.topics})
    agencies = Counter(a for r in releases for a in {agency.id for agency in r.agencies})
    kinds = Counter(r.kind.id for r in releases)
    filters = (
        SearchFilter(
            name="topic",
            label="Topic",
            options=options({t.name: topics[t.id] for t in config.topics}),
        ),
        SearchFilter(
            name="agency",
            label="Agency",
            options=options({a.name: agencies[a.id] for a in config.agencies}),
        ),
        SearchFilter(
            name="kind",
            label="Type",
            options=options({k.name: kinds[k.id] for k in config.kinds}),
        ),
        SearchFilter(
            name="year", label="Year", options=options(dict(sorted(years.items(), reverse=True)))
        ),
    )
    return tuple(f for f in filters if f.options)
