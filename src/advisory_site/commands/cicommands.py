"""The commands CI runs: check-links, diff, release-due, schedule, embargo-check, compare-live
and websub-ping.

``cli.py`` adds them to its parser and hands them their parsed arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from advisory_site.commands import leakcheck, schedule, websub
from advisory_site.commands.deploystate import MAX_INFO_BYTES, read_deployed, release_due
from advisory_site.commands.linkcheck import check_links
from advisory_site.commands.sitediff import diff_sites, plural, summary_markdown
from advisory_site.core.errors import UsageError
from advisory_site.core.report import annotation
from advisory_site.engine.build import load_site
from advisory_site.publish.output import missing_required

EXIT_OK = 0
EXIT_BROKEN = 1

CI_COMMANDS = (
    "check-links",
    "diff",
    "release-due",
    "schedule",
    "embargo-check",
    "compare-live",
    "websub-ping",
)


def add_ci_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    parse_base_url: Callable[[str], str],
    parse_now: Callable[[str], datetime],
) -> None:
    """Add the CI commands to the subcommands of ``advisory-site``."""
    links = commands.add_parser(
        "check-links",
        help="check every internal link and #anchor of a built site (no network)",
    )
    links.add_argument("folder", type=Path, metavar="DIR", help="the built site, e.g. _site")
    links.add_argument(
        "--base-url",
        type=parse_base_url,
        metavar="URL",
        help="the address the site is served at (default: read from its canonical links)",
    )

    diff = commands.add_parser(
        "diff",
        help="summarise, in Markdown, the feed items and pages that change between two builds",
    )
    diff.add_argument("base", type=Path, metavar="BASE_DIR", help="the site as it is now")
    diff.add_argument("new", type=Path, metavar="NEW_DIR", help="the site after the change")

    due = commands.add_parser(
        "release-due",
        help="print due=true when a scheduled release became due since the last deploy",
    )
    due.add_argument(
        "deployed",
        metavar="URL",
        help="the deployed build-info.json (an https:// address or a file)",
    )
    due.add_argument("--now", type=parse_now, metavar="ISO-8601", help="pin the clock")

    timed = commands.add_parser(
        "schedule",
        help="print when each embargoed release goes live and how long to wait for it",
    )
    timed.add_argument(
        "--site", type=Path, default=Path(), metavar="DIR", help="the site folder; default: here"
    )
    timed.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO-8601",
        help="pin the clock to this moment (it runs on from there)",
    )
    timed.add_argument(
        "--window",
        type=_minutes,
        default=schedule.WINDOW,
        metavar="MINUTES",
        help="plan a timed job for each release due within this many minutes (default: 60)",
    )
    timed.add_argument(
        "--at",
        type=parse_now,
        metavar="ISO-8601",
        help="the moment a timed job waits for: print publish=true when a release is still "
        "scheduled for it and it has come",
    )
    timed.add_argument(
        "--wait",
        action="store_true",
        help="with --at: sleep until that moment (at most 2 hours), then check the content",
    )
    timed.add_argument(
        "--format",
        choices=("text", "github", "markdown"),
        default="text",
        help="text (default), github (step outputs for $GITHUB_OUTPUT) or markdown (a job summary)",
    )

    leak = commands.add_parser(
        "embargo-check",
        help="fail when a change adds or edits an embargoed or draft release in a public "
        "repository",
    )
    leak.add_argument(
        "--site", type=Path, default=Path(), metavar="DIR", help="the changed site; default: here"
    )
    leak.add_argument(
        "--base",
        type=Path,
        required=True,
        metavar="DIR",
        help="a checkout of the branch the change goes into",
    )
    leak.add_argument(
        "--visibility",
        choices=leakcheck.VISIBILITIES,
        required=True,
        help="the repository's visibility (in GitHub Actions: github.event.repository.visibility)",
    )
    leak.add_argument(
        "--now", type=parse_now, metavar="ISO-8601", help="pin the clock (embargoes end then)"
    )
    leak.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="how to print problems: text (default) or GitHub Actions annotations",
    )

    live = commands.add_parser(
        "compare-live",
        help="summarise what a build puts live, compared with the live site's feeds, and list "
        "the feeds to ping",
    )
    live.add_argument("url", metavar="URL", help="the live site's address")
    live.add_argument("new", type=Path, metavar="NEW_DIR", help="the build about to be deployed")
    live.add_argument(
        "--github-output",
        type=Path,
        metavar="FILE",
        help="append the WebSub hub and the feeds to ping to this file ($GITHUB_OUTPUT)",
    )

    hub = commands.add_parser(
        "websub-ping", help="tell a WebSub hub that feeds changed (a Markdown report)"
    )
    hub.add_argument("--hub", required=True, metavar="URL", help="the hub's https:// address")
    hub.add_argument(
        "--feeds",
        required=True,
        type=_feed_list,
        metavar="JSON",
        help='the feeds\' addresses, a JSON list such as ["https://www.example.gov/rss.xml"]',
    )


def _feed_list(text: str) -> list[str]:
    try:
        return websub.parse_feed_list(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_compare_live(args: argparse.Namespace) -> int:
    comparison = websub.compare_live(args.url, args.new)
    for path, problem in comparison.unread.items():
        print(f"{path}: {problem}; its items count as new", file=sys.stderr)
    if args.github_output:
        with args.github_output.open("a", encoding="utf-8") as handle:
            handle.write(websub.outputs(comparison))
    sys.stdout.write(websub.went_live_markdown(comparison))
    return EXIT_OK


def run_websub_ping(args: argparse.Namespace) -> int:
    """Never fails for the hub's sake: the site is published, failures go in the report."""
    results = websub.ping(websub.ping_requests(args.hub, args.feeds))
    for result in results:
        if not result.ok:
            print(f"{result.feed}: {result.problem}", file=sys.stderr)
    sys.stdout.write(websub.ping_markdown(args.hub, results))
    return EXIT_OK


def run_embargo_check(args: argparse.Namespace) -> int:
    if not args.base.is_dir():
        raise UsageError(f"{args.base} is not a folder; check out the base branch there first")
    report = leakcheck.check_embargoes(
        args.site, args.base, visibility=args.visibility, now=args.now or datetime.now(UTC)
    )
    level = "error" if report.leaks else "notice"
    for finding in report.findings:
        if args.format == "github":
            print(annotation(level, finding.problem, args.site))
        if level == "error" or args.format == "text":
            print(("" if report.leaks else "note: ") + str(finding.problem), file=sys.stderr)
    for line in leakcheck.report_lines(report):
        print(line, file=sys.stderr if report.leaks else sys.stdout)
    return EXIT_BROKEN if report.leaks else EXIT_OK


def _minutes(text: str) -> timedelta:
    try:
        minutes = int(text)
    except ValueError:
        minutes = 0
    longest = schedule.seconds(schedule.MAX_WAIT) // 60
    if not 1 <= minutes <= longest:
        raise argparse.ArgumentTypeError(
            f"expected whole minutes from 1 to {longest}, got {text!r}"
        )
    return timedelta(minutes=minutes)


def run_schedule(args: argparse.Namespace) -> int:
    """Plan the timed jobs, or (with --at) wait for one moment and decide whether to publish."""
    clock = schedule.running_clock(args.now)
    if args.at is None:
        if args.wait:
            raise UsageError("--wait needs --at, the moment to wait for")
        site = load_site(args.site)
        planned = schedule.plan(site, clock(), args.window)
        if args.format == "github":
            sys.stdout.write(schedule.plan_github(planned))
            sys.stderr.write(schedule.plan_text(planned, site))
        elif args.format == "markdown":
            sys.stdout.write(schedule.plan_markdown(planned, site))
        else:
            sys.stdout.write(schedule.plan_text(planned, site))
        return EXIT_OK
    if args.wait:
        schedule.wait_until(args.at, clock=clock, report=lambda line: print(line, file=sys.stderr))
    site = load_site(args.site)
    decision = schedule.recheck(site, args.at, clock())
    print(decision.reason, file=sys.stderr)
    if args.format == "github":
        print(f"publish={'true' if decision.publish else 'false'}")
        print(f"wait_seconds={schedule.seconds(decision.wait)}")
    elif args.format == "markdown":
        sys.stdout.write(schedule.recheck_markdown(decision, site, args.at))
    else:
        verdict = "publish" if decision.publish else "do not publish"
        print(f"{verdict}; wait {schedule.seconds(decision.wait)} s")
    return EXIT_OK


def run_ci_command(args: argparse.Namespace) -> int:
    if args.command == "schedule":
        return run_schedule(args)
    if args.command == "embargo-check":
        return run_embargo_check(args)
    if args.command == "compare-live":
        return run_compare_live(args)
    if args.command == "websub-ping":
        return run_websub_ping(args)
    if args.command == "check-links":
        return run_check_links(args.folder, args.base_url)
    if args.command == "diff":
        sys.stdout.write(summary_markdown(diff_sites(args.base, args.new)))
        return EXIT_OK
    deployed = read_deployed(args.deployed, limit=MAX_INFO_BYTES)
    decision = release_due(deployed, args.now or datetime.now(UTC))
    print(decision.reason, file=sys.stderr)
    print(f"due={'true' if decision.due else 'false'}")
    return EXIT_OK


def run_check_links(folder: Path, base_url: str | None) -> int:
    missing = missing_required(folder) if folder.is_dir() else []
    if missing:
        # A half-made or emptied folder has no broken links, and a deploy that syncs it with
        # deletion would empty the live site: a site is complete before anything is checked.
        print(
            f"{folder}: not a complete site: {', '.join(missing)} missing; "
            "build it again (advisory-site build) before checking or publishing it",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    report = check_links(folder, base_url=base_url)
    for broken in report.broken:
        print(broken.message(folder), file=sys.stderr)
    where = f" (base URL {report.base_url})" if report.base_url else ""
    checked = (
        f"{report.internal} internal links and anchors in {report.pages} pages{where}; "
        f"{report.external} external links counted, not fetched"
    )
    if report.broken:
        files = len({broken.file for broken in report.broken})
        print(
            f"{plural(len(report.broken), 'broken link')} in {plural(files, 'page')}; "
            f"checked {checked}.",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    print(f"No broken links: checked {checked}.")
    return EXIT_OK
