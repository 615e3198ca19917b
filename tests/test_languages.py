"""Releases in several languages: lang and translation_of validated, versions linked both ways,
gettext catalogues compiled at build time and used by templates, dates through Babel."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from advisory_site.core.errors import BuildError
from advisory_site.core.models import long_date
from advisory_site.engine.build import load_site
from advisory_site.site.templates import Templates
from tests.conftest import REPO, SITE_YAML, SRC, MakeSite, release

BILINGUAL = SITE_YAML + "languages: [en, es]\n"
ORIGINAL = "content/releases/2016/grants.md"
SPANISH = "content/releases/2016/subvenciones.md"


def errors_of(make_site: MakeSite, files: dict[str, str], site_yaml: str = BILINGUAL) -> list[str]:
    site = make_site(files, site_yaml=site_yaml)
    with pytest.raises(BuildError) as caught:
        load_site(site)
    return [str(error) for error in caught.value.errors]


def spanish(original: str = "2016/grants.md", lang: str = "es", title: str = "Subvenciones") -> str:
    return release(title, lang=lang, translation_of=original)


def test_versions_are_linked_both_ways(make_site: MakeSite) -> None:
    site = load_site(
        make_site({ORIGINAL: release("Grants"), SPANISH: spanish()}, site_yaml=BILINGUAL)
    )
    by_source = {r.source: r for r in site.releases}
    english, translation = by_source[ORIGINAL], by_source[SPANISH]
    assert (english.lang, english.translation_of) == ("en", None)
    assert (translation.lang, translation.translation_of) == ("es", "2016/grants.md")
    assert site.config.languages == ("en", "es")
    assert site.translations(english) == (translation,)
    assert site.translations(translation) == (english,)
    assert site.versions(translation) == (english, translation)
    assert site.original(translation) is english
    assert site.original(english) is None


def test_translation_of_may_omit_md_and_releases_folder(make_site: MakeSite) -> None:
    site = load_site(
        make_site(
            {ORIGINAL: release("Grants"), SPANISH: spanish("content/releases/2016/grants")},
            site_yaml=BILINGUAL,
        )
    )
    translation = next(r for r in site.releases if r.source == SPANISH)
    assert translation.translation_of == "2016/grants.md"


def test_a_release_alone_has_no_other_version(make_site: MakeSite) -> None:
    site = load_site(make_site({ORIGINAL: release("Grants")}, site_yaml=BILINGUAL))
    (alone,) = site.releases
    assert site.versions(alone) == (alone,)
    assert site.translations(alone) == ()


# Each problem with its exact message, line and column. The release's front matter is:
#   1 ---  2 title  3 release_date  4 kind  5 agencies  6 topics  7 lang  8 translation_of
RELEASE_CASES = {
    "unknown language": (
        {ORIGINAL: release("Grants"), SPANISH: spanish(lang="xx")},
        f"{SPANISH}:7:7: lang: unknown language 'xx' (write one of the site's languages: en, es)",
    ),
    "underscore": (
        {ORIGINAL: release("Grants"), SPANISH: spanish(lang="es_MX")},
        (
            f"{SPANISH}:7:7: lang: 'es_MX' is not a BCP 47 language tag (tags use hyphens, such "
            "as es-MX) (write one of the site's languages: en, es)"
        ),
    ),
    "language the site does not offer": (
        {ORIGINAL: release("Grants"), SPANISH: spanish(lang="fr")},
        (
            f"{SPANISH}:7:7: lang: French (fr) is not one of the site's languages (en, es) (add fr "
            "to languages in content/site.yaml, with its catalogue, or write one of those)"
        ),
    ),
    "missing original": (
        {ORIGINAL: release("Grants"), SPANISH: spanish("2016/grant.md")},
        (
            f"{SPANISH}:8:17: translation_of: no release file content/releases/2016/grant.md "
            "(did you mean 2016/grants.md?)"
        ),
    ),
    "path out of the releases folder": (
        {ORIGINAL: release("Grants"), SPANISH: spanish("../pages/about.md")},
        (
            f"{SPANISH}:8:17: translation_of: '../pages/about.md' is not a file under "
            "content/releases/ (write the original's path under content/releases/, such as "
            "2016/its-name.md)"
        ),
    ),
    "itself": (
        {SPANISH: spanish("2016/subvenciones.md")},
        f"{SPANISH}:8:17: translation_of: a release cannot be a translation of itself",
    ),
    "same language as its original": (
        {ORIGINAL: release("Grants"), SPANISH: spanish(lang="en")},
        (
            f"{SPANISH}:8:17: translation_of: is in English (en), the language of its original "
            f"{ORIGINAL} (say the translation's language with a 'lang:' line, such as lang: es)"
        ),
    ),
    "two translations into one language": (
        {
            ORIGINAL: release("Grants"),
            SPANISH: spanish(),
            "content/releases/2016/zz-otra.md": spanish(title="Otra"),
        },
        (
            "content/releases/2016/zz-otra.md:8:17: translation_of: "
            f"{SPANISH} is already the Spanish (es) translation of {ORIGINAL} (a release has one "
            "translation into each language: merge the two, or correct the lang: of one)"
        ),
    ),
    "translation of a translation": (
        {
            ORIGINAL: release("Grants"),
            SPANISH: spanish(),
            "content/releases/2016/zz-retrad.md": spanish("2016/subvenciones.md", lang="en"),
        },
        (
            "content/releases/2016/zz-retrad.md:8:17: translation_of: "
            f"{SPANISH} is itself a translation (of 2016/grants.md) (name the original: "
            "translation_of: 2016/grants.md)"
        ),
    ),
}


@pytest.mark.parametrize("case", RELEASE_CASES)
def test_release_language_problems(make_site: MakeSite, case: str) -> None:
    files, expected = RELEASE_CASES[case]
    assert errors_of(make_site, files) == [expected]


def test_a_translation_of_a_broken_original_reports_the_original_only(
    make_site: MakeSite,
) -> None:
    broken = release("Grants").replace("release_date: 2016-10-07", "release_date: 10/07/2016")
    errors = errors_of(make_site, {ORIGINAL: broken, SPANISH: spanish()})
    assert len(errors) == 1
    assert errors[0].startswith(f"{ORIGINAL}:3:15: release_date:")


def test_without_languages_lang_must_be_the_sites(make_site: MakeSite) -> None:
    assert errors_of(make_site, {SPANISH: release("Sub", lang="es")}, SITE_YAML) == [
        (
            f"{SPANISH}:7:7: lang: Spanish (es) is not one of the site's languages (en) (add es to "
            "languages in content/site.yaml, with its catalogue, or write one of those)"
        )
    ]


CONFIG = "content/site.yaml"
CONFIG_CASES = {
    "unknown language": (
        SITE_YAML + "languages: [en, zz]\n",
        (
            f"{CONFIG}:21:17: languages[1]: unknown language 'zz' (use a BCP 47 language tag such "
            "as en, es or es-MX)"
        ),
    ),
    "listed twice": (
        SITE_YAML + "languages: [en, es, ES]\n",
        f"{CONFIG}:21:21: languages[2]: the language 'ES' is listed twice",
    ),
    "language not first": (
        SITE_YAML + "language: es\nlanguages: [en, es]\n",
        (
            f"{CONFIG}:21:11: language: 'es' is not the first of languages (en, es) (the first of "
            "languages is the site's own language: put it first, or remove the language line)"
        ),
    ),
    "unknown site language": (
        SITE_YAML + "language: english\n",
        (
            f"{CONFIG}:21:11: language: unknown language 'english' (use a BCP 47 language tag such "
            "as en or es)"
        ),
    ),
    "empty list": (
        SITE_YAML + "languages: []\n",
        f"{CONFIG}:21:12: languages: must list at least one language (such as [en, es])",
    ),
}


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_site_language_problems(make_site: MakeSite, case: str) -> None:
    site_yaml, expected = CONFIG_CASES[case]
    assert errors_of(make_site, {}, site_yaml) == [expected]


def test_a_language_needs_its_catalogue(make_site: MakeSite) -> None:
    assert errors_of(make_site, {}, SITE_YAML + "languages: [en, fr]\n") == [
        (
            "locales/fr/LC_MESSAGES/messages.po: the catalogue of French (fr), one of the "
            "languages of content/site.yaml, is missing (copy locales/messages.pot to "
            "locales/fr/LC_MESSAGES/messages.po and translate it, or remove fr from languages in "
            "content/site.yaml)"
        )
    ]


def test_a_broken_catalogue_is_an_error_with_its_line(make_site: MakeSite) -> None:
    site = make_site({}, site_yaml=BILINGUAL)
    po = site / "locales/es/LC_MESSAGES/messages.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "Contact"\nmsgstr "Contacto\n')
    with pytest.raises(BuildError) as caught:
        load_site(site)
    (error,) = caught.value.errors
    assert error.path == "locales/es/LC_MESSAGES/messages.po"
    assert error.line == po.read_text(encoding="utf-8").count("\n")
    assert "is not a valid gettext catalogue" in error.message


def test_a_placeholder_lost_in_translation_is_an_error(make_site: MakeSite) -> None:
    site = make_site({}, site_yaml=BILINGUAL)
    po = site / "locales/es/LC_MESSAGES/messages.po"
    line = po.read_text(encoding="utf-8").count("\n") + 3  # after a blank line and the flag
    po.write_text(
        po.read_text(encoding="utf-8")
        + '\n#, python-format\nmsgid "Page %(number)s"\nmsgstr "Página %(numero)s"\n',
        encoding="utf-8",
    )
    with pytest.raises(BuildError) as caught:
        load_site(site)
    (error,) = caught.value.errors
    assert str(error) == (
        f"locales/es/LC_MESSAGES/messages.po:{line}:1: msgid 'Page %(number)s': the translation "
        "does not fit its original: unknown named placeholder 'numero' (keep every %(name)s "
        "placeholder of the msgid in the msgstr)"
    )


def test_templates_translate_through_the_compiled_catalogue(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """One compiled template, three languages: gettext, trans blocks, dates and numbers follow
    the ``lang`` of each render; fuzzy entries are left out as msgfmt does."""
    site_dir = make_site({}, site_yaml=BILINGUAL)
    po = site_dir / "locales/es/LC_MESSAGES/messages.po"
    po.write_text(
        po.read_text(encoding="utf-8")
        + '\nmsgid "Contact"\nmsgstr "Contacto"\n'
        + '\n#, fuzzy\nmsgid "Release Date"\nmsgstr "Fecha dudosa"\n'
        + '\nmsgid "%(num)s release"\nmsgid_plural "%(num)s releases"\n'
        + 'msgstr[0] "%(num)s comunicado"\nmsgstr[1] "%(num)s comunicados"\n',
        encoding="utf-8",
    )
    site = load_site(site_dir)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.html").write_text(
        "{{ _('Contact') }}|{{ _('Release Date') }}|"
        "{% trans num=count %}{{ num }} release{% pluralize %}{{ num }} releases{% endtrans %}|"
        "{{ moment | long_date }}|{{ 12345.5 | number }}|{{ 'es' | language_name('es') }}"
    )
    templates = Templates(folder, site.config, site.catalogues)
    template = templates.env.get_template("t.html")
    moment = load_site(make_site({ORIGINAL: release("G")}, site_yaml=BILINGUAL)).releases[0]
    values = {"count": 3, "moment": moment.release_date}
    assert template.render(lang="es", **values) == (
        "Contacto|Release Date|3 comunicados|7 de octubre de 2016|12.345,5|español"
    )
    assert template.render(lang="en", **values) == (
        "Contact|Release Date|3 releases|October 7, 2016|12,345.5|español"
    )


def test_long_dates_come_from_cldr() -> None:
    day = date(2016, 10, 7)
    assert long_date(day) == "October 7, 2016"
    assert long_date(day, "es") == "7 de octubre de 2016"
    assert long_date(date(2001, 1, 1), "es-MX") == "1 de enero de 2001"


def _messages(path: Path) -> dict[tuple[str | None, str], tuple[str, bool]]:
    """(context, msgid) -> (msgstr, fuzzy) of a catalogue, header left out."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    found = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            found[(message.context, message.id)] = (message.string, message.fuzzy)
        elif message.id and isinstance(message.id, tuple | list):
            strings = message.string if isinstance(message.string, tuple | list) else ()
            found[(message.context, message.id[0])] = ("|".join(strings), message.fuzzy)
    return found


def test_the_catalogues_are_current_and_complete(tmp_path: Path) -> None:
    """locales/messages.pot is what pybabel extracts today (the command of docs/languages.md),
    and the Spanish catalogue translates every entry of it, none left fuzzy."""
    pybabel = Path(sys.executable).parent / "pybabel"
    extracted = tmp_path / "messages.pot"
    command = [str(pybabel), "extract", "-F", "babel.cfg", "--no-location", "--omit-header"]
    command += ["--sort-output", "-o", str(extracted), "templates", "src", "content"]
    subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
        capture_output=True,
        timeout=300,
    )
    wanted = set(_messages(extracted))
    assert set(_messages(REPO / "locales/messages.pot")) == wanted, "update messages.pot"
    spanish = _messages(REPO / "locales/es/LC_MESSAGES/messages.po")
    missing = sorted(str(key) for key in wanted if not spanish.get(key, ("", False))[0])
    fuzzy = sorted(str(key) for key in wanted if spanish.get(key, ("", False))[1])
    assert missing == []
    assert fuzzy == []


def test_values_are_translated_but_never_trusted_or_formatted(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """``translate`` and ``site_text`` take values a press officer wrote (a breadcrumb's
    release title, a distribution line): escaped like any value, and a '%' in them is text."""
    site = load_site(make_site({}, site_yaml=BILINGUAL))
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.html").write_text("{{ value | translate }}|{{ value | site_text }}")
    template = Templates(folder, site.config, site.catalogues).env.get_template("t.html")
    value = "<script>alert(1)</script> 100% %(x)s"
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; 100% %(x)s"
    assert template.render(lang="es", value=value) == (
        f'{escaped}|<span lang="en">{escaped}</span>'
    )
    assert template.render(lang="en", value=value) == f"{escaped}|{escaped}"
