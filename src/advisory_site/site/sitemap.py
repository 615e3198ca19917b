"""sitemap.xml and robots.txt."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from advisory_site.core.models import SiteConfig


def sitemap_xml(config: SiteConfig, entries: Iterable[tuple[str, datetime | None]]) -> bytes:
    """The sitemap protocol's urlset, with a lastmod where the page has a date of its own."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, updated in sorted(entries, key=lambda entry: entry[0]):
        lines.append(
            f"  <url><loc>{escape(config.absolute(url), quote=False)}</loc>"
            + (f"<lastmod>{config.local_date(updated).isoformat()}</lastmod>" if updated else "")
            + "</url>"
        )
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute('/sitemap.xml')}\n".encode()
