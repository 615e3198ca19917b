"""The gettext catalogues of the site's languages: ``locales/<ll_CC>/LC_MESSAGES/messages.po``
in the repository (the layout pybabel and translators' tools expect), read and compiled with
Babel at every build, so no compiled ``.mo`` file is ever kept or trusted.

Templates are written in English and mark their text for translation (``{{ _('Contact') }}``,
``{% trans %}``); ``locales/messages.pot`` lists those strings for translators.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from advisory_site.core.errors import ContentError
from advisory_site.core.models import SiteConfig
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.source.languages import ENGLISH, language_name, locale_of
from advisory_site.source.yamlload import load_yaml

LOCALES_DIR = "locales"
TEMPLATE_CATALOGUE = f"{LOCALES_DIR}/messages.pot"
MAX_CATALOGUE_BYTES = 4 * 1024 * 1024
"""Largest catalogue read: the site's Spanish one is a few kilobytes."""


def catalogue_path(tag: str) -> str:
    """Where the catalogue of language ``tag`` lives, relative to the site folder: gettext's
    layout, with the tag's hyphen written as an underscore ('es-MX' -> locales/es_MX/...)."""
    return f"{LOCALES_DIR}/{tag.replace('-', '_')}/LC_MESSAGES/messages.po"


def needs_catalogue(tag: str) -> bool:
    """Whether pages in ``tag`` need a catalogue: all but English, the templates' language."""
    return tag.split("-", maxsplit=1)[0] != ENGLISH


def load_catalogues(
    site_dir: Path, config: SiteConfig, errors: list[ContentError]
) -> dict[str, gettext.NullTranslations]:
    """Each offered language's compiled catalogue, by tag; problems go to ``errors``."""
    catalogues: dict[str, gettext.NullTranslations] = {}
    for tag in config.languages:
        path = catalogue_path(tag)
        file = site_dir / path
        if not file.exists() and not file.is_symlink():
            if needs_catalogue(tag):
                errors.append(
                    ContentError(
                        path=path,
                        message=f"the catalogue of {language_name(tag)} ({tag}), one of the "
                        "languages of content/site.yaml, is missing",
                        hint=f"copy {TEMPLATE_CATALOGUE} to {path} and translate it, or "
                        f"remove {tag} from languages in content/site.yaml",
                    )
                )
            continue
        compiled = compile_catalogue(file, path, tag, errors)
        if compiled is not None:
            catalogues[tag] = compiled
    return catalogues


def compile_catalogue(
    file: Path, path: str, tag: str, errors: list[ContentError]
) -> Translations | None:
    """The ``.po`` file compiled (Babel's mofile) and loaded as gettext translations; fuzzy
    entries are left out, as ``msgfmt`` does. None (with an error added) if it is unreadable."""
    try:
        raw = read_regular(file, MAX_CATALOGUE_BYTES)
    except ReadError as exc:
        errors.append(ContentError(path=path, message=exc.message, hint=exc.hint))
        return None
    problem = _unquoted(raw)
    if problem is not None:
        errors.append(
            ContentError(
                path=path,
                line=problem,
                message="is not a valid gettext catalogue: a text is not in closed double quotes",
                hint='write it as msgstr "Contacto", with \\" for a quote inside the text',
            )
        )
        return None
    try:
        catalog = read_po(io.BytesIO(raw), locale=_babel_tag(tag), abort_invalid=True)
    except PoFileError as exc:
        errors.append(
            ContentError(
                path=path,
                line=exc.lineno + 1,  # Babel counts from 0
                message=f"is not a valid gettext catalogue: {str(exc).rsplit(' on ', 1)[0]}",
                hint="check the quotes of msgid and msgstr on this line, or open it with Poedit",
            )
        )
        return None
    except (UnicodeDecodeError, ValueError) as exc:
        errors.append(
            ContentError(
                path=path,
                message=f"cannot be read as a gettext catalogue ({exc})",
                hint="save it as UTF-8 with a Content-Type: text/plain; charset=UTF-8 header",
            )
        )
        return None
    if not _well_formed(catalog, path, errors):
        return None
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


_KEYWORD = re.compile(rb"^(?:#~\s*)?(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)$")
_QUOTED = re.compile(rb'^"(?:[^"\\]|\\.)*"\s*$')


def _unquoted(raw: bytes) -> int | None:
    """The line of the first text that is not one closed double-quoted string, which Babel's
    lenient parser would read with a character cut off; None when every one is."""
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        keyword = _KEYWORD.match(stripped)
        text = keyword.group(1) if keyword else stripped if stripped.startswith(b'"') else None
        if text is not None and not _QUOTED.match(text):
            return number
    return None


def _well_formed(catalog: Catalog, path: str, errors: list[ContentError]) -> bool:
    """False (with errors added) for translations whose placeholders differ from their
    original's: a page would show a raw '%(count)s' or fail to render."""
    before = len(errors)
    for message, problems in catalog.check():
        line = message.lineno or 0
        for problem in problems:
            errors.append(
                ContentError(
                    path=path,
                    line=line,
                    field=f"msgid {message.id if isinstance(message.id, str) else message.id[0]!r}",
                    message=f"the translation does not fit its original: {problem}",
                    hint="keep every %(name)s placeholder of the msgid in the msgstr",
                )
            )
    return len(errors) == before


def _babel_tag(tag: str) -> str:
    locale = locale_of(tag)
    return str(locale) if locale is not None else ENGLISH


SITE_TEXT = "site.yaml"
"""The gettext context (msgctxt) of the texts of content/site.yaml in the catalogues."""

# Where content/site.yaml holds text that pages show ('*': every item of a list).
SITE_TEXT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("title",),
    ("organisation",),
    ("default_contact", "office"),
    ("kinds", "*", "name"),
    ("topics", "*", "name"),
    ("agencies", "*", "name"),
    ("agencies", "*", "contact", "office"),
    ("footer_links", "*", "label"),
    ("logo_alt",),
    ("card_image_alt",),
)

Extracted = tuple[int, str, tuple[str, str], list[str]]


def extract_site_yaml(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[Extracted]:
    """pybabel's extractor for content/site.yaml (named in babel.cfg): each text of
    SITE_TEXT_FIELDS as ``pgettext('site.yaml', text)``, with its line, so that translators
    find the site's title, kinds, topics, agencies, footer labels and the descriptions of its
    logo and card image in locales/messages.pot."""
    try:
        text = fileobj.read().decode("utf-8")
    except UnicodeDecodeError:
        return
    loaded = load_yaml(text, path="content/site.yaml")
    if isinstance(loaded, ContentError):
        return
    for fields in SITE_TEXT_FIELDS:
        for where, value in _values(loaded.data, fields, ()):
            line = loaded.positions.of_value(where).line
            yield line, "pgettext", (SITE_TEXT, value), []


def _values(
    data: object, fields: tuple[str, ...], where: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if not fields:
        if isinstance(data, str) and data.strip():
            yield where, data.strip()
        return
    first, rest = fields[0], fields[1:]
    if first == "*":
        for index, item in enumerate(data if isinstance(data, list) else []):
            yield from _values(item, rest, (*where, index))
    elif isinstance(data, dict) and first in data:
        yield from _values(data[first], rest, (*where, first))
