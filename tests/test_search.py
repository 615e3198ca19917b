"""The search step of the build: what Pagefind indexes, and how the build reports on it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from lxml import html

from advisory_site.commands.cli import main
from advisory_site.publish.search import SearchError, index_site, record, searchable
from tests.conftest import (
    NOW_ISO,
    SITE_YAML,
    MakeSite,
    comparable_tree,
    read_tree,
    release,
    run_cli,
)
from tests.search_site import (
    DRAFT_WORD,
    EMBARGO_WORD,
    MACHINES_URL,
    ORGANISATION_WORD,
    PHISHING_URL,
    SUMMARY_WORD,
    WITHDRAWN_URL,
    WITHDRAWN_WORD,
    every_byte,
    indexed_pages,
    write_search_site,
)


def build_cli(
    site: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "--site", str(site), "--now", NOW_ISO, *args, env=env)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_search_site(tmp_path_factory.mktemp("search") / "site")
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    return site / "_site"


def test_only_published_releases_are_indexed(built: Path) -> None:
    assert sorted(indexed_pages(built)) == [MACHINES_URL, PHISHING_URL]
    # a withdrawn release keeps its page, under a notice, but leaves search
    withdrawn_page = (built / WITHDRAWN_URL.strip("/") / "index.html").read_text(encoding="utf-8")
    assert WITHDRAWN_WORD in withdrawn_page
    everything = every_byte(built)
    assert DRAFT_WORD.encode() not in everything
    assert EMBARGO_WORD.encode() not in everything


def test_title_body_and_summary_are_indexed_but_not_navigation(built: Path) -> None:
    pages = indexed_pages(built)
    machines, phishing = pages[MACHINES_URL], pages[PHISHING_URL]
    assert machines["content"].startswith("Ballot Machines Certified. Officials certified")
    assert "voting equipment" in machines["content"]
    # a summary that is the first paragraph is not indexed twice
    assert machines["content"].count("Officials certified") == 1
    assert SUMMARY_WORD in phishing["content"]
    for page in pages.values():
        for outside in (ORGANISATION_WORD, "Release Date", "Contact", "Last Published", "202-555"):
            assert outside.casefold() not in page["content"].casefold()


def test_filters_and_metadata_come_from_the_release(built: Path) -> None:
    phishing = indexed_pages(built)[PHISHING_URL]
    assert phishing["filters"] == {
        "topic": ["Cybersecurity"],
        "agency": [
            "Department of Homeland Security",
            "Office of the Director of National Intelligence",
        ],
        "kind": ["Statement"],
        "year": ["2019"],
    }
    assert phishing["meta"] == {"title": "Ballot Phishing Warning", "date": "May 1, 2019"}
    machines = indexed_pages(built)[MACHINES_URL]
    assert machines["filters"]["year"] == ["2016"]
    assert machines["filters"]["kind"] == ["Press Release"]


def test_year_is_the_local_year_of_the_release(make_site: MakeSite) -> None:
    # 03:00 UTC on New Year's Day is still the old year in New York
    site = make_site(
        {"content/releases/a.md": release("Late Night", date="2017-01-01T03:00:00+00:00")}
    )
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    (page,) = indexed_pages(site / "_site").values()
    assert page["filters"]["year"] == ["2016"]


def test_index_is_stable_across_builds_except_pagefinds_filter_tables(
    built: Path, tmp_path: Path
) -> None:
    again = tmp_path / "elsewhere"
    assert (
        main(["build", "--site", str(built.parent), "--output", str(again), "--now", NOW_ISO]) == 0
    )
    assert main(["build", "--site", str(built.parent), "--now", NOW_ISO]) == 0
    first, second = comparable_tree(again), comparable_tree(built)
    assert first == second
    assert any(path.startswith("pagefind/fragment/") for path in first)
    assert any(path.startswith("pagefind/index/") for path in first)
    # what is left out is only Pagefind's filter tables and the two files that name them
    left_out = sorted(set(read_tree(built)) - set(second))
    assert len(left_out) == 6, left_out  # four filters, pf_meta, pagefind-entry.json
    assert indexed_pages(again) == indexed_pages(built)


def test_build_reports_the_index(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    result = build_cli(site)
    assert result.returncode == 0, result.stderr
    assert f"Indexed 2 releases for search in {site / '_site' / 'pagefind'}." in result.stdout
    assert (site / "_site/pagefind/pagefind.js").is_file()


def test_no_search_skips_the_index_and_says_so(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    result = build_cli(site, "--no-search")
    assert result.returncode == 0, result.stderr
    assert "Search was skipped (--no-search)" in result.stdout
    assert (site / "_site/search/index.html").is_file()
    assert not (site / "_site/pagefind").exists()


def test_a_site_with_nothing_published_builds_without_an_index(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Later", date="2030-01-01")})
    result = build_cli(site)
    assert result.returncode == 0, result.stderr
    assert "Search has nothing to index: no release is published" in result.stdout
    assert not (site / "_site/pagefind").exists()


def test_missing_indexer_is_a_clear_error_and_keeps_the_previous_site(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert build_cli(site).returncode == 0
    before = read_tree(site / "_site")
    (site / "content/releases/2016/ballot-machines-certified.md").unlink()
    result = build_cli(site, env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        f"error: cannot run the search indexer {tmp_path / 'no-such-pagefind'}: "
        "No such file or directory; the previous site was left as it was"
    )
    assert read_tree(site / "_site") == before
    # no staging folder left behind (the half-made one is the spare for the next build);
    # .cache/ is the build cache of the first build
    assert sorted(p.name for p in site.iterdir()) == [
        "._site.spare",
        ".cache",
        "_site",
        "content",
        "static",
        "templates",
    ]


def test_failing_indexer_reports_its_own_error(tmp_path: Path) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: disk quota exceeded' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "site").mkdir()
    with pytest.raises(SearchError) as caught:
        index_site(tmp_path / "site", binary=fake)
    assert str(caught.value) == (
        "the search indexer pagefind failed with exit status 3: Error: disk quota exceeded; "
        "the previous site was left as it was"
    )


def test_indexer_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(SearchError, match="wrote no index"):
        index_site(tmp_path, binary=fake)


def test_search_page_without_a_search_gov_affiliate(built: Path) -> None:
    page = html.parse(built / "search/index.html").getroot()
    (form,) = page.xpath("//form[@id='search-form']")
    assert form.get("action") == "/search/"
    assert form.get("data-pagefind") == "/pagefind/pagefind.js"
    assert not form.xpath(".//input[@name='affiliate']")
    fallback = " ".join(page.xpath("//*[@data-search-fallback]")[0].text_content().split())
    assert "Search needs JavaScript" in fallback
    assert page.xpath("//*[@data-search-fallback]//a/@href") == ["/news/", "/topics/", "/agencies/"]
    # found by search engines; its result pages name it as their canonical address
    assert page.xpath("//meta[@name='robots']") == []
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://www.example.gov/search/"]
    # the page has one search form, its own
    assert len(page.xpath("//form[@role='search']")) == 1


def test_search_page_with_a_search_gov_affiliate(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site", affiliate="dhs")
    assert main(["build", "--site", str(site), "--now", NOW_ISO, "--no-search"]) == 0
    page = html.parse(site / "_site/search/index.html").getroot()
    (form,) = page.xpath("//form[@id='search-form']")
    assert form.get("action") == "https://search.usa.gov/search"
    assert form.xpath(".//input[@type='hidden'][@name='affiliate']/@value") == ["dhs"]
    assert form.xpath(".//input[@type='search']/@name") == ["query"]
    # the Content-Security-Policy lets forms go to Search.gov, and nowhere else
    (policy,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy.endswith("; form-action 'self' https://search.usa.gov")


def test_without_an_affiliate_forms_stay_on_the_site(built: Path) -> None:
    page = html.parse(built / "search/index.html").getroot()
    (policy,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy.endswith("; form-action 'self'")


def test_every_page_has_a_header_search_box_honouring_the_base_path(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    base = "https://example.github.io/press/"
    assert main(["build", "--site", str(site), "--now", NOW_ISO, "--base-url", base]) == 0
    output = site / "_site"
    for path in ("index.html", "news/index.html", MACHINES_URL.strip("/") + "/index.html"):
        page = html.parse(output / path).getroot()
        (form,) = page.xpath("//header//form[@role='search']")
        assert form.get("action") == "/press/search/"
        assert form.xpath(".//input[@type='search']/@name") == ["query"]
    search = html.parse(output / "search/index.html").getroot()
    assert search.xpath("//form[@id='search-form']/@data-pagefind") == [
        "/press/pagefind/pagefind.js"
    ]
    assert search.xpath("//form[@id='search-form']/@data-base-url") == ["/press/"]


@pytest.mark.parametrize(
    ("search_yaml", "message"),
    [
        (
            "search:\n  searchgov_affiliate: 'd h s'\n",
            (
                "content/site.yaml:22:24: search.searchgov_affiliate: 'd h s' is not a Search.gov "
                "site handle (use the handle shown in the Search.gov admin center, such as dhs)"
            ),
        ),
        ("search:\n  affiliate: dhs\n", "content/site.yaml:22:3: search.affiliate: unknown"),
    ],
)
def test_search_settings_are_validated(make_site: MakeSite, search_yaml: str, message: str) -> None:
    site = make_site(site_yaml=SITE_YAML + search_yaml)
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr


def test_search_page_filters_match_what_pagefind_indexed(built: Path) -> None:
    indexed: dict[str, dict[str, int]] = {}
    for page in indexed_pages(built).values():
        for name, values in page["filters"].items():
            for value in values:
                indexed.setdefault(name, {}).setdefault(value, 0)
                indexed[name][value] += 1
    search = html.parse(built / "search/index.html").getroot()
    offered: dict[str, dict[str, int]] = {}
    for fieldset in search.xpath("//fieldset[@data-filter]"):
        for option in fieldset.xpath(".//input[@type='checkbox']"):
            label = search.xpath(f"//label[@for='{option.get('id')}']")[0].text_content()
            count = int(label.rsplit("(", 1)[1].rstrip(")"))
            offered.setdefault(fieldset.get("data-filter"), {})[option.get("value")] = count
    assert offered == indexed
    assert list(offered["year"]) == ["2019", "2016"]  # newest first
    # the boxes are never sent to Search.gov by the plain form
    assert not search.xpath("//fieldset//input[@name]")


def test_a_rebuild_with_no_release_changed_keeps_the_index_byte_for_byte(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert build_cli(site).returncode == 0
    before = read_tree(site / "_site")  # the whole index, filter tables included
    # a change that no record sees (a withdrawn release) leaves the index as it was, without
    # running Pagefind
    withdrawn = site / "content/releases/2018/withdrawn-ballot-notice.md"
    withdrawn.write_text(
        withdrawn.read_text(encoding="utf-8") + "\nIt was the wrong one.\n", encoding="utf-8"
    )
    result = build_cli(site)
    assert result.returncode == 0, result.stderr
    assert "(no release changed: the last build's index, kept in .cache/)" in result.stdout
    after = read_tree(site / "_site")
    index = {path for path in before if path.startswith("pagefind/")}
    assert index and {path: after[path] for path in index} == {p: before[p] for p in index}
    assert set(after) - set(before) == set() and after != before


def test_a_changed_release_is_indexed_anew(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert build_cli(site).returncode == 0
    machines = site / "content/releases/2016/ballot-machines-certified.md"
    machines.write_text(
        machines.read_text(encoding="utf-8") + "\nA paragraph about tabulators.\n", encoding="utf-8"
    )
    result = build_cli(site)
    assert result.returncode == 0, result.stderr
    assert "kept in .cache" not in result.stdout
    assert "tabulators" in indexed_pages(site / "_site")[MACHINES_URL]["content"]


def test_a_damaged_kept_index_is_made_again_never_published(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert build_cli(site).returncode == 0
    clean = comparable_tree(site / "_site")
    (entry,) = (site / ".cache/search").iterdir()
    fragment = next((entry / "index/fragment").iterdir())
    fragment.unlink()  # not written through: the published file may share its bytes
    fragment.write_bytes(b"tampered")
    shutil.rmtree(site / "_site")
    result = build_cli(site)
    assert result.returncode == 0, result.stderr
    assert "kept in .cache" not in result.stdout
    assert comparable_tree(site / "_site") == clean
    assert b"tampered" not in every_byte(site / "_site")
    # and the kept index is whole again
    assert "kept in .cache" in build_cli(site).stdout


def test_a_record_holds_only_what_is_searched(tmp_path: Path) -> None:
    site = write_search_site(tmp_path / "site")
    assert main(["build", "--site", str(site), "--now", NOW_ISO, "--no-search"]) == 0
    from advisory_site.engine.build import load_site, published  # noqa: PLC0415

    loaded = published(load_site(site), datetime.fromisoformat(NOW_ISO))
    documents = {r.url: record(r, loaded) for r in searchable(loaded)}
    assert sorted(documents) == [MACHINES_URL, PHISHING_URL]
    phishing = html.fromstring(documents[PHISHING_URL])
    assert phishing.get("lang") == "en"
    assert phishing.xpath("//h1")[0].text == "Ballot Phishing Warning"
    # a tag quoted in the body stays text, as on the page; nothing runs or loads
    assert "a <img src=x onerror=alert(1)> tag" in phishing.text_content()
    assert not phishing.xpath("//img | //script | //link")
    # the facts feed filters and results, but are not searched
    assert phishing.xpath("//*[@data-pagefind-ignore]//*[@data-pagefind-filter='agency']")
