"""Language tags (BCP 47) as site.yaml and front matter write them: checked against the
languages Babel's CLDR data knows, and written in their canonical case ('es-MX', 'zh-Hant')."""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError

ENGLISH = "en"


@functools.lru_cache(maxsize=64)
def locale_of(tag: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag, or None if CLDR does not know the language."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def canonical_tag(tag: str) -> str:
    """``tag`` in BCP 47's canonical case: 'ES-mx' -> 'es-MX', 'zh-hant' -> 'zh-Hant'."""
    parts = tag.strip().split("-")
    written = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            written.append(part.title())  # script
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            written.append(part.upper())  # region
        else:
            written.append(part.lower())
    return "-".join(written)


def language_problem(tag: str) -> str:
    """'' if ``tag`` is a language Babel can format dates and numbers in, else what is wrong."""
    if "_" in tag:
        return f"'{tag}' is not a BCP 47 language tag (tags use hyphens, such as es-MX)"
    if locale_of(canonical_tag(tag)) is None:
        return f"unknown language '{tag}'"
    return ""


def language_name(tag: str, in_language: str = ENGLISH) -> str:
    """The language's name, in ``in_language``: 'Spanish', or 'español' in 'es'."""
    locale = locale_of(tag)
    reader = locale_of(in_language) or locale_of(ENGLISH)
    if locale is None or reader is None:
        return tag
    return locale.get_display_name(reader) or tag


def locale_name(tag: str) -> str:
    """Babel's name of the locale of a BCP 47 tag: 'es-MX' -> 'es_MX'."""
    return tag.replace("-", "_")
