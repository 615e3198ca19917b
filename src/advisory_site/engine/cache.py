"""The persistent build cache in ``<site>/.cache/``: what a rebuild may reuse, and its keys.

It holds validated releases keyed by the hash of their file, rendered bodies keyed by the hash of
their Markdown, and for every HTML page of the last output the hash of everything the page was
rendered from. Every key also covers the engine's own source code and library versions, so an
upgraded engine never reuses what an older one made. Deleting the folder gives a clean build.

The cache is one file written atomically (a temporary file, renamed once the output folder was
swapped in; a clean build writes the releases into it as it loads them): a build killed at any
moment leaves either the previous cache or none. The file is signed with a key kept outside the
site (in the user's cache folder, or a secret in $ADVISORY_SITE_CACHE_KEY on CI runners), because
it is a pickle: a ``.cache`` folder slipped into a pull request must never run code in CI. A file
that is truncated, unsigned, of another format or another engine is ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import secrets
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from advisory_site.core.errors import ContentError
from advisory_site.core.models import Release
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.markdown.render import RENDERER_VERSION, Rendered
from advisory_site.site.templates import MAX_TEMPLATE_BYTES
from advisory_site.source.content import LoadedRelease

CACHE_DIR = ".cache"
CACHE_FILE = "build-cache.pickle"
PREVIEW_CACHE_FILE = "preview-cache.pickle"  # the preview server's builds (drafts, its own URL)
_MAGIC = b"advisory-site build cache 2\n"
KEY_VARIABLE = "ADVISORY_SITE_CACHE_KEY"  # a secret to sign with instead of the per-user key
_LIBRARIES = (
    "jinja2",
    "markupsafe",
    "markdown",
    "nh3",
    "pyyaml",
    "python-slugify",
    "tzdata",
    "babel",
)

Stat = tuple[int, int, int]  # inode, size, modification time (ns) of an output file


@dataclass(slots=True)
class CacheData:
    """What one build leaves for the next (only what that build used, so it never grows)."""

    engine: bytes
    # release key -> the file loaded (release, lint findings, where its fields stand), the key
    # of its body
    releases: dict[bytes, tuple[LoadedRelease, bytes]] = field(default_factory=dict)
    bodies: dict[bytes, Rendered] = field(default_factory=dict)
    output: str = ""  # the absolute output folder the pages below were written to
    pages: dict[str, tuple[bytes, Stat]] = field(default_factory=dict)  # path -> key, stat
    lint: dict[bytes, tuple[ContentError, ...]] = field(default_factory=dict)  # see LintMemo


class LintMemo(dict[tuple[str, str, str], tuple[ContentError, ...]]):
    """``lint.Memo`` kept across builds: findings by the hash of (site settings, path, file
    text, phone format) rather than by the text itself, and only those this build used."""

    def __init__(self, settings: bytes, known: dict[bytes, tuple[ContentError, ...]]) -> None:
        super().__init__()
        self._settings = settings
        self._known = known
        self.used: dict[bytes, tuple[ContentError, ...]] = {}

    def _key(self, key: object) -> bytes:
        assert isinstance(key, tuple)
        return digest(self._settings, *(str(part) for part in key))

    def __contains__(self, key: object) -> bool:
        hashed = self._key(key)
        if hashed in self.used:
            return True
        if hashed in self._known:
            self.used[hashed] = self._known[hashed]
            return True
        return False

    def __getitem__(self, key: tuple[str, str, str]) -> tuple[ContentError, ...]:
        hashed = self._key(key)
        if hashed not in self.used:
            self.used[hashed] = self._known[hashed]
        return self.used[hashed]

    def __setitem__(self, key: tuple[str, str, str], value: tuple[ContentError, ...]) -> None:
        self.used[self._key(key)] = value


def digest(*parts: bytes | str) -> bytes:
    """A hash of the parts, each length-prefixed so that no two lists of parts collide."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.digest()


def engine_digest() -> bytes:
    """The engine's identity: its source files, the renderer version, Python and libraries."""
    package = Path(__file__).resolve().parent.parent
    parts: list[bytes | str] = [RENDERER_VERSION, sys.version, str(sys.flags.optimize)]
    for source in sorted(package.rglob("*.py")):
        parts += [source.relative_to(package).as_posix(), source.read_bytes()]
    for name in _LIBRARIES:
        try:
            parts += [name, metadata.version(name)]
        except metadata.PackageNotFoundError:
            parts += [name, "-"]
    return digest(*parts)


def folder_digest(folder: Path) -> bytes:
    """A hash of every file below ``folder`` with its relative name (templates, for example)."""
    parts: list[bytes | str] = []
    if folder.is_dir():
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                try:
                    data = read_regular(file, MAX_TEMPLATE_BYTES)
                except ReadError as exc:  # the build reports it when it reads the file
                    data = exc.message.encode()
                parts += [file.relative_to(folder).as_posix(), data]
    return digest(*parts)


def value_digest(value: object) -> bytes:
    """A hash of a value of plain data (frozen dataclasses, tuples, strings, dates...).

    Equal hashes mean equal values; equal values almost always give equal hashes (pickling
    shares repeated objects, so the same value built differently may hash differently, which
    only costs a cache miss).
    """
    return digest(pickle.dumps(value, protocol=5))


class PageKeys:
    """The key of a page: the hash of its template context, its site view and a prefix.

    Releases are hashed once each and referred to by their hash, so that a listing of ten
    releases costs ten lookups, not ten more hashes of whole bodies. A release loaded from a
    file is hashed as that file's cache key (``known``: the hash of the engine, the settings,
    the path and the bytes, from which the release is made), which costs nothing.
    """

    def __init__(
        self, prefix: bytes, known: Mapping[int, tuple[Release, bytes]] | None = None
    ) -> None:
        self._prefix = prefix
        self._known = known or {}  # id(release) -> the release (kept alive), its key
        self._releases: dict[int, tuple[Release, bytes]] = {}  # keeps each release alive
        self._values: dict[int, tuple[object, bytes]] = {}

    def release(self, release: Release) -> bytes:
        known = self._known.get(id(release)) or self._releases.get(id(release))
        if known is None or known[0] is not release:
            known = self._releases[id(release)] = (release, value_digest(release))
        return known[1]

    def _shared(self, value: object) -> bytes:
        known = self._values.get(id(value))
        if known is None:
            known = self._values[id(value)] = (value, value_digest(value))
        return known[1]

    def page(self, path: str, context: object, view: object) -> bytes:
        buffer = io.BytesIO()
        pickler = _ContextPickler(buffer, self)
        pickler.dump(context)
        return digest(self._prefix, path, self._shared(view), buffer.getvalue())


def _release_digest(key: bytes) -> None:
    """Stands for a release in a pickled context, which is hashed and never unpickled."""


class _ContextPickler(pickle.Pickler):
    """Pickles a template context (or a feed) to hash it: releases by their key, and
    dataclasses as their class and field values (dataclasses' own pickling looks up the fields
    of every object). Without a memo ("fast" mode): an object met twice is written twice, so
    the bytes depend on values alone, not on which equal values happen to be one object (a
    feed's strings come from releases unpickled from workers, or from the cache)."""

    def __init__(self, buffer: io.BytesIO, keys: PageKeys) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True
        self._keys = keys

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is Release:
            return (_release_digest, (self._keys.release(obj),))
        names = _FIELD_NAMES.get(kind)
        if names is None:  # first met: () for what is not a dataclass (a date, a time zone...)
            dataclass = dataclasses.is_dataclass(kind)
            names = _FIELD_NAMES[kind] = (
                tuple(f.name for f in dataclasses.fields(kind)) if dataclass else ()
            )
        if not names:
            return NotImplemented  # pickled as usual
        return (kind, tuple(getattr(obj, name) for name in names))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def cache_file(site_dir: Path, name: str = CACHE_FILE) -> Path:
    return site_dir / CACHE_DIR / name


def _signing_key() -> bytes | None:
    """The key that signs cache files: $ADVISORY_SITE_CACHE_KEY where set (CI runners, each a new
    machine, get it from a repository secret), else the per-user one, created on first use; None
    if impossible."""
    given = os.environ.get(KEY_VARIABLE, "")
    if given:
        return hashlib.sha256(b"advisory-site cache key\0" + given.encode()).digest()
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    file = Path(home) / "advisory-site" / "cache-key"
    try:
        return file.read_bytes()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    except FileExistsError:
        pass  # another build made it at the same moment
    except OSError:
        return None
    try:
        return file.read_bytes()
    except OSError:
        return None


def load_cache(site_dir: Path, engine: bytes, name: str = CACHE_FILE) -> CacheData | None:
    """The cache of the last build, or None when it is absent, incomplete, foreign or stale."""
    key = _signing_key()
    try:
        raw = cache_file(site_dir, name).read_bytes()
    except OSError:
        return None
    signature_end = len(_MAGIC) + 32
    if key is None or not raw.startswith(_MAGIC) or len(raw) < signature_end:
        return None
    view = memoryview(raw)  # no copy of a file of tens of megabytes
    signature, payload = view[len(_MAGIC) : signature_end], view[signature_end:]
    if not hmac.compare_digest(signature, hmac.new(key, payload, hashlib.sha256).digest()):
        return None
    try:
        return _read_parts(raw, signature_end, engine)
    except Exception:  # a cache that cannot be read is simply not used
        return None


def _read_parts(raw: bytes, start: int, engine: bytes) -> CacheData | None:
    """What ``CacheWriter`` wrote from ``start``, part after part: the engine (the cache of
    another is left unread), then parts of releases, bodies and lint findings ({kind: entries}),
    and last the output folder and its pages."""
    stream = io.BytesIO(raw)  # shares the bytes of ``raw``: no copy of tens of megabytes
    stream.seek(start)
    if pickle.load(stream) != engine:  # noqa: S301 - signed by this user's key, checked
        return None
    data = CacheData(engine=engine)
    while True:
        part = pickle.load(stream)  # noqa: S301 - as above
        if not isinstance(part, dict):
            data.output, data.pages = part
            return data
        for kind, items in part.items():
            if kind not in _PARTS:
                return None
            getattr(data, kind).update(items)


class _Signed:
    """A file to write a pickle into that also feeds every byte to a signer."""

    def __init__(self, handle: BinaryIO, signer: hmac.HMAC) -> None:
        self._handle = handle
        self._signer = signer

    def write(self, data: bytes) -> int:
        self._signer.update(data)
        return self._handle.write(data)


def same_cache(old: CacheData, new: CacheData) -> bool:
    """Whether ``new`` holds what ``old`` does, so that saving it again can be skipped.

    Releases, bodies and lint findings are stored under the hash of what they are made from, so
    equal keys mean equal values; pages carry the stat of their output file, compared whole.
    """
    return (
        old.engine == new.engine
        and old.output == new.output
        and old.releases.keys() == new.releases.keys()
        and old.bodies.keys() == new.bodies.keys()
        and old.lint.keys() == new.lint.keys()
        and old.pages == new.pages
    )


_PARTS = ("releases", "bodies", "lint")  # the CacheData dictionaries written in parts


class CacheWriter:
    """Writes a cache file part by part. A clean build ``write``s releases and their bodies as
    they are loaded, in the main process, while workers load the next ones; ``finish`` writes
    the rest once the output is in place, signs the file and renames it over the cache. Until
    then the file is a temporary one, which ``discard`` removes: a build that fails leaves the
    previous cache. The file is signed as it is written, never held whole in memory.

    Objects are shared within a part (a release and its body), not across parts: the pickler
    forgets them after each, or its memory of every object pickled would outgrow the rest.
    """

    def __init__(self, site_dir: Path, engine: bytes, name: str = CACHE_FILE) -> None:
        self._target = cache_file(site_dir, name)
        self._engine = engine
        self._key = _signing_key()
        self._file: BinaryIO | None = None
        self._temporary = ""
        self._signer: hmac.HMAC | None = None
        self._pickler: pickle.Pickler | None = None
        self._failed = self._key is None
        self._written: set[str] = set()  # the parts written as they came (see finish)

    def write(self, part: dict[str, list[tuple[bytes, Any]]]) -> None:
        """Write these entries of CacheData's dictionaries now ({"releases": [(key, entry)...],
        ...}). A kind written so is left out by ``finish``: every entry of it must be."""
        self._written.update(part)
        if self._open():
            try:
                self._dump(part)
            except OSError:
                self._fail()

    def finish(self, data: CacheData) -> bool:
        """Write what ``write`` did not of ``data``, and put the file in place; False if the
        cache could not be written (the build goes on without)."""
        left = {
            kind: list(getattr(data, kind).items()) for kind in _PARTS if kind not in self._written
        }
        if not self._open():
            return False
        assert self._file is not None and self._signer is not None
        try:
            self._dump(left)
            self._dump((data.output, data.pages))
            self._file.seek(len(_MAGIC))
            self._file.write(self._signer.digest())
            self._file.close()
            Path(self._temporary).replace(self._target)
        except OSError:
            self._fail()
            return False
        self._file, self._temporary = None, ""
        return True

    def discard(self) -> None:
        """Remove the file unless ``finish`` put it in place (the previous cache stays)."""
        if self._file is not None:
            self._fail()

    def _open(self) -> bool:
        if self._failed or self._file is not None:
            return not self._failed
        assert self._key is not None
        try:
            self._target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, self._temporary = tempfile.mkstemp(
                prefix=".build-cache-", dir=self._target.parent
            )
            self._file = os.fdopen(descriptor, "wb")
            self._file.write(_MAGIC)
            self._file.write(bytes(32))  # the signature, once the payload is written
            self._signer = hmac.new(self._key, digestmod=hashlib.sha256)
            self._pickler = pickle.Pickler(_Signed(self._file, self._signer), protocol=5)
            self._dump(self._engine)
        except OSError:
            self._fail()
        return not self._failed

    def _dump(self, part: object) -> None:
        """Pickle ``part`` whole, sharing no object with the parts before (they are unpickled
        apart: see _read_parts)."""
        assert self._pickler is not None
        self._pickler.dump(part)
        self._pickler.clear_memo()

    def _fail(self) -> None:
        self._failed = True
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temporary:
            Path(self._temporary).unlink(missing_ok=True)
