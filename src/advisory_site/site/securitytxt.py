"""/.well-known/security.txt (RFC 9116), made from site.yaml's ``security:`` block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from advisory_site.core.models import SiteConfig
from advisory_site.source.config import is_site_path

SECURITY_TXT = ".well-known/security.txt"


def security_txt(config: SiteConfig, now: datetime, ledger_key: str = "") -> bytes:
    """/.well-known/security.txt (RFC 9116); Expires is ``expires_days`` after ``now``.

    ``ledger_key`` (the id of the key that signs /ledger.json) is given in comments, so that a
    reader can check the ledger's key against a second source.
    """
    policy = config.security
    assert policy is not None
    expires = (now.astimezone(UTC) + timedelta(days=policy.expires_days)).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in policy.contacts]
    lines.append(f"Expires: {expires.isoformat().replace('+00:00', 'Z')}")
    lines.append(f"Canonical: {config.absolute('/' + SECURITY_TXT)}")
    if policy.policy:
        url = policy.policy
        lines.append(f"Policy: {config.absolute(url) if is_site_path(url) else url}")
    lines.append(f"Preferred-Languages: {policy.preferred_languages or config.language}")
    if ledger_key:
        lines += [
            "",
            f"# {config.absolute('/ledger.json')} lists every published release; it is signed",
            f"# ({config.absolute('/ledger.json.sig')}) with this Ed25519 public key",
            f"# ({config.absolute('/ledger-key.pem')}); check a text with `advisory-site verify`",
            f"# or at {config.absolute('/verify/')}.",
            f"# Ledger-Public-Key: {ledger_key}",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")
