"""Whole builds of inline sites and of the shipped sample site."""

from __future__ import annotations

import dataclasses
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import lxml.html
import pytest
from PIL import Image

from advisory_site.commands.cli import main
from advisory_site.core.models import Agency, Release, Topic
from advisory_site.engine.build import BuildOptions, load_site
from advisory_site.publish import search
from advisory_site.site.contexts import RELATED_COUNT, RelatedReleases
from tests.conftest import NOW, NOW_ISO, REPO, MakeSite, build, comparable_tree, read_tree, release
from tests.test_lint import long_summary_release

SEED_URL = (
    "news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
)


def build_files(site: Path, **options: object) -> dict[str, bytes]:
    plan = build(BuildOptions(site_dir=site, now=options.pop("now", NOW), **options))  # type: ignore[arg-type]
    return {file.path: file.data for file in plan.files}


def text(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def test_sample_site_has_every_page_type() -> None:
    files = build_files(REPO)
    for path in (
        "index.html",
        "news/index.html",
        "news/2016/index.html",
        "topics/index.html",
        "topics/election-security/index.html",
        "agencies/index.html",
        "agencies/dhs/index.html",
        "about/index.html",
        "accessibility/index.html",
        "privacy/index.html",
        "vulnerability-disclosure/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        SEED_URL + "index.html",
    ):
        assert path in files, path


def test_seed_page_shows_everything_the_original_shows() -> None:
    page = text(build_files(REPO), SEED_URL + "index.html")
    seed_title = (
        "Joint Statement from the Department Of Homeland Security and Office of the Director "
        "of National Intelligence on Election Security"
    )
    assert f"<h1>{seed_title}</h1>" in page
    assert (
        'Release Date:</strong> <time datetime="2016-10-07T00:00:00-04:00">October 7, 2016' in page
    )
    assert "For Immediate Release" in page
    assert "DHS Press Office" in page
    assert "Contact:" in page and ">202-282-8010</a>" in page
    assert (
        'Last Published Date:</strong> <time datetime="2016-10-07T00:00:00-04:00">October 7, 2016'
        in page
    )
    # every sentence of the body, with its curly quotes and dashes
    assert "Such activity is not new to Moscow—the Russians have used similar tactics" in page
    assert "cyber “hygiene” scans of Internet-facing systems" in page
    assert "provide additional resources to state and local officials.</p>" in page
    # its end mark, centred after the body rather than a paragraph of it
    assert '<p class="release-end-mark">#</p>' in page
    assert "<p>#</p>" not in page


def test_release_is_filed_by_its_local_date(make_site: MakeSite) -> None:
    site = make_site({"content/releases/late.md": release("Late", "2016-11-07T23:30:00-05:00")})
    files = build_files(site)
    assert "news/2016/11/07/late/index.html" in files
    assert "November 7, 2016" in text(files, "news/2016/11/07/late/index.html")


def test_drafts_and_embargoed_releases_appear_nowhere(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/public-release.md": release("Public Release", "2026-11-01"),
            "content/releases/draft-release.md": release(
                "Draft Release", "2026-11-01", draft="true"
            ),
            "content/releases/embargoed-release.md": release(
                "Embargoed Release", "2026-11-24T08:00:00-05:00"
            ),
        }
    )
    files = build_files(site)
    everything = b"".join(files.values())
    assert b"Public Release" in everything
    assert b"Draft Release" not in everything and b"draft-release" not in everything
    assert b"Embargoed Release" not in everything and b"embargoed-release" not in everything
    # at the very moment the embargo lifts, the release is everywhere
    later = build_files(site, now=datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert b"Embargoed Release" in later["news/index.html"]
    assert b"embargoed-release" in later["sitemap.xml"]
    previews = build_files(site, drafts=True, future=True)
    assert "news/2026/11/01/draft-release/index.html" in previews
    assert "news/2026/11/24/embargoed-release/index.html" in previews


def test_listings_are_paginated_newest_first(make_site: MakeSite) -> None:
    site = make_site(
        {
            f"content/releases/r{day}.md": release(f"Release {day}", f"2016-10-{day:02d}")
            for day in range(1, 6)
        }
    )
    files = build_files(site)
    assert {"news/index.html", "news/page/2/index.html", "news/page/3/index.html"} <= set(files)
    first = text(files, "news/index.html")
    assert first.index("Release 5") < first.index("Release 4")
    assert "Release 3" not in first
    assert 'href="/news/page/2/" rel="next"' in first
    assert "Release 1" in text(files, "news/page/3/index.html")
    assert "topics/cybersecurity/page/3/index.html" in files
    assert "news/2016/page/2/index.html" in files


def test_update_log_and_last_published(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/updated.md": release(
                "Updated",
                updates="[{date: 2016-10-08, note: Corrected the contact number.}, "
                "{date: 2016-10-09, note: Fixed a typo., type: minor}]",
            )
        }
    )
    page = text(build_files(site), "news/2016/10/07/updated/index.html")
    assert "October 8, 2016</time>: Corrected the contact number." in page
    assert 'October 9, 2016</time>: Fixed a typo. <span class="update-minor">' in page
    assert 'Last Published Date:</strong> <time datetime="2016-10-09T00:00:00-04:00">' in page


def test_aliases_become_redirect_pages(make_site: MakeSite) -> None:
    site = make_site(
        {"content/releases/moved.md": release("Moved", aliases="[/news/2016/10/07/old-name]")}
    )
    files = build_files(site)
    redirect = text(files, "news/2016/10/07/old-name/index.html")
    assert 'content="0; url=https://www.example.gov/news/2016/10/07/moved/"' in redirect
    assert "old-name" not in text(files, "sitemap.xml")


def test_alias_may_not_replace_a_generated_page(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Greedy", aliases="[/news/]")})
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    assert not (site / "_site").exists()


def test_base_url_path_prefixes_internal_links(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/prefixed.md": release("Prefixed").replace(
                "Body of Prefixed.",
                "See [about](/about/), [CISA](https://www.cisa.gov/) and ![a map](/static/x.png).",
            )
        }
    )
    (site / "static").mkdir()
    Image.new("RGB", (8, 6)).save(site / "static/x.png")
    files = build_files(site, base_url="https://agency.github.io/press/")
    home = text(files, "index.html")
    assert 'href="/press/news/2016/10/07/prefixed/"' in home
    assert 'href="/news/' not in home
    page = text(files, "news/2016/10/07/prefixed/index.html")
    assert '<a href="/press/about/"' in page
    assert '<a href="https://www.cisa.gov/"' in page
    # the map's copy without metadata, its WebP variant, and the card naming it
    assert 'src="/press/static/x-8.png"' in page
    assert 'srcset="/press/static/x-8.webp 8w"' in page
    assert '"og:image" content="https://agency.github.io/press/static/x-8.png"' in page
    assert 'src="/press/static/x-8.png"' in home  # the thumbnail of the listing


def test_sitemap_and_robots(make_site: MakeSite) -> None:
    site = make_site({"content/releases/mapped.md": release("Mapped")})
    files = build_files(site)
    assert (
        "<url><loc>https://www.example.gov/news/2016/10/07/mapped/</loc>"
        "<lastmod>2016-10-07</lastmod></url>" in text(files, "sitemap.xml")
    )
    assert "404" not in text(files, "sitemap.xml")
    assert text(files, "robots.txt").endswith("Sitemap: https://www.example.gov/sitemap.xml\n")


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for output in (first, second):
        assert main(["build", "--site", str(REPO), "--output", str(output), "--now", NOW_ISO]) == 0
    assert comparable_tree(first) == comparable_tree(second)


def test_failed_build_leaves_previous_output_untouched(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Good")})
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    before = read_tree(site / "_site")
    (site / "content/releases/b.md").write_text("---\ntitle: Broken\n---\n", encoding="utf-8")
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    assert read_tree(site / "_site") == before
    # no staging folder left behind; .cache/ is the build cache of the first build
    assert sorted(p.name for p in site.iterdir()) == [
        ".cache",
        "_site",
        "content",
        "locales",
        "templates",
    ]


def test_template_typo_fails_the_build_with_its_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site()
    home = site / "templates" / "home.html"
    text_before = home.read_text()
    line = next(n for n, ln in enumerate(text_before.splitlines(), 1) if "block main" in ln)
    home.write_text(
        text_before.replace("{% block main %}", "{% block main %}{{ site.config.titel }}", 1),
        encoding="utf-8",
    )
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"templates/home.html:{line}:1: template: "
        "'advisory_site.core.models.SiteConfig object' has no attribute 'titel'"
    )
    assert not (site / "_site").exists()


def test_a_site_fragment_is_rendered_once_and_cannot_use_the_page(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(
        {"content/releases/a.md": release("One"), "content/releases/b.md": release("Two")}
    )
    footer = site / "templates" / "_footer.html"
    footer.write_text(footer.read_text() + "<p>{{ site.config.title }}</p>\n", encoding="utf-8")
    loaded: list[str] = []
    get_template = jinja2.Environment.get_template

    def counting(env: jinja2.Environment, name: str, *args: Any, **kwargs: Any) -> Any:
        loaded.append(name)
        return get_template(env, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "get_template", counting)
    files = {
        file.path: file.data.decode() for file in build(BuildOptions(site_dir=site, now=NOW)).files
    }
    pages = [page for page in files.values() if "usa-identifier" in page]
    assert len(pages) > 5
    assert all("<p>Test Press Room</p>\n</body>" in page for page in pages)
    assert loaded.count("_footer.html") == 1
    assert loaded.count("base.html") > 5  # what the count above is measured against
    # the header, once for each section and each page a section's navigation marks
    urls = [
        f"/{path.removesuffix('index.html')}" for path, page in files.items() if "<header" in page
    ]
    headers = {
        (url.split("/")[1], url if url in ("/", f"/{url.split('/')[1]}/") else "") for url in urls
    }
    assert 5 < loaded.count("_header.html") == len(headers) < len(urls)

    footer.write_text(footer.read_text() + "{{ page.meta.title }}\n", encoding="utf-8")
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("templates/_footer.html:"), first
    assert "'page' is undefined" in first


def test_check_finds_problems_that_only_planning_reveals(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("Greedy", aliases="[/news/]", draft="true")})
    assert main(["check", "--site", str(site)]) == 1


def test_related_releases_share_the_most_then_are_nearest_in_time() -> None:
    """RelatedReleases compares a few groups and their members nearest in time: the same answer
    as ranking every other release by topics shared, agencies shared, distance, then newness."""
    topics = [Topic(id=f"t{number}", name=f"Topic {number}") for number in range(5)]
    agencies = [Agency(id=f"a{number}", name=f"Agency {number}") for number in range(4)]
    chance = random.Random(7)  # noqa: S311 - a fixed sample, not a secret
    days = sorted((chance.randrange(3000) for _ in range(150)), reverse=True)  # newest first
    releases = tuple(
        dataclasses.replace(
            long_summary_release(f"Release {number}"),
            release_date=datetime(2016, 1, 1, tzinfo=UTC) + timedelta(days=day),
            topics=tuple(chance.sample(topics, chance.choice((0, 1, 1, 2, 3)))),
            agencies=tuple(chance.sample(agencies, chance.choice((0, 1, 1, 2)))),
        )
        for number, day in enumerate(days)
    )

    def shared(one: Release, other: Release) -> tuple[int, int]:
        topics = len(set(one.topics) & set(other.topics))
        return topics, len(set(one.agencies) & set(other.agencies))

    related = RelatedReleases(releases)
    for index, one in enumerate(releases):
        others = [
            position
            for position, other in enumerate(releases)
            if other is not one and any(shared(one, other))
        ]
        topics_agencies_time_newness = sorted(
            others,
            key=lambda position: (
                tuple(-count for count in shared(one, releases[position])),
                abs(releases[position].release_date - one.release_date),
                position,
            ),
        )
        expected = tuple(releases[p] for p in topics_agencies_time_newness[:RELATED_COUNT])
        assert related(index) == expected, index
    assert all(len(related(index)) == RELATED_COUNT for index in range(10))


def test_the_seeds_related_releases_keep_the_joint_statement_after_a_new_release(
    tmp_path: Path,
) -> None:
    """The 2016 joint statement (the seed) and the 2020 one share both topics and two agencies:
    a new cybersecurity release must not push the 2020 one out of the seed's list."""
    site = tmp_path / "site"
    for folder in ("content", "templates", "locales", "static", "assets"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    (site / "node_modules").symlink_to(REPO / "node_modules")
    seed = (
        "news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
    )
    joint_2020 = (
        "/news/2020/11/07/"
        "joint-statement-on-the-continuing-work-of-election-officials-after-election-day/"
    )

    def related_on_the_seed() -> list[str]:
        files = {file.path: file.data for file in build(BuildOptions(site_dir=site, now=NOW)).files}
        page = lxml.html.fromstring(files[seed + "index.html"])
        return [link.get("href") for link in page.xpath("//aside[contains(@class, 'related')]//a")]

    before = related_on_the_seed()
    assert before[0] == joint_2020, before
    (site / "content/releases/2026/new-cybersecurity-grants.md").parent.mkdir(parents=True)
    (site / "content/releases/2026/new-cybersecurity-grants.md").write_text(
        "---\ntitle: Secretary Announces New Cybersecurity Grants\nrelease_date: 2026-11-20\n"
        "agencies: [CISA]\ntopics: [Cybersecurity]\n---\nThe grants open today.\n",
        encoding="utf-8",
    )
    after = related_on_the_seed()
    assert after[0] == joint_2020, after
    assert len(after) == RELATED_COUNT
    # then the CISA releases of 2018 and 2023 (Cybersecurity, and DHS among their agencies)
    assert after[1:] == [
        "/news/2018/12/04/cisa-expands-vulnerability-scanning-local-governments/",
        "/news/2023/09/26/cisa-launches-secure-our-world/",
    ]


def test_search_indexes_a_summary_only_when_the_body_lacks_it(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/own-summary.md": release(
                "Own Summary", summary="Words found nowhere else."
            ),
            "content/releases/quoted.md": release("Quoted", summary="Body of Quoted."),
            "content/releases/derived.md": release("Derived"),
        }
    )
    loaded = load_site(site)
    records = {r.slug: search.record(r, loaded) for r in loaded.releases}
    assert 'data-summary="Words found nowhere else."' in records["own-summary"]
    assert "data-summary" not in records["quoted"]
    assert "data-summary" not in records["derived"]
