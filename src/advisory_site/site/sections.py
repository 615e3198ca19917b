"""The site in each of its languages: which version of each release a reader of a language is
shown, where that language's section lives, and its text translated through its catalogue.

A release and its translations are one story told in several languages. A listing in a language
shows each story once, in that language where a version exists in it, else in its original, so
a reader of Spanish still finds the releases not yet translated (each marked with its language).
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable, Iterable, Mapping

from babel import Locale, UnknownLocaleError

from advisory_site.core.models import Release, Site, SiteConfig
from advisory_site.source.catalogues import SITE_TEXT

_UNTRANSLATED = gettext.NullTranslations()


def shown_in(site: Site, releases: Iterable[Release], lang: str) -> tuple[Release, ...]:
    """One release per story of ``releases`` (newest first): its version in ``lang`` if
    ``releases`` hold one, else its original (or, if that is not among them, its first)."""
    candidates = tuple(releases)
    present = {release.source for release in candidates}
    seen: set[str] = set()
    shown = []
    for release in candidates:
        versions = site.versions(release)
        story = versions[0].source
        if story in seen:
            continue
        seen.add(story)
        here = [version for version in versions if version.source in present]
        shown.append(next((v for v in here if v.lang == lang), here[0]))
    return tuple(sorted(shown, key=lambda r: (-r.release_date.timestamp(), r.url)))


def written_in(releases: Iterable[Release], lang: str) -> tuple[Release, ...]:
    """The releases of ``releases`` written in ``lang`` (originals and translations)."""
    return tuple(release for release in releases if release.lang == lang)


def translator(site: Site, lang: str) -> Callable[[str], str]:
    """gettext for text the engine writes in ``lang`` (a listing's heading, a feed's name),
    from the same catalogue as the templates' text; English without one."""
    return site.catalogues.get(lang, _UNTRANSLATED).gettext


@functools.cache
def declared_texts(config: SiteConfig) -> dict[tuple[str, str], str]:
    """The translations site.yaml declares next to its names (``translations:``), as
    (language, declared text) -> translated text: the site's title, description and
    organisation, and the names (and descriptions, short names) of topics, agencies, kinds and
    footer links."""
    pairs: list[tuple[str, str, str]] = []  # (language, declared, translated)
    for text in config.translations:
        pairs += [
            (text.lang, config.title, text.title),
            (text.lang, config.description, text.description),
            (text.lang, config.organisation, text.organisation),
        ]
    for topic in config.topics:
        for named in topic.translations:
            pairs += [
                (named.lang, topic.name, named.name),
                (named.lang, topic.description, named.description),
            ]
    for agency in config.agencies:
        for called in agency.translations:
            pairs += [
                (called.lang, agency.name, called.name),
                (called.lang, agency.short_name, called.short_name),
            ]
    pairs += [
        (sort.lang, kind.name, sort.name) for kind in config.kinds for sort in kind.translations
    ]
    pairs += [
        (labelled.lang, link.label, labelled.label)
        for link in config.footer_links
        for labelled in link.translations
    ]
    return {
        (lang, declared): translated
        for lang, declared, translated in pairs
        if declared and translated
    }


def site_text_in(site: Site, text: str, lang: str) -> str:
    """A text of site.yaml (a topic's name, the site's title) as readers of ``lang`` see it:
    its translation in site.yaml, else its catalogue entry in the context 'site.yaml', else
    as declared."""
    return text_in(site.config, site.catalogues, text, lang)


def text_in(
    config: SiteConfig, catalogues: Mapping[str, gettext.NullTranslations], text: str, lang: str
) -> str:
    """site_text_in, for whoever holds the settings and catalogues rather than the site."""
    if not text or lang == config.language:
        return text
    found = declared_texts(config).get((lang, text))
    if found:
        return found
    return catalogues.get(lang, _UNTRANSLATED).pgettext(SITE_TEXT, text)


def untranslated_in(site: Site, text: str, lang: str) -> str:
    """The site's language when ``text`` of site.yaml is shown untranslated on a page in
    ``lang`` (no translation in site.yaml nor the catalogue), for the ``lang`` of the element
    holding it; '' when it is shown in ``lang``."""
    if not text or lang == site.config.language or site_text_in(site, text, lang) != text:
        return ""
    return site.config.language


def single_stop(sentence: str) -> str:
    """``sentence`` without a doubled full stop where it ends with a name that ends with one
    ("... de EE. UU." + "."); an ellipsis stays."""
    if sentence.endswith("..") and not sentence.endswith("..."):
        return sentence[:-1]
    return sentence


def plural_samples(lang: str) -> tuple[tuple[str, int], ...]:
    """A number of each plural category (CLDR) of ``lang``: ('one', 1), ('other', 0) in
    English. A page renders a counted message once per category, through ngettext with that
    number, so that a script picks the right one for any count (Intl.PluralRules)."""
    try:
        rule = Locale.parse(lang, sep="-").plural_form
    except (UnknownLocaleError, ValueError, TypeError):
        rule = Locale("en").plural_form
    samples: dict[str, int] = {}
    for number in range(1000):
        samples.setdefault(rule(number), number)
    return tuple(sorted(samples.items()))
