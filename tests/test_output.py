"""The only writer: a complete new folder swapped in, or nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisory_site.errors import OutputError
from advisory_site.output import write_site
from tests.conftest import read_tree


@dataclass(frozen=True)
class File:
    path: str
    data: bytes


def test_replaces_the_whole_folder(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, [File("a.html", b"1"), File("old/b.html", b"2")])
    write_site(target, [File("a.html", b"3"), File("new/c.html", b"4")])
    assert read_tree(target) == {"a.html": b"3", "new/c.html": b"4"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]
    assert oct(target.stat().st_mode & 0o777) == "0o755"


def test_failure_while_writing_leaves_the_previous_site(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, [File("a.html", b"1")])

    def files() -> Iterator[File]:
        yield File("b.html", b"2")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_site(target, files())
    assert read_tree(target) == {"a.html": b"1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_paths_outside_the_folder_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, [File("a.html", b"1")])
    with pytest.raises(OutputError, match="outside the output folder"):
        write_site(target, [File("../escape.html", b"x")])
    assert not (tmp_path / "escape.html").exists()
    assert read_tree(target) == {"a.html": b"1"}


def test_leftovers_of_a_killed_build_are_repaired(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    # killed between the two renames of the fallback swap: only the retired copy exists
    retired = tmp_path / "._site.old-abc"
    retired.mkdir()
    (retired / "a.html").write_bytes(b"previous")
    staging = tmp_path / "._site.new-def"
    staging.mkdir()
    (staging / "half.html").write_bytes(b"half")
    write_site(target, [File("a.html", b"next")])
    assert read_tree(target) == {"a.html": b"next"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]
