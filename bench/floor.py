"""The floor under a clean build: what reading and converting the releases costs before any page.

    python -m bench.floor [--size 10000] [--workdir DIR] [--jobs 2]

Over the corpus of ``bench.run`` (generated if missing), in ``--jobs`` processes, nothing
written, it times:

- the issue's "Python floor" row: read each file, load its front matter with libyaml, convert
  its body with a plain ``markdown.Markdown()``;
- the same with this site's Markdown: its extensions (tables, footnotes, toc, smarty, ...) and
  the shortcuts of ``quickmarkdown``, nothing else;
- the whole of loading a release as a build does it: the front matter with positions, validation,
  this site's Markdown, sanitising (nh3), summaries, content lint.

A clean build does the third and then renders, checks and writes every page; the difference
between the two is what the pages cost.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import resource
import time
from collections.abc import Callable
from pathlib import Path

import markdown
import yaml

from advisory_site.markdown.render import Renderer
from advisory_site.source.config import load_config
from advisory_site.source.content import Lookups, load_release
from advisory_site.source.lint import lint_document
from bench.run import corpus, default_workdir

_plain: markdown.Markdown | None = None
_ours: Renderer | None = None


def _split(raw: bytes) -> tuple[str, str]:
    _, front, body = raw.decode("utf-8").split("---\n", 2)
    return front, body


def issue_floor(file: str) -> int:
    global _plain  # noqa: PLW0603 - one Markdown per worker process
    _plain = _plain or markdown.Markdown()
    front, body = _split(Path(file).read_bytes())
    yaml.load(front, Loader=yaml.CSafeLoader)
    _plain.reset()
    return len(_plain.convert(body))


def site_markdown(file: str) -> int:
    global _ours  # noqa: PLW0603 - one Renderer per worker process
    _ours = _ours or Renderer()
    _, body = _split(Path(file).read_bytes())
    _ours._markdown.reset()  # the Markdown step alone, without sanitising
    return len(_ours._markdown.convert(body))


class _Loading:
    """``content.load_release`` as the build's loading workers call it."""

    def __init__(self, site: Path) -> None:
        config = load_config(site, [])
        assert config is not None
        self.config = config
        self.lookups = Lookups.of(config)

    def __call__(self, file: str) -> int:
        global _ours  # noqa: PLW0603
        _ours = _ours or Renderer()
        loaded = load_release(
            Path(file).read_bytes(),
            file,
            config=self.config,
            lookups=self.lookups,
            renderer=_ours,
            lint=functools.partial(lint_document, config=self.config),
        )
        assert loaded.release is not None, loaded.errors
        return len(loaded.release.body)


def timed(work: Callable[[str], int], files: list[str], jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (all processes) of ``work`` over ``files`` in a pool of ``jobs``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        sum(pool.imap_unordered(work, files, chunksize=64))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--workdir", type=Path, default=default_workdir())
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    site = corpus(args.size, args.workdir)
    files = sorted(str(path) for path in (site / "content" / "releases").rglob("*.md"))
    print(f"{len(files):,} releases, {args.jobs} processes, nothing written\n")
    print("| step | wall s | CPU s | CPU ms a release |")
    print("|---|---|---|---|")
    for label, work in (
        ("read + YAML + plain Python-Markdown (the issue's floor)", issue_floor),
        ("read + this site's Markdown (extensions, quickmarkdown)", site_markdown),
        ("loading a release as a build does (all of it)", _Loading(site)),
    ):
        wall, cpu = timed(work, files, args.jobs)
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {cpu / len(files) * 1000:.2f} |")


if __name__ == "__main__":
    main()
