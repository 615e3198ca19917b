"""Every word a reader of Spanish is shown is Spanish: an audit of the whole sample site.

The sample site is built and every HTML page walked. Each text node, and each ``alt``,
``title``, ``aria-label``, ``placeholder``, ``data-text-*`` (the words a script writes into
the page) and the content of ``<meta name="description">`` (and of the Open Graph and Twitter
card texts), whose nearest ``lang`` is Spanish is compared with the English strings of
``locales/messages.pot`` that the Spanish catalogue translates otherwise (an interface string
left in English), and searched for common English function words and for a doubled full stop
(a name ending in one, "EE. UU.", at the end of a sentence). The feeds of /es/ are audited
the same way: their own title and description, not the releases'.

A finding is allowed only as an entry of EXCEPTIONS, with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.pofile import read_po
from lxml import etree, html

from advisory_site.engine.build import BuildOptions
from tests.conftest import NOW, REPO, build

LANG = "es"
POT = REPO / "locales" / "messages.pot"
CATALOGUE = REPO / "locales" / LANG / "LC_MESSAGES" / "messages.po"
ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
# the <meta> whose content a reader sees: in search results, and in a shared link's card
META = frozenset(
    {"description", "og:title", "og:description", "og:site_name", "og:image:alt"}
    | {"twitter:image:alt"}
)
SKIPPED = frozenset({"script", "style", "code", "pre", "template"})  # not prose
# English words that Spanish text does not use, as whole words
FUNCTION_WORDS = re.compile(r"(?i)(?:^|(?<=\s))(the|and|of|with|for)(?=\s|$)")
DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # "EE. UU.." (a name's stop, then the sentence's)
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")

# (file, text found) -> why that English is right on a Spanish page. Keep each reason specific.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def squeeze(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class Untranslated:
    """The English strings of the templates that the Spanish catalogue translates otherwise:
    a text equal to one (its placeholders standing for anything, its markup left out) is an
    interface string shown in English."""

    def __init__(self) -> None:
        with CATALOGUE.open("rb") as file:
            spanish = read_po(file, locale=LANG)
        with POT.open("rb") as file:
            template = read_po(file)
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for message in template:
            if not message.id:
                continue
            plural = isinstance(message.id, (tuple, list))
            ids = tuple(str(i) for i in message.id) if plural else (str(message.id),)
            found = spanish.get(message.id, context=message.context)
            strings = found.string if found is not None else ""
            translations = tuple(strings) if isinstance(strings, tuple) else (strings,)
            for english in ids:
                if not any(translations) or english in translations:
                    continue  # untranslated (test_languages fails) or the same in Spanish
                plain = squeeze(_TAG.sub("", english))
                if not _PLACEHOLDER.search(plain):
                    self.exact[plain] = english
                elif re.search(r"[A-Za-z]{3}", _PLACEHOLDER.sub("", plain)):
                    parts = _PLACEHOLDER.split(plain)
                    pattern = re.compile(".+?".join(re.escape(part) for part in parts))
                    self.patterns.append((english, pattern))

    def __call__(self, text: str) -> str:
        """The English string ``text`` is, or ''."""
        if text in self.exact:
            return self.exact[text]
        return next((english for english, p in self.patterns if p.fullmatch(text)), "")


def lang_of(element: Any) -> str:
    """The language of ``element``: its own ``lang``, else its nearest ancestor's ('' none)."""
    for node in (element, *element.iterancestors()):
        value = node.get("lang")
        if value is not None:
            return str(value).lower()
    return ""


def spanish(lang: str) -> bool:
    return lang.split("-", maxsplit=1)[0] == LANG


def text_in_language(element: Any, lang: str) -> str:
    """The text of ``element`` without that of descendants in another language or skipped."""
    parts = [element.text or ""]
    for child in element:
        element_ = isinstance(child.tag, str) and child.tag not in SKIPPED
        if element_ and str(child.get("lang", lang)).lower() == lang:
            parts.append(text_in_language(child, lang))
        parts.append(child.tail or "")
    return "".join(parts)


def meta_name(element: Any) -> str:
    return str(element.get("name") or element.get("property") or "")


def spanish_texts(document: Any) -> Iterator[tuple[str, str, bool]]:
    """(where, text, whole) for the texts of ``document`` in Spanish a reader or a screen
    reader gets: each text node and attribute (whole=False), and each element's text in its
    language (whole=True: compared with the catalogue's strings, which may hold markup)."""
    for element in document.iter():
        if not isinstance(element.tag, str) or element.tag in SKIPPED:
            continue
        if any(ancestor.tag in SKIPPED for ancestor in element.iterancestors()):
            continue
        lang = lang_of(element)
        if not spanish(lang):
            continue
        for node in element.xpath("text()"):
            if squeeze(node):
                yield element.tag, squeeze(node), False
        for name, value in element.attrib.items():
            if name in ATTRIBUTES or name.startswith("data-text-"):
                yield f"{element.tag}[{name}]", squeeze(value), False
        if element.tag == "meta" and (name := meta_name(element)) in META:
            yield f"meta {name}", squeeze(element.get("content", "")), False
        if len(element):
            yield f"{element.tag} (all its text)", squeeze(text_in_language(element, lang)), True


def findings(
    path: str, where: str, text: str, whole: bool, untranslated: Untranslated
) -> list[str]:
    """What is English in ``text`` (at ``where`` in the file ``path``), unless excepted."""
    found = []
    if english := untranslated(text):
        found.append(f"{path}: {where}: {text!r} is the English of {english!r}")
    if not whole and (word := FUNCTION_WORDS.search(text)):
        found.append(f"{path}: {where}: {text!r} has the English word {word.group(1)!r}")
    if not whole and DOUBLED_STOP.search(text):
        found.append(f"{path}: {where}: {text!r} has a doubled full stop")
    return [f for f in found if (path, text) not in EXCEPTIONS]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {file.path: file.data for file in build(BuildOptions(site_dir=REPO, now=NOW)).files}


def test_spanish_text_of_every_page_is_spanish(files: dict[str, bytes]) -> None:
    untranslated = Untranslated()
    problems = []
    pages = [path for path in files if path.endswith(".html")]
    checked = 0
    for path in pages:
        document = html.fromstring(files[path])
        for where, text, whole in spanish_texts(document):
            checked += 1
            problems += findings(path, where, text, whole, untranslated)
    assert checked > 1000  # the Spanish section, the Spanish releases and parts of others
    assert problems == [], "\n".join(problems)


def feed_texts(path: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) of a feed's own title and description (not its items')."""
    if path.endswith(".json"):
        feed = json.loads(data)
        for key in ("title", "description"):
            if feed.get(key):
                yield key, squeeze(feed[key])
        return
    root = etree.fromstring(data)
    if root.tag == "rss":
        for key in ("title", "description"):
            for node in root.xpath(f"/rss/channel/{key}"):
                yield f"channel/{key}", squeeze(node.text or "")
        return
    atom = {"a": "http://www.w3.org/2005/Atom"}
    for key in ("title", "subtitle"):
        for node in root.xpath(f"/a:feed/a:{key}", namespaces=atom):
            yield f"feed/{key}", squeeze(node.text or "")


def test_spanish_feeds_are_titled_in_spanish(files: dict[str, bytes]) -> None:
    untranslated = Untranslated()
    feeds = [
        path
        for path in files
        if path.startswith(f"{LANG}/") and path.rsplit("/", 1)[-1] in FEED_FILES
    ]
    assert f"{LANG}/rss.xml" in feeds
    problems = [
        problem
        for path in feeds
        for where, text in feed_texts(path, files[path])
        for problem in findings(path, where, text, False, untranslated)
    ]
    assert problems == [], "\n".join(problems)
