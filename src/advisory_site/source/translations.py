"""The names site.yaml declares (topics, agencies, kinds, footer links, the site's title) in the
site's other languages: each item's optional ``translations`` block, keyed by language.

A name without a translation is shown as declared, marked with its own language on the page,
so a language can be offered before every name is translated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from advisory_site.core.models import Agency, Kind, Link, SiteText, Topic
from advisory_site.core.urls import rebuilt_url, url_problem
from advisory_site.source.fields import FieldReader
from advisory_site.source.languages import canonical_tag

KEY = "translations"
T = TypeVar("T", Topic, Agency, Kind, Link)


def read_translations(
    item: FieldReader,
    languages: tuple[str, ...],
    fields: tuple[str, ...],
    required: tuple[str, ...],
) -> list[tuple[str, dict[str, str]]]:
    """``item``'s translations: (language, {field: text}) for each language it names.

    A language must be one of the site's others (not its own: the text above is that one);
    ``required`` fields must be given, the others default to ''.
    """
    block = item.mapping(KEY)
    if block is None:
        return []
    found = []
    for key in block.data:
        written = str(key)
        lang = canonical_tag(written)
        if lang == languages[0]:
            block.error(
                written,
                f"'{written}' is the site's own language, which the fields above are in",
                f"remove the {written} translation, or correct the language",
                at_key=True,
            )
            continue
        if lang not in languages:
            block.error(
                written,
                f"'{written}' is not one of the site's languages ({', '.join(languages)})",
                "add it to languages at the top of site.yaml, or correct it",
                at_key=True,
            )
            continue
        texts = block.mapping(written, required=True)
        if texts is None:
            continue
        texts.check_keys(fields)
        found.append((lang, {name: texts.text(name, required=name in required) for name in fields}))
    return found


def translated(
    reader: FieldReader,
    key: str,
    items: tuple[T, ...],
    languages: tuple[str, ...],
    fields: tuple[str, ...],
    *,
    check: Callable[[T, FieldReader, str, dict[str, str]], None] = lambda *_: None,
) -> tuple[T, ...]:
    """``items`` (read from the list ``key``) with the translations their entries declare.

    ``fields[0]`` is required; a field left out keeps the declared text (a short name, a link's
    address). ``check`` may report what else a translation lacks.
    """
    entries = reader.mappings(key)
    if len(entries) != len(items):  # a malformed entry was reported and left out
        return items
    result = []
    for item, entry in zip(items, entries, strict=True):
        versions = []
        for lang, texts in read_translations(entry, languages, fields, fields[:1]):
            check(item, entry, lang, texts)
            changes: dict[str, Any] = {name: text for name, text in texts.items() if text}
            versions.append(dataclasses.replace(item, lang=lang, **changes))
        result.append(dataclasses.replace(item, lang=languages[0], translations=tuple(versions)))
    return tuple(result)


def described(item: Topic, entry: FieldReader, lang: str, texts: dict[str, str]) -> None:
    """A translated topic must describe itself too when the declared one does."""
    if item.description and not texts.get("description"):
        entry.nested(KEY).nested(lang).error(
            "description",
            f"the topic has a description; its {lang} translation has none",
            "add description: ... under the translation",
        )


def addressed(item: Link, entry: FieldReader, lang: str, texts: dict[str, str]) -> None:
    """A translated footer link's address, like the declared one's: a site path or https://."""
    url = texts.get("url", "")
    if not url:
        return
    site_path = url.startswith("/") and not url.startswith("//") and "\\" not in url
    problem = url_problem(url) or (
        ""
        if site_path or rebuilt_url(url)
        else f"'{url}' must be a site path or an https:// address"
    )
    if problem:
        entry.nested(KEY).nested(lang).error("url", problem)
        texts["url"] = ""


def site_texts(
    reader: FieldReader, languages: tuple[str, ...], *, description: bool
) -> tuple[SiteText, ...]:
    """The site's title, description and organisation in its other languages."""
    fields = ("title", "description", "organisation")
    required = ("title", "organisation", *(("description",) if description else ()))
    return tuple(
        SiteText(lang=lang, **texts)
        for lang, texts in read_translations(reader, languages, fields, required)
    )
