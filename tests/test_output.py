"""The only writer: a complete new folder swapped in, or nothing changed; the previous site kept
as the spare that the next build starts from, whatever state it is in."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisory_site.core.errors import OutputError
from advisory_site.publish import output
from advisory_site.publish.output import Unchanged, spare_path, write_site
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
    assert oct(target.stat().st_mode & 0o777) == "0o755"
    # the previous site is kept as the spare, for the next build to start from
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.spare", "_site"]
    assert read_tree(spare_path(target)) == {"a.html": b"1", "old/b.html": b"2"}


def test_failure_while_writing_leaves_the_previous_site(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, [File("a.html", b"1")])

    def files() -> Iterator[File]:
        yield File("b.html", b"2")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_site(target, files())
    assert read_tree(target) == {"a.html": b"1"}
    # no staging folder is left: the half-made one is the spare, for the next build to check
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.spare", "_site"]


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
    # the half-written staging folder was the spare of this build; now the spare is the previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.spare", "_site"]
    assert read_tree(spare_path(target)) == {"a.html": b"previous"}


# -- the spare ------------------------------------------------------------------------------

FIRST: list[File | Unchanged] = [
    File("a.html", b"a1"),
    File("sub/b.html", b"b1"),
    File("sub/deep/c.html", b"c1"),
]
SECOND: list[File | Unchanged] = [
    Unchanged("a.html"),
    File("sub/b.html", b"b2"),
    Unchanged("sub/deep/c.html"),
    File("old/d.html", b"d2"),
]
THIRD: list[File | Unchanged] = [
    Unchanged("a.html"),
    File("new/e.html", b"e3"),
    File("sub/b.html", b"b3"),
    Unchanged("sub/deep/c.html"),
]
THIRD_TREE = {"a.html": b"a1", "new/e.html": b"e3", "sub/b.html": b"b3", "sub/deep/c.html": b"c1"}


def shape(folder: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every entry under ``folder``: its kind, permission bits and (for a file) bytes."""
    entries: dict[str, tuple[str, int, bytes]] = {}
    for path in sorted(folder.rglob("*")):
        found = path.lstat()
        kind = (
            "folder"
            if stat.S_ISDIR(found.st_mode)
            else "file"
            if stat.S_ISREG(found.st_mode)
            else "other"
        )
        data = path.read_bytes() if kind == "file" else b""
        entries[path.relative_to(folder).as_posix()] = (kind, stat.S_IMODE(found.st_mode), data)
    return entries


def inode(path: Path) -> tuple[int, int]:
    found = path.lstat()
    return found.st_dev, found.st_ino


def clean_build(tmp_path: Path) -> dict[str, tuple[str, int, bytes]]:
    """The third site, written into an empty folder."""
    clean = tmp_path / "clean" / "_site"
    write_site(clean, [File(path, data) for path, data in THIRD_TREE.items()])
    return shape(clean)


def test_a_rebuild_keeps_what_did_not_change_and_never_writes_into_a_shared_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "_site"
    write_site(target, FIRST)
    unchanged = inode(target / "a.html")
    write_site(target, SECOND)
    spare = spare_path(target)
    assert inode(target / "a.html") == inode(spare / "a.html") == unchanged
    write_site(target, THIRD)
    assert shape(target) == clean_build(tmp_path)
    # the spare's a.html was the very file of the output folder: kept, not linked again
    assert inode(target / "a.html") == unchanged
    # the second site, now the spare, is whole: writing sub/b.html went to a new file
    assert read_tree(spare) == {
        "a.html": b"a1",
        "old/d.html": b"d2",
        "sub/b.html": b"b2",
        "sub/deep/c.html": b"c1",
    }


def test_deleting_the_spare_is_safe(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, FIRST)
    write_site(target, SECOND)
    shutil.rmtree(spare_path(target))
    write_site(target, THIRD)
    assert shape(target) == clean_build(tmp_path)


def test_without_an_atomic_exchange_the_previous_site_is_kept_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "_exchange", lambda first, second: False)
    target = tmp_path / "_site"
    write_site(target, FIRST)
    write_site(target, SECOND)
    write_site(target, THIRD)
    assert shape(target) == clean_build(tmp_path)
    assert read_tree(spare_path(target))["old/d.html"] == b"d2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.spare", "_site", "clean"]


def test_a_spare_without_its_output_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, FIRST)
    write_site(target, SECOND)
    shutil.rmtree(target)
    write_site(target, [File(path, data) for path, data in THIRD_TREE.items()])
    assert shape(target) == clean_build(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "clean"]


Damage = Callable[[Path, Path], None]
"""Changes the spare (first argument); the second is a folder outside the site."""


def extra_entries(spare: Path, outside: Path) -> None:
    (spare / "extra.html").write_bytes(b"extra")
    (spare / "sub" / "deep" / "extra.html").write_bytes(b"extra")
    (spare / "gone" / "far").mkdir(parents=True)
    (spare / "gone" / "far" / "x.html").write_bytes(b"x")
    os.mkfifo(spare / "sub" / "fifo")


def missing_entries(spare: Path, outside: Path) -> None:
    (spare / "a.html").unlink()
    shutil.rmtree(spare / "sub")


def changed_file(spare: Path, outside: Path) -> None:
    """Another inode with other bytes where the output folder's file is expected."""
    (spare / "a.html").unlink()
    (spare / "a.html").write_bytes(b"changed")


def same_bytes_other_inode(spare: Path, outside: Path) -> None:
    (spare / "sub" / "deep" / "c.html").unlink()
    (spare / "sub" / "deep" / "c.html").write_bytes(b"c1")


def links_where_folders_are_expected(spare: Path, outside: Path) -> None:
    shutil.rmtree(spare / "sub")
    (spare / "sub").symlink_to(outside)
    (spare / "new").symlink_to(outside)


def links_where_files_are_expected(spare: Path, outside: Path) -> None:
    for name in ("a.html", "new/e.html", "sub/b.html"):
        (spare / name).parent.mkdir(exist_ok=True)
        (spare / name).unlink(missing_ok=True)
        (spare / name).symlink_to(outside / "victim.html")


def file_where_a_folder_is_expected(spare: Path, outside: Path) -> None:
    shutil.rmtree(spare / "sub")
    (spare / "sub").write_bytes(b"not a folder")
    (spare / "new").write_bytes(b"not a folder")


def folder_where_a_file_is_expected(spare: Path, outside: Path) -> None:
    (spare / "a.html").unlink()
    (spare / "a.html" / "inside").mkdir(parents=True)
    (spare / "a.html" / "inside" / "x.html").write_bytes(b"x")
    (spare / "sub" / "b.html").unlink()
    (spare / "sub" / "b.html").mkdir()


def folders_made_otherwise(spare: Path, outside: Path) -> None:
    """A folder with another mode (another umask), one of another user."""
    (spare / "sub").chmod(0o700)
    os.chown(spare / "sub" / "deep", 12345, 12345)


def spare_is_a_link(spare: Path, outside: Path) -> None:
    shutil.rmtree(spare)
    spare.symlink_to(outside)


def spare_is_a_file(spare: Path, outside: Path) -> None:
    shutil.rmtree(spare)
    spare.write_bytes(b"not a folder")


@pytest.mark.parametrize(
    "damage",
    [
        extra_entries,
        missing_entries,
        changed_file,
        same_bytes_other_inode,
        links_where_folders_are_expected,
        links_where_files_are_expected,
        file_where_a_folder_is_expected,
        folder_where_a_file_is_expected,
        folders_made_otherwise,
        spare_is_a_link,
        spare_is_a_file,
    ],
)
def test_any_state_of_the_spare_gives_the_clean_site(tmp_path: Path, damage: Damage) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.html").write_bytes(b"victim")
    target = tmp_path / "out" / "_site"
    write_site(target, FIRST)
    write_site(target, SECOND)
    linked = {file.path: inode(target / file.path) for file in THIRD if isinstance(file, Unchanged)}
    second = read_tree(target)
    damage(spare_path(target), outside)

    write_site(target, THIRD)
    assert shape(target) == clean_build(tmp_path)
    for path, previous in linked.items():  # the output folder's file, however the spare's was
        assert inode(target / path) == previous
    assert read_tree(spare_path(target)) == second
    assert shape(outside) == {"victim.html": ("file", 0o644, b"victim")}


def test_a_failed_rebuild_leaves_the_site_and_keeps_the_spare(tmp_path: Path) -> None:
    target = tmp_path / "_site"
    write_site(target, FIRST)
    write_site(target, SECOND)

    def files() -> Iterator[File | Unchanged]:
        yield from THIRD[:2]
        raise RuntimeError("renderer crashed")

    second = shape(target)
    with pytest.raises(RuntimeError):
        write_site(target, files())
    assert shape(target) == second
    # the half-made folder is the spare now: the next build starts from it, whatever it holds
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.spare", "_site"]
    write_site(target, THIRD)
    assert shape(target) == clean_build(tmp_path)


def test_the_search_index_of_the_spare_is_not_kept(tmp_path: Path) -> None:
    target = tmp_path / "_site"

    def index(folder: Path) -> None:
        assert not (folder / "pagefind").exists()
        (folder / "pagefind").mkdir()
        (folder / "pagefind" / "index.pf").write_bytes(b"index")

    write_site(target, FIRST, finish=index)
    write_site(target, SECOND, finish=index)
    write_site(target, THIRD, finish=index)
    assert read_tree(target) == {**THIRD_TREE, "pagefind/index.pf": b"index"}
