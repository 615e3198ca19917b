"""The one Jinja environment and the typed contexts that templates receive."""

from __future__ import annotations

import functools
import gettext
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path

import jinja2
from babel.numbers import format_decimal
from jinja2.loaders import split_template_path
from markdown.extensions.footnotes import FootnoteExtension
from markupsafe import Markup

from advisory_site.core.csp import with_frames
from advisory_site.core.models import (
    N_,
    EmailUpdates,
    Page,
    Picture,
    Release,
    SiteConfig,
    Topic,
    Update,
    link_under,
    long_date,
)
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.urls import paginated_url
from advisory_site.site.assets import PageCss
from advisory_site.site.changes import RevisionChange
from advisory_site.site.identity import Icon, Logo
from advisory_site.site.metadata import news_article, script_safe_json
from advisory_site.site.sections import text_in
from advisory_site.source.languages import language_name, locale_name
from advisory_site.source.media import SIZES


@dataclass(frozen=True, slots=True, kw_only=True)
class Crumb:
    label: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedLink:
    """A feed advertised with <link rel="alternate">."""

    title: str
    url: str
    media_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pagination:
    number: int
    count: int
    first_url: str  # of the listing's first page; the others follow from it (paginated_url)

    def url(self, number: int) -> str:
        return paginated_url(self.first_url, number)

    @property
    def previous_url(self) -> str:
        return self.url(self.number - 1) if self.number > 1 else ""

    @property
    def next_url(self) -> str:
        return self.url(self.number + 1) if self.number < self.count else ""

    @property
    def window(self) -> tuple[int, ...]:
        """The page numbers to offer, 0 marking a gap: (1, 0, 4, 5, 6, 0, 9) on page 5 of 9."""
        shown = sorted({1, self.count, *range(self.number - 1, self.number + 2)})
        window: list[int] = []
        for number in (n for n in shown if 1 <= n <= self.count):
            if window and number - window[-1] == 2:
                window.append(number - 1)  # a gap of one page is shown as that page
            elif window and number - window[-1] > 2:
                window.append(0)
            window.append(number)
        return tuple(window)


@dataclass(frozen=True, slots=True, kw_only=True)
class Meta:
    """What every HTML page has: title, address, description, trail and feeds."""

    title: str
    url: str
    description: str = ""
    breadcrumbs: tuple[Crumb, ...] = ()
    feeds: tuple[FeedLink, ...] = ()
    noindex: bool = False
    preview_notices: tuple[str, ...] = ()  # only `advisory-site serve` fills these
    lang: str = ""  # the page's BCP 47 language; '' for the site's (SiteConfig.language)
    image: Picture | None = None  # its card (og:image): a release's lead image; else the site's
    # the same page in every language, as (hreflang, site path), 'x-default' last: the home,
    # news and search pages of each language's section, a page of content/pages/ and its
    # translations (a release page's come from its versions: ReleaseContext.alternates)
    alternates: tuple[tuple[str, str], ...] = ()
    # the language of ``title`` when not the page's: a name site.yaml does not translate into
    # it (its heading and last breadcrumb are marked with it)
    title_lang: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseContext:
    meta: Meta
    release: Release
    newer: Release | None = None
    older: Release | None = None
    related: tuple[Release, ...] = ()
    successor: Release | None = None  # the published release named by superseded_by
    changes_url: str = ""  # the release's changes page, when it changed after publication
    # every published version of the release, itself included (Site.versions): its language
    # switcher and hreflang links
    versions: tuple[Release, ...] = ()
    # for a translation that has fallen behind (Site.outdated_by): its original's later major
    # update, which the page's notice names
    outdated_by: Update | None = None
    template: str = "release.html"

    @property
    def original(self) -> Release | None:
        """The original of a translation, when published (the first of its versions)."""
        first = self.versions[0] if self.versions else None
        return first if first is not None and first.source == self.release.original_source else None

    @property
    def other_versions(self) -> tuple[Release, ...]:
        """The versions in other languages, for the switcher ("Leer en español")."""
        return tuple(other for other in self.versions if other.source != self.release.source)

    @property
    def alternates(self) -> tuple[tuple[str, str], ...]:
        """(hreflang, site path) of every version a search engine may show instead of this
        one, 'x-default' (the original) last; () for a release alone or withdrawn. The same
        on every version, so each names the others and itself (reciprocal, as Google asks)."""
        indexed = [other for other in self.versions if not other.withdrawn]
        if self.release.withdrawn or len(indexed) < 2:
            return ()
        return (
            *((other.lang, other.url) for other in indexed),
            ("x-default", indexed[0].url),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Follow:
    """The "Follow this topic" (or agency) box of a listing: its feed and e-mail sign-up."""

    what: str  # "topic" or "agency"
    label: str  # its name
    links: tuple[FeedLink, ...]  # its feed in every format, RSS first
    email: str = ""  # the sign-up page, when site.yaml names a provider
    email_own: bool = False  # a list for this one alone (else: the one for every release)
    provider: str = ""
    label_lang: str = ""  # the language of ``label`` when not the page's (untranslated)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangesContext:
    """A release's changes page: each revision published after the first, with its diff."""

    meta: Meta
    release: Release
    published: datetime  # when the first revision went live
    changes: tuple[RevisionChange, ...]
    template: str = "changes.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyContext:
    """/verify/: a passage checked against the ledger in the browser (verify.js)."""

    meta: Meta
    ledger_url: str
    signature_url: str = ""  # '' when the ledger is not signed
    public_key_url: str = ""
    key_id: str = ""
    # a number of each plural category of the page's language, for the script's counted answers
    plural_samples: tuple[tuple[str, int], ...] = (("one", 1), ("other", 0))
    template: str = "verify.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingContext:
    meta: Meta
    heading: str
    intro: str
    releases: tuple[Release, ...]
    pagination: Pagination
    years: tuple[int, ...] = ()
    follow: Follow | None = None
    intro_lang: str = ""  # the language of ``intro`` when not the page's (untranslated)
    template: str = "listing.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    label: str
    url: str
    description: str
    count: int
    # the language of ``label`` (``description``) when not the page's: an untranslated name
    lang: str = ""
    description_lang: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexContext:
    """A list of topics or agencies."""

    meta: Meta
    heading: str
    entries: tuple[IndexEntry, ...]
    template: str = "index.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeContext:
    meta: Meta
    latest: tuple[Release, ...]
    topics: tuple[Topic, ...]
    template: str = "home.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageContext:
    meta: Meta
    page: Page
    template: str = "page.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotFoundContext:
    meta: Meta
    template: str = "404.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """One feed on the subscribe page, in every format."""

    name: str
    description: str
    url: str  # the listing page it follows
    count: int  # releases in that listing
    links: tuple[FeedLink, ...]
    label: str  # in link text: "every release", or the topic's or agency's name
    email: str = ""  # its e-mail sign-up page, when site.yaml names a provider
    email_own: bool = False  # a list for this one alone (else: the one for every release)
    lang: str = ""  # the language of its name, when not the page's
    description_lang: str = ""  # that of its description, when not the page's
    hreflang: str = ""  # the language of the listing it follows, when not the page's


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeContext:
    meta: Meta
    everything: Subscription
    topics: tuple[Subscription, ...]
    agencies: tuple[Subscription, ...]
    languages: tuple[Subscription, ...] = ()  # the site's feed in each of its other languages
    # the subscribe page of each other language: (language, site path, link text in it)
    subscribe_pages: tuple[tuple[str, str, str], ...] = ()
    feed_size: int
    opml_url: str
    email: EmailUpdates | None = None
    template: str = "subscribe.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectContext:
    meta: Meta
    target: str  # absolute URL
    template: str = "redirect.html"


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterOption:
    value: str  # exactly as the search records give it to Pagefind (search.record)
    count: int  # published releases with this value


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFilter:
    name: str  # the Pagefind filter: topic, agency, kind or year
    label: str
    options: tuple[FilterOption, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchContext:
    """The /search/ page: Pagefind in the browser, Search.gov (if configured) without script."""

    meta: Meta
    index_url: str  # site path of Pagefind's script, "/pagefind/pagefind.js"
    searchgov_url: str = ""  # Search.gov's search address; "" when the site has no affiliate
    searchgov_affiliate: str = ""  # "" when the site has none: no search without JavaScript
    # Rendered into the page so that readers download Pagefind's filter tables only when
    # they filter (about 100 KiB for 10,000 releases).
    filters: tuple[SearchFilter, ...] = ()
    # a number of each plural category of the page's language, for its counted messages
    plural_samples: tuple[tuple[str, int], ...] = (("one", 1), ("other", 0))
    template: str = "search.html"


Context = (
    ReleaseContext
    | ListingContext
    | IndexContext
    | HomeContext
    | PageContext
    | NotFoundContext
    | RedirectContext
    | SubscribeContext
    | SearchContext
    | ChangesContext
    | VerifyContext
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteView:
    """What templates may know of the site: settings plus site-wide navigation."""

    config: SiteConfig
    csp: str  # the Content-Security-Policy of every page (security.content_security_policy)
    feeds: tuple[FeedLink, ...] = ()
    # the site's feed in each of its languages (the section's, /es/), by language
    language_feeds: dict[str, tuple[FeedLink, ...]] = field(default_factory=dict)
    assets: dict[str, str] = field(default_factory=dict)  # logical name -> served URL
    page_css: dict[str, PageCss] = field(default_factory=dict)  # template name -> its CSS
    icons: tuple[Icon, ...] = ()  # the site's icon in its formats (identity.build_identity)
    logo: Logo | None = None  # the seal or logo of the header
    card: Picture | None = None  # the card of pages without a lead image (site.yaml card_image)
    manifest: str = ""  # site path of the web app manifest

    def csp_with_frames(self, origins: tuple[str, ...]) -> str:
        """The policy of a page whose videos play from ``origins`` (Release.frame_hosts)."""
        return with_frames(self.csp, origins)


READ_IN = N_("Read in %(language)s")
"""The language switcher's link, in the language it leads to ('Leer en español')."""

FOOTNOTE_BACK = N_("Jump back to footnote %(number)s in the text")
"""The title of a footnote's link back to the text, which Python-Markdown writes in English."""
_BACKLINK_TITLE = re.compile(
    'title="'
    + re.escape(FootnoteExtension().getConfig("BACKLINK_TITLE")).replace(r"\{\}", r"(\d+)")
    + '"'
)

MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest template read: the site's largest is a few kilobytes."""


class BoundedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, reading templates with ``read_regular``: a template that is not a
    regular file, is too large or is not UTF-8 is a template error, never a hang or a crash."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        folder = self.searchpath[0]
        filename = posixpath.join(folder, *pieces)
        if not Path(filename).is_file():
            raise jinja2.TemplateNotFound(
                template, f"{template!r} not found in search path: {folder!r}"
            )
        try:
            contents = read_regular(filename, MAX_TEMPLATE_BYTES).decode("utf-8")
        except ReadError as exc:
            raise jinja2.TemplateSyntaxError(
                f"{template} {exc.message}", 1, template, filename
            ) from None
        except UnicodeDecodeError as exc:
            raise jinja2.TemplateSyntaxError(
                f"{template} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                "save it with UTF-8 encoding",
                1,
                template,
                filename,
            ) from None
        return contents, os.path.normpath(filename), lambda: True  # auto_reload is off


class Templates:
    """The one Jinja environment of a build, compiled once.

    Pages are in many languages: each render gives the template ``lang`` (the page's BCP 47
    tag, Meta.lang or the site's), and the gettext functions of jinja2.ext.i18n (``_``,
    ``gettext``, ``ngettext``, ``pgettext``, ``{% trans %}``), ``long_date`` and ``number``
    look it up there, so that one compiled template serves every language. Text is looked up
    in ``catalogues`` (source.catalogues), the English of the templates without one."""

    def __init__(
        self,
        folder: Path,
        config: SiteConfig,
        catalogues: Mapping[str, gettext.NullTranslations] | None = None,
    ) -> None:
        self.config = config
        self.catalogues = dict(catalogues or {})
        self._untranslated = gettext.NullTranslations()
        self.env = jinja2.Environment(
            loader=BoundedLoader(folder),
            autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # a build never sees a template change: no stat per page
            # every template of a site kept, in a dict: the bounded cache takes a lock for each
            # of the three or so lookups a page makes (its template, the one it extends...)
            cache_size=-1,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=self._gettext,
            ngettext=self._ngettext,
            pgettext=self._pgettext,
            npgettext=self._npgettext,
            newstyle=True,
        )
        self.env.filters["long_date"] = self.long_date
        self.env.filters["translate"] = self.translate
        self.env.filters["site_text"] = self.site_text
        self.env.filters["lang_attr"] = self.lang_attr
        self.env.filters["read_in"] = self.read_in
        self.env.filters["in_lang"] = self.in_lang
        self.env.filters["body"] = self.body
        # the contacts site.yaml declares, whose office names are the site's text (site_text)
        self.env.globals["site_contacts"] = (
            config.default_contact,
            *(agency.contact for agency in config.agencies if agency.contact is not None),
        )
        self.env.filters["number"] = self.number
        self.env.filters["language_name"] = self.language_name
        self.env.filters["iso"] = self.iso
        self.env.filters["absolute"] = config.absolute
        self.env.filters["absolute_href"] = config.absolute_href
        # SiteConfig.link with the path prefix worked out once, not for each of a dozen links a page
        self.env.filters["link"] = functools.partial(link_under, config.path_prefix)
        # Each page formats several dates, mostly the same ones as other pages: each is
        # formatted once per build.
        self._long_dates: dict[tuple[datetime, str], str] = {}
        self._isos: dict[datetime, str] = {}
        self.env.filters["json_ld"] = self.json_ld
        self.env.globals["site_fragment"] = self.site_fragment
        self.env.globals["body_image_sizes"] = SIZES  # a photo's sizes in a release's body
        self._fragments: dict[tuple[object, ...], tuple[SiteView, Markup]] = {}

    def translations(self, lang: str) -> gettext.NullTranslations:
        """The compiled catalogue of ``lang``; the templates' own English without one."""
        return self.catalogues.get(lang, self._untranslated)

    def page_lang(self, context: jinja2.runtime.Context) -> str:
        """The language of the page (or fragment) being rendered."""
        lang = context.get("lang")
        return lang if isinstance(lang, str) and lang else self.config.language

    @jinja2.pass_context
    def _gettext(self, context: jinja2.runtime.Context, message: str) -> str:
        return self.translations(self.page_lang(context)).gettext(message)

    @jinja2.pass_context
    def _ngettext(
        self, context: jinja2.runtime.Context, singular: str, plural: str, count: int
    ) -> str:
        return self.translations(self.page_lang(context)).ngettext(singular, plural, count)

    @jinja2.pass_context
    def _pgettext(self, context: jinja2.runtime.Context, where: str, message: str) -> str:
        return self.translations(self.page_lang(context)).pgettext(where, message)

    @jinja2.pass_context
    def _npgettext(
        self, context: jinja2.runtime.Context, where: str, singular: str, plural: str, count: int
    ) -> str:
        translations = self.translations(self.page_lang(context))
        return translations.npgettext(where, singular, plural, count)

    @jinja2.pass_context
    def translate(self, context: jinja2.runtime.Context, text: str) -> str:
        """``text`` (a value, not a literal of the template: a breadcrumb's label, a
        distribution) in the page's language when the catalogue has it; never formatted with
        %, unlike ``_``, so a value holding '%' is shown as it is."""
        return self.translations(self.page_lang(context)).gettext(text) if text else text

    @jinja2.pass_context
    def site_text(
        self, context: jinja2.runtime.Context, text: str, *, markup: bool = True, mark: bool = True
    ) -> str | Markup:
        """A text of content/site.yaml (its title, a kind, topic or agency name, a footer
        label) in the page's language: its translation in site.yaml (``translations:``), else
        its catalogue entry in the context 'site.yaml' (sections.site_text_in). Left
        in the site's language where the catalogue has none, inside ``<span lang>`` so that
        screen readers pronounce it right (``markup=False`` for an attribute; ``mark=False``
        for a text that may be in either language, such as a release's own contact)."""
        lang = self.page_lang(context)
        if not text or lang == self.config.language:
            return text
        translated = text_in(self.config, self.catalogues, text, lang)
        if translated != text or not markup or not mark:
            return translated
        return Markup('<span lang="{}">{}</span>').format(self.config.language, text)

    @jinja2.pass_context
    def lang_attr(self, context: jinja2.runtime.Context, what: Release | str) -> Markup:
        """' lang="en"' for an element holding ``what`` (a release, or a BCP 47 tag) when its
        language is not the page's; '' when it is."""
        lang = what if isinstance(what, str) else what.lang
        if lang == self.page_lang(context):
            return Markup("")
        return Markup(' lang="{}"').format(lang)

    @jinja2.pass_context
    def body(self, context: jinja2.runtime.Context, html: str) -> Markup:
        """A body's sanitised HTML, with the words the Markdown renderer adds (the title of a
        footnote's link back to the text) in the page's language."""
        translated = self.translations(self.page_lang(context)).gettext(FOOTNOTE_BACK)
        if translated == FOOTNOTE_BACK or "footnote-backref" not in html:
            return Markup(html)  # noqa: S704 - sanitised by the renderer
        return Markup(  # noqa: S704 - sanitised by the renderer; the title is escaped
            _BACKLINK_TITLE.sub(
                lambda found: 'title="{}"'.format(
                    escape(translated % {"number": found.group(1)}, quote=True)
                ),
                html,
            )
        )

    @staticmethod
    def in_lang(text: str, lang: str) -> str | Markup:
        """``text`` inside ``<span lang>`` when ``lang`` is given (a name left in another
        language than the page's, inside a sentence); ``text`` alone otherwise."""
        return Markup('<span lang="{}">{}</span>').format(lang, text) if lang else text

    def read_in(self, release: Release) -> str:
        """The switcher's link to ``release``, in its own language: 'Leer en español'."""
        message = self.translations(release.lang).gettext(READ_IN)
        return message % {"language": language_name(release.lang, release.lang)}

    @jinja2.pass_context
    def long_date(self, context: jinja2.runtime.Context, moment: datetime, lang: str = "") -> str:
        """The day of a moment in full, as a reader in the site's time zone sees it, in the
        page's language (or ``lang``): 'October 7, 2016', '7 de octubre de 2016'."""
        key = (moment, lang or self.page_lang(context))
        text = self._long_dates.get(key)
        if text is None:
            text = self._long_dates[key] = long_date(self.config.local_date(moment), key[1])
        return text

    @jinja2.pass_context
    def number(self, context: jinja2.runtime.Context, value: float, lang: str = "") -> str:
        """A number as the page's language writes it: '10,000' in English, '10.000' in
        Spanish (CLDR, through Babel)."""
        return format_decimal(value, locale=locale_name(lang or self.page_lang(context)))

    @jinja2.pass_context
    def language_name(self, context: jinja2.runtime.Context, tag: str, lang: str = "") -> str:
        """The name of the language ``tag`` in the page's language (or ``lang``; a switcher
        names each language in itself: ``tag | language_name(tag)`` is 'español')."""
        return language_name(tag, lang or self.page_lang(context))

    def iso(self, moment: datetime) -> str:
        text = self._isos.get(moment)
        if text is None:
            text = self._isos[moment] = self.config.local_iso(moment)
        return text

    def json_ld(self, release: Release, card: Picture | None = None) -> Markup:
        """The release's schema.org NewsArticle, ready for <script type="application/ld+json">;
        ``card``: the site's default image, for a release without a lead image."""
        article = news_article(
            release,
            self.config,
            card,
            lambda text: text_in(self.config, self.catalogues, text, release.lang),
        )
        return Markup(script_safe_json(article))  # noqa: S704 - escaped JSON

    @jinja2.pass_context
    def site_fragment(
        self, context: jinja2.runtime.Context, name: str, **values: str | int | bool
    ) -> Markup:
        """The template ``name`` rendered with ``site`` and ``values`` alone, once for all the
        pages of a build that give it the same values (like Hugo's partialCached): for the parts
        of pages that no page changes, such as the footer, or that a few values decide, such as
        the header (by section). A fragment that uses ``page`` fails the build (``page`` is
        undefined)."""
        site = context["site"]
        values.setdefault("lang", self.page_lang(context))  # a fragment is in its page's language
        key = (name, *sorted(values.items()))
        known = self._fragments.get(key)
        if known is None or known[0] is not site:
            html = Markup(self.env.get_template(name).render(site=site, **values))  # noqa: S704 - autoescaped template output
            known = self._fragments[key] = (site, html)
        return known[1]

    def render(self, context: Context, site: SiteView) -> bytes:
        template = self.env.get_template(context.template)
        lang = context.meta.lang or self.config.language
        return template.render(page=context, site=site, lang=lang).encode("utf-8")
