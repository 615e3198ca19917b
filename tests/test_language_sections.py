"""The site's section in another language (/es/): home, news listing, feeds and names.

Built from the shipped sample site, whose Spanish versions of two FEMA releases and Spanish
pages are real content; feeds are read back with feedparser and lxml, pages with lxml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree, html

from advisory_site.engine.build import BuildOptions, load_site
from advisory_site.publish.search import record, searchable
from tests.conftest import NOW, REPO, SITE_YAML, MakeSite, build, release, run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
SPANISH_CISA = (
    "CISA amplía su servicio gratuito de escaneo de vulnerabilidades a los gobiernos locales"
)
ENGLISH_CISA = "CISA Expands No-Cost Vulnerability Scanning to Local Governments"
SPANISH_FACT_SHEET = (
    "Hoja informativa: Apoyo federal a las comunidades durante la temporada de huracanes de 2017"
)
ENGLISH_FACT_SHEET = "Fact Sheet: Federal Support for Communities During the 2017 Hurricane Season"
STORIES = 10  # the shipped releases, some of them also in Spanish


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    plan = build(BuildOptions(site_dir=REPO, now=NOW))
    return {file.path: file.data for file in plan.files}


def page(files: dict[str, bytes], path: str) -> Any:
    return html.fromstring(files[path])  # a file of the built site (its path, not its address)


def listed(document: Any) -> list[Any]:
    items: list[Any] = document.xpath("//main//ul[@class='usa-collection']/li")
    return items


def parsed(data: bytes) -> Any:
    result = feedparser.parse(data)
    assert not result.bozo, result.get("bozo_exception")
    return result


def test_spanish_home_is_in_spanish_with_the_spanish_versions(files: dict[str, bytes]) -> None:
    home = page(files, "es/index.html")
    assert home.get("lang") == "es"
    assert home.xpath("string(//h1)") == "Sala de Prensa del DHS"
    assert home.xpath("string(//h2[@id='latest-heading'])") == "Comunicados recientes"
    titles = [item.xpath("string(.//h3)") for item in listed(home)]
    assert len(titles) == 5  # home_size
    assert SPANISH_CISA not in titles and ENGLISH_CISA not in titles  # from 2018: not this recent
    # the labels of the header, the footer and the banner come from the catalogue
    assert home.xpath("string(//a[@class='usa-skipnav'])") == "Saltar al contenido principal"
    assert home.xpath("//header//a[@href='/es/news/']/span/text()") == ["Noticias"]
    assert (
        home.xpath("string(//div[@class='usa-identifier']//a[@href='/es/about/'])") == "Acerca de"
    )
    assert "Here’s how you know" not in files["es/index.html"].decode()


def test_spanish_news_lists_every_release_once_in_spanish_where_it_can(
    files: dict[str, bytes],
) -> None:
    news = page(files, "es/news/index.html")
    assert news.get("lang") == "es"
    assert news.xpath("string(//h1)") == "Noticias"
    items = listed(news)
    assert len(items) == STORIES
    titles = [item.xpath("string(.//h2)") for item in items]
    assert SPANISH_CISA in titles and SPANISH_FACT_SHEET in titles
    assert ENGLISH_CISA not in titles and ENGLISH_FACT_SHEET not in titles
    assert len([item for item in items if not item.xpath(".//h2/a/@lang")]) >= 2
    for item in items:
        link = item.xpath(".//h2/a")[0]
        spanish = link.get("lang") is None
        # a release not yet translated is marked as English, for screen readers and for people
        assert link.get("lang") in (None, "en")
        assert link.get("hreflang") == (None if spanish else "en")
        assert item.xpath(".//p/@lang") == ([] if spanish else ["en"])
        assert ("En inglés" in item.text_content()) is not spanish
    dates = news.xpath("//main//time/text()")
    assert "4 de diciembre de 2018" in dates and "15 de septiembre de 2017" in dates
    kinds = news.xpath("//main//li[contains(@class, 'usa-tag')]/text()")
    assert "Comunicado de prensa" in kinds and "Hoja informativa" in kinds


def test_english_news_lists_each_release_once_in_english(files: dict[str, bytes]) -> None:
    news = page(files, "news/index.html")
    titles = [item.xpath("string(.//h2)") for item in listed(news)]
    assert len(titles) == STORIES
    assert ENGLISH_CISA in titles and SPANISH_CISA not in titles
    assert not news.xpath("//main//*[@lang]")


def test_spanish_feeds_declare_spanish_and_hold_the_spanish_releases(
    files: dict[str, bytes],
) -> None:
    rss = parsed(files["es/rss.xml"])
    atom = parsed(files["es/atom.xml"])
    feed = json.loads(files["es/feed.json"])
    assert rss.feed.language == "es"
    assert (
        etree.fromstring(files["es/atom.xml"]).get("{http://www.w3.org/XML/1998/namespace}lang")
        == "es"
    )
    assert feed["language"] == "es"
    spanish = [r.title for r in load_site(REPO).releases if r.lang == "es"]
    for document in (rss, atom):
        titles = [entry.title for entry in document.entries]
        assert sorted(titles) == sorted(spanish)
        assert SPANISH_CISA in titles and SPANISH_FACT_SHEET in titles
        assert document.feed.title == "Sala de Prensa del DHS"
    assert sorted(item["title"] for item in feed["items"]) == sorted(spanish)
    assert feed["home_page_url"] == "https://www.example.gov/es/"
    # topic and agency names are the Spanish ones of site.yaml
    cisa = next(item for item in feed["items"] if item["title"] == SPANISH_CISA)
    assert cisa["tags"] == [
        "Ciberseguridad",
        "Agencia de Ciberseguridad y Seguridad de Infraestructura",
        "Departamento de Seguridad Nacional",
    ]
    entry = next(e for e in atom.entries if e.title == SPANISH_CISA)
    assert next(tag.label for tag in entry.tags) == "Ciberseguridad"


def test_feed_items_link_their_other_versions(files: dict[str, bytes]) -> None:
    site = "https://www.example.gov/news/2018/12/04/"
    spanish = site + "cisa-amplia-el-escaneo-de-vulnerabilidades-a-gobiernos-locales/"
    english = site + "cisa-expands-vulnerability-scanning-local-governments/"
    # Atom: one rel="alternate" link per language
    entries = etree.fromstring(files["atom.xml"]).findall(f"{ATOM}entry")
    entry = next(e for e in entries if e.findtext(f"{ATOM}title") == ENGLISH_CISA)
    links = {(link.get("hreflang"), link.get("href")) for link in entry.findall(f"{ATOM}link")}
    assert links == {("en", english), ("es", spanish)}
    assert {link.get("rel") for link in entry.findall(f"{ATOM}link")} == {"alternate"}
    # an item with no other version is left as it was
    plain = next(e for e in entries if "Election Day" in e.findtext(f"{ATOM}title"))
    assert [link.get("hreflang") for link in plain.findall(f"{ATOM}link")] == [None]
    # RSS: <link> is the item's page; atom:link elements name every version
    items = etree.fromstring(files["es/rss.xml"]).findall("channel/item")
    item = next(i for i in items if i.findtext("title") == SPANISH_CISA)
    assert item.findtext("link") == spanish
    assert {(a.get("hreflang"), a.get("href")) for a in item.findall(f"{ATOM}link")} == {
        ("es", spanish),
        ("en", english),
    }
    # JSON Feed: the item's language, and an extension object with the other versions
    feed = json.loads(files["es/feed.json"])
    first = next(item for item in feed["items"] if item["url"] == spanish)
    assert first["language"] == "es"
    assert first["_translations"]["versions"] == [{"language": "en", "url": english}]
    english_item = next(i for i in json.loads(files["feed.json"])["items"] if i["url"] == english)
    assert english_item["_translations"]["versions"] == [{"language": "es", "url": spanish}]
    # the English feeds hold each release once, in English
    titles = [i["title"] for i in json.loads(files["feed.json"])["items"]]
    assert len(titles) == STORIES and SPANISH_CISA not in titles


def test_spanish_pages_advertise_the_spanish_feeds(files: dict[str, bytes]) -> None:
    for path in ("es/index.html", "es/news/index.html", "es/about/index.html"):
        document = page(files, path)
        hrefs = document.xpath("//head/link[@rel='alternate'][@type]/@href")
        assert "https://www.example.gov/es/rss.xml" in hrefs, path
        assert "https://www.example.gov/rss.xml" not in hrefs, path


def test_spanish_about_and_accessibility_pages(files: dict[str, bytes]) -> None:
    for path, title in (
        ("es/about/index.html", "Acerca de la Sala de Prensa del DHS"),
        ("es/accessibility/index.html", "Declaración de accesibilidad"),
    ):
        document = page(files, path)
        assert document.get("lang") == "es"
        assert document.xpath("string(//h1)") == title
        assert document.xpath("//nav[@class='usa-breadcrumb']//a/@href") == ["/es/"]


def test_spanish_search_page_offers_spanish_filters(files: dict[str, bytes]) -> None:
    search = page(files, "es/search/index.html")
    assert search.get("lang") == "es"
    form = search.xpath("//form[@id='search-form']")[0]
    assert form.get("action") == "/es/search/"
    assert form.get("data-text-found-other") == "{count} comunicados encontrados para «{term}»."
    legends = search.xpath("//legend/text()")
    assert legends == ["Tema", "Agencia", "Tipo", "Año"]
    values = search.xpath("//input[@type='checkbox']/@value")
    assert {"Ciberseguridad", "Respuesta a desastres", "Hoja informativa"} <= set(values)


SPANISH_SITE = SITE_YAML.replace(
    "base_url: https://www.example.gov/\n",
    "base_url: https://www.example.gov/\nlanguages: [en, es]\n",
)


def spanish_site(make_site: MakeSite, files: dict[str, str], site_yaml: str = SPANISH_SITE) -> Path:
    return make_site(files, site_yaml=site_yaml)  # with the repository's catalogues


def test_spanish_news_is_paginated_like_the_english(make_site: MakeSite) -> None:
    releases = {
        f"content/releases/2016/r{number}.md": release(f"Release {number}", f"2016-10-{number:02d}")
        for number in range(1, 8)
    }
    releases["content/releases/2016/es1.md"] = release(
        "Comunicado uno", "2016-10-01", lang="es", translation_of="2016/r1.md"
    )
    site = spanish_site(make_site, releases, SPANISH_SITE.replace("page_size: 2", "page_size: 3"))
    built = {f.path: f.data for f in build(BuildOptions(site_dir=site, now=NOW)).files}
    assert "es/news/page/3/index.html" in built and "es/news/page/4/index.html" not in built
    second = page(built, "es/news/page/2/index.html")
    assert second.xpath("string(//h1)") == "Noticias (página 2 de 3)"
    assert second.xpath("//a[@rel='prev']/@href") == ["/es/news/"]
    last = page(built, "es/news/page/3/index.html")
    assert [i.xpath("string(.//h2)") for i in listed(last)] == ["Comunicado uno"]


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        (
            "  - {id: cybersecurity, name: Cybersecurity, translations: {fr: {name: Cyber}}}\n",
            "topics[0].translations.fr: 'fr' is not one of the site's languages (en, es)",
        ),
        (
            "  - {id: cybersecurity, name: Cybersecurity, translations: {en: {name: Cyber}}}\n",
            "topics[0].translations.en: 'en' is the site's own language",
        ),
        (
            "  - {id: cybersecurity, name: Cybersecurity, translations: {es: {nombre: Ciber}}}\n",
            "topics[0].translations.es.nombre: unknown field",
        ),
        (
            (
                "  - {id: cybersecurity, name: Cybersecurity, description: Networks.,"
                " translations: {es: {name: Ciberseguridad}}}\n"
            ),
            (
                "topics[0].translations.es.description: the topic has a description; its es "
                "translation has none"
            ),
        ),
    ],
)
def test_a_wrong_translation_in_site_yaml_is_an_error_at_its_line(
    make_site: MakeSite, yaml: str, message: str
) -> None:
    lines = SPANISH_SITE.splitlines(keepends=True)
    start = lines.index("topics:\n") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith(" "))
    site_yaml = "".join([*lines[:start], yaml, *lines[end:]])
    site = spanish_site(make_site, {}, site_yaml)
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert f"content/site.yaml:{start + 1}:" in result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_page_in_a_folder_of_no_language_is_refused(make_site: MakeSite) -> None:
    site = spanish_site(
        make_site, {"content/pages/fr/about.md": "---\ntitle: À propos\n---\nTexte.\n"}
    )
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert "content/pages/fr/about.md: pages must sit directly in content/pages/" in result.stderr


def test_subscribe_page_and_opml_offer_the_spanish_feed(files: dict[str, bytes]) -> None:
    subscribe = page(files, "subscribe/index.html")
    section = subscribe.xpath("//section[@aria-labelledby='language-feeds']")[0]
    heading = section.xpath(".//h3")[0]
    assert heading.get("lang") == "es"
    assert heading.xpath("string(.)") == "Todos los comunicados"
    assert section.xpath(".//a[@type='application/rss+xml']/@href") == ["/es/rss.xml"]
    assert "Follow every release in Spanish in a news reader" in section.text_content()
    outlines = etree.fromstring(files["feeds.opml"]).xpath("//outline[@text='Languages']/outline")
    assert [(o.get("xmlUrl"), o.get("language")) for o in outlines] == [
        ("https://www.example.gov/es/atom.xml", "es")
    ]


def test_search_records_are_in_their_releases_language() -> None:
    site = load_site(REPO)
    spanish = next(r for r in searchable(site) if r.title == SPANISH_CISA)
    english = next(r for r in searchable(site) if r.title == ENGLISH_CISA)
    document = html.fromstring(record(spanish, site))
    assert document.get("lang") == "es"
    assert document.xpath("//@data-pagefind-meta") == ["date:4 de diciembre de 2018"]
    assert document.xpath("//span[@data-pagefind-filter='topic']/text()") == ["Ciberseguridad"]
    assert document.xpath("//span[@data-pagefind-filter='kind']/text()") == ["Comunicado de prensa"]
    assert html.fromstring(record(english, site)).get("lang") == "en"


@pytest.mark.parametrize(
    ("english", "spanish"),
    [("", "es/"), ("news/", "es/news/"), ("search/", "es/search/"), ("about/", "es/about/")],
)
def test_each_section_page_names_its_versions_reciprocally(
    files: dict[str, bytes], english: str, spanish: str
) -> None:
    base = "https://www.example.gov/"
    expected = {("en", base + english), ("es", base + spanish), ("x-default", base + english)}
    for path in (english, spanish):
        document = page(files, path + "index.html")
        links = {
            (link.get("hreflang"), link.get("href"))
            for link in document.xpath("//head/link[@rel='alternate'][@hreflang]")
        }
        assert links == expected, path
    sitemap = etree.fromstring(files["sitemap.xml"])
    namespaces = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    (entry,) = sitemap.xpath(f"//s:url[s:loc='{base + spanish}']", namespaces=namespaces)
    alternates = {
        (link.get("hreflang"), link.get("href"))
        for link in entry.findall("{http://www.w3.org/1999/xhtml}link")
    }
    assert alternates == expected
    # only the first page of a listing has versions: a second page of one has no counterpart
    assert not page(files, "news/index.html").xpath("//link[@hreflang]/@href[contains(., 'page')]")
