"""Split a Markdown file into its YAML front matter and body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisory_site.core.errors import ContentError
from advisory_site.source.fields import describe
from advisory_site.source.yamlload import UNPRINTABLE, Loaded, Positions, load_yaml

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest content file accepted: a long release is 50 KB."""
MAX_FRONT_MATTER_LINES = 2_000

_FENCE = "---"
_CLOSERS = ("---", "...")


@dataclass(frozen=True, slots=True)
class Document:
    data: dict[str, Any]
    positions: Positions
    body: str
    body_line: int  # the file line on which the body starts


def decode(raw: bytes, path: str) -> str | ContentError:
    """UTF-8 text with Unix newlines and no byte-order mark, or the place of the first bad byte."""
    if len(raw) > MAX_FILE_BYTES:
        return ContentError(
            path=path,
            message=f"the file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}",
            hint="split it or move large material out of the release",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return ContentError(
            path=path,
            line=line,
            column=column,
            message=f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            hint="save the file with UTF-8 encoding",
        )
    control = UNPRINTABLE.search(text) if _may_be_unprintable(raw) else None
    if control:
        preceding = text[: control.start()]
        return ContentError(
            path=path,
            line=preceding.count("\n") + 1,
            column=control.start() - (preceding.rfind("\n") + 1) + 1,
            message=f"the file contains the control character U+{ord(control.group()):04X}",
            hint="delete it; it is invisible in most editors",
        )
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n") if b"\r" in raw else text


# The bytes of the ASCII characters a text may hold: every printable one, tab and line ends
_PRINTABLE_ASCII = bytes([9, 10, 13, *range(0x20, 0x7F)])


def _may_be_unprintable(raw: bytes) -> bool:
    """Whether UTF-8 ``raw`` may hold a character that UNPRINTABLE matches: its bytes left once
    the printable ASCII ones are deleted (the other characters, whole) are looked at, rather
    than every character of the text (most are printable ASCII, which the expression takes
    a few nanoseconds each to pass)."""
    rest = raw.translate(None, _PRINTABLE_ASCII)
    return bool(rest) and UNPRINTABLE.search(rest.decode("utf-8")) is not None


def parse_document(text: str, path: str) -> Document | ContentError:
    """Split and load front matter; the result's data is always a mapping."""
    lines = text.split("\n")
    if lines[0].rstrip() != _FENCE:
        looks_like_fields = any(":" in line for line in lines[:3])
        hint = (
            "did you forget the opening '---' line?"
            if looks_like_fields
            else "start the file with a line '---', the fields, then another '---'"
        )
        return ContentError(path=path, line=1, column=1, message="missing front matter", hint=hint)
    closing = next(
        (
            index
            for index, line in enumerate(lines[1 : MAX_FRONT_MATTER_LINES + 1], start=1)
            if line.rstrip() in _CLOSERS
        ),
        None,
    )
    if closing is None:
        return ContentError(
            path=path,
            line=1,
            column=1,
            message="the front matter that starts here is never closed",
            hint="did you forget the closing '---' after the last field?",
        )
    loaded = load_yaml("\n".join(lines[1:closing]), path=path, first_line=2)
    if isinstance(loaded, ContentError):
        return loaded
    return _as_document(loaded, lines, closing, path)


def _as_document(
    loaded: Loaded, lines: list[str], closing: int, path: str
) -> Document | ContentError:
    if loaded.data is None:
        return ContentError(
            path=path,
            line=2,
            column=1,
            message="the front matter is empty",
            hint="add the fields, such as 'title: ...'",
        )
    if not isinstance(loaded.data, dict):
        return ContentError(
            path=path,
            line=2,
            column=1,
            message=f"the front matter must be fields (name: value), got {describe(loaded.data)}",
        )
    body = "\n".join(lines[closing + 1 :])
    return Document(loaded.data, loaded.positions, body, closing + 2)
