"""`advisory-site schedule`: the timed jobs that lift embargoes on the minute, on a pinned clock.

Every case of the publishing plan is played here with the clock pinned (``--now``), as the
workflows run it: the plan after a merge or a run of the backstop (which moments get a timed job),
and the re-check a timed job makes on the newest content when its moment comes.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from advisory_site.commands.cli import main
from advisory_site.commands.schedule import (
    BACKSTOP_EVERY,
    MAX_TIMED,
    WINDOW,
    duration,
    moment_key,
    plan,
    wait_until,
)
from advisory_site.engine.build import load_site
from tests.conftest import MakeSite, release, run_cli

GRANTS = "content/releases/2026/grants.md"
TALK = "content/releases/2026/talk.md"
NINE = "2026-12-01T09:00:00-05:00"  # 14:00 UTC
NINE_UTC = "2026-12-01T14:00:00Z"


def outputs(text: str) -> dict[str, str]:
    """The step outputs a command printed for $GITHUB_OUTPUT."""
    return dict(line.split("=", 1) for line in text.splitlines())


def schedule(site: Path, now: str, *args: str) -> dict[str, str]:
    """The command's step outputs and its standard error (run in this process: it is quick)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["schedule", "--site", str(site), "--now", now, "--format", "github", *args])
    assert status == 0, err.getvalue()
    return {**outputs(out.getvalue()), "stderr": err.getvalue()}


@pytest.fixture
def nine_oclock(make_site: MakeSite) -> Path:
    """A release approved for 9:00 a.m. Eastern on 1 December 2026, and an old one."""
    return make_site(
        {
            "content/releases/2016/old.md": release("Old News", "2016-10-07"),
            GRANTS: release("Embargoed Grants", NINE),
        }
    )


def test_a_release_merged_at_8_40_for_9_00_gets_a_timed_job_firing_at_9_00(
    nine_oclock: Path,
) -> None:
    planned = schedule(nine_oclock, "2026-12-01T08:40:00-05:00")
    assert json.loads(planned["moments"]) == [NINE_UTC]
    assert planned["next_release_at"] == NINE_UTC
    assert planned["wait_seconds"] == "1200"
    assert planned["stderr"].splitlines() == [
        f"{NINE}: in 20 min (wait 1200 s); timed job fires at {NINE}",
        f"  {GRANTS}: Embargoed Grants",
    ]
    # At 9:00 the timed job, woken up, publishes.
    due = schedule(nine_oclock, "2026-12-01T14:00:00+00:00", "--at", NINE_UTC)
    assert (due["publish"], due["wait_seconds"]) == ("true", "0")
    assert due["stderr"] == f"due since {NINE}: Embargoed Grants\n"


def test_the_text_plan_says_what_is_due_when_and_how_long_to_wait(nine_oclock: Path) -> None:
    result = run_cli("schedule", "--site", str(nine_oclock), "--now", "2026-11-30T08:00:00-05:00")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{NINE}: in 1 d 1 h (wait 90000 s); the backstop starts its timed job after "
        f"2026-12-01T08:00:00-05:00; it fires at {NINE}\n"
        f"  {GRANTS}: Embargoed Grants\n"
    )
    assert schedule(nine_oclock, "2026-11-30T08:00:00-05:00")["moments"] == "[]"
    empty = run_cli("schedule", "--site", str(nine_oclock), "--now", "2026-12-01T09:00:00-05:00")
    assert empty.stdout == "No release is scheduled.\n"


def test_several_releases_at_several_times(make_site: MakeSite) -> None:
    site = make_site(
        {
            GRANTS: release("Embargoed Grants", NINE),
            # the same moment written with another offset: one timed job for both
            "content/releases/2026/also-nine.md": release("Also at Nine", "2026-12-01T14:00:00Z"),
            "content/releases/2026/nine-thirty.md": release(
                "Half Past", "2026-12-01T09:30:00-05:00"
            ),
            "content/releases/2026/eleven.md": release("Eleven", "2026-12-01T11:00:00-05:00"),
            "content/releases/2026/draft.md": release(
                "Draft", "2026-12-01T09:15:00-05:00", draft="true"
            ),
        }
    )
    planned = schedule(site, "2026-12-01T08:40:00-05:00")
    # within the hour: 9:00 (two releases) and 9:30; 11:00 is the backstop's; drafts never
    assert json.loads(planned["moments"]) == [NINE_UTC, "2026-12-01T14:30:00Z"]
    assert (planned["next_release_at"], planned["wait_seconds"]) == (NINE_UTC, "1200")
    assert planned["stderr"].splitlines() == [
        f"{NINE}: in 20 min (wait 1200 s); timed job fires at {NINE}",
        "  content/releases/2026/also-nine.md: Also at Nine",
        f"  {GRANTS}: Embargoed Grants",
        (
            "2026-12-01T09:30:00-05:00: in 50 min (wait 3000 s); timed job fires at "
            "2026-12-01T09:30:00-05:00"
        ),
        "  content/releases/2026/nine-thirty.md: Half Past",
        (
            "2026-12-01T11:00:00-05:00: in 2 h 20 min (wait 8400 s); the backstop starts its timed "
            "job after 2026-12-01T10:00:00-05:00; it fires at 2026-12-01T11:00:00-05:00"
        ),
        "  content/releases/2026/eleven.md: Eleven",
    ]
    # The 9:00 job publishes both releases of its moment; after it, the plan moves on.
    due = schedule(site, "2026-12-01T09:00:01-05:00", "--at", NINE_UTC)
    assert due["publish"] == "true"
    assert due["stderr"] == f"due since {NINE}: Also at Nine; Embargoed Grants\n"
    after = schedule(site, "2026-12-01T09:00:01-05:00")
    assert json.loads(after["moments"]) == ["2026-12-01T14:30:00Z"]
    # A wider window (the --window option) plans the 11:00 job too.
    wide = schedule(site, "2026-12-01T09:10:00-05:00", "--window", "120")
    assert json.loads(wide["moments"]) == ["2026-12-01T14:30:00Z", "2026-12-01T16:00:00Z"]


def test_a_newer_merge_while_the_timed_job_waits(nine_oclock: Path) -> None:
    """A merge at 8:50 edits the release and adds another for 9:00: the job publishes both."""
    before = schedule(nine_oclock, "2026-12-01T08:40:00-05:00")
    grants = nine_oclock / GRANTS
    grants.write_text(release("Embargoed Grants, Corrected", NINE), encoding="utf-8")
    (nine_oclock / TALK).write_text(release("Remarks", NINE), encoding="utf-8")
    newer = schedule(nine_oclock, "2026-12-01T08:50:00-05:00")
    # The newer merge's plan names the same moment the same way: its timed job takes the
    # waiting one's concurrency group and replaces it, so the moment is published once.
    assert newer["moments"] == before["moments"] == f'["{NINE_UTC}"]'
    assert newer["wait_seconds"] == "600"
    due = schedule(nine_oclock, "2026-12-01T09:00:00-05:00", "--at", NINE_UTC)
    assert due["publish"] == "true"
    assert due["stderr"] == f"due since {NINE}: Embargoed Grants, Corrected; Remarks\n"


def test_a_release_rescheduled_while_the_timed_job_waits(nine_oclock: Path) -> None:
    (nine_oclock / GRANTS).write_text(
        release("Embargoed Grants", "2026-12-01T09:45:00-05:00"), encoding="utf-8"
    )
    # the merge that moved it plans a job for 9:45 ...
    moved = schedule(nine_oclock, "2026-12-01T08:50:00-05:00")
    assert json.loads(moved["moments"]) == ["2026-12-01T14:45:00Z"]
    # ... and the job still waiting for 9:00 publishes nothing when it wakes up
    stale = schedule(nine_oclock, "2026-12-01T09:00:00-05:00", "--at", NINE_UTC)
    assert stale["publish"] == "false"
    assert stale["stderr"] == (
        f"no release is scheduled for {NINE} any more (rescheduled or removed); "
        "nothing to publish\n"
    )
    assert schedule(nine_oclock, "2026-12-01T09:45:00-05:00", "--at", "2026-12-01T14:45:00Z")[
        "publish"
    ] == ("true")


def test_a_release_pulled_back_to_draft_while_the_timed_job_waits(nine_oclock: Path) -> None:
    (nine_oclock / GRANTS).write_text(
        release("Embargoed Grants", NINE, draft="true"), encoding="utf-8"
    )
    assert schedule(nine_oclock, "2026-12-01T08:50:00-05:00")["moments"] == "[]"
    pulled = schedule(nine_oclock, "2026-12-01T09:00:00-05:00", "--at", NINE_UTC)
    assert pulled["publish"] == "false"
    assert pulled["stderr"] == (
        f"the release scheduled for {NINE} is a draft again; nothing to publish\n"
    )
    summary = run_cli(
        "schedule", "--site", str(nine_oclock), "--now", "2026-12-01T09:00:00-05:00",
        "--at", NINE_UTC, "--format", "markdown",
    )  # fmt: skip
    assert summary.stdout == (
        f"## Timed publication for {NINE}\n\n**Not publishing:** the release scheduled for "
        f"{NINE} is a draft again; nothing to publish\n\n"
    )


def test_two_timed_jobs_overlapping(make_site: MakeSite) -> None:
    """Jobs for 9:00 and 9:01 wait side by side; each publishes its own moment, even late."""
    site = make_site(
        {
            GRANTS: release("Embargoed Grants", NINE),
            TALK: release("Remarks", "2026-12-01T09:01:00-05:00"),
        }
    )
    planned = schedule(site, "2026-12-01T08:30:00-05:00")
    assert json.loads(planned["moments"]) == [NINE_UTC, "2026-12-01T14:01:00Z"]
    # the 9:00 job's build is still running at 9:01: the 9:01 job queues behind it, wakes
    # late and still publishes (its build includes both releases: it uses the real clock)
    late = schedule(site, "2026-12-01T09:02:30-05:00", "--at", "2026-12-01T14:01:00Z")
    assert late["publish"] == "true"
    assert late["stderr"] == "due since 2026-12-01T09:01:00-05:00: Remarks\n"
    first = schedule(site, "2026-12-01T09:02:30-05:00", "--at", NINE_UTC)
    assert first["publish"] == "true"
    # and a job woken early (it never is: see the wait test) would not publish
    early = schedule(site, "2026-12-01T08:59:59-05:00", "--at", NINE_UTC)
    assert (early["publish"], early["wait_seconds"]) == ("false", "1")
    assert early["stderr"] == f"{NINE} is 1 s away; not due yet\n"


def test_the_backstop_plans_each_release_several_times_before_it_is_due(
    nine_oclock: Path,
) -> None:
    """Runs at :07, :22, :37 and :52, each of which GitHub may start late or drop."""
    site = load_site(nine_oclock)
    nine = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    runs = [datetime(2026, 12, 1, 11, 7, tzinfo=UTC) + BACKSTOP_EVERY * n for n in range(12)]
    planning = [run for run in runs if run < nine and plan(site, run).timed]
    assert [run.strftime("%H:%M") for run in planning] == ["13:07", "13:22", "13:37", "13:52"]
    assert WINDOW >= 3 * BACKSTOP_EVERY
    # A run that starts 50 minutes late still starts the job in time.
    assert plan(site, datetime(2026, 12, 1, 13, 57, tzinfo=UTC)).timed


def test_one_plan_starts_at_most_max_timed_jobs(make_site: MakeSite) -> None:
    files = {
        f"content/releases/2026/r{minute:02d}.md": release(
            f"Release {minute}", f"2026-12-01T09:{minute:02d}:00-05:00"
        )
        for minute in range(30)
    }
    site = load_site(make_site(files))
    planned = plan(site, datetime(2026, 12, 1, 13, 59, 30, tzinfo=UTC))
    assert len(planned.moments) == 30
    assert [moment.key for moment in planned.timed] == [
        f"2026-12-01T14:{minute:02d}:00Z" for minute in range(MAX_TIMED)
    ]


def test_a_moment_has_one_spelling_whatever_its_offset() -> None:
    eastern = datetime.fromisoformat(NINE)
    assert moment_key(eastern) == moment_key(eastern.astimezone(UTC)) == NINE_UTC
    assert moment_key(datetime.fromisoformat("2026-12-01T14:00:00.5+00:00")) == (
        "2026-12-01T14:00:00.500000Z"
    )
    assert [duration(timedelta(seconds=s)) for s in (0, 0.2, 59, 60, 3599, 3600, 90061)] == [
        "0 s",
        "1 s",
        "59 s",
        "1 min",
        "59 min 59 s",
        "1 h",
        "1 d 1 h",
    ]


class FakeClock:
    """A pinned clock that sleeping moves on, and that may wake a sleeper up early."""

    def __init__(self, start: datetime, *, early: float = 0.0) -> None:
        self.now = start
        self.early = early  # seconds by which a sleep longer than that is cut short
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds - self.early if seconds > self.early else seconds)


def test_the_wait_never_ends_before_the_moment() -> None:
    nine = datetime.fromisoformat(NINE)
    clock = FakeClock(nine - timedelta(minutes=20))
    lines: list[str] = []
    woke = wait_until(nine, clock=clock, sleep=clock.sleep, report=lines.append)
    assert woke == nine
    assert clock.sleeps == [60.0] * 20  # the clock is read again at least every minute
    assert lines == [
        f"Waiting 1200 s, until {NINE_UTC}.",
        "It is 2026-12-01T14:00:00+00:00: the moment has come.",
    ]
    # sleeps that end early (a signal, a coarse timer) are made up for
    early = FakeClock(nine - timedelta(seconds=4), early=0.25)
    assert wait_until(nine, clock=early, sleep=early.sleep, report=lines.append) == nine
    assert early.sleeps == [4.0, 0.25]
    # a moment already past: no sleep at all
    past = FakeClock(nine + timedelta(seconds=5))
    assert wait_until(nine, clock=past, sleep=past.sleep, report=lines.append) == past.now
    assert past.sleeps == []


def test_the_command_really_waits_on_a_pinned_clock_then_rechecks(nine_oclock: Path) -> None:
    started = time.monotonic()
    result = run_cli(
        "schedule",
        "--site",
        str(nine_oclock),
        "--now",
        "2026-12-01T08:59:58.5-05:00",
        "--at",
        NINE,
        "--wait",
        "--format",
        "github",
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 1.5
    assert result.stdout == "publish=true\nwait_seconds=0\n"
    assert result.stderr.splitlines()[0] == f"Waiting 2 s, until {NINE_UTC}."
    assert result.stderr.splitlines()[-1] == f"due since {NINE}: Embargoed Grants"


def test_a_timed_job_refuses_to_wait_hours_and_wrong_usage_is_refused(nine_oclock: Path) -> None:
    far = run_cli(
        "schedule", "--site", str(nine_oclock), "--now", "2026-12-01T05:00:00-05:00",
        "--at", NINE, "--wait",
    )  # fmt: skip
    assert far.returncode == 2
    assert far.stderr == (
        f"advisory-site: error: {NINE_UTC} is more than 120 minutes away; a timed job waits only "
        "for releases within the hour (the scheduled workflow starts it in time)\n"
    )
    alone = run_cli("schedule", "--site", str(nine_oclock), "--wait")
    assert alone.returncode == 2
    assert "--wait needs --at" in alone.stderr
    for window in ("0", "121", "soon"):
        bad = run_cli("schedule", "--site", str(nine_oclock), "--window", window)
        assert bad.returncode == 2
        assert "expected whole minutes from 1 to 120" in bad.stderr


def test_content_problems_are_reported_not_planned_around(make_site: MakeSite) -> None:
    site = make_site({GRANTS: release("Embargoed Grants", "2026-12-01T09:00:00")})
    result = run_cli("schedule", "--site", str(site), "--now", "2026-12-01T08:00:00-05:00")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{GRANTS}:3:15: release_date: the date-time" in result.stderr


def test_the_markdown_summary_lists_what_is_scheduled_next(make_site: MakeSite) -> None:
    site = make_site(
        {
            GRANTS: release("Grants | *Now*", NINE),
            TALK: release("Remarks", "2026-12-01T11:00:00-05:00"),
        }
    )
    result = run_cli(
        "schedule", "--site", str(site), "--now", "2026-12-01T08:40:00-05:00", "--format",
        "markdown",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:6] == [
        "## Scheduled next",
        "",
        "| Goes live | Release | Timed job |",
        "|---|---|---|",
        (
            f"| {NINE} (in 20 min) | Grants \\| \\*Now\\* (content/releases/2026/grants.md) "
            f"| timed job fires at {NINE} |"
        ),
        (
            "| 2026-12-01T11:00:00-05:00 (in 2 h 20 min) | Remarks (content/releases/2026/talk.md) "
            "| the backstop starts its timed job after 2026-12-01T10:00:00-05:00; it fires at "
            "2026-12-01T11:00:00-05:00 |"
        ),
    ]
    later = run_cli(
        "schedule", "--site", str(site), "--now", "2026-12-02T00:00:00Z", "--format", "markdown"
    )
    assert later.stdout == "## Scheduled next\n\nNo release is scheduled.\n\n"
