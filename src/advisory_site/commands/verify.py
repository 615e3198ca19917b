"""``advisory-site verify``: is this text a release of the office, and which version of it?

The text (a file, a page saved from the site, or standard input) is cut into paragraphs, each
normalised and hashed as the build hashes releases (``textnorm``), and looked up in the site's
ledger: fetched from the site, or a saved copy (offline). The ledger's Ed25519 signature is
checked first, with a key given on the command line or found beside the ledger.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from advisory_site.core.errors import UsageError
from advisory_site.core.textnorm import has_words, page_paragraphs, sha256, text_paragraphs
from advisory_site.site.ledger import (
    LEDGER_URL,
    PUBLIC_KEY_URL,
    SIGNATURE_URL,
    key_id,
    public_key,
    schema,
    sha256_bytes,
    signature_valid,
)

EXIT_VERIFIED = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
MAX_INPUT = 16 * 1024 * 1024  # bytes of text or page read
MAX_LEDGER = 256 * 1024 * 1024  # bytes of ledger fetched or read
FETCH_TIMEOUT = 30.0  # seconds, for each request to the site


class VerificationError(Exception):
    """The ledger or its signature cannot be trusted (exit status 1)."""


@dataclass(frozen=True, slots=True)
class Place:
    release: dict[str, Any]
    version: dict[str, Any]

    @property
    def latest(self) -> bool:
        return self.version is self.release["versions"][-1]

    def describe(self) -> str:
        release, version = self.release, self.version
        count = len(release["versions"])
        text = (
            f"{release['title']} ({release['url']}), version {version['version']} of {count}, "
            f"published {version['published'][:10]}"
        )
        if release["status"] == "withdrawn":
            text += "; the release has since been withdrawn"
        elif not self.latest:
            text += "; since changed"
        return text


@dataclass(slots=True)
class Ledger:
    data: dict[str, Any]
    signed_by: str = ""  # the key id that signed it, '' when unsigned
    notes: list[str] = field(default_factory=list)

    def places(self) -> dict[str, list[Place]]:
        found: dict[str, list[Place]] = {}
        for release in self.data["releases"]:
            for version in release["versions"]:
                for digest in dict.fromkeys(version["paragraphs"]):
                    found.setdefault(digest, []).append(Place(release, version))
        return found

    def pages(self) -> dict[str, Place]:
        return {
            version["page_sha256"]: Place(release, version)
            for release in self.data["releases"]
            for version in release["versions"]
            if "page_sha256" in version
        }


def read_limited(stream: BinaryIO, limit: int, what: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"{what} is larger than {limit // (1024 * 1024)} MiB")
    return data


def read_input(name: str) -> bytes:
    if name == "-":
        return read_limited(sys.stdin.buffer, MAX_INPUT, "the text")
    try:
        with Path(name).open("rb") as handle:
            return read_limited(handle, MAX_INPUT, name)
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None


def fetch(url: str, limit: int = MAX_LEDGER) -> bytes | None:
    """The bytes at ``url``, None if it does not exist (404); UsageError if unreachable."""
    request = urllib.request.Request(url, headers={"User-Agent": "advisory-site verify"})  # noqa: S310 - http(s) only, checked by the caller
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            return read_limited(response, limit, url)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise UsageError(f"{url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"cannot fetch {url}: {reason} (to work offline, use --ledger)") from None


def read_optional(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return read_limited(handle, MAX_LEDGER, str(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def load_ledger(
    *,
    site: str | None,
    ledger_file: Path | None,
    key: str | None,
    signature_file: Path | None,
) -> Ledger:
    """The ledger, its signature checked (VerificationError if it does not match)."""
    notes: list[str] = []
    data, signature, site_key, where = _ledger_files(site, ledger_file, key, signature_file)
    verifier: Ed25519PublicKey | None = None
    if key is not None:
        verifier = _key_argument(key)
    elif site_key is not None:
        verifier = _parsed_key(site_key, "the public key published beside the ledger")
        notes.append(
            "the key was taken from beside the ledger itself; give --key (from the README or "
            "security.txt of the office) to check it against a second source"
        )
    signed_by = _check_signature(data, signature, verifier, where, notes)
    try:
        ledger = json.loads(data)
        jsonschema.validate(ledger, json.loads(schema()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise VerificationError(f"{where} is not JSON: {exc}") from None
    except jsonschema.ValidationError as exc:
        path = "/".join(str(part) for part in exc.absolute_path) or "(top)"
        raise VerificationError(f"{where} is not a ledger: at {path}: {exc.message}") from None
    return Ledger(ledger, signed_by, notes)


def _ledger_files(
    site: str | None, ledger_file: Path | None, key: str | None, signature_file: Path | None
) -> tuple[bytes, bytes | None, bytes | None, str]:
    """The ledger's bytes, its signature's, the public key found beside it, and where it is."""
    if ledger_file is not None:
        data = read_optional(ledger_file)
        if data is None:
            raise UsageError(f"cannot read {ledger_file}: no such file")
        signature = read_optional(signature_file or Path(f"{ledger_file}.sig"))
        beside = ledger_file.with_name(PUBLIC_KEY_URL.lstrip("/"))
        return data, signature, read_optional(beside) if key is None else None, str(ledger_file)
    assert site is not None
    if not site.startswith(("https://", "http://")):
        raise UsageError(f"--site must be the site's https:// address, got {site!r}")
    base = site.rstrip("/")
    data = fetch(base + LEDGER_URL)
    if data is None:
        raise UsageError(f"{base}{LEDGER_URL} does not exist: is {site} built by advisory-site?")
    signature = (
        read_optional(signature_file) if signature_file else fetch(base + SIGNATURE_URL, 4096)
    )
    site_key = fetch(base + PUBLIC_KEY_URL, 65536) if key is None else None
    return data, signature, site_key, base + LEDGER_URL


def _check_signature(
    data: bytes,
    signature: bytes | None,
    verifier: Ed25519PublicKey | None,
    where: str,
    notes: list[str],
) -> str:
    """The id of the key that signed ``data``, '' if unsigned; VerificationError if the
    signature does not match."""
    if signature is None:
        if verifier is not None and not notes:  # a key given, but nothing it signed
            raise VerificationError(f"{where} has no signature, so it cannot be checked")
        notes[:] = ["the ledger is not signed: its contents are checked, not who wrote it"]
        return ""
    if verifier is None:
        raise UsageError("the ledger is signed: give its public key with --key")
    if not signature_valid(verifier, data, signature):
        raise VerificationError(
            f"the signature of {where} does not match: the ledger was altered after it was "
            f"signed, or it was not signed with the key {key_id(verifier)}"
        )
    return key_id(verifier)


def _key_argument(text: str) -> Ed25519PublicKey:
    if text.startswith("ed25519:"):
        return _parsed_key(text.encode("ascii", "replace"), "--key")
    data = read_optional(Path(text))
    if data is None:
        raise UsageError(f"--key {text}: no such file (give a PEM file or ed25519:<base64>)")
    return _parsed_key(data, text)


def _parsed_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        return public_key(data)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None


def is_html(name: str, text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return name.lower().endswith((".html", ".htm")) or start.startswith(("<!doctype", "<html"))


def run_verify(
    name: str,
    *,
    site: str | None,
    ledger_file: Path | None,
    key: str | None,
    signature_file: Path | None,
) -> int:
    """Print, paragraph by paragraph, which release and version holds the text; exit status
    0 when all do, 1 when one does not (or the ledger cannot be trusted), 2 on wrong usage."""
    raw = read_input(name)
    text = raw.decode("utf-8", "replace")
    page = is_html(name, text)
    paragraphs = [
        p for p in (page_paragraphs(text) if page else text_paragraphs(text)) if has_words(p)
    ]
    if not paragraphs:
        raise UsageError(f"{'the text' if name == '-' else name} holds no text to verify")
    try:
        ledger = load_ledger(
            site=site, ledger_file=ledger_file, key=key, signature_file=signature_file
        )
    except VerificationError as exc:
        print(f"Not verified: {exc}.", file=sys.stderr)
        return EXIT_NOT_FOUND
    organisation = ledger.data["organisation"]
    for note in ledger.notes:
        print(f"Note: {note}.", file=sys.stderr)
    if ledger.signed_by:
        print(f"The ledger of {ledger.data['site']} is signed by {ledger.signed_by}.")
    if page:
        same = ledger.pages().get(sha256_bytes(raw))
        if same is not None:
            print(f"The page is, byte for byte, the published page of {same.describe()}.")
        else:
            print("The page is not byte for byte a published page; its text is checked.")
    places = ledger.places()
    missing = 0
    for number, paragraph in enumerate(paragraphs, start=1):
        found = places.get(sha256(paragraph), [])
        excerpt = paragraph if len(paragraph) <= 72 else paragraph[:69] + "..."
        if found:
            print(f"{number}. found: {excerpt!r}")
            for place in found:
                print(f"   in {place.describe()}")
        else:
            missing += 1
            print(f"{number}. NOT FOUND in any release: {excerpt!r}")
    total = len(paragraphs)
    if missing:
        print(
            f"Not verified: {missing} of {total} paragraph{'s' if total != 1 else ''} "
            f"{'is' if missing == 1 else 'are'} in no release of {organisation}"
            + (" (the text was altered, or is not theirs)." if missing < total else ".")
        )
        return EXIT_NOT_FOUND
    which = f"every one of the {total} paragraphs is" if total > 1 else "the paragraph is"
    print(f"Verified: {which} in a release of {organisation}.")
    return EXIT_VERIFIED
