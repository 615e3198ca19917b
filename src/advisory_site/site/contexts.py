"""Every HTML page of the site as a template context: what each page type shows, and where."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_time

from advisory_site.core.models import N_, Release, Site, SiteConfig, grouped, long_date
from advisory_site.core.urls import (
    agency_url,
    paginated_url,
    topic_url,
    year_url,
)
from advisory_site.site.changes import Revision, changes
from advisory_site.site.feeds import FORMATS, Feed
from advisory_site.site.ledger import (
    LEDGER_URL,
    PUBLIC_KEY_URL,
    SIGNATURE_URL,
)
from advisory_site.site.sections import (
    plural_samples,
    shown_in,
    single_stop,
    site_text_in,
    translator,
    untranslated_in,
    written_in,
)
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
    PageContext,
    Pagination,
    ReleaseContext,
    SearchContext,
    SearchFilter,
    SubscribeContext,
    Subscription,
    VerifyContext,
)
from advisory_site.source.languages import language_name

RELATED_COUNT = 3
OPML_URL = "/feeds.opml"
SEARCH_URL = "/search/"
SEARCH_INDEX_URL = "/pagefind/pagefind.js"  # written by the search step (search.py) after planning
SEARCHGOV_ORIGIN = "https://search.usa.gov"  # where /search/ sends a query without JavaScript
VERIFY_URL = "/verify/"
CHANGES_FOLDER = "changes/"  # a release's changes page, below its own address

Histories = Mapping[str, tuple[Revision, ...]]  # the published revisions of releases, by source


HOME = Crumb(label=N_("Home"), url="/")
NEWS = Crumb(label=N_("News"), url="/news/")
TOPICS = Crumb(label=N_("Topics"), url="/topics/")
AGENCIES = Crumb(label=N_("Agencies"), url="/agencies/")
SUBSCRIBE_URL = "/subscribe/"
SUBSCRIBE_IN = N_("Subscribe in %(language)s")
"""The link from a subscribe page to another language's, in that language."""


def top_meta(title: str, url: str, description: str) -> Meta:
    """The head of a page one level below the home page (search, subscribe, a standalone page)."""
    return Meta(title=title, url=url, description=description, breadcrumbs=(HOME,))


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
    alternates: tuple[tuple[str, str], ...] = ()
    # the language of each text when not the page's (a name site.yaml leaves untranslated)
    label_lang: str = ""
    description_lang: str = ""
    intro_lang: str = ""


def taxonomy_contexts(
    config: SiteConfig,
    index: Crumb,
    groups: tuple[Group, ...],
    feeds_of: dict[str, tuple[FeedLink, ...]],
    *,
    home: Crumb = HOME,
    lang: str = "",
    gettext: Callable[[str], str] = str,
    alternates: tuple[tuple[str, str], ...] = (),
) -> Iterator[Context]:
    """The index page of topics (or agencies), then each one's paginated listing, in ``lang``
    ('' for the site's own; ``index.label`` is the English of its heading, for ``gettext``)."""
    heading = gettext(index.label)
    yield IndexContext(
        meta=Meta(
            title=heading, url=index.url, breadcrumbs=(home,), lang=lang, alternates=alternates
        ),
        heading=heading,
        entries=tuple(
            IndexEntry(
                label=group.label,
                url=group.url,
                description=group.description,
                count=len(group.releases),
                lang=group.label_lang,
                description_lang=group.description_lang,
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
            crumbs=(home, index),
            intro=group.intro,
            feeds=feeds_of.get(group.url, ()),
            follow=group.follow,
            lang=lang,
            gettext=gettext,
            alternates=group.alternates,
            title_lang=group.label_lang,
            intro_lang=group.intro_lang,
        )


def language_listings(
    site: Site,
    lang: str,
    shown: tuple[Release, ...],
    feeds: tuple[Feed, ...],
    years_of: Mapping[str, frozenset[int]],
) -> Iterator[Context]:
    """The year, topic and agency listings of ``lang``'s section (the site's own language at
    the root, another under /es/), each release of ``shown`` (once per story, in ``lang``
    where it can be) where it belongs; names from site.yaml and text from the catalogue.
    ``years_of``: the years each language's news has, whose pages name each other."""
    config = site.config
    _ = translator(site, lang)
    root = config.section(lang)
    home = home_crumb(site, lang)
    own = "" if lang == config.language else lang
    feeds_of = {feed.folder: feed_links(feed) for feed in feeds}
    feed_at = {feed.folder: feed for feed in feeds}

    def name(text: str) -> str:
        return site_text_in(site, text, lang)

    by_year: dict[int, list[Release]] = {}
    for release in shown:
        by_year.setdefault(config.local_date(release.release_date).year, []).append(release)
    for year in sorted(by_year, reverse=True):
        yield from listing_contexts(
            config,
            tuple(by_year[year]),
            heading=_("News from %(year)s") % {"year": year},
            url=root + year_url(year),
            crumbs=news_crumbs(site, lang),
            intro="",
            lang=own,
            gettext=_,
            alternates=section_alternates(
                config, year_url(year), [other for other in years_of if year in years_of[other]]
            ),
        )
    by_topic = grouped(shown, lambda release: release.topics)
    by_agency = grouped(shown, lambda release: release.agencies)

    def group(
        what: str,
        path: str,
        *,
        label: str,
        description: str,
        intro: tuple[str, str],
        releases: list[Release],
    ) -> Group:
        """A topic (or agency) at ``path`` (/topics/<id>/) in ``lang``'s section, named by
        ``label`` and ``description`` of site.yaml; ``intro``: its text and language."""
        label_lang = untranslated_in(site, label, lang)
        return Group(
            label=name(label),
            url=root + path,
            description=name(description),
            intro=intro[0],
            releases=tuple(releases),
            follow=follow_box(
                config, what, name(label), root + path, feed_at, label_lang=label_lang
            ),
            alternates=section_alternates(config, path),
            label_lang=label_lang,
            description_lang=untranslated_in(site, description, lang),
            intro_lang=intro[1],
        )

    topics = tuple(
        group(
            "topic",
            topic_url(topic.id),
            label=topic.name,
            description=topic.description,
            intro=(name(topic.description), untranslated_in(site, topic.description, lang)),
            releases=by_topic.get(topic.id, []),
        )
        for topic in config.topics
    )
    agencies = tuple(
        group(
            "agency",
            agency_url(agency.id),
            label=agency.name,
            description=agency.short_name,
            intro=(_("Releases from %(agency)s.") % {"agency": name(agency.name)}, ""),
            releases=by_agency.get(agency.id, []),
        )
        for agency in config.agencies
    )
    for index, groups in ((TOPICS, topics), (AGENCIES, agencies)):
        yield from taxonomy_contexts(
            config,
            Crumb(label=index.label, url=root + index.url),
            groups,
            feeds_of,
            home=home,
            lang=own,
            gettext=_,
            alternates=section_alternates(config, index.url),
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
    config: SiteConfig,
    what: str,
    label: str,
    url: str,
    feeds: dict[str, Feed],
    *,
    label_lang: str = "",
) -> Follow | None:
    """The "Follow this topic" (or agency) box of the listing at ``url``; ``label_lang``: the
    language of ``label`` when not the page's."""
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
        label_lang=label_lang,
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
    versions = tuple(r for r in site.releases if not r.withdrawn)  # in every language
    releases = shown_in(site, versions, config.language)  # each once, in English if it can be
    yield HomeContext(
        meta=Meta(
            title=config.title,
            url="/",
            description=config.description,
            alternates=section_alternates(config, "/"),
        ),
        latest=releases[: config.home_size],
        topics=config.topics,
    )
    # newer, older and related releases are in the page's language: a reader of a Spanish
    # release is offered Spanish ones (its other versions are in its language switcher)
    for lang in config.languages:
        yield from release_contexts(site, written_in(versions, lang), preview_now, histories)
    yield from release_contexts(
        site, tuple(r for r in site.releases if r.withdrawn), preview_now, histories
    )
    shown = {lang: shown_in(site, versions, lang) for lang in config.languages}
    years_of = {
        lang: frozenset(config.local_date(r.release_date).year for r in shown[lang])
        for lang in config.languages
    }
    yield from listing_contexts(
        config,
        releases,
        heading="News",
        url="/news/",
        crumbs=(HOME,),
        intro=f"Every release of {config.organisation}, newest first.",
        years=tuple(sorted(years_of[config.language], reverse=True)),
        alternates=section_alternates(config, "/news/"),
    )
    yield from language_listings(site, config.language, releases, feeds, years_of)
    yield SearchContext(
        # Indexed, so that people find where to search the releases; its results for a query
        # (/search/?query=...) name /search/ as their canonical address, which keeps them out
        # of search engines' indexes.
        meta=Meta(
            title="Search",
            url=SEARCH_URL,
            description=f"Search the releases of {config.organisation}.",
            breadcrumbs=(HOME,),
            alternates=section_alternates(config, SEARCH_URL),
        ),
        index_url=SEARCH_INDEX_URL,
        searchgov_url=f"{SEARCHGOV_ORIGIN}/search" if config.searchgov_affiliate else "",
        searchgov_affiliate=config.searchgov_affiliate,
        filters=search_filters(site, config.language),
    )
    homes = {lang: home_crumb(site, lang) for lang in config.languages}
    by_name: dict[str, list[tuple[str, str]]] = {}
    for page in site.pages:
        by_name.setdefault(page.name, []).append((page.lang or config.language, page.url))
    for page in site.pages:
        lang = page.lang or config.language
        yield PageContext(
            meta=Meta(
                title=page.title,
                url=page.url,
                description=page.summary,
                breadcrumbs=(homes[lang],),
                lang="" if lang == config.language else lang,
                alternates=page_alternates(config, by_name[page.name]),
            ),
            page=page,
        )
    for lang in config.languages[1:]:
        yield from language_section(site, lang, shown[lang], feeds, years_of)
    if feeds:
        yield from subscribe_contexts(site, feeds)
    for lang in config.languages:
        yield verify_context(site, lang, signer)


def verify_context(site: Site, lang: str, signer: str) -> VerifyContext:
    """The verify page of ``lang``'s section (/verify/, /es/verify/): one ledger, every
    release in every language; its labels and the script's answers in ``lang``."""
    config = site.config
    _ = translator(site, lang)
    organisation = site_text_in(site, config.organisation, lang)
    own = lang == config.language
    return VerifyContext(
        meta=Meta(
            title=_("Verify a statement"),
            url=config.section(lang) + VERIFY_URL,
            description=single_stop(
                _("Check whether a text is a release of %(organisation)s.")
                % {"organisation": organisation}
            ),
            breadcrumbs=(home_crumb(site, lang),),
            lang="" if own else lang,
            alternates=section_alternates(config, VERIFY_URL),
        ),
        ledger_url=LEDGER_URL,
        signature_url=SIGNATURE_URL if signer else "",
        public_key_url=PUBLIC_KEY_URL if signer else "",
        key_id=signer,
        plural_samples=plural_samples(lang),
    )


def section_alternates(
    config: SiteConfig, url: str, langs: Iterable[str] | None = None
) -> tuple[tuple[str, str], ...]:
    """hreflang links of a page each language's section has (home, news, topics, search):
    ``url`` under the section of each language of ``langs`` (by default all) that has it, the
    site's own language (else the first) as x-default; () for a page in one language."""
    present = [lang for lang in config.languages if langs is None or lang in langs]
    if len(present) < 2:
        return ()
    return (
        *((lang, config.section(lang) + url) for lang in present),
        ("x-default", config.section(present[0]) + url),
    )


def page_alternates(
    config: SiteConfig, versions: list[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """hreflang links of a page of content/pages/ that exists in several languages (the same
    name in a language's folder: about.md, es/about.md), in the order of ``languages``."""
    if len(versions) < 2:
        return ()
    order = {lang: index for index, lang in enumerate(config.languages)}
    ordered = sorted(versions, key=lambda version: order.get(version[0], len(order)))
    own = dict(ordered).get(config.language, ordered[0][1])
    return (*ordered, ("x-default", own))


def home_crumb(site: Site, lang: str) -> Crumb:
    """The first crumb of a page in ``lang``: the home page of its language's section."""
    if lang == site.config.language:
        return HOME
    return Crumb(label=translator(site, lang)("Home"), url=site.config.section(lang) + "/")


def news_crumb(site: Site, lang: str) -> Crumb:
    """The crumb of the news listing of the section of ``lang`` (/news/, /es/news/)."""
    if lang == site.config.language:
        return NEWS
    return Crumb(label=translator(site, lang)("News"), url=site.config.section(lang) + "/news/")


def news_crumbs(site: Site, lang: str) -> tuple[Crumb, ...]:
    """The trail of a page below the news of ``lang``'s section (a release, a year's news)."""
    return (home_crumb(site, lang), news_crumb(site, lang))


def language_section(
    site: Site,
    lang: str,
    shown: tuple[Release, ...],
    feeds: tuple[Feed, ...],
    years_of: Mapping[str, frozenset[int]],
) -> Iterator[Context]:
    """The section of the site in another language than its own (/es/): its home page, its
    news, year, topic and agency listings and its search page, with ``shown``, each release
    in ``lang`` where it has a version in it, else in its original; the section's feeds are
    advertised on its home and listings."""
    config = site.config
    _ = translator(site, lang)
    title, organisation = (
        site_text_in(site, text, lang) for text in (config.title, config.organisation)
    )
    description = site_text_in(site, config.description, lang)
    root = config.section(lang) + "/"
    home = home_crumb(site, lang)
    site_feed = next((feed for feed in feeds if feed.folder == root), None)
    yield HomeContext(
        meta=Meta(
            title=title,
            url=root,
            description=description,
            lang=lang,
            alternates=section_alternates(config, "/"),
        ),
        latest=shown[: config.home_size],
        topics=config.topics,
    )
    yield from listing_contexts(
        config,
        shown,
        heading=_("News"),
        url=root + "news/",
        crumbs=(home,),
        intro=_("Every release of %(organisation)s, newest first.")
        % {"organisation": organisation},
        years=tuple(sorted(years_of[lang], reverse=True)),
        feeds=feed_links(site_feed) if site_feed is not None else (),
        lang=lang,
        gettext=_,
        alternates=section_alternates(config, "/news/"),
    )
    yield from language_listings(site, lang, shown, feeds, years_of)
    yield SearchContext(
        meta=Meta(
            title=_("Search"),
            url=config.section(lang) + SEARCH_URL,
            description=single_stop(
                _("Search the releases of %(organisation)s.") % {"organisation": organisation}
            ),
            breadcrumbs=(home,),
            lang=lang,
            alternates=section_alternates(config, SEARCH_URL),
        ),
        index_url=SEARCH_INDEX_URL,
        searchgov_url=f"{SEARCHGOV_ORIGIN}/search" if config.searchgov_affiliate else "",
        searchgov_affiliate=config.searchgov_affiliate,
        filters=search_filters(site, lang),
        plural_samples=plural_samples(lang),
    )


def subscribe_contexts(site: Site, feeds: tuple[Feed, ...]) -> Iterator[SubscribeContext]:
    """/subscribe/ and its version in each other language (/es/subscribe/): the feeds of its
    language (every release, each topic, each agency), what they follow and their formats,
    e-mail sign-up, and the site's feed in every other language, with its subscribe page."""
    config = site.config
    for lang in config.languages:
        _ = translator(site, lang)
        root = config.section(lang)
        own = "" if lang == config.language else lang
        # the texts of site.yaml each feed of the language is named and described by
        declared = {
            root + "/": ("", config.description),
            **{root + topic_url(t.id): (t.name, t.description) for t in config.topics},
            **{root + agency_url(a.id): (a.name, "") for a in config.agencies},
        }

        def subscription(
            feed: Feed,
            label: str,
            lang: str = lang,
            declared: dict[str, tuple[str, str]] = declared,
        ) -> Subscription:
            email, email_own = email_signup(config, feed.folder)
            other = "" if feed.language == lang else feed.language
            named, described = declared.get(feed.folder, ("", ""))
            return Subscription(
                name=feed.name,
                description=feed.description,
                url=feed.folder,
                count=feed.total,
                links=feed_links(feed, short=True),
                label=label,
                email=email,
                email_own=email_own,
                lang=other or untranslated_in(site, named, lang),
                description_lang=other or untranslated_in(site, described, lang),
                hreflang=other,
            )

        mine = [feed for feed in feeds if feed.language == lang]
        everything = next(feed for feed in mine if feed.folder == root + "/")
        others = [
            feed
            for other in config.languages
            if other != lang
            for feed in feeds
            if feed.folder == config.section(other) + "/"
        ]
        organisation = site_text_in(site, config.organisation, lang)
        yield SubscribeContext(
            meta=Meta(
                title=_("Subscribe"),
                url=root + SUBSCRIBE_URL,
                description=_("Follow the releases of %(organisation)s in a feed reader.")
                % {"organisation": organisation},
                breadcrumbs=(home_crumb(site, lang),),
                lang=own,
                alternates=section_alternates(config, SUBSCRIBE_URL),
            ),
            everything=subscription(everything, _("every release")),
            topics=tuple(
                subscription(feed, feed.name)
                for feed in mine
                if feed.folder.startswith(root + TOPICS.url)
            ),
            agencies=tuple(
                subscription(feed, feed.name)
                for feed in mine
                if feed.folder.startswith(root + AGENCIES.url)
            ),
            languages=tuple(
                subscription(
                    feed,
                    _("every release in %(language)s")
                    % {"language": language_name(feed.language, lang)},
                )
                for feed in others
            ),
            subscribe_pages=tuple(
                (
                    other,
                    config.section(other) + SUBSCRIBE_URL,
                    translator(site, other)(SUBSCRIBE_IN)
                    % {"language": language_name(other, other)},
                )
                for other in config.languages
                if other != lang
            ),
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
        crumbs = news_crumbs(site, release.lang)
        yield ReleaseContext(
            meta=Meta(
                title=release.title,
                url=release.url,
                description=release.summary,
                breadcrumbs=crumbs,
                lang=release.lang,
                preview_notices=(
                    preview_notices(
                        release, preview_now, site.config, translator(site, release.lang)
                    )
                    if preview_now
                    else ()
                ),
                image=release.image,
            ),
            release=release,
            newer=releases[index - 1] if listed and index > 0 else None,
            older=releases[index + 1] if listed and index + 1 < len(releases) else None,
            related=related(index) if listed else (),
            successor=by_url.get(release.superseded_by),
            changes_url=changes_url,
            versions=site.versions(release),
            outdated_by=site.outdated_by(release),
        )
        if changes_url:
            yield changes_context(site, release, revisions, crumbs)


def changes_context(
    site: Site, release: Release, revisions: tuple[Revision, ...], crumbs: tuple[Crumb, ...]
) -> ChangesContext:
    """A release's changes page, in the release's language, under its ``crumbs``."""
    _ = translator(site, release.lang)
    published = long_date(site.config.local_date(revisions[0].published), release.lang)
    return ChangesContext(
        meta=Meta(
            title=_(CHANGES_TITLE) % {"title": release.title},
            url=release.url + CHANGES_FOLDER,
            description=_(CHANGES_DESCRIPTION) % {"date": published},
            breadcrumbs=(*crumbs, Crumb(label=release.title, url=release.url)),
            lang=release.lang,
        ),
        release=release,
        published=revisions[0].published,
        changes=changes(revisions),
    )


CHANGES_TITLE = N_("Changes to: %(title)s")
CHANGES_DESCRIPTION = N_("Every change made to this release after it was published on %(date)s.")
DRAFT = N_("Draft — not published")
SCHEDULED = N_("Scheduled for %(date)s at %(time)s %(zone)s — not yet public")


def preview_notices(
    release: Release, now: datetime, config: SiteConfig, gettext: Callable[[str], str] = str
) -> tuple[str, ...]:
    """What a press officer previewing the site must not mistake for the public page, in the
    release's language (``gettext``, its catalogue's): dates and times from CLDR (Babel)."""
    notices = []
    if release.draft:
        notices.append(gettext(DRAFT))
    if release.release_date > now:
        local = release.release_date.astimezone(config.tz)
        locale = release.lang.replace("-", "_")
        zone = format_time(local, "zzz", tzinfo=config.tz, locale=locale)
        if zone.startswith(("+", "-", "GMT")):  # no abbreviation in CLDR: the zone's full name
            zone = format_time(local, "zzzz", tzinfo=config.tz, locale=locale)
        notices.append(
            gettext(SCHEDULED)
            % {
                "date": long_date(local.date(), release.lang),
                "time": format_time(local, "short", tzinfo=config.tz, locale=locale),
                "zone": zone,
            }
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
    lang: str = "",
    gettext: Callable[[str], str] = str,
    alternates: tuple[tuple[str, str], ...] = (),
    title_lang: str = "",
    intro_lang: str = "",
) -> Iterator[ListingContext]:
    """The pages of one listing, ``config.page_size`` releases each; at least one page.

    ``feeds`` are advertised on the first page, the one subscribers land on, which alone has
    ``alternates`` (its versions in other languages). ``lang`` is the listing's language ('' for
    the site's own), whose ``gettext`` titles its further pages; ``title_lang`` (``intro_lang``)
    that of ``heading`` (``intro``) when not the listing's.
    """
    size = config.page_size
    count = max(1, -(-len(releases) // size))
    for number in range(1, count + 1):
        title = (
            heading
            if number == 1
            else gettext("%(heading)s (page %(number)s of %(count)s)")
            % {"heading": heading, "number": number, "count": count}
        )
        yield ListingContext(
            meta=Meta(
                title=title,
                url=paginated_url(url, number),
                description=intro or heading,
                breadcrumbs=crumbs,
                feeds=feeds if number == 1 else (),
                lang=lang,
                alternates=alternates if number == 1 else (),
                title_lang=title_lang if number == 1 else "",
            ),
            heading=heading,
            intro=intro,
            intro_lang=intro_lang,
            releases=releases[(number - 1) * size : number * size],
            pagination=Pagination(number=number, count=count, first_url=url),
            years=years,
            follow=follow,
        )


def search_filters(site: Site, lang: str) -> tuple[SearchFilter, ...]:
    """The filters of the search page in ``lang``, with the values the search records of the
    releases in ``lang`` give Pagefind (which searches only them there)."""
    config = site.config
    _ = translator(site, lang)
    releases = written_in((r for r in site.releases if not r.withdrawn), lang)

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
            label=_("Topic"),
            options=options(
                {site_text_in(site, t.name, lang): topics[t.id] for t in config.topics}
            ),
        ),
        SearchFilter(
            name="agency",
            label=_("Agency"),
            options=options(
                {site_text_in(site, a.name, lang): agencies[a.id] for a in config.agencies}
            ),
        ),
        SearchFilter(
            name="kind",
            label=_("Type"),
            options=options({site_text_in(site, k.name, lang): kinds[k.id] for k in config.kinds}),
        ),
        SearchFilter(
            name="year",
            label=_("Year"),
            options=options(dict(sorted(years.items(), reverse=True))),
        ),
    )
    return tuple(f for f in filters if f.options)
