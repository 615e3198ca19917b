"""Property tests: for any input, a model or content errors with file and line, never a crash.

The coverage-guided fuzzer for the same entry point is fuzz/fuzz_release.py (see fuzz/README.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import PurePosixPath
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisory_site.content import RELEASE_KEYS, Lookups, parse_release
from advisory_site.errors import MAX_MESSAGE, ContentError
from advisory_site.frontmatter import decode, parse_document
from advisory_site.models import Agency, Contact, Kind, SiteConfig, Topic
from advisory_site.output import path_problem
from advisory_site.render import Renderer
from advisory_site.urls import (
    MAX_SLUG,
    SLUG_PATTERN,
    alias_problem,
    make_slug,
    output_path,
    release_url,
    slug_problem,
)
from advisory_site.yamlload import UNPRINTABLE, load_yaml

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
