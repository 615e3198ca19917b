"""A translated title (or file name) is made an address in its own language's way (issue #23):
German writes ä, ö, ü as ae, oe, ue; Danish and Norwegian æ, ø, å as ae, oe, aa; other
languages, English and Spanish among them, keep python-slugify's default transliteration, so
no address of the shipped site moves."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from advisory_site.commands.cli import main
from advisory_site.core.urls import make_slug
from advisory_site.engine.build import load_site
from advisory_site.source.content import file_slug, folder_slug
from tests.conftest import REPO, SITE_YAML, MakeSite, release
from tests.test_build import build_files

GERMAN_SITE = SITE_YAML + "languages: [en, de]\n"
# An empty German catalogue: the templates' text stays English, which is all these tests need.
GERMAN_CATALOGUE = """\
msgid ""
msgstr ""
"Language: de\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"""


@pytest.mark.parametrize(
    ("title", "lang", "slug"),
    [
        ("Grüße aus Köln", "de", "gruesse-aus-koeln"),
        ("Grüße aus Köln", "de-AT", "gruesse-aus-koeln"),
        ("ÜBER DIE STRASSE", "de", "ueber-die-strasse"),
        ("Grüße aus Köln", "en", "grusse-aus-koln"),
        ("Grüße aus Köln", "", "grusse-aus-koln"),
        ("Blåbærgrød på Ærø", "da", "blaabaergroed-paa-aeroe"),
        ("Blåbærgrød på Ærø", "nb", "blaabaergroed-paa-aeroe"),
        ("Blåbærgrød på Ærø", "nn", "blaabaergroed-paa-aeroe"),
        ("Blåbærgrød på Ærø", "en", "blabaergrod-pa-aero"),
        ("Año nuevo: acción rápida", "es", "ano-nuevo-accion-rapida"),
        ("Año nuevo: acción rápida", "es-MX", "ano-nuevo-accion-rapida"),
        ("FEMA’s Plan für Köln", "de", "femas-plan-fuer-koeln"),
    ],
)
def test_a_title_is_made_a_slug_in_its_language(title: str, lang: str, slug: str) -> None:
    assert make_slug(title, lang) == slug
    # the same letters written decomposed, as macOS names files
    assert make_slug(unicodedata.normalize("NFD", title), lang) == slug


def test_no_shipped_release_moves() -> None:
    """Every release file of the sample site gives the slug it gave before its language played
    a part (English or Spanish, whose convention is the default)."""
    site = load_site(REPO)
    assert {release_.lang for release_ in site.releases} == {"en", "es"}
    for release_ in site.releases:
        source, lang = release_.source, release_.lang
        assert file_slug(source, lang) == file_slug(source), source
        assert folder_slug(source, lang) == folder_slug(source), source


def german_site(make_site: MakeSite, files: dict[str, str]) -> Path:
    site = make_site(files, site_yaml=GERMAN_SITE)
    catalogue = site / "locales/de/LC_MESSAGES/messages.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_text(GERMAN_CATALOGUE, encoding="utf-8")
    return site


def test_a_german_file_name_gives_a_german_address(make_site: MakeSite) -> None:
    site = german_site(
        make_site,
        {
            "content/releases/2016/grants.md": release("Grants Announced"),
            "content/releases/2016/zuschüsse-für-städte.md": release(
                "Zuschüsse für Städte", lang="de", translation_of="2016/grants.md"
            ),
            "content/releases/2016/straßen-und-brücken/index.md": release(
                "Straßen und Brücken", lang="de"
            ),
            "content/releases/2016/über-uns.md": release("Über uns"),  # English: the default
        },
    )
    files = build_files(site)
    assert "news/2016/10/07/zuschuesse-fuer-staedte/index.html" in files
    assert "news/2016/10/07/strassen-und-bruecken/index.html" in files
    assert "news/2016/10/07/uber-uns/index.html" in files


def test_new_names_a_german_translation_in_german(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = german_site(make_site, {"content/releases/2016/grants.md": release("Grants Announced")})
    args = ["new", "Zuschüsse für Städte", "--lang", "de", "--translation-of", "2016/grants.md"]
    assert main([*args, "--site", str(site), "--now", "2016-10-09T12:00:00-04:00"]) == 0
    assert (site / "content/releases/2016/zuschuesse-fuer-staedte.md").is_file()
    assert "/news/2016/10/09/zuschuesse-fuer-staedte/" in capsys.readouterr().out
    assert main(["check", "--site", str(site)]) == 0
