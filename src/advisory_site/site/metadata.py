"""Machine-readable descriptions of pages: schema.org JSON-LD for search engines and apps."""

from __future__ import annotations

import json
from collections.abc import Callable

from advisory_site.core.models import Picture, Release, SiteConfig

# In a <script> element, "</script>" or "<!--" inside a string would end or confuse the element;
# JSON allows these characters as \u escapes, which no HTML parser looks into.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


# json.dumps would make an encoder for each page
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def script_safe_json(data: object) -> str:
    """``data`` as compact JSON that is safe inside <script type="application/ld+json">."""
    text = _ENCODER.encode(data)
    # str.replace, not str.translate: translate with a mapping is slower, a character at a time
    for character, escape in _SCRIPT_SAFE:
        text = text.replace(character, escape)
    return text


def news_article(
    release: Release,
    config: SiteConfig,
    card: Picture | None = None,
    site_text: Callable[[str], str] = str,
) -> dict[str, object]:
    """The schema.org NewsArticle describing ``release``, with its lead image (else ``card``,
    the site's default image) as its ``image``; ``site_text`` gives the names of site.yaml
    (organisation, kind, topics, agencies) in the release's language."""
    url = config.absolute(release.url)
    organisation = {
        "@type": "GovernmentOrganization",
        "name": site_text(config.organisation),
        "url": config.base_url,
    }
    article: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": release.title,
        "description": release.summary,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": config.local_iso(release.release_date),
        "dateModified": config.local_iso(release.last_published),
        "inLanguage": release.lang,
        "articleSection": site_text(release.kind.name),
        "author": organisation,
        "publisher": organisation,
    }
    image = release.image or card
    if image is not None:
        article["image"] = image_object(image, config)
    if release.topics:
        article["keywords"] = [site_text(topic.name) for topic in release.topics]
    if release.agencies:
        article["sourceOrganization"] = [
            {"@type": "GovernmentOrganization", "name": site_text(agency.name)}
            | ({"url": agency.url} if agency.url else {})
            for agency in release.agencies
        ]
    return article


def image_object(image: Picture, config: SiteConfig) -> dict[str, object]:
    """A schema.org ImageObject of a published image, its address absolute."""
    return {
        "@type": "ImageObject",
        "url": config.absolute_href(image.src),
        "width": image.width,
        "height": image.height,
        "encodingFormat": image.media_type,
        "description": image.alt,
    }
