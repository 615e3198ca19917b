"""Coverage-guided fuzz target (atheris) for the release validator.

Feeds arbitrary bytes through the same path a release file takes in a build: decode -> split
front matter -> load YAML -> validate into a Release (or content errors), then lint. Any
exception, an error without a file and line, a URL that could leave the output folder, or an
input that takes more than SLOW seconds of processor time (instrumented) is a crash.

An input that starts with ``REPEAT`` is a Markdown piece to scale up: its next three bytes give
a count, and the body is the rest repeated that many times, up to the 2 MiB file limit, with
front matter that is valid; so libFuzzer mutates short pieces (its dictionary holds every
Markdown trigger) and the target tries them at the sizes where Markdown gets slow.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_release.py fuzz/corpus -dict=fuzz/release.dict -max_total_time=600

See fuzz/README.md for the last recorded run.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib
import sys
import time

import atheris

with atheris.instrument_imports(include=["advisory_site", "yaml", "markdown"]):
    from advisory_site.core.errors import ContentError
    from advisory_site.core.models import Agency, Contact, Kind, SiteConfig, Topic
    from advisory_site.core.urls import alias_problem, output_path
    from advisory_site.markdown.render import Renderer
    from advisory_site.source.content import Lookups, load_release
    from advisory_site.source.lint import lint_document
    from advisory_site.source.yamlload import UNPRINTABLE

PATH = "content/releases/2016/fuzz.md"
CONFIG = SiteConfig(
    title="Fuzz Press Room",
    base_url="https://www.example.gov/",
    time_zone="America/New_York",
    organisation="Fuzz Agency",
    default_contact=Contact(office="Press Office", phone="202-555-0100"),
    topics=(Topic(id="cybersecurity", name="Cybersecurity"),),
    agencies=(Agency(id="dhs", name="Department of Homeland Security", short_name="DHS"),),
    kinds=(Kind(id="press-release", name="Press Release"), Kind(id="statement", name="Statement")),
    time_limit=60,  # far above SLOW: the target, not the budget, judges what is slow
)
LOOKUPS = Lookups.of(CONFIG)
RENDERER = Renderer()
# Processor seconds: instrumented code runs about three times slower, so about 2 s in a build
# (where the default budget stops a file at 5); an ordinary 2 MiB release takes about 1 s here.
SLOW = 6.0
REPEAT = b"\x00R"
MAX_FILE = 2 * 1024 * 1024
FRONT = b"---\ntitle: Fuzz\nrelease_date: 2016-10-07\nkind: statement\n---\n"


def scaled(data: bytes) -> bytes:
    """``data`` itself, or (for ``REPEAT`` + count + piece) the piece repeated in a body."""
    if not data.startswith(REPEAT) or len(data) < 6:
        return data
    piece = data[5:]
    count = min(int.from_bytes(data[2:5], "big"), (MAX_FILE - len(FRONT)) // len(piece))
    return FRONT + piece * count


def check_error(error: ContentError) -> None:
    if error.path != PATH or error.line < 0 or error.column < 0 or not error.message:
        raise AssertionError(f"malformed error: {error!r}")
    str(error)


def check_inside(url: str) -> None:
    path = output_path(url)
    parts = path.split("/")
    if path.startswith("/") or {"", ".", ".."} & set(parts) or not path.isascii():
        raise AssertionError(f"{url!r} would be written at {path!r}")


def test_one_input(data: bytes) -> None:
    raw = scaled(data)
    started = time.process_time()
    lint = functools.partial(lint_document, config=CONFIG)
    loaded = load_release(raw, PATH, config=CONFIG, lookups=LOOKUPS, renderer=RENDERER, lint=lint)
    spent = time.process_time() - started
    if spent > SLOW:
        # kept here too: libFuzzer may be stopped before it writes its artifact
        name = hashlib.sha1(data).hexdigest()  # noqa: S324 - a file name, as libFuzzer's
        pathlib.Path(f"fuzz/crashes/slow-input-{name}").write_bytes(data)
        raise AssertionError(f"slow input: {spent:.1f} s for {len(raw):,} bytes")
    for error in (*loaded.errors, *loaded.warnings):
        check_error(error)
    release = loaded.release
    if release is None:
        if not loaded.errors:
            raise AssertionError("no release and no error")
        return
    if loaded.errors:
        raise AssertionError(f"a release despite errors: {loaded.errors}")
    for name in ("title", "summary", "distribution", "slug"):
        if UNPRINTABLE.search(getattr(release, name)):
            raise AssertionError(f"{name} holds an unprintable character")
    if UNPRINTABLE.search(release.body.decode()):
        raise AssertionError("the body holds an unprintable character")
    check_inside(release.url)
    for alias in release.aliases:
        if alias_problem(alias):
            raise AssertionError(f"accepted a bad alias {alias!r}")
        check_inside(alias)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
