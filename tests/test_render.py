"""Markdown rendering: the extensions a press office needs, and nothing that can run script."""

from __future__ import annotations

import tarfile
import warnings

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory_site.markdown import quickmarkdown
from advisory_site.markdown.quickmarkdown import (
    _BLOCK_TRIGGERS,
    _PREPROCESSOR_TRIGGERS,
    UnrenderableError,
    UntestedMarkdownWarning,
)
from advisory_site.markdown.render import Renderer, _FirstParagraph, first_paragraph_text
from tests.conftest import REPO

MARKDOWN_INPUTS = REPO / ".cache" / "test-inputs"  # where scripts/test downloads them


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_tables_footnotes_heading_ids_and_typography(renderer: Renderer) -> None:
    html = renderer.render(
        "## Key facts\n\n| State | Visits |\n|:--|--:|\n| Ohio | 3 |\n\n"
        'It\'s "done" -- really[^1].\n\n[^1]: A note.\n'
    ).html
    assert '<h2 id="key-facts">Key facts</h2>' in html
    assert '<th style="text-align:left">State</th>' in html
    assert '<td style="text-align:right">3</td>' in html
    assert "<p>It’s “done” — really<sup" in html  # press offices type '--' for an em dash
    assert 'class="footnote-ref" href="#fn:1"' in html
    assert '<li id="fn:1">' in html


def test_body_headings_start_below_the_page_title(renderer: Renderer) -> None:
    assert renderer.render("# Top").html.startswith("<h2")


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)><circle/></svg>",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        "<style>body{display:none}</style>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<object data=x></object><embed src=x>",
        '<form action="https://evil.example"><input name=q></form>',
    ],
)
def test_nothing_executable_survives(renderer: Renderer, payload: str) -> None:
    rendered = renderer.render(payload)
    assert rendered.problems, payload  # and the build refuses it (tests/test_real_releases.py)
    html = rendered.html.lower()
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "data:text",
        "<style",
        "<object",
        "<embed",
        "<form",
        "<input",
    ):
        assert forbidden not in html, (payload, html)


def test_first_paragraph_is_plain_text(renderer: Renderer) -> None:
    rendered = renderer.render("## Heading\n\nThe **first** [paragraph](/x/) & more.\n\nSecond.")
    assert rendered.first_paragraph == "The first paragraph & more."
    assert first_paragraph_text("<p> </p><p>Real</p>") == "Real"


def test_links_keep_safe_schemes(renderer: Renderer) -> None:
    html = renderer.render(
        "[a](https://www.cisa.gov/) [b](mailto:x@y.gov) [c](tel:+12025550100)"
    ).html
    assert 'href="https://www.cisa.gov/"' in html
    assert 'href="mailto:x@y.gov"' in html
    assert 'href="tel:+12025550100"' in html


# Pieces of Markdown that hold every trigger of the quick passes (quickmarkdown._INLINE_TRIGGERS,
# _SMARTY_TRIGGERS, _BLOCK_TRIGGERS, _PREPROCESSOR_TRIGGERS, the toc marker, the characters that
# whitespace normalisation changes), in and out of the places where they take effect, so that a
# trigger a pattern or processor could do without is caught.
_MARKDOWN_PIECES = st.lists(
    st.sampled_from(
        [
            *"ab1 '\"-.*_`[]()!\n<>&;#s0^:|\\=~\t\r\x02\x03\N{EN DASH}\N{EM DASH}",
            "\r\n",
            "\n  \n",
            "\n  ",
            "--",
            "---",
            "...",
            "'80s",
            "\"'a",
            "'\"a",
            "x'\" ",
            "x\"' ",
            " 's ",
            ' " ',
            "\N{EM DASH}'a",
            '\N{EM DASH}"a',
            "&amp;",
            "&amp",
            "&#8212;",
            "&#123",
            "\n\n",
            "  \n",
            "**",
            "`code`",
            "[a](https://x.gov/)",
            "![i](https://x.gov/i.png)",
            "[^1]",
            "\n\n[^1]: note\n",
            "[r]\n\n[r]: https://x.gov/\n",
            "[r]: https://x.gov/",
            "[a][r]",
            "![i][r]",
            "![r]",
            "<https://x.gov/>",
            "<a@b.gov>",
            "<b>",
            "</b>",
            "\n<div>\nx\n</div>\n",
            "\n- item\n",
            "\n1. item\n",
            "\n- a\n    - b\n    c\n",  # nested items and continuation lines (get_items)
            "\n3. a\n   b\n",
            "\n    ",
            "\n\t",
            "\n## head\n",
            "# top",
            "\nhead\n===\n",
            "\nhead\n---\n",
            "\n***\n",
            "\n_ _ _\n",
            "\n-  -  -\n",
            "\n* *  *\n",
            "\n> quote\n",
            "\n    code\n",
            "\n```\ncode\n```\n",
            "\n~~~ python\ncode\n~~~\n",
            "\n| a | b |\n|---|---|\n| c | d |\n",
            "\n\n| a |\n|---|\n",
            "\nterm\n: definition\n",
            ":\tdefinition",
            "*[HTML]: Hyper Text\n",
            "HTML",
            "[TOC]",
            # end marks, at the end or not, and a heading made only of '#'
            "\n###\n",
            "\n# # #",
            "\n#  #  #\n",
            "\n\\#\n",
            "\n-30-\n",
            "\n##\n",
            # lines typed one under another, and prose wrapped at a column
            "\nWHO: The Secretary\nWHEN: 10 a.m.\n",
            "\n" + "wrapped " * 9 + "line\nnext words of it",
            "500 C Street SW\nWashington, DC",
            '<a href="javascript:x">',
            '<p onclick="x" class="y">',
            "<iframe src=x>",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_MARKDOWN_PIECES)
def test_quick_passes_render_like_plain_markdown(text: str) -> None:
    """Skipping the patterns and processors that cannot match must never change Markdown's
    output, nor what is made of it."""
    quick, plain = Renderer(), Renderer(quick=False)
    assert quick._markdown.convert(text) == plain._markdown.convert(text)
    assert quick.render(text) == plain.render(text)


def test_quick_passes_are_in_place() -> None:
    quick, plain = Renderer()._markdown, Renderer(quick=False)._markdown
    assert type(quick.treeprocessors["inline"]).__name__ == "_QuickInline"
    assert type(quick.treeprocessors["smarty"]).__name__ == "_QuickInline"
    assert type(quick.treeprocessors["toc"]).__name__ == "_QuickToc"
    assert type(quick.treeprocessors["unescape"]).__name__ == "_QuickUnescape"
    assert type(quick.postprocessors["raw_html"]).__name__ == "_QuickRawHtml"
    assert type(quick.preprocessors["normalize_whitespace"]).__name__ == "_QuickWhitespace"
    assert type(quick.preprocessors["guard"]).__name__ == "_Guard"
    for registry, plain_registry, known in (
        (quick.parser.blockprocessors, plain.parser.blockprocessors, _BLOCK_TRIGGERS),
        (quick.preprocessors, plain.preprocessors, _PREPROCESSOR_TRIGGERS),
    ):
        assert all(hasattr(registry[name], "plain") for name in known)
        # in the same order as in plain Markdown
        kinds = [type(getattr(p, "plain", p)) for p in registry if type(p).__name__ != "_Guard"]
        assert kinds == [type(p) for p in plain_registry]
    text = "\"Ready,\" she said -- it's the '80s... 'Yes' *now* [here](https://x.gov/)"
    assert Renderer().render(text) == Renderer(quick=False).render(text)
    assert "“Ready,” she said — it’s the ’80s… ‘Yes’ <em>now</em>" in Renderer().render(text).html


@settings(max_examples=300, deadline=None)
@given(_MARKDOWN_PIECES)
def test_first_paragraph_fed_in_parts_is_the_whole_parse(text: str) -> None:
    html = Renderer().render(text).html
    whole = _FirstParagraph()
    whole.feed(html)
    whole.close()
    assert first_paragraph_text(html) == " ".join("".join(whole.parts).split())


def test_a_markdown_without_the_private_registry_it_reads_stays_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later Python-Markdown that renames Registry._priority must render, only slower."""
    monkeypatch.setattr(quickmarkdown, "_PRIORITIES", "_renamed_priority")
    renderer = Renderer()
    assert type(renderer._markdown.treeprocessors["inline"]).__name__ == "InlineProcessor"
    text = 'It\'s "done" -- *now*.\n\n| a |\n|---|\n| b |\n'
    assert renderer.render(text) == Renderer(quick=False).render(text)


def test_python_markdowns_own_test_inputs_render_alike_with_the_shortcuts() -> None:
    """Every input of Python-Markdown's own test suite (tests/**/*.txt in the source
    distribution of the installed version, which scripts/test downloads) renders the same with
    the shortcuts as without."""
    found = sorted(MARKDOWN_INPUTS.glob(f"[Mm]arkdown-{markdown.__version__}.tar.gz"))
    if not found:
        pytest.skip(f"no Python-Markdown {markdown.__version__} source in {MARKDOWN_INPUTS}/")
    quick, plain = Renderer(), Renderer(quick=False)
    compared, refused, differ = 0, [], []
    with tarfile.open(found[0]) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if not (member.isfile() and "tests" in parts[1:2] and member.name.endswith(".txt")):
                continue
            stream = archive.extractfile(member)
            assert stream is not None
            text = stream.read().decode("utf-8", "replace")
            try:
                quick_html = quick._markdown.convert(text)
            except UnrenderableError:
                refused.append(member.name)  # too deep or costly: the guard refuses it
                continue
            compared += 1
            if quick_html != plain._markdown.convert(text) or quick.render(text) != plain.render(
                text
            ):
                differ.append(member.name)
    assert not differ
    assert compared >= 90, (compared, refused)


def test_an_untested_python_markdown_renders_plainly_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a version outside TESTED_VERSIONS the private methods may mean something else."""
    monkeypatch.setattr(markdown, "__version_info__", (3, 99, 0, "final", 0))
    monkeypatch.setattr(markdown, "__version__", "3.99.0")
    monkeypatch.setattr(quickmarkdown, "_warned", False)
    with pytest.warns(UntestedMarkdownWarning, match=r"3\.99\.0 is not .*\(>=3\.11,<3\.12\)"):
        renderer = Renderer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = Renderer()  # one warning per process
    for md in (renderer._markdown, second._markdown):
        assert type(md.treeprocessors["inline"]).__name__ == "InlineProcessor"
        assert type(md.preprocessors["guard"]).__name__ == "_Guard"
    text = 'It\'s "done" -- *now*.\n\n| a |\n|---|\n| b |\n'
    assert renderer.render(text) == Renderer(quick=False).render(text)
    assert quickmarkdown.is_tested((3, 11, 3)) and not quickmarkdown.is_tested((3, 12))
