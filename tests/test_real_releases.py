"""Releases typed the way federal press offices type them (issue 19): end marks, lines typed one
under another, asterisk notes, sub-heads, dashes, summaries, release numbers, contacts, stable
addresses and raw HTML that would not be published. The bodies follow the structure of real
releases (FEMA's Norwich recovery-center closing, fema.gov/press-release/20211124; ODNI's
"Remarks as Prepared for Delivery" of January 22, 2019, dni.gov; DHS media advisories of 2016);
tests/test_corpus.py builds the real texts themselves.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from advisory_site.core.errors import BuildError
from advisory_site.core.urls import make_slug
from advisory_site.engine.build import BuildOptions
from advisory_site.markdown.render import Renderer, is_line_block, trimmed_summary
from advisory_site.source.config import phone_uri
from tests.conftest import NOW, NOW_ISO, SITE_YAML, MakeSite, build, release, run_cli

# a paragraph as an editor wraps it at 72 columns
WRAPPED = textwrap.fill(
    "HARTFORD, Conn. -- The FEMA Disaster Recovery Center at the Norwich Fire Station has "
    "closed permanently. But FEMA specialists are still just a phone call or mouse click away, "
    "and face-to-face help is still available at the community college.",
    72,
)


def build_files(site: Path) -> dict[str, str]:
    plan = build(BuildOptions(site_dir=site, now=NOW))
    return {f.path: f.data.decode() for f in plan.files if f.path.endswith((".html", ".json"))}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


# -- end marks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("###", "###"), ("# # #", "# # #"), ("#  #  #", "# # #"), ("#", "#"), ("\\#", "#"),
     ("-30-", "-30-"), ("# # # # #", "# # # # #")],
)  # fmt: skip
def test_the_last_line_end_mark_is_taken_out_of_the_body(
    renderer: Renderer, typed: str, shown: str
) -> None:
    rendered = renderer.render(f"WASHINGTON -- Text of the release.\n\n{typed}\n")
    assert rendered.end_mark == shown
    assert rendered.html == "<p>WASHINGTON — Text of the release.</p>"
    assert "#" not in rendered.first_paragraph
    # typed right under the last paragraph, too
    assert renderer.render(f"Text.\n{typed}").end_mark == shown


def test_an_end_mark_before_boilerplate_is_centred_where_it_stands(renderer: Renderer) -> None:
    html = renderer.render("Text.\n\n###\n\nFEMA's mission is helping people.\n").html
    assert html == (
        '<p>Text.</p>\n<p class="end-mark">###</p>\n<p>FEMA’s mission is helping people.</p>'
    )
    assert renderer.render("Text.\n\n# # #\n\nMore.").html.count('class="end-mark">#') == 1


def test_no_heading_is_empty_or_made_of_hashes(renderer: Renderer) -> None:
    for body in ("##\n\nText", "Text\n\n# #\n\nMore", "> ###\n\nText", "- a\n\n    ###\n"):
        html = renderer.render(body).html
        for heading in re.findall(r"<h\d[^>]*>(.*?)</h\d>", html):
            assert heading.strip("# ")


def test_the_page_shows_the_end_mark_centred_and_the_feeds_leave_it_out(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {"content/releases/closing.md": release("Closing").replace("Body of Closing.", WRAPPED)
         + "\n# # #\n"}
    )  # fmt: skip
    files = build_files(site)
    page = files["news/2016/10/07/closing/index.html"]
    assert '<p class="release-end-mark"># # #</p>' in page
    feed = files["feed.json"]
    assert "# # #" not in feed and '"summary": "HARTFORD, Conn. — The FEMA' in feed


# -- lines typed one under another ----------------------------------------------------------------


def test_a_schedule_keeps_its_lines_and_wrapped_prose_flows(renderer: Renderer) -> None:
    schedule = (
        "Wednesday, March 16\n2:45 PM EDT\nSecretary Johnson will participate in a joint media "
        "availability\nNebraska Avenue Complex\nWashington, D.C.\nOPEN PRESS*"
    )
    html = renderer.render(schedule).html
    assert html.count("<br>") == 5
    assert "<br>" not in renderer.render(WRAPPED).html
    speech = (
        "Remarks as Prepared for Delivery\nby the Honorable Dan Coats\nDirector of National "
        "Intelligence\nTuesday, January 22, 2019"
    )
    assert renderer.render(speech).html.count("<br>") == 3


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (WRAPPED.split("\n"), False),
        (["500 C Street SW", "Washington, DC 20472"], True),
        # an 81-character line is no editor's wrap; a line in capitals is a label
        (["x" * 70 + " ten chars.", "Next sentence."], True),
        (["FOR FURTHER INFORMATION MEDIA SHOULD CONTACT: FEMA NEWS DESK AT (202) 646-3272", "OR"],
         True),
        # the next word would have fitted: typed on purpose
        (["WHO: " + "w" * 60, "WHAT: a", "WHEN: b"], True),
        # a long address does not make a wrapped paragraph a line block
        (["See [the guidance](https://www.fema.gov/" + "a" * 80 + ") for every detail of the "
          "grants and how to apply for", "them."], False),
    ],
)  # fmt: skip
def test_the_line_block_rule(lines: list[str], kept: bool) -> None:
    assert is_line_block(lines) is kept


def test_a_lone_asterisk_line_is_a_note_and_two_make_a_list(renderer: Renderer) -> None:
    note = renderer.render("OPEN PRESS*\n\n* Credentialed media must RSVP.\n").html
    assert note == "<p>OPEN PRESS*</p>\n<p>* Credentialed media must RSVP.</p>"
    assert "<ul>" in renderer.render("* One\n* Two\n").html
    assert "<ul>" in renderer.render("* One\n\n* Two\n").html


# -- sub-heads, dashes, summaries -----------------------------------------------------------------


def test_the_first_sub_head_becomes_an_h2(renderer: Renderer) -> None:
    html = renderer.render("Text.\n\n### Help is Still Available\n\nMore.\n\n#### Details\n").html
    assert '<h2 id="help-is-still-available">' in html and '<h3 id="details">' in html
    assert "<h2" in renderer.render("# Top\n\n## Next").html
    assert '<h2 id="next">' in renderer.render("## Top\n\n# Next").html  # never above h2


def test_two_hyphens_are_an_em_dash(renderer: Renderer) -> None:
    assert (
        renderer.render("WASHINGTON -- The Secretary").html == "<p>WASHINGTON — The Secretary</p>"
    )


def test_a_derived_summary_is_cut_at_a_sentence() -> None:
    first = "WASHINGTON – The U.S. Department of Homeland Security today announced grants. "
    text = first + "Gov. Smith said more. " * 20
    summary = trimmed_summary(text)
    assert len(summary) <= 300 and summary.endswith("said more.")
    assert trimmed_summary(first.strip()) == first.strip()
    assert trimmed_summary("word " * 100).endswith("word…")
    assert trimmed_summary(first + "X" * 400) == first.strip()


def test_a_long_first_paragraph_is_no_warning_but_a_long_summary_is(make_site: MakeSite) -> None:
    long = release("Long").replace("Body of Long.", "A sentence of the release. " * 20)
    site = make_site({"content/releases/long.md": long,
                      "content/releases/own.md": release("Own", summary="y" * 301)})  # fmt: skip
    result = run_cli("check", "--strict", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        (
            "content/releases/own.md:7:10: summary: is 301 characters long; keep it to 300 "
            "(listings, search results and feed readers cut long summaries)"
        ),
        "1 problem found; nothing was built or published.",
    ]


# -- release numbers and contacts -----------------------------------------------------------------

AGENCY_SITE = SITE_YAML.replace(
    "organisation: Test Agency\n", "organisation: U.S. Department of Homeland Security\n"
).replace(
    "  - {id: odni, name: Office of the Director of National Intelligence, short_name: ODNI}\n",
    "  - {id: odni, name: Office of the Director of National Intelligence, short_name: ODNI}\n"
    "  - id: fema\n    name: Federal Emergency Management Agency\n"
    "    contact: {office: FEMA News Desk, phone: (202) 646-3272}\n",
)


def test_contacts_follow_the_agency(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/dhs.md": release("DHS"),
            "content/releases/odni.md": release("ODNI").replace("[DHS]", "[ODNI]"),
            "content/releases/fema.md": release("FEMA", release_number="HQ-19-026").replace(
                "[DHS]", "[ODNI, FEMA, DHS]"
            ),
            "content/releases/none.md": release("None", contact="none"),
            "content/releases/own.md": release(
                "Own",
                contact="{office: ODNI Public Affairs, phone: 1-800-621-3362 ext. 5, "
                "email: dni@example.gov}",
            ),
        },
        site_yaml=AGENCY_SITE,
    )
    files = build_files(site)

    def header(name: str) -> str:
        page = files[f"news/2016/10/07/{name}/index.html"]
        return page[page.index('<p class="distribution">') : page.index("</div>", page.index(
            '<p class="distribution">'))]  # fmt: skip

    assert '<p class="office">Test Press Office</p>' in header("dhs")
    assert 'class="office"' not in header("odni") and 'class="contact"' not in header("odni")
    assert 'class="office"' not in header("none")
    assert (
        '<p class="contact">Contact: <a href="tel:+1-202-646-3272">(202) 646-3272</a></p>'
        in header("fema")
    )
    assert (
        '<p class="contact">Contact: <a href="tel:+1-800-621-3362;ext=5">1-800-621-3362 ext. 5</a>'
        ' <span aria-hidden="true">·</span> <a href="mailto:dni@example.gov">dni@example.gov</a>'
        "</p>" in header("own")
    )
    fema = files["news/2016/10/07/fema/index.html"]
    number = "<strong>Release Number:</strong> HQ-19-026</p>"
    assert f'<p class="release-number">{number}' in fema


@pytest.mark.parametrize(
    ("phone", "uri"),
    [
        ("202-282-8010", "tel:+1-202-282-8010"),
        ("(202) 225-9978", "tel:+1-202-225-9978"),
        ("202.282.8010", "tel:+1-202-282-8010"),
        ("1-800-621-3362", "tel:+1-800-621-3362"),
        ("+1 202 282 8010", "tel:+1-202-282-8010"),
        ("202-282-8010 ext. 123", "tel:+1-202-282-8010;ext=123"),
        ("+44 20 7946 0958", "tel:+44-20-7946-0958"),
        ("555-0100", ""),
        ("12", ""),
        ("call us", ""),
    ],
)
def test_phone_numbers_as_people_write_them(phone: str, uri: str) -> None:
    assert phone_uri(phone) == uri


def test_an_impossible_phone_number_is_an_error_with_its_line(make_site: MakeSite) -> None:
    site = make_site(
        {"content/releases/a.md": release("A", contact="{office: Press, phone: 282-80}")},
        site_yaml=SITE_YAML.replace("phone: 202-555-0100", "phone: (202) 555-01999"),
    )
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(site_dir=site, now=NOW))
    lines = [str(e) for e in caught.value.errors]
    assert lines[0].startswith(
        "content/site.yaml:8:10: default_contact.phone: '(202) 555-01999' is not a phone number"
    )
    assert len(lines) == 1  # the site settings stop the build before the releases
    site_yaml = site / "content/site.yaml"
    site_yaml.write_text(SITE_YAML, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(site_dir=site, now=NOW))
    assert [str(e) for e in caught.value.errors] == [
        (
            "content/releases/a.md:7:33: contact.phone: '282-80' is not a phone number (write it "
            "as press releases do, such as 202-282-8010, (202) 282-8010, 1-800-621-3362 or +1 202 "
            "282 8010 ext. 5)"
        )
    ]


def test_contact_must_be_a_block_or_none(make_site: MakeSite) -> None:
    site = make_site({"content/releases/a.md": release("A", contact="nobody")})
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(site_dir=site, now=NOW))
    assert "contact: expected the contact's office, phone and email, or none" in str(
        caught.value.errors[0]
    )


# -- stable addresses -----------------------------------------------------------------------------


def test_apostrophes_are_dropped_the_same_way() -> None:
    assert make_slug("FEMA’s Plan") == make_slug("FEMA's Plan") == "femas-plan"
    assert make_slug("Johnson’s Statement") == "johnsons-statement"


def test_the_address_comes_from_the_file_name(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/2016/2016-10-07-grants-announced.md": release("Grants Announced"),
            "content/releases/2016/Odd Name.md": release("Odd", "2016-10-08"),
        }
    )
    files = build_files(site)
    assert "news/2016/10/07/grants-announced/index.html" in files
    assert "news/2016/10/08/odd-name/index.html" in files
    path = site / "content/releases/2016/2016-10-07-grants-announced.md"
    path.write_text(release("Grants Announced for Ports and Airports"), encoding="utf-8")
    assert "news/2016/10/07/grants-announced/index.html" in build_files(site)


def test_new_names_the_file_from_the_title_and_its_address_holds(make_site: MakeSite) -> None:
    site = make_site()
    made = run_cli(
        "new", "FEMA’s Grants for Ports", "--site", str(site), "--agency", "DHS", "--now", NOW_ISO
    )
    assert made.returncode == 0, made.stderr
    relative = "content/releases/2026/femas-grants-for-ports.md"
    assert made.stdout.splitlines() == [
        f"Created {relative}",
        "It will be published at https://www.example.gov/news/2026/11/24/femas-grants-for-ports/",
    ]
    text = (site / relative).read_text(encoding="utf-8")
    assert not any(line.startswith("contact:") for line in text.splitlines())
    (site / relative).write_text(
        text.replace("FEMA’s Grants for Ports", "FEMA’s New Grants").replace(
            "draft: true", "draft: false"
        ),
        encoding="utf-8",
    )
    # the new title is published at the address that new printed
    page = build_files(site)["news/2026/11/24/femas-grants-for-ports/index.html"]
    assert "<h1>FEMA’s New Grants</h1>" in page


# -- raw HTML that would not be published ---------------------------------------------------------


def test_raw_html_the_sanitiser_would_change_is_an_error_with_its_place(
    make_site: MakeSite,
) -> None:
    body = (
        "WASHINGTON -- Watch the remarks:\n\n"
        '<iframe src="https://www.youtube.com/embed/x"></iframe>\n\n'
        'Text with <span onclick="go()">a handler</span> and [a link](javascript:alert(1)).\n\n'
        "<!-- a note to the editor is fine -->\n\n"
        "```\n<script>shown as code, fine</script>\n```\n"
    )
    site = make_site({"content/releases/a.md": release("A").replace("Body of A.", body)})
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        (
            "content/releases/a.md:10:1: body: the <iframe> element would be removed from the "
            "published page (link to it instead, such as [Watch the video]"
            "(https://www.youtube.com/watch?v=...))"
        ),
        (
            "content/releases/a.md:12:11: body: the event handler onclick on <span> would be "
            "removed from the published page (a release cannot run scripts; remove it)"
        ),
        (
            "content/releases/a.md:12:62: body: the javascript: address in <a href> would be "
            "removed from the published page (link to an https:// address (put a file on a web "
            "site and link to it))"
        ),
        "3 problems found; nothing was built or published.",
    ]
