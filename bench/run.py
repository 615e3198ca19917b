"""Benchmark advisory-site's default build (stylesheet, pages, feeds and search index) against
Hugo + Pagefind on the same synthetic corpus. Not a test; never gates CI.

    python -m bench.run [--sizes 2000 10000] [--repeat 3] [--workdir DIR] [--no-search]

For each size N it generates N releases (bench/generate.py), then, alternating the two in the same
run, measures for each a clean build (no output, no cache), the first rebuild after it, another
rebuild with nothing changed and a rebuild after one release changed. For advisory-site it also
measures what a publish on merge costs in CI ("ci-cache"): no output folder, the `.cache/` folder
of the build before that one release changed restored (as `actions/cache` restores it), and a
signing key the cache's pickle was not signed with (each runner is a new machine), so only what
needs no signature can be reused (the compiled stylesheet, the search index); "ci-cache+key" is
the same with the repository secret the publish workflow passes (ADVISORY_SITE_CACHE_KEY), so the
releases of the pickle are reused too. The peer is Hugo
followed by Pagefind's own binary over Hugo's output (`bench/hugo/` marks the release pages for
Pagefind as our templates do), one shell command, so its time and memory include both. Each
measurement is a fresh process:

- wall: elapsed time of the command;
- cpu: user + system time of the command and all its child processes (getrusage of children);
- memory: the peak, sampled every 50 ms, of the summed PSS (proportional set size: shared pages
  are split between the processes sharing them, so forked workers are not double counted) and of
  the summed RSS (which does count shared pages once per process) over the whole process tree,
  the search indexer included. Sampling can miss a spike shorter than 50 ms. Reading smaps_rollup
  costs the kernel time in proportion to a process's memory, on the same cores, so memory is
  measured in a separate pass of the first round, and the timed builds are never sampled.

Figures are the median of the repeats (memory: the maximum). On a shared machine wall times are
noisy; CPU times much less so, and the ratios compare builds of the same run.

The work folder (sites and outputs) defaults to /dev/shm, a RAM file system, where there is one.
Hugo writes its pages from many threads at once; on this machine's ext4 disk their mkdir and
open calls wait on each other in the kernel, which would flatter us. The report names the file
system it ran on.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from advisory_site.publish.search import pagefind_binary
from bench.generate import copy_site_files, generate

REPO = Path(__file__).resolve().parent.parent
HUGO_SITE = Path(__file__).resolve().parent / "hugo"
NOW = "2026-11-24T12:00:00+00:00"
SCENARIOS = ("clean", "first-rebuild", "no-change", "one-change", "ci-cache", "ci-cache+key")
SECRET = "bench secret"  # noqa: S105 - stands for the publish workflow's repository secret
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
INTERVAL = 0.05  # seconds between two memory samples


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system, children included
    pss: int  # bytes, peak of the sum over the process tree
    rss: int  # bytes, peak of the sum over the process tree


def descendants(pid: int) -> list[int]:
    found = [pid]
    for parent in found:  # grows while we walk it
        try:
            tasks = list(Path(f"/proc/{parent}/task").glob("*/children"))
        except OSError:  # it ended meanwhile
            continue
        for task in tasks:
            try:
                found.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """Summed (PSS, RSS) in bytes of ``pid`` and all its descendants."""
    pss = rss = 0
    for member in descendants(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return pss, rss


def measure(command: list[str], env: dict[str, str] | None = None, *, sampled: bool) -> Sample:
    """Run ``command``; with ``sampled``, also sample its memory (which slows it: see above)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pss, rss = tree_memory(process.pid)
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
            done.wait(INTERVAL)

    sampler = threading.Thread(target=sample, daemon=True)
    if sampled:
        sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    if sampled:
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall=wall, cpu=cpu, pss=peak[0], rss=peak[1])


class Generator:
    name = ""
    scenarios: tuple[str, ...] = SCENARIOS

    def __init__(self, site: Path, work: Path) -> None:
        self.site = site
        self.work = work

    def clean(self) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def ci_runner(self, *, secret: bool = False) -> None:
        """Make the next build a CI runner's: no output, ``.cache`` as CI restores it."""
        raise NotImplementedError


class Advisory(Generator):
    name = "advisory-site"

    def clean(self) -> None:
        shutil.rmtree(self.site / "_site", ignore_errors=True)
        shutil.rmtree(self.site / "._site.spare", ignore_errors=True)
        shutil.rmtree(self.site / ".cache", ignore_errors=True)
        if self.key_home is not None:
            shutil.rmtree(self.key_home, ignore_errors=True)
        self.key_home = None
        self.secret = True

    build_args: tuple[str, ...] = ()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "advisory_site",
            "build",
            "--site",
            str(self.site),
            *self.build_args,
        ]

    key_home: Path | None = None  # the signing key's folder (XDG_CACHE_HOME) for the next builds
    secret = True  # builds sign their cache with SECRET, as the publish workflow does

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        env.pop("ADVISORY_SITE_CACHE_KEY", None)
        if self.secret:
            env["ADVISORY_SITE_CACHE_KEY"] = SECRET
        if self.key_home is not None:
            env["XDG_CACHE_HOME"] = str(self.key_home)
        return env

    def keep_cache(self) -> None:
        """Set aside ``.cache/`` as it is now: what the next CI run will restore."""
        shutil.rmtree(self.work / "ci-cache", ignore_errors=True)
        shutil.copytree(self.site / ".cache", self.work / "ci-cache")

    def ci_runner(self, *, secret: bool = False) -> None:
        """A new runner: without ``secret`` the restored pickle is signed with a key it does
        not have (no repository secret), with it the pickle is good."""
        self.secret = secret
        if self.key_home is not None:
            shutil.rmtree(self.key_home, ignore_errors=True)
        shutil.rmtree(self.site / "_site", ignore_errors=True)
        shutil.rmtree(self.site / "._site.spare", ignore_errors=True)
        shutil.rmtree(self.site / ".cache", ignore_errors=True)
        shutil.copytree(self.work / "ci-cache", self.site / ".cache")
        # a new machine: a signing key of its own, which never signed the restored pickle
        self.key_home = Path(tempfile.mkdtemp(prefix="runner-", dir=self.work))


class Hugo(Generator):
    """Hugo, then (unless ``search`` is off) Pagefind's binary over Hugo's output."""

    name = "hugo + pagefind"
    scenarios = ("clean", "no-change")  # it rebuilds everything whatever changed: see README
    search = True

    def clean(self) -> None:
        for folder in ("hugo-site", "hugo-out", "hugo-cache"):
            shutil.rmtree(self.work / folder, ignore_errors=True)
        # a copy, so Hugo's lock file and resources/ never land in the repository
        shutil.copytree(HUGO_SITE, self.work / "hugo-site")

    def command(self) -> list[str]:
        hugo = [
            "hugo",
            "--quiet",
            "--source",
            str(self.work / "hugo-site"),
            "--contentDir",
            str(self.site / "content"),
            "--destination",
            str(self.work / "hugo-out"),
            "--cacheDir",
            str(self.work / "hugo-cache"),
        ]
        if not self.search:
            return hugo
        pagefind = [str(pagefind_binary()), "--site", str(self.work / "hugo-out"), "--quiet"]
        return ["sh", "-c", f"{shlex.join(hugo)} && {shlex.join(pagefind)}"]


def change_one_release(site: Path, round_number: int) -> None:
    """Edit the body of one release (the same file each time, different words each round)."""
    file = min((site / "content" / "releases").rglob("*.md"))
    text = file.read_text(encoding="utf-8").rstrip("\n").rsplit("\n\nEdited in round", 1)[0]
    file.write_text(f"{text}\n\nEdited in round {round_number}.\n", encoding="utf-8")


def corpus(count: int, work: Path) -> Path:
    """The site of ``count`` synthetic releases under ``work``, generated unless it already is,
    with this checkout's settings, templates and static files (even for a corpus made earlier)."""
    site = work / f"site-{count}"
    marker = site / ".generated"
    if not marker.exists() or marker.read_text() != str(count):
        shutil.rmtree(site, ignore_errors=True)
        generate(count, site)
        marker.write_text(str(count))
    copy_site_files(site)
    return site


Results = dict[str, dict[str, list[Sample]]]


def run_size(
    count: int, work: Path, repeat: int, *, search: bool = True
) -> tuple[Results, Results]:
    """The timed samples and the memory samples of every generator and scenario at ``count``."""
    site = corpus(count, work)
    ours = Advisory(site, work)
    ours.build_args = () if search else ("--no-search",)
    peer = Hugo(site, work)
    peer.search = search
    generators: list[Generator] = [ours, peer]
    timed: Results = {g.name: {s: [] for s in g.scenarios} for g in generators}
    memory: Results = {g.name: {s: [] for s in g.scenarios} for g in generators}
    # Every round times the scenarios with nothing watching the builds; the first round then
    # runs them all again with memory sampled, since sampling slows what it watches.
    passes = [(round_number, False) for round_number in range(repeat)]
    passes.insert(1, (0, True))
    for number, (round_number, sampled) in enumerate(passes):
        results = memory if sampled else timed
        order = generators if number % 2 == 0 else generators[::-1]

        def run(
            scenario: str,
            results: Results = results,
            order: list[Generator] = order,
            sampled: bool = sampled,
        ) -> None:
            for generator in order:
                if scenario in generator.scenarios:
                    results[generator.name][scenario].append(
                        measure(generator.command(), generator.env(), sampled=sampled)
                    )

        for generator in order:
            generator.clean()
        run("clean")
        # The first rebuild after a clean build writes a whole second folder (the spare that
        # later rebuilds update in place: output.py); press staff then rebuild many times.
        run("first-rebuild")
        run("no-change")
        ours.keep_cache()  # what CI restores: the cache of the last publish, before the change
        change_one_release(site, number)
        run("one-change")
        ours.ci_runner()
        run("ci-cache")
        ours.ci_runner(secret=True)
        run("ci-cache+key")
        what = "memory" if sampled else "timed"
        print(f"N={count}: round {round_number + 1} of {repeat} ({what}) done", file=sys.stderr)
    return timed, memory


def file_system(folder: Path) -> str:
    """The type of the file system holding ``folder`` ("tmpfs", "ext4", ...), from /proc/mounts."""
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    target = str(folder.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def default_workdir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a scratch folder of ours, kept between runs for its corpora
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / "advisory-bench"
    return Path(tempfile.gettempdir()) / "advisory-bench"


def mib(value: float) -> str:
    return f"{value / 2**20:.0f}"


def report(count: int, timed: Results, memory: Results, where: str) -> str:
    peer = Hugo.name
    peer_clean = statistics.median(s.wall for s in timed[peer]["clean"])
    peer_cpu = statistics.median(s.cpu for s in timed[peer]["clean"])
    lines = [
        f"### N = {count:,}",
        "",
        (
            f"Work folder on {where}; {os.cpu_count()} CPUs. Ratios: wall time over the median "
            f"clean build of {peer} in this run ({peer_clean:.2f} s)."
        ),
        "",
        (
            "| generator | build | wall s (each run) | wall s | CPU s | peak PSS MiB "
            "| peak RSS MiB | wall / peer clean | CPU / peer clean |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, scenarios in timed.items():
        for scenario, samples in scenarios.items():
            wall = statistics.median(s.wall for s in samples)
            runs = ", ".join(f"{s.wall:.2f}" for s in samples)
            cpu = statistics.median(s.cpu for s in samples)
            pss = max(s.pss for s in memory[name][scenario])
            rss = max(s.rss for s in memory[name][scenario])
            lines.append(
                f"| {name} | {scenario} | {runs} | {wall:.2f} | {cpu:.2f} | {mib(pss)} "
                f"| {mib(rss)} | {wall / peer_clean:.2f}x | {cpu / peer_cpu:.2f}x |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=default_workdir(),
        help="where the corpora and outputs go (default: /dev/shm/advisory-bench, see above)",
    )
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="build without a search index, and the peer is Hugo alone",
    )
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed (Debian: apt-get install hugo)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    # The engine byte-compiled, as Python leaves it after a user's first build: an environment
    # with PYTHONDONTWRITEBYTECODE (this machine's) would have every build compile it anew.
    compileall.compile_dir(REPO / "src", quiet=1)
    everything = {}
    for count in args.sizes:
        timed, memory = run_size(count, args.workdir, args.repeat, search=not args.no_search)
        everything[count] = {
            kind: {
                name: {s: [asdict(x) for x in samples] for s, samples in scenarios.items()}
                for name, scenarios in results.items()
            }
            for kind, results in (("timed", timed), ("memory", memory))
        }
        print(report(count, timed, memory, file_system(args.workdir)) + "\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
