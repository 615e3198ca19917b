"""What machines read: language, description, canonical URL, Open Graph, schema.org JSON-LD."""

from __future__ import annotations

import json

from lxml import html

from advisory_site.engine.build import load_site
from tests.conftest import REPO, MakeSite, release
from tests.test_build import SEED_URL, build_files, text


def json_ld(page: str) -> dict[str, object]:
    (script,) = html.fromstring(page).xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert isinstance(data, dict)
    return data


def test_release_page_describes_itself_as_a_news_article() -> None:
    page = text(build_files(REPO), SEED_URL + "index.html")
    article = json_ld(page)
    url = "https://www.example.gov/" + SEED_URL
    assert article["@context"] == "https://schema.org"
    assert article["@type"] == "NewsArticle"
    assert str(article["headline"]).startswith("Joint Statement from the Department Of Homeland")
    assert article["datePublished"] == "2016-10-07T00:00:00-04:00"
    assert article["dateModified"] == "2016-10-07T00:00:00-04:00"
    assert article["url"] == url
    assert article["keywords"] == ["Election Security", "Cybersecurity"]
    assert article["publisher"] == {
        "@type": "GovernmentOrganization",
        "name": "U.S. Department of Homeland Security",
        "url": "https://www.example.gov/",
    }
    tree = html.fromstring(page)
    assert tree.xpath('//link[@rel="canonical"]/@href') == [url]
    assert tree.xpath('//meta[@property="og:type"]/@content') == ["article"]
    assert tree.xpath('//meta[@property="og:url"]/@content') == [url]
    assert tree.xpath('//meta[@property="article:published_time"]/@content') == [
        "2016-10-07T00:00:00-04:00"
    ]
    assert tree.xpath('//meta[@name="description"]/@content')[0].startswith("The U.S. Intel")


def test_json_ld_cannot_end_its_script_element(make_site: MakeSite) -> None:
    title = "Close </script><!-- & more"
    # the body (a paragraph with the title) shows the end tag as text: a bare one is refused
    body = release(title).replace("Body of Close </script>", "Body of Close &lt;/script>")
    site = make_site({"content/releases/close-script-more.md": body})
    page = text(build_files(site), "news/2016/10/07/close-script-more/index.html")
    assert "</script><!--" not in page.split("application/ld+json", 1)[1].split("</script>")[0]
    assert json_ld(page)["headline"] == title


def test_every_page_has_language_description_and_a_canonical_or_noindex() -> None:
    files = build_files(REPO)
    pages = [path for path in files if path.endswith(".html")]
    assert len(pages) > 30
    # the shipped Spanish releases (and their pages below them) and the Spanish section, /es/
    spanish_releases = tuple(
        release.url.lstrip("/") for release in load_site(REPO).releases if release.lang == "es"
    )
    assert spanish_releases
    for path in pages:
        tree = html.fromstring(files[path])
        spanish = path.startswith(("es/", *spanish_releases))
        assert tree.get("lang") == ("es" if spanish else "en"), path
        if tree.xpath('//meta[@http-equiv="refresh"]'):
            continue  # a redirect left at an old address
        assert tree.xpath('//meta[@name="description"]/@content'), path
        noindex = tree.xpath('//meta[@name="robots"][@content="noindex"]')
        canonical = tree.xpath('//link[@rel="canonical"]/@href')
        assert bool(noindex) != bool(canonical), path
        if canonical:
            assert tree.xpath('//meta[@property="og:title"]/@content'), path


def test_a_spanish_release_describes_itself_in_spanish() -> None:
    """Search engines and apps read the names of site.yaml in the release's language."""
    url = "news/2023/04/18/fema-centros-recuperacion-inundaciones-primavera/"
    page = text(build_files(REPO), url + "index.html")
    article = json_ld(page)
    assert article["inLanguage"] == "es"
    assert article["articleSection"] == "Comunicado de prensa"
    assert article["keywords"] == ["Respuesta a desastres"]
    assert article["publisher"] == {
        "@type": "GovernmentOrganization",
        "name": "Departamento de Seguridad Nacional de EE. UU.",
        "url": "https://www.example.gov/",
    }
    agencies = article["sourceOrganization"]
    assert isinstance(agencies, list)
    assert [agency["name"] for agency in agencies] == [
        "Agencia Federal para el Manejo de Emergencias",
        "Departamento de Seguridad Nacional",
    ]
    tree = html.fromstring(page)
    assert tree.xpath('//meta[@property="article:tag"]/@content') == ["Respuesta a desastres"]
