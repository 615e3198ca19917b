"""The one place that turns problems into what people read: terminal lines, GitHub Actions
annotations and the preview server's error page.

A problem (``ContentError``) says where (file, line, column, field), what is wrong and what to
do. The same problem reads alike everywhere: ``path:line:column: field: message (hint)`` in a
terminal, an annotation on that line of a pull request, an item of the preview's page with the
line quoted. Every problem is reported, not just the first. Template mistakes are located here
too (``template_problem``), so every channel names the same file and line for them.
"""

from __future__ import annotations

import html
import os
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisory_site.core.errors import ContentError

MAX_MESSAGE = 300
"""Longest message printed: a problem echoes the value it found, which may be huge."""


def clip(text: str) -> str:
    """One line of at most MAX_MESSAGE characters."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def location(problem: ContentError) -> str:
    """``path``, or ``path:line:column`` when the problem is on a line."""
    if not problem.line:
        return problem.path
    return f"{problem.path}:{problem.line}:{problem.column or 1}"


def as_text(problem: ContentError, *, warning: bool = False) -> str:
    """One terminal line: ``path:line:column: [warning: ]field: message (hint)``."""
    text = f"{location(problem)}: " + ("warning: " if warning else "")
    text += f"{clip(problem.field)}: " if problem.field else ""
    text += clip(problem.message)
    return text + (f" ({clip(problem.hint)})" if problem.hint else "")


def annotation(level: str, problem: ContentError, site_dir: Path) -> str:
    """A GitHub Actions workflow command (``level`` 'error' or 'warning') that shows
    ``problem`` on its line of a pull request."""
    properties = {"file": workspace_path(site_dir / problem.path)}
    if problem.line:
        properties["line"] = str(problem.line)
        properties["col"] = str(problem.column or 1)
    properties["title"] = problem.field or "advisory-site"
    message = problem.message + (f" ({problem.hint})" if problem.hint else "")
    listed = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    return f"::{level} {listed}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as the GitHub Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(file: Path) -> str:
    """The file relative to the working folder (the repository root in CI) where possible."""
    relative = os.path.relpath(file.absolute())
    return Path(relative).as_posix() if not relative.startswith("..") else file.as_posix()


def html_page(
    problems: Sequence[ContentError], source_line: Callable[[ContentError], str | None]
) -> str:
    """The preview's page listing every problem, with the line it is on (``source_line``
    reads it from the file); all text escaped."""
    items = []
    for problem in problems:
        field = f"<strong>{html.escape(problem.field)}</strong>: " if problem.field else ""
        hint = f" <em>({html.escape(problem.hint)})</em>" if problem.hint else ""
        source = source_line(problem)
        excerpt = (
            f'<pre><span class="line">{problem.line}</span> {html.escape(source)}</pre>'
            if source is not None
            else ""
        )
        items.append(
            f"<li><code>{html.escape(location(problem))}</code><p>{field}"
            f"{html.escape(problem.message)}{hint}</p>{excerpt}</li>"
        )
    noun = "problem" if len(problems) == 1 else "problems"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{len(problems)} {noun} in the content | Preview</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}li{margin-bottom:1.5rem}code{font-size:1.05rem}"
        "pre{background:#f4e3db;padding:.5rem;overflow-x:auto}.line{color:#71767a}</style>\n"
        "</head>\n<body>\n<main>\n"
        f"<h1>The site cannot be built: {len(problems)} {noun}</h1>\n"
        "<p>Fix the files below and save; this page turns back into the site by itself.</p>\n"
        f'<ol class="problems">\n{"".join(items)}\n</ol>\n</main>\n</body>\n</html>\n'
    )


_TEMPLATE_SUFFIXES = (".html", ".xml")


def template_problem(exc: BaseException, site_dir: Path) -> ContentError | None:
    """A template mistake as a located problem: the template's file (relative to the site
    folder) and line, from a syntax error's own or the innermost template frame of one raised
    while rendering (``{{ 1 / 0 }}``). None if ``exc`` did not come from a template."""
    from advisory_site.core.errors import ContentError  # noqa: PLC0415 - errors imports this

    is_template_error = any(cls.__module__.startswith("jinja2") for cls in type(exc).__mro__)
    # a syntax error knows its file and line (an OSError's filename is no template's)
    filename: str | None = getattr(exc, "filename", None) if is_template_error else None
    line: int = (getattr(exc, "lineno", 0) or 0) if is_template_error else 0
    if not filename:
        frames = traceback.extract_tb(exc.__traceback__)
        in_templates = [frame for frame in frames if frame.filename.endswith(_TEMPLATE_SUFFIXES)]
        if in_templates:
            filename, line = in_templates[-1].filename, in_templates[-1].lineno or 0
    if not filename and not is_template_error:
        return None
    path = Path(filename or "templates")
    try:
        shown = path.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    message = getattr(exc, "message", None) or (
        f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    )
    return ContentError(path=shown, line=line, field="template", message=message)
