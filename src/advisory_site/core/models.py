"""The site's data: frozen, typed values with no I/O."""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from advisory_site.core.errors import ContentError


def N_(message: str) -> str:  # noqa: N802 - gettext's name, which pybabel extracts
    """Mark ``message`` for the catalogues (locales/messages.pot) where it is made; it is
    translated where a template shows it (``| translate``)."""
    return message


def link_under(prefix: str, url: str) -> str:
    """The href of ``url`` on a site served under the path ``prefix`` ('' at a domain's root):
    site paths ('/news/') get the prefix, full addresses are left as they are."""
    return prefix + url if url.startswith("/") else url


@functools.lru_cache(maxsize=4096)
def long_date(day: date, lang: str = "en") -> str:
    """The day as ``lang`` writes it in full, from CLDR whatever the machine's locale: 'October
    7, 2016' in English, '7 de octubre de 2016' in Spanish."""
    return format_date(day, format="long", locale=lang.replace("-", "_"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    id: str
    name: str
    description: str = ""
    lang: str = ""  # the language of name and description; '' for the site's own
    translations: tuple[Topic, ...] = ()  # the same topic named in other languages (site.yaml)


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    office: str
    phone: str = ""  # as written: '(202) 282-8010', '1-800-621-3362 ext. 5'
    email: str = ""
    tel: str = ""  # the phone as an RFC 3966 URI, 'tel:+1-202-282-8010'; '' without a phone


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency:
    id: str
    name: str
    short_name: str = ""
    url: str = ""
    contact: Contact | None = None  # its own press office, for releases that name no contact
    lang: str = ""  # the language of name and short_name; '' for the site's own
    translations: tuple[Agency, ...] = ()  # the same agency named in other languages

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    id: str
    name: str
    lang: str = ""  # the language of name; '' for the site's own
    translations: tuple[Kind, ...] = ()  # the same kind named in other languages


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    label: str
    url: str
    lang: str = ""  # the language of label (and of the page at url); '' for the site's own
    translations: tuple[Link, ...] = ()  # the same link for readers of other languages

    def in_language(self, lang: str) -> Link:
        """The link as readers of ``lang`` see it: translated, else as declared."""
        return next((other for other in self.translations if other.lang == lang), self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteText:
    """The site's title, description and organisation in one language (site.yaml's
    ``translations``)."""

    lang: str
    title: str
    description: str = ""
    organisation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityPolicy:
    """Where to report vulnerabilities: the source of /.well-known/security.txt."""

    contacts: tuple[str, ...]  # mailto:, https:// or tel: URIs
    policy: str = ""  # a site path or https:// address of the disclosure policy
    expires_days: int = 180
    preferred_languages: str = ""


GOVDELIVERY_SIGNUP = "https://public.govdelivery.com/accounts/{account}/subscriber/new"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailUpdates:
    """Where readers sign up for releases by e-mail: site.yaml's ``email_updates``.

    Every address is a sign-up page of the provider (a GovDelivery account's, or any form), so
    the site sends no e-mail and holds no address itself.
    """

    provider: str  # named next to the links: "GovDelivery", or the sign-up page's host
    everything: str  # the sign-up page for every release
    topics: tuple[tuple[str, str], ...] = ()  # (topic id, its own sign-up page)
    agencies: tuple[tuple[str, str], ...] = ()  # (agency id, its own sign-up page)

    def for_topic(self, topic_id: str) -> str:
        return dict(self.topics).get(topic_id, "")

    def for_agency(self, agency_id: str) -> str:
        return dict(self.agencies).get(agency_id, "")


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    """content/site.yaml, validated."""

    title: str
    base_url: str  # absolute, ends with "/"
    time_zone: str
    organisation: str
    default_contact: Contact
    topics: tuple[Topic, ...]
    agencies: tuple[Agency, ...]
    kinds: tuple[Kind, ...]
    language: str = "en"  # BCP 47: the language of the site, and of a release that names none
    # every language the site's releases may be in, ``language`` first (site.yaml's languages);
    # () is read as (language,)
    languages: tuple[str, ...] = ()
    description: str = ""
    default_kind: str = "press-release"
    footer_links: tuple[Link, ...] = ()
    page_size: int = 10
    home_size: int = 5
    feed_size: int = 50
    websub_hub: str = ""  # an https:// WebSub hub announced by every feed, or ''
    phone_format: str = ""  # a regular expression of the house style, checked by lint; '' none
    security: SecurityPolicy | None = None
    searchgov_affiliate: str = ""  # Search.gov site handle for searching without JavaScript
    email_updates: EmailUpdates | None = None  # e-mail sign-up, when a provider is named
    # whether a public repository may hold embargoed and draft releases (embargo-check)
    accept_public_embargoes: bool = False
    time_limit: int = 5  # processor seconds one release or page may take to render and check
    image_hosts: tuple[str, ...] = ()  # https:// origins remote images may come from (CSP)
    icon: str = "assets/favicon.svg"  # the one source image of the site's icons (SVG)
    logo: str = ""  # the seal or logo shown in the header (a site path such as assets/seal.svg)
    logo_alt: str = ""
    card_image: str = ""  # the card (og:image) of pages and releases without a lead image
    card_image_alt: str = ""
    # where readers ask for a document in an accessible format: 'mailto:...' or 'https://...'
    accessible_formats: str = ""
    # the title, description and organisation in the other languages of ``languages``
    translations: tuple[SiteText, ...] = ()

    def __post_init__(self) -> None:
        if not self.languages:
            object.__setattr__(self, "languages", (self.language,))

    def section(self, lang: str) -> str:
        """The path of the section of the site in ``lang``: '' for the site's own language
        (served at the root), '/es' for Spanish."""
        return "" if lang == self.language or not lang else f"/{lang.lower()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def absolute(self, url: str) -> str:
        """The absolute URL of a site path such as '/news/'."""
        return self.base_url.rstrip("/") + url

    def absolute_href(self, href: str) -> str:
        """The absolute URL of an href that already holds the site's path prefix."""
        return self.absolute(href.removeprefix(self.path_prefix))

    @property
    def path_prefix(self) -> str:
        """The path the site is served under: '' at a domain's root, '/repo' on project Pages."""
        after_host = self.base_url.split("://", 1)[-1]
        return (
            "/" + after_host.split("/", 1)[1].rstrip("/") if "/" in after_host.rstrip("/") else ""
        )

    def link(self, url: str) -> str:
        """The href of a site path, honouring the path the site is served under."""
        return link_under(self.path_prefix, url)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def local_iso(self, moment: datetime) -> str:
        """``moment`` in ISO 8601 with the site's offset: '2016-10-07T00:00:00-04:00'."""
        return moment.astimezone(self.tz).isoformat()


@dataclass(frozen=True, slots=True)
class Reference:
    """An image or link of a body that is not a plain web link: a file of the release's own
    folder, a file of ``static/``, or a remote image; where it stands in the Markdown."""

    url: str  # as the sanitised HTML has it (unescaped)
    image: bool
    line: int
    column: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Picture:
    """A published image as cards, listings and feeds show it: a release's lead image, or the
    site's default card. Addresses are site paths, with the path the site is served under."""

    src: str  # the fallback (JPEG, PNG, WebP or GIF), at most images.MAX_WIDTH wide
    alt: str
    width: int
    height: int
    media_type: str  # of ``src``: 'image/jpeg'
    length: int  # bytes of ``src`` (an RSS enclosure gives it)
    srcset: str = ""  # the WebP variants, 'port-480.webp 480w, ...'; '' for none
    in_body: bool = True  # whether the body shows it (else the release page shows it first)


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file a body refers to, published with it: a photo (or its variant) or a document."""

    owner: str  # the release or page whose body refers to it (its source)
    path: str  # the output path ('news/2026/12/01/grants/port.jpg')
    data: bytes


RELEASES_FOLDER = "content/releases"
"""Where release files live, relative to the site folder; ``translation_of`` is relative to it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """One entry of a release's public change log."""

    date: datetime
    note: str
    major: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdrawal:
    """Why and when a release was withdrawn; its page stays online under a notice."""

    reason: str
    date: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    source: str  # path relative to the site folder
    title: str
    release_date: datetime
    last_published: datetime
    kind: Kind
    distribution: str
    contact: Contact | None  # None: no contact block (contact: none, or nobody to name)
    agencies: tuple[Agency, ...]
    topics: tuple[Topic, ...]
    summary: str
    slug: str
    draft: bool
    updates: tuple[Update, ...]
    aliases: tuple[str, ...]
    body: bytes  # the sanitised HTML body, UTF-8: half the memory of a str with any curly quote
    url: str  # site path, "/news/2016/10/07/<slug>/"
    withdrawal: Withdrawal | None = None
    superseded_by: str = ""  # site path of the release that replaces this one
    # whether the body's text holds the summary (it does when the summary is its first
    # paragraph): if not, search indexes the summary too
    summary_in_body: bool = True
    # the files and remote images the body refers to, checked and made final by media.Media
    references: tuple[Reference, ...] = ()
    release_number: str = ""  # the agency's number, as it writes it: 'HQ-19-026'
    end_mark: str = ""  # the closing line, shown centred after the body: '###', '-30-'
    lang: str = "en"  # BCP 47 language of the release (front matter ``lang``, else the site's)
    # the original this release translates: its path under content/releases/, as the front
    # matter names it ('2017/hurricane-season-federal-support.md'); None for an original
    translation_of: str | None = None
    # front matter's image: (where it stands) and image_alt:, checked and made by media.Media
    lead: Reference | None = None
    lead_alt: str = ""
    # the lead image: front matter's image, else the first photo of the body (media.Media)
    image: Picture | None = None
    # the origins of the video players its body has (source.video): its CSP's frame-src
    frame_hosts: tuple[str, ...] = ()

    @property
    def original_source(self) -> str:
        """The source of the original of its group of versions: its own source for an
        original, the file ``translation_of`` names for a translation."""
        if self.translation_of is None:
            return self.source
        return f"{RELEASES_FOLDER}/{self.translation_of}"

    @property
    def body_html(self) -> str:
        return self.body.decode("utf-8")

    @property
    def withdrawn(self) -> bool:
        """Withdrawn releases keep their page but leave every listing and the sitemap."""
        return self.withdrawal is not None

    @property
    def updated(self) -> datetime:
        """When the release last changed in a way readers should be told about."""
        major = [update.date for update in self.updates if update.major]
        if self.withdrawal is not None and self.withdrawal.date is not None:
            major.append(self.withdrawal.date)
        return max([self.release_date, *major])


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A standalone page such as /about/."""

    source: str
    name: str
    title: str
    summary: str
    body_html: str
    url: str
    references: tuple[Reference, ...] = ()
    end_mark: str = ""
    lang: str = ""  # the page's language: '' for the site's own, else its folder's ('es')


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """Everything read from the site folder, validated and consistent."""

    config: SiteConfig
    releases: tuple[Release, ...]  # newest first
    pages: tuple[Page, ...]
    # the files of releases and pages (photos and their variants, documents), by their owner
    media: tuple[MediaFile, ...] = ()
    media_warnings: tuple[ContentError, ...] = ()  # files of a release's folder left unused
    # each offered language's compiled gettext catalogue (source.catalogues), by BCP 47 code; a
    # language without one (English, the templates' own) gets its text untranslated
    catalogues: Mapping[str, gettext.NullTranslations] = field(default_factory=dict, compare=False)
    # original's source -> its versions (original first): made from ``releases``, so that only
    # versions this site publishes are linked
    _versions: dict[str, tuple[Release, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        groups: dict[str, list[Release]] = {}
        for release in self.releases:
            if release.translation_of is not None:
                groups.setdefault(release.original_source, []).append(release)
        originals = {
            release.source: release for release in self.releases if release.source in groups
        }
        order = {lang: index for index, lang in enumerate(self.config.languages)}
        versions: dict[str, tuple[Release, ...]] = {}
        for source, translations in groups.items():
            found = [originals[source]] if source in originals else []
            found += sorted(translations, key=lambda r: (order.get(r.lang, len(order)), r.lang))
            group = tuple(found)
            for release in group:
                versions[release.source] = group
        object.__setattr__(self, "_versions", versions)

    def versions(self, release: Release) -> tuple[Release, ...]:
        """Every published version of ``release`` (itself included): the original first, then
        its translations in the order of the site's ``languages``; (release,) when alone."""
        return self._versions.get(release.source, (release,))

    def translations(self, release: Release) -> tuple[Release, ...]:
        """The other published versions of ``release``: its original and the original's other
        translations (for a translation), or its translations (for an original)."""
        return tuple(other for other in self.versions(release) if other.source != release.source)

    def outdated_by(self, release: Release) -> Update | None:
        """For a translation that has fallen behind: the latest major update of its
        published original dated after the translation's ``last_published``; else None."""
        original = self.original(release)
        if original is None:
            return None
        later = [
            update
            for update in original.updates
            if update.major and update.date > release.last_published
        ]
        return max(later, key=lambda update: update.date, default=None)

    def original(self, release: Release) -> Release | None:
        """The published original of a translation; None for an original, or when the
        original is not published (a draft, or still embargoed)."""
        if release.translation_of is None:
            return None
        first = self.versions(release)[0]
        return first if first.source == release.original_source else None


def grouped(
    releases: Iterable[Release], terms: Callable[[Release], tuple[Topic | Agency, ...]]
) -> dict[str, list[Release]]:
    """The releases that name each topic (or agency), by its id, in the order of ``releases``.

    One pass, comparing ids: a pass per term comparing dataclasses cost a tenth of a second."""
    groups: dict[str, list[Release]] = {}
    for release in releases:
        for term_id in dict.fromkeys(term.id for term in terms(release)):
            groups.setdefault(term_id, []).append(release)
    return groups
