"""Slugs, permalinks and output paths: pure functions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from slugify import GERMAN, add_uppercase_char, slugify

MAX_SLUG = 100
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
MAX_ALIAS = 400
MAX_SEGMENT = 100
RESERVED_ALIAS_ROOTS = frozenset({"pagefind"})
"""Folders the build writes after the plan is made: no alias may be planned in them."""
_SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")


# Apostrophes, straight or curly, are dropped, not made into hyphens: "FEMA's" and "FEMA\u2019s"
# both give 'femas'.
_APOSTROPHES = [[mark, ""] for mark in ("'", "\u2019", "\u2018", "\u02bc", "\u2032")]

# A language's own way of writing its letters in ASCII, where it differs from the default
# transliteration (Unidecode: ä -> a, ø -> o, å -> a), by the language of a BCP 47 tag:
# German ä, ö, ü -> ae, oe, ue (python-slugify's own table; ß -> ss is the default already);
# Danish and Norwegian æ, ø, å -> ae, oe, aa (å -> aa as before the 1948 and 1955 reforms,
# and as Danish and Norwegian addresses write it). Spanish needs none: ñ -> n and accents
# dropped is its convention too.
_NORDIC = tuple(add_uppercase_char([("æ", "ae"), ("ø", "oe"), ("å", "aa")]))
LANGUAGE_LETTERS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "de": tuple(GERMAN),
    "da": _NORDIC,
    "nb": _NORDIC,
    "nn": _NORDIC,
    "no": _NORDIC,
}


# Characters no address in the site's settings may hold: controls, spaces (browsers drop a tab
# or a newline, so "/\t/evil.example/" is followed as "//evil.example/"), quotes and the other
# characters RFC 3986 never allows, and invisible or direction-changing ones.
_URL_UNSAFE = re.compile(
    "[\x00-\x20\x7f-\xa0\"'<>\\\\^`{|}\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff]"
)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def url_problem(url: str) -> str:
    """Why ``url`` may not be written into a page as it is, or '' when it may."""
    found = _URL_UNSAFE.search(url)
    if found is None:
        return ""
    char = found.group()
    what = (
        "a space"
        if char == " "
        else "a quote"
        if char in "\"'`"
        else f"the character {char!r}"
        if char in "<>\\^{|}"
        else f"the control character U+{ord(char):04X}"
        if char.isascii() or ord(char) < 0xA0
        else f"the invisible character U+{ord(char):04X}"
    )
    return f"{url!r} holds {what}, which an address may not hold (percent-encode it, as %20)"


def rebuilt_url(url: str, schemes: tuple[str, ...] = ("https",)) -> str | None:
    """An absolute address of one of ``schemes``, parsed and written again from its parts
    (scheme and host in lower case); None when it is not one, or holds what ``url_problem``
    refuses, a user name or a malformed host or port."""
    if url_problem(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in schemes or not _HOST.match(host) or "@" in parts.netloc:
        return None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def make_slug(title: str, lang: str = "") -> str:
    """The slug of a title or file name: ASCII, lowercase, hyphenated, at most MAX_SLUG
    characters. ``lang``, the BCP 47 tag of the title's language, writes its letters as that
    language does (LANGUAGE_LETTERS): German "Grüße aus Köln" gives 'gruesse-aus-koeln',
    'grusse-aus-koln' in any other language."""
    letters = LANGUAGE_LETTERS.get(lang.split("-", maxsplit=1)[0].lower(), ())
    if letters:  # "ü" typed or named as u + combining diaeresis (macOS file names) alike
        title = unicodedata.normalize("NFC", title)
    return str(
        slugify(
            title,
            max_length=MAX_SLUG,
            word_boundary=True,
            save_order=True,
            replacements=[*_APOSTROPHES, *letters],
        )
    )


def slug_problem(slug: str) -> str:
    """Why ``slug`` cannot be used, or '' when it can."""
    if not SLUG_PATTERN.match(slug):
        return f"'{slug}' is not a valid slug: use lowercase letters, digits and single hyphens"
    if len(slug) > MAX_SLUG:
        return f"the slug is {len(slug)} characters long; the limit is {MAX_SLUG}"
    return ""


def release_url(day: date, slug: str) -> str:
    return f"/news/{day.year:04d}/{day.month:02d}/{day.day:02d}/{slug}/"


def year_url(year: int) -> str:
    return f"/news/{year:04d}/"


def topic_url(topic_id: str) -> str:
    return f"/topics/{topic_id}/"


def agency_url(agency_id: str) -> str:
    return f"/agencies/{agency_id}/"


def page_url(name: str) -> str:
    return f"/{name}/"


def paginated_url(first: str, number: int) -> str:
    """Page ``number`` (1-based) of a listing whose first page is ``first``."""
    return first if number == 1 else f"{first}page/{number}/"


def alias_problem(alias: str) -> str:
    """Why an old URL cannot be kept as a redirect, or '' when it can.

    Only ASCII letters, digits and ``-_.~`` are accepted, so no alias can name a parent folder,
    an absolute file, a hidden file (``/.well-known/``, ``/.git/``) or a Unicode look-alike of
    '/' or '.' that some server might fold into one.
    """
    if not alias.startswith("/") or alias.startswith("//"):
        return f"'{alias}' must be a path on this site starting with '/'"
    if alias == "/":
        return "the home page cannot be an alias"
    if len(alias) > MAX_ALIAS:
        return f"the path is {len(alias)} characters long; the limit is {MAX_ALIAS}"
    root = alias[1:].split("/", 1)[0]
    if root.casefold() in RESERVED_ALIAS_ROOTS:
        return f"'{alias}' is in /{root}/, which the build fills itself (the search index)"
    for segment in alias[1:].removesuffix("/").split("/"):
        if not _SEGMENT.match(segment):
            return (
                f"'{alias}' is not a plain path: use letters, digits, '-', '_', '.' and '/', "
                "without '..', '//' or a part that starts with '.'"
            )
        if len(segment) > MAX_SEGMENT:
            return (
                f"a part of '{alias}' is {len(segment)} characters long; the limit is {MAX_SEGMENT}"
            )
    return ""


def output_path(url: str) -> str:
    """The file that serves a site path: '/news/' -> 'news/index.html'."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    if "." in path.rsplit("/", 1)[-1]:
        return path
    return path + "/index.html"


def prefix_links(fragment: str, prefix: str) -> str:
    """Make root-relative links of sanitised HTML ('/about/') point under ``prefix`` ('/repo')."""
    if not prefix:
        return fragment
    return _ROOT_RELATIVE.sub(lambda match: f"{match.group(1)}{prefix}/", fragment)
