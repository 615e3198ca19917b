"""/subscribe/ in plain words, e-mail sign-up from site.yaml, and the "Follow this topic" box
that every topic and agency page shows."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from advisory_site.commands.cli import main
from advisory_site.engine.build import BuildOptions
from tests.conftest import NOW, SITE_YAML, MakeSite, build, release

SIGNUP = "https://public.govdelivery.com/accounts/USTEST/subscriber/new"
EMAIL_YAML = """\
email_updates:
  govdelivery: USTEST
  topics: {cybersecurity: USTEST_58}
  agencies: {odni: "https://lists.example.gov/odni"}
"""
JARGON = ("RSS 2.0", "Atom 1.0", "JSON Feed 1.1", "OPML")


def pages(site: Path) -> dict[str, lxml.html.HtmlElement]:
    """Every HTML page of the site, parsed; other files (feeds) as None."""
    files = build(BuildOptions(site_dir=site, now=NOW)).files
    return {
        file.path: lxml.html.fromstring(file.data) if file.path.endswith(".html") else None
        for file in files
    }


def follow_box(page: lxml.html.HtmlElement) -> dict[str, str]:
    (box,) = page.xpath("//main//section[@aria-labelledby='follow-heading']")
    return {link.text_content(): link.get("href") for link in box.iter("a")}


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(
        {
            "content/releases/a.md": release("Hello"),
            "content/releases/b.md": release("Both", "2016-10-08").replace(
                "topics: [Cybersecurity]", "topics: [Cybersecurity, Election Security]"
            ),
        },
        site_yaml=SITE_YAML + EMAIL_YAML,
    )


def test_every_topic_and_agency_page_has_a_follow_box_with_feed_and_email(site: Path) -> None:
    built = pages(site)
    expected = {
        "topics/cybersecurity/index.html": (
            "Follow this topic",
            "Get Cybersecurity releases by email",
            f"{SIGNUP}?topic_id=USTEST_58",
        ),
        "topics/election-security/index.html": (
            "Follow this topic",
            "Get every release by email",  # no list of its own: the one for everything
            SIGNUP,
        ),
        "agencies/odni/index.html": (
            "Follow this agency",
            "Get Office of the Director of National Intelligence releases by email",
            "https://lists.example.gov/odni",
        ),
        "agencies/dhs/index.html": ("Follow this agency", "Get every release by email", SIGNUP),
    }
    listings = [
        path
        for path in built
        if path.startswith(("topics/", "agencies/")) and path.endswith("html")
    ]
    assert len(listings) == 6  # two index pages and four listings
    for path in listings:
        if path in ("topics/index.html", "agencies/index.html"):
            continue
        heading, email_text, email_href = expected[path]
        page = built[path]
        assert page.xpath("string(//*[@id='follow-heading'])") == heading
        links = follow_box(page)
        assert links[email_text] == email_href
        feed = path.removesuffix("index.html") + "rss.xml"
        name = page.xpath("string(//h1)")
        assert links[f"Follow {name} in a news reader"] == f"/{feed}"
        assert feed in built  # the feed is there
        assert links["All the ways to subscribe, and what a news reader is"] == "/subscribe/"


def test_subscribe_page_speaks_plainly_and_offers_email(site: Path) -> None:
    page = pages(site)["subscribe/index.html"]
    main_text = page.xpath("string(//main)")
    technical = main_text.index("Technical details")
    assert not [word for word in JARGON if word in main_text[:technical]]
    assert "A news reader" in main_text
    (button,) = page.xpath("//main//a[contains(@class, 'usa-button')]")
    assert (button.text_content(), button.get("href")) == ("Sign up for email updates", SIGNUP)
    links = {link.text_content(): link.get("href") for link in page.iter("a")}
    assert links["Get Cybersecurity by email"] == f"{SIGNUP}?topic_id=USTEST_58"
    assert links["Follow every release in a news reader"] == "/rss.xml"
    assert links["Follow Election Security in a news reader"] == "/topics/election-security/rss.xml"
    assert "/feeds.opml" in links.values()


def test_without_a_provider_there_is_no_email_link(make_site: MakeSite) -> None:
    built = pages(make_site({"content/releases/a.md": release("Hello")}))
    assert "email" not in built["subscribe/index.html"].xpath("string(//main//ul)")
    assert not built["subscribe/index.html"].xpath("//main//a[contains(@class, 'usa-button')]")
    links = follow_box(built["topics/cybersecurity/index.html"])
    assert not [text for text in links if "email" in text]
    assert links["Follow Cybersecurity in a news reader"] == "/topics/cybersecurity/rss.xml"


def test_a_form_address_is_the_sign_up_for_everything(make_site: MakeSite) -> None:
    yaml = SITE_YAML + 'email_updates:\n  form: "https://lists.example.gov/join"\n'
    built = pages(make_site({"content/releases/a.md": release("Hello")}, site_yaml=yaml))
    links = follow_box(built["agencies/dhs/index.html"])
    assert links["Get every release by email"] == "https://lists.example.gov/join"
    assert "lists.example.gov" in built["subscribe/index.html"].xpath("string(//main)")


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("  govdelivery: USTEST\n  form: https://a.example/\n", "email_updates.govdelivery:"),
        ("  topic: USTEST_1\n", "email_updates.govdelivery:"),
        ("  govdelivery: US TEST\n", "is not a GovDelivery account code"),
        ("  form: http://lists.example.gov/\n", "must be an https:// address"),
        ("  form: https://a.example/\n  topic: X_1\n", "a GovDelivery topic needs govdelivery"),
        ("  govdelivery: USTEST\n  topics: {cyber: USTEST_1}\n", "email_updates.topics.cyber:"),
        ("  form: https://a.example/\n  agencies: {dhs: DHS_1}\n", "not an https:// sign-up page"),
    ],
)
def test_email_settings_mistakes_are_reported_with_their_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], block: str, problem: str
) -> None:
    site = make_site(site_yaml=SITE_YAML + "email_updates:\n" + block)
    assert main(["check", "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("content/site.yaml:"), err
    assert problem in err, err
    assert "Traceback" not in err
