"""A release and its translation as readers and search engines get them: each page in its own
language (labels, dates, shared layout), linked both ways (switcher, hreflang, sitemap), and a
notice on a translation that has fallen behind its original."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree, html

from advisory_site.commands.cli import main
from advisory_site.engine.build import load_site
from advisory_site.source.catalogues import SITE_TEXT
from tests.conftest import REPO, SITE_YAML, MakeSite, release
from tests.test_build import build_files, text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BILINGUAL = SITE_YAML + "languages: [en, es]\n"
ORIGINAL = "content/releases/2016/grants.md"
SPANISH = "content/releases/2016/subvenciones.md"
EN_URL = "news/2016/10/07/grants/"
ES_URL = "news/2016/10/07/subvenciones/"
BASE = "https://www.example.gov/"


def pair(
    make_site: MakeSite,
    *,
    updates: str = "",
    last_published: str = "2016-10-07",
    extra: dict[str, str] | None = None,
) -> Path:
    """A site with an English release and its Spanish translation (``updates``: the
    original's front matter lines for its change log)."""
    original = release("Grants Announced")
    if updates:
        original = original.replace("---\nBody", updates + "---\nBody", 1)
    spanish = release(
        "Se anuncian subvenciones",
        lang="es",
        translation_of="2016/grants.md",
        last_published=last_published,
        contact="{office: Oficina de Prensa, phone: 202-555-0100}",
    ).replace(
        "Body of Se anuncian subvenciones.",
        "Cuerpo del comunicado, 12.345 personas.[^1]\n\n[^1]: La nota.",
    )
    return make_site({ORIGINAL: original, SPANISH: spanish, **(extra or {})}, site_yaml=BILINGUAL)


def page(files: dict[str, bytes], url: str) -> html.HtmlElement:
    return html.fromstring(text(files, url + "index.html"))


def texts(tree: html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]


def test_the_spanish_page_is_spanish_throughout(make_site: MakeSite) -> None:
    files = build_files(pair(make_site))
    es = page(files, ES_URL)
    assert es.xpath("/html/@lang") == ["es"]
    assert es.xpath('//meta[@property="og:locale"]/@content') == ["es"]
    assert texts(es, '//p[@class="release-date"]') == ["Fecha de publicación: 7 de octubre de 2016"]
    assert texts(es, '//p[@class="last-published"]') == ["Última publicación: 7 de octubre de 2016"]
    assert texts(es, '//p[@class="contact"]') == ["Contacto: 202-555-0100"]
    assert texts(es, '//p[@class="distribution"]') == ["Para publicación inmediata"]
    assert texts(es, '//a[@class="usa-skipnav"]') == ["Saltar al contenido principal"]
    assert texts(es, '//nav[@aria-label="Principal"]//li') == [
        "Noticias",
        "Temas",
        "Agencias",
        "Buscar",
        "Suscribirse",
    ]
    assert texts(es, '//nav[@class="usa-breadcrumb"]//a') == ["Inicio", "Noticias"]
    # ... leading to the home and news of the Spanish section
    assert es.xpath('//nav[@class="usa-breadcrumb"]//a/@href') == ["/es/", "/es/news/"]
    assert es.xpath('//nav[@class="usa-breadcrumb"]/@aria-label') == ["Ruta de navegación"]
    assert "Verificar una declaración" in texts(es, '//nav[@class="usa-footer__nav"]//a')
    assert texts(es, '//span[@class="usa-banner__header-text"]') == [
        "Un sitio oficial del Gobierno de Estados Unidos"
    ]
    # even the words the Markdown renderer adds
    assert es.xpath('//a[@class="footnote-backref"]/@title') == ["Volver a la nota 1 en el texto"]
    # the release's JSON-LD says its language
    assert '"inLanguage":"es"' in text(files, ES_URL + "index.html")
    # the English original is untouched
    en = page(files, EN_URL)
    assert en.xpath("/html/@lang") == ["en"]
    assert texts(en, '//p[@class="release-date"]') == ["Release Date: October 7, 2016"]
    assert texts(en, '//a[@class="usa-skipnav"]') == ["Skip to main content"]
    assert en.xpath('//nav[@class="usa-breadcrumb"]//a/@href') == ["/", "/news/"]


def test_preview_notices_speak_the_pages_language(make_site: MakeSite) -> None:
    """`serve` marks a draft or embargoed release; on a Spanish page in Spanish, its moment
    written by CLDR (Babel) as Spanish writes it, with the time zone's Spanish name."""
    site = pair(make_site, last_published="2099-01-02")
    for path, moment in (
        (ORIGINAL, "2099-01-01T15:30:00-05:00"),
        (SPANISH, "2099-01-01T09:00:00-05:00"),
    ):
        file = site / path
        file.write_text(
            file.read_text(encoding="utf-8").replace(
                "release_date: 2016-10-07", f"release_date: {moment}\ndraft: true"
            ),
            encoding="utf-8",
        )
    files = build_files(site, preview=True, drafts=True, future=True)
    es = page(files, "news/2099/01/01/subvenciones/")
    assert texts(es, '//div[contains(@class, "notice-preview")]') == [
        "Borrador — no publicado",
        (
            "Programado para el 1 de enero de 2099 a las 9:00, hora estándar oriental — aún no "
            "es público"
        ),
    ]
    assert es.xpath('//div[contains(@class, "notice-preview")]//strong/@lang') == []
    en = page(files, "news/2099/01/01/grants/")
    assert texts(en, '//div[contains(@class, "notice-preview")]') == [
        "Draft — not published",
        "Scheduled for January 1, 2099 at 3:30 PM EST — not yet public",  # split: U+202F
    ]


def test_text_of_site_yaml_without_a_translation_keeps_its_language(make_site: MakeSite) -> None:
    """Texts of site.yaml are translated through the catalogue (context 'site.yaml'); the test
    site's title and organisation have no Spanish there, so on the Spanish page they stay
    English, marked so that screen readers switch pronunciation."""
    es = page(build_files(pair(make_site)), ES_URL)
    assert texts(es, '//p[@class="release-kind"]') == ["Declaración"]
    assert texts(es, '//dl[@class="release-tags"]/dd[1]//a') == ["Ciberseguridad"]
    (title,) = es.xpath('//em[@class="usa-logo__text"]/a/span')
    assert (title.get("lang"), title.text) == ("en", "Test Press Room")
    (organisation,) = es.xpath('//p[@class="usa-footer__logo-heading"]/span')
    assert (organisation.get("lang"), organisation.text) == ("en", "Test Agency")
    assert texts(es, '//p[@class="usa-identifier__identity-disclaimer"]') == [
        "Un sitio web oficial del Test Agency"
    ]
    # every element holding only English on the Spanish page says so
    for node in es.iter():
        if isinstance(node.tag, str) and (node.text or "").strip() in {
            "Test Press Room",
            "Test Agency",
        }:
            assert node.get("lang") == "en", etree.tostring(node)
    # the English page marks nothing
    en = page(build_files(pair(make_site)), EN_URL)
    assert en.xpath('//p[@class="usa-footer__logo-heading"]/span') == []


def test_the_shipped_site_yaml_is_translated_into_spanish() -> None:
    """Every text of the shipped site.yaml that pages show has its Spanish entry."""
    site = load_site(REPO)
    catalogue = site.catalogues["es"]
    config = site.config
    shown = [
        config.title,
        config.organisation,
        config.default_contact.office,
        *(kind.name for kind in config.kinds),
        *(topic.name for topic in config.topics),
        *(agency.name for agency in config.agencies),
        *(agency.contact.office for agency in config.agencies if agency.contact),
        *(link.label for link in config.footer_links),
    ]
    missing = [name for name in shown if catalogue.pgettext(SITE_TEXT, name) == name]
    assert missing in ([], ["USA.gov"])


def test_the_switcher_links_each_version_in_its_own_language(make_site: MakeSite) -> None:
    files = build_files(pair(make_site))
    es, en = page(files, ES_URL), page(files, EN_URL)
    (to_english,) = es.xpath('//nav[@class="language-switcher"]//a')
    assert (to_english.text, to_english.get("lang"), to_english.get("hreflang")) == (
        "Read in English",
        "en",
        "en",
    )
    assert to_english.get("href") == "/" + EN_URL
    assert es.xpath('//nav[@class="language-switcher"]/@aria-label') == ["Otros idiomas"]
    (to_spanish,) = en.xpath('//nav[@class="language-switcher"]//a')
    assert (to_spanish.text, to_spanish.get("lang"), to_spanish.get("href")) == (
        "Leer en español",
        "es",
        "/" + ES_URL,
    )
    # a release alone has no switcher and no hreflang
    (make_site(site_yaml=BILINGUAL) / SPANISH).unlink()
    alone = build_files(make_site(site_yaml=BILINGUAL))
    lone = page(alone, EN_URL)
    assert lone.xpath('//nav[@class="language-switcher"]') == []
    assert lone.xpath("//link[@hreflang]") == []


def hreflangs(tree: html.HtmlElement) -> dict[str, str]:
    return {
        link.get("hreflang"): link.get("href")
        for link in tree.xpath('//head/link[@rel="alternate"][@hreflang]')
    }


def test_hreflang_links_are_absolute_and_reciprocal(make_site: MakeSite) -> None:
    files = build_files(pair(make_site))
    expected = {"en": BASE + EN_URL, "es": BASE + ES_URL, "x-default": BASE + EN_URL}
    assert hreflangs(page(files, EN_URL)) == expected
    assert hreflangs(page(files, ES_URL)) == expected
    # each version's canonical address is among them: the pairs point back at each other
    for url in (EN_URL, ES_URL):
        (canonical,) = page(files, url).xpath('//link[@rel="canonical"]/@href')
        assert canonical in expected.values()


def sitemap_schema() -> etree.XMLSchema:
    """The sitemaps.org schema with the xhtml:link schema for its extension elements (both
    kept in tests/fixtures, their sources noted there)."""
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'schemaLocation="sitemap.xsd"/>'
        '<xs:import namespace="http://www.w3.org/1999/xhtml" schemaLocation="xhtml-link.xsd"/>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.XML(wrapper, base_url=(FIXTURES / "schemas.xsd").as_uri()))


def test_the_sitemap_lists_every_version_and_is_valid(make_site: MakeSite) -> None:
    files = build_files(pair(make_site))
    sitemap = etree.fromstring(files["sitemap.xml"])
    schema = sitemap_schema()
    assert schema.validate(sitemap), schema.error_log
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    expected = {"en": BASE + EN_URL, "es": BASE + ES_URL, "x-default": BASE + EN_URL}
    for url in (EN_URL, ES_URL):
        (entry,) = sitemap.xpath("//s:url[s:loc=$loc]", namespaces=ns, loc=BASE + url)
        links = entry.xpath("x:link", namespaces=ns)
        assert {link.get("hreflang"): link.get("href") for link in links} == expected
        assert {link.get("rel") for link in links} == {"alternate"}
    # without translations, only the pages of each language's section (home, news, its years,
    # topics, agencies, search, subscribe, verify) have versions, each pair both ways, and the
    # sitemap stays valid
    (make_site(site_yaml=BILINGUAL) / SPANISH).unlink()
    alone = etree.fromstring(build_files(make_site(site_yaml=BILINGUAL))["sitemap.xml"])
    assert schema.validate(alone)
    linked = set(alone.xpath("//s:url[x:link]/s:loc/text()", namespaces=ns))
    sections = ("", "news/", "topics/", "agencies/", "search/", "subscribe/", "verify/")
    assert {BASE + lang + path for lang in ("", "es/") for path in sections} <= linked
    assert {BASE + "topics/cybersecurity/", BASE + "es/news/2016/"} <= linked
    for url in linked:
        spanish = url.startswith(BASE + "es/")
        other = url.replace(BASE + "es/", BASE) if spanish else url.replace(BASE, BASE + "es/")
        assert other in linked, url
        assert not re.search(r"/news/\d{4}/\d{2}/", url), url  # a release alone: none
    # a site in one language declares no xhtml namespace
    english = build_files(make_site(site_yaml=BILINGUAL.replace("[en, es]", "[en]")))
    assert b"xhtml" not in english["sitemap.xml"]


def test_the_schema_refuses_a_relative_alternate() -> None:
    """The fixture schema does check the links: a relative href is invalid."""
    bad = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:xhtml="http://www.w3.org/1999/xhtml"><url><loc>https://www.example.gov/</loc>'
        b'<xhtml:link rel="alternate" hreflang="es" href="/es/"/></url></urlset>'
    )
    assert not sitemap_schema().validate(etree.fromstring(bad))


MAJOR_UPDATE = "updates:\n  - {date: 2016-10-20, note: Added the deadline.}\n"
MINOR_UPDATE = "updates:\n  - {date: 2016-10-20, note: Fixed a typo., type: minor}\n"


@pytest.mark.parametrize(
    ("updates", "last_published", "shown"),
    [
        (MAJOR_UPDATE, "2016-10-07", True),  # the original changed after the translation
        (MAJOR_UPDATE, "2016-10-21", False),  # the translation caught up
        (MINOR_UPDATE, "2016-10-07", False),  # a typo is no reason to warn
        ("", "2016-10-07", False),
    ],
)
def test_an_outdated_translation_says_so(
    make_site: MakeSite, updates: str, last_published: str, shown: bool
) -> None:
    files = build_files(pair(make_site, updates=updates, last_published=last_published))
    es = page(files, ES_URL)
    notices = es.xpath('//div[contains(@class, "notice-outdated")]')
    assert bool(notices) == shown
    if shown:
        assert texts(es, '//div[contains(@class, "notice-outdated")]//p') == [
            (
                "El original en inglés de este comunicado se actualizó el 20 de octubre de 2016, "
                "después de publicarse esta traducción. Lea el original actualizado."
            )
        ]
        (link,) = notices[0].xpath(".//a")
        assert (link.get("href"), link.get("hreflang")) == ("/" + EN_URL, "en")
    # the original never shows it
    assert page(files, EN_URL).xpath('//div[contains(@class, "notice-outdated")]') == []


def test_check_warns_about_an_outdated_translation(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = pair(make_site, updates=MAJOR_UPDATE)
    assert main(["check", "--site", str(site)]) == 0
    err = capsys.readouterr()
    assert (
        f"{SPANISH}: warning: translation_of: its original {ORIGINAL} had a major update on "
        "2016-10-20 (Added the deadline.), after this translation was last published "
        "(2016-10-07); its page tells readers so (bring the translation up to date and change "
        "its last_published to that day)"
    ) in err.out + err.err
    caught_up = pair(make_site, updates=MAJOR_UPDATE, last_published="2016-10-21")
    assert main(["check", "--site", str(caught_up)]) == 0
    assert "translation_of" not in "".join(capsys.readouterr())


def test_a_translated_title_is_slugified_in_its_own_language(make_site: MakeSite) -> None:
    """A translation's address follows the rules of every release: from its file name, or
    from a slug written in its language; accents are transliterated, not dropped."""
    site = pair(
        make_site,
        extra={
            "content/releases/2016/acción-rápida.md": release(
                "Acción rápida", lang="es", translation_of="2016/other.md"
            ),
            "content/releases/2016/other.md": release("Quick Action"),
        },
    )
    files = build_files(site)
    assert "news/2016/10/07/accion-rapida/index.html" in files


def test_new_starts_a_translation_named_after_its_own_title(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({ORIGINAL: release("Grants Announced")}, site_yaml=BILINGUAL)
    title = "Año nuevo: acción rápida"
    args = ["new", title, "--lang", "es", "--translation-of", "2016/grants.md"]
    assert main([*args, "--site", str(site), "--now", "2016-10-09T12:00:00-04:00"]) == 0
    written = site / "content/releases/2016/ano-nuevo-accion-rapida.md"
    text = written.read_text(encoding="utf-8")
    assert "\nlang: es\ntranslation_of: 2016/grants.md\n" in text
    assert "\nkind: statement\n" in text  # the original's
    assert '\nagencies: ["dhs"]\n' in text
    assert main(["check", "--site", str(site)]) == 0
    capsys.readouterr()
    assert main(["new", "X", "--translation-of", "2016/grants.md", "--site", str(site)]) == 2
    assert "--translation-of needs --lang" in capsys.readouterr().err
    missing = ["new", "X", "--lang", "es", "--translation-of", "2016/nope.md", "--site", str(site)]
    assert main(missing) == 2
    assert "no release file content/releases/2016/nope.md" in capsys.readouterr().err


def test_listings_show_each_release_once_in_the_readers_language(make_site: MakeSite) -> None:
    """The English news lists the English version, the Spanish news (/es/news/) the Spanish
    one; neither lists both (tests/test_language_sections.py: the marking of a release shown
    in another language than its listing's)."""
    files = build_files(pair(make_site))
    news = page(files, "news/")
    assert not news.xpath(f'//a[@href="/{ES_URL}"]')
    (english,) = news.xpath(f'//a[@href="/{EN_URL}"]')
    assert english.get("lang") is None
    spanish_news = page(files, "es/news/")
    (spanish,) = spanish_news.xpath(f'//a[@href="/{ES_URL}"]')
    assert spanish.get("lang") is None
    assert not spanish_news.xpath(f'//a[@href="/{EN_URL}"]')
