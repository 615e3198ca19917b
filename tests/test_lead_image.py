"""A release's lead image (front matter's ``image:``, else the body's first photo) as a card
(og:image, Twitter, JSON-LD), a thumbnail in listings and an enclosure in every feed; the site's
default card, seal or logo, icons and web app manifest, named in site.yaml."""

from __future__ import annotations

import io
import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree
from PIL import Image

from tests.conftest import SITE_YAML, MakeSite
from tests.test_media import ALT, FRONT, built, bundle_site, phone_photo, problems

URL = "/news/2016/10/07/port-visit/"
ABSOLUTE = "https://www.example.gov" + URL
LEAD_ALT = "Officers inspect a truck at the port of entry"
ATOM = "{http://www.w3.org/2005/Atom}"
FOLDER = "content/releases/2016/port-visit"
SEAL = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 100"><circle cx="60" cy="50" '
    'r="48" fill="#1a4480"/></svg>'
)
IDENTITY_YAML = (
    SITE_YAML
    + "logo: assets/seal.svg\nlogo_alt: Seal of the Test Agency\n"
    + "card_image: assets/card.png\ncard_image_alt: The Test Agency's seal on blue\n"
)


def with_front(extra: str) -> str:
    return FRONT.replace("---\n", f"---\n{extra}", 1) if extra else FRONT


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (26, 68, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def meta(page: lxml.html.HtmlElement, name: str) -> str:
    found = page.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")
    assert len(found) == 1, (name, found)
    return str(found[0])


def json_ld(page: lxml.html.HtmlElement) -> dict[str, object]:
    (script,) = page.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(script)
    assert isinstance(data, dict)
    return data


def write_release(site: Path, front: str, body: str = "The Secretary visited the port.\n") -> None:
    (site / FOLDER / "index.md").write_text(with_front(front) + body, encoding="utf-8")


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    site = bundle_site(make_site, "x\n", {"truck.jpg": phone_photo(2000, 1000)})
    write_release(site, f"image: truck.jpg\nimage_alt: {LEAD_ALT}\n")
    return site


def test_front_matter_image_is_the_card_the_json_ld_image_and_shown_first(site: Path) -> None:
    files = built(site)
    page = lxml.html.fromstring(files[f"{URL.lstrip('/')}index.html"])
    src = f"{ABSOLUTE}truck.jpg"
    assert meta(page, "og:image") == src
    assert meta(page, "og:image:type") == "image/jpeg"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1600", "800")
    assert meta(page, "og:image:alt") == LEAD_ALT
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:image") == src
    assert meta(page, "twitter:image:alt") == LEAD_ALT
    assert json_ld(page)["image"] == {
        "@type": "ImageObject",
        "url": src,
        "width": 1600,
        "height": 800,
        "encodingFormat": "image/jpeg",
        "description": LEAD_ALT,
    }
    # the body does not show it, so the page shows it first, with its variants
    (figure,) = page.xpath("//figure[@class='release-lead']")
    img = figure.find(".//img")
    assert (img.get("src"), img.get("alt")) == (f"{URL}truck.jpg", LEAD_ALT)
    assert (img.get("width"), img.get("height")) == ("1600", "800")
    assert figure.find(".//source").get("srcset").startswith(f"{URL}truck-480.webp 480w, ")
    # the file is published, without its metadata, though only the front matter names it
    with Image.open(io.BytesIO(files[f"{URL.lstrip('/')}truck.jpg"])) as published:
        assert not published.getexif()


def test_listings_show_the_lead_image_as_a_sized_lazy_thumbnail(site: Path) -> None:
    files = built(site)
    for listing in (
        "index.html",
        "news/index.html",
        "news/2016/index.html",
        "topics/cybersecurity/index.html",
        "agencies/dhs/index.html",
    ):
        page = lxml.html.fromstring(files[listing])
        (thumb,) = page.xpath("//li[@class='usa-collection__item']/picture")
        assert thumb.get("class") == "usa-collection__img", listing
        img = thumb.find(".//img")
        assert img.get("src") == f"{URL}truck.jpg"
        assert img.get("alt") == LEAD_ALT
        assert (img.get("width"), img.get("height")) == ("1600", "800")
        assert (img.get("loading"), img.get("decoding")) == ("lazy", "async")
        source = thumb.find(".//source")
        assert source.get("type") == "image/webp"
        assert source.get("srcset") == ", ".join(
            f"{URL}truck-{width}.webp {width}w" for width in (480, 800, 1200, 1600)
        )
        assert source.get("sizes") == "(min-width: 40em) 5rem, 4rem"


def test_every_feed_carries_the_lead_image_and_still_parses(site: Path) -> None:
    files = built(site)
    src = f"{ABSOLUTE}truck.jpg"
    length = str(len(files[f"{URL.lstrip('/')}truck.jpg"]))
    for folder in ("", "topics/cybersecurity/", "agencies/dhs/"):
        rss = feedparser.parse(files[f"{folder}rss.xml"])
        assert not rss.bozo, rss.get("bozo_exception")
        (entry,) = rss.entries
        assert entry.enclosures == [{"href": src, "length": length, "type": "image/jpeg"}]
        (enclosure,) = etree.fromstring(files[f"{folder}rss.xml"]).iter("enclosure")
        assert enclosure.attrib == {"url": src, "length": length, "type": "image/jpeg"}
        atom = feedparser.parse(files[f"{folder}atom.xml"])
        assert not atom.bozo, atom.get("bozo_exception")
        (entry,) = atom.entries
        assert entry.enclosures == [{"href": src, "length": length, "type": "image/jpeg"}]
        # one alternate link (the page) and the enclosure, each with its rel
        links = etree.fromstring(files[f"{folder}atom.xml"]).findall(f"{ATOM}entry/{ATOM}link")
        assert [(link.get("rel"), link.get("href")) for link in links] == [
            (None, ABSOLUTE),
            ("enclosure", src),
        ]
        (item,) = json.loads(files[f"{folder}feed.json"])["items"]
        assert item["image"] == src


def test_without_front_matter_the_first_photo_of_the_body_leads(make_site: MakeSite) -> None:
    body = (
        "Intro.\n\n![A map of the port](/static/map.svg)\n\n"
        f'![{ALT}](port.jpg "The Secretary meets officers. Photo: DHS/Jane Doe")\n\n'
        "![The second photo](second.png)\n"
    )
    site = bundle_site(
        make_site, body, {"port.jpg": phone_photo(640, 480), "second.png": png(800, 600)}
    )
    (site / "static").mkdir()
    (site / "static/map.svg").write_text(SEAL, encoding="utf-8")
    files = built(site)
    page = lxml.html.fromstring(files[f"{URL.lstrip('/')}index.html"])
    # the SVG map cannot be a card: the first photo is the lead image
    assert meta(page, "og:image") == f"{ABSOLUTE}port.jpg"
    assert meta(page, "og:image:alt") == ALT
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("640", "480")
    assert not page.xpath("//figure[@class='release-lead']")  # the body shows it already
    assert json.loads(files["feed.json"])["items"][0]["image"] == f"{ABSOLUTE}port.jpg"


def test_a_photo_of_static_may_lead_and_has_variants(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/releases/2016/a.md": with_front(
                f"image: /static/photos/truck.jpg\nimage_alt: {LEAD_ALT}\n"
            )
            + "Text.\n"
        }
    )
    (site / "static/photos").mkdir(parents=True)
    (site / "static/photos/truck.jpg").write_bytes(phone_photo(1000, 500))
    files = built(site)
    assert {
        "static/photos/truck.jpg",  # published as it is, for whoever links to it
        "static/photos/truck-1000.jpg",  # and without metadata, for pages
        "static/photos/truck-480.webp",
        "static/photos/truck-800.webp",
        "static/photos/truck-1000.webp",
    } <= set(files)
    page = lxml.html.fromstring(files["news/2016/10/07/a/index.html"])
    assert meta(page, "og:image") == "https://www.example.gov/static/photos/truck-1000.jpg"
    (img,) = page.xpath("//figure[@class='release-lead']//img")
    assert (img.get("width"), img.get("height")) == ("1000", "500")
    (source,) = page.xpath("//figure[@class='release-lead']//source")
    assert source.get("srcset") == (
        "/static/photos/truck-480.webp 480w, /static/photos/truck-800.webp 800w, "
        "/static/photos/truck-1000.webp 1000w"
    )


def test_the_default_card_stands_for_releases_and_pages_without_a_photo(
    make_site: MakeSite,
) -> None:
    site = make_site({"content/releases/2016/a.md": FRONT + "Text.\n"}, site_yaml=IDENTITY_YAML)
    (site / "assets").mkdir()
    (site / "assets/seal.svg").write_text(SEAL, encoding="utf-8")
    (site / "assets/card.png").write_bytes(png(1200, 630))
    files = built(site)
    (card_path,) = [path for path in files if path.startswith("static/img/card.")]
    card = f"https://www.example.gov/{card_path}"
    for path in ("index.html", "news/2016/10/07/a/index.html", "news/index.html"):
        page = lxml.html.fromstring(files[path])
        assert meta(page, "og:image") == card, path
        assert meta(page, "og:image:type") == "image/png"
        assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "630")
        assert meta(page, "og:image:alt") == "The Test Agency's seal on blue"
        assert meta(page, "twitter:card") == "summary_large_image"
        assert not page.xpath("//li[@class='usa-collection__item']/picture")  # no thumbnail
        # the seal in the header, with its alt text, drawn 48 pixels high
        (logo,) = page.xpath("//header//img[@class='site-logo__img']")
        assert logo.get("alt") == "Seal of the Test Agency"
        assert (logo.get("width"), logo.get("height")) == ("58", "48")
        assert logo.get("src").startswith("/static/img/logo.")
        assert logo.get("src").lstrip("/") in files
    release_page = lxml.html.fromstring(files["news/2016/10/07/a/index.html"])
    assert json_ld(release_page)["image"]["url"] == card  # type: ignore[index]
    assert "image" not in json.loads(files["feed.json"])["items"][0]  # feeds: own photos only


def test_icons_come_from_the_file_site_yaml_names_with_a_manifest(make_site: MakeSite) -> None:
    site = make_site(
        {"content/releases/2016/a.md": FRONT + "Text.\n"},
        site_yaml=SITE_YAML + "icon: assets/brand/mark.svg\n",
    )
    (site / "assets/brand").mkdir(parents=True)
    (site / "assets/brand/mark.svg").write_text(SEAL, encoding="utf-8")
    files = built(site)
    page = lxml.html.fromstring(files["index.html"])
    links = {
        (link.get("rel"), link.get("sizes")): link.get("href") for link in page.xpath("//link")
    }
    assert links[("icon", "any")].startswith("/static/img/favicon.")
    assert files[links[("icon", "any")].lstrip("/")] == SEAL.encode()
    assert links[("icon", "32x32")].endswith(".png")
    assert links[("apple-touch-icon", "180x180")].endswith(".png")
    assert links[("manifest", None)] == "/manifest.webmanifest"
    manifest = json.loads(files["manifest.webmanifest"])
    assert manifest["name"] == "Test Press Room"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert set(sizes) == {"any", "192x192", "512x512"}
    for size in (192, 512):
        data = files[sizes[f"{size}x{size}"]["src"].lstrip("/")]
        with Image.open(io.BytesIO(data)) as icon:
            assert (icon.format, icon.size) == ("PNG", (size, size))  # square, though it is not
            corner = icon.convert("RGBA").getpixel((size // 2, 2))
            assert isinstance(corner, tuple)
            assert corner[3] == 0  # the drawing centred, the rest clear


# -- every mistake, with its exact message and line -----------------------------------------------

ERRORS = [
    (
        "image: truck.jpg\n",
        (
            f"{FOLDER}/index.md:2:8: image: the lead image has no alt text (image_alt:) (add a "
            "line 'image_alt: ...' describing what the photo shows; readers who cannot see it hear "
            "this)"
        ),
    ),
    (
        f"image_alt: {LEAD_ALT}\n",
        (
            f"{FOLDER}/index.md:2:1: image_alt: is the alt text of a lead image, but there is no "
            "image: (add a line 'image: photo.jpg' naming the photo, or remove this line)"
        ),
    ),
    (
        f"image: truk.jpg\nimage_alt: {LEAD_ALT}\n",
        (
            f"{FOLDER}/index.md:2:8: image: the image truk.jpg does not exist (save it as "
            f"{FOLDER}/truk.jpg (the release's folder), or correct the name)"
        ),
    ),
    (
        f"image: /static/truck.jpg\nimage_alt: {LEAD_ALT}\n",
        (
            f"{FOLDER}/index.md:2:8: image: the image /static/truck.jpg does not exist (add the "
            "file static/truck.jpg, or correct the address)"
        ),
    ),
    (
        f"image: https://www.dhs.gov/truck.jpg\nimage_alt: {LEAD_ALT}\n",
        (
            f"{FOLDER}/index.md:2:8: image: 'https://www.dhs.gov/truck.jpg' is not a file of the "
            "release's folder or of static/ (save the photo in the release's folder and write its "
            "file name (image: port-visit.jpg), or write /static/... for a shared one)"
        ),
    ),
    (
        f"image: map.svg\nimage_alt: {LEAD_ALT}\n",
        (
            f"{FOLDER}/index.md:2:8: image: the lead image map.svg is not a JPEG, PNG, WebP or GIF "
            "file (cards on social networks need a photo: save it as a JPEG (or PNG))"
        ),
    ),
]


@pytest.mark.parametrize(("front", "expected"), ERRORS)
def test_lead_image_mistakes_name_the_file_line_and_what_to_do(
    make_site: MakeSite, front: str, expected: str
) -> None:
    site = bundle_site(make_site, "x\n", {"truck.jpg": phone_photo(640, 480)})
    write_release(site, front)
    assert problems(site) == [expected]


IDENTITY_ERRORS = [
    (
        "logo: assets/seal.svg\n",
        (
            "content/site.yaml:21:7: logo: the seal or logo of the header has no alt text "
            "(logo_alt:) (add a line 'logo_alt: ...' saying what it shows, such as 'Seal of the "
            "U.S. Department of Homeland Security')"
        ),
    ),
    (
        "card_image: assets/card.jpg\ncard_image_alt: Our seal\n",
        (
            "content/site.yaml:21:13: card_image: the file assets/card.jpg does not exist (save "
            "the default card image as assets/card.jpg, or correct the path)"
        ),
    ),
    (
        "icon: assets/seal.png\n",
        (
            "content/site.yaml:21:7: icon: the site's icon (favicon) must be an SVG drawing, got "
            "'assets/seal.png'"
        ),
    ),
    (
        "logo: ../outside.svg\nlogo_alt: Seal\n",
        (
            "content/site.yaml:21:7: logo: '../outside.svg' is not a path inside the site's folder "
            "(save the seal or logo of the header in assets/ and write its path, such as "
            "assets/seal.svg)"
        ),
    ),
    (
        "card_image_alt: Our seal\n",
        (
            "content/site.yaml:21:1: card_image_alt: is the alt text of the default card image, "
            "but there is no card_image: (add a line 'card_image: assets/...' naming the file, or "
            "remove this line)"
        ),
    ),
]


@pytest.mark.parametrize(("lines", "expected"), IDENTITY_ERRORS)
def test_identity_mistakes_in_site_yaml_name_the_line(
    make_site: MakeSite, lines: str, expected: str
) -> None:
    site = make_site({"content/releases/2016/a.md": FRONT + "x\n"}, site_yaml=SITE_YAML + lines)
    (site / "assets").mkdir()
    (site / "assets/seal.svg").write_text(SEAL, encoding="utf-8")
    assert SITE_YAML.count("\n") == 20  # the added lines start on line 21
    assert problems(site) == [expected]
