"""Lighthouse (mobile) scores of every page type, against the goal of 100 for accessibility,
best practices and SEO and at least 98 for performance.

Builds a site (the sample site by default; ``--site`` another checkout, e.g. an older commit to
compare with), serves it the way GitHub Pages does (gzip for text, ``Cache-Control:
max-age=600``; tests/localhost.py) and runs the pinned Lighthouse in Debian's Chromium on one
page of each type, ``--runs`` times each (median). Prints a Markdown table with the four scores,
first and largest contentful paint, layout shift, and the CSS a page loads (inline and linked,
raw and gzipped). Exit status 1 when a median misses the goal (the 404 page is exempt from the
SEO audit that wants it indexed).

    .venv/bin/python -m bench.lighthouse [--site PATH] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from advisory_site.commands.cli import main
from tests import lighthouse
from tests.localhost import serve_folder

ROOT = Path(__file__).resolve().parent.parent
RELEASE = (
    "/news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
)
PAGES = {
    "home": "/",
    "release": RELEASE,
    "news listing": "/news/",
    "year archive": "/news/2016/",
    "topic": "/topics/cybersecurity/",
    "agency": "/agencies/dhs/",
    "search": "/search/",
    "standalone page": "/about/",
    "subscribe": "/subscribe/",
    "404": "/404.html",
}
_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
_LINKED = re.compile(rb'<link rel="stylesheet" href="/([^"]+)"')


def css_bytes(site: Path, path: str) -> tuple[int, int]:
    """(raw, gzipped) bytes of the CSS the page at ``path`` carries inline and links."""
    file = site / path.lstrip("/")
    page = (file / "index.html" if file.is_dir() else file).read_bytes()
    parts = [
        *_STYLE.findall(page),
        *((site / href.decode()).read_bytes() for href in _LINKED.findall(page)),
    ]
    return sum(map(len, parts)), sum(len(gzip.compress(part, 6, mtime=0)) for part in parts)


def build(source: Path, output: Path) -> None:
    """Build ``source`` (a site folder) into ``output`` from a copy, writing nothing in it."""
    site = output.parent / "site"
    for folder in ("content", "templates", "locales", "assets", "static"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, site / folder)
    shutil.copy2(source / "package-lock.json", site / "package-lock.json")
    (site / "node_modules").symlink_to((source / "node_modules").resolve())
    if main(["build", "--site", str(site), "--output", str(output)]) != 0:
        raise SystemExit(1)


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    missed: list[str] = []
    print(
        f"Lighthouse {lighthouse.version()}, {lighthouse.CHROMIUM}, mobile, median of "
        f"{options.runs}\n"
    )
    print("| page | perf | a11y | best | SEO | FCP ms | LCP ms | CLS | TBT ms | CSS raw | CSS gz |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as temporary:
        output = Path(temporary) / "_site"
        build(options.site, output)
        with serve_folder(output, static_host=True) as origin:
            for name, path in PAGES.items():
                reports = [lighthouse.run(origin + path) for _ in range(options.runs)]
                score = {
                    category: statistics.median(r.scores[category] for r in reports)
                    for category in lighthouse.CATEGORIES
                }
                metric = {
                    key: statistics.median(r.metrics[key] for r in reports)
                    for key in lighthouse.METRICS
                }
                raw, gz = css_bytes(output, path)
                print(
                    f"| {name} | {score['performance']:.0f} | {score['accessibility']:.0f} | "
                    f"{score['best-practices']:.0f} | {score['seo']:.0f} | "
                    f"{metric['first-contentful-paint']:.0f} | "
                    f"{metric['largest-contentful-paint']:.0f} | "
                    f"{metric['cumulative-layout-shift']:.3f} | "
                    f"{metric['total-blocking-time']:.0f} | {raw:,} | {gz:,} |",
                    flush=True,
                )
                goals = {"performance": 98, "accessibility": 100, "best-practices": 100}
                if name != "404":
                    goals["seo"] = 100
                missed.extend(
                    f"{name}: {category} {score[category]} < {goal}"
                    for category, goal in goals.items()
                    if score[category] < goal
                )
    for line in missed:
        print(f"missed: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main_())
