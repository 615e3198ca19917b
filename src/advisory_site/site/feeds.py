"""RSS 2.0, Atom 1.0 and JSON Feed 1.1, all three written from one feed model.

Every date in a feed comes from the content (a release's own dates), never from the clock, so an
unchanged site gives byte-identical feeds.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

from advisory_site.core.models import Release, Site, SiteConfig, grouped, long_date
from advisory_site.core.urls import agency_url, topic_url
from advisory_site.markdown.render import END_MARK_CLASS, sanitise
from advisory_site.site.sections import (
    shown_in,
    single_stop,
    site_text_in,
    translator,
    written_in,
)
from advisory_site.source.languages import language_name

EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""The updated date of a feed without items: fixed, so an empty feed never changes either."""

GENERATOR = "advisory-site"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# What a JSON Feed item's "_translations" object is: Atom's link relation it mirrors
TRANSLATIONS_ABOUT = "https://www.rfc-editor.org/rfc/rfc4287#section-4.2.7"
_ATOM_NS = "http://www.w3.org/2005/Atom"
TOPICS = "/topics/"  # where a language's topic feeds live, within its section
AGENCIES = "/agencies/"
_DATED_PATH = re.compile(r"^/news/(\d{4})/(\d{2})/(\d{2})/[^/]")
# Characters XML 1.0 cannot carry at all; a stray one in content would make the feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedFormat:
    name: str
    file: str
    media_type: str


RSS = FeedFormat(name="RSS", file="rss.xml", media_type="application/rss+xml")
ATOM = FeedFormat(name="Atom", file="atom.xml", media_type="application/atom+xml")
JSON_FEED = FeedFormat(name="JSON Feed", file="feed.json", media_type="application/feed+json")
FORMATS = (RSS, ATOM, JSON_FEED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    term: str  # the topic's or agency's id
    label: str  # its name, for people
    scheme: str  # absolute URL of the list it belongs to: .../topics/ or .../agencies/


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    """One release as every feed format shows it."""

    id: str  # stable: see item_id()
    url: str  # absolute
    title: str
    summary: str  # plain text
    content_html: str  # the full sanitised body, every address absolute
    published: datetime  # the release date
    updated: datetime  # the release date or its latest major update
    author: str  # the contact office
    author_email: str
    categories: tuple[Category, ...]  # topics, then agencies
    image: FeedImage | None = None  # the lead image
    language: str = ""  # the release's BCP 47 language ('' where unknown: the feed's)
    # the release's other versions (its original and translations): (language, absolute URL)
    alternates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedImage:
    """A release's lead image as feeds carry it: RSS <enclosure>, Atom <link rel="enclosure">,
    JSON Feed ``image``."""

    url: str  # absolute
    media_type: str
    length: int  # bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    """One feed (the site's, a topic's or an agency's), whatever the format."""

    folder: str  # site path the feed files live under: '/', '/topics/<id>/', '/agencies/<id>/'
    name: str  # what it follows, for people: 'All releases', a topic's or an agency's name
    id: str  # Atom feed id: the absolute URL of the listing page
    title: str
    description: str
    home_url: str  # absolute URL of the listing page
    language: str
    author: str  # the organisation
    hub: str  # WebSub hub, or ''
    updated: datetime  # the newest item's updated date, or EMPTY_FEED_UPDATED
    items: tuple[FeedItem, ...]  # newest first
    total: int  # releases in the listing (withdrawn ones not counted); ``items``: the newest

    def path(self, feed_format: FeedFormat) -> str:
        """The site path of this feed in one format, such as '/topics/x/atom.xml'."""
        return self.folder + feed_format.file

    def url(self, feed_format: FeedFormat) -> str:
        return self.home_url + feed_format.file


# -- the model ----------------------------------------------------------------------------------


def site_feeds(site: Site) -> tuple[Feed, ...]:
    """For each of the site's languages, its own first: the site's feed, then one per
    declared topic and per declared agency (even empty ones), those of another language in
    its section (/es/, /es/topics/<id>/), named in it (site.yaml, the catalogue).

    The feeds of the site's own language hold each release once, in that language where it
    has a version in it (so no subscriber is told twice); another language's feed holds the
    releases written in that language.
    """
    config = site.config
    items: dict[str, FeedItem] = {}  # one FeedItem per release, shared by every feed showing it

    def feed(
        folder: str,
        name: str,
        title: str,
        description: str,
        releases: list[Release],
        *,
        language: str = config.language,
    ) -> Feed:
        newest = releases[: config.feed_size]
        for release in newest:
            if release.url not in items:
                items[release.url] = feed_item(
                    release,
                    config,
                    others=site.translations(release),
                    gettext=translator(site, release.lang),
                    name=functools.partial(site_text_in, site, lang=release.lang),
                )
        chosen = tuple(items[release.url] for release in newest)
        return Feed(
            folder=folder,
            name=_xml_text(name),
            id=config.absolute(folder),
            title=_xml_text(title),
            description=_xml_text(description),
            home_url=config.absolute(folder),
            language=language,
            author=_xml_text(config.organisation),
            hub=config.websub_hub,
            updated=max((item.updated for item in chosen), default=EMPTY_FEED_UPDATED),
            items=chosen,
            total=sum(not release.withdrawn for release in releases),
        )

    feeds: list[Feed] = []
    for lang in config.languages:
        _ = translator(site, lang)
        root = config.section(lang)
        # the site's own language: each story once, in it where it can be; another: the
        # releases written in it, so that its subscribers get no release twice nor in English
        releases = list(
            shown_in(site, site.releases, lang)
            if lang == config.language
            else written_in(site.releases, lang)
        )
        title, description, organisation = (
            site_text_in(site, text, lang)
            for text in (config.title, config.description, config.organisation)
        )
        feeds.append(
            feed(
                root + "/",
                _("All releases"),
                title,
                description
                or single_stop(
                    _("Every release of %(organisation)s.") % {"organisation": organisation}
                ),
                releases,
                language=lang,
            )
        )
        by_topic = grouped(releases, lambda release: release.topics)
        by_agency = grouped(releases, lambda release: release.agencies)
        for topic in config.topics:
            name = site_text_in(site, topic.name, lang)
            feeds.append(
                feed(
                    root + topic_url(topic.id),
                    name,
                    f"{name} | {title}",
                    site_text_in(site, topic.description, lang)
                    or _("Releases about %(topic)s.") % {"topic": name},
                    by_topic.get(topic.id, []),
                    language=lang,
                )
            )
        for agency in config.agencies:
            name = site_text_in(site, agency.name, lang)
            feeds.append(
                feed(
                    root + agency_url(agency.id),
                    name,
                    f"{name} | {title}",
                    _("Releases from %(agency)s.") % {"agency": name},
                    by_agency.get(agency.id, []),
                    language=lang,
                )
            )
    return tuple(feeds)


# An end mark that stands before a release's boilerplate ('###', then "FEMA's mission is ..."),
# as render writes it: it closes the page; a feed item's text is the release without it.
_END_MARKS = re.compile(rf'<p class="{END_MARK_CLASS}">[^<]*</p>\n?')


def feed_item(
    release: Release,
    config: SiteConfig,
    *,
    others: tuple[Release, ...] = (),
    gettext: Callable[[str], str] = str,
    name: Callable[[str], str] = str,
) -> FeedItem:
    """``release`` as a feed item; ``others`` are its other versions (linked from it),
    ``gettext`` translates the feed's own words and ``name`` the names of site.yaml (its topics
    and agencies) into the release's language."""
    _ = gettext
    url = config.absolute(release.url)
    topics = config.absolute("/topics/")
    agencies = config.absolute("/agencies/")
    lang = release.lang
    title, summary, notice = release.title, release.summary, ""
    if release.withdrawal is not None:  # readers are told again, at withdrawn_date
        title = _("Withdrawn: %(title)s") % {"title": release.title}
        summary = _("This release has been withdrawn. %(reason)s") % {
            "reason": release.withdrawal.reason
        }
        notice = f"<p><strong>{html.escape(summary)}</strong></p>\n"
    image = release.image
    return FeedItem(
        image=(
            FeedImage(
                url=config.absolute_href(image.src),
                media_type=image.media_type,
                length=image.length,
            )
            if image is not None
            else None
        ),
        id=item_id(release, config),
        url=url,
        title=_xml_text(title),
        summary=_xml_text(summary),
        content_html=_xml_text(
            notice
            + _END_MARKS.sub("", sanitise(release.body_html, base_url=url))
            + _major_updates(release, config, _, lang)
        ),
        published=release.release_date.astimezone(config.tz),
        updated=release.updated.astimezone(config.tz),
        # the press office, or else who issued the release
        author=_xml_text(
            release.contact.office
            if release.contact
            else (release.agencies[0].name if release.agencies else config.organisation)
        ),
        author_email=release.contact.email if release.contact else "",
        categories=(
            *(
                Category(term=t.id, label=_xml_text(name(t.name)), scheme=topics)
                for t in release.topics
            ),
            *(
                Category(term=a.id, label=_xml_text(name(a.name)), scheme=agencies)
                for a in release.agencies
            ),
        ),
        language=lang,
        alternates=tuple((other.lang, config.absolute(other.url)) for other in others),
    )


def _major_updates(
    release: Release, config: SiteConfig, gettext: Callable[[str], str] = str, lang: str = ""
) -> str:
    """The major updates as HTML, so a re-notified reader sees what changed.

    Minor updates are left out: they must not change a feed by a single byte.
    """
    major = [update for update in release.updates if update.major]
    if not major:
        return ""
    lines = "".join(
        f'<li><time datetime="{config.local_iso(update.date)}">'
        f"{long_date(config.local_date(update.date), lang or config.language)}</time>: "
        f"{html.escape(update.note)}</li>\n"
        for update in major
    )
    heading = html.escape(gettext("Updates"))
    return f"\n<h2>{heading}</h2>\n<ul>\n{lines}</ul>"


def item_id(release: Release, config: SiteConfig) -> str:
    """The release's permanent id: a tag: URI (RFC 4151) of the address it was first published at.

    The original address is the first alias that is a dated release address
    (/news/YYYY/MM/DD/<slug>), else the current one; its date is the tag's date. Corrections,
    new titles and new slugs (with the old address kept as an alias) leave the id unchanged.
    """
    original = next(
        (alias for alias in release.aliases if _dated_path(alias) is not None), release.url
    )
    day = _dated_path(original) or config.local_date(release.release_date)
    host = urlsplit(config.base_url).hostname or ""
    return f"tag:{host},{day.isoformat()}:{config.link(original.rstrip('/'))}"


def _dated_path(path: str) -> date | None:
    match = _DATED_PATH.match(path)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


# -- RSS 2.0 and Atom 1.0, through feedgen -------------------------------------------------------


class _RssHub(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Adds <atom:link rel="hub"> to an RSS channel: feedgen writes only the self link there."""

    def __init__(self) -> None:
        self.href = ""

    def extend_rss(self, rss: Any) -> Any:
        if self.href:
            channel = rss.find("channel")
            channel.append(channel.makeelement(f"{{{_ATOM_NS}}}link", href=self.href, rel="hub"))
        return rss


class _AtomEnclosure(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped
    """Adds <link rel="enclosure" href type length> to an Atom entry: feedgen's own enclosure
    loses every attribute of an entry's links but href in Atom (it reads them back from the
    element it has just made), which would make the image a second rel="alternate" link."""

    def __init__(self) -> None:
        self.image: FeedImage | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.image is not None:
            tag = entry.tag[: -len("entry")] + "link"  # in the Atom namespace, as the entry
            entry.append(
                entry.makeelement(
                    tag,
                    href=self.image.url,
                    rel="enclosure",
                    type=self.image.media_type,
                    length=str(self.image.length),
                )
            )
        return entry


class _Versions(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Links an item to its versions in other languages: Atom's <link rel="alternate"
    hreflang>, one per language (the item's own link gets its hreflang: feedgen writes only its
    href), and the same atom:link elements in an RSS item, whose <link> stays its own page (RSS
    2.0 has no element for them)."""

    def __init__(self) -> None:
        self.own = ""  # the item's language, when it has other versions (Atom)
        self.versions: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def _link(parent: Any, lang: str, url: str, tag: str = f"{{{_ATOM_NS}}}link") -> Any:
        return parent.makeelement(tag, rel="alternate", type="text/html", hreflang=lang, href=url)

    def extend_rss(self, item: Any) -> Any:
        for lang, url in self.versions:
            item.append(self._link(item, lang, url))
        return item

    def extend_atom(self, entry: Any) -> Any:
        if not self.own:
            return entry
        tag = entry.tag[: -len("entry")] + "link"  # in the Atom namespace, as the entry
        links = [link for link in entry.findall(tag) if link.get("rel") in (None, "alternate")]
        links[0].attrib.update({"rel": "alternate", "type": "text/html", "hreflang": self.own})
        at = list(entry).index(links[-1]) + 1
        for offset, (lang, url) in enumerate(self.versions):
            entry.insert(at + offset, self._link(entry, lang, url, tag))
        return entry


def _generator(feed: Feed, feed_format: FeedFormat) -> Any:
    """A feedgen FeedGenerator holding ``feed``, every date and default pinned."""
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)  # dc:creator: an office without e-mail
    generator.register_extension("websub", _RssHub, atom=False, rss=True)
    generator.register_extension("versions", BaseExtension, _Versions, atom=True, rss=True)
    generator.websub.href = feed.hub
    if feed_format is ATOM:
        generator.register_extension(
            "lead_image", BaseExtension, _AtomEnclosure, atom=True, rss=False
        )
    generator.id(feed.id)
    generator.title(feed.title)
    generator.subtitle(feed.description)  # also RSS <description>
    generator.link(href=feed.url(feed_format), rel="self", type=feed_format.media_type)
    if feed.hub:
        generator.link(href=feed.hub, rel="hub")
    # last: feedgen takes the RSS channel's <link> from the last link added
    generator.link(href=feed.home_url, rel="alternate", type="text/html")
    generator.language(feed.language)
    generator.author(name=feed.author)
    generator.generator(GENERATOR)  # feedgen's default names its own version
    generator.updated(feed.updated)  # also RSS <lastBuildDate>; feedgen's default is the clock
    for item in feed.items:
        entry = generator.add_entry(order="append")
        entry.id(item.id)  # also RSS <guid isPermaLink="false">
        entry.title(item.title)
        _item_links(entry, item, feed, feed_format)
        # RSS readers render an item's <description> as HTML, so the plain-text summary is
        # escaped (or "<script>..." in a summary would run in them). Set first: feedgen's
        # description() also sets Atom's content, which content() then replaces.
        entry.description(html.escape(item.summary, quote=False))
        entry.content(item.content_html, type="html")  # RSS <content:encoded>
        entry.summary(item.summary)  # Atom <summary>: plain text
        entry.published(item.published)  # RSS <pubDate>
        entry.updated(item.updated)
        _item_author(entry, item, feed_format)
        for category in item.categories:
            entry.category(term=category.term, label=category.label, scheme=category.scheme)
        if item.image is not None and feed_format is RSS:
            entry.enclosure(item.image.url, str(item.image.length), item.image.media_type)
        elif item.image is not None and feed_format is ATOM:
            entry.lead_image.image = item.image
    return generator


def _item_links(entry: Any, item: FeedItem, feed: Feed, feed_format: FeedFormat) -> None:
    """The item's page and, for a release with other versions, theirs: in Atom, one
    rel="alternate" link per language (hreflang); in RSS, <link> and <atom:link> elements. An
    item in another language than its feed says so (RSS: dc:language)."""
    own = item.language or feed.language
    entry.link(href=item.url, rel="alternate", type="text/html")
    if feed_format is RSS:
        if item.alternates:
            entry.versions.versions = ((own, item.url), *item.alternates)
        if own != feed.language:
            entry.dc.dc_language(own)
    elif item.alternates or own != feed.language:
        entry.versions.own = own
        entry.versions.versions = item.alternates


def _item_author(entry: Any, item: FeedItem, feed_format: FeedFormat) -> None:
    """The contact office as the item's one author.

    RSS's <author> must be an e-mail address ("email (name)"), so an office without one is
    named by <dc:creator> instead; never both, which say the same thing twice (the W3C feed
    validator's DuplicateItemSemantics).
    """
    if item.author_email:
        entry.author(name=item.author, email=item.author_email)
    elif feed_format is RSS:
        entry.dc.dc_creator(item.author)
    else:
        entry.author(name=item.author)


def rss_xml(feed: Feed) -> bytes:
    return bytes(_generator(feed, RSS).rss_str(pretty=True))


def atom_xml(feed: Feed) -> bytes:
    return bytes(_generator(feed, ATOM).atom_str(pretty=True))


# -- JSON Feed 1.1 ------------------------------------------------------------------------------


def json_feed(feed: Feed) -> bytes:
    """JSON Feed 1.1 with a fixed key order, UTF-8 text and a final newline."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.url(JSON_FEED),
        "description": feed.description,
        "language": feed.language,
        "authors": [{"name": feed.author}],
    }
    if feed.hub:
        document["hubs"] = [{"type": "WebSub", "url": feed.hub}]
    document["items"] = [_json_item(item, feed.language) for item in feed.items]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(item: FeedItem, feed_language: str) -> dict[str, Any]:
    author: dict[str, str] = {"name": item.author}
    if item.author_email:
        author["url"] = f"mailto:{item.author_email}"
    found: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "content_html": item.content_html,
    }
    if item.image is not None:
        found["image"] = item.image.url
    document = found | {
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [author],
        "tags": [category.label for category in item.categories],
    }
    if item.language and (item.language != feed_language or item.alternates):
        document["language"] = item.language
    if item.alternates:
        # JSON Feed has no field for an item's versions in other languages: an extension
        # object (its name starts with "_"), which readers that do not know it ignore
        document["_translations"] = {
            "about": TRANSLATIONS_ABOUT,
            "versions": [{"language": lang, "url": url} for lang, url in item.alternates],
        }
    return document


# -- every file ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedWriter:
    """Writes a feed in one format. The build plans a feed file with its writer (a ``Maker``)
    and has it written later, where pages are rendered (``build.Pending``)."""

    feed_format: FeedFormat

    def render(self, feed: Feed, view: object = None, /) -> bytes:
        return _WRITE[self.feed_format.file](feed)


_WRITE = {RSS.file: rss_xml, ATOM.file: atom_xml, JSON_FEED.file: json_feed}


def feed_files(feed: Feed) -> tuple[tuple[str, FeedWriter], ...]:
    """(output path, writer) of the feed in every format."""
    return tuple((feed.path(form).lstrip("/"), FeedWriter(form)) for form in FORMATS)


def opml(site: Site, feeds: tuple[Feed, ...]) -> bytes:
    """OPML 2.0 listing every feed once (its Atom form): the site's, its topics' and its
    agencies' in folders, then the site's feed in each other language ("Languages") and that
    language's topic and agency feeds, in folders named in it ("Temas (español)").

    One format per feed: importing all three would subscribe a reader to every release thrice.
    """
    config = site.config
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = f"Feeds of {config.title}"
    ElementTree.SubElement(head, "ownerName").text = config.organisation
    ElementTree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ElementTree.SubElement(root, "body")
    sections = [config.section(lang) + "/" for lang in config.languages]
    _outline(body, feeds[0])

    def folder(label: str, group: list[Feed], lang: str = "") -> None:
        if group:
            element = ElementTree.SubElement(body, "outline", text=label)
            if lang:
                element.set("language", lang)
            for feed in group:
                _outline(element, feed)

    for lang in config.languages:
        _ = translator(site, lang)
        named = "" if lang == config.language else f" ({language_name(lang, lang)})"
        for label, prefix in (("Topics", TOPICS), ("Agencies", AGENCIES)):
            start = config.section(lang) + prefix
            group = [feed for feed in feeds if feed.folder.startswith(start)]
            folder(_(label) + named, group, "" if lang == config.language else lang)
        if lang == config.language:
            folder("Languages", [feed for feed in feeds[1:] if feed.folder in sections])
    ElementTree.indent(root)
    text = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def _outline(parent: ElementTree.Element, feed: Feed) -> None:
    ElementTree.SubElement(
        parent,
        "outline",
        type="rss",  # OPML's word for any feed, Atom included
        text=feed.title,
        title=feed.title,
        description=feed.description,
        xmlUrl=feed.url(ATOM),
        htmlUrl=feed.home_url,
        language=feed.language,
    )
