"""Feeds, parsed back by real parsers: RSS 2.0, Atom 1.0 (RFC 4287), JSON Feed 1.1 and OPML."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from advisory_site.commands.cli import main
from advisory_site.engine.build import BuildOptions
from tests.conftest import NOW, NOW_ISO, SITE_YAML, MakeSite, build, release, run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
TRICKY = "Q&A: <Cyber> \"Hygiene\" & You 'quoted' — Über café 東京"
TRICKY_YAML = "'Q&A: <Cyber> \"Hygiene\" & You ''quoted'' — Über café 東京'"
FEED_FOLDERS = (
    "",
    "topics/election-security/",
    "topics/cybersecurity/",
    "agencies/dhs/",
    "agencies/odni/",
)
FEED_FILES = tuple(
    f"{folder}{name}" for folder in FEED_FOLDERS for name in ("rss.xml", "atom.xml", "feed.json")
)
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def build_files(site: Path, *, now: datetime = NOW) -> dict[str, bytes]:
    plan = build(BuildOptions(site_dir=site, now=now))
    return {file.path: file.data for file in plan.files}


def feed_outputs(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path in FEED_FILES}


def parsed(data: bytes) -> Any:
    result = feedparser.parse(data)
    assert not result.bozo, result.get("bozo_exception")
    return result


def json_feed(files: dict[str, bytes], folder: str = "") -> Any:
    return json.loads(files[f"{folder}feed.json"])


def atom(files: dict[str, bytes], folder: str = "") -> Any:
    return etree.fromstring(files[f"{folder}atom.xml"])


@pytest.fixture
def sample_site(make_site: MakeSite) -> Path:
    """Three public releases (one tricky, one moved, one updated), a draft and an embargoed one."""
    return make_site(
        {
            "content/releases/tricky.md": release(TRICKY_YAML, "2016-10-07").replace(
                "Body of 'Q&A: <Cyber>", "Body of 'Q&A: &lt;Cyber>"
            )
            + "\nSee [the about page](/about/), [a neighbour](../other/) and a note.[^1]\n\n"
            "[^1]: The note.\n",
            "content/releases/moved.md": release(
                "Moved Release",
                "2016-10-08T09:30:00-04:00",
                slug="new-home",
                aliases="[/news/2016/10/08/first-home, /cyber]",
                contact="{office: Regional Office, phone: 312-555-0100, email: r@example.gov}",
            ),
            "content/releases/updated.md": release(
                "Updated Release",
                "2016-10-09",
                updates="[{date: 2016-10-10, note: Added a table.}]",
            ).replace("agencies: [DHS]", "agencies: [DHS, ODNI]"),
            "content/releases/draft.md": release("Secret Draft", "2016-10-06", draft="true"),
            "content/releases/embargo.md": release("Embargoed News", "2026-12-01"),
        }
    )


# -- every feed is there and parses ---------------------------------------------------------------


def test_every_feed_exists_for_site_topics_and_agencies(sample_site: Path) -> None:
    files = build_files(sample_site)
    assert set(FEED_FILES) <= set(files)
    # election-security has no releases: its feeds exist, are valid and empty
    empty = json_feed(files, "topics/election-security/")
    assert empty["items"] == []
    assert atom(files, "topics/election-security/").findtext(f"{ATOM}updated") == (
        "1970-01-01T00:00:00+00:00"
    )
    assert parsed(files["topics/election-security/rss.xml"]).entries == []


def test_feeds_parse_without_errors_in_feedparser_and_lxml(sample_site: Path) -> None:
    files = build_files(sample_site)
    for path, data in feed_outputs(files).items():
        if path.endswith(".json"):
            assert data.endswith(b"}\n")
            json.loads(data)
            continue
        etree.fromstring(data)  # well-formed XML, or this raises
        result = parsed(data)
        assert result.version == ("rss20" if path.endswith("rss.xml") else "atom10"), path


def test_atom_follows_rfc_4287(sample_site: Path) -> None:
    files = build_files(sample_site)
    for folder in FEED_FOLDERS:
        feed = atom(files, folder)
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated"):
            assert len(feed.findall(f"{ATOM}{required}")) == 1, (folder, required)
        assert RFC_3339.match(feed.findtext(f"{ATOM}updated"))
        self_links = feed.findall(f"{ATOM}link[@rel='self']")
        assert [link.get("href") for link in self_links] == [
            f"https://www.example.gov/{folder}atom.xml"
        ]
        feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
        entry_ids = []
        for entry in feed.findall(f"{ATOM}entry"):
            for required in ("id", "title", "updated"):
                assert len(entry.findall(f"{ATOM}{required}")) == 1, (folder, required)
            entry_ids.append(entry.findtext(f"{ATOM}id"))
            assert RFC_3339.match(entry.findtext(f"{ATOM}updated"))
            assert RFC_3339.match(entry.findtext(f"{ATOM}published"))
            assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
            assert entry.find(f"{ATOM}author/{ATOM}name").text  # the contact office
            content = entry.find(f"{ATOM}content")
            alternate = [
                link
                for link in entry.findall(f"{ATOM}link")
                if link.get("rel", "alternate") == "alternate"
            ]
            assert content is not None or alternate
            assert content is None or content.get("type") == "html"
            assert len(alternate) == 1  # at most one alternate per type and language
            assert entry.find(f"{ATOM}summary") is not None
        assert len(entry_ids) == len(set(entry_ids)), "entry ids must be unique"
        for element in feed.iter(f"{ATOM}link"):
            assert urlsplit(element.get("href")).scheme == "https", element.get("href")


def test_rss_follows_rss_2_rules(sample_site: Path) -> None:
    files = build_files(sample_site)
    for folder in FEED_FOLDERS:
        rss = etree.fromstring(files[f"{folder}rss.xml"])
        assert rss.get("version") == "2.0"
        channel = rss.find("channel")
        for required in ("title", "link", "description"):
            assert channel.findtext(required), (folder, required)
        assert channel.findtext("link") == f"https://www.example.gov/{folder}"
        self_link = channel.find(f"{ATOM}link[@rel='self']")
        assert self_link.get("href") == f"https://www.example.gov/{folder}rss.xml"
        parsedate_to_datetime(channel.findtext("lastBuildDate"))  # RFC 822, or this raises
        for item in channel.findall("item"):
            guid = item.find("guid")
            assert guid.get("isPermaLink") == "false"
            assert guid.text.startswith("tag:www.example.gov,")
            assert urlsplit(item.findtext("link")).scheme == "https"
            assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
            assert item.findtext("description")  # the summary
            assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")  # the body


DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


def test_rss_items_name_their_office_once(sample_site: Path) -> None:
    """One author per RSS item: <author> ("email (name)", as RSS 2.0 defines it) when the office
    has an e-mail address, otherwise <dc:creator>; never both (the W3C feed validator's
    DuplicateItemSemantics). Checked on every RSS feed, and read back by feedparser."""
    files = build_files(sample_site)
    feeds = [path for path in files if path.endswith("rss.xml")]
    assert len(feeds) == len(FEED_FOLDERS)
    seen = set()
    for path in feeds:
        channel = etree.fromstring(files[path]).find("channel")
        items = channel.findall("item")
        entries = parsed(files[path]).entries
        assert len(entries) == len(items)
        for item, entry in zip(items, entries, strict=True):
            authors, creators = item.findall("author"), item.findall(DC_CREATOR)
            assert len(authors) + len(creators) == 1, (path, item.findtext("title"))
            office = (entry.author_detail.name, entry.author_detail.get("email"))
            if authors:
                assert authors[0].text == f"{office[1]} ({office[0]})"
            seen.add(office)
    # releases without a contact block (their agency, DHS, has none and is not the test site's
    # organisation) name the agency that issued them
    assert seen == {("Department of Homeland Security", None), ("Regional Office", "r@example.gov")}


def test_json_feed_has_the_fields_of_version_1_1(sample_site: Path) -> None:
    files = build_files(sample_site)
    for folder in FEED_FOLDERS:
        feed = json_feed(files, folder)
        assert list(feed)[:2] == ["version", "title"]
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["feed_url"] == f"https://www.example.gov/{folder}feed.json"
        assert feed["home_page_url"] == f"https://www.example.gov/{folder}"
        assert isinstance(feed["items"], list)
        ids = [item["id"] for item in feed["items"]]
        assert len(ids) == len(set(ids))
        for item in feed["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert item.get("content_html") or item.get("content_text")
            assert urlsplit(item["url"]).scheme == "https"
            for key in ("date_published", "date_modified"):
                assert RFC_3339.match(item[key]), item[key]
            assert item["authors"][0]["name"]


def test_tricky_title_comes_back_verbatim_from_every_format(sample_site: Path) -> None:
    files = build_files(sample_site)
    for folder in FEED_FOLDERS[2:4]:  # cybersecurity and DHS both hold the tricky release
        titles = {
            "rss": [entry.title for entry in parsed(files[f"{folder}rss.xml"]).entries],
            "atom": [entry.title for entry in parsed(files[f"{folder}atom.xml"]).entries],
            "json": [item["title"] for item in json_feed(files, folder)["items"]],
        }
        for name, found in titles.items():
            assert TRICKY in found, (folder, name, found)
    # the raw JSON keeps non-ASCII as UTF-8 text, not \\u escapes
    assert "Über café 東京".encode() in files["feed.json"]


def test_item_carries_full_content_dates_categories_and_office(sample_site: Path) -> None:
    files = build_files(sample_site)
    items = {item["title"]: item for item in json_feed(files)["items"]}
    tricky = items[TRICKY]
    url = "https://www.example.gov/news/2016/10/07/tricky/"
    assert tricky["url"] == url
    assert tricky["summary"].startswith("Body of ")  # the first paragraph, as plain text
    # every address in the body is absolute, resolved as the release page would resolve it
    assert 'href="https://www.example.gov/about/"' in tricky["content_html"]
    assert 'href="https://www.example.gov/news/2016/10/07/other/"' in tricky["content_html"]
    assert f'href="{url}#fn:1"' in tricky["content_html"]
    assert tricky["date_published"] == "2016-10-07T00:00:00-04:00"
    assert tricky["tags"] == ["Cybersecurity", "Department of Homeland Security"]
    # no contact block (the test site's organisation is not DHS): the agency is the author
    assert tricky["authors"] == [{"name": "Department of Homeland Security"}]
    moved = items["Moved Release"]
    assert moved["authors"] == [{"name": "Regional Office", "url": "mailto:r@example.gov"}]
    assert moved["date_published"] == "2016-10-08T09:30:00-04:00"
    updated = items["Updated Release"]
    assert updated["date_published"] == "2016-10-09T00:00:00-04:00"
    assert updated["date_modified"] == "2016-10-10T00:00:00-04:00"
    assert updated["content_html"].endswith(
        '<h2>Updates</h2>\n<ul>\n<li><time datetime="2016-10-10T00:00:00-04:00">October 10, 2016'
        "</time>: Added a table.</li>\n</ul>"
    )
    assert "Updates" not in tricky["content_html"]
    # the same item in Atom and RSS
    entry = next(e for e in parsed(files["atom.xml"]).entries if e.title == "Updated Release")
    assert entry.id == updated["id"]
    assert entry.updated == "2016-10-10T00:00:00-04:00"
    assert entry.published == "2016-10-09T00:00:00-04:00"
    assert [tag.label for tag in entry.tags] == [
        "Cybersecurity",
        "Department of Homeland Security",
        "Office of the Director of National Intelligence",
    ]
    item = next(e for e in parsed(files["rss.xml"]).entries if e.title == "Updated Release")
    assert item.id == updated["id"]
    assert item.link == updated["url"]
    assert item.published == "Sun, 09 Oct 2016 00:00:00 -0400"
    # newest first everywhere, and the feed is as new as its newest item
    assert list(items) == ["Updated Release", "Moved Release", TRICKY]
    assert atom(files).findtext(f"{ATOM}updated") == "2016-10-10T00:00:00-04:00"


def test_drafts_and_embargoed_releases_are_in_no_feed(sample_site: Path) -> None:
    files = build_files(sample_site)
    for path, data in {**feed_outputs(files), "feeds.opml": files["feeds.opml"]}.items():
        for hidden in (b"Secret Draft", b"secret-draft", b"Embargoed News", b"embargoed-news"):
            assert hidden not in data, (path, hidden)


def test_feeds_do_not_depend_on_the_build_time(sample_site: Path) -> None:
    first = feed_outputs(build_files(sample_site))
    later = feed_outputs(build_files(sample_site, now=datetime(2026, 11, 30, 23, 0, tzinfo=UTC)))
    assert first == later


# -- stable ids -----------------------------------------------------------------------------------


def all_ids(files: dict[str, bytes]) -> dict[str, list[str]]:
    return {
        "rss": [entry.id for entry in parsed(files["rss.xml"]).entries],
        "atom": [entry.id for entry in parsed(files["atom.xml"]).entries],
        "json": [item["id"] for item in json_feed(files)["items"]],
    }


def test_corrected_retitled_and_moved_release_keeps_its_id(make_site: MakeSite) -> None:
    path = "content/releases/original-title.md"
    site = make_site({path: release("Original Title", "2016-10-07")})
    before = all_ids(build_files(site))
    assert before["rss"] == ["tag:www.example.gov,2016-10-07:/news/2016/10/07/original-title"]
    assert before["rss"] == before["atom"] == before["json"]
    # a new title leaves the address (it comes from the file name) and the id as they were
    (site / path).write_text(release("A Retitled Release", "2016-10-07"), encoding="utf-8")
    files = build_files(site)
    assert all_ids(files) == before
    assert json_feed(files)["items"][0]["url"].endswith("/2016/10/07/original-title/")
    moved = release(
        "A Corrected, Better Title",
        "2016-10-07",
        slug="better-title",
        aliases="[/tmp-vanity, /news/2016/10/07/original-title/]",
        updates="[{date: 2016-10-08, note: Corrected the title.}]",
    ).replace("Body of", "Corrected body of")
    (site / path).write_text(moved, encoding="utf-8")
    files = build_files(site)
    assert all_ids(files) == before
    assert json_feed(files)["items"][0]["url"] == (
        "https://www.example.gov/news/2016/10/07/better-title/"
    )


def test_ids_are_unique_and_carry_the_path_prefix(make_site: MakeSite) -> None:
    site = make_site(
        {
            f"content/releases/r{n}.md": release(f"Release {n}", "2016-10-07")
            + "\n[About us](/about/)\n"
            for n in range(3)
        }
    )
    plan = build(BuildOptions(site_dir=site, now=NOW, base_url="https://agency.github.io/press/"))
    files = {file.path: file.data for file in plan.files}
    content = json_feed(files)["items"][0]["content_html"]
    assert 'href="https://agency.github.io/press/about/"' in content
    ids = all_ids(files)["atom"]
    assert len(set(ids)) == 3
    assert "tag:agency.github.io,2016-10-07:/press/news/2016/10/07/r0" in ids
    feed = atom(files)
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        "https://agency.github.io/press/atom.xml"
    )


# -- updates --------------------------------------------------------------------------------------


def test_minor_update_leaves_feeds_unchanged_and_major_update_moves_updated(
    make_site: MakeSite,
) -> None:
    path = "content/releases/watched.md"
    site = make_site({path: release("Watched", "2016-10-07")})
    before = feed_outputs(build_files(site))
    minor = release("Watched", updates="[{date: 2016-10-09, note: Fixed a typo., type: minor}]")
    (site / path).write_text(minor, encoding="utf-8")
    after_minor = build_files(site)
    assert feed_outputs(after_minor) == before
    # the page still shows the minor correction
    page = after_minor["news/2016/10/07/watched/index.html"].decode()
    assert "Fixed a typo." in page and "minor correction" in page
    major = release(
        "Watched",
        updates="[{date: 2016-10-09, note: Fixed a typo., type: minor}, "
        "{date: 2016-10-08T15:00:00-04:00, note: Added the figures.}]",
    )
    (site / path).write_text(major, encoding="utf-8")
    after_major = build_files(site)
    item = json_feed(after_major)["items"][0]
    assert item["date_published"] == "2016-10-07T00:00:00-04:00"
    assert item["date_modified"] == "2016-10-08T15:00:00-04:00"
    assert "Added the figures." in item["content_html"]
    assert "Fixed a typo." not in item["content_html"]
    entry = atom(after_major).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}updated") == "2016-10-08T15:00:00-04:00"
    assert atom(after_major).findtext(f"{ATOM}updated") == "2016-10-08T15:00:00-04:00"
    assert all_ids(after_major) == all_ids(after_minor)


# -- size -----------------------------------------------------------------------------------------


def test_feeds_hold_the_newest_feed_size_items(make_site: MakeSite) -> None:
    site = make_site(
        {
            f"content/releases/r{day}.md": release(f"Release {day}", f"2016-10-{day:02d}")
            for day in range(1, 6)
        },
        site_yaml=SITE_YAML + "feed_size: 3\n",
    )
    files = build_files(site)
    for folder in ("", "topics/cybersecurity/", "agencies/dhs/"):
        titles = [item["title"] for item in json_feed(files, folder)["items"]]
        assert titles == ["Release 5", "Release 4", "Release 3"]
        assert len(parsed(files[f"{folder}rss.xml"]).entries) == 3
        assert len(atom(files, folder).findall(f"{ATOM}entry")) == 3


def test_default_feed_size_is_fifty(make_site: MakeSite) -> None:
    site = make_site(
        {
            f"content/releases/r{n}.md": release(
                f"Release {n}", f"2016-{n // 28 + 1:02d}-{n % 28 + 1:02d}"
            )
            for n in range(55)
        }
    )
    assert len(json_feed(build_files(site))["items"]) == 50


# -- discovery ------------------------------------------------------------------------------------


def alternate_links(page: bytes) -> list[tuple[str, str]]:
    root = etree.fromstring(page, etree.HTMLParser())
    return [
        (link.get("type"), link.get("href")) for link in root.iterfind(".//link[@rel='alternate']")
    ]


def test_feeds_are_linked_for_discovery(sample_site: Path) -> None:
    files = build_files(sample_site)
    site_feeds = [
        ("application/rss+xml", "https://www.example.gov/rss.xml"),
        ("application/atom+xml", "https://www.example.gov/atom.xml"),
        ("application/feed+json", "https://www.example.gov/feed.json"),
    ]
    pages = [path for path in files if path.endswith(".html") and path != "404.html"]
    for path in pages:
        if b'http-equiv="refresh"' in files[path]:
            continue  # a redirect from an old address
        assert alternate_links(files[path])[:3] == site_feeds, path
    topic = alternate_links(files["topics/cybersecurity/index.html"])
    assert topic[3:] == [
        ("application/rss+xml", "https://www.example.gov/topics/cybersecurity/rss.xml"),
        ("application/atom+xml", "https://www.example.gov/topics/cybersecurity/atom.xml"),
        ("application/feed+json", "https://www.example.gov/topics/cybersecurity/feed.json"),
    ]
    assert alternate_links(files["agencies/odni/index.html"])[3][1] == (
        "https://www.example.gov/agencies/odni/rss.xml"
    )
    assert alternate_links(files["news/index.html"]) == site_feeds


def test_subscribe_page_lists_every_feed(sample_site: Path) -> None:
    files = build_files(sample_site)
    page = files["subscribe/index.html"].decode()
    root = etree.fromstring(files["subscribe/index.html"], etree.HTMLParser())
    hrefs = {a.get("href") for a in root.iterfind(".//main//a")}
    assert {f"/{path}" for path in FEED_FILES} <= hrefs
    assert "/feeds.opml" in hrefs
    assert "Election Security" in page and "Office of the Director of National Intelligence" in page
    assert 'href="/subscribe/">Subscribe</a>' in files["index.html"].decode()
    assert b"https://www.example.gov/subscribe/" in files["sitemap.xml"]


def test_opml_lists_every_feed_once(sample_site: Path) -> None:
    files = build_files(sample_site)
    opml = etree.fromstring(files["feeds.opml"])
    assert opml.get("version") == "2.0"
    assert opml.findtext("head/title")
    urls = [outline.get("xmlUrl") for outline in opml.iter("outline") if outline.get("xmlUrl")]
    assert urls == [f"https://www.example.gov/{folder}atom.xml" for folder in FEED_FOLDERS]
    for outline in opml.iter("outline"):
        assert outline.get("text")
        if outline.get("xmlUrl"):
            assert outline.get("type") == "rss"


# -- WebSub ---------------------------------------------------------------------------------------


def test_websub_hub_is_announced_by_every_feed(make_site: MakeSite) -> None:
    hub = "https://hub.example.org/"
    site = make_site(
        {"content/releases/a.md": release("Pushed")},
        site_yaml=SITE_YAML + f"websub_hub: {hub}\n",
    )
    files = build_files(site)
    for folder in FEED_FOLDERS:
        for name in ("rss.xml", "atom.xml"):
            links = parsed(files[f"{folder}{name}"]).feed.links
            assert [link.href for link in links if link.rel == "hub"] == [hub], (folder, name)
        assert json_feed(files, folder)["hubs"] == [{"type": "WebSub", "url": hub}]
    assert "hubs" not in json_feed(build_files(make_site({"content/releases/a.md": release("P")})))


def test_websub_hub_must_be_https(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(site_yaml=SITE_YAML + "websub_hub: http://hub.example.org/\n")
    assert main(["check", "--site", str(site)]) == 1
    error = capsys.readouterr().err
    assert "content/site.yaml:" in error
    assert "websub_hub: expected an https:// address" in error


# -- robustness -----------------------------------------------------------------------------------


def test_characters_xml_cannot_carry_are_refused_not_fatal(make_site: MakeSite) -> None:
    # invisible in review and invalid in XML: the file is refused at the character's place
    site = make_site(
        {"content/releases/a.md": release("Bell") + "\nA bell\x07 and a form\x0cfeed.\n"}
    )
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "content/releases/a.md:10:7: the file contains the control character U+0007 "
        "(delete it; it is invisible in most editors)"
    )
