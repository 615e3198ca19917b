"""/ledger.json: every published version of every release, hashed, so that anyone can check that
a text is (or is not) a release of this office; signed with Ed25519 when a key is configured.

The ledger lists, for each published release, its permanent feed id, address, title, language,
kind and dates, and for each version that was live (``changes.Revision``) the SHA-256 of its
canonical text and of each of its paragraphs in normal form (``textnorm``); the current version
also has the SHA-256 of its page exactly as published. ``docs``: ``ledger.schema.json`` beside
this file (published at /ledger.schema.json) describes every field.

The signature is detached: /ledger.json.sig holds the Ed25519 signature of the bytes of
/ledger.json, in base64; the public key is /ledger-key.pem. The private key is never in the
repository: ``ADVISORY_SITE_SIGNING_KEY`` holds it (a PEM PKCS #8 key, or the base64 of its 32
raw bytes), in CI a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from advisory_site.core.errors import UsageError
from advisory_site.core.models import SiteConfig
from advisory_site.core.textnorm import NORMALISATION, normalise, sha256
from advisory_site.core.urls import output_path
from advisory_site.site.changes import Revision, canonical
from advisory_site.site.templates import ReleaseContext

LEDGER_URL = "/ledger.json"
SIGNATURE_URL = "/ledger.json.sig"
PUBLIC_KEY_URL = "/ledger-key.pem"
SCHEMA_URL = "/ledger.schema.json"
KEY_VARIABLE = "ADVISORY_SITE_SIGNING_KEY"
LEDGER_FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """One published release: its page and its revisions."""

    page: ReleaseContext
    feed_id: str
    revisions: tuple[Revision, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerContext:
    entries: tuple[LedgerEntry, ...]
    public_key: str = ""  # key_id() of the signing key, '' when unsigned: part of the cache key


def schema() -> bytes:
    """The JSON Schema of the ledger (published at /ledger.schema.json)."""
    return resources.files("advisory_site.site").joinpath("ledger.schema.json").read_bytes()


@dataclass(frozen=True, slots=True)
class LedgerFile:
    """How /ledger.json (or, with ``key``, its signature /ledger.json.sig) is made: after the
    release pages, from the SHA-256 of each page exactly as the build wrote it."""

    key: Ed25519PrivateKey | None = None

    def make(self, ledger: bytes) -> bytes:
        """This file, from the ledger's bytes (``ledger_json``)."""
        if self.key is None:
            return ledger
        return base64.b64encode(self.key.sign(ledger)) + b"\n"


def ledger_json(context: LedgerContext, config: SiteConfig, pages: Mapping[str, str]) -> bytes:
    """The ledger's bytes; ``pages``: the SHA-256 of each release page, by its output path."""
    releases = [_release(entry, config, pages) for entry in context.entries]
    ledger = {
        "$schema": config.absolute(SCHEMA_URL),
        "format": LEDGER_FORMAT,
        "normalisation": NORMALISATION,
        "site": config.base_url,
        "organisation": config.organisation,
        "releases": releases,
    }
    text = json.dumps(ledger, ensure_ascii=False, separators=(",", ":"))
    # one release a line: small diffs between builds, and still compact
    text = text.replace(',{"id":', ',\n{"id":').replace('"releases":[{', '"releases":[\n{')
    return (text + "\n").encode("utf-8")


def _release(entry: LedgerEntry, config: SiteConfig, pages: Mapping[str, str]) -> dict[str, Any]:
    release = entry.page.release
    versions = []
    for revision in entry.revisions:
        texts = revision.texts()
        version: dict[str, Any] = {
            "version": revision.number,
            "published": config.local_iso(revision.published),
            "title": revision.title,
            "notes": [update.note for update in revision.notes],
            "text_sha256": sha256(canonical(texts)),
            "paragraphs": [sha256(normalise(text)) for text in texts],
        }
        versions.append(version)
    versions[-1]["page_sha256"] = pages[output_path(release.url)]
    return {
        "id": entry.feed_id,
        "url": config.absolute(release.url),
        "title": release.title,
        "lang": release.lang,
        "kind": release.kind.name,
        "release_date": config.local_iso(release.release_date),
        "last_published": config.local_iso(release.last_published),
        "status": "withdrawn" if release.withdrawn else "published",
        "versions": versions,
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- keys ---------------------------------------------------------------------------------------


def private_key(text: str) -> Ed25519PrivateKey:
    """The signing key from ``ADVISORY_SITE_SIGNING_KEY``: PEM (PKCS #8) or base64 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error, UnicodeEncodeError):
        raise UsageError(
            f"{KEY_VARIABLE} is not an Ed25519 private key (expected PEM PKCS #8, or the base64 "
            "of 32 bytes; make one with: advisory-site keygen FILE)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{KEY_VARIABLE} holds a key of another kind; the ledger uses Ed25519")
    return key


def public_key(text: bytes) -> Ed25519PublicKey:
    """A public key: PEM (SubjectPublicKeyInfo), or ``ed25519:`` and the base64 of 32 bytes."""
    stripped = text.strip()
    try:
        if stripped.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(stripped)
        else:
            raw = stripped.removeprefix(b"ed25519:")
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw, validate=True))
    except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error):
        raise ValueError(
            "not an Ed25519 public key (expected a PEM file such as ledger-key.pem, or "
            "ed25519:<base64>)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a public key of another kind; the ledger is signed with Ed25519")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """The public key in one line, ``ed25519:`` and its 32 bytes in base64."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode("ascii")


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signature_valid(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (the text of ledger.json.sig) signs ``data`` with ``key``."""
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        key.verify(raw, data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
