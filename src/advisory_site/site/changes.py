"""Every version of a release that was live on the site, from its git history: the revisions that
its changes page shows (with a word-level diff) and the ledger lists, and the edits made after
publication without a public update note ("silent edits"), which ``check`` reports.

A version is live from the moment it was committed or its release date, whichever is later,
until the next commit of the file, unless it is a draft; a version replaced before its release
date (an embargoed draft of the text) was never live and appears nowhere. The version being
built, if it differs from the last commit (an edit not committed yet), is live from ``now``.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from advisory_site.core.errors import ContentError
from advisory_site.core.models import Release, SiteConfig, Update
from advisory_site.core.textnorm import collapse, html_paragraphs, normalise
from advisory_site.markdown.render import Renderer
from advisory_site.source.content import Lookups, load_release
from advisory_site.source.history import History

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """One published text of a release: the release as that version of its file made it.

    For the text published now, ``release`` is the very release built (so that a cache key
    refers to it by its key, and nothing is parsed twice); its paragraphs are worked out only
    where they are needed (``texts``), by the process that makes the ledger or changes page.
    """

    number: int  # 1 for the text first published
    published: datetime  # when it went live
    release: Release
    notes: tuple[Update, ...] = ()  # the update entries it added to the change log

    @property
    def title(self) -> str:
        return collapse(self.release.title)

    def texts(self) -> tuple[str, ...]:
        """The title, then the body's paragraphs (white space collapsed), as readers saw them:
        what the ledger hashes one by one, and the changes page compares."""
        return (self.title, *html_paragraphs(self.release.body_html, normal=False))


def canonical(texts: Sequence[str]) -> str:
    """A revision's canonical text: its normalised title and paragraphs, a line each."""
    return "\n".join(normalise(text) for text in texts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """A run of words of a diff: kept ("same"), added ("ins") or removed ("del")."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionChange:
    """A revision as the changes page shows it: what changed since the one before."""

    revision: Revision
    title: tuple[Segment, ...]  # the title's diff; () when unchanged
    paragraphs: tuple[tuple[Segment, ...], ...]  # the body's diff, paragraph by paragraph


def current_revision(release: Release) -> Revision:
    """The release as built, as a revision (the only one when there is no history)."""
    return Revision(number=1, published=release.last_published, release=release)


class Revisions:
    """The published revisions of each release, from the git ``history``.

    ``finish`` makes an earlier version's body what readers saw, as the build makes the
    current one's (a document's type and size, a video's player): without it, the words the
    engine adds would show as added text on the changes page, and the ledger would hash an
    unchanged paragraph differently in each version."""

    def __init__(
        self,
        history: History,
        config: SiteConfig,
        now: datetime,
        renderer: Renderer,
        finish: Callable[[Release], Release] = lambda release: release,
    ) -> None:
        self._history = history
        self._config = config
        self._lookups = Lookups.of(config)
        self._now = now
        self._renderer = renderer
        self._finish = finish

    def of(self, release: Release, current: bytes | None) -> tuple[Revision, ...]:
        """The published revisions of ``release`` (built from the file bytes ``current``),
        oldest first; just the release as built when the history is unavailable."""
        committed = self._history.versions.get(release.source, ())
        if not self._history.available or (len(committed) == 1 and committed[0].data == current):
            return (current_revision(release),)  # no other version: nothing to parse
        parsed: dict[bytes, Release | None] = {} if current is None else {current: release}
        versions: list[tuple[datetime, Release | None]] = []
        for version in committed:
            data = version.data
            if data is not None and data not in parsed:
                parsed[data] = self._parse(data, release.source)
            versions.append((version.committed, parsed[data] if data is not None else None))
        if not committed or committed[-1].data != current:
            versions.append((self._now, release))  # an edit not committed yet
        return tuple(_revisions(_live(versions, self._now)))

    def _parse(self, data: bytes, path: str) -> Release | None:
        loaded = load_release(
            data, path, config=self._config, lookups=self._lookups, renderer=self._renderer
        )
        # a version that did not validate failed its build, and was never live
        if loaded.errors or loaded.release is None:
            return None
        return self._finish(loaded.release)


def _live(
    versions: Sequence[tuple[datetime, Release | None]], now: datetime
) -> Iterator[tuple[datetime, Release]]:
    """The versions that were live, with the moment each went live, oldest first."""
    for index, (committed, release) in enumerate(versions):
        if release is None or release.draft:
            continue
        start = max(committed, release.release_date)
        end = versions[index + 1][0] if index + 1 < len(versions) else None
        if start <= now and (end is None or start < end):
            yield start, release


def _revisions(live: Iterator[tuple[datetime, Release]]) -> Iterator[Revision]:
    """The live versions whose text differs from the one before, numbered, with the update
    entries each added (those of the last version of its text, missing from the previous).
    Of versions with the same text, the last stands for them (the release as built, when it
    is one of them), dated by the first."""
    runs: list[tuple[datetime, Release, tuple[str, ...]]] = []  # (start, last release, texts)
    for start, release in live:
        texts = Revision(number=0, published=start, release=release).texts()
        if runs and runs[-1][2] == texts:
            runs[-1] = (runs[-1][0], release, texts)
        else:
            # the first text is dated by its release (its last update): a file committed
            # later, as when a site moves into git, was published before it came into git
            runs.append((start if runs else release.last_published, release, texts))
    known: set[tuple[datetime, str]] = set()
    for number, (start, release, _) in enumerate(runs, start=1):
        notes = tuple(u for u in release.updates if (u.date, u.note) not in known)
        known = {(update.date, update.note) for update in release.updates}
        yield Revision(
            number=number,
            published=start,
            release=release,
            notes=notes if number > 1 else (),
        )


def silent_edit(release: Release, revisions: Sequence[Revision]) -> ContentError | None:
    """A warning when the release's text differs from its last published version and no
    update entry says why."""
    if len(revisions) < 2 or revisions[-1].notes:
        return None
    return ContentError(
        path=release.source,
        field="updates",
        message="the text differs from the version published on "
        f"{revisions[-2].published.date().isoformat()}, and no new update entry says why",
        hint="add an entry to updates, such as {date: YYYY-MM-DD, note: Corrected the date., "
        "type: minor}; the change is public on the release's changes page",
    )


def changes(revisions: Sequence[Revision]) -> tuple[RevisionChange, ...]:
    """Each revision after the first, with its word-level diff from the one before."""
    result = []
    texts = [revision.texts() for revision in revisions]
    for (before, after), revision in zip(itertools.pairwise(texts), revisions[1:], strict=True):
        title = () if before[0] == after[0] else word_diff(before[:1], after[:1])
        result.append(
            RevisionChange(
                revision=revision,
                title=title[0] if title else (),
                paragraphs=word_diff(before[1:], after[1:]),
            )
        )
    return tuple(result)


_BREAK = "\n"  # a paragraph break among the words (no word holds a line break)


def word_diff(old: Sequence[str], new: Sequence[str]) -> tuple[tuple[Segment, ...], ...]:
    """The paragraphs of ``new`` with the words added and removed since ``old`` marked.

    The words of all paragraphs are compared as one sequence (a paragraph break is a word), so
    a sentence moved to the next paragraph is one change, not two paragraphs rewritten. A
    paragraph removed whole shows as removed words in the paragraph where it stood.
    """
    a = _words(old)
    b = _words(new)
    paragraphs: list[list[Segment]] = [[]]

    def add(kind: str, words: list[str]) -> None:
        for word in words:
            if word == _BREAK:
                if kind != "del":
                    paragraphs.append([])
                continue
            segments = paragraphs[-1]
            if segments and segments[-1].kind == kind:
                segments[-1] = Segment(kind=kind, text=f"{segments[-1].text} {word}")
            else:
                segments.append(Segment(kind=kind, text=word))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", b[b1:b2])
        else:
            add("del", a[a1:a2])
            add("ins", b[b1:b2])
    return tuple(tuple(segments) for segments in paragraphs if segments)


def _words(paragraphs: Sequence[str]) -> list[str]:
    words: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if index:
            words.append(_BREAK)
        words.extend(_WORD.findall(paragraph))
    return words
