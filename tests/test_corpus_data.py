"""The real-release corpus (tests/corpus/) is consistent: files, site.yaml and expected.yaml agree.

These checks read the data only; building the corpus and comparing pages is the job of the
corpus build test. They keep a hand edit of a release or of expected.yaml from drifting apart.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

CORPUS = Path(__file__).parent / "corpus"
RELEASES = CORPUS / "releases"
END_MARK_LINES = re.compile(r"^(#+|#( +#)+|-30-)$")


def _release_paths() -> list[str]:
    return sorted(path.relative_to(RELEASES).as_posix() for path in RELEASES.rglob("*.md"))


@functools.cache
def _split(path: str) -> tuple[str, dict[str, Any], str]:
    text = (RELEASES / path).read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    front, body = text[4:].split("\n---\n", 1)
    data = yaml.safe_load(front)
    assert isinstance(data, dict), path
    return front, data, body


def _plain(text: str) -> str:
    """Text as a reader sees it: link and bold markup removed, white space runs collapsed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    return data


def _declared(site: dict[str, Any], key: str, fields: tuple[str, ...]) -> set[str]:
    return {str(item[field]) for item in site[key] for field in fields if field in item}


def test_corpus_holds_enough_releases_from_each_kind_of_office() -> None:
    paths = _release_paths()
    assert len(paths) >= 24
    agencies = {name for path in paths for name in _split(path)[1]["agencies"]}
    assert {"DHS", "FEMA", "CISA", "ODNI", "DOJ"} <= agencies
    assert any(name.startswith(("House", "Senate", "Senator")) for name in agencies)


@pytest.mark.parametrize("path", _release_paths())
def test_release_front_matter_is_declared_and_sourced(path: str) -> None:
    front, data, body = _split(path)
    site = _load("site.yaml")
    assert re.match(r"# source: https?://\S+$", front.splitlines()[0]), "source comment first"
    assert "slug" not in data
    assert isinstance(data["release_date"], datetime.date)
    assert str(data["release_date"]).startswith(Path(path).parent.name)
    assert data["kind"] in _declared(site, "kinds", ("id", "name"))
    agencies = _declared(site, "agencies", ("id", "name", "short_name"))
    assert set(data["agencies"]) <= agencies
    assert set(data["topics"]) <= _declared(site, "topics", ("id", "name"))
    contact = data.get("contact")
    assert contact is None or contact == "none" or {"office", "phone"} <= set(contact)
    assert all(line == line.rstrip() for line in body.splitlines()), "no trailing spaces"
    assert "<" not in body, "no HTML in a transcribed body"


@pytest.mark.parametrize("path", _release_paths())
def test_expected_facts_are_in_the_release(path: str) -> None:
    expected = _load("expected.yaml")
    assert sorted(expected) == _release_paths()
    facts = expected[path]
    front, data, body = _split(path)
    lines = body.splitlines()
    text = _plain(body)
    first = _plain(body.strip().split("\n\n", 1)[0])
    assert facts["source"] == front.splitlines()[0].removeprefix("# source: ")
    assert facts["title"] in (None, data["title"])
    assert facts["release_date"] == str(data["release_date"])
    assert facts["release_number"] == data.get("release_number")
    assert facts["first_paragraph_chars"] == len(first)
    if facts["dateline"]:
        assert first.startswith(facts["dateline"])
    if facts["end_mark"]:
        assert facts["end_mark"] in lines
    assert facts["end_mark"] or not any(END_MARK_LINES.match(line) for line in lines)
    for block in facts["line_blocks"]:
        assert any(lines[i : i + len(block)] == block for i in range(len(lines))), block[0]
    for items in facts["list_items"]:
        assert all(f"- {item}" in lines for item in items)
    for quote in facts["quotes"]:
        assert quote in text
    for link in facts["links"]:
        assert f"[{link['text']}]({link['href']})" in body
    for heading in facts["headings"]:
        assert f"### {heading}" in lines
    if isinstance(data.get("contact"), dict):
        assert facts["contact"]["office"] == data["contact"]["office"]
        assert facts["contact"]["phone"] == str(data["contact"]["phone"])
    if data.get("contact") == "none":
        assert facts["built_contact"] is None
