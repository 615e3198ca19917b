"""The press officer's cycle: schedule, correct, withdraw, and the checks a pull request shows."""

from __future__ import annotations

import json
from pathlib import Path

from advisory_site.core.errors import ContentError
from advisory_site.core.report import annotation
from tests.conftest import MakeSite, release, run_cli

SCHEDULED = "content/releases/embargoed-grants.md"
SCHEDULED_PAGE = "news/2026/12/01/embargoed-grants/index.html"


def scheduled_site(make_site: MakeSite) -> Path:
    return make_site(
        {
            "content/releases/old.md": release("Old News", "2016-10-07"),
            SCHEDULED: release("Embargoed Grants", "2026-12-01T09:00:00-05:00"),
            # drafts never schedule a build, even when dated earlier
            "content/releases/draft.md": release(
                "Draft Grants", "2026-11-30T09:00:00-05:00", draft="true"
            ),
        }
    )


def test_a_release_becomes_public_exactly_at_its_time(make_site: MakeSite) -> None:
    site = scheduled_site(make_site)
    output = site / "_site"

    before = run_cli("build", "--site", str(site), "--now", "2026-12-01T08:59:59-05:00")
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[-1] == "Next scheduled release: 2026-12-01T09:00:00-05:00"
    assert json.loads((output / "build-info.json").read_text()) == {
        "next_release_at": "2026-12-01T14:00:00+00:00"
    }
    assert not (output / SCHEDULED_PAGE).exists()
    for listing in ("index.html", "news/index.html", "sitemap.xml"):
        assert "embargoed-grants" not in (output / listing).read_text(), listing

    at = run_cli("build", "--site", str(site), "--now", "2026-12-01T14:00:00Z")
    assert at.returncode == 0, at.stderr
    assert at.stdout.splitlines()[-1] == "Next scheduled release: none"
    assert json.loads((output / "build-info.json").read_text()) == {"next_release_at": None}
    assert "Embargoed Grants" in (output / SCHEDULED_PAGE).read_text()
    assert "/news/2026/12/01/embargoed-grants/" in (output / "news/index.html").read_text()
    assert "/news/2026/12/01/embargoed-grants/" in (output / "sitemap.xml").read_text()


def test_a_normal_build_never_carries_preview_marks(make_site: MakeSite) -> None:
    site = scheduled_site(make_site)
    result = run_cli(
        "build", "--site", str(site), "--now", "2026-11-01T00:00:00Z", "--drafts", "--future"
    )
    assert result.returncode == 0, result.stderr
    page = (site / "_site" / SCHEDULED_PAGE).read_text()
    assert "Embargoed Grants" in page
    for mark in ("not yet public", "not published", "__reload", "notice-preview"):
        assert mark not in page
    # the only script is the schema.org data, which browsers never execute
    assert page.count("<script") == page.count('<script type="application/ld+json">') == 1


WITHDRAWN = "content/releases/faulty-advisory.md"
WITHDRAWN_PAGE = "news/2016/10/08/faulty-advisory/index.html"


def withdrawn_site(make_site: MakeSite, **extra: str) -> Path:
    fields = {
        "status": "withdrawn",
        "withdrawn_reason": "The advisory named the wrong software version.",
        "withdrawn_date": "2016-10-09T12:00:00-04:00",
        "superseded_by": "/news/2016/10/10/corrected-advisory",
        **extra,
    }
    return make_site(
        {
            "content/releases/older-advisory.md": release("Older Advisory", "2016-10-07"),
            WITHDRAWN: release("Faulty Advisory", "2016-10-08", **fields),
            "content/releases/corrected-advisory.md": release("Corrected Advisory", "2016-10-10"),
        }
    )


def test_a_withdrawn_release_keeps_its_page_and_leaves_every_listing(
    make_site: MakeSite,
) -> None:
    site = withdrawn_site(make_site)
    result = run_cli("build", "--site", str(site), "--now", "2026-11-24T12:00:00Z")
    assert result.returncode == 0, result.stderr
    output = site / "_site"
    page = (output / WITHDRAWN_PAGE).read_text()
    assert (
        '<h2 class="usa-alert__heading">This release was withdrawn on '
        '<time datetime="2016-10-09T12:00:00-04:00">October 9, 2016</time></h2>\n'
        '      <p class="usa-alert__text">The advisory named the wrong software version.</p>'
    ) in page
    assert (
        "This release has been superseded by "
        '<a href="/news/2016/10/10/corrected-advisory/">Corrected Advisory</a>.'
    ) in page
    assert 'Last Published Date:</strong> <time datetime="2016-10-09T12:00:00-04:00">' in page
    for listing in (
        "index.html",
        "news/index.html",
        "news/2016/index.html",
        "topics/cybersecurity/index.html",
        "agencies/dhs/index.html",
        "sitemap.xml",
        # neighbours and related releases do not point at it either
        "news/2016/10/07/older-advisory/index.html",
        "news/2016/10/10/corrected-advisory/index.html",
    ):
        assert "faulty-advisory" not in (output / listing).read_text(), listing
    # its feed entry stays, retitled, and is dated by the withdrawal so readers are told again
    items = json.loads((output / "feed.json").read_text())["items"]
    withdrawn = next(item for item in items if "faulty-advisory" in item["url"])
    assert withdrawn["title"] == "Withdrawn: Faulty Advisory"
    assert withdrawn["summary"] == (
        "This release has been withdrawn. The advisory named the wrong software version."
    )
    assert withdrawn["date_modified"] == "2016-10-09T12:00:00-04:00"
    topics = (output / "topics/index.html").read_text()
    assert "2 releases" in topics
    assert "3 releases" not in topics
    older = (output / "news/2016/10/07/older-advisory/index.html").read_text()
    assert (
        '<span class="release-pager__label">Newer release</span> '
        '<a href="/news/2016/10/10/corrected-advisory/">'
    ) in older


def test_withdrawal_mistakes_name_file_line_and_field(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/a.md": release("No Reason", status="withdrawn"),
            "content/releases/alpha.md": release("Alpha"),
            "content/releases/b.md": release(
                "B",
                status="withdrawn",
                withdrawn_reason="Wrong.",
                superseded_by="/news/2016/10/07/alpah/",
            ),
            "content/releases/c.md": release("C", status="retracted"),
            "content/releases/d.md": release("D", superseded_by="/news/2016/10/07/d/"),
            "content/releases/e.md": release("E", withdrawn_reason="Why?"),
        }
    )
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        (
            "content/releases/a.md:7:9: withdrawn_reason: a withdrawn release must say why it "
            "was withdrawn (add a line 'withdrawn_reason: ...'; readers see it on the page)"
        ),
        (
            "content/releases/b.md:9:16: superseded_by: no release has the address "
            "/news/2016/10/07/alpah/ (did you mean /news/2016/10/07/alpha/?)"
        ),
        "content/releases/c.md:7:9: status: expected published or withdrawn, got 'retracted'",
        "content/releases/d.md:7:16: superseded_by: a release cannot supersede itself",
        (
            "content/releases/e.md:7:1: withdrawn_reason: is only allowed on a withdrawn release "
            "(add 'status: withdrawn' or remove this line)"
        ),
        "5 problems found; nothing was built or published.",
    ]


def test_check_prints_github_annotations(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/releases/a.md": "---\ntitle: A\nrelease_date: 10/07/2016\n---\n"})
    result = run_cli("check", "--site", "site", "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        (
            "::error file=site/content/releases/a.md,line=3,col=15,title=release_date::"
            "expected a date like 2016-10-07, got '10/07/2016' "
            "(write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
        )
    ]
    assert result.stderr == "1 problem found; nothing was built or published.\n"
    assert site.name == "site"


def test_annotation_escapes_like_the_actions_runner() -> None:
    problem = ContentError(
        path="content/releases/a, b.md",
        line=4,
        column=2,
        field="title: x",
        message="100% wrong\r\nsecond line: a, b",
    )
    assert annotation("error", problem, Path()) == (
        "::error file=content/releases/a%2C b.md,line=4,col=2,title=title%3A x::"
        "100%25 wrong%0D%0Asecond line: a, b"
    )
    whole_file = ContentError(path="content/site.yaml", message="missing")
    assert annotation("warning", whole_file, Path()) == (
        "::warning file=content/site.yaml,title=advisory-site::missing"
    )


LINTED = """\
---
title: URGENT UPDATE ON FLOODING
release_date: 2016-10-07
contact: {office: Press, phone: (202) 555-0100}
---
Call 202.555.0199 for help, or [click here](https://example.gov/help).

### Details

##### More

A map of the flooded areas follows.

Read the [full guidance](https://example.gov/guidance) or [Read more.](https://example.gov/).
"""


def test_content_lint_warns_and_strict_makes_it_fail(make_site: MakeSite) -> None:
    site = make_site({"content/releases/linted.md": LINTED})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    path = "content/releases/linted.md"
    assert result.stderr.splitlines() == [
        (
            f"{path}:2:8: warning: title: is written in capital letters (write it in title case; "
            "screen readers may spell out all-caps words)"
        ),
        (
            f"{path}:6:32: warning: body: the link text 'click here' does not say where the link "
            "goes (use words that describe the destination, such as the document's title)"
        ),
        (
            f"{path}:10:1: warning: body: this heading becomes an h4 after an h2, skipping a level "
            "(start it with ### (screen-reader users navigate by heading levels))"
        ),
        (
            f"{path}:14:59: warning: body: the link text 'Read more.' does not say where the link "
            "goes (use words that describe the destination, such as the document's title)"
        ),
    ]
    assert result.stdout.splitlines()[0].endswith("(4 warnings).")
    assert "Change history is unavailable" in result.stdout  # no .git: edits not checked

    strict = run_cli("check", "--site", str(site), "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[0] == (
        f"{path}:2:8: title: is written in capital letters (write it in title case; "
        "screen readers may spell out all-caps words)"
    )
    assert strict.stderr.splitlines()[-1] == "4 problems found; nothing was built or published."

    github = run_cli("check", "--site", str(site), "--format", "github")
    assert github.returncode == 0
    assert github.stdout.splitlines()[0] == (
        f"::warning file={site.as_posix()}/{path},line=2,col=8,title=title::is written in "
        "capital letters (write it in title case; screen readers may spell out all-caps words)"
    )

    build = run_cli("build", "--site", str(site), "--strict", "--now", "2026-11-24T12:00:00Z")
    assert build.returncode == 1
    assert not (site / "_site").exists()
    relaxed = run_cli("build", "--site", str(site), "--now", "2026-11-24T12:00:00Z")
    assert relaxed.returncode == 0
    assert relaxed.stderr.count(": warning: ") == 4


def test_only_a_written_summary_is_too_long_and_phone_format_is_the_sites(
    make_site: MakeSite,
) -> None:
    site_yaml_line = "phone_format: '^\\(\\d{3}\\) \\d{3}-\\d{4}$'\n"
    from tests.conftest import SITE_YAML  # noqa: PLC0415 - only this test changes the settings

    site = make_site(
        {
            # a first paragraph over 300 characters gives a trimmed summary, not a warning
            "content/releases/long.md": release(
                "Long", contact="{office: Press, phone: (202) 555-0100}"
            ).replace("Body of Long.", "Word " * 70),
            "content/releases/other.md": release(
                "Other", contact="{office: Press, phone: 202-555-0100}"
            ),
            "content/releases/short.md": release("Short", summary="x" * 301),
        },
        site_yaml=SITE_YAML.replace("page_size: 2\n", "page_size: 2\n" + site_yaml_line),
    )
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        (
            "content/releases/other.md:7:33: warning: contact.phone: '202-555-0100' is not written "
            "in the site's phone format (write it like 202-282-8010 (phone_format in "
            "content/site.yaml: ^\\(\\d{3}\\) \\d{3}-\\d{4}$))"
        ),
        (
            "content/releases/short.md:7:10: warning: summary: is 301 characters long; keep it to "
            "300 (listings, search results and feed readers cut long summaries)"
        ),
    ]


def test_new_writes_a_release_that_checks_clean_and_names_the_declared_choices(
    make_site: MakeSite,
) -> None:
    site = make_site()
    made = run_cli(
        "new", "Grants for Election Offices", "--site", str(site), "--topic", "elections security"
    )
    assert made.returncode == 2
    assert made.stderr == (
        "advisory-site: error: unknown topic 'elections security'; did you mean "
        "Election Security?\n"
    )
    made = run_cli("new", "Grants for Election Offices", "--site", str(site), "--kind", "memo")
    assert made.returncode == 2
    assert "declared kinds: press-release, statement" in made.stderr
    made = run_cli(
        "new", "Grants for Election Offices", "--site", str(site), "--topic", "Election Security"
    )
    assert made.returncode == 0, made.stderr
    checked = run_cli("check", "--site", str(site), "--strict")
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""
    assert checked.stdout.startswith("No problems found in 1 ")


def test_a_withdrawal_without_a_date_is_a_warning(make_site: MakeSite) -> None:
    site = make_site(
        {"content/releases/a.md": release("Alpha", status="withdrawn", withdrawn_reason="Wrong.")}
    )
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "content/releases/a.md:7:9: warning: status: a withdrawn release without withdrawn_date "
        "does not tell feed readers again (add a line 'withdrawn_date: ...' with the date of the "
        "withdrawal)\n"
    )
