"""Every output file of a published site, planned: bytes, or a page or feed still to make.

Nothing here writes to disk; the pipeline (``engine/pipeline.py``) makes and writes the files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from advisory_site.core.csp import content_security_policy
from advisory_site.core.errors import BuildError, ContentError
from advisory_site.core.htmlscan import page_problems
from advisory_site.core.models import N_, Release, Site, SiteConfig
from advisory_site.core.reading import SIZE_HINT, ReadError, read_regular
from advisory_site.core.urls import (
    output_path,
)
from advisory_site.markdown.render import BODY_WORDS
from advisory_site.site.assets import build_assets
from advisory_site.site.changes import Revision, current_revision
from advisory_site.site.contexts import (
    OPML_URL,
    SEARCHGOV_ORIGIN,
    Histories,
    feed_links,
    html_contexts,
)
from advisory_site.site.feeds import Feed, feed_files, item_id, opml, site_feeds
from advisory_site.site.identity import build_identity
from advisory_site.site.ledger import (
    LEDGER_URL,
    PUBLIC_KEY_URL,
    SCHEMA_URL,
    SIGNATURE_URL,
    LedgerContext,
    LedgerEntry,
    LedgerFile,
    key_id,
    public_pem,
    schema,
)
from advisory_site.site.sections import translator
from advisory_site.site.securitytxt import SECURITY_TXT, security_txt
from advisory_site.site.sitemap import SitemapEntry, robots_txt, sitemap_xml
from advisory_site.site.templates import (
    Context,
    Meta,
    NotFoundContext,
    RedirectContext,
    ReleaseContext,
    SiteView,
    Templates,
)
from advisory_site.source.media import SHARED


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
    of a build, so it is done later, spread over processes and skipped when the store holds the
    same file (made by the same engine from an equal context, view and templates). The ledger
    and its signature are made last, from the pages as written (``LedgerFile``)."""

    path: str
    context: Context | Feed | LedgerContext
    maker: Maker | LedgerFile
    rank: int = 0  # the order in which the file was planned (errors name the first page)


Planned = OutputFile | Pending


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Every output file in path order, and the site view the pending ones are made with."""

    files: tuple[Planned, ...]
    view: SiteView


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


def sitemap_entry(context: Context) -> SitemapEntry | None:
    """A page's sitemap entry: its address, its date (a release's last publication) and its
    versions in other languages; None for a page kept out (noindex, withdrawn)."""
    if context.meta.noindex:
        return None
    if not isinstance(context, ReleaseContext):
        return (context.meta.url, None, context.meta.alternates)
    if context.release.withdrawn:
        return None
    return (context.meta.url, context.release.last_published, context.alternates)


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
) -> SitePlan:
    """Every output file, in path order; HTML pages, feeds and the ledger Pending.

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
        language_feeds={
            lang: feed_links(feed)
            for lang in site.config.languages
            for feed in feeds
            if feed.folder == site.config.section(lang) + "/"
        },
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
        maker: Maker | LedgerFile = templates,
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
            files[path] = Pending(path, data, maker, rank=len(files))

    sitemap: list[SitemapEntry] = []
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
        if (entry := sitemap_entry(context)) is not None:
            sitemap.append(entry)
    # Feeds (RSS, Atom, JSON Feed) are planned here, from the same published releases.
    for feed in feeds:
        for path, writer in feed_files(feed):
            add(path, feed, maker=writer)
    add(OPML_URL.lstrip("/"), opml(site, feeds))
    for release in site.releases:
        for alias in release.aliases:
            context = RedirectContext(
                meta=Meta(
                    title=release.title, url=alias, noindex=True, description=release.summary
                ),
                target=site.config.absolute(release.url),
            )
            add(output_path(alias), context, owner=release.source)
    not_found = NotFoundContext(
        meta=Meta(title=not_found_title(site), url="/404.html", noindex=True)
    )
    add("404.html", not_found)
    add("sitemap.xml", sitemap_xml(site.config, sitemap))
    add("robots.txt", robots_txt(site.config))
    add("build-info.json", build_info_json(next_release, unpublished=unpublished))
    ledger = LedgerContext(entries=tuple(entries), public_key=signer)
    add(LEDGER_URL.lstrip("/"), ledger, maker=LedgerFile())
    add(SCHEMA_URL.lstrip("/"), schema())
    if signing_key is not None and public is not None:
        add(SIGNATURE_URL.lstrip("/"), ledger, maker=LedgerFile(signing_key))
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
    return SitePlan(files=tuple(files[path] for path in sorted(files)), view=view)


NOT_FOUND = N_("Page not found")


def not_found_title(site: Site) -> str:
    """The title of /404.html, which a static host serves for a missing address in any
    language's section: "Page not found" in each of the site's languages."""
    titles = (translator(site, lang)(NOT_FOUND) for lang in site.config.languages)
    return " · ".join(dict.fromkeys(titles))


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
