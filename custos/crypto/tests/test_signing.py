"""The checkpoint signing key: private, created once, signs and verifies Ed25519."""

from __future__ import annotations

import base64
import hashlib
import stat
import threading
from pathlib import Path

import pytest

from custos.crypto import signing


@pytest.fixture
def key_dir(settings, tmp_path: Path) -> Path:
    """Point the installation's key file (and so the signing key) at a fresh directory."""
    settings.KEY_FILE_PATH = tmp_path / "keys" / "kek.key"
    return tmp_path / "keys"


def test_signing_key_lives_beside_the_key_file():
    assert signing.signing_key_path(Path("/srv/custos/keys/kek.key")) == Path("/srv/custos/keys/audit-signing.key")


def test_created_private_and_only_once(key_dir: Path):
    path = key_dir / "audit-signing.key"
    assert signing.ensure_signing_key() is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert signing.ensure_signing_key() is False
    assert path.read_bytes() == before
    assert [p.name for p in key_dir.iterdir()] == ["audit-signing.key"], "no temporary file is left behind"


def test_racing_creators_make_exactly_one_key(tmp_path: Path):
    path = tmp_path / "keys" / "audit-signing.key"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(signing.create_signing_key(path))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 1
    assert len(base64.b64decode(lines[0])) == 32


def test_signs_and_verifies(key_dir: Path):
    signing.ensure_signing_key()
    public = signing.public_key_bytes()
    signature = signing.sign(b"tree_size=42")
    assert len(public) == 32
    assert len(signature) == 64
    assert signing.verify(public, b"tree_size=42", signature)
    assert not signing.verify(public, b"tree_size=43", signature)
    assert not signing.verify(public, b"tree_size=42", bytes([signature[0] ^ 1]) + signature[1:])
    assert not signing.verify(public, b"tree_size=42", signature[:-1])
    assert not signing.verify(b"\x00" * 31, b"tree_size=42", signature)
    assert signing.active_fingerprint() == hashlib.sha256(public).hexdigest() == signing.fingerprint(public)
    assert "BEGIN PUBLIC KEY" in signing.public_key_pem(public)


def test_a_signature_by_another_key_does_not_verify(key_dir: Path, tmp_path: Path, settings):
    signing.ensure_signing_key()
    public = signing.public_key_bytes()
    other = tmp_path / "other"
    signing.create_signing_key(other / "audit-signing.key")
    settings.KEY_FILE_PATH = other / "kek.key"
    assert not signing.verify(public, b"m", signing.sign(b"m"))


def test_older_keys_stay_trusted_for_verifying(key_dir: Path):
    signing.ensure_signing_key()
    old_public = signing.public_key_bytes()
    old_signature = signing.sign(b"old checkpoint")
    path = key_dir / "audit-signing.key"
    old_line = path.read_text().splitlines()[-1]
    path.unlink()
    signing.ensure_signing_key()
    with path.open("a", encoding="ascii") as handle:
        handle.write(old_line + "\n")
    keys = signing.trusted_public_keys()
    assert list(keys)[0] == signing.active_fingerprint() != signing.fingerprint(old_public)
    assert keys[signing.fingerprint(old_public)] == old_public
    assert signing.verify(keys[signing.fingerprint(old_public)], b"old checkpoint", old_signature)


def test_refuses_a_missing_or_exposed_key(key_dir: Path):
    with pytest.raises(signing.SigningKeyUnavailable, match="missing"):
        signing.sign(b"m")
    signing.ensure_signing_key()
    (key_dir / "audit-signing.key").chmod(0o640)
    with pytest.raises(signing.SigningKeyUnavailable, match="readable by others"):
        signing.sign(b"m")


def test_refuses_a_malformed_key_file(key_dir: Path):
    key_dir.mkdir(parents=True)
    path = key_dir / "audit-signing.key"
    path.write_text("# nothing here\n")
    path.chmod(0o600)
    with pytest.raises(signing.SigningKeyUnavailable, match="no key"):
        signing.public_key_bytes()
    path.write_text(base64.b64encode(b"short").decode() + "\n")
    signing.reset_signing_cache()
    with pytest.raises(signing.SigningKeyUnavailable, match="malformed"):
        signing.public_key_bytes()
