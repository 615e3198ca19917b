"""Lighthouse (npm ``lighthouse``, pinned in package.json) run over pages in Debian's Chromium.

Mobile, Lighthouse's defaults: a Moto G Power-sized screen, simulated throttling (150 ms round
trips, 1.6 Mbit/s, a CPU 4 times slower). The scores of accessibility, best practices and SEO do
not depend on the machine's speed; performance is computed from simulated metrics and still moves
with the load of the machine, so the test asserts no score for it (only that no resource blocks
rendering) and ``bench.lighthouse`` records it (see bench/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "speed-index",
    "total-blocking-time",
    "cumulative-layout-shift",
)


def version() -> str:
    return str(json.loads((CLI.parent.parent / "package.json").read_bytes())["version"])


@dataclass(frozen=True, slots=True)
class Report:
    """The parts of a Lighthouse report the tests and the benchmark use."""

    url: str
    scores: dict[str, int]  # category -> 0..100
    metrics: dict[str, float]  # audit id -> numeric value (ms, or unitless for CLS)
    failed: dict[str, str]  # id -> title of every scored audit below 1 outside performance
    raw: dict[str, object]


def run(url: str, *, categories: tuple[str, ...] = CATEGORIES) -> Report:
    """Lighthouse's mobile report of ``url``."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
        output = Path(folder) / "report.json"
        command = [
            "node",
            str(CLI),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={output}",
            f"--only-categories={','.join(categories)}",
            (
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
                f" --user-data-dir={folder}/profile"
            ),
            "--max-wait-for-load=30000",
        ]
        environment = {**os.environ, "CHROME_PATH": CHROMIUM}
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=240, check=False, env=environment
        )
        if result.returncode != 0 or not output.is_file():
            raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")
        report = json.loads(output.read_bytes())
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {report['runtimeError']}")
    audits = report["audits"]
    scores = {
        name: round(100 * (category["score"] or 0))
        for name, category in report["categories"].items()
    }
    metrics = {
        name: float(audits[name]["numericValue"])
        for name in METRICS
        if name in audits and "numericValue" in audits[name]
    }
    failed = {}
    for name, category in report["categories"].items():
        if name == "performance":
            continue
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                failed[ref["id"]] = audit["title"]
    return Report(url=url, scores=scores, metrics=metrics, failed=failed, raw=report)
