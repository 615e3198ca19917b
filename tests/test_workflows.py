"""The GitHub Actions workflows: valid, least-privilege, pinned, and running real commands."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisory_site.commands.cicommands import CI_COMMANDS
from advisory_site.commands.cli import main, make_parser
from advisory_site.commands.leakcheck import VISIBILITIES
from advisory_site.commands.schedule import BACKSTOP_EVERY, MAX_WAIT, WINDOW
from advisory_site.commands.websub import LiveComparison
from advisory_site.commands.websub import outputs as websub_outputs
from tests.conftest import NOW_ISO, REPO

WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("pull-request.yml", "publish.yml", "scheduled.yml")
README = (REPO / "README.md").read_text(encoding="utf-8")
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -e ."
DEPLOY_PERMISSIONS = {"pages": "write", "id-token": "write"}

# What the shell variables used in commands stand for on a runner (set by an earlier step,
# by a step's env from ${{ ... }}, or by GitHub).
SAMPLE_VALUES = {
    "NOW": NOW_ISO,
    "BASE_URL": "https://owner.github.io/advisory-site",
    "PWD": "/home/runner/work/advisory-site/advisory-site",
    "GITHUB_STEP_SUMMARY": "/home/runner/summary.md",
    "GITHUB_OUTPUT": "/home/runner/output",
    "AT": "2026-12-01T14:00:00Z",
    "HUB": "https://pubsubhubbub.appspot.com/",
    "FEEDS": '["https://owner.github.io/advisory-site/rss.xml"]',
    "VISIBILITY": "public",
}


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    if True in workflow:  # YAML 1.1 reads the key 'on' as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def jobs(name: str) -> dict[str, dict[str, Any]]:
    found = load(name)["jobs"]
    assert isinstance(found, dict)
    return found


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def deploys(job: dict[str, Any]) -> bool:
    """A job that deploys to Pages itself or through the publish workflow."""
    uses = [str(step.get("uses", "")) for step in steps(job)]
    return job.get("uses") == "./.github/workflows/publish.yml" or any(
        use.startswith("actions/deploy-pages@") for use in uses
    )


def test_the_three_workflows_parse_with_their_triggers() -> None:
    assert sorted(path.name for path in WORKFLOWS.iterdir()) == sorted(NAMES)
    triggers = {name: load(name)["on"] for name in NAMES}
    assert set(triggers["pull-request.yml"]) == {"pull_request"}
    assert triggers["publish.yml"]["push"] == {"branches": ["main"]}
    assert set(triggers["publish.yml"]) == {"push", "workflow_dispatch", "workflow_call"}
    assert set(triggers["scheduled.yml"]) == {"push", "schedule", "workflow_dispatch"}
    assert triggers["scheduled.yml"]["push"] == {"branches": ["main"]}
    for trigger in ("workflow_dispatch", "workflow_call"):
        assert set(triggers["publish.yml"][trigger]["inputs"]) == {"at"}
    for name in NAMES:
        workflow = load(name)
        assert isinstance(workflow["name"], str)
        for job_id, job in jobs(name).items():
            if "uses" in job:  # a call of another workflow of this repository
                assert (REPO / job["uses"]).is_file(), job_id
                continue
            assert str(job["runs-on"]).startswith("ubuntu-"), job_id
            assert isinstance(job["timeout-minutes"], int), job_id
            assert steps(job), job_id
            for step in steps(job):
                assert ("uses" in step) != ("run" in step), (name, job_id, step)


def test_permissions_are_least_privilege() -> None:
    for name in NAMES:
        assert load(name)["permissions"] == {"contents": "read"}, name
        for job_id, job in jobs(name).items():
            permissions = job.get("permissions", {})
            assert isinstance(permissions, dict), f"{name}: {job_id}: no read-all/write-all"
            writes = {scope: level for scope, level in permissions.items() if level == "write"}
            if deploys(job) and "uses" in job:  # grants publish.yml what its jobs need
                assert writes == {**DEPLOY_PERMISSIONS, "attestations": "write"}, (name, job_id)
            elif deploys(job):
                assert writes == DEPLOY_PERMISSIONS, (name, job_id)
            elif attests(job):
                assert writes == {"id-token": "write", "attestations": "write"}, (name, job_id)
            else:
                assert writes == {}, (name, job_id)
    assert [job_id for job_id, job in jobs("publish.yml").items() if deploys(job)] == ["deploy"]
    assert [job_id for job_id, job in jobs("scheduled.yml").items() if deploys(job)] == [
        "publish",
        "timed",
    ]
    assert not any(deploys(job) for job in jobs("pull-request.yml").values())
    assert [job_id for job_id, job in jobs("publish.yml").items() if attests(job)] == ["build"]


def attests(job: dict[str, Any]) -> bool:
    """A job that attests the site it built (GitHub artifact attestations)."""
    return any(
        str(step.get("uses", "")).startswith("actions/attest-build-provenance@")
        for step in steps(job)
    )


def test_publications_never_overlap_and_never_go_back() -> None:
    publish = jobs("publish.yml")
    # No workflow-wide group: a timed run waits for up to an hour and must not hold back the
    # publication of a merge; and the scheduled workflow calls publish.yml, so sharing a group
    # with it would deadlock the two.
    assert "concurrency" not in load("publish.yml")
    assert "concurrency" not in load("scheduled.yml")
    assert publish["build"]["concurrency"] == {"group": "publish-site", "cancel-in-progress": False}
    assert publish["deploy"]["concurrency"] == {
        "group": "deploy-pages",
        "cancel-in-progress": False,
    }
    assert publish["deploy"]["needs"] == "build"
    assert publish["deploy"]["if"] == "!cancelled() && needs.build.result == 'success'"
    assert publish["deploy"]["environment"]["name"] == "github-pages"
    # Every run builds the newest commit of main, never the one that started it: a run that
    # replaces or follows another never publishes older content than it.
    for name in ("publish.yml", "scheduled.yml"):
        for job_id, job in jobs(name).items():
            for step in steps(job):
                if str(step.get("uses", "")).startswith("actions/checkout@") and job_id != "websub":
                    assert step["with"]["ref"] == "main", (name, job_id)
    scheduled = jobs("scheduled.yml")
    assert scheduled["publish"]["needs"] == scheduled["timed"]["needs"] == "plan"
    assert scheduled["publish"]["if"] == "needs.plan.outputs.due == 'true'"


def test_a_timed_run_waits_then_rechecks_the_newest_content() -> None:
    wait = jobs("publish.yml")["wait"]
    assert wait["if"] == "inputs.at"  # runs only in a timed run
    # a newer plan for the same moment replaces the waiting job: one publication per moment
    assert wait["concurrency"] == {
        "group": "timed-release-${{ inputs.at }}",
        "cancel-in-progress": True,
    }
    assert wait["timeout-minutes"] * 60 > MAX_WAIT.total_seconds()
    runs = [str(step.get("run", step.get("uses"))) for step in steps(wait)]
    waiting = runs.index('.venv/bin/advisory-site schedule --at "$AT" --wait')
    fresh = next(
        index
        for index, step in enumerate(steps(wait))
        if index > waiting and str(step.get("uses", "")).startswith("actions/checkout@")
    )
    assert steps(wait)[fresh]["with"]["clean"] is False  # keeps the installed engine
    recheck = steps(wait)[-1]
    assert recheck["id"] == "recheck"
    assert recheck["run"].splitlines() == [
        '.venv/bin/advisory-site schedule --at "$AT" --format github >> "$GITHUB_OUTPUT"',
        '.venv/bin/advisory-site schedule --at "$AT" --format markdown >> "$GITHUB_STEP_SUMMARY"',
    ]
    assert waiting < fresh < len(runs) - 1
    assert wait["outputs"] == {"publish": "${{ steps.recheck.outputs.publish }}"}
    build = jobs("publish.yml")["build"]
    assert build["needs"] == "wait"
    assert " ".join(build["if"].split()) == (
        "!cancelled() && (needs.wait.result == 'skipped' || (needs.wait.result == 'success' "
        "&& needs.wait.outputs.publish == 'true'))"
    )
    # the scheduled workflow starts one timed run per moment the plan names
    timed = jobs("scheduled.yml")["timed"]
    assert timed["uses"] == "./.github/workflows/publish.yml"
    assert timed["with"] == {"at": "${{ matrix.at }}"}
    assert timed["strategy"]["matrix"] == {"at": "${{ fromJSON(needs.plan.outputs.moments) }}"}
    assert timed["strategy"]["fail-fast"] is False
    plan = jobs("scheduled.yml")["plan"]
    assert plan["outputs"]["moments"] == "${{ steps.plan.outputs.moments }}"
    assert next(s for s in steps(plan) if s.get("id") == "due")["if"] == (
        "github.event_name != 'push'"
    )


def upstream(workflow: str, job_id: str) -> set[str]:
    """Every job that ``job_id`` needs, directly or through the jobs it needs."""
    found: set[str] = set()
    needs = jobs(workflow)[job_id].get("needs", [])
    for need in [needs] if isinstance(needs, str) else needs:
        found |= {need, *upstream(workflow, need)}
    return found


def test_jobs_after_a_skipped_wait_still_run() -> None:
    """GitHub skips a job whose default condition meets any skipped job up its chain, even one
    it does not need directly (actions/runner#2205): after the wait job, which is skipped on
    every run that is not timed, each job must state its own condition, never cancelled."""
    for job_id, job in jobs("publish.yml").items():
        if "wait" in upstream("publish.yml", job_id):
            condition = " ".join(str(job.get("if", "")).split())
            assert condition.startswith("!cancelled() && "), job_id
            needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
            # the last of its needs (those the others need are implied by them) must succeed
            last = [n for n in needs if not any(n in upstream("publish.yml", m) for m in needs)]
            for need in last:
                assert f"needs.{need}.result == " in condition, (job_id, need)


def test_the_backstop_runs_often_enough_for_the_timed_window() -> None:
    (entry,) = load("scheduled.yml")["on"]["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert (hour, day, month, weekday) == ("*", "*", "*", "*")
    minutes = sorted(int(value) for value in minute.split(","))
    assert 0 not in minutes and 30 not in minutes  # off the busy marks
    gaps = [b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 60], strict=True)]
    assert max(gaps) * 60 == BACKSTOP_EVERY.total_seconds()
    # at least three runs of the backstop fall within a timed job's window
    assert WINDOW >= 3 * BACKSTOP_EVERY


def test_the_publish_summary_and_websub_pings() -> None:
    build = jobs("publish.yml")["build"]
    runs = [str(step.get("run", "")) for step in steps(build)]
    summary = [run for run in runs if "$GITHUB_STEP_SUMMARY" in run]
    assert summary == [
        (
            '.venv/bin/advisory-site compare-live "$BASE_URL/" _site '
            '--github-output "$GITHUB_OUTPUT" >> "$GITHUB_STEP_SUMMARY"'
        ),
        '.venv/bin/advisory-site schedule --now "$NOW" --format markdown >> "$GITHUB_STEP_SUMMARY"',
    ]
    live = next(step for step in steps(build) if step.get("id") == "live")
    assert live["continue-on-error"] is True
    assert runs.index(summary[0]) > next(i for i, run in enumerate(runs) if "build.py" in run)
    websub = jobs("publish.yml")["websub"]
    assert websub["needs"] == ["build", "deploy"]  # only after a successful deploy
    assert websub["permissions"] == {"contents": "read"}
    ping = steps(websub)[-1]
    assert ping["continue-on-error"] is True
    assert ping["env"] == {
        "HUB": "${{ needs.build.outputs.websub_hub }}",
        "FEEDS": "${{ needs.build.outputs.websub_feeds }}",
    }
    assert build["outputs"] == {
        "websub_hub": "${{ steps.live.outputs.websub_hub }}",
        "websub_feeds": "${{ steps.live.outputs.websub_feeds }}",
    }


def test_the_embargo_check_learns_the_visibility_from_github() -> None:
    job = jobs("pull-request.yml")["embargo"]
    assert "permissions" not in job  # the workflow's: contents read
    (step,) = [step for step in steps(job) if "embargo-check" in str(step.get("run", ""))]
    assert " ".join(step["env"]["VISIBILITY"].split()) == (
        "${{ github.event.repository.visibility "
        "|| (github.event.repository.private && 'private' || 'public') }}"
    )
    assert set(VISIBILITIES) == {"public", "private", "internal"}  # what GitHub reports
    checkouts = [s for s in steps(job) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts[1]["with"]["path"] == ".base"
    assert checkouts[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"


def uses_lines() -> Iterator[tuple[str, str]]:
    for name in NAMES:
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(-\s+)?uses:", line):
                yield name, line.split("uses:", 1)[1].strip()


def test_actions_are_pinned_to_full_commits_with_their_version() -> None:
    pinned = re.compile(r"^actions/[a-z-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    seen = set()
    for name, use in uses_lines():
        if use.startswith("./"):
            continue
        assert pinned.match(use), f"{name}: {use}"
        seen.add(use.split("@")[0])
    assert {
        "actions/checkout",
        "actions/setup-python",
        "actions/setup-node",
        "actions/cache",
        "actions/upload-artifact",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
        "actions/attest-build-provenance",
    } == seen
    by_action: dict[str, set[str]] = {}
    for _, use in uses_lines():
        by_action.setdefault(use.split("@")[0], set()).add(use)
    assert all(len(versions) == 1 for versions in by_action.values()), by_action


def all_steps() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name in NAMES:
        for job_id, job in jobs(name).items():
            for step in steps(job):
                yield name, job_id, step


def test_python_and_node_are_the_readmes_versions() -> None:
    assert "Python 3.11" in README
    assert "Node.js 20" in README
    for name, job_id, step in all_steps():
        use = str(step.get("uses", ""))
        if use.startswith("actions/setup-python@"):
            assert step["with"]["python-version"] == "3.11", (name, job_id)
        if use.startswith("actions/setup-node@"):
            assert step["with"]["node-version"] == "20", (name, job_id)
    assert jobs("pull-request.yml")["tests"]["container"] == "python:3.11-bookworm"


def test_ci_runs_the_readmes_install_and_test_commands() -> None:
    assert INSTALL in README
    assert "./scripts/test" in README
    assert (REPO / ".ci/run").read_text(encoding="utf-8").splitlines()[-1] == "./scripts/test"
    assert [step["run"] for step in steps(jobs("pull-request.yml")["tests"]) if "run" in step] == [
        ".ci/run"
    ]
    for workflow in NAMES:
        for job_id, job in jobs(workflow).items():
            runs = [str(step["run"]) for step in steps(job) if "run" in step]
            if any("advisory-site" in run or "build.py" in run for run in runs):
                assert INSTALL in runs, (workflow, job_id)


def test_the_build_cache_is_kept_between_runs() -> None:
    caches = [
        step for _, _, step in all_steps() if str(step.get("uses", "")).startswith("actions/cache@")
    ]
    assert len(caches) == 2  # the pull request's build and the publication
    for step in caches:
        assert step["with"]["path"] == ".cache"
        assert step["with"]["key"].endswith("-${{ github.run_id }}")
        assert step["with"]["key"].startswith(step["with"]["restore-keys"])


SHELL_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "{", "}", "!"}
)


def shell_commands(script: str) -> Iterator[list[str]]:
    """The simple commands of a shell script, split at operators and redirections."""
    for line in script.replace("\\\n", " ").splitlines():
        if line.strip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        redirect = False
        for token in lexer:
            if token in {"&&", "||", ";", "|", "(", ")"}:
                if command:
                    yield command
                command, redirect = [], False
            elif token in {">", ">>", "<"}:
                redirect = True
            elif redirect:
                redirect = False  # the redirection's target is not an argument
            elif command or token not in SHELL_KEYWORDS:
                command.append(token)
        if command:
            yield command


def expand(token: str) -> str:
    assert "${{" not in token, "pass expressions through env:, never into the script"

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in SAMPLE_VALUES, f"unknown variable ${name}"
        return SAMPLE_VALUES[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, token)


def engine_commands() -> Iterator[tuple[str, list[str]]]:
    """Every `advisory-site ...` and `python build.py ...` the workflows run, as CLI arguments."""
    for name, job_id, step in all_steps():
        for command in shell_commands(str(step.get("run", ""))):
            where = f"{name}: {job_id}: {' '.join(command)}"
            if command[0].endswith("/advisory-site") or command[0] == "advisory-site":
                yield where, [expand(token) for token in command[1:]]
            elif len(command) > 1 and command[1].endswith("build.py"):
                assert command[0].endswith("/python"), where
                yield where, ["build", *(expand(token) for token in command[2:])]


def test_every_engine_command_in_the_workflows_exists_in_the_cli() -> None:
    used: set[str] = set()
    for where, written in engine_commands():
        try:
            args = make_parser().parse_args(written)
        except SystemExit:
            pytest.fail(f"the CLI rejects a workflow command: {where}")
        used.add(args.command)
    assert used == {"check", "build", *CI_COMMANDS}  # each CI command is used by a workflow


def test_the_shell_splitter_finds_commands_behind_operators() -> None:
    script = (
        'X="$(date)"\n'
        'if [ -d a ]; then .venv/bin/advisory-site diff a b >> "$OUT"; else\n'
        "  { echo no; advisory-site check \\\n    --site x; } > out\nfi\n"
    )
    assert list(shell_commands(script)) == [
        ["X=$(date)"],
        ["[", "-d", "a", "]"],
        [".venv/bin/advisory-site", "diff", "a", "b"],
        ["echo", "no"],
        ["advisory-site", "check", "--site", "x"],
    ]


def printed_outputs(command: list[str], tmp_path: Path) -> set[str]:
    """The step outputs an engine command writes for $GITHUB_OUTPUT, from a run of it here."""
    if command[0] == "compare-live":  # reads the live site: its outputs, for an empty build
        comparison = LiveComparison(base_url="https://x.example/", feeds=(), unread={}, hub="")
        return {line.split("=", 1)[0] for line in websub_outputs(comparison).splitlines()}
    if command[0] == "release-due":  # the live site's file, as a local one
        info = tmp_path / "build-info.json"
        info.write_text('{"next_release_at": null}', encoding="utf-8")
        command = ["release-due", str(info)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(command) == 0, err.getvalue()
    return {line.split("=", 1)[0] for line in out.getvalue().splitlines()}


def test_every_step_output_the_workflows_read_is_printed_by_its_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the workflows run from the repository's root
    read = 0
    for name in ("publish.yml", "scheduled.yml"):
        for job_id, job in jobs(name).items():
            by_id = {step["id"]: step for step in steps(job) if "id" in step}
            for step_id, output in re.findall(r"steps\.(\w+)\.outputs\.(\w+)", str(job)):
                step = by_id[step_id]
                if "uses" in step:  # an action's documented output (base_url, page_url)
                    continue
                printed: set[str] = set()
                for command in shell_commands(str(step["run"])):
                    if command[0].endswith("/advisory-site"):
                        printed |= printed_outputs(
                            [expand(token) for token in command[1:]], tmp_path
                        )
                assert output in printed, (name, job_id, step_id, output)
                read += 1
    assert read == 5  # publish, websub_hub, websub_feeds; due, moments


LEVELS = {"none": 0, "read": 1, "write": 2}


def test_a_called_workflow_gets_every_permission_and_secret_it_uses() -> None:
    """GitHub refuses to start a called workflow whose jobs ask for more than the calling job
    grants, and passes it no secret the caller does not pass: the scheduled workflow's overdue
    and timed publications would fail, or publish without them, where a push's would not."""
    called = load("publish.yml")
    wanted: dict[str, int] = {}
    for job in called["jobs"].values():
        for scope, level in job.get("permissions", called["permissions"]).items():
            wanted[scope] = max(wanted.get(scope, 0), LEVELS[level])
    used_secrets = set(re.findall(r"secrets\.(\w+)", (WORKFLOWS / "publish.yml").read_text()))
    declared = set(called["on"]["workflow_call"].get("secrets") or {})
    assert used_secrets <= declared, "declare them under on.workflow_call.secrets"
    callers = [
        (name, job_id, job)
        for name in NAMES
        for job_id, job in jobs(name).items()
        if job.get("uses") == "./.github/workflows/publish.yml"
    ]
    assert [(name, job_id) for name, job_id, _ in callers] == [
        ("scheduled.yml", "publish"),
        ("scheduled.yml", "timed"),
    ]
    for name, job_id, job in callers:
        granted = {scope: LEVELS[level] for scope, level in job["permissions"].items()}
        for scope, level in wanted.items():
            assert granted.get(scope, 0) >= level, (name, job_id, scope)
        passed = job.get("secrets") or {}
        assert passed == "inherit" or used_secrets <= set(passed), (name, job_id)


def test_builds_check_out_the_whole_history() -> None:
    """The change history is read from git: a shallow clone would show no change at all."""
    for name, job_id in (("publish.yml", "build"), ("pull-request.yml", "site")):
        checkouts = [
            step
            for step in steps(jobs(name)[job_id])
            if str(step.get("uses", "")).startswith("actions/checkout@")
        ]
        assert checkouts and all(s["with"]["fetch-depth"] == 0 for s in checkouts), name
    build = next(
        step for step in steps(jobs("publish.yml")["build"]) if "build.py" in step.get("run", "")
    )
    assert build["env"]["ADVISORY_SITE_SIGNING_KEY"] == "${{ secrets.ADVISORY_SITE_SIGNING_KEY }}"
