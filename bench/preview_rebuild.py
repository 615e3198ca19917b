"""How long `advisory-site serve` takes to rebuild after one edit, against a cold build.

    python -m bench.preview_rebuild [RELEASES]

Generates a site of RELEASES releases (default 1000) from the sample site's settings and
templates, then times: a cold preview build, a rebuild with nothing changed, and a rebuild after
one release's body changed (the preview's own build cache: only the pages that show it are
rendered again).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from advisory_site.commands.serve import Preview
from bench.generate import copy_site_files

BODY = """\
The Department announced today a new programme for release {n}. It covers [the guidance](
https://www.example.gov/guidance/{n}) and a table:

| Item | Amount |
|---|---|
| Grants | {n} |

## Background

Paragraph with "quotes" -- and a footnote.[^1]

[^1]: Footnote for release {n}.
"""


def make_site(folder: Path, count: int) -> None:
    (folder / "content/releases/2024").mkdir(parents=True)
    copy_site_files(folder)
    for n in range(count):
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        (folder / f"content/releases/2024/release-{n}.md").write_text(
            f"---\ntitle: Release Number {n}\nrelease_date: 2024-{month:02d}-{day:02d}\n"
            f"topics: [Cybersecurity]\nagencies: [DHS]\n---\n" + BODY.format(n=n),
            encoding="utf-8",
        )


def timed(preview: Preview) -> float:
    started = time.perf_counter()
    outcome = preview.rebuild()
    assert not outcome.errors, outcome.errors
    return time.perf_counter() - started


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp) / "site"
        make_site(site, count)
        preview = Preview(site, Path(temp) / "out", "http://127.0.0.1:8000/", io.StringIO())
        cold = timed(preview)
        unchanged = timed(preview)
        edited = site / "content/releases/2024/release-7.md"
        edited.write_text(edited.read_text() + "\nOne more sentence.\n", encoding="utf-8")
        one_edit = timed(preview)
        print(f"{count} releases, {preview.rendered} pages rendered on the last rebuild")
        print(f"cold preview build:        {cold:6.2f} s")
        print(f"rebuild, nothing changed:  {unchanged:6.2f} s")
        print(f"rebuild after one edit:    {one_edit:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
