"""Typed reading of a YAML mapping that collects every problem with its position."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from advisory_site.core.errors import ContentError, suggest
from advisory_site.source.yamlload import Path, Position, Positions

T = TypeVar("T")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)

MAX_TEXT = 10_000
"""Longest single-line field accepted (titles, notes); bodies are not fields."""


class FieldReader:
    """Reads fields of one mapping; every problem is appended to ``errors``."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        positions: Positions,
        path: str,
        errors: list[ContentError],
        prefix: Path = (),
    ) -> None:
        self.data = data
        self.positions = positions
        self.path = path
        self.errors = errors
        self.prefix = prefix

    # -- reporting -------------------------------------------------------------------------

    def name(self, key: str | int) -> str:
        parts = [*self.prefix, key]
        text = ""
        for part in parts:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def error(self, key: str | int, message: str, hint: str = "", *, at_key: bool = False) -> None:
        where = (*self.prefix, key)
        position = self.positions.of_key(where) if at_key else self.positions.of_value(where)
        self._report(position, key, message, hint)

    def _report(self, position: Position, key: str | int, message: str, hint: str) -> None:
        self.errors.append(
            ContentError(
                path=self.path,
                line=position.line,
                column=position.column,
                field=self.name(key),
                message=message,
                hint=hint,
            )
        )

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Unknown keys are errors: they are almost always typos."""
        known = list(allowed)
        for key in self.data:
            if key not in known:
                self.error(
                    key,
                    "unknown field",
                    suggest(key, known) or f"allowed fields: {', '.join(known)}",
                    at_key=True,
                )

    # -- values ----------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(key, f"expected text, got {describe(value)}")
            return default
        text = str(value).strip()
        if not text and required:
            self.error(key, "must not be empty")
        if len(text) > MAX_TEXT:
            self.error(key, f"is {len(text)} characters long; the limit is {MAX_TEXT}")
            return default
        return text

    def missing(self, key: str) -> None:
        position = self.positions.of_value(self.prefix)
        self._report(position, key, "is required but missing", f"add a line '{key}: ...'")

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {describe(value)}")
            return default
        return value

    def integer(self, key: str, *, default: int, minimum: int = 1, maximum: int = 10_000) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"expected a whole number, got {describe(value)}")
            return default
        if not minimum <= value <= maximum:
            self.error(key, f"must be between {minimum} and {maximum}, got {value}")
            return default
        return value

    def text_list(self, key: str) -> list[tuple[int, str]]:
        """A list of texts (a single text is accepted as a one-item list), with their indexes."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [(-1, value.strip())]
        if not isinstance(value, list):
            self.error(key, f"expected a list like [A, B], got {describe(value)}")
            return []
        items: list[tuple[int, str]] = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.nested(key).error(index, f"expected text, got {describe(item)}")
                continue
            items.append((index, str(item).strip()))
        return items

    def mapping(self, key: str, *, required: bool = False) -> FieldReader | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if not isinstance(value, dict):
            self.error(key, f"expected fields (name: value), got {describe(value)}")
            return None
        return FieldReader(
            value,
            positions=self.positions,
            path=self.path,
            errors=self.errors,
            prefix=(*self.prefix, key),
        )

    def mappings(self, key: str) -> list[FieldReader]:
        """A list whose items are mappings, such as ``updates``."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(key, f"expected a list, got {describe(value)}")
            return []
        readers = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.nested(key).error(
                    index, f"expected fields (name: value), got {describe(item)}"
                )
                continue
            readers.append(
                FieldReader(
                    item,
                    positions=self.positions,
                    path=self.path,
                    errors=self.errors,
                    prefix=(*self.prefix, key, index),
                )
            )
        return readers

    def nested(self, key: str) -> FieldReader:
        """A reader whose errors are reported under ``key`` (for list items)."""
        return FieldReader(
            {},
            positions=self.positions,
            path=self.path,
            errors=self.errors,
            prefix=(*self.prefix, key),
        )

    def moment(self, key: str, tz: ZoneInfo, *, required: bool = False) -> datetime | None:
        """A date (start of that day in ``tz``) or an ISO 8601 date-time with an offset."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        parsed = parse_moment(value, tz)
        if isinstance(parsed, str):
            self.error(key, parsed, "write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00")
            return None
        return parsed

    def choice(self, key: str, value: str, options: dict[str, T], index: int = -1) -> T | None:
        """Look ``value`` up by id or name (case-insensitive); report unknown ones with a hint."""
        found = options.get(value.casefold())
        if found is None:
            names = sorted({getattr(option, "name", str(option)) for option in options.values()})
            spellings = sorted({label for option in options.values() for label in _labels(option)})
            hint = suggest(value, spellings) or f"declared in content/site.yaml: {', '.join(names)}"
            message = f"unknown value '{value}'"
            if index >= 0:
                self.nested(key).error(index, message, hint)
            else:
                self.error(key, message, hint)
        return found


def _labels(option: object) -> Iterable[str]:
    """Every spelling by which a declared topic, agency or kind may be named."""
    for attribute in ("name", "short_name", "id"):
        label = getattr(option, attribute, "")
        if label:
            yield label


def describe(value: Any) -> str:
    """How a YAML value looks to the person who wrote it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


MIN_YEAR = 1900
MAX_YEAR = 2200
"""Years a date may fall in: outside them a date is a typo, and date arithmetic near the
limits of Python's dates (years 1 and 9999) overflows."""


def year_problem(moment: date, text: str) -> str:
    """Why ``moment`` (written ``text``) is out of range, or ''."""
    if MIN_YEAR <= moment.year <= MAX_YEAR:
        return ""
    return f"'{text}' is outside the years {MIN_YEAR} to {MAX_YEAR}"


def parse_moment(value: Any, tz: ZoneInfo) -> datetime | str:
    """Parse a front-matter date; return the datetime or a message saying what is wrong."""
    parsed = _parse_moment(value, tz)
    if isinstance(parsed, datetime):
        return year_problem(parsed, str(value).strip()) or parsed
    return parsed


def _parse_moment(value: Any, tz: ZoneInfo) -> datetime | str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return f"expected a date, got {describe(value)}"
    text = str(value).strip()
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return f"'{text}' is not a real date"
        return datetime.combine(day, time(), tzinfo=tz)
    match = _DATETIME.match(text)
    if match:
        if not match.group("offset"):
            return (
                f"the date-time '{text}' has no UTC offset, so its moment is ambiguous; "
                "add one such as -04:00, or give just the date"
            )
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return f"'{text}' is not a real date-time"
    return f"expected a date like 2016-10-07, got '{text}'"


def lookup_table(items: Iterable[T], keys: Callable[[T], Iterable[str]]) -> dict[str, T]:
    """Index items by every one of their keys, case-insensitively."""
    table: dict[str, T] = {}
    for item in items:
        for key in keys(item):
            if key:
                table.setdefault(key.casefold(), item)
    return table
