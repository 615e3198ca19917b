"""Hostile Markdown: what Python-Markdown would take minutes on, or recurse too deeply for, is
refused in well under a second with the file and line; what slips past those checks is stopped
by the time budget. Either way the other files' problems are reported in the same run."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from advisory_site.commands.serve import Preview, error_page
from advisory_site.core.budget import OverBudget, time_budget
from advisory_site.core.errors import ContentError
from tests.conftest import MakeSite, release, run_cli

MB = 1_000_000
BODY_LINE = 8  # where the body of tests.conftest.release starts
INTRO = "Intro.\n\n"  # the hostile text starts two lines into the body
SLOW = "[" + "a, " * 500_000 + "]"  # a YAML list of 1.5 MB: about 3 s to load

# (name, hostile text, the message's start, the line of the text it is reported at)
HOSTILE = [
    ("brackets", "[" * 40_000, "has too many '[' or '](' that are not closed", 0),
    ("tags", "<a" * (MB // 2), "holds too many '<' that open an HTML tag", 0),
    ("images", "![a](" * (MB // 5), "holds 200,000 characters of Markdown markup", 0),
    ("comments", "<!--" * (MB // 4), "holds too many '<' that open an HTML tag", 0),
    ("autolinks", "<http://" * (MB // 8), "holds too many '<' that open an HTML tag", 0),
    ("emphasis", "*a" * 500_000, "holds 500,000 characters of Markdown markup", 0),
    # under 50,000 markup characters, which the checks of each paragraph catch
    ("some-images", "![a](" * 10_000, "has too many '[' or '](' that are not closed", 0),
    ("some-emphasis", "*a" * 20_000, "has too much Markdown markup in long paragraphs", 0),
    ("quotes", "'a " * 40_000, "has too much Markdown markup in long paragraphs", 0),
    ("headings", "a\n---\n" * 16_666, "has 16,666 headings or rules in a block", 0),
    ("items", "- x\n    " * 30_000, "has 30,000 list items", 20_000),
    ("fences", "~~~\n" * 6_000, "has 6,000 code fences", 5_000),
    (
        "nesting",
        "".join("    " * level + "- x\n" for level in range(300)),
        "is nested 101 levels deep (lists, quotes or indentation)",
        100,
    ),
]


def hostile_site(make_site: MakeSite, extra: dict[str, str] | None = None) -> Path:
    files = {
        f"content/releases/2016/{name}.md": release(name.title()).replace(
            f"Body of {name.title()}.\n", INTRO + text
        )
        for name, text, _, _ in HOSTILE
    }
    files["content/releases/2016/bad-date.md"] = release("Bad", date="10/07/2016")
    files["content/releases/2016/fine.md"] = release("Fine")
    return make_site({**files, **(extra or {})})


@pytest.mark.parametrize("command", ["check", "build"])
def test_hostile_markdown_is_refused_fast_with_file_and_line(
    make_site: MakeSite, tmp_path: Path, command: str
) -> None:
    site = hostile_site(make_site)
    output = ["--output", str(tmp_path / "out")] if command == "build" else []
    started = time.monotonic()
    result = run_cli(command, "--site", str(site), *output)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name, _, message, line in HOSTILE:
        where = f"content/releases/2016/{name}.md:{BODY_LINE + 2 + line}:1: body: {message}"
        assert any(printed.startswith(where) for printed in lines), (where, result.stderr)
    assert any(printed.startswith("content/releases/2016/bad-date.md:3:") for printed in lines)
    assert not any("fine.md" in printed for printed in lines)
    assert not (tmp_path / "out").exists()
    assert elapsed < 60  # each refusal takes well under a second; minutes each without them


def slow_site(make_site: MakeSite, releases: int) -> Path:
    """A site whose ``slow.md`` takes about 3 s to render, with a limit of 1 s, and
    ``releases`` other files, one of them with an error of its own."""
    site_yaml = (Path(__file__).parent / "conftest.py").read_text()
    start = site_yaml.index('SITE_YAML = """\\\n') + len('SITE_YAML = """\\\n')
    site_yaml = site_yaml[start : site_yaml.index('"""', start)] + "time_limit: 1\n"
    files = {f"content/releases/2016/r{n:03}.md": release(f"R {n}") for n in range(releases)}
    files["content/releases/2016/r000.md"] = release("Bad", date="10/07/2016")
    files["content/releases/2016/slow.md"] = release("Slow", topics=SLOW).replace(
        "topics: [Cybersecurity]\n", ""
    )
    return make_site(files, site_yaml=site_yaml)


@pytest.mark.parametrize(
    ("command", "releases"),
    [("check", 3), ("build", 3), ("build", 100)],  # 100: the build's worker processes load them
)
def test_a_release_over_its_time_budget_is_an_error(
    make_site: MakeSite, tmp_path: Path, command: str, releases: int
) -> None:
    site = slow_site(make_site, releases)
    output = ["--output", str(tmp_path / "out")] if command == "build" else []
    result = run_cli(command, "--site", str(site), *output)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert (
        "content/releases/2016/slow.md:1:1: took more than 1 s of processor "
        "time to render and check, and was stopped (look for a very long paragraph"
    ) in result.stderr
    assert any(line.startswith("content/releases/2016/r000.md:3:") for line in lines)


def test_the_budget_stops_a_thread_that_is_not_the_main_one() -> None:
    """The preview builds in a watcher thread: the budget works there too."""
    outcome: list[str] = []

    def spin() -> None:
        started = time.thread_time()
        try:
            with time_budget(1):
                while True:
                    pass
        except OverBudget:
            outcome.append(f"stopped after {time.thread_time() - started:.1f} s")

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert outcome and float(outcome[0].split()[2]) < 2


def test_a_stop_lost_in_a_finaliser_is_raised_again() -> None:
    """An exception raised while the thread runs a ``__del__`` or a GC callback is printed and
    lost; the budget raises it again, so the block still ends."""
    lost: list[float] = []
    outcome: list[float] = []

    def spin() -> None:
        started = time.thread_time()
        try:
            with time_budget(0.5):
                try:
                    while True:
                        pass
                except OverBudget:  # as a finaliser would, had it been raised there
                    lost.append(time.thread_time() - started)
                while True:
                    pass
        except OverBudget:
            outcome.append(time.thread_time() - started)

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert lost and outcome and outcome[0] - lost[0] < 1.5


def test_a_block_within_its_budget_is_left_alone() -> None:
    for _ in range(1_000):
        with time_budget(1):
            sum(range(100))
    time.sleep(0.3)  # were one cancelled exception still pending, it would be raised here
    with time_budget(1):
        time.sleep(1.5)  # waiting is not processor time


# Hypothesis (imported by the fuzz tests) adds a GC callback; a stop that lands in it is
# printed there as "Exception ignored" and then raised again, which is what is tested here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_preview_reports_a_release_over_its_budget(make_site: MakeSite, tmp_path: Path) -> None:
    """The preview rebuilds in its watcher thread: the budget stops the slow release there,
    and the page shows it with the other file's problem."""
    site = slow_site(make_site, 3)
    preview = Preview(site, tmp_path / "preview", "http://127.0.0.1:8000/", io.StringIO())
    outcomes: list[tuple[ContentError, ...]] = []
    watcher = threading.Thread(target=lambda: outcomes.append(preview.rebuild().errors))
    watcher.start()
    watcher.join(timeout=120)
    (errors,) = outcomes
    assert [(error.path, error.line) for error in errors] == [
        ("content/releases/2016/r000.md", 3),
        ("content/releases/2016/slow.md", 1),
    ]
    assert "took more than 1 s of processor time" in errors[1].message
    assert "took more than 1 s of processor time" in error_page(errors, site)
