"""Change history from git: a temporary repository whose release is edited before publication
(an embargoed text, a draft) and after (a correction with a note, a silent edit). Only what was
live appears: on the changes page, in the ledger, and in `check`'s silent-edit warning."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from lxml import html

from tests.conftest import NOW_ISO, SITE_YAML, MakeSite, run_cli

RELEASE = """\
---
title: {title}
release_date: 2026-11-10T09:00:00-05:00
kind: statement
agencies: [DHS]
topics: [Election Security]
draft: {draft}
{updates}---
{body}
"""
PATH = "content/releases/2026/statement-on-the-election-audit.md"
URL = "news/2026/11/10/{slug}/"

FIRST = "The Department will publish the audit of the election systems on Monday."
EMBARGOED = "SECRET DRAFT: the audit found nothing to report."
DRAFT = "WORK IN PROGRESS, not for release."
CORRECTED = "The Department will publish the audit of the voting systems on Tuesday."
SILENT = "The Department will publish the full audit of the voting systems on Tuesday."


def commit(site: Path, moment: str, message: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": moment,
        "GIT_COMMITTER_DATE": moment,
        "GIT_AUTHOR_NAME": "Press Office",
        "GIT_AUTHOR_EMAIL": "press@example.gov",
        "GIT_COMMITTER_NAME": "Press Office",
        "GIT_COMMITTER_EMAIL": "press@example.gov",
    }
    subprocess.run(["git", "add", "-A"], cwd=site, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=site, check=True, env=env)


def write(site: Path, body: str, *, draft: bool = False, updates: str = "") -> None:
    text = RELEASE.format(
        title="Statement on the Election Audit",
        draft="true" if draft else "false",
        updates=updates,
        body=body,
    )
    (site / PATH).parent.mkdir(parents=True, exist_ok=True)
    (site / PATH).write_text(text, encoding="utf-8")


@pytest.fixture
def edited(make_site: MakeSite) -> Path:
    """A site whose release went through a draft, an embargoed text, its published text, a
    correction with an update note and a silent edit."""
    site = make_site()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=site, check=True)
    write(site, DRAFT, draft=True)
    commit(site, "2026-11-01T10:00:00-05:00", "draft")
    write(site, EMBARGOED)
    commit(site, "2026-11-05T10:00:00-05:00", "embargoed text, replaced before its date")
    write(site, FIRST)
    commit(site, "2026-11-08T10:00:00-05:00", "the text published on 10 November")
    note = "  - {date: 2026-11-12, note: Corrected the day and the systems audited.}\n"
    write(site, CORRECTED, updates="updates:\n" + note)
    commit(site, "2026-11-12T10:00:00-05:00", "correction")
    write(site, SILENT, updates="updates:\n" + note)
    commit(site, "2026-11-14T10:00:00-05:00", "silent edit")
    return site


def built_text(folder: Path) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


def test_only_published_revisions_appear_with_their_diffs(edited: Path) -> None:
    result = run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search")
    assert result.returncode == 0, result.stderr
    assert "warning: updates: the text differs from the version published on 2026-11-12" in (
        result.stderr
    )
    out = edited / "_site"
    page = out / URL.format(slug="statement-on-the-election-audit")
    changes = (page / "changes/index.html").read_text()
    release_page = (page / "index.html").read_text()
    assert 'href="/news/2026/11/10/statement-on-the-election-audit/changes/"' in release_page
    # version 2: the correction, with its note and a word-level diff
    assert "Version 2, published" in changes
    assert "Corrected the day and the systems audited." in changes
    assert (
        '<del class="diff-del"><span class="usa-sr-only">[removed: </span>election'
        '<span class="usa-sr-only">]</span></del>' in changes
    )
    assert '<span class="usa-sr-only">[added: </span>voting' in changes
    assert "Monday." in changes and "Tuesday." in changes
    # version 3: the silent edit, shown, and said to have no note
    assert "Version 3, published" in changes
    assert "none was given for this change" in changes
    assert '<span class="usa-sr-only">[added: </span>full' in changes
    assert "Version 4" not in changes
    ledger = json.loads((out / "ledger.json").read_text())
    [entry] = ledger["releases"]
    versions = entry["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["published"] == "2026-11-10T09:00:00-05:00"  # its release date
    assert versions[1]["published"] == "2026-11-12T10:00:00-05:00"  # committed after it
    assert versions[1]["notes"] == ["Corrected the day and the systems audited."]
    assert versions[2]["notes"] == []
    assert "page_sha256" in versions[2] and "page_sha256" not in versions[0]
    # the texts replaced before publication appear nowhere in the output
    everything = built_text(out)
    assert EMBARGOED not in everything and "SECRET DRAFT" not in everything
    assert DRAFT not in everything and "WORK IN PROGRESS" not in everything


def test_an_earlier_published_version_is_verified_as_such(edited: Path) -> None:
    assert run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search").returncode == 0
    result = run_cli(
        "verify", "--ledger", str(edited / "_site/ledger.json"), str(write_text(edited, FIRST))
    )
    assert result.returncode == 0, result.stdout
    assert "version 1 of 3, published 2026-11-10; since changed" in result.stdout
    embargoed = run_cli(
        "verify", "--ledger", str(edited / "_site/ledger.json"), str(write_text(edited, EMBARGOED))
    )
    assert embargoed.returncode == 1
    assert "NOT FOUND" in embargoed.stdout


def write_text(site: Path, text: str) -> Path:
    file = site.parent / "quote.txt"
    file.write_text(text + "\n", encoding="utf-8")
    return file


def test_check_warns_of_a_silent_edit_and_strict_fails(edited: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run_cli(
        "check", "--site", str(edited), "--format", "github",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "::warning file=" in result.stdout and "title=updates::the text differs" in (
        result.stdout
    )
    assert (
        "`content/releases/2026/statement-on-the-election-audit.md`: the text differs"
        in summary.read_text()
    )
    strict = run_cli("check", "--site", str(edited), "--strict")
    assert strict.returncode == 1
    assert f"{PATH}: updates: the text differs from the version published on" in strict.stderr
    # an update entry that says why ends the warning; the edit stays public
    note = (
        "  - {date: 2026-11-12, note: Corrected the day and the systems audited.}\n"
        "  - {date: 2026-11-14, note: Said that the audit is published in full., type: minor}\n"
    )
    write(edited, SILENT, updates="updates:\n" + note)
    assert run_cli("check", "--site", str(edited), "--strict").returncode == 0
    commit(edited, "2026-11-15T10:00:00-05:00", "note")
    built = run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search")
    assert built.returncode == 0 and "warning" not in built.stderr
    changes = edited / "_site" / URL.format(slug="statement-on-the-election-audit") / "changes"
    text = (changes / "index.html").read_text()
    assert "Said that the audit is published in full. (minor correction)" in text


def test_an_uncommitted_edit_is_a_revision_live_from_now(edited: Path) -> None:
    note = "  - {date: 2026-11-12, note: Corrected the day and the systems audited.}\n"
    write(edited, SILENT + " Again.", updates="updates:\n" + note)
    assert run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search").returncode == 0
    ledger = json.loads((edited / "_site/ledger.json").read_text())
    assert ledger["releases"][0]["versions"][-1]["published"] == "2026-11-24T07:00:00-05:00"


def test_an_embargoed_release_has_no_history_anywhere(edited: Path) -> None:
    result = run_cli(
        "build", "--site", str(edited), "--now", "2026-11-09T00:00:00-05:00", "--no-search"
    )
    assert result.returncode == 0, result.stderr
    everything = built_text(edited / "_site")
    assert "Election Audit" not in everything
    assert json.loads((edited / "_site/ledger.json").read_text())["releases"] == []


def test_without_git_the_build_says_so_once_and_builds_the_rest(edited: Path) -> None:
    subprocess.run(["rm", "-rf", str(edited / ".git")], check=True)
    result = run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Change history is unavailable") == 1
    assert "not in a git repository" in result.stdout
    page = edited / "_site" / URL.format(slug="statement-on-the-election-audit")
    assert (page / "index.html").is_file()
    assert not (page / "changes").exists()
    [entry] = json.loads((edited / "_site/ledger.json").read_text())["releases"]
    assert len(entry["versions"]) == 1


def test_a_shallow_clone_is_said_to_have_no_history(edited: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{edited}", str(clone)], check=True
    )
    result = run_cli("build", "--site", str(clone), "--now", NOW_ISO, "--no-search")
    assert result.returncode == 0, result.stderr
    assert "shallow clone" in result.stdout


def test_a_commit_reaches_the_cached_build(edited: Path) -> None:
    """The same file bytes with a new history (an edit committed later than it was built) give
    new pages: the incremental build matches a clean one."""
    note = "  - {date: 2026-11-12, note: Corrected the day and the systems audited.}\n"
    write(edited, SILENT + " Again.", updates="updates:\n" + note)
    first = run_cli("build", "--site", str(edited), "--now", NOW_ISO, "--no-search")
    assert first.returncode == 0, first.stderr
    changes = edited / "_site" / URL.format(slug="statement-on-the-election-audit") / "changes"
    assert "November 24, 2026" in (changes / "index.html").read_text()
    commit(edited, "2026-11-20T10:00:00-05:00", "the edit, committed")
    second = run_cli(
        "build", "--site", str(edited), "--now", NOW_ISO, "--no-search", "--verify-cache"
    )
    assert second.returncode == 0, second.stderr
    assert "Verified: the incremental build is byte for byte a clean build." in second.stdout
    text = (changes / "index.html").read_text()
    assert "November 20, 2026" in text and "November 24, 2026" not in text
    ledger = json.loads((edited / "_site/ledger.json").read_text())
    assert ledger["releases"][0]["versions"][-1]["published"] == "2026-11-20T10:00:00-05:00"


SPANISH_PATH = "content/releases/2026/declaracion-sobre-la-auditoria.md"
SPANISH_URL = "news/2026/11/10/declaracion-sobre-la-auditoria/"
SPANISH = """\
---
title: Declaración sobre la auditoría electoral
lang: es
release_date: 2026-11-10T09:00:00-05:00
kind: statement
agencies: [DHS]
topics: [Election Security]
{updates}---
{body}
"""


def test_a_spanish_release_has_its_changes_page_in_spanish(make_site: MakeSite) -> None:
    """The changes page of a release in Spanish is in Spanish throughout: its language, title,
    description, labels, dates (CLDR's) and breadcrumbs, which lead to the Spanish section."""
    site = make_site(site_yaml=SITE_YAML + "languages: [en, es]\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=site, check=True)
    path = site / SPANISH_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        SPANISH.format(updates="", body="El Departamento publicará la auditoría el lunes."),
        encoding="utf-8",
    )
    commit(site, "2026-11-08T10:00:00-05:00", "el texto publicado el 10 de noviembre")
    note = "  - {date: 2026-11-12, note: Se corrigió el día., type: minor}\n"
    path.write_text(
        SPANISH.format(
            updates="updates:\n" + note, body="El Departamento publicará la auditoría el martes."
        ),
        encoding="utf-8",
    )
    commit(site, "2026-11-12T10:00:00-05:00", "corrección")
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO, "--no-search")
    assert result.returncode == 0, result.stderr
    raw = (site / "_site" / SPANISH_URL / "changes/index.html").read_text(encoding="utf-8")
    page = html.fromstring(raw)

    def texts(xpath: str) -> list[str]:
        return [" ".join(node.text_content().split()) for node in page.xpath(xpath)]

    assert page.get("lang") == "es"
    assert texts("//title") == [
        "Cambios en: Declaración sobre la auditoría electoral | Test Press Room"
    ]
    assert page.xpath("//meta[@name='description']/@content") == [
        (
            "Todos los cambios hechos a este comunicado después de su publicación el 10 de "
            "noviembre de 2026."
        )
    ]
    crumbs = page.xpath("//nav[@class='usa-breadcrumb']//a")
    assert [(a.get("href"), a.text_content()) for a in crumbs] == [
        ("/es/", "Inicio"),
        ("/es/news/", "Noticias"),
        ("/" + SPANISH_URL, "Declaración sobre la auditoría electoral"),
    ]
    assert texts("//main//h1") == ["Cambios en este comunicado"]
    assert texts("//p[@class='usa-intro']") == [
        (
            "Declaración sobre la auditoría electoral se publicó por primera vez el 10 de "
            "noviembre de 2026. Aquí se enumeran todos los cambios hechos a su texto desde "
            "entonces, del más antiguo al más reciente, con la nota que los explicó."
        )
    ]
    assert texts("//li[@class='revision']/h2") == [
        "Versión 2, publicada el 12 de noviembre de 2026"
    ]
    assert texts("//p[@class='revision-note']") == [
        "Nota de actualización: Se corrigió el día. (corrección menor)"
    ]
    assert texts("//div[contains(@class, 'diff')]/p") == [
        "El Departamento publicará la auditoría el [eliminado: lunes.] [añadido: martes.]"
    ]
    assert page.xpath("//main//a[starts-with(@href, '/es/verify/')]/text()") == [
        "Compruebe una cita con todas las versiones publicadas"
    ]
    main = " ".join(page.xpath("string(//main)").split())
    for english in ("Changes", "Version", "published", "Update note", "added", "removed", "Home"):
        assert english not in main, english


MEDIA_BODY = """\
{first}

The [list of the systems audited](systems.csv) is attached.

[The Secretary's remarks](https://www.youtube.com/watch?v=aqz-KE-bpKQ)
"""


def test_words_the_engine_adds_are_in_every_version_alike(make_site: MakeSite) -> None:
    """A document's "(CSV, 31 bytes)" and a video's "(video on YouTube)" are written by the
    engine into every version as readers saw it: the changes page shows only what the press
    office changed, and the ledger hashes an unchanged paragraph the same in each version."""
    site = make_site(
        {"content/releases/2026/statement-on-the-election-audit/systems.csv": "system\nA\nB\n"}
    )
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=site, check=True)
    write(site, MEDIA_BODY.format(first=FIRST))
    commit(site, "2026-11-08T10:00:00-05:00", "the text published on 10 November")
    note = "  - {date: 2026-11-12, note: Corrected the day and the systems audited.}\n"
    write(site, MEDIA_BODY.format(first=CORRECTED), updates="updates:\n" + note)
    commit(site, "2026-11-12T10:00:00-05:00", "correction")
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO, "--no-search")
    assert result.returncode == 0, result.stderr
    page = site / "_site" / URL.format(slug="statement-on-the-election-audit")
    changes = html.fromstring((page / "changes/index.html").read_bytes())
    added = [" ".join(ins.text_content().split()) for ins in changes.xpath("//main//ins")]
    removed = [" ".join(d.text_content().split()) for d in changes.xpath("//main//del")]
    added, removed = ([t for t in found if t.startswith("[")] for found in (added, removed))
    assert added == ["[added: voting]", "[added: Tuesday.]"], added
    assert removed == ["[removed: election]", "[removed: Monday.]"], removed
    ledger = json.loads((site / "_site/ledger.json").read_text())
    [entry] = ledger["releases"]
    first, second = (version["paragraphs"] for version in entry["versions"])
    assert first[0] == second[0]  # the title
    assert first[1] != second[1]  # the corrected sentence
    assert first[2:] == second[2:]  # the document's and the video's paragraphs
