"""Videos: a YouTube or DVIDS link alone on its line becomes a player that makes no request to
the video's host until the reader clicks, in a real browser (Debian's Chromium), with a
Content-Security-Policy that allows the player's host only on pages with a video."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from advisory_site.commands.cli import main
from advisory_site.engine.build import BuildOptions
from advisory_site.engine.cache import CacheStore
from advisory_site.engine.executors import Serial
from advisory_site.engine.pipeline import run
from advisory_site.engine.writers import Folder
from advisory_site.markdown.render import sanitise
from advisory_site.source.video import players, video
from tests.conftest import NOW, NOW_ISO, REPO, SITE_YAML, MakeSite, build
from tests.localhost import serve_folder

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
FRONT = """\
---
title: Secretary Visits the Port of Entry
release_date: 2016-10-07
kind: statement
agencies: [DHS]
topics: [Cybersecurity]
---
"""
URL = "/news/2016/10/07/port-visit/"
YOUTUBE_ID = "aqz-KE-bpKQ"  # any eleven characters of YouTube's alphabet: the network is cut
BODY = f"""\
The Secretary spoke at the port of entry.

[Remarks at the port of entry](https://youtu.be/{YOUTUBE_ID}?t=1m5s)

Transcript: [read the remarks as delivered](#remarks-as-delivered)

[Blue roof installation](https://www.dvidshub.net/video/817066/hurricane-ida-blue-roof)

Watch [the remarks](https://www.youtube.com/watch?v={YOUTUBE_ID}) in a sentence: a link.

## Remarks as delivered

Good morning.
"""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"https://www.youtube.com/watch?v={YOUTUBE_ID}",
            (f"https://www.youtube.com/watch?v={YOUTUBE_ID}", "?autoplay=1"),
        ),
        (
            f"https://youtu.be/{YOUTUBE_ID}?t=90",
            (f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=90s", "?autoplay=1&start=90"),
        ),
        (
            f"https://m.youtube.com/watch?v={YOUTUBE_ID}&t=1h2m3s&feature=share",
            (f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=3723s", "?autoplay=1&start=3723"),
        ),
        (
            f"https://www.youtube.com/shorts/{YOUTUBE_ID}",
            (f"https://www.youtube.com/watch?v={YOUTUBE_ID}", "?autoplay=1"),
        ),
        (
            f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}",
            (f"https://www.youtube.com/watch?v={YOUTUBE_ID}", "?autoplay=1"),
        ),
    ],
)
def test_youtube_addresses_become_the_privacy_enhanced_player(
    url: str, expected: tuple[str, str]
) -> None:
    found = video(url)
    assert found is not None
    assert (found.host, found.url, found.origin) == (
        "YouTube",
        expected[0],
        "https://www.youtube-nocookie.com",
    )
    assert found.embed == f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}{expected[1]}"


def test_dvids_addresses_become_its_embedded_player() -> None:
    for url in (
        "https://www.dvidshub.net/video/817066/hurricane-ida-usaces-twenty-thousandth-blue-roof",
        "https://dvidshub.net/video/817066",
        "https://www.dvidshub.net/video/embed/817066",
    ):
        found = video(url)
        assert found is not None, url
        assert found.embed == "https://www.dvidshub.net/video/embed/817066"
        assert found.origin == "https://www.dvidshub.net"
    assert video("https://www.dvidshub.net/video/embed/817066").url == (  # type: ignore[union-attr]
        "https://www.dvidshub.net/video/817066"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/@FEMA",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/playlist?list=PL123",
        "https://www.dvidshub.net/image/6823253/first-blue-roof-installation",
        "https://www.example.com/watch?v=aqz-KE-bpKQ",
        "javascript:alert(1)//youtu.be/aqz-KE-bpKQ",
    ],
)
def test_other_addresses_stay_links(url: str) -> None:
    assert video(url) is None
    paragraph = f'<p><a href="{html.escape(url)}">Watch</a></p>'
    assert players(paragraph) == (paragraph, ())


SPANISH_FRONT = """\
---
title: El Secretario visita el puerto de entrada
lang: es
translation_of: 2016/port-visit.md
release_date: 2016-10-07
kind: statement
agencies: [DHS]
topics: [Cybersecurity]
---
"""
SPANISH_URL = "/news/2016/10/07/visita-al-puerto/"
SPANISH_BODY = f"""\
El Secretario habló en el puerto de entrada.

[Palabras en el puerto de entrada](https://youtu.be/{YOUTUBE_ID}?t=1m5s)

Transcripción: [lea las palabras pronunciadas](#palabras)

<https://www.dvidshub.net/video/817066/hurricane-ida-blue-roof>

[Otro video](https://www.youtube.com/watch?v={YOUTUBE_ID})

Transcript: an English label is taken too.
"""
BILINGUAL = SITE_YAML + "languages: [en, es]\n"


def _site(make_site: MakeSite, body: str = BODY) -> Path:
    return make_site(
        {
            "content/releases/2016/port-visit.md": FRONT + body,
            "content/releases/2016/other.md": FRONT.replace("Visits", "Thanks") + "No video.\n",
            "content/releases/2016/visita-al-puerto.md": SPANISH_FRONT + SPANISH_BODY,
        },
        site_yaml=BILINGUAL,
    )


def _figures(page: bytes) -> list[tuple[str, str, str, str, str]]:
    """Each video figure's link and host text, and the words it gives the script."""
    return [
        (
            " ".join(figure.find("p").text_content().split()),
            figure.get("data-play"),
            figure.get("data-note"),
            figure.get("data-player"),
            " ".join(figure.xpath("string(figcaption)").split()),
        )
        for figure in lxml.html.fromstring(page).xpath("//figure[@class='video']")
    ]


def _policy(page: bytes) -> str:
    (policy,) = re.findall(rb'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    return html.unescape(policy.decode())


def test_a_video_link_alone_on_its_line_becomes_a_player_figure(make_site: MakeSite) -> None:
    plan = build(BuildOptions(site_dir=_site(make_site), now=NOW))
    files = {file.path: file.data for file in plan.files}
    page = files[f"{URL.lstrip('/')}index.html"]
    tree = lxml.html.fromstring(page)
    figures = tree.xpath("//figure[@class='video']")
    assert [figure.get("data-embed") for figure in figures] == [
        f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?autoplay=1&start=65",
        "https://www.dvidshub.net/video/embed/817066",
    ]
    # without JavaScript: a link to the video's page, saying where it plays
    assert [
        (figure.xpath(".//a/@href")[0], " ".join(figure.find("p").text_content().split()))
        for figure in figures
    ] == [
        (
            f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=65s",
            "Remarks at the port of entry (video on YouTube)",
        ),
        (
            "https://www.dvidshub.net/video/817066/hurricane-ida-blue-roof",
            "Blue roof installation (video on DVIDS)",
        ),
    ]
    # the transcript's paragraph is the first player's caption, its link kept
    caption = figures[0].find("figcaption")
    assert caption.text_content() == "Transcript: read the remarks as delivered"
    assert caption.find("a").get("href") == "#remarks-as-delivered"
    assert figures[1].find("figcaption") is None
    # a link inside a sentence stays a link
    (inline,) = tree.xpath("//p[starts-with(., 'Watch ')]")
    assert inline.find("a").get("href") == f"https://www.youtube.com/watch?v={YOUTUBE_ID}"
    # the page loads its script; its policy frames the two players' hosts and nothing else
    assert tree.xpath("//script[@type='module']/@src") == ["/static/js/video.js"]
    policy = _policy(page)
    assert policy.endswith("; frame-src https://www.dvidshub.net https://www.youtube-nocookie.com")
    assert policy.count("frame-src") == 1
    # the words the script shows come from the page
    assert _figures(page) == [
        (
            "Remarks at the port of entry (video on YouTube)",
            "Play video: Remarks at the port of entry",
            "Loads the player from YouTube",
            "Remarks at the port of entry (YouTube video player)",
            "Transcript: read the remarks as delivered",
        ),
        (
            "Blue roof installation (video on DVIDS)",
            "Play video: Blue roof installation",
            "Loads the player from DVIDS",
            "Blue roof installation (DVIDS video player)",
            "",
        ),
    ]
    # a page without a video has no frame host, nor the script
    other = files["news/2016/10/07/other/index.html"]
    assert "frame-src" not in _policy(other) and b"video.js" not in other
    for path in ("index.html", "news/index.html", "about/index.html"):
        if path in files:
            assert "frame-src" not in _policy(files[path]), path
    # feeds are read away from the site: the link, never a frame
    (item,) = [i for i in json.loads(files["feed.json"])["items"] if i["url"].endswith(URL)]
    assert "<iframe" not in item["content_html"]
    assert f'href="https://www.youtube.com/watch?v={YOUTUBE_ID}&amp;t=65s"' in item["content_html"]


def test_a_spanish_release_has_its_video_words_in_spanish(make_site: MakeSite) -> None:
    """The link's host, the play button, its description and the player's title are in the
    release's language; "Transcripción:" (and the English label) makes the caption."""
    plan = build(BuildOptions(site_dir=_site(make_site), now=NOW))
    files = {file.path: file.data for file in plan.files}
    page = files[f"{SPANISH_URL.lstrip('/')}index.html"]
    assert _figures(page) == [
        (
            "Palabras en el puerto de entrada (video en YouTube)",
            "Reproducir video: Palabras en el puerto de entrada",
            "Carga el reproductor desde YouTube",
            "Palabras en el puerto de entrada (reproductor de video de YouTube)",
            "Transcripción: lea las palabras pronunciadas",
        ),
        (
            # a bare address: the link's text names the video in Spanish
            "Video de DVIDS (video en DVIDS)",
            "Reproducir video: Video de DVIDS",
            "Carga el reproductor desde DVIDS",
            "Video de DVIDS (reproductor de video de DVIDS)",
            "",
        ),
        (
            "Otro video (video en YouTube)",
            "Reproducir video: Otro video",
            "Carga el reproductor desde YouTube",
            "Otro video (reproductor de video de YouTube)",
            "Transcript: an English label is taken too.",
        ),
    ]
    body = page.decode().split('<div class="release-body', 1)[1].split("</article>", 1)[0]
    for word in ("video on", "Play video", "Loads the player", "video player", "DVIDS video<"):
        assert word not in body, word
    # the English version of the same build is as it was
    english = files[f"{URL.lstrip('/')}index.html"]
    assert _figures(english)[0][:4] == (
        "Remarks at the port of entry (video on YouTube)",
        "Play video: Remarks at the port of entry",
        "Loads the player from YouTube",
        "Remarks at the port of entry (YouTube video player)",
    )


def test_an_incremental_build_follows_the_catalogue_and_the_language(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A page kept from the last build is never kept when its words would differ: the
    catalogue edited, or the release's language changed."""
    site = _site(make_site)
    output = tmp_path / "out"
    page = output / SPANISH_URL.lstrip("/") / "index.html"

    def again() -> list[tuple[str, str, str, str, str]]:
        run(BuildOptions(site_dir=site, now=NOW), Serial(), CacheStore(), Folder(output))
        return _figures(page.read_bytes())

    assert again()[0][1] == "Reproducir video: Palabras en el puerto de entrada"
    catalogue = site / "locales/es/LC_MESSAGES/messages.po"
    text = catalogue.read_text(encoding="utf-8")
    assert text.count('msgstr "Reproducir video: %(title)s"') == 1
    catalogue.write_text(text.replace("Reproducir video:", "Ver el video:"), encoding="utf-8")
    assert again()[0][1] == "Ver el video: Palabras en el puerto de entrada"
    # the same text declared English (a mistake a press officer may make, and correct)
    source = site / "content/releases/2016/visita-al-puerto.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "lang: es\ntranslation_of: 2016/port-visit.md\n", ""
        ),
        encoding="utf-8",
    )
    assert again()[0][1:4] == (
        "Play video: Palabras en el puerto de entrada",
        "Loads the player from YouTube",
        "Palabras en el puerto de entrada (YouTube video player)",
    )


def test_players_take_their_words_from_the_catalogue() -> None:
    """Without a catalogue (an English release) the words are English; a label other than the
    release language's or English's leaves the paragraph after the video a paragraph."""
    body = (
        f'<p><a href="https://youtu.be/{YOUTUBE_ID}">https://youtu.be/{YOUTUBE_ID}</a></p>\n'
        "<p>Transcripción: abajo.</p>"
    )
    made, origins = players(body)
    assert origins == ("https://www.youtube-nocookie.com",)
    assert '">YouTube video</a>' in made and 'data-play="Play video: YouTube video"' in made
    assert "<figcaption>" not in made and "<p>Transcripción: abajo.</p>" in made
    spanish = {"Transcript:": "Transcripción:", "%(host)s video": "Video de %(host)s"}
    made, _ = players(body, lambda text: spanish.get(text, text))
    assert '">Video de YouTube</a>' in made
    assert "<figcaption>Transcripción: abajo.</figcaption>" in made


def test_the_player_markup_survives_the_sanitiser_and_authors_cannot_add_hosts(
    make_site: MakeSite,
) -> None:
    plan = build(BuildOptions(site_dir=_site(make_site), now=NOW))
    page = next(f.data for f in plan.files if f.path == f"{URL.lstrip('/')}index.html").decode()
    body = page[page.index('<figure class="video"') : page.index("</figure>") + len("</figure>")]
    assert sanitise(body) == body
    # raw HTML typed in a release cannot make a frame: iframe is refused with what to write
    site = _site(make_site, '<iframe src="https://www.youtube.com/embed/aqz-KE-bpKQ"></iframe>\n')
    result = subprocess.run(
        [str(REPO / ".venv/bin/advisory-site"), "check", "--site", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "the <iframe> element would be removed" in result.stderr


# -- in the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def video_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site with one release holding a YouTube and a DVIDS video, and its Spanish
    translation, built with the repository's templates, catalogues, styles and scripts, served
    on a free local port."""
    site = tmp_path_factory.mktemp("video") / "site"
    for folder in ("templates", "locales", "assets", "static"):
        shutil.copytree(REPO / folder, site / folder)
    (site / "node_modules").symlink_to(REPO / "node_modules")
    (site / "content/releases/2016").mkdir(parents=True)
    (site / "content/site.yaml").write_text(BILINGUAL, encoding="utf-8")
    (site / "content/releases/2016/port-visit.md").write_text(FRONT + BODY, encoding="utf-8")
    (site / "content/releases/2016/visita-al-puerto.md").write_text(
        SPANISH_FRONT + SPANISH_BODY, encoding="utf-8"
    )
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    with serve_folder(site / "_site") as origin:
        yield origin


def _watched(page: Page, origin: str) -> list[str]:
    """Every request the page makes to another origin is recorded and aborted (no network)."""
    others: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            others.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return others


def test_no_request_leaves_the_site_until_the_reader_clicks_play(
    browser: Browser, video_site: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    others = _watched(page, video_site)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(video_site + URL, wait_until="networkidle")
    buttons = page.get_by_role("button", name=re.compile("^Play video: "))
    assert buttons.count() == 2
    assert buttons.first.is_visible()
    page.mouse.wheel(0, 2000)  # nothing lazy waits below the fold either
    page.wait_for_timeout(300)
    assert others == []  # no thumbnail, no script, no font from the host: nothing at all
    assert page.locator("iframe").count() == 0
    # the reader asks for the YouTube video: the privacy-enhanced player's frame is made
    play = page.get_by_role("button", name="Play video: Remarks at the port of entry", exact=True)
    expect(play).to_have_accessible_description("Loads the player from YouTube")
    play.click()
    frame = page.locator("figure.video iframe")
    frame.wait_for(state="attached")
    youtube = f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?autoplay=1&start=65"
    assert frame.get_attribute("src") == youtube
    assert frame.get_attribute("title") == "Remarks at the port of entry (YouTube video player)"
    page.wait_for_timeout(500)
    assert youtube in others  # the browser tried to load it (the network is cut)
    assert not [url for url in others if "youtube.com" in urlsplit(url).netloc]
    assert not [url for url in others if "dvidshub" in url]  # the other video is still asleep
    page.get_by_role("button", name="Play video: Blue roof installation", exact=True).click()
    page.locator("iframe[src='https://www.dvidshub.net/video/embed/817066']").wait_for(
        state="attached"
    )
    page.wait_for_timeout(500)
    assert "https://www.dvidshub.net/video/embed/817066" in others
    # the policy allowed both frames and nothing was blocked by it
    assert [m for m in messages if "Content Security Policy" in m] == []
    context.close()


def test_on_a_spanish_page_the_player_speaks_spanish(browser: Browser, video_site: str) -> None:
    """The button's name and description and the player's title are the page's words (in
    Spanish), and pressing the button still makes one request, to the privacy-enhanced host."""
    context = browser.new_context()
    page = context.new_page()
    others = _watched(page, video_site)
    page.goto(video_site + SPANISH_URL, wait_until="networkidle")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.get_by_role("button", name=re.compile("Play video")).count() == 0
    buttons = page.get_by_role("button", name=re.compile("^Reproducir video: "))
    assert buttons.count() == 3
    play = page.get_by_role(
        "button", name="Reproducir video: Palabras en el puerto de entrada", exact=True
    )
    expect(play).to_have_accessible_description("Carga el reproductor desde YouTube")
    assert others == []
    play.click()
    frame = page.locator("figure.video iframe")
    frame.wait_for(state="attached")
    assert frame.get_attribute("title") == (
        "Palabras en el puerto de entrada (reproductor de video de YouTube)"
    )
    page.wait_for_timeout(500)
    youtube = f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}?autoplay=1&start=65"
    assert others == [youtube]  # exactly one request: the privacy-enhanced player's
    assert page.locator("iframe").count() == 1
    context.close()


def test_by_keyboard_the_play_button_is_reached_and_pressed(
    browser: Browser, video_site: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    others = _watched(page, video_site)
    page.goto(video_site + URL, wait_until="networkidle")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "video-play":
            break
    page.keyboard.press("Enter")
    page.locator("iframe").wait_for(state="attached")
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"  # focus moves to it
    assert others and all("youtube-nocookie.com" in url for url in others)
    context.close()


def test_without_javascript_the_video_is_a_plain_link(browser: Browser, video_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    others = _watched(page, video_site)
    page.goto(video_site + URL, wait_until="networkidle")
    link = page.get_by_role("link", name="Remarks at the port of entry")
    assert link.is_visible()
    assert link.get_attribute("href") == f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=65s"
    assert page.get_by_text("Transcript: read the remarks as delivered").is_visible()
    assert page.get_by_role("button", name=re.compile("Play video")).count() == 0
    assert others == []
    context.close()


@pytest.mark.parametrize(("url", "videos"), [(URL, 2), (SPANISH_URL, 3)], ids=["en", "es"])
def test_the_player_placeholder_passes_axe_and_the_html_checker(
    browser: Browser, video_site: str, tmp_path: Path, url: str, videos: int
) -> None:
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    _watched(page, video_site)
    page.goto(video_site + url, wait_until="networkidle")
    assert page.locator(".video-play").count() == videos
    # the page as the script leaves it, placeholder and then player, is valid HTML
    placeholder = "<!DOCTYPE html>\n" + page.evaluate("document.documentElement.outerHTML")
    page.locator(".video-play").nth(1).click()  # the DVIDS video's
    page.locator("iframe").wait_for(state="attached")
    playing = "<!DOCTYPE html>\n" + page.evaluate("document.documentElement.outerHTML")
    page.reload(wait_until="networkidle")
    page.add_script_tag(path=AXE)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    assert [v["id"] for v in result["violations"]] == []
    context.close()
    files = []
    for name, text in (("placeholder.html", placeholder), ("playing.html", playing)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert [m["message"] for m in json.loads(checked.stdout)["messages"]] == []
