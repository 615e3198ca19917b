"""Markdown rendering: the extensions a press office needs, and nothing that can run script."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory_site.render import Renderer, _FirstParagraph, first_paragraph_text, plain_text


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
    assert "<p>It’s “done” – really<sup" in html
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
    html = renderer.render(payload).html.lower()
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
    assert plain_text("<b>A</b> &amp;  B") == "A & B"


def test_links_keep_safe_schemes(renderer: Renderer) -> None:
    html = renderer.render(
        "[a](https://www.cisa.gov/) [b](mailto:x@y.gov) [c](tel:+12025550100)"
    ).html
    assert 'href="https://www.cisa.gov/"' in html
    assert 'href="mailto:x@y.gov"' in html
    assert 'href="tel:+12025550100"' in html


_MARKDOWN_PIECES = st.lists(
    st.sampled_from(
        [
            *"ab1 '\"-.*_`[]()!\n<>&;#s0^:|\\",
            "--",
            "...",
            "'80s",
            "&amp;",
            "&#8212;",
            "\n\n",
            "  \n",
            "**",
            "[a](https://x.gov/)",
            "![i](https://x.gov/i.png)",
            "[^1]",
            "\n\n[^1]: note\n",
            "[r]\n\n[r]: https://x.gov/\n",
            "<https://x.gov/>",
            "<a@b.gov>",
            "<b>",
            "</b>",
            "\n- item\n",
            "\n## head\n",
            "\n> quote\n",
            "\n    code\n",
            "\n| a | b |\n|---|---|\n| c | d |\n",
            "*[HTML]: Hyper Text\n",
            "HTML",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(_MARKDOWN_PIECES)
def test_quick_inline_passes_render_like_plain_markdown(text: str) -> None:
    """Skipping the text that no inline pattern can match must never change the output."""
    assert Renderer().render(text) == Renderer(quick=False).render(text)


def test_quick_inline_passes_are_in_place() -> None:
    processors = Renderer()._markdown.treeprocessors
    assert type(processors["inline"]).__name__ == "_QuickInline"
    assert type(processors["smarty"]).__name__ == "_QuickInline"
    text = "\"Ready,\" she said -- it's the '80s... 'Yes' *now* [here](https://x.gov/)"
    assert Renderer().render(text) == Renderer(quick=False).render(text)
    assert "“Ready,” she said – it’s the ’80s… ‘Yes’ <em>now</em>" in Renderer().render(text).html


@settings(max_examples=300, deadline=None)
@given(_MARKDOWN_PIECES)
def test_first_paragraph_fed_in_parts_is_the_whole_parse(text: str) -> None:
    html = Renderer().render(text).html
    whole = _FirstParagraph()
    whole.feed(html)
    whole.close()
    assert first_paragraph_text(html) == " ".join("".join(whole.parts).split())
