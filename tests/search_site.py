"""The search tests' site: two published releases, a withdrawn one, a draft and an embargoed one.

Each unpublished release carries a word found nowhere else, so a search for it must find nothing.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import REPO, SITE_YAML

ORGANISATION_WORD = "quillfeather"  # only in navigation and footers, which are not indexed
DRAFT_WORD = "zanzibarquokka"
EMBARGO_WORD = "xylophonewombat"
WITHDRAWN_WORD = "gooseberryfool"  # a withdrawn release stays online but leaves search
SUMMARY_WORD = "marmalade"  # only in a hand-written summary, not in the body

MACHINES_URL = "/news/2016/10/07/ballot-machines-certified/"
WITHDRAWN_URL = "/news/2018/03/01/withdrawn-ballot-notice/"
PHISHING_URL = "/news/2019/05/01/ballot-phishing-warning/"

RELEASES = {
    "content/releases/2016/ballot-machines-certified.md": """\
---
title: Ballot Machines Certified
release_date: 2016-10-07
kind: press-release
agencies: [DHS]
topics: [Election Security]
---
Officials certified the ballot machines of every county before the election.

A second paragraph about voting equipment.
""",
    "content/releases/2019/ballot-phishing-warning.md": f"""\
---
title: Ballot Phishing Warning
release_date: 2019-05-01
kind: statement
agencies: [DHS, ODNI]
topics: [Cybersecurity]
summary: A {SUMMARY_WORD} summary written by hand.
---
Phishing emails pretend to be about ballot deadlines. Do not open them.
Some hide <b>markup</b> & a `<img src=x onerror=alert(1)>` tag.
""",
    "content/releases/2018/withdrawn-ballot-notice.md": f"""\
---
title: Withdrawn Ballot Notice
release_date: 2018-03-01
topics: [Election Security]
status: withdrawn
withdrawn_reason: It named the wrong ballot.
withdrawn_date: 2018-03-02
---
The {WITHDRAWN_WORD} ballot notice was withdrawn.
""",
    "content/releases/2020/draft-not-approved.md": f"""\
---
title: Draft Not Approved
release_date: 2020-01-01
draft: true
---
The {DRAFT_WORD} plan is still a draft.
""",
    "content/releases/2030/embargoed-announcement.md": f"""\
---
title: Embargoed Announcement
release_date: 2030-01-01
---
The {EMBARGO_WORD} programme is announced later.
""",
}


def write_search_site(folder: Path, *, affiliate: str = "") -> Path:
    """Write the search test site (with the repository's templates and static files)."""
    site_yaml = SITE_YAML.replace("organisation: Test Agency", "organisation: Quillfeather Agency")
    if affiliate:
        site_yaml += f"search:\n  searchgov_affiliate: {affiliate}\n"
    (folder / "content").mkdir(parents=True)
    (folder / "content" / "site.yaml").write_text(site_yaml, encoding="utf-8")
    for relative, text in RELEASES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copytree(REPO / "static", folder / "static")
    return folder


def indexed_pages(output: Path) -> dict[str, dict[str, Any]]:
    """What Pagefind stored for each indexed page (its fragments), by URL."""
    pages: dict[str, dict[str, Any]] = {}
    for fragment in sorted((output / "pagefind" / "fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(fragment.read_bytes())
        assert raw.startswith(b"pagefind_dcd"), fragment
        page = json.loads(raw.removeprefix(b"pagefind_dcd"))
        pages[page["url"]] = page
    return pages


def every_byte(output: Path) -> bytes:
    """The whole output folder as one blob, with Pagefind's compressed files decompressed."""
    blobs = []
    for path in sorted(output.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            blobs.append(gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data)
    return b"\n".join(blobs)
