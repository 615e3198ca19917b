"""Errors that press staff can act on: file, line, column, field, what was found, what to do."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisory_site.core.report import as_text


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentError:
    """One problem in one file, reported as ``path:line:column: field: message`` (see
    ``report``, which also writes it as an annotation or on the preview's page).

    ``path`` is relative to the site folder, so the message is the same on every machine.
    ``line`` and ``column`` are 1-based; 0 means the problem concerns the whole file.
    """

    path: str
    line: int = 0
    column: int = 0
    field: str = ""
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return as_text(self)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.field, self.message)


class BuildError(Exception):
    """Raised when content or configuration problems stop the build; carries all of them."""

    def __init__(self, errors: Sequence[ContentError]) -> None:
        self.errors: tuple[ContentError, ...] = tuple(sorted(errors, key=ContentError.sort_key))
        super().__init__("\n".join(str(error) for error in self.errors))


class OutputError(Exception):
    """The output folder could not be written (read-only, full disk, ...); nothing was changed."""


class UsageError(Exception):
    """The command was called wrongly (exit status 2)."""


def suggest(value: str, choices: Iterable[str]) -> str:
    """Return 'did you mean X?' for the closest choice to ``value``, or '' when none is close."""
    options = list(choices)
    by_lower: dict[str, str] = {}
    for option in options:
        by_lower.setdefault(option.lower(), option)
    matches = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    if matches:
        return f"did you mean {by_lower[matches[0]]}?"
    return ""
