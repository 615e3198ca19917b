"""Coverage-guided fuzz target (atheris) for the release validator.

Feeds arbitrary bytes through the same path a release file takes in a build: decode -> split
front matter -> load YAML -> validate into a Release (or content errors). Any exception, an error
without a file and line, or a URL that could leave the output folder is a crash.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_release.py fuzz/corpus -dict=fuzz/release.dict -max_total_time=600

See fuzz/README.md for the last recorded run.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["advisory_site", "yaml", "markdown"]):
    from advisory_site.content import Lookups, parse_release
    from advisory_site.errors import ContentError
    from advisory_site.frontmatter import decode, parse_document
    from advisory_site.models import Agency, Contact, Kind, SiteConfig, Topic
    from advisory_site.render import Renderer
    from advisory_site.urls import alias_problem, output_path
    from advisory_site.yamlload import UNPRINTABLE

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
)
LOOKUPS = Lookups.of(CONFIG)
RENDERER = Renderer()


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
    text = decode(data, PATH)
    document = parse_document(text, PATH) if isinstance(text, str) else text
    if isinstance(document, ContentError):
        check_error(document)
        return
    errors: list[ContentError] = []
    release = parse_release(
        document, PATH, config=CONFIG, lookups=LOOKUPS, renderer=RENDERER, errors=errors
    )
    for error in errors:
        check_error(error)
    if release is None:
        if not errors:
            raise AssertionError("no release and no error")
        return
    if errors:
        raise AssertionError(f"a release despite errors: {errors}")
    for name in ("title", "summary", "distribution", "slug", "body_html"):
        if UNPRINTABLE.search(getattr(release, name)):
            raise AssertionError(f"{name} holds an unprintable character")
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
