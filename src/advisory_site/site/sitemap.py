"""sitemap.xml and robots.txt."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from advisory_site.core.models import SiteConfig

SitemapEntry = tuple[str, datetime | None, tuple[tuple[str, str], ...]]
"""A page in the sitemap: its site path, its date (or None) and its versions in every language
as (hreflang, site path), 'x-default' among them (() for a page in one language)."""


def sitemap_xml(config: SiteConfig, entries: Iterable[SitemapEntry]) -> bytes:
    """The sitemap protocol's urlset, with a lastmod where the page has a date of its own and
    each page's language versions as xhtml:link alternates (Google's extension for hreflang)."""
    listed = sorted(entries, key=lambda entry: entry[0])
    multilingual = any(entry[2] for entry in listed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        + (' xmlns:xhtml="http://www.w3.org/1999/xhtml">' if multilingual else ">"),
    ]
    for url, updated, alternates in listed:
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{escape(lang)}" '
            f'href="{escape(config.absolute(other))}"/>'
            for lang, other in alternates
        )
        lines.append(
            f"  <url><loc>{escape(config.absolute(url), quote=False)}</loc>"
            + (f"<lastmod>{config.local_date(updated).isoformat()}</lastmod>" if updated else "")
            + links
            + "</url>"
        )
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute('/sitemap.xml')}\n".encode()
