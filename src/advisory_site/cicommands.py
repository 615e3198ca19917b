"""The commands CI runs on a built site: check-links, diff and release-due.

``cli.py`` adds them to its parser and hands them their parsed arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from advisory_site.deploystate import read_deployed, release_due
from advisory_site.linkcheck import check_links
from advisory_site.sitediff import diff_sites, plural, summary_markdown

EXIT_OK = 0
EXIT_BROKEN = 1

CI_COMMANDS = ("check-links", "diff", "release-due")


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


def run_ci_command(args: argparse.Namespace) -> int:
    if args.command == "check-links":
        return run_check_links(args.folder, args.base_url)
    if args.command == "diff":
        sys.stdout.write(summary_markdown(diff_sites(args.base, args.new)))
        return EXIT_OK
    decision = release_due(read_deployed(args.deployed), args.now or datetime.now(UTC))
    print(decision.reason, file=sys.stderr)
    print(f"due={'true' if decision.due else 'false'}")
    return EXIT_OK


def run_check_links(folder: Path, base_url: str | None) -> int:
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
