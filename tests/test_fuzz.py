"""Property tests: for any input, a model or content errors with file and line, never a crash.

The coverage-guided fuzzer for the same entry point is fuzz/fuzz_release.py (see fuzz/README.md).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import PurePosixPath
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisory_site.core.errors import ContentError
from advisory_site.core.models import Agency, Contact, Kind, SiteConfig, Topic
from advisory_site.core.report import MAX_MESSAGE
from advisory_site.core.urls import (
    MAX_SLUG,
    SLUG_PATTERN,
    alias_problem,
    make_slug,
    output_path,
    release_url,
    slug_problem,
)
from advisory_site.markdown.render import Renderer
from advisory_site.publish.output import path_problem
from advisory_site.source.content import (
    RELEASE_KEYS,
    LoadedRelease,
    Lookups,
    load_release,
    parse_release,
)
from advisory_site.source.frontmatter import MAX_FILE_BYTES, decode, parse_document
from advisory_site.source.lint import lint_document
from advisory_site.source.yamlload import UNPRINTABLE, load_yaml

PATH = "content/releases/2016/fuzz.md"
BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
CONFIG = SiteConfig(
    title="Fuzz Press Room",
    base_url="https://www.example.gov/",
    time_zone="America/New_York",
    organisation="Fuzz Agency",
    default_contact=Contact(office="Press Office", phone="202-555-0100"),
    topics=(Topic(id="cybersecurity", name="Cybersecurity"),),
    agencies=(Agency(id="dhs", name="Department of Homeland Security", short_name="DHS"),),
    kinds=(Kind(id="press-release", name="Press Release"), Kind(id="statement", name="Statement")),
)
LOOKS_LIKE = "/.\\\uff0f\uff0e\u2024\u2215\u2044\u29f8\u3002\ufe52%"  # '/' and '.' look-alikes

# YAML-ish text: the characters that make front matter interesting
yamlish = st.lists(
    st.sampled_from([*"abc :-[]{},#&*!|>'\"\n\t\r.0123456789/", "---", "\x1a", "é", "title: "]),
    max_size=120,
).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.dates().map(date.isoformat),
    st.sampled_from(["2016-10-07", "2016-10-07T09:30:00-04:00", "DHS", "cybersecurity", "/a/b"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
front_matter = st.dictionaries(
    st.sampled_from([*RELEASE_KEYS, "titel", "contact.office"]) | st.text(max_size=8),
    values,
    max_size=8,
)


def assert_is_error(error: ContentError, *, lines: int) -> None:
    assert error.path == PATH
    assert 0 <= error.line <= lines + 1
    assert error.column >= 0
    assert error.message
    assert len(str(error)) <= len(PATH) + 3 * MAX_MESSAGE + 40
    assert "\n" not in str(error)


def validate(raw: bytes) -> list[ContentError]:
    """Run the whole release path; assert it ends in a model or in well-formed errors."""
    lines = raw.count(b"\n") + 1
    text = decode(raw, PATH)
    document = parse_document(text, PATH) if isinstance(text, str) else text
    if isinstance(document, ContentError):
        assert_is_error(document, lines=lines)
        return [document]
    errors: list[ContentError] = []
    release = parse_release(
        document,
        PATH,
        config=CONFIG,
        lookups=Lookups.of(CONFIG),
        renderer=Renderer(),
        errors=errors,
    )
    for error in errors:
        assert_is_error(error, lines=lines)
    assert (release is None) == bool(errors)
    if release is not None:
        for url in (release.url, *release.aliases):
            assert_stays_inside(output_path(url))
        for text in texts(release):
            assert not UNPRINTABLE.search(text), text
    return errors


def texts(value: object) -> Iterator[str]:
    """Every string inside a model, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from texts(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from texts(getattr(value, field.name))


def assert_stays_inside(path: str) -> None:
    assert path_problem(path) == ""
    assert path.isascii()
    assert not PurePosixPath(path).is_absolute()
    assert not {"", ".", ".."} & set(path.split("/"))
    assert not any(part.startswith(".") for part in path.split("/"))


@BOUNDED
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_release_or_errors(raw: bytes) -> None:
    validate(raw)


@BOUNDED
@given(yamlish)
def test_any_front_matter_text_gives_a_release_or_errors(text: str) -> None:
    validate(f"---\n{text}\n---\nBody.\n".encode())


@BOUNDED
@given(front_matter, st.text(max_size=200))
def test_any_fields_give_a_release_or_errors(data: dict[str, Any], body: str) -> None:
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    validate(f"---\n{dumped}---\n{body}".encode("utf-8", "surrogatepass"))


@BOUNDED
@given(st.text(max_size=40), st.sampled_from(["x01", "x1b", "ud800", "udfff", "x85", "x7f", "x9b"]))
def test_escapes_cannot_smuggle_unprintable_characters(text: str, escape: str) -> None:
    plain = "".join(char for char in text if char not in '\\"')
    front = f'---\ntitle: "{plain}\\{escape}"\nrelease_date: 2016-10-07\n---\nBody\n'
    errors = validate(front.encode("utf-8", "surrogatepass"))
    assert errors, "an escaped unprintable character was accepted"


@BOUNDED
@given(
    st.text(
        st.one_of(
            st.characters(exclude_categories=["Cs"]), st.sampled_from("\x07\x7f\x85\ufffe\r\t")
        ),
        max_size=60,
    )
)
def test_decoding_finds_the_first_unprintable_character(text: str) -> None:
    """decode looks at the text's non-ASCII and control characters alone, to be quick: it finds
    what the expression finds in the whole text, at the same place."""
    decoded = decode(text.encode(), PATH)
    bad = UNPRINTABLE.search(text)
    if bad is None:
        assert decoded == text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    else:
        assert isinstance(decoded, ContentError)
        assert f"U+{ord(bad.group()):04X}" in decoded.message
        before = text[: bad.start()]
        if "\r" not in before:
            assert (decoded.line, decoded.column) == (
                before.count("\n") + 1,
                len(before) - before.rfind("\n"),
            )


@BOUNDED
@given(st.text(max_size=500), st.integers(min_value=1, max_value=50))
def test_yaml_loader_never_raises(text: str, first_line: int) -> None:
    loaded = load_yaml(text, path=PATH, first_line=first_line)
    if isinstance(loaded, ContentError):
        assert loaded.path == PATH
        assert loaded.line >= first_line


@BOUNDED
@given(st.text(max_size=300))
def test_front_matter_splitter_never_raises(text: str) -> None:
    document = parse_document(text, PATH)
    if isinstance(document, ContentError):
        assert document.line >= 1
    else:
        assert isinstance(document.data, dict)
        assert document.body_line >= 3


@BOUNDED
@given(st.text(max_size=300))
def test_slugs_are_plain_and_bounded(title: str) -> None:
    slug = make_slug(title)
    assert slug == "" or (SLUG_PATTERN.match(slug) and len(slug) <= MAX_SLUG)
    if slug:
        assert_stays_inside(output_path(release_url(date(2016, 10, 7), slug)))


@BOUNDED
@given(st.text(max_size=200))
def test_accepted_slugs_stay_inside(slug: str) -> None:
    if slug_problem(slug) == "":
        assert len(slug) <= MAX_SLUG
        assert_stays_inside(output_path(release_url(date(2016, 10, 7), slug)))


@BOUNDED
@given(
    st.lists(
        st.text(alphabet=st.sampled_from([*"a-_~0", *LOOKS_LIKE]), max_size=6)
        | st.text(max_size=6),
        max_size=6,
    ).map(lambda parts: "/" + "/".join(parts))
)
def test_accepted_aliases_stay_inside(alias: str) -> None:
    if alias_problem(alias) == "":
        assert_stays_inside(output_path(alias))


# -- large and deep bodies --------------------------------------------------------------------
# Every Markdown trigger and structure, repeated up to the file limit or nested past the depth
# limit: each must end in a release or in errors within SLOW seconds of processor time (a slow
# input is a failure, not merely one the time budget stops). FUZZ_EXAMPLES=2000 runs longer
# (see fuzz/README.md).

SLOW = 2.0
LARGE = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
)
FRONT = "---\ntitle: Fuzz\nrelease_date: 2016-10-07\nkind: statement\n---\n"
TRIGGERS = [
    *"[]()!<>&*_`\\'\"-.#|:~=^ \t\n",
    "[a](b)", "![a](", "](", "[^1]", "\n[^1]: x\n    y\n", "[a]: /b\n", "*[A]: b\n",
    "<a", "<a>", "</a>", "<!--", "-->", "<http://", "<a@b.gov>", "<?", "<!x", "&amp;", "&#1;",
    "`a`", "``", "```\n", "~~~\n", "**", "***", "__", "  \n", "--", "---", "...", "'s",
    "\n\n", "\n    ", "\n\t", "\n> ", "\n- ", "\n1. ", "\n* ", "\n# ", "\n===\n", "\n---\n",
    "\n| a | b |\n|---|---|\n", "\n: ", "[TOC]", "word ", "Word, and more. ",
]  # fmt: skip
SIZES = [1_000, 30_000, 300_000, MAX_FILE_BYTES - len(FRONT)]


def assert_fast(body: str) -> LoadedRelease:
    """Load the release as a build does (render, sanitise, lint), within SLOW seconds."""
    raw = (FRONT + body).encode("utf-8", "surrogatepass")[:MAX_FILE_BYTES]
    raw = raw.decode("utf-8", "ignore").encode()
    started = time.process_time()
    loaded = load_release(
        raw,
        PATH,
        config=CONFIG,
        lookups=Lookups.of(CONFIG),
        renderer=RENDERER,
        lint=functools.partial(lint_document, config=CONFIG),
    )
    spent = time.process_time() - started
    assert spent < SLOW, f"{spent:.1f} s for {len(raw):,} bytes"
    lines = raw.count(b"\n") + 1
    for error in (*loaded.errors, *loaded.warnings):
        assert_is_error(error, lines=lines)
        assert "processor time" not in error.message, error  # the budget had to stop it
    assert (loaded.release is None) == bool(loaded.errors)
    return loaded


RENDERER = Renderer()
MARKS = ["> ", "- ", "* ", "1. ", "    ", "\t", "  "]


@LARGE
@given(st.lists(st.sampled_from(TRIGGERS), min_size=1, max_size=6), st.sampled_from(SIZES))
def test_large_bodies_render_or_are_refused_in_time(pieces: list[str], size: int) -> None:
    piece = "".join(pieces)
    assert_fast(piece * (size // len(piece) + 1))


@LARGE
@given(
    st.lists(
        st.sampled_from(["> ", "- ", "* ", "1. ", "    ", "\t", "  "]), min_size=1, max_size=3
    ),
    st.sampled_from([50, 99, 100, 101, 150, 300, 2_000]),
    st.booleans(),
)
def test_deep_bodies_render_or_are_refused_in_time(
    marks: list[str], depth: int, one_line: bool
) -> None:
    """Nesting on one line, or one level more on each line: never a RecursionError."""
    mark = "".join(marks)
    if one_line:
        assert_fast(mark * depth + "x\n")
    else:
        assert_fast("".join(mark * level + "x\n" for level in range(depth)))
