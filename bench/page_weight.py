"""The release page's weight on a first load, against the budget of 60 KB gzipped HTML+CSS+JS.

Builds the sample site into a temporary folder, serves it locally, loads the seed release in
Debian's Chromium with an empty cache and records every response. Each body is gzipped (level 6,
what web servers use by default) to give the bytes on the wire.

    .venv/bin/python -m bench.page_weight
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Response, sync_playwright

from advisory_site.commands.cli import main
from tests.localhost import serve_folder

ROOT = Path(__file__).resolve().parent.parent
RELEASE = (
    "/news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
)
BUDGET = 60 * 1024
CODE_TYPES = ("text/html", "text/css", "javascript")


def measure(site: Path) -> list[tuple[str, str, int, int]]:
    """(path, content type, bytes, gzipped bytes) of every response of a first load."""
    loaded: list[tuple[str, str, int, int]] = []
    with serve_folder(site) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        responses: list[Response] = []
        # Playwright cannot attach its wrapper to a bound builtin such as list.append.
        page.on("response", lambda response: responses.append(response))  # noqa: PLW0108
        page.goto(f"{origin}{RELEASE}", wait_until="load")
        for response in responses:
            body = response.body()
            kind = response.headers.get("content-type", "").split(";")[0]
            size = len(gzip.compress(body, compresslevel=6, mtime=0))
            loaded.append((urlsplit(response.url).path, kind, len(body), size))
        browser.close()
    return loaded


def main_() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        output = Path(temporary) / "_site"
        if main(["build", "--site", str(ROOT), "--output", str(output)]) != 0:
            return 1
        loaded = measure(output)
    code = sum(gz for _, kind, _, gz in loaded if any(t in kind for t in CODE_TYPES))
    rest = sum(gz for _, kind, _, gz in loaded if not any(t in kind for t in CODE_TYPES))
    for path, kind, raw, gz in loaded:
        print(f"{gz:>8,} B gz {raw:>9,} B  {kind:<24} {path}")
    print(f"HTML+CSS+JS: {code:,} B gzipped ({code / 1024:.1f} KB; budget {BUDGET // 1024} KB)")
    print(f"fonts and images: {rest:,} B ({rest / 1024:.1f} KB)")
    return 0 if code <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main_())
