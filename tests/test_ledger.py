"""/ledger.json, its signature and `advisory-site verify`: a real release (the 2016 joint
statement of DHS and ODNI on election security, public domain, from the sample site) checked
as a journalist would, from a saved page, a text file or pasted text, online and offline."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from advisory_site.core.textnorm import html_paragraphs, normalise, text_paragraphs
from advisory_site.site.ledger import key_id, private_pem, schema
from tests.conftest import NOW_ISO, REPO, SITE_YAML, MakeSite, release, run_cli
from tests.localhost import serve_folder

STATEMENT = REPO / "content/releases/2016/joint-statement-election-security.md"
PAGE = (
    "news/2016/10/07/joint-statement-department-homeland-security-and-office-director-national/"
    "index.html"
)
# The second paragraph of the statement, as the release has it (curly quotes), which the tests
# paste with straight quotes and reflowed lines.
HYGIENE = "These services include cyber \u201chygiene\u201d scans of Internet-facing systems"


def statement_site(make_site: MakeSite) -> Path:
    text = STATEMENT.read_text(encoding="utf-8")
    text = text.replace("agencies: [DHS, ODNI]", "agencies: [DHS]")
    return make_site(
        {
            "content/releases/2016/joint-statement-election-security.md": text,
            "content/releases/b.md": release("Another Release", "2017-01-05"),
        }
    )


def build(site: Path, output: Path, key: Ed25519PrivateKey | None = None) -> None:
    env = {"ADVISORY_SITE_SIGNING_KEY": private_pem(key).decode()} if key else {}
    result = run_cli(
        "build", "--site", str(site), "--output", str(output), "--now", NOW_ISO, "--no-search",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
    """The statement's site, built once and signed; tests tamper with copies only."""
    folder = tmp_path_factory.mktemp("ledger")
    site = folder / "site"
    shutil.copytree(REPO / "templates", site / "templates")
    (site / "content/releases/2016").mkdir(parents=True)
    (site / "content/site.yaml").write_text(SITE_YAML, encoding="utf-8")
    text = STATEMENT.read_text(encoding="utf-8").replace("agencies: [DHS, ODNI]", "agencies: [DHS]")
    (site / "content/releases/2016/statement.md").write_text(text, encoding="utf-8")
    (site / "content/releases/b.md").write_text(release("Another", "2017-01-05"), encoding="utf-8")
    key = Ed25519PrivateKey.generate()
    build(site, folder / "out", key)
    return folder / "out", key


@pytest.fixture
def signed(built: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> tuple[Path, Ed25519PrivateKey]:
    """A copy of the built site (a test may tamper with it)."""
    shutil.copytree(built[0], tmp_path / "out")
    return tmp_path / "out", built[1]


def last_paragraph_of_statement() -> str:
    body = STATEMENT.read_text(encoding="utf-8").split("---\n", 2)[2]
    return next(p for p in body.split("\n\n") if HYGIENE in p)


def test_ledger_is_deterministic_schema_valid_and_hashes_the_pages(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = statement_site(make_site)
    build(site, tmp_path / "one")
    build(site, tmp_path / "two")
    data = (tmp_path / "one/ledger.json").read_bytes()
    assert data == (tmp_path / "two/ledger.json").read_bytes()
    ledger = json.loads(data)
    jsonschema.validate(ledger, json.loads(schema()))
    assert (tmp_path / "one/ledger.schema.json").read_bytes() == schema()
    statement = next(r for r in ledger["releases"] if "Election Security" in r["title"])
    assert statement["id"] == (
        "tag:www.example.gov,2016-10-07:/news/2016/10/07/"
        "joint-statement-department-homeland-security-and-office-director-national"
    )
    assert statement["kind"] == "Statement"
    assert statement["release_date"] == "2016-10-07T00:00:00-04:00"
    [version] = statement["versions"]
    page = (tmp_path / "one" / PAGE).read_bytes()
    assert version["page_sha256"] == hashlib.sha256(page).hexdigest()
    # the title, then each paragraph of the body (the "#" that ends the statement is its end
    # mark, shown after the body, not a paragraph of it)
    assert len(version["paragraphs"]) == 1 + 3
    paragraph = normalise(last_paragraph_of_statement())
    assert hashlib.sha256(paragraph.encode()).hexdigest() in version["paragraphs"]
    # without a key the ledger is not signed, and says nothing of a key
    assert not (tmp_path / "one/ledger.json.sig").exists()
    assert (
        "Ledger-Public-Key"
        not in (tmp_path / "one/.well-known").joinpath("security.txt").read_text()
        if (tmp_path / "one/.well-known").exists()
        else True
    )


def test_signature_is_ed25519_over_the_ledger_bytes_and_the_key_is_published(
    signed: tuple[Path, Ed25519PrivateKey],
) -> None:
    out, key = signed
    public = serialization.load_pem_public_key((out / "ledger-key.pem").read_bytes())
    assert isinstance(public, Ed25519PublicKey)
    signature = base64.b64decode((out / "ledger.json.sig").read_bytes())
    public.verify(signature, (out / "ledger.json").read_bytes())  # raises if invalid
    assert key_id(public) == key_id(key.public_key())
    verify_page = (out / "verify/index.html").read_text()
    assert key_id(public) in verify_page


def verify(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is None:
        result = run_cli("verify", *args)
    else:
        import subprocess  # noqa: PLC0415
        import sys  # noqa: PLC0415

        from tests.conftest import SRC  # noqa: PLC0415

        result = subprocess.run(
            [sys.executable, "-m", "advisory_site", "verify", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
            check=False,
            timeout=120,
        )
    assert "Traceback" not in result.stderr + result.stdout
    return result.returncode, result.stdout, result.stderr


def test_verify_a_saved_page_offline(signed: tuple[Path, Ed25519PrivateKey]) -> None:
    out, key = signed
    code, stdout, stderr = verify(
        str(out / PAGE), "--ledger", str(out / "ledger.json"), "--key", key_id(key.public_key())
    )
    assert code == 0, stdout + stderr
    assert "byte for byte, the published page of Joint Statement" in stdout
    assert "Verified: every one of the 4 paragraphs" in stdout
    assert f"signed by {key_id(key.public_key())}" in stdout


def test_pasted_passage_with_straight_quotes_and_reflowed_lines_still_matches(
    signed: tuple[Path, Ed25519PrivateKey],
) -> None:
    out, _ = signed
    pasted = last_paragraph_of_statement().replace("\u201c", '"').replace("\u201d", '"')
    reflowed = textwrap.fill(pasted, width=60) + "\n"
    assert reflowed.count("\n") > 5
    code, stdout, _ = verify("--ledger", str(out / "ledger.json"), stdin=reflowed)
    assert code == 0, stdout
    assert "version 1 of 1, published 2016-10-07" in stdout
    assert "Verified: the paragraph is in a release of Test Agency." in stdout


def test_an_invented_quote_is_not_found(signed: tuple[Path, Ed25519PrivateKey]) -> None:
    out, _ = signed
    invented = "DHS confirms that the election results were altered by a foreign government."
    code, stdout, _ = verify("--ledger", str(out / "ledger.json"), stdin=invented)
    assert code == 1
    assert "NOT FOUND in any release" in stdout
    assert "Not verified: 1 of 1 paragraph is in no release of Test Agency." in stdout


def test_a_tampered_page_fails(signed: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    out, key = signed
    page = (out / PAGE).read_text()
    tampered = tmp_path / "saved.html"
    tampered.write_text(page.replace("is confident that", "has no doubt that"))
    code, stdout, _ = verify(
        str(tampered), "--ledger", str(out / "ledger.json"), "--key", key_id(key.public_key())
    )
    assert code == 1
    assert "not byte for byte a published page" in stdout
    assert "Not verified: 1 of 4 paragraphs is in no release" in stdout


def test_a_tampered_ledger_fails(signed: tuple[Path, Ed25519PrivateKey]) -> None:
    out, key = signed
    ledger = out / "ledger.json"
    forged = "Secretary Johnson resigned today."
    digest = hashlib.sha256(forged.encode()).hexdigest()
    data = json.loads(ledger.read_text())
    data["releases"][0]["versions"][0]["paragraphs"].append(digest)
    ledger.write_text(json.dumps(data))
    code, stdout, stderr = verify("--ledger", str(ledger), "--key", key_id(key.public_key()),
                                  stdin=forged)  # fmt: skip
    assert code == 1
    assert "the signature of" in stderr and "does not match" in stderr
    assert "Verified" not in stdout


def test_a_wrong_key_fails(signed: tuple[Path, Ed25519PrivateKey], tmp_path: Path) -> None:
    out, _ = signed
    other = Ed25519PrivateKey.generate().public_key()
    pem = tmp_path / "other.pem"
    pem.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    code, _, stderr = verify(
        str(out / PAGE), "--ledger", str(out / "ledger.json"), "--key", str(pem)
    )
    assert code == 1
    assert f"not signed with the key {key_id(other)}" in stderr


def test_verify_against_the_site_over_http(signed: tuple[Path, Ed25519PrivateKey]) -> None:
    out, key = signed
    with serve_folder(out) as origin:
        code, stdout, stderr = verify(str(out / PAGE), "--site", origin + "/")
    assert code == 0, stdout + stderr
    assert "the key was taken from beside the ledger itself" in stderr
    assert key_id(key.public_key()) in stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["/no/such/file", "--ledger", "ledger.json"], None, 2, "cannot read /no/such/file"),
        (["--ledger", "/no/ledger.json"], "Some text.", 2, "cannot read /no/ledger.json"),
        (["--ledger", "LEDGER", "--key", "ed25519:AAAA"], "Text.", 2, "not an Ed25519 public key"),
        (["--ledger", "LEDGER"], "  \n\n ### \n", 2, "holds no text to verify"),
        (["--site", "ftp://example.gov/"], "Text.", 2, "https:// address"),
        (["--site", "http://127.0.0.1:9/"], "Text.", 2, "cannot fetch"),
        (["--ledger", "NOTJSON"], "Text.", 1, "is not JSON"),
        (["--ledger", "NOTLEDGER"], "Text.", 1, "is not a ledger: at releases"),
        (["Text."], None, 2, "one of the arguments --site --ledger is required"),
    ],
)
def test_bad_input_gets_a_clear_message(  # noqa: PLR0917 - parametrised
    signed: tuple[Path, Ed25519PrivateKey],
    tmp_path: Path,
    args: list[str],
    stdin: str | None,
    code: int,
    message: str,
) -> None:
    out, _ = signed
    (tmp_path / "notjson").write_text("{not json")
    (tmp_path / "notledger").write_text(
        json.dumps({**json.loads((out / "ledger.json").read_text()), "releases": 3})
    )
    replaced = [
        {"LEDGER": str(out / "ledger.json"), "NOTJSON": str(tmp_path / "notjson"),
         "NOTLEDGER": str(tmp_path / "notledger")}.get(arg, arg)
        for arg in args
    ]  # fmt: skip
    result_code, stdout, stderr = verify(*replaced, stdin=stdin)
    assert result_code == code
    assert message in stdout + stderr


@pytest.mark.parametrize(
    ("pasted", "published"),
    [
        ("\u201cQuoted,\u201d he said \u2014 twice\u2026", '"Quoted," he said -- twice...'),
        ("It\u2019s the state\u2019s call", "It's the state's call"),
        ("e\u0301lection\u00a0day", "\u00e9lection day"),
        ("soft\u00adhyphen and zero\u200bwidth", "softhyphen and zerowidth"),
        ("a \u2013 b \u2212 c", "a-b-c"),
    ],
)
def test_normal_form_folds_what_copying_and_retyping_change(pasted: str, published: str) -> None:
    assert normalise(pasted) == normalise(published)


def test_paragraphs_of_text_and_of_html_agree() -> None:
    html = "<p>First <em>line</em><br>\nwraps.</p>\n<ul><li><p>Item</p></li></ul><h2>Head</h2>"
    assert html_paragraphs(html) == text_paragraphs("First line\nwraps.\n\n\nItem\n\n  Head  ")
