"""Symbolic links in the site folder that lead out of it, found before anything is read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from advisory_site.core.errors import ContentError

LINKED_FOLDERS = ("content", "templates", "locales", "static")


def outside_links(site_dir: Path) -> list[ContentError]:
    """Symbolic links in content/, templates/, locales/ and static/ that lead out of the site
    folder.

    A pull request can add a link to /etc/passwd or ~/.ssh/id_rsa as easily as a release;
    following it would publish that file.
    """
    root = site_dir.resolve()
    errors = []
    for folder in LINKED_FOLDERS:
        for link in _links(site_dir / folder):
            relative = link.relative_to(site_dir).as_posix()
            try:
                target = link.resolve(strict=False)
            except (OSError, RuntimeError):
                target = None
            if target is None or not target.is_relative_to(root):
                errors.append(
                    ContentError(
                        path=relative,
                        message="is a symbolic link that points outside the site folder",
                        hint="copy the file into the site instead of linking to it",
                    )
                )
    return errors


def _links(folder: Path) -> Iterator[Path]:
    if folder.is_symlink():
        yield folder
        return
    yield from _walk_links(str(folder))


def _walk_links(folder: str) -> Iterator[Path]:
    """The symbolic links in ``folder`` and below, in the order of ``os.walk`` (each folder's
    by name, then its subfolders'), from the directory listings alone: no stat of each file,
    of which a site has thousands."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in sorted(entries, key=lambda entry: entry.name):
        if entry.is_symlink():
            yield Path(entry.path)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_links(entry.path)
