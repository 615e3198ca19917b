"""The advisory-site command: build, check, new, serve.

Exit status: 0 success; 1 content, configuration or output problems (printed as
``path:line:column: field: message``, never a traceback); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import jinja2

from advisory_site.commands.cicommands import CI_COMMANDS, add_ci_commands, run_ci_command
from advisory_site.core.errors import BuildError, ContentError, OutputError, UsageError, suggest
from advisory_site.core.models import Release, Site, SiteConfig
from advisory_site.core.report import annotation, template_problem
from advisory_site.core.urls import make_slug, release_url, url_problem
from advisory_site.engine.build import BuildOptions
from advisory_site.engine.cache import CACHE_DIR, CacheStore, NoStore
from advisory_site.engine.executors import Pool, Serial
from advisory_site.engine.pipeline import run
from advisory_site.engine.writers import Compare, Folder, Nowhere
from advisory_site.markdown.render import Renderer
from advisory_site.publish.output import LOCK_WAIT, check_output_place
from advisory_site.publish.search import CACHE as SEARCH_CACHE
from advisory_site.publish.search import INDEX_FOLDER, index_releases, searchable
from advisory_site.site.ledger import (
    KEY_VARIABLE,
    key_id,
    private_key,
    private_pem,
    public_pem,
)
from advisory_site.source.config import load_config, validate_base_url
from advisory_site.source.content import (
    RELEASES_DIR,
    Lookups,
    load_release,
    original_file,
    read_bytes,
)
from advisory_site.source.fields import year_problem
from advisory_site.source.lint import LintWarning

T = TypeVar("T")

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2


def parse_now(text: str) -> datetime:
    """An ISO 8601 moment with a UTC offset, for --now."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date-time with offset such as 2016-10-07T12:00:00-04:00, "
            f"got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; add one such as -04:00 or Z")
    problem = year_problem(moment, text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return moment


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_WAIT:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds from 0 to {MAX_WAIT:.0f}, got {text!r}"
        )
    return seconds


MAX_WAIT = 86_400.0


def parse_base_url(text: str) -> str:
    problem = url_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    url = validate_base_url(text)
    if url is None:
        raise argparse.ArgumentTypeError(
            f"expected an absolute address like https://www.dhs.gov/, got {text!r}"
        )
    return url


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisory-site",
        description="Build the press-release website from content/ and templates/.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    site = argparse.ArgumentParser(add_help=False)
    site.add_argument(
        "--site",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="the site folder (holding content/ and templates/); default: here",
    )

    report = argparse.ArgumentParser(add_help=False)
    report.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="how to print problems: text (default) or GitHub Actions annotations",
    )
    report.add_argument(
        "--strict", action="store_true", help="treat content lint warnings as errors"
    )

    build_cmd = commands.add_parser(
        "build", parents=[site, report], help="build the site into _site/"
    )
    build_cmd.add_argument(
        "--output", type=Path, metavar="DIR", help="output folder (default: SITE/_site)"
    )
    build_cmd.add_argument(
        "--base-url",
        type=parse_base_url,
        metavar="URL",
        help="override base_url of site.yaml (for previews)",
    )
    build_cmd.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO-8601",
        help="pin the clock; releases dated later are embargoed",
    )
    build_cmd.add_argument("--drafts", action="store_true", help="include drafts (previews only)")
    build_cmd.add_argument(
        "--future", action="store_true", help="include embargoed releases (previews only)"
    )
    build_cmd.add_argument(
        "--no-search",
        action="store_true",
        help="skip the search index (fast previews; the search page will find nothing)",
    )
    build_cmd.add_argument(
        "--verify-cache",
        action="store_true",
        help="after building, build again without the cache and compare (exit 1 on a difference)",
    )
    build_cmd.add_argument(
        "--wait",
        type=parse_seconds,
        default=LOCK_WAIT,
        metavar="SECONDS",
        help=f"wait this long for another build of the same output folder to finish "
        f"(default: {LOCK_WAIT:.0f}; 0: fail at once)",
    )

    commands.add_parser(
        "check",
        parents=[site, report],
        help="validate everything, print every problem, build nothing",
    )

    serve_cmd = commands.add_parser(
        "serve", parents=[site], help="preview the site with live reload (drafts included)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="default: 8000 (0: any free)")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to listen on; default: 127.0.0.1"
    )

    new_cmd = commands.add_parser("new", parents=[site], help="create a release file")
    new_cmd.add_argument("title", help="the release title")
    new_cmd.add_argument("--kind", help="a kind declared in site.yaml")
    new_cmd.add_argument("--topic", action="append", default=[], help="a topic (repeatable)")
    new_cmd.add_argument("--agency", action="append", default=[], help="an agency (repeatable)")
    new_cmd.add_argument(
        "--translation-of",
        metavar="FILE",
        help="the original this release translates, under content/releases/ (with --lang)",
    )
    new_cmd.add_argument("--lang", help="the release's language, one of site.yaml's languages")
    new_cmd.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO-8601",
        help="the moment whose local date becomes the release date",
    )
    verify_cmd = commands.add_parser(
        "verify",
        help="say which release (and version) of the site holds a text, or that none does",
        description="Check a text against the ledger of a site built by advisory-site: each "
        "paragraph is looked up among every published version of every release. Exit status "
        "0: every paragraph found (and the ledger's signature valid); 1: not found, altered or "
        "badly signed; 2: wrong usage.",
    )
    verify_cmd.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="a text file or a saved page; - or nothing: standard input",
    )
    source = verify_cmd.add_mutually_exclusive_group(required=True)
    source.add_argument("--site", metavar="URL", help="the site's address; its ledger is fetched")
    source.add_argument(
        "--ledger", type=Path, metavar="FILE", help="a saved ledger.json (works offline)"
    )
    verify_cmd.add_argument(
        "--key",
        metavar="KEY",
        help="the office's public key: a PEM file or ed25519:<base64> (default: the one "
        "published beside the ledger)",
    )
    verify_cmd.add_argument(
        "--signature",
        type=Path,
        metavar="FILE",
        help="the ledger's signature (default: ledger.json.sig beside it)",
    )
    keygen_cmd = commands.add_parser("keygen", help="make an Ed25519 key pair to sign the ledger")
    keygen_cmd.add_argument(
        "file", type=Path, metavar="FILE", help="where to write the private key (never commit it)"
    )
    add_ci_commands(commands, parse_base_url=parse_base_url, parse_now=parse_now)
    return parser


EXIT_BUG = 3
BUG_REPORT = (
    "advisory-site: this is a bug in advisory-site, not a problem with your files: please "
    "report it as an issue of the site's repository, with the command you ran and the "
    "lines above."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return run_command(args)
    except KeyboardInterrupt:
        print("advisory-site: stopped (Ctrl-C); nothing was published.", file=sys.stderr)
        return 130
    except Exception as exc:
        problem = template_problem(exc, getattr(args, "site", Path()))
        if problem is not None:  # raised by a template's expression ({{ 1 / 0 }}): its mistake
            report_template_problem(problem, args)
            return EXIT_CONTENT
        # Anything a file, folder, option or answer can cause is reported above as a message;
        # what reaches here is a mistake of ours, shown whole so that it can be fixed.
        traceback.print_exc()
        print(BUG_REPORT, file=sys.stderr)
        return EXIT_BUG


def run_command(args: argparse.Namespace) -> int:
    try:
        if args.command == "build":
            return run_build(args)
        if args.command == "check":
            return run_check(args)
        if args.command in CI_COMMANDS:
            return run_ci_command(args)
        if args.command == "verify":
            from advisory_site.commands.verify import run_verify  # noqa: PLC0415 - jsonschema is slow to import

            return run_verify(
                args.file,
                site=args.site,
                ledger_file=args.ledger,
                key=args.key,
                signature_file=args.signature,
            )
        if args.command == "keygen":
            return run_keygen(args.file)
        if args.command == "serve":
            from advisory_site.commands.serve import serve  # noqa: PLC0415 - only serve needs its watcher

            return serve(args.site, host=args.host, port=args.port)
        return run_new(args)
    except BuildError as exc:
        if getattr(args, "format", "text") == "github":
            for error in exc.errors:
                print(annotation("error", error, args.site))
        print_errors(exc.errors, plain=getattr(args, "format", "text") != "github")
        return EXIT_CONTENT
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    except UsageError as exc:
        print(f"advisory-site: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except jinja2.TemplateError as exc:
        site = getattr(args, "site", Path())
        problem = template_problem(exc, site)
        report_template_problem(problem or ContentError(path="templates", message=str(exc)), args)
        return EXIT_CONTENT


def report_template_problem(problem: ContentError, args: argparse.Namespace) -> None:
    """A mistake in the site's templates: where it is, and that nothing was published."""
    if getattr(args, "format", "text") == "github":
        print(annotation("error", problem, args.site))
    print(problem, file=sys.stderr)
    print("The site's templates need fixing; nothing was built or published.", file=sys.stderr)


def print_errors(errors: Sequence[ContentError], *, plain: bool = True) -> None:
    if plain:
        for error in errors:
            print(error, file=sys.stderr)
    noun = "problem" if len(errors) == 1 else "problems"
    print(f"{len(errors)} {noun} found; nothing was built or published.", file=sys.stderr)


def report_warnings(warnings: Sequence[LintWarning], args: argparse.Namespace) -> None:
    """Print lint findings; with --strict they stop the command as errors."""
    if args.strict and warnings:
        raise BuildError([warning.problem for warning in warnings])
    if args.format == "github":
        lines, stream = [annotation("warning", w.problem, args.site) for w in warnings], sys.stdout
    else:
        lines, stream = [str(warning) for warning in warnings], sys.stderr
    if lines:  # written at once: standard error is line-buffered, a write for each line
        stream.write("\n".join(lines) + "\n")
        stream.flush()


def count(number: int, noun: str) -> str:
    """``number`` and ``noun``, in the plural unless it is one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    site_dir: Path = args.site
    output: Path = args.output or site_dir / "_site"
    check_output_place(site_dir, output)  # before anything is read or written
    now: datetime = args.now or datetime.now(UTC)
    key_text = os.environ.get(KEY_VARIABLE, "")
    options = BuildOptions(
        site_dir=site_dir,
        now=now,
        drafts=args.drafts,
        future=args.future,
        base_url=args.base_url,
        signing_key=private_key(key_text) if key_text.strip() else None,
    )

    reused = False

    def prepare(site: Site, warnings: Sequence[LintWarning]) -> Callable[[Path], None] | None:
        report_warnings(warnings, args)
        if args.no_search or not searchable(site):
            return None

        def index(staging: Path) -> None:
            nonlocal reused
            reused = index_releases(site, staging, cache=site_dir / SEARCH_CACHE)

        return index

    def notify(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    folder = Folder(
        output,
        prepare=prepare,
        unpublished=options.drafts or options.future,
        wait=args.wait,
        notify=notify,
    )
    outcome = run(options, Pool(), CacheStore(), folder)
    indexed = len(searchable(outcome.site))
    search = not args.no_search and indexed > 0
    elapsed = time.perf_counter() - started
    print(
        f"Built {outcome.pages} pages and {outcome.feeds} feeds from "
        f"{count(len(outcome.site.releases), 'release')} ({outcome.left_out}) into {output} "
        f"in {elapsed:.2f} s "
        f"({outcome.reused} pages unchanged)."
    )
    for notice in outcome.notices:
        print(notice)
    if options.signing_key is not None:
        print(f"Signed the ledger with {key_id(options.signing_key.public_key())}.")
    if args.no_search:
        print("Search was skipped (--no-search): the search page finds nothing in this build.")
    elif search:
        kept = " (no release changed: the last build's index, kept in .cache/)" if reused else ""
        print(f"Indexed {indexed} releases for search in {output / INDEX_FOLDER}{kept}.")
    else:
        print("Search has nothing to index: no release is published (or all are withdrawn).")
    upcoming = outcome.next_release_at
    print(
        "Next scheduled release: "
        + (outcome.site.config.local_iso(upcoming) if upcoming else "none")
    )
    if args.verify_cache:
        compare = Compare(output, made_after=(f"{INDEX_FOLDER}/",), wait=args.wait, notify=notify)
        run(options, Pool(), NoStore(), compare)
        problems = compare.problems
        for problem in problems:
            print(f"{output}/{problem}", file=sys.stderr)
        if problems:
            print(
                f"The incremental build differs from a clean build in {len(problems)} files; "
                f"delete {site_dir / CACHE_DIR} and report this.",
                file=sys.stderr,
            )
            return EXIT_CONTENT
        print("Verified: the incremental build is byte for byte a clean build.")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    # Every page is made, drafts and embargoed releases included, so that what only shows when
    # pages are laid out (an alias over a generated page, a template error) is caught too.
    options = BuildOptions(site_dir=args.site, now=datetime.now(UTC), check=True)
    outcome = run(options, Serial(), NoStore(), Nowhere())
    site, warnings = outcome.site, outcome.warnings
    summarise_silent_edits(outcome.silent_edits, args)
    report_warnings(warnings, args)
    drafts = sum(1 for r in site.releases if r.draft)
    noted = (
        f" ({len(warnings)} {'warning' if len(warnings) == 1 else 'warnings'})" if warnings else ""
    )
    print(
        f"No problems found in {count(len(site.releases), 'release')} "
        f"({count(drafts, 'draft')}) and {count(len(site.pages), 'page')}{noted}."
    )
    for notice in outcome.notices:  # so edits to published releases were not checked
        print(notice.replace("built", "checked"))
    return EXIT_OK


def summarise_silent_edits(edits: Sequence[LintWarning], args: argparse.Namespace) -> None:
    """List the silent edits in the job summary of a GitHub Actions run (--format github)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if args.format != "github" or not summary or not edits:
        return
    lines = [
        "### Edits to published releases without an update note",
        "",
        "Readers see every change on the release's changes page; say why in `updates`:",
        "",
        *(f"- `{edit.problem.path}`: {edit.problem.message}" for edit in edits),
        "",
    ]
    try:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as exc:
        print(f"warning: cannot write the job summary: {exc.strerror}", file=sys.stderr)


def run_keygen(file: Path) -> int:
    """Write a new Ed25519 private key to ``file`` (readable by its owner only)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    key = Ed25519PrivateKey.generate()
    try:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{file} already exists; choose another file") from None
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror}") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem(key))
    public = key.public_key()
    print(f"Wrote the private key to {file}. Never commit it: store its text as the secret")
    print(f"{KEY_VARIABLE} of the publishing workflow, then delete the file.")
    print(f"Public key (for the README): {key_id(public)}")
    print(public_pem(public).decode("ascii"), end="")
    return EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    site_dir: Path = args.site
    errors: list[ContentError] = []
    config = load_config(site_dir, errors)
    if config is None:
        raise BuildError(errors)
    lookups = Lookups.of(config)
    kind = lookups.kinds.get((args.kind or config.default_kind).casefold())
    if kind is None:
        raise UsageError(
            f"unknown kind {args.kind!r}; "
            + (
                suggest(args.kind, (k.name for k in config.kinds))
                or "declared kinds: " + ", ".join(k.id for k in config.kinds)
            )
        )
    topics = [_declared(value, lookups.topics, "topic") for value in args.topic]
    agencies = [_declared(value, lookups.agencies, "agency") for value in args.agency]
    translation = _translated(args, config, lookups)
    if translation is not None:  # a translation has its original's kind, topics and agencies
        kind = translation.kind
        topics = topics or list(translation.topics)
        agencies = agencies or list(translation.agencies)
    slug = make_slug(args.title, args.lang or config.language)  # in the title's language
    if not slug:
        raise UsageError("the title has no letters or digits to make a URL from")
    today = config.local_date(args.now or datetime.now(UTC))
    relative = f"content/releases/{today.year:04d}/{slug}.md"
    file = site_dir / relative
    if file.exists():
        raise UsageError(f"{relative} already exists; choose another title or edit that file")
    lines = [
        "---",
        f"title: {json.dumps(args.title, ensure_ascii=False)}",
        f"release_date: {today.isoformat()}",
        f"kind: {kind.id}",
        f"agencies: [{', '.join(json.dumps(a.id) for a in agencies)}]",
        f"topics: [{', '.join(json.dumps(t.id) for t in topics)}]",
        *([f"lang: {args.lang}"] if args.lang else []),
        *(
            [f"translation_of: {translation.source.removeprefix(RELEASES_DIR + '/')}"]
            if translation is not None
            else []
        ),
        "# contact: its agency's press office (content/site.yaml); 'contact: none' for none",
        "draft: true  # set to false when the release is approved for publication",
        "---",
        "Write the first paragraph of the release here. It becomes the summary.",
        "",
    ]
    text = "\n".join(lines)
    loaded = load_release(
        text.encode("utf-8"), relative, config=config, lookups=lookups, renderer=Renderer()
    )
    if loaded.errors:  # what `check` would refuse is never written
        raise UsageError(f"the release this would write is not valid: {loaded.errors[0]}")
    write_inside(site_dir, relative, text)
    print(f"Created {relative}")
    print(f"It will be published at {config.absolute(release_url(today, slug))}")
    return EXIT_OK


def _translated(args: argparse.Namespace, config: SiteConfig, lookups: Lookups) -> Release | None:
    """The original named by ``new --translation-of``, or None without it."""
    if args.translation_of is None:
        return None
    if not args.lang:
        raise UsageError("--translation-of needs --lang, the translation's language")
    source = original_file(args.site, args.translation_of)
    if source is None:
        raise UsageError(
            f"no release file {RELEASES_DIR}/{args.translation_of}; name the original's file "
            "under content/releases/, such as 2016/its-name.md"
        )
    loaded = load_release(
        read_bytes(str(args.site / source), source),
        source,
        config=config,
        lookups=lookups,
        renderer=Renderer(),
    )
    if loaded.release is None:
        raise UsageError(f"the original is not valid: {loaded.errors[0]}")
    if loaded.release.translation_of is not None:
        raise UsageError(
            f"{source} is itself a translation; name its original, {loaded.release.translation_of}"
        )
    return loaded.release


def write_inside(site_dir: Path, relative: str, text: str) -> None:
    """Write a new file at ``relative`` (made of plain names) under ``site_dir``, never through
    a symbolic link: a year folder linked elsewhere would put the file outside the site."""
    base = site_dir.resolve()
    folder = base
    parts = relative.split("/")
    for name in parts[:-1]:
        folder = folder / name
        if folder.is_symlink():
            raise UsageError(
                f"{Path(*parts[: len(folder.relative_to(base).parts)])} is a symbolic link; "
                "new writes release files only into real folders of the site"
            )
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot make the folder {folder}: {exc.strerror}") from exc
        if not folder.is_dir() or folder.is_symlink():
            raise UsageError(f"{folder} is not a folder of the site")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(folder / parts[-1], flags, 0o644)
    except FileExistsError:
        raise UsageError(
            f"{relative} already exists; choose another title or edit that file"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot write {relative}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _declared(value: str, table: dict[str, T], what: str) -> T:
    found = table.get(value.casefold())
    if found is None:
        names = sorted({str(getattr(item, "name", item)) for item in table.values()})
        raise UsageError(
            f"unknown {what} {value!r}; "
            + (suggest(value, names) or f"declared in content/site.yaml: {', '.join(names)}")
        )
    return found
