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
from typing import Any, BinaryIO, Protocol

from advisory_site.core.errors import ContentError
from advisory_site.core.models import Release
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.markdown.render import RENDERER_VERSION, Rendered
from advisory_site.site.templates import MAX_TEMPLATE_BYTES
from advisory_site.source.content import LoadedRelease

CACHE_DIR = ".cache"
CACHE_FILE = "build-cache.pickle"
PREVIEW_CACHE_FILE = "preview-cache.pickle"  # the preview server's builds (drafts, its own URL)
_MAGIC = b"advisory-site build cache 3\n"
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
    # path -> key, stat, and the SHA-256 of the page for the pages the ledger lists ('' if not)
    pages: dict[str, tuple[bytes, Stat, str]] = field(default_factory=dict)
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


class PageKeys:
    """The key of a page: a hash of what it is made from. The prefix covers the engine and the
    templates' sources; then the site view, the page's path and its template context, written
    out field by field. A release in a context counts as the key of its file (its bytes, the
    site's settings and the engine: ``releases``), unless the build changed it after loading
    (its photos sized, an update held back), when it is written out like the rest.
    """

    def __init__(
        self, prefix: bytes, view: object, releases: Mapping[str, tuple[Release, bytes]]
    ) -> None:
        self._files = releases  # source -> the release as loaded, its file's key
        self._made: dict[str, tuple[Release, bytes]] = {}  # source -> a release written out
        self._prefix = digest(prefix, self._text(view))

    def release(self, release: Release) -> bytes:
        for known in (self._files.get(release.source), self._made.get(release.source)):
            if known is not None and (known[0] is release or known[0] == release):
                return known[1]
        parts: list[str] = []
        _write(release, parts, None)
        key = digest(*parts)
        self._made[release.source] = (release, key)
        return key

    def page(self, path: str, context: object) -> bytes:
        return digest(self._prefix, path, self._text(context))

    def _text(self, value: object) -> str:
        parts: list[str] = []
        _write(value, parts, self)
        return "\0".join(parts)


_LEAVES = frozenset({str, int, bool, float, bytes, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _write(value: object, parts: list[str], keys: PageKeys | None) -> None:
    """Append ``value`` to ``parts`` as text that differs whenever the value does: plain values
    by their ``repr``, dataclasses as their class and fields, releases by their key."""
    kind = type(value)
    if kind in _LEAVES:
        parts.append(repr(value))
    elif kind is tuple or kind is list:
        parts.append("(")
        for item in value:  # type: ignore[attr-defined]
            _write(item, parts, keys)
        parts.append(")")
    elif kind is frozenset or kind is set:
        parts.append("{")
        for text in sorted(repr(item) for item in value):  # type: ignore[attr-defined]
            parts.append(text)
        parts.append("}")
    elif kind is dict:
        parts.append("{")
        for name, item in sorted(value.items()):  # type: ignore[attr-defined]
            _write(name, parts, keys)
            _write(item, parts, keys)
        parts.append("}")
    elif kind is Release and keys is not None:
        parts.append(keys.release(value).hex())  # type: ignore[arg-type]
    else:
        names = _FIELD_NAMES.get(kind)
        if names is None:
            dataclass = dataclasses.is_dataclass(kind)
            names = _FIELD_NAMES[kind] = _field_names(kind) if dataclass else ()
        if not names:  # a date, a time zone, Markup: their repr says all of them
            parts.append(repr(value))
            return
        parts.append(kind.__qualname__)
        for name in names:
            _write(getattr(value, name), parts, keys)
        parts.append(")")


def _field_names(kind: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


class Pickler(pickle.Pickler):
    """Pickles slotted dataclasses (releases, their parts, findings) as their field values.

    Python's dataclasses pickle such a class with methods that list its fields again for every
    object: a quarter of the time of packing a release for the cache, and of unpacking it.
    Values are matched to fields by position, which only a pickle made by the same source may
    rely on: the cache is keyed by the engine's source, and workers are forked.
    """

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        names = _SLOTTED.get(kind)
        if names is None:
            slotted = dataclasses.is_dataclass(kind) and "__slots__" in vars(kind)
            names = _SLOTTED[kind] = _field_names(kind) if slotted else ()
        if not names:
            return NotImplemented  # pickled as usual
        return (_restore, (kind, tuple([getattr(obj, name) for name in names])))


_SLOTTED: dict[type, tuple[str, ...]] = {}  # class -> its fields, () if not a slotted dataclass
_SETTERS: dict[type, tuple[Any, ...]] = {}  # class -> the setters of its slots, in field order


def _restore(kind: type, values: tuple[Any, ...]) -> Any:
    setters = _SETTERS.get(kind)
    if setters is None:  # the slots' own setters: past the __setattr__ of a frozen dataclass
        names = _field_names(kind)
        setters = _SETTERS[kind] = tuple(getattr(kind, name).__set__ for name in names)
    obj: Any = object.__new__(kind)
    for set_value, value in zip(setters, values, strict=True):
        set_value(obj, value)
    return obj


def dumps(value: object) -> bytes:
    """``value`` pickled with ``Pickler``, to cross between processes."""
    buffer = io.BytesIO()
    Pickler(buffer, protocol=5).dump(value)
    return buffer.getvalue()


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
            self._pickler = Pickler(_Signed(self._file, self._signer), protocol=5)
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


# -- stores: what a build may reuse -------------------------------------------------------------


class Store(Protocol):
    """What a build may reuse, and where it keeps what it made for the next one."""

    saves: bool  # whether the build's work is kept (else no page key is ever computed)

    def load(self, site_dir: Path, engine: bytes) -> CacheData | None: ...

    def stream(self, part: dict[str, list[tuple[bytes, Any]]]) -> None:
        """Keep these entries now (a clean build's releases, as they are loaded)."""
        ...

    def save(self, previous: CacheData | None, data: CacheData) -> None: ...

    def close(self) -> None:
        """End the build: if ``save`` was not reached, the previous cache stays as it was."""
        ...


class NoStore:
    """Nothing is reused and nothing kept: ``check``, ``--verify-cache``'s clean build."""

    saves = False

    def load(self, site_dir: Path, engine: bytes) -> CacheData | None:
        return None

    def stream(self, part: dict[str, list[tuple[bytes, Any]]]) -> None:
        return None

    def save(self, previous: CacheData | None, data: CacheData) -> None:
        return None

    def close(self) -> None:
        return None


class CacheStore:
    """The signed cache file ``.cache/<name>`` (``build``'s, or the preview's own)."""

    saves = True

    def __init__(self, name: str = CACHE_FILE) -> None:
        self._name = name
        self._writer: CacheWriter | None = None
        self._streaming = False

    def load(self, site_dir: Path, engine: bytes) -> CacheData | None:
        self._writer = CacheWriter(site_dir, engine, self._name)
        previous = load_cache(site_dir, engine, self._name)
        self._streaming = previous is None  # everything is new: written as it is loaded
        return previous

    def stream(self, part: dict[str, list[tuple[bytes, Any]]]) -> None:
        if self._streaming and self._writer is not None:
            self._writer.write(part)

    def save(self, previous: CacheData | None, data: CacheData) -> None:
        if self._writer is not None and (previous is None or not same_cache(previous, data)):
            self._writer.finish(data)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.discard()  # unless the build finished it
            self._writer = None


class PreviewStore(CacheStore):
    """The preview server's: the last build's cache kept in memory between rebuilds (and in
    ``.cache/preview-cache.pickle`` for the next preview), so a rebuild reads no file."""

    def __init__(self) -> None:
        super().__init__(PREVIEW_CACHE_FILE)
        self._last: CacheData | None = None

    def load(self, site_dir: Path, engine: bytes) -> CacheData | None:
        if self._last is None or self._last.engine != engine:
            return super().load(site_dir, engine)
        self._writer = CacheWriter(site_dir, engine, self._name)
        self._streaming = False
        return self._last

    def save(self, previous: CacheData | None, data: CacheData) -> None:
        super().save(previous, data)
        self._last = data
