"""The site search index: Pagefind's bundled binary, run over the finished site before it goes live.

Release pages mark what is searchable in their templates (``data-pagefind-body`` on the release,
``data-pagefind-filter`` and ``data-pagefind-meta`` on its facts); Pagefind reads the HTML files
of the complete staging folder and writes its chunked index into ``pagefind/`` beside them. Drafts
and embargoed releases are never in the output, so they are never indexed.

The binary is used rather than Pagefind's Python API: the API drives the same binary through an
asyncio service and writes files when its context closes, while one plain process run gives one
exit status and one error text to report.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from advisory_site.errors import OutputError

INDEX_FOLDER = "pagefind"  # where the index goes in the output folder, served as /pagefind/
BINARY_VARIABLE = "PAGEFIND_BINARY_PATH"  # Pagefind's own override of its bundled binary


class SearchError(OutputError):
    """The search index could not be built; the previous site was left as it was."""


def pagefind_binary() -> Path:
    """The Pagefind executable: $PAGEFIND_BINARY_PATH, else the one bundled by pagefind[bin]."""
    override = os.environ.get(BINARY_VARIABLE)
    if override:
        return Path(override)
    try:
        from pagefind_bin import get_executable  # noqa: PLC0415  (only builds with search need it)
    except ImportError:
        raise SearchError(
            "the search indexer is not installed; run `pip install -e .` to install "
            "pagefind[bin], or build with --no-search for a preview without search"
        ) from None
    try:
        return Path(get_executable())
    except FileNotFoundError as exc:
        raise SearchError(
            f"the search indexer's binary is missing ({exc}); reinstall pagefind[bin], "
            "or build with --no-search for a preview without search"
        ) from None


def index_site(folder: Path, *, binary: Path | None = None) -> None:
    """Write the search index of the HTML pages in ``folder`` into ``folder/pagefind``."""
    executable = binary or pagefind_binary()
    command = [
        str(executable),
        "--site",
        str(folder),
        "--output-subdir",
        INDEX_FOLDER,
        "--quiet",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise SearchError(
            f"cannot run the search indexer {executable}: {exc.strerror or exc}; "
            "the previous site was left as it was (build with --no-search to skip search)"
        ) from None
    if result.returncode != 0:
        raise SearchError(
            f"the search indexer {executable.name} failed with exit status {result.returncode}"
            f"{_explain(result.stdout + result.stderr)}; the previous site was left as it was"
        )
    if not (folder / INDEX_FOLDER / "pagefind.js").is_file():
        raise SearchError(
            f"the search indexer {executable.name} wrote no index; "
            "the previous site was left as it was"
        )


def _explain(output: str) -> str:
    """Pagefind's own error lines, to say why it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")] or lines[-2:]
    return ": " + " ".join(dict.fromkeys(errors)) if errors else ""
