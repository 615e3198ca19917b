"""The whole output of a small site, compared file by file with tests/golden/expected.

Regenerate after an intended change with:  UPDATE_GOLDEN=1 ./scripts/test tests/test_golden.py
and review the diff in git.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from advisory_site.commands.cli import main
from tests.conftest import NOW_ISO, REPO, read_tree

GOLDEN = Path(__file__).resolve().parent / "golden"


def build_golden(tmp_path: Path) -> dict[str, bytes]:
    site = tmp_path / "site"
    shutil.copytree(GOLDEN / "site", site)
    shutil.copytree(REPO / "templates", site / "templates")
    shutil.copytree(REPO / "locales", site / "locales")
    assert main(["build", "--site", str(site), "--now", NOW_ISO]) == 0
    # static assets are the site's own files, copied verbatim; pagefind/ is Pagefind's search
    # bundle, partly not byte-stable (see tests/test_search.py); the engine's output is the rest
    return {
        path: data
        for path, data in read_tree(site / "_site").items()
        if not path.startswith(("static/", "pagefind/"))
    }


def test_output_matches_golden(tmp_path: Path) -> None:
    actual = build_golden(tmp_path)
    expected_dir = GOLDEN / "expected"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, data in actual.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_bytes(data)
    expected = read_tree(expected_dir)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    for path in sorted(expected):
        if actual[path] != expected[path]:
            diff = "\n".join(
                difflib.unified_diff(
                    expected[path].decode().splitlines(),
                    actual[path].decode().splitlines(),
                    f"expected/{path}",
                    f"actual/{path}",
                    lineterm="",
                )
            )
            raise AssertionError(f"{path} differs from the golden copy:\n{diff}")
