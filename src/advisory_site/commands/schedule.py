"""When each embargoed release goes live, and the timed publish jobs that lift embargoes on time.

A scheduled workflow alone publishes late (GitHub starts cron runs minutes late, or drops them).
So every plan lists the moments of the releases still embargoed; those within ``window`` of now
each get a timed job that waits until the moment and publishes then. Moments further ahead are
planned again by a later run of the backstop, which runs more often than the window is long.
When the timed job wakes up, ``recheck`` decides on the content as it is then: a release
rescheduled or pulled back to draft while it waited is not published by it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from advisory_site.core.errors import UsageError
from advisory_site.core.models import Release, Site

WINDOW = timedelta(minutes=60)  # a timed job starts at most this long before its moment
MAX_WAIT = timedelta(hours=2)  # the longest a timed job may wait (its job's timeout is longer)
MAX_TIMED = 16  # timed jobs started by one plan; later moments are planned by later runs
BACKSTOP_EVERY = timedelta(minutes=15)  # the cron period of .github/workflows/scheduled.yml


@dataclass(frozen=True, slots=True, kw_only=True)
class Moment:
    """One moment at which one or more releases go live."""

    at: datetime  # in UTC
    releases: tuple[Release, ...]

    @property
    def key(self) -> str:
        return moment_key(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    now: datetime
    window: timedelta
    moments: tuple[Moment, ...]  # every moment still ahead, soonest first

    @property
    def timed(self) -> tuple[Moment, ...]:
        """The moments that get a timed job now: those within the window, soonest first."""
        soon = tuple(m for m in self.moments if m.at - self.now <= self.window)
        return soon[:MAX_TIMED]

    def wait(self, moment: Moment) -> timedelta:
        return moment.at - self.now


@dataclass(frozen=True, slots=True, kw_only=True)
class Recheck:
    publish: bool
    reason: str
    wait: timedelta  # how long until the moment; zero or less once it has come


def moment_key(moment: datetime) -> str:
    """One spelling per moment, whatever offset it was written with: '2026-12-01T14:00:00Z'.

    Timed jobs for the same moment share a concurrency group named by it, so that a newer plan
    replaces an older job waiting for the same moment instead of publishing twice.
    """
    utc = moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds").replace(
        "+00:00", "Z"
    )


def scheduled(release: Release, now: datetime) -> bool:
    """Still embargoed and approved: the build will publish it at its release date."""
    return not release.draft and release.release_date > now


def plan(site: Site, now: datetime, window: timedelta = WINDOW) -> Plan:
    by_moment: dict[datetime, list[Release]] = {}
    for release in site.releases:
        if scheduled(release, now):
            by_moment.setdefault(release.release_date.astimezone(UTC), []).append(release)
    return Plan(
        now=now,
        window=window,
        moments=tuple(
            Moment(at=at, releases=tuple(sorted(found, key=lambda r: r.source)))
            for at, found in sorted(by_moment.items())
        ),
    )


def recheck(site: Site, at: datetime, now: datetime) -> Recheck:
    """Whether the timed job for ``at`` should publish, judged on the content as it is now."""
    wait = at - now
    waiting_for = [r for r in site.releases if r.release_date == at]
    approved = [r for r in waiting_for if not r.draft]
    when = site.config.local_iso(at)
    if wait > timedelta(0):
        return Recheck(
            publish=False, wait=wait, reason=f"{when} is {seconds(wait)} s away; not due yet"
        )
    if approved:
        titles = "; ".join(release.title for release in approved)
        return Recheck(publish=True, wait=wait, reason=f"due since {when}: {titles}")
    if waiting_for:
        return Recheck(
            publish=False,
            wait=wait,
            reason=f"the release scheduled for {when} is a draft again; nothing to publish",
        )
    return Recheck(
        publish=False,
        wait=wait,
        reason=f"no release is scheduled for {when} any more (rescheduled or removed); "
        "nothing to publish",
    )


def seconds(span: timedelta) -> int:
    """Whole seconds, rounded up: a job that sleeps this long never wakes before the moment."""
    return max(0, math.ceil(span.total_seconds()))


def check_wait(at: datetime, now: datetime, longest: timedelta = MAX_WAIT) -> None:
    if at - now > longest:
        raise UsageError(
            f"{moment_key(at)} is more than {seconds(longest) // 60} minutes away; a timed job "
            "waits only for releases within the hour (the scheduled workflow starts it in time)"
        )


def wait_until(
    at: datetime,
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[str], None] = print,
    step: float = 60.0,
) -> datetime:
    """Sleep until ``at`` by the clock, at most ``step`` seconds at a time; return the time then.

    The clock is read again after each sleep, so a sleep cut short or a late wake-up never makes
    the job publish before the moment.
    """
    now = clock()
    check_wait(at, now)
    report(f"Waiting {seconds(at - now)} s, until {moment_key(at)}.")
    while now < at:
        sleep(min(step, (at - now).total_seconds()))
        now = clock()
    report(f"It is {now.astimezone(UTC).isoformat()}: the moment has come.")
    return now


# -- what the commands print --------------------------------------------------------------------


def duration(span: timedelta) -> str:
    """'1 h 20 min', '45 s', '3 d 2 h': how long to wait, for people."""
    total = seconds(span)
    days, total = divmod(total, 86400)
    if days:
        hours = total // 3600
        return f"{days} d {hours} h" if hours else f"{days} d"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def fires(schedule: Plan, moment: Moment, site: Site) -> str:
    """When and how the timed job for ``moment`` starts."""
    if moment in schedule.timed:
        return f"timed job fires at {site.config.local_iso(moment.at)}"
    start = moment.at - schedule.window
    return (
        f"the backstop starts its timed job after {site.config.local_iso(start)}; it fires at "
        f"{site.config.local_iso(moment.at)}"
    )


def plan_text(schedule: Plan, site: Site) -> str:
    if not schedule.moments:
        return "No release is scheduled.\n"
    lines = []
    for moment in schedule.moments:
        wait = schedule.wait(moment)
        lines.append(
            f"{site.config.local_iso(moment.at)}: in {duration(wait)} (wait {seconds(wait)} s); "
            f"{fires(schedule, moment, site)}"
        )
        lines += [f"  {release.source}: {release.title}" for release in moment.releases]
    return "\n".join(lines) + "\n"


def plan_github(schedule: Plan) -> str:
    """Step outputs, in the format of $GITHUB_OUTPUT."""
    first = schedule.moments[0] if schedule.moments else None
    return (
        f"moments={json.dumps([moment.key for moment in schedule.timed])}\n"
        f"next_release_at={first.key if first else ''}\n"
        f"wait_seconds={seconds(schedule.wait(first)) if first else ''}\n"
    )


def recheck_markdown(decision: Recheck, site: Site, at: datetime) -> str:
    """The timed run's job summary: what it found when its moment came."""
    verdict = "Publishing now" if decision.publish else "Not publishing"
    return (
        f"## Timed publication for {site.config.local_iso(at)}\n\n"
        f"**{verdict}:** {_cell(decision.reason)}\n\n"
    )


def plan_markdown(schedule: Plan, site: Site, *, listed: int = 20) -> str:
    """The job summary's section on what is scheduled next."""
    lines = ["## Scheduled next", ""]
    if not schedule.moments:
        return "\n".join([*lines, "No release is scheduled.", ""]) + "\n"
    lines += ["| Goes live | Release | Timed job |", "|---|---|---|"]
    rows = [(moment, release) for moment in schedule.moments for release in moment.releases]
    for moment, release in rows[:listed]:
        lines.append(
            f"| {site.config.local_iso(moment.at)} (in {duration(schedule.wait(moment))}) "
            f"| {_cell(release.title)} ({_cell(release.source)}) "
            f"| {_cell(fires(schedule, moment, site))} |"
        )
    if len(rows) > listed:
        lines.append(f"| and {len(rows) - listed} more | | |")
    lines += [
        "",
        (
            f"Timed jobs start for releases within {duration(schedule.window)} of a publication "
            f"or of a run of the backstop (every {duration(BACKSTOP_EVERY)}), wait until the "
            "release's time and publish then."
        ),
    ]
    return "\n".join(lines) + "\n\n"


def _cell(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]|":
        escaped = escaped.replace(character, "\\" + character)
    return escaped.replace("\n", " ")


def running_clock(start: datetime | None) -> Callable[[], datetime]:
    """The real clock, or one pinned to ``start`` that runs on from there (for tests)."""
    if start is None:
        return lambda: datetime.now(UTC)
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
