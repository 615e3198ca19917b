"""Each language's topic, agency and year listings, their feeds and its subscribe page (/es/).

Built from the shipped sample site, whose Spanish versions of two FEMA releases and one CISA
release are real content; pages are read with lxml, feeds with feedparser and lxml, the sitemap
is validated against the sitemaps.org schema.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree, html

from advisory_site.core.models import Release
from advisory_site.engine.build import BuildOptions, load_site
from tests.conftest import NOW, REPO, SITE_YAML, MakeSite, build, release
from tests.test_translated_pages import sitemap_schema

BASE = "https://www.example.gov"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SPANISH_CISA = (
    "CISA amplía su servicio gratuito de escaneo de vulnerabilidades a los gobiernos locales"
)
ENGLISH_CISA = "CISA Expands No-Cost Vulnerability Scanning to Local Governments"
ENGLISH_ONLY = "CISA Launches Secure Our World Public Awareness Campaign"  # not translated


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    plan = build(BuildOptions(site_dir=REPO, now=NOW))
    return {file.path: file.data for file in plan.files}


@pytest.fixture(scope="module")
def releases() -> tuple[Release, ...]:
    return tuple(r for r in load_site(REPO).releases if not r.withdrawn)


def page(files: dict[str, bytes], path: str) -> Any:
    return html.fromstring(files[path])


def listing(files: dict[str, bytes], path: str) -> list[Any]:
    """The releases of a listing, every page of it (path: its first page's file)."""
    items: list[Any] = []
    while True:
        document = page(files, path)
        items += document.xpath("//main//ul[@class='usa-collection']/li")
        following = document.xpath("//a[@rel='next']/@href")
        if not following:
            return items
        path = following[0].lstrip("/") + "index.html"


def titles(items: list[Any]) -> list[str]:
    return [item.xpath("string(.//h2/a)") for item in items]


def parsed(data: bytes) -> Any:
    result = feedparser.parse(data)
    assert not result.bozo, result.get("bozo_exception")
    return result


def test_spanish_topic_listing_shows_each_release_once_in_spanish_where_it_can(
    files: dict[str, bytes], releases: tuple[Release, ...]
) -> None:
    document = page(files, "es/topics/cybersecurity/index.html")
    assert document.get("lang") == "es"
    assert document.xpath("string(//h1)") == "Ciberseguridad"
    assert document.xpath("//h1/@lang | //p[@class='usa-intro']/@lang") == []  # translated
    assert document.xpath("string(//p[@class='usa-intro'])").startswith("La defensa de las redes")
    crumbs = document.xpath("//nav[@class='usa-breadcrumb']//a")
    assert [(a.get("href"), a.text_content()) for a in crumbs] == [
        ("/es/", "Inicio"),
        ("/es/topics/", "Temas"),
    ]
    items = listing(files, "es/topics/cybersecurity/index.html")
    shown = titles(items)
    stories = {
        r.original_source or r.source
        for r in releases
        if "cybersecurity" in {t.id for t in r.topics}
    }
    assert len(shown) == len(stories) == len(set(shown))
    assert SPANISH_CISA in shown and ENGLISH_CISA not in shown
    # a release with no Spanish version: its original, marked as English
    (english,) = [item for item in items if item.xpath("string(.//h2/a)") == ENGLISH_ONLY]
    link = english.xpath(".//h2/a")[0]
    assert (link.get("lang"), link.get("hreflang")) == ("en", "en")
    assert english.xpath(".//p[@class='usa-collection__description']/@lang") == ["en"]
    assert "En inglés" in english.xpath("string(.//ul[@class='usa-collection__meta'])")
    spanish = next(item for item in items if item.xpath("string(.//h2/a)") == SPANISH_CISA)
    assert spanish.xpath(".//*[@lang]") == []
    # the English listing keeps the English version
    english_titles = titles(listing(files, "topics/cybersecurity/index.html"))
    assert ENGLISH_CISA in english_titles and SPANISH_CISA not in english_titles


@pytest.mark.parametrize("index", ["es/topics/", "es/agencies/", "topics/", "agencies/"])
def test_index_pages_count_what_their_listings_show(files: dict[str, bytes], index: str) -> None:
    document = page(files, index + "index.html")
    entries = document.xpath("//main//ul[contains(@class, 'site-index')]/li")
    assert entries
    for entry in entries:
        url = entry.xpath(".//h2/a/@href")[0]
        count = entry.xpath("string(.//li[@class='usa-collection__meta-item'])")
        shown = len(listing(files, url.lstrip("/") + "index.html"))
        noun = ("comunicado" if index.startswith("es/") else "release") + (
            "" if shown == 1 else "s"
        )
        assert count == f"{shown} {noun}", url


def test_spanish_index_pages_name_topics_and_agencies_in_spanish(
    files: dict[str, bytes],
) -> None:
    topics = page(files, "es/topics/index.html")
    assert topics.get("lang") == "es"
    assert topics.xpath("string(//h1)") == "Temas"
    assert "Ciberseguridad" in topics.xpath("//main//h2/a/text()")
    assert set(topics.xpath("//main//h2/a/@href")) == {
        "/es/topics/" + href.split("/")[2] + "/"
        for href in page(files, "topics/index.html").xpath("//main//h2/a/@href")
    }
    agencies = page(files, "es/agencies/index.html")
    assert agencies.xpath("string(//h1)") == "Agencias"
    assert "Agencia Federal para el Manejo de Emergencias" in agencies.xpath("//main//h2/a/text()")
    fema = page(files, "es/agencies/fema/index.html")
    assert fema.xpath("string(//p[@class='usa-intro'])") == (
        "Comunicados de esta agencia: Agencia Federal para el Manejo de Emergencias."
    )


def test_spanish_year_listings(files: dict[str, bytes]) -> None:
    news = page(files, "es/news/index.html")
    years = news.xpath("//nav[contains(@class, 'site-years')]//a/@href")
    assert years and all(re.fullmatch(r"/es/news/\d{4}/", year) for year in years)
    english_years = page(files, "news/index.html").xpath("//nav[contains(@class, 'site-years')]//a")
    assert [a.get("href") for a in english_years] == [y.removeprefix("/es") for y in years]
    year = page(files, "es/news/2018/index.html")
    assert year.get("lang") == "es"
    assert year.xpath("string(//h1)") == "Noticias de 2018"
    assert SPANISH_CISA in titles(listing(files, "es/news/2018/index.html"))
    assert year.xpath("//nav[@class='usa-breadcrumb']//a/@href") == ["/es/", "/es/news/"]


SPANISH_LISTINGS = re.compile(r"/(topics|agencies|subscribe)/|/news/\d{4}/$")


def test_every_spanish_page_links_the_spanish_listings(files: dict[str, bytes]) -> None:
    """Navigation, breadcrumbs, topic and agency tags and year links of every page in Spanish
    (the /es/ section and the Spanish releases) lead to the Spanish listings."""
    spanish = [
        path
        for path, data in files.items()
        if path.endswith(".html") and html.fromstring(data).get("lang") == "es"
    ]
    assert sum(path.startswith("es/") for path in spanish) > 20
    assert sum(path.startswith("news/") for path in spanish) >= 3  # the Spanish releases
    for path in spanish:
        document = page(files, path)
        # only a link marked as leading to another language (Subscribe in English) may
        wrong = [
            a.get("href")
            for a in document.xpath("//a[@href][not(@hreflang)]")
            if SPANISH_LISTINGS.match(a.get("href")) and not a.get("href").startswith("/es/")
        ]
        assert wrong == [], path
        assert "Las páginas de temas están en" not in files[path].decode()
    release = page(
        files,
        "news/2018/12/04/cisa-amplia-el-escaneo-de-vulnerabilidades-a-gobiernos-locales/index.html",
    )
    assert release.xpath("//dl[@class='release-tags']//a/@href")[0] == "/es/topics/cybersecurity/"
    assert release.xpath("//nav[@class='usa-breadcrumb']//a/@href") == ["/es/", "/es/news/"]
    nav = release.xpath("//nav[contains(@class, 'usa-nav')]//a")
    assert {(a.text_content(), a.get("href")) for a in nav} >= {
        ("Temas", "/es/topics/"),
        ("Agencias", "/es/agencies/"),
        ("Suscribirse", "/es/subscribe/"),
    }
    assert not [a for a in nav if a.get("hreflang")]


def spanish_stories(releases: tuple[Release, ...], term: str) -> list[str]:
    return sorted(
        r.title
        for r in releases
        if r.lang == "es" and term in {*(t.id for t in r.topics), *(a.id for a in r.agencies)}
    )


@pytest.mark.parametrize("folder", ["es/topics/cybersecurity/", "es/agencies/fema/"])
def test_spanish_topic_and_agency_feeds(
    files: dict[str, bytes], releases: tuple[Release, ...], folder: str
) -> None:
    """In all three formats: Spanish, the releases written in Spanish, items linking their
    other versions, as the /es/ site feed."""
    expected = spanish_stories(releases, folder.split("/")[2])
    assert expected
    rss, atom = files[folder + "rss.xml"], files[folder + "atom.xml"]
    feed = json.loads(files[folder + "feed.json"])
    for data, version in ((rss, "rss20"), (atom, "atom10")):
        etree.fromstring(data)
        result = parsed(data)
        assert result.version == version
        assert result.feed.language == "es" if version == "rss20" else True
        assert sorted(entry.title for entry in result.entries) == expected
        assert result.feed.link == f"{BASE}/{folder}"
    assert etree.fromstring(atom).get(XML_LANG) == "es"
    assert etree.fromstring(rss).findtext("channel/language") == "es"
    assert feed["language"] == "es"
    assert feed["home_page_url"] == f"{BASE}/{folder}"
    assert feed["feed_url"] == f"{BASE}/{folder}feed.json"
    assert sorted(item["title"] for item in feed["items"]) == expected
    assert " | Sala de Prensa del DHS" in feed["title"]
    # each item links its English original, as the /es/ site feed's do
    for item in feed["items"]:
        (version,) = item["_translations"]["versions"]
        assert version["language"] == "en"
        assert version["url"].startswith(f"{BASE}/news/")
    for entry in etree.fromstring(atom).findall(f"{ATOM}entry"):
        languages = [link.get("hreflang") for link in entry.findall(f"{ATOM}link")]
        assert sorted(languages) == ["en", "es"]


def test_spanish_listings_have_a_follow_box_and_advertise_their_feeds(
    files: dict[str, bytes],
) -> None:
    document = page(files, "es/topics/cybersecurity/index.html")
    box = document.xpath("//section[contains(@class, 'follow')]")[0]
    assert box.xpath("string(.//h2)") == "Seguir este tema"
    links = {a.get("href"): a.text_content() for a in box.xpath(".//a")}
    assert links["/es/topics/cybersecurity/rss.xml"] == (
        "Seguir Ciberseguridad en un lector de noticias"
    )
    assert "/es/subscribe/" in links
    assert any(href.startswith("https://public.govdelivery.com/") for href in links)
    advertised = document.xpath("//head/link[@rel='alternate'][@type]/@href")
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert f"{BASE}/es/topics/cybersecurity/{name}" in advertised
    agency = page(files, "es/agencies/fema/index.html")
    assert agency.xpath("string(//section[contains(@class, 'follow')]//h2)") == (
        "Seguir a esta agencia"
    )
    assert f"{BASE}/es/agencies/fema/atom.xml" in agency.xpath("//head/link/@href")


def test_the_opml_lists_the_spanish_topic_and_agency_feeds(files: dict[str, bytes]) -> None:
    opml = etree.fromstring(files["feeds.opml"])
    site = load_site(REPO).config
    (topics,) = opml.xpath("//body/outline[@text='Temas (español)']")
    assert topics.get("language") == "es"
    assert [o.get("xmlUrl") for o in topics] == [
        f"{BASE}/es/topics/{t.id}/atom.xml" for t in site.topics
    ]
    assert {o.get("language") for o in topics} == {"es"}
    (agencies,) = opml.xpath("//body/outline[@text='Agencias (español)']")
    assert [o.get("xmlUrl") for o in agencies] == [
        f"{BASE}/es/agencies/{a.id}/atom.xml" for a in site.agencies
    ]
    # the English folders keep the English feeds alone
    english = opml.xpath("//body/outline[@text='Topics']/outline/@xmlUrl")
    assert english == [f"{BASE}/topics/{t.id}/atom.xml" for t in site.topics]


def test_spanish_subscribe_page_lists_the_spanish_feeds(files: dict[str, bytes]) -> None:
    document = page(files, "es/subscribe/index.html")
    assert document.get("lang") == "es"
    assert document.xpath("string(//h1)") == "Suscribirse"
    site = load_site(REPO).config
    rss = "//section[@aria-labelledby='{}']//a[@type='application/rss+xml']/@href"
    assert document.xpath(rss.format("all-feed")) == ["/es/rss.xml"]
    assert document.xpath(rss.format("topic-feeds")) == [
        f"/es/topics/{t.id}/rss.xml" for t in site.topics
    ]
    assert document.xpath(rss.format("agency-feeds")) == [
        f"/es/agencies/{a.id}/rss.xml" for a in site.agencies
    ]
    assert "Ciberseguridad" in document.xpath(
        "//section[@aria-labelledby='topic-feeds']//h3/a/text()"
    )
    # the English site feed, marked as English
    (english,) = document.xpath("//section[@aria-labelledby='language-feeds']//h3")
    assert english.get("lang") == "en"
    assert english.xpath(".//a/@href") == ["/"]
    # e-mail sign-up, as on the English page
    assert document.xpath("//section[@aria-labelledby='by-email']//a[@class='usa-button']/@href")
    # the two pages link each other
    (to_english,) = document.xpath("//ul[contains(@class, 'site-languages')]//a")
    assert (to_english.get("href"), to_english.get("hreflang"), to_english.get("lang")) == (
        "/subscribe/",
        "en",
        "en",
    )
    assert to_english.text == "Subscribe in English"
    subscribe = page(files, "subscribe/index.html")
    (to_spanish,) = subscribe.xpath("//ul[contains(@class, 'site-languages')]//a")
    assert (to_spanish.get("href"), to_spanish.text) == ("/es/subscribe/", "Suscribirse en español")
    # the English page keeps the English feeds, and its "every release in Spanish" entry
    assert subscribe.xpath(rss.format("topic-feeds")) == [
        f"/topics/{t.id}/rss.xml" for t in site.topics
    ]
    assert subscribe.xpath(rss.format("language-feeds")) == ["/es/rss.xml"]


def hreflang_links(document: Any) -> set[tuple[str, str]]:
    return {
        (link.get("hreflang"), link.get("href"))
        for link in document.xpath("//head/link[@rel='alternate'][@hreflang]")
    }


def test_hreflang_pairs_are_absolute_and_reciprocal_across_the_site(
    files: dict[str, bytes],
) -> None:
    by_url: dict[str, set[tuple[str, str]]] = {}
    for path, data in files.items():
        if path.endswith(".html"):
            document = html.fromstring(data)
            canonical = document.xpath("//link[@rel='canonical']/@href")
            if canonical and not document.xpath("//meta[@name='robots']"):  # not a redirect
                by_url[canonical[0]] = hreflang_links(document)
    linked = {url: links for url, links in by_url.items() if links}
    for name in ("topics/", "topics/cybersecurity/", "agencies/fema/", "news/2018/", "subscribe/"):
        assert f"{BASE}/{name}" in linked and f"{BASE}/es/{name}" in linked, name
    for url, links in linked.items():
        languages = [lang for lang, _ in links]
        assert len(languages) == len(set(languages)), url
        assert ("x-default" in languages) and len(links) >= 3, url
        assert url in {href for _, href in links}, url  # itself among them
        for _, href in links:
            assert urlsplit(href).scheme == "https" and href.startswith(BASE + "/"), href
            assert by_url.get(href) == links, (url, href)  # each names the same set back
    # the sitemap gives the same alternates and stays valid against its schema
    sitemap = etree.fromstring(files["sitemap.xml"])
    assert sitemap_schema().validate(sitemap)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    for entry in sitemap.xpath("//s:url", namespaces=ns):
        loc = entry.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
        alternates = {
            (x.get("hreflang"), x.get("href")) for x in entry.xpath("x:link", namespaces=ns)
        }
        assert alternates == by_url.get(loc, set()), loc


def test_a_site_in_one_language_has_no_language_sections(make_site: MakeSite) -> None:
    site = make_site({"content/releases/2016/a.md": release("A release")})
    built = {f.path: f.data for f in build(BuildOptions(site_dir=site, now=NOW)).files}
    assert not [path for path in built if path.startswith("es/")]
    assert not [path for path in built if b"hreflang" in built[path]]
    assert b'<a class="usa-nav-link" href="/topics/">' in built["index.html"]
    outlines = etree.fromstring(built["feeds.opml"]).xpath("//body/outline/@text")
    assert outlines[1:] == ["Topics", "Agencies"]


THREE_LANGUAGES = SITE_YAML.replace(
    "base_url: https://www.example.gov/\n",
    "base_url: https://www.example.gov/\nlanguages: [en, es, fr]\n",
)


def test_a_third_language_gets_the_same_section(make_site: MakeSite) -> None:
    """`pybabel init` for French and `fr` in languages, as docs/languages.md says, and nothing
    else: /fr/ has every page and feed /es/ has."""
    site = make_site(
        {
            "content/releases/2016/a.md": release("A release", "2016-10-07"),
            "content/releases/2017/b.md": release("Another release", "2017-03-01"),
        },
        site_yaml=THREE_LANGUAGES,
    )
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "init", "-i", "locales/messages.pot", "-d", "locales", "-l", "fr"],
        cwd=site,
        check=True,
        capture_output=True,
    )
    built = {f.path: f.data for f in build(BuildOptions(site_dir=site, now=NOW)).files}
    spanish = {path.removeprefix("es/") for path in built if path.startswith("es/")}
    french = {path.removeprefix("fr/") for path in built if path.startswith("fr/")}
    assert french == spanish
    assert {"topics/cybersecurity/index.html", "agencies/dhs/atom.xml", "news/2017/index.html",
            "subscribe/index.html", "topics/cybersecurity/feed.json"} <= french  # fmt: skip
    topic = html.fromstring(built["fr/topics/cybersecurity/index.html"])
    assert topic.get("lang") == "fr"
    # names site.yaml does not translate into French stay English, marked as such
    assert topic.xpath("//h1/@lang") == ["en"]
    assert topic.xpath("//li[@aria-current='page']/span/@lang") == ["en"]
    assert topic.xpath("//section[contains(@class, 'follow')]//a/span[@lang='en']/text()") == [
        "Cybersecurity"
    ]
    index = html.fromstring(built["fr/topics/index.html"])
    assert index.xpath("//main//h2/a/@lang") == ["en", "en"]
    assert hreflang_links(topic) == {
        ("en", f"{BASE}/topics/cybersecurity/"),
        ("es", f"{BASE}/es/topics/cybersecurity/"),
        ("fr", f"{BASE}/fr/topics/cybersecurity/"),
        ("x-default", f"{BASE}/topics/cybersecurity/"),
    }
    assert json.loads(built["fr/agencies/dhs/feed.json"])["language"] == "fr"
    assert etree.fromstring(built["fr/topics/cybersecurity/atom.xml"]).get(XML_LANG) == "fr"
    subscribe = html.fromstring(built["fr/subscribe/index.html"])
    (heading,) = subscribe.xpath("//h3[a/@href='/fr/topics/cybersecurity/']")
    assert heading.get("lang") == "en" and heading.xpath("a/@hreflang") == []
    assert subscribe.xpath("//ul[contains(@class, 'site-languages')]//a/@href") == [
        "/subscribe/",
        "/es/subscribe/",
    ]
    outlines = etree.fromstring(built["feeds.opml"]).xpath("//body/outline/@text")
    assert "Topics (français)" in outlines and "Temas (español)" in outlines
