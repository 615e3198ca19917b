"""Search benchmark: Pagefind index time and size, and the bytes one query downloads.

    python -m bench.search                      # 1,000 and 10,000 synthetic releases
    python -m bench.search --releases 1000      # one size only

For each size it writes a synthetic site (deterministic: same size, same site), builds it with
--no-search, then times `advisory_site.publish.search.index_releases` (the build's own search
step, with no kept index) over the output, twice, comparing the two indexes file by file. For the
largest size it serves the output on 127.0.0.1 and opens /search/ in Debian's chromium, adding up
the bytes of every response for the page load and for one query. Figures go to stdout;
bench/README.md records them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from advisory_site.commands.cli import main as advisory_site
from advisory_site.engine.build import load_site, published
from advisory_site.publish.search import index_releases
from bench.generate import copy_site_files
from tests.localhost import serve_folder

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-24T12:00:00+00:00"
TOPICS = ("election-security", "cybersecurity", "border-security", "disaster-response")
AGENCIES = ("dhs", "cisa", "fema", "odni")
KINDS = ("press-release", "statement", "fact-sheet", "speech", "advisory")
PUNCTUATION = ".,;:()\"'\u201c\u201d\u2019"
QUERIES = ("election security", "flooding recovery centers")


# -- a deterministic synthetic site -------------------------------------------------------------


def vocabulary() -> tuple[str, ...]:
    """The words of the sample releases, commonest first, then made-up words for a long tail."""
    real: set[str] = set()
    for file in sorted((REPO / "content" / "releases").rglob("*.md")):
        body = file.read_text(encoding="utf-8").split("---", 2)[-1]
        real.update(w.strip(PUNCTUATION).lower() for w in body.split())
    rng = random.Random(5)  # noqa: S311  (benchmark text, not security)
    words = sorted(w for w in real if w.isalpha())
    rng.shuffle(words)
    syllables = ("ka", "ro", "mi", "te", "lun", "sar", "vo", "din", "pe", "gra", "tho", "wes")
    made_up: set[str] = set()
    while len(made_up) < 20_000:
        made_up.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return (*words, *sorted(made_up - real))


def write_site(folder: Path, count: int) -> None:
    """A site of ``count`` releases over ten years, about 350 words each."""
    (folder / "content").mkdir(parents=True)
    copy_site_files(folder)
    words = vocabulary()
    # Zipf-like word frequencies, as in real text: a few words are everywhere, most are rare
    weights = [1 / (rank + 1) for rank in range(len(words))]
    rng = random.Random(count)  # noqa: S311
    first = date(2016, 1, 1)
    for number in range(count):
        day = first + timedelta(days=number * 3650 // count)
        text = rng.choices(words, weights=weights, k=350)
        # a short first paragraph (it is the summary, which content lint keeps under 300 characters)
        cuts = (0, 30, 110, 190, 270, 350)
        paragraphs = [" ".join(text[a:b]).capitalize() + "." for a, b in itertools.pairwise(cuts)]
        title = " ".join(rng.choices(words[:600], k=8)).title()
        topics = sorted(set(rng.sample(TOPICS, rng.randint(1, 2))))
        agencies = sorted(set(rng.sample(AGENCIES, rng.randint(1, 2))))
        release = (
            f"---\ntitle: Release {number} {title}\nrelease_date: {day.isoformat()}\n"
            f"kind: {rng.choice(KINDS)}\nagencies: [{', '.join(agencies)}]\n"
            f"topics: [{', '.join(topics)}]\nslug: release-{number}\n---\n"
            + "\n\n".join(paragraphs)
            + "\n"
        )
        path = folder / "content" / "releases" / f"{day.year}" / f"release-{number}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(release, encoding="utf-8")


# -- index time and size ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFigures:
    releases: int
    seconds: tuple[float, ...]  # wall clock
    cpu_seconds: tuple[float, ...]  # user + system time of the Pagefind process
    peak_kib: int  # the largest resident set of any child process so far
    total_bytes: int
    files: int
    by_part: dict[str, tuple[int, int]]  # part -> (files, bytes)
    unstable: tuple[str, ...]  # files that differ between two runs over the same site


def part_of(path: str) -> str:
    if path.startswith(("fragment/", "index/", "filter/")):
        return path.split("/", 1)[0]
    if path.endswith(".pf_meta"):
        return "meta"
    return "bundle (JS, WASM, CSS)"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def measure_index(workdir: Path, count: int) -> tuple[IndexFigures, Path]:
    site = workdir / f"site-{count}"
    write_site(site, count)
    output = site / "_site"
    started = time.perf_counter()
    code = advisory_site(["build", "--site", str(site), "--now", NOW, "--no-search"])
    print(f"  build without search: {time.perf_counter() - started:.1f} s (exit {code})")
    loaded = published(load_site(site), datetime.fromisoformat(NOW))
    runs: list[dict[str, bytes]] = []
    seconds: list[float] = []
    cpu: list[float] = []
    memory: list[int] = []
    for _ in range(2):
        shutil.rmtree(output / "pagefind", ignore_errors=True)
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        index_releases(loaded, output)
        seconds.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        memory.append(after.ru_maxrss)
        runs.append(tree(output / "pagefind"))
    first, second = runs
    unstable = tuple(
        sorted(set(first) ^ set(second) | {p for p in first if second.get(p) != first[p]})
    )
    by_part: dict[str, tuple[int, int]] = {}
    for path, data in second.items():
        files, size = by_part.get(part_of(path), (0, 0))
        by_part[part_of(path)] = (files + 1, size + len(data))
    figures = IndexFigures(
        releases=count,
        seconds=tuple(seconds),
        cpu_seconds=tuple(cpu),
        peak_kib=max(memory),
        total_bytes=sum(len(d) for d in second.values()),
        files=len(second),
        by_part=by_part,
        unstable=unstable,
    )
    return figures, output


# -- bytes a reader downloads -------------------------------------------------------------------


def measure_query(output: Path, words: str) -> tuple[int, int, int, int]:
    """(page-load bytes, page-load requests, query bytes, query requests) for one query."""
    from playwright.sync_api import Response, sync_playwright  # noqa: PLC0415

    loaded: list[int] = []
    with serve_folder(output) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()

        def record(response: Response) -> None:
            sizes = response.request.sizes()
            loaded.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

        page.on("response", record)
        page.goto(origin + "/search/")
        page.wait_for_selector("#search-form[data-ready]")
        page.wait_for_load_state("networkidle")
        page_load = list(loaded)
        loaded.clear()
        page.fill("#search-query", words)
        page.press("#search-query", "Enter")
        page.wait_for_function(
            "document.querySelector('#search-status').textContent.includes('found')"
        )
        page.wait_for_load_state("networkidle")
        query = list(loaded)
        browser.close()
    return sum(page_load), len(page_load), sum(query), len(query)


def kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size >= 10 * 1024 else f"{size / 1024:,.1f} KiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="advisory-search-bench-"))
    print(f"Search benchmark, {datetime.now(UTC):%Y-%m-%d}, work folder {workdir}")
    largest: Path | None = None
    try:
        for count in sorted(args.releases):
            print(f"{count:,} releases:")
            figures, largest = measure_index(workdir, count)
            runs = ", ".join(f"{s:.2f} s" for s in figures.seconds)
            cpu = ", ".join(f"{s:.2f} s" for s in figures.cpu_seconds)
            print(f"  index time: {runs} wall clock; {cpu} CPU (user + system)")
            print(f"  peak memory of the indexer: {figures.peak_kib / 1024:,.0f} MiB")
            print(f"  index size: {kib(figures.total_bytes)} in {figures.files:,} files")
            for part, (files, size) in sorted(figures.by_part.items()):
                print(f"    {part}: {files:,} files, {kib(size)}")
            print(f"  files that differ between two runs: {len(figures.unstable)}")
            for path in figures.unstable[:12]:
                print(f"    {path}")
        if largest is not None:
            for words in QUERIES:
                load, load_count, query, query_count = measure_query(largest, words)
                print(f"query {words!r} on the largest site:")
                print(f"  opening /search/: {kib(load)} in {load_count} responses")
                print(f"  the query: {kib(query)} in {query_count} responses")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
