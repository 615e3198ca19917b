"""Files that belong to a release (photos, documents), every reference checked before anything is
written, and photos published the way image pipelines do it: sized, WebP variants with the
original format as fallback, metadata stripped, cached, deterministic."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pikepdf
import pytest
from PIL import Image

from advisory_site.core.errors import BuildError
from advisory_site.engine.build import BuildOptions
from advisory_site.engine.cache import CacheStore, NoStore
from advisory_site.engine.executors import Serial
from advisory_site.engine.pipeline import run
from advisory_site.engine.writers import Compare, Folder
from advisory_site.markdown.render import sanitise
from advisory_site.source import images as images_module
from tests.conftest import NOW, NOW_ISO, SITE_YAML, MakeSite, build, read_tree, run_cli

URL = "/news/2016/10/07/port-visit/"
FRONT = """\
---
title: Secretary Visits the Port of Entry
release_date: 2016-10-07
kind: statement
agencies: [DHS]
topics: [Cybersecurity]
---
"""
ALT = "The Secretary shakes hands with a CBP officer beside an inspection booth"


def phone_photo(width: int = 2000, height: int = 1500, *, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: camera make and model, a serial number, the GPS position of
    the place it was taken, an orientation tag, and a colour profile."""
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    assert pixels is not None
    for x in range(0, width, 7):  # something to compress: stripes and a gradient
        for y in range(0, height, 7):
            pixels[x, y] = (x * 255 // width, y * 255 // height, (x + y) % 256)
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15 Pro"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "17.1"  # Software
    exif[0xA431] = "F2LXK0Q0PLJM"  # BodySerialNumber (in the Exif IFD on a real phone)
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (38.0, 53.0, 51.64)  # a real place: where the Secretary was
    gps[3] = "W"
    gps[4] = (77.0, 2.0, 11.58)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes(), icc_profile=b"\0" * 128)
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # it does carry a position
    return data


def make_pdf(
    *,
    title: str = "Fact Sheet: Port of Entry Modernization",
    language: str = "en-US",
    tagged: bool = True,
    encrypted: bool = False,
    xmp_title: bool = False,
) -> bytes:
    """A one-page PDF made with pikepdf, with (or without) what Section 508 asks of it: a
    title (in the Info dictionary, or only in the XMP metadata), a language and tags."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if title and not xmp_title:
        pdf.docinfo["/Title"] = title
    if title and xmp_title:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
    if language:
        pdf.Root.Lang = pikepdf.String(language)
    if tagged:
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        pdf.Root.StructTreeRoot = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array())
        )
    buffer = io.BytesIO()
    encryption = pikepdf.Encryption(owner="owner", user="") if encrypted else False
    pdf.save(buffer, encryption=encryption, deterministic_id=not encrypted)
    return buffer.getvalue()


def bundle_site(make_site: MakeSite, body: str, files: dict[str, bytes], **kw: str) -> Path:
    """A site whose one release is a folder, content/releases/2016/port-visit/index.md."""
    site = make_site({"content/releases/2016/port-visit/index.md": FRONT + body}, **kw)
    for name, data in files.items():
        path = site / "content/releases/2016/port-visit" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return site


def built(site: Path) -> dict[str, bytes]:
    plan = build(BuildOptions(site_dir=site, now=NOW))
    return {file.path: file.data for file in plan.files}


def problems(site: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(site_dir=site, now=NOW))
    return [str(error) for error in caught.value.errors]


def test_a_folder_release_publishes_its_photo_and_document_under_its_address(
    make_site: MakeSite,
) -> None:
    body = (
        "The Secretary visited the port.\n\n"
        f'![{ALT}](port.jpg "The Secretary meets officers. Photo: DHS/Jane Doe")\n\n'
        "Read [the fact sheet](docs/fact-sheet.pdf).\n"
    )
    pdf = make_pdf()
    site = bundle_site(make_site, body, {"port.jpg": phone_photo(), "docs/fact-sheet.pdf": pdf})
    files = built(site)
    prefix = URL.lstrip("/")
    # the slug is the folder's name; the photo and its variants are under the release's address
    assert f"{prefix}index.html" in files
    assert files[f"{prefix}docs/fact-sheet.pdf"] == pdf
    assert {path for path in files if path.startswith(f"{prefix}port")} == {
        f"{prefix}port.jpg",
        *(f"{prefix}port-{width}.webp" for width in (480, 800, 1200, 1600)),
    }
    page = lxml.html.fromstring(files[f"{prefix}index.html"])
    (figure,) = page.xpath("//figure")
    img = figure.find(".//img")
    assert img.get("src") == f"{URL}port.jpg"
    assert img.get("alt") == ALT
    assert (img.get("width"), img.get("height")) == ("1600", "1200")
    source = figure.find(".//picture/source")
    assert source.get("type") == "image/webp"
    assert source.get("srcset") == ", ".join(
        f"{URL}port-{width}.webp {width}w" for width in (480, 800, 1200, 1600)
    )
    assert source.get("sizes")
    caption = figure.find("figcaption")
    assert caption.text == "The Secretary meets officers. "
    assert caption.find("small").text == "Photo: DHS/Jane Doe"
    (link,) = page.xpath("//a[starts-with(., 'the fact sheet')]")
    assert link.text_content() == f"the fact sheet (PDF, {len(pdf)} bytes)"
    assert link.get("href") == f"{URL}docs/fact-sheet.pdf"
    # in the feeds, read away from the site, every address of the picture is absolute
    (item,) = json.loads(files["feed.json"])["items"]
    feed_body = lxml.html.fromstring(item["content_html"])
    (feed_source,) = feed_body.xpath("//picture/source")
    assert feed_source.get("srcset").startswith(f"https://www.example.gov{URL}port-480.webp 480w, ")
    assert feed_body.xpath("//picture//img/@src") == [f"https://www.example.gov{URL}port.jpg"]
    # every variant decodes at its width, and the fallback is a JPEG
    for width in (480, 800, 1200, 1600):
        with Image.open(io.BytesIO(files[f"{prefix}port-{width}.webp"])) as variant:
            assert (variant.format, variant.width) == ("WEBP", width)
    with Image.open(io.BytesIO(files[f"{prefix}port.jpg"])) as fallback:
        assert fallback.format == "JPEG"


def test_a_release_file_takes_its_files_from_the_folder_of_the_same_name(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "content/releases/2016/port-visit.md": FRONT.replace(
                "---\n", "---\nslug: port-visit\n", 1
            )
            + f"![{ALT}](port.jpg)\n"
        }
    )
    (site / "content/releases/2016/port-visit").mkdir()
    (site / "content/releases/2016/port-visit/port.jpg").write_bytes(phone_photo(640, 480))
    files = built(site)
    assert f"{URL.lstrip('/')}port.jpg" in files
    assert f"{URL.lstrip('/')}port-480.webp" in files
    assert f"{URL.lstrip('/')}port-640.webp" in files
    page = files[f"{URL.lstrip('/')}index.html"].decode()
    assert f'<img src="{URL}port.jpg" alt="{ALT}" width="640" height="480"' in page
    assert "<figure>" not in page  # no title, no caption: a plain picture


def test_every_published_photo_has_no_exif_gps_or_profile(make_site: MakeSite) -> None:
    """A phone photo of a visit must not publish where it was taken (nor the phone's serial)."""
    site = bundle_site(
        make_site, f"![{ALT}](port.jpg)\n", {"port.jpg": phone_photo(1200, 900, orientation=6)}
    )
    files = built(site)
    photos = [path for path in files if re.search(r"port(-\d+\.webp|\.jpg)$", path)]
    assert len(photos) == 4
    for path in photos:
        with Image.open(io.BytesIO(files[path])) as image:
            assert not image.getexif(), path
            assert not image.getexif().get_ifd(0x8825), path
            assert "exif" not in image.info and "icc_profile" not in image.info, path
            assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info, path
            # the orientation tag (6: turned right) was applied to the pixels, not dropped
            assert image.height > image.width, path
        assert b"iPhone" not in files[path] and b"F2LXK0Q0PLJM" not in files[path]


def test_a_second_build_with_unchanged_photos_processes_none(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = bundle_site(make_site, f"![{ALT}](port.jpg)\n", {"port.jpg": phone_photo(900, 600)})
    first = built(site)
    assert list((site / ".cache/images").iterdir())

    def fail(data: bytes) -> None:
        raise AssertionError("a photo was processed again")

    monkeypatch.setattr(images_module, "process", fail)
    second = built(site)
    assert second == first
    # an entry altered on disk is made again, never published
    monkeypatch.undo()
    (entry,) = (site / ".cache/images").iterdir()
    victim = next(entry.glob("*.webp"))
    victim.write_bytes(b"RIFF tampered")
    assert built(site) == first


def test_photos_are_byte_identical_across_builds_and_with_the_incremental_build(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = bundle_site(make_site, f"![{ALT}](port.png)\n", {"port.png": _png(700, 500)})
    first = built(site)
    for entry in (site / ".cache/images").iterdir():
        for file in entry.iterdir():
            file.unlink()
        entry.rmdir()
    assert built(site) == first
    output = tmp_path / "out"
    run(BuildOptions(site_dir=site, now=NOW), Serial(), CacheStore(), Folder(output))
    compare = Compare(output)
    run(BuildOptions(site_dir=site, now=NOW), Serial(), NoStore(), compare)
    assert compare.problems == []
    tree = read_tree(output)
    for path, data in first.items():
        if "port" in path and not path.endswith(".html"):
            assert tree[path] == data


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 94, 162, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# -- every reference checked, with its place --------------------------------------------------


def test_a_missing_image_and_a_missing_document_are_errors_with_their_place(
    make_site: MakeSite,
) -> None:
    body = f"Intro.\n\nThe photo: ![{ALT}](prot.jpg)\n\nAnd [the fact sheet](fact-sheet.pdf).\n"
    site = bundle_site(make_site, body, {"port.jpg": phone_photo(640, 480)})
    folder = "content/releases/2016/port-visit"
    assert problems(site) == [
        (
            f"{folder}/index.md:10:{len('The photo: ![') + len(ALT) + 3}: body: the image prot.jpg "
            f"does not exist (save it as {folder}/prot.jpg (the release's folder), or correct the "
            "name)"
        ),
        (
            f"{folder}/index.md:12:22: body: the file fact-sheet.pdf does not exist (save it as "
            f"{folder}/fact-sheet.pdf (the release's folder), or correct the name)"
        ),
    ]


def test_a_missing_static_image_and_a_relative_one_on_a_page_are_errors(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "content/releases/2016/a.md": FRONT + f"![{ALT}](/static/seal.png)\n",
            "content/pages/about.md": f"---\ntitle: About\n---\nOur seal: ![{ALT}](seal.png)\n",
        }
    )
    assert problems(site) == [
        (
            f"content/pages/about.md:4:{len('Our seal: ![') + len(ALT) + 3}: body: the image "
            "seal.png is a relative address, but a page has no folder of files (put the file in "
            "static/ and refer to it as /static/seal.png)"
        ),
        (
            f"content/releases/2016/a.md:8:{len(ALT) + 5}: body: the image /static/seal.png "
            "does not exist (add the file static/seal.png, or correct the address)"
        ),
    ]
    (site / "static").mkdir()
    (site / "static/seal.png").write_bytes(_png(64, 64))
    (site / "content/pages/about.md").write_text(
        f"---\ntitle: About\n---\nOur seal: ![{ALT}](/static/seal.png)\n"
    )
    files = built(site)
    assert files["static/seal.png"] == _png(64, 64)  # shared files stay as they are
    # and a photo of static/ gets what a release's photo gets: variants and a clean fallback
    assert b'src="/static/seal-64.png" alt="' in files["about/index.html"]
    assert b'width="64" height="64"' in files["about/index.html"]
    assert b'srcset="/static/seal-64.webp 64w"' in files["about/index.html"]
    assert {"static/seal-64.png", "static/seal-64.webp"} <= set(files)


def test_a_reference_out_of_the_release_folder_is_an_error(make_site: MakeSite) -> None:
    site = bundle_site(make_site, "[settings](../../../site.yaml)\n", {})
    (message,) = problems(site)
    assert message == (
        "content/releases/2016/port-visit/index.md:8:12: body: the file ../../../site.yaml is "
        "outside the release's folder content/releases/2016/port-visit/ (put the file in the "
        "release's folder, or in static/ and refer to it as /static/)"
    )


def test_an_image_without_alt_text_is_an_error(make_site: MakeSite) -> None:
    site = bundle_site(make_site, "Intro.\n\n![](port.jpg)\n", {"port.jpg": phone_photo(640, 480)})
    (message,) = problems(site)
    assert message == (
        "content/releases/2016/port-visit/index.md:10:5: body: the image port.jpg has no alt "
        "text (describe what it shows between the brackets: ![The Secretary speaks at the port "
        "of entry](photo.jpg); readers who cannot see it hear this)"
    )


def test_a_file_nothing_refers_to_is_a_warning_and_not_published(make_site: MakeSite) -> None:
    site = bundle_site(
        make_site,
        f"![{ALT}](port.jpg)\n",
        {"port.jpg": phone_photo(640, 480), "DSC_0412.JPG": b"\xff\xd8 raw original"},
    )
    (site / "content/releases/2016/stray.pdf").write_bytes(b"%PDF")
    plan = build(BuildOptions(site_dir=site, now=NOW))
    assert [str(warning) for warning in plan.warnings] == [
        (
            "content/releases/2016/port-visit/DSC_0412.JPG: warning: nothing in "
            "content/releases/2016/port-visit/index.md refers to this file, so it is not published "
            "(refer to it in the release, or remove it from the folder)"
        ),
        (
            "content/releases/2016/stray.pdf: warning: this file is in no release's folder, so it "
            "is not published (move it into the folder named like its release (for grants.md, "
            "grants/), or into static/ if several releases share it)"
        ),
    ]
    assert not any("DSC_0412" in file.path or "stray" in file.path for file in plan.files)
    result = run_cli("check", "--strict", "--site", str(site))
    assert result.returncode == 1
    assert "port-visit/DSC_0412.JPG: nothing in" in result.stderr  # --strict: an error


def test_a_remote_image_from_a_host_the_csp_does_not_allow_is_an_error(
    make_site: MakeSite,
) -> None:
    yaml = SITE_YAML + "image_hosts: [https://www.dhs.gov]\n"
    body = (
        f"![{ALT}](https://www.dhs.gov/sites/default/files/port.jpg)\n\n"
        f"![{ALT}](https://images.example.com/port.jpg)\n"
    )
    site = make_site({"content/releases/2016/a.md": FRONT + body}, site_yaml=yaml)
    (message,) = problems(site)
    assert message == (
        f"content/releases/2016/a.md:10:{len(ALT) + 5}: body: the image "
        "https://images.example.com/port.jpg is on a host the site's Content-Security-Policy "
        "does not allow (img-src 'self' https://www.dhs.gov), so browsers would not show it "
        "(save the image in the release's folder and refer to it by its file name, or add its "
        "host to image_hosts in content/site.yaml)"
    )
    (site / "content/releases/2016/a.md").write_text(
        FRONT + body.split("\n\n", maxsplit=1)[0] + "\n"
    )
    page = built(site)["news/2016/10/07/a/index.html"].decode()
    assert "img-src 'self' https://www.dhs.gov;" in html.unescape(page)  # the policy the check used


def test_a_40_megabyte_camera_original_is_refused_with_what_to_do(make_site: MakeSite) -> None:
    site = bundle_site(
        make_site, f"![{ALT}](DSC_0001.JPG)\n", {"DSC_0001.JPG": phone_photo(64, 48)}
    )
    with (site / "content/releases/2016/port-visit/DSC_0001.JPG").open("r+b") as original:
        original.truncate(40 * 1024 * 1024)  # as large as a full-frame camera's original
    (message,) = problems(site)
    assert message == (
        f"content/releases/2016/port-visit/index.md:8:{len(ALT) + 5}: body: the image "
        "DSC_0001.JPG: the photo is 41,943,040 bytes; the limit is 20,000,000 (export it at most "
        "3,200 pixels wide as a JPEG (a few megabytes), not the camera original)"
    )


def test_a_file_that_is_not_an_image_is_an_error(make_site: MakeSite) -> None:
    site = bundle_site(make_site, f"![{ALT}](port.jpg)\n", {"port.jpg": b"<html>not a photo"})
    (message,) = problems(site)
    assert message.endswith(
        "body: the image port.jpg: is not an image that can be read (damaged, or not what its "
        "name says) (export it again as a JPEG or PNG)"
    )


def test_check_reports_every_problem_and_writes_nothing(make_site: MakeSite) -> None:
    site = bundle_site(make_site, f"![{ALT}](missing.jpg)\n", {})
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert "index.md:8:" in result.stderr and "missing.jpg does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "_site").exists()


def test_the_sanitiser_allows_exactly_the_picture_markup_emitted(make_site: MakeSite) -> None:
    site = bundle_site(
        make_site,
        f'![{ALT}](port.jpg "A caption. Credit: DHS")\n\nText ![{ALT}](small.png) inline.\n',
        {"port.jpg": phone_photo(900, 600), "small.png": _png(40, 40)},
    )
    page = built(site)[f"{URL.lstrip('/')}index.html"].decode()
    body = page[page.index("<figure>") : page.index("inline.</p>") + len("inline.</p>")]
    assert sanitise(body) == body
    # and nothing more: other attributes of these elements are removed
    hostile = (
        '<picture onclick="x()"><source src="a.webp" media="print" srcset="a.webp">'
        '<img src="a.jpg" alt="a" srcset="b.jpg 2x" fetchpriority="high" onerror="x()">'
        "</picture>"
    )
    assert (
        sanitise(hostile) == '<picture><source srcset="a.webp"><img src="a.jpg" alt="a"></picture>'
    )


# -- documents: type and size, Section 508 checks of PDFs, accessible formats ----------------

DOCS = "content/releases/2016/port-visit/index.md"
FORMATS = SITE_YAML + "accessible_formats: alternative.formats@example.gov\n"


def test_a_document_link_shows_its_type_and_size_and_offers_an_accessible_format(
    make_site: MakeSite,
) -> None:
    body = (
        "Read [the fact sheet](fact-sheet.pdf), [the data](data/ports.csv), "
        "[the form](form.docx) and [the budget](/static/budget.xlsx).\n"
    )
    pdf = make_pdf()
    site = bundle_site(
        make_site,
        body,
        {"fact-sheet.pdf": pdf, "data/ports.csv": b"port,lanes\n" * 300, "form.docx": b"x" * 5},
        site_yaml=FORMATS,
    )
    (site / "static").mkdir()
    (site / "static/budget.xlsx").write_bytes(b"\0" * (3 * 1024 * 1024 + 400_000))
    plan = build(BuildOptions(site_dir=site, now=NOW))
    assert plan.warnings == ()  # a tagged PDF with a title and a language
    files = {file.path: file.data for file in plan.files}
    page = lxml.html.fromstring(files[f"{URL.lstrip('/')}index.html"])
    links = page.xpath("//div[contains(@class, 'release-body')]//a[span[@class='file-label']]")
    # the type and size are part of each link's name, as a screen reader lists links; the size
    # as CLDR writes it in English (Babel)
    assert [" ".join(link.text_content().split()) for link in links] == [
        f"the fact sheet (PDF, {round(len(pdf) / 1024)} kB)"
        if len(pdf) >= 1024
        else f"the fact sheet (PDF, {len(pdf)} bytes)",
        "the data (CSV, 3 kB)",
        "the form (Word, 5 bytes)",
        "the budget (Excel, 3.4 MB)",
    ]
    assert [link.get("href") for link in links] == [
        f"{URL}fact-sheet.pdf",
        f"{URL}data/ports.csv",
        f"{URL}form.docx",
        "/static/budget.xlsx",
    ]
    requests = page.xpath("//span[@class='file-request']/a")
    assert [" ".join(a.text_content().split()) for a in requests] == [
        "request an accessible format of fact-sheet.pdf",
        "request an accessible format of ports.csv",
        "request an accessible format of form.docx",
        "request an accessible format of budget.xlsx",
    ]
    assert requests[0].get("href") == (
        "mailto:alternative.formats@example.gov?subject=Accessible%20format%20request%3A%20"
        "fact-sheet.pdf&body=Please%20send%20me%20an%20accessible%20format%20of%20fact-sheet.pdf"
        "%20%28https%3A//www.example.gov/news/2016/10/07/port-visit/fact-sheet.pdf%29.%0A%0A"
        "Format%20needed%3A%20"
    )
    assert "https%3A//www.example.gov/static/budget.xlsx" in requests[3].get("href")


SPANISH_DOCS = """\
---
title: El Secretario visita el puerto de entrada
lang: es
release_date: 2016-10-07
kind: statement
agencies: [DHS]
topics: [Cybersecurity]
---
Lea [la hoja informativa](fact-sheet.pdf), [los datos](data/ports.csv), [el formulario](form.docx)
y [el presupuesto](/static/budget.xlsx).

![Un oficial de la CBP](port.jpg "El Secretario con los oficiales. Foto: DHS/Jane Doe")
"""


def test_a_spanish_release_labels_its_documents_and_requests_in_spanish(
    make_site: MakeSite,
) -> None:
    """Every word written around a document (and a photo's credit) is in the release's language,
    sizes formatted by Babel for it; the English release of the same site is as before."""
    pdf = make_pdf()
    english = "Read [the data](data/ports.csv) and [the budget](/static/budget.xlsx).\n"
    site = bundle_site(
        make_site,
        english,
        {"fact-sheet.pdf": pdf, "data/ports.csv": b"port,lanes\n" * 300, "form.docx": b"x" * 5},
        site_yaml=FORMATS + "languages: [en, es]\n",
    )
    folder = site / "content/releases/2016/visita"
    folder.mkdir()
    (folder / "index.md").write_text(SPANISH_DOCS, encoding="utf-8")
    for name in ("fact-sheet.pdf", "data/ports.csv", "form.docx"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes((site / "content/releases/2016/port-visit" / name).read_bytes())
    (folder / "port.jpg").write_bytes(phone_photo())
    (site / "static").mkdir()
    (site / "static/budget.xlsx").write_bytes(b"\0" * (3 * 1024 * 1024 + 400_000))
    files = built(site)
    spanish = lxml.html.fromstring(files["news/2016/10/07/visita/index.html"])
    body = spanish.xpath("//div[contains(@class, 'release-body')]")[0]
    links = body.xpath(".//a[span[@class='file-label']]")
    kilobytes = round(len(pdf) / 1024)
    assert [" ".join(link.text_content().split()) for link in links] == [
        f"la hoja informativa (PDF, {kilobytes} kB)"
        if len(pdf) >= 1024
        else f"la hoja informativa (PDF, {len(pdf)} bytes)",
        "los datos (CSV, 3 kB)",
        "el formulario (Word, 5 bytes)",
        "el presupuesto (Excel, 3,4 MB)",  # CLDR's decimal comma for Spanish
    ]
    requests = body.xpath(".//span[@class='file-request']/a")
    assert [" ".join(a.text_content().split()) for a in requests] == [
        f"solicitar un formato accesible de {name}"
        for name in ("fact-sheet.pdf", "ports.csv", "form.docx", "budget.xlsx")
    ]
    # the e-mail a reader's mail program opens is in Spanish too
    query = parse_qs(urlsplit(requests[0].get("href")).query)
    assert query == {
        "subject": ["Solicitud de formato accesible: fact-sheet.pdf"],
        "body": [
            (
                "Por favor, envíenme un formato accesible de fact-sheet.pdf (https://www.example"
                ".gov/news/2016/10/07/visita/fact-sheet.pdf).\n\nFormato que necesito: "
            )
        ],
    }
    # the photo's credit is told from its caption by the Spanish word
    (caption,) = body.xpath(".//figure/figcaption")
    assert caption.find("small").text == "Foto: DHS/Jane Doe"
    assert caption.text.strip() == "El Secretario con los oficiales."
    text = " ".join(body.text_content().split())
    for english_word in ("request", "accessible format", " of ", "KB", "3.4"):
        assert english_word not in text, english_word
    # the English release of the same build speaks English, as it did
    page = lxml.html.fromstring(files[f"{URL.lstrip('/')}index.html"])
    body = page.xpath("//div[contains(@class, 'release-body')]")[0]
    assert " ".join(body.text_content().split()) == (
        "Read the data (CSV, 3 kB) (request an accessible format of ports.csv) and the budget "
        "(Excel, 3.4 MB) (request an accessible format of budget.xlsx)."
    )
    query = parse_qs(urlsplit(body.xpath(".//span[@class='file-request']/a/@href")[0]).query)
    assert query["subject"] == ["Accessible format request: ports.csv"]


def test_without_the_setting_documents_are_labelled_but_no_request_is_offered(
    make_site: MakeSite,
) -> None:
    site = bundle_site(make_site, "[The data](ports.csv)\n", {"ports.csv": b"a,b\n"})
    page = built(site)[f"{URL.lstrip('/')}index.html"].decode()
    assert '<span class="file-label"> (CSV, 4 bytes)</span></a>' in page
    assert "file-request" not in page.split("<main", 1)[1]


def test_the_accessible_formats_setting_may_be_a_form_and_is_checked(
    make_site: MakeSite,
) -> None:
    form = SITE_YAML + "accessible_formats: https://www.example.gov/accessible-formats/\n"
    site = bundle_site(
        make_site, "[The data](ports.csv)\n", {"ports.csv": b"a,b\n"}, site_yaml=form
    )
    page = lxml.html.fromstring(built(site)[f"{URL.lstrip('/')}index.html"])
    assert page.xpath("//span[@class='file-request']/a/@href") == [
        "https://www.example.gov/accessible-formats/"
    ]
    bad = SITE_YAML + "accessible_formats: call the press office\n"
    site = bundle_site(make_site, "[The data](ports.csv)\n", {"ports.csv": b"a,b\n"}, site_yaml=bad)
    result = run_cli("check", "--site", str(site))
    assert result.returncode == 1
    assert (
        "content/site.yaml:21:21: accessible_formats: 'call the press office' is neither an "
        "e-mail address nor an https:// address (for example alternative.formats@example.gov, "
        "or the https:// address of a request form)"
    ) in result.stderr


@pytest.mark.parametrize(
    ("pdf", "missing", "fixes"),
    [
        (
            make_pdf(tagged=False),
            "no tags",
            "export it with tags (Word: Save as PDF > Options > Document structure tags)",
        ),
        (make_pdf(title=""), "no title", "set its title (Word: File > Info > Title)"),
        (make_pdf(language=""), "no language", "set its language (Word: Review > Language)"),
        (
            make_pdf(title="", language="", tagged=False),
            "no title, no language and no tags",
            (
                "set its title (Word: File > Info > Title); set its language (Word: Review > "
                "Language); export it with tags (Word: Save as PDF > Options > Document structure "
                "tags)"
            ),
        ),
    ],
    ids=["untagged", "no-title", "no-language", "none"],
)
def test_a_pdf_without_a_title_language_or_tags_is_a_warning_with_its_line(
    make_site: MakeSite, pdf: bytes, missing: str, fixes: str
) -> None:
    body = "The Secretary visited the port.\n\nRead [the fact sheet](fact-sheet.pdf).\n"
    site = bundle_site(make_site, body, {"fact-sheet.pdf": pdf})
    plan = build(BuildOptions(site_dir=site, now=NOW))
    assert [str(warning) for warning in plan.warnings] == [
        (
            f"{DOCS}:10:23: warning: body: the PDF fact-sheet.pdf has {missing}, which screen "
            f"readers need (Section 508) ({fixes}; or use Acrobat's Accessibility tool)"
        )
    ]
    assert any(file.path.endswith("fact-sheet.pdf") for file in plan.files)  # still published
    result = run_cli("check", "--strict", "--site", str(site))
    assert result.returncode == 1  # --strict: an error
    assert f"{DOCS}:10:23: body: the PDF fact-sheet.pdf has {missing}," in result.stderr


def test_a_pdf_titled_in_its_xmp_metadata_only_has_a_title(make_site: MakeSite) -> None:
    site = bundle_site(make_site, "[Fact sheet](f.pdf)\n", {"f.pdf": make_pdf(xmp_title=True)})
    assert build(BuildOptions(site_dir=site, now=NOW)).warnings == ()


def test_a_pdf_in_static_is_checked_too_and_warned_about_once_per_release(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {"content/releases/2016/a.md": FRONT + "[One](/static/a.pdf)\n\n[Again](/static/a.pdf)\n"}
    )
    (site / "static").mkdir()
    (site / "static/a.pdf").write_bytes(make_pdf(language=""))
    plan = build(BuildOptions(site_dir=site, now=NOW))
    assert [str(warning) for warning in plan.warnings] == [
        (
            "content/releases/2016/a.md:8:7: warning: body: the PDF a.pdf has no language, which "
            "screen readers need (Section 508) (set its language (Word: Review > Language); or use "
            "Acrobat's Accessibility tool)"
        )
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            make_pdf(encrypted=True),
            (
                "is an encrypted PDF (a password or restrictions): some readers cannot open it and "
                "screen readers may be refused its text (save it again without a password or "
                "security restrictions)"
            ),
        ),
        (
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n%%EOF",
            (
                "is not a PDF that can be read (damaged, or not what its name says) (export it "
                "again as a PDF from the program that made it)"
            ),
        ),
        (
            b"<html><body>Fact sheet</body></html>",
            (
                "is not a PDF that can be read (damaged, or not what its name says) (export it "
                "again as a PDF from the program that made it)"
            ),
        ),
    ],
    ids=["encrypted", "corrupt", "not-a-pdf"],
)
def test_an_encrypted_or_corrupt_pdf_is_an_error_never_a_traceback(
    make_site: MakeSite, data: bytes, message: str
) -> None:
    body = "Intro.\n\nRead [the fact sheet](fact-sheet.pdf).\n"
    site = bundle_site(make_site, body, {"fact-sheet.pdf": data})
    assert problems(site) == [f"{DOCS}:10:23: body: the file fact-sheet.pdf: {message}"]
    result = run_cli("build", "--site", str(site), "--now", NOW_ISO)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "fact-sheet.pdf: is " in result.stderr
    assert not (site / "_site").exists()


def test_an_encrypted_pdf_that_needs_a_password_to_open_is_an_error(make_site: MakeSite) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    site = bundle_site(make_site, "[Fact sheet](f.pdf)\n", {"f.pdf": buffer.getvalue()})
    (message,) = problems(site)
    assert message.startswith(f"{DOCS}:8:14: body: the file f.pdf: is an encrypted PDF")
