"""Slugs, permalinks and output paths: pure functions."""

from __future__ import annotations

import re
from datetime import date

from slugify import slugify

MAX_SLUG = 100
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
MAX_ALIAS = 400
MAX_SEGMENT = 100
_SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")


# Apostrophes, straight or curly, are dropped, not made into hyphens: "FEMA's" and "FEMA\u2019s"
# both give 'femas'.
_APOSTROPHES = [[mark, ""] for mark in ("'", "\u2019", "\u2018", "\u02bc", "\u2032")]


def make_slug(title: str) -> str:
    """The slug of a title or file name: ASCII, lowercase, hyphenated, at most MAX_SLUG
    characters."""
    return str(
        slugify(
            title,
            max_length=MAX_SLUG,
            word_boundary=True,
            save_order=True,
            replacements=_APOSTROPHES,
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
