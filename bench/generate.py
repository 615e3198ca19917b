"""Write a site with N synthetic, deterministic press releases, for benchmarks and load tests.

    python -m bench.generate N DIR [--seed S]

DIR gets the repository's content/site.yaml, content/pages, templates/ and static/, and N releases
(about 450 words each, with paragraphs, a quotation, a heading, a list and a link) spread over
20 years, in content/releases/YYYY/<slug>.md. The same N and seed always give byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

from advisory_site.core.urls import make_slug

REPO = Path(__file__).resolve().parent.parent
FIRST_DAY = date(2006, 1, 1)
DAYS = 20 * 365

# Declared in the repository's content/site.yaml (by id or by name, as press staff write them).
TOPICS = ("Election Security", "Cybersecurity", "Border Security", "Disaster Response")
AGENCIES = ("DHS", "ODNI", "CISA", "FEMA")
KINDS = ("press-release", "press-release", "press-release", "statement", "fact-sheet", "speech")

ACTORS = (
    "Secretary",
    "Deputy Secretary",
    "Under Secretary",
    "Administrator",
    "Director",
    "Department",
    "Acting Secretary",
)
ACTIONS = (
    "Announces",
    "Launches",
    "Expands",
    "Highlights",
    "Awards",
    "Releases",
    "Updates",
    "Strengthens",
)
SUBJECTS = (
    "Grants for State and Local Partners",
    "Guidance on Ransomware Preparedness",
    "Support for Communities Affected by Flooding",
    "Port of Entry Modernization Program",
    "Election Infrastructure Assessments",
    "Hurricane Season Readiness Plan",
    "Partnership With Critical Infrastructure Owners",
    "Training for First Responders",
    "Resources for Small Businesses",
    "Public Awareness Campaign",
    "Cyber Hygiene Scanning Service",
    "Wildfire Recovery Assistance",
)
PLACES = (
    "Texas",
    "Florida",
    "California",
    "Puerto Rico",
    "the Gulf Coast",
    "the Midwest",
    "New England",
    "the Pacific Northwest",
    "Alaska",
    "the Southwest Border",
    "Guam",
    "the Great Lakes Region",
)
_PROSE = (
    "the department continues to work with state local tribal and territorial partners to "
    "strengthen preparedness and resilience across the nation officials said the program "
    "provides technical assistance funding and training to communities that face growing risks "
    "from severe weather cyber threats and other hazards agencies will coordinate closely with "
    "private sector owners and operators of critical infrastructure to share information about "
    "threats vulnerabilities and best practices the effort builds on lessons learned during "
    "previous seasons and reflects feedback from emergency managers election officials and "
    "industry leaders residents are encouraged to make a plan sign up for local alerts and "
    "review guidance published on official websites these investments will help protect "
    "families businesses and public services while ensuring taxpayer resources are used "
    "responsibly and transparently"
)
WORDS = tuple(_PROSE.split())


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 22))]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, words: int) -> str:
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(sentence(rng))
    return " ".join(sentences)


def body(rng: random.Random, place: str) -> str:
    """About 450 words of Markdown: paragraphs, a quotation, a heading, a list and a link."""
    items = [f"- {sentence(rng)[:-1]}" for _ in range(4)]
    return "\n\n".join(
        [
            f"WASHINGTON \N{EN DASH} {paragraph(rng, 70)}",
            paragraph(rng, 80),
            (  # press releases quote people: straight quotes that smarty turns typographic
                f'"We\'re {sentence(rng)[:-1].lower()}," officials in {place} said, adding '
                f"that *{sentence(rng)[:-1].lower()}* and that the work will continue. "
                f"{paragraph(rng, 40)}"
            ),
            "## What this means for communities",
            paragraph(rng, 60),
            "\n".join(items),
            paragraph(rng, 70),
            (
                "More information is available at [Ready.gov](https://www.ready.gov/) and from "
                f"the **{rng.choice(AGENCIES)}** press office. {paragraph(rng, 40)}"
            ),
        ]
    )


def release_file(rng: random.Random, index: int, used: set[tuple[int, str]]) -> tuple[str, str]:
    """The site-relative path and text of release number ``index``."""
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    place = rng.choice(PLACES)
    title = f"{rng.choice(ACTORS)} {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)} in {place}"
    slug = make_slug(title)
    extra = ""
    if (day.year, slug) in used:  # one file name per year (and one URL per day): change the slug
        slug = f"{slug[:90].rstrip('-')}-{index}"
        extra = f"slug: {slug}\n"
    used.add((day.year, slug))
    topics = rng.sample(TOPICS, rng.choice((1, 1, 2, 2, 3)))
    agencies = rng.sample(AGENCIES, rng.choice((1, 1, 1, 2)))
    updates = ""
    last = day
    if rng.random() < 0.1:
        last = day + timedelta(days=rng.randint(1, 30))
        updates = f"updates:\n  - {{date: {last.isoformat()}, note: Corrected a figure.}}\n"
    text = (
        "---\n"
        f"title: {title}\n"
        f"release_date: {day.isoformat()}\n"
        f"last_published: {last.isoformat()}\n"
        f"kind: {rng.choice(KINDS)}\n"
        "contact:\n"
        "  office: DHS Press Office\n"
        "  phone: 202-282-8010\n"
        f"agencies: [{', '.join(agencies)}]\n"
        f"topics: [{', '.join(topics)}]\n"
        f"{extra}{updates}"
        "---\n"
        f"{body(rng, place)}\n"
    )
    return f"content/releases/{day.year}/{slug}.md", text


def copy_site_files(site: Path) -> None:
    """Give ``site`` the repository's current settings, pages, templates, static files and
    stylesheet (with the npm packages it is compiled from, linked), as ``python build.py`` has."""
    site.mkdir(parents=True, exist_ok=True)
    for folder in ("templates", "locales", "static", "content/pages", "assets"):
        shutil.rmtree(site / folder, ignore_errors=True)
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    (site / "content").mkdir(exist_ok=True)
    shutil.copyfile(REPO / "content" / "site.yaml", site / "content" / "site.yaml")
    for file in ("package.json", "package-lock.json"):
        shutil.copyfile(REPO / file, site / file)
    modules = site / "node_modules"
    if modules.is_symlink() or modules.exists():
        modules.unlink()
    if (REPO / "node_modules").is_dir():
        modules.symlink_to(REPO / "node_modules", target_is_directory=True)


def generate(count: int, site: Path, *, seed: int = 2016) -> None:
    """Write a site with ``count`` releases into ``site`` (its old releases are removed)."""
    copy_site_files(site)
    shutil.rmtree(site / "content" / "releases", ignore_errors=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    used: set[tuple[int, str]] = set()
    for index in range(count):
        relative, text = release_file(rng, index, used)
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("count", type=int, help="how many releases")
    parser.add_argument("site", type=Path, help="the site folder to write")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    generate(args.count, args.site, seed=args.seed)
    print(f"Wrote {args.count} releases into {args.site}")


if __name__ == "__main__":
    main()
