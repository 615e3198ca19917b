"""`advisory-site diff`: what a merge publishes to subscribers, and which pages change."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from advisory_site.commands.sitediff import diff_sites, headline
from tests.conftest import NOW_ISO, REPO, run_cli

BASE_URL = "https://www.example.gov"


def item(slug: str, title: str, modified: str) -> dict[str, str]:
    url = f"{BASE_URL}/news/2026/11/{slug}/"
    return {
        "id": url,
        "url": url,
        "title": title,
        "date_published": "2026-11-01T09:00:00-05:00",
        "date_modified": modified,
    }


def json_feed(*items: dict[str, str]) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Test Press Room",
            "home_page_url": f"{BASE_URL}/",
            "feed_url": f"{BASE_URL}/feed.json",
            "items": list(items),
        },
        indent=2,
    )


def page(text: str) -> str:
    return f'<link rel="canonical" href="{BASE_URL}/"><p>{text}</p>'


def write(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


UNCHANGED = item("unchanged", "Unchanged", "2026-11-01T09:00:00-05:00")
MAJOR_BEFORE = item("major", "Major update", "2026-11-01T09:00:00-05:00")
MAJOR_AFTER = item("major", "Major update", "2026-11-20T10:00:00-05:00")
MINOR_BEFORE = item("minor", "Minor update", "2026-11-01T09:00:00-05:00")
MINOR_AFTER = item("minor", "Minor update (typo fixed)", "2026-11-01T09:00:00-05:00")
WITHDRAWN = item("withdrawn", "Withdrawn", "2026-11-01T09:00:00-05:00")
OLDEST = item("oldest", "Oldest, still on the site", "2026-10-01T09:00:00-05:00")
ADDED = item("added", "New | <b>bold</b> [release]", "2026-11-21T09:00:00-05:00")


def fixture_sites(tmp_path: Path) -> tuple[Path, Path]:
    pages = {
        "index.html": page("home"),
        "news/2026/11/unchanged/index.html": page("unchanged"),
        "news/2026/11/major/index.html": page("major"),
        "news/2026/11/minor/index.html": page("minor"),
        "news/2026/11/oldest/index.html": page("oldest"),
    }
    base = write(
        tmp_path / "base",
        {
            **pages,
            "news/2026/11/withdrawn/index.html": page("withdrawn"),
            "feed.json": json_feed(MAJOR_BEFORE, MINOR_BEFORE, UNCHANGED, WITHDRAWN, OLDEST),
            "topics/cyber/feed.json": json_feed(UNCHANGED),
            "topics/quiet/feed.json": json_feed(UNCHANGED),
        },
    )
    new = write(
        tmp_path / "new",
        {
            **pages,
            "index.html": page("home, with the new release"),
            "news/2026/11/major/index.html": page("major, updated"),
            "news/2026/11/minor/index.html": page("minor, typo fixed"),
            "news/2026/11/added/index.html": page("added"),
            # the feed holds 4 items: the oldest falls out of it but stays on the site
            "feed.json": json_feed(ADDED, MAJOR_AFTER, MINOR_AFTER, UNCHANGED),
            "topics/cyber/feed.json": json_feed(ADDED, UNCHANGED),
            "topics/quiet/feed.json": json_feed(UNCHANGED),
        },
    )
    return base, new


def test_new_updated_minor_and_removed_items_are_told_apart(tmp_path: Path) -> None:
    diff = diff_sites(*fixture_sites(tmp_path))
    feed = diff.site_feed
    assert feed is not None
    assert [i.title for i in feed.new] == [ADDED["title"]]
    assert [i.title for i in feed.updated] == ["Major update"]  # the minor one is not an update
    assert [i.title for i in feed.removed] == ["Withdrawn"]
    assert [i.title for i in feed.left_window] == ["Oldest, still on the site"]
    assert headline(feed) == "This merge will publish 1 new feed item, update 1 and remove 1."
    assert [(f.path, f.changed) for f in diff.feeds] == [
        ("feed.json", True),
        ("topics/cyber/feed.json", True),
        ("topics/quiet/feed.json", False),
    ]
    assert diff.pages_added == ("/news/2026/11/added/",)
    assert diff.pages_changed == ("/", "/news/2026/11/major/", "/news/2026/11/minor/")
    assert diff.pages_removed == ("/news/2026/11/withdrawn/",)


def test_the_summary_is_markdown_for_the_job_summary(tmp_path: Path) -> None:
    base, new = fixture_sites(tmp_path)
    result = run_cli("diff", str(base), str(new))
    assert result.returncode == 0, result.stderr
    added = ADDED["url"]
    assert result.stdout == (
        "## What this merge will publish\n"
        "\n"
        "**This merge will publish 1 new feed item, update 1 and remove 1.**\n"
        "\n"
        "| Feed item | Change | Modified |\n"
        "|---|---|---|\n"
        f"| [New \\| &lt;b&gt;bold&lt;/b&gt; \\[release\\]]({added}) | new "
        "| 2026-11-21T09:00:00-05:00 |\n"
        f"| [Major update]({MAJOR_AFTER['url']}) | updated | 2026-11-20T10:00:00-05:00 |\n"
        f"| [Withdrawn]({WITHDRAWN['url']}) | removed | 2026-11-01T09:00:00-05:00 |\n"
        f"| [Oldest, still on the site]({OLDEST['url']}) | leaves the feed (page stays) "
        "| 2026-10-01T09:00:00-05:00 |\n"
        "\n"
        "| Topic and agency feeds | New | Updated | Removed |\n"
        "|---|---:|---:|---:|\n"
        "| `/topics/cyber/feed.json` | 1 | 0 | 0 |\n"
        "\n"
        "**Pages:** 1 added, 3 changed, 1 removed.\n"
        "\n"
        "<details><summary>1 page added</summary>\n"
        "\n"
        "- `/news/2026/11/added/`\n"
        "\n"
        "</details>\n"
        "\n"
        "<details><summary>3 pages changed</summary>\n"
        "\n"
        "- `/`\n"
        "- `/news/2026/11/major/`\n"
        "- `/news/2026/11/minor/`\n"
        "\n"
        "</details>\n"
        "\n"
        "<details><summary>1 page removed</summary>\n"
        "\n"
        "- `/news/2026/11/withdrawn/`\n"
        "\n"
        "</details>\n"
    )


def test_identical_sites_publish_nothing(tmp_path: Path) -> None:
    _, new = fixture_sites(tmp_path)
    result = run_cli("diff", str(new), str(new))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "## What this merge will publish\n\n"
        "**This merge will publish 0 new feed items and update 0.**\n\n"
        "**Pages:** 0 added, 0 changed, 0 removed.\n"
    )


def test_a_broken_feed_is_an_error_and_a_missing_folder_wrong_usage(tmp_path: Path) -> None:
    base, new = fixture_sites(tmp_path)
    (new / "feed.json").write_text('{"items": [{"title": "no id"}]}', encoding="utf-8")
    result = run_cli("diff", str(base), str(new))
    assert result.returncode == 1
    assert result.stderr == f"error: {new / 'feed.json'}: item 1 of the JSON Feed has no 'id'\n"
    (new / "feed.json").write_text("<rss/>", encoding="utf-8")
    result = run_cli("diff", str(base), str(new))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {new / 'feed.json'}: not valid JSON: ")
    result = run_cli("diff", str(tmp_path / "nothing"), str(new))
    assert result.returncode == 2
    assert "is not a folder; build both sites first" in result.stderr


def update_release(file: Path, kind: str) -> None:
    """Give a sample release an update dated 2026-11-20 (major unless ``kind`` says minor)."""
    text = file.read_text(encoding="utf-8")
    extra = f", type: {kind}" if kind else ""
    entry = f"  - {{date: 2026-11-20, note: Added guidance.{extra}}}"
    if re.search(r"^updates:$", text, flags=re.MULTILINE):  # the first of its later updates
        updated = re.sub(r"^updates:$", f"updates:\n{entry}", text, count=1, flags=re.MULTILINE)
    else:
        updated = re.sub(
            r"^last_published: .*$", f"updates:\n{entry}", text, count=1, flags=re.MULTILINE
        )
    assert updated != text
    file.write_text(updated, encoding="utf-8")


def test_the_pull_request_workflow_sequence_on_real_builds(tmp_path: Path) -> None:
    """As the workflow does: build the head, build the base with its own build.py, compare."""
    base_repo = tmp_path / ".base"
    for part in ("src", "content", "templates", "locales", "assets", "static"):
        shutil.copytree(REPO / part, base_repo / part)
    for file in ("build.py", "package.json", "package-lock.json"):
        shutil.copy(REPO / file, base_repo / file)
    head = tmp_path / "head"
    shutil.copytree(base_repo, head)
    for checkout in (base_repo, head):  # as `npm ci` would have installed them
        (checkout / "node_modules").symlink_to(REPO / "node_modules")
    release = head / "content/releases/2026/department-announces-continuous-publishing.md"
    release.parent.mkdir(parents=True)
    release.write_text(
        "---\ntitle: Department Announces Continuous Publishing\nrelease_date: 2026-11-20\n"
        "agencies: [DHS]\ntopics: [Cybersecurity]\n---\nReleases now go live on merge.\n",
        encoding="utf-8",
    )
    update_release(head / "content/releases/2021/advisory-remote-access-software-patching.md", "")
    update_release(head / "content/releases/2019/remarks-port-of-entry-modernization.md", "minor")
    result = run_cli("build", "--site", str(head), "--now", NOW_ISO)
    assert result.returncode == 0, result.stderr
    assert run_cli("check-links", str(head / "_site")).returncode == 0
    base_build = subprocess.run(
        [
            sys.executable,
            str(base_repo / "build.py"),
            "--now",
            NOW_ISO,
            "--output",
            str(tmp_path / "_site_base"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert base_build.returncode == 0, base_build.stderr
    result = run_cli("diff", str(tmp_path / "_site_base"), str(head / "_site"))
    assert result.returncode == 0, result.stderr
    summary = result.stdout
    new_page = "/news/2026/11/20/department-announces-continuous-publishing/"
    # the eleventh published release opens a second page of the news listing (ten a page) and
    # the news of 2026, in English and in Spanish (which lists every release, in English where
    # it has no translation)
    assert (
        "<summary>5 pages added</summary>\n\n- `/es/news/2026/`\n- `/es/news/page/2/`\n"
        f"- `/news/2026/`\n- `{new_page}`\n- `/news/page/2/`\n\n"
    ) in summary
    changed = summary.split("pages changed</summary>", 1)[1].split("</details>", 1)[0]
    for listing in ("/", "/news/", "/topics/", "/topics/cybersecurity/", "/agencies/dhs/"):
        assert f"- `{listing}`\n" in changed
        assert f"- `/es{listing}`\n" in changed
    assert "- `/topics/election-security/`" not in changed
    assert "- `/es/topics/election-security/`" not in changed
    assert "0 removed." in summary
    assert "**This merge will publish 1 new feed item and update 1.**" in summary
    assert (
        f"| [Department Announces Continuous Publishing](https://www.example.gov{new_page}) | new "
        in (summary)
    )
    assert "remote-access-appliances/) | updated | 2026-11-20" in summary
    assert "port-of-entry" not in summary.split("**Pages:**")[0]  # a minor update notifies nobody
    assert "| `/topics/cybersecurity/feed.json` | 1 | 1 | 0 |" in summary
