"""Keys and backups as an operator uses them: rotate_keys, pkcs11_init, backup, restore.

Each test runs the real ``custos`` console script against instances of its
own, on SQLite or on PostgreSQL as the suite runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
import stat
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest

from custos.crypto.tests.softhsm import softhsm_token
from tests.server import (
    DEMO_AUTHENTICATORS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    CustosInstance,
    _pg_execute,
    _postgres_admin_url,
    custos_instance,
)

pytestmark = pytest.mark.cli

NAME = "Perpetua Backupshire"


def _py(inst: CustosInstance, code: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return inst.custos("shell", "-v", "0", "-c", code, check=check)


def _create_person(inst: CustosInstance, name: str) -> str:
    out = _py(
        inst,
        "from custos.accounts.models import User\n"
        "from custos.register.tests.factories import a_person\n"
        f"print(a_person(User.objects.get(username='demo_officer'), full_name={name!r}).pk)",
    ).stdout
    return out.strip().splitlines()[-1]


def _read_name(inst: CustosInstance, pk: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _py(
        inst, f"from custos.register.models import Person\nprint(Person.objects.get(pk={pk!r}).full_name)", check=check
    )


def _search(inst: CustosInstance, name: str) -> list[str]:
    out = _py(
        inst,
        "from custos.accounts.models import User\n"
        "from custos.register.selectors import people_search_for\n"
        "viewer = User.objects.get(username='demo_officer')\n"
        f"print(*[p.pk for p in people_search_for(viewer=viewer, purpose='test', name={name!r})])",
    ).stdout
    return out.split()


def _key_file(inst: CustosInstance) -> Path:
    return inst.data_dir / "keys" / "kek.key"


def _key_lines(inst: CustosInstance) -> list[str]:
    return [line for line in _key_file(inst).read_text().splitlines() if line and not line.startswith("#")]


def _one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], lines[0]


# -- rotation -------------------------------------------------------------------------


def test_rotate_keys_rewraps_resumes_retires_and_search_and_tokens_still_work():
    with custos_instance() as inst:
        people = [_create_person(inst, f"Rotated Person {i}") for i in range(3)]
        token = inst.custos("api_token", "demo_officer").stdout.strip()
        root = _key_lines(inst)[-1]

        rotated = inst.custos("rotate_keys", "--batch-size", "2")

        keys = 3 + DEMO_AUTHENTICATORS  # three people, and each demo account's authenticator
        assert f"{keys} data key(s) re-wrapped in {math.ceil(keys / 2)} batch(es)" in rotated.stdout
        assert len(_key_lines(inst)) == 2
        assert stat.S_IMODE(_key_file(inst).stat().st_mode) == 0o600
        check = _py(
            inst,
            "from custos.crypto.keys import get_provider\n"
            "from custos.crypto.models import DataKey\n"
            "from custos.crypto.tokens import token_digest\n"
            "from custos.accounts.models import ApiToken\n"
            "from custos.audit.models import AuditEvent\n"
            "print(set(DataKey.objects.values_list('kek_id', flat=True)) == {get_provider().active_key_id()})\n"
            f"print(ApiToken.objects.filter(digest=token_digest({token!r})).exists())\n"
            "print(*AuditEvent.objects.filter(verb='keys.rotated').values_list('detail__step', flat=True))",
        ).stdout.split()
        assert check == ["True", "True", "kek_created"] + ["rewrapped"] * math.ceil(keys / 2)
        assert _search(inst, "rotated person 1") == [people[1]]
        assert _read_name(inst, people[2]).stdout.strip() == "Rotated Person 2"

        # A crash after the new key was written but before any data key moved.
        _py(inst, "from custos.crypto.keys import get_provider\nget_provider().create_key()")
        resumed = inst.custos("rotate_keys")
        assert f"resuming an unfinished rotation: {keys} data key(s) left" in resumed.stdout
        assert len(_key_lines(inst)) == 3  # no further key

        _one_line_error(inst.custos("rotate_keys", "--retire-old", check=False), "--confirm")
        retired = inst.custos("rotate_keys", "--retire-old", "--confirm")
        assert "retired 2 old KEK(s)" in retired.stdout
        assert "derivation root" in retired.stdout
        lines = _key_lines(inst)
        assert len(lines) == 2
        assert lines[-1] == root
        assert _search(inst, "Rotated Person 0") == [people[0]]
        assert "keys ready" in inst.custos("keys_status").stdout
        assert "intact" in inst.custos("audit_verify").stdout


# -- backup and restore ----------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    source: CustosInstance
    path: Path
    identity: Path
    recipient: str
    person: str


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backup]:
    """An instance holding a person with a known name, and an age-encrypted backup of it."""
    work = tmp_path_factory.mktemp("backup")
    identity = pyrage.x25519.Identity.generate()
    identity_file = work / "identity.txt"
    identity_file.write_text(str(identity) + "\n")
    identity_file.chmod(0o600)
    with custos_instance() as source:
        person = _create_person(source, NAME)
        out = work / "custos.age"
        result = source.custos("backup", str(out), "--recipient", str(identity.to_public()))
        assert "backup written" in result.stdout
        assert "it holds no key" in result.stdout
        yield Backup(source, out, identity_file, str(identity.to_public()), person)


def test_the_backup_is_private_and_holds_no_plaintext_and_no_key(backup, tmp_path):
    assert stat.S_IMODE(backup.path.stat().st_mode) == 0o600
    assert b"age-encryption.org/v1" in backup.path.read_bytes()[:64]
    plain = tmp_path / "backup.tar"
    subprocess.run(["age", "-d", "-i", str(backup.identity), "-o", str(plain), str(backup.path)], check=True)
    data = plain.read_bytes()
    with tarfile.open(plain) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        member = manifest["database"]["member"]
        assert sorted(tar.getnames()) == sorted(["manifest.json", member])
        tar.extract(member, tmp_path, filter="data")
    if member == "database.pgdump":  # compressed: read it back as SQL
        data += subprocess.run(
            ["pg_restore", "--file=-", str(tmp_path / member)], check=True, capture_output=True
        ).stdout

    key_line = [line for line in _key_file(backup.source).read_text().splitlines() if not line.startswith("#")][0]
    kek = base64.b64decode(key_line)
    for needle in (
        NAME.encode(),
        NAME.encode().hex().encode(),
        b"Backupshire",
        key_line.encode(),
        kek,
        kek.hex().encode(),
    ):
        assert needle not in data, needle
    assert b"backupshire" not in data.lower()

    keys = manifest["keys"]
    assert keys["provider"] == "local-key-file"
    assert keys["key_file_sha256"] == hashlib.sha256(_key_file(backup.source).read_bytes()).hexdigest()
    assert keys["key_ids_in_use"] == [keys["active_key_id"]]
    assert keys["data_keys_live"] == 1 + DEMO_AUTHENTICATORS  # the person's, and the demo authenticators'
    assert manifest["audit"]["last_seq"] > 0


def test_restore_drill_with_the_same_key_file(backup):
    with custos_instance(demo_users=False) as target:
        shutil.copy2(_key_file(backup.source), _key_file(target))
        args = ("restore", str(backup.path), "--identity", str(backup.identity))

        _one_line_error(target.custos(*args, check=False), "the database is not empty")
        assert "could be restored" in target.custos(*args, "--dry-run", "--force").stdout
        restored = target.custos(*args, "--force")

        assert "audit chain: intact" in restored.stdout
        live = 1 + DEMO_AUTHENTICATORS
        assert f"data keys: {live} of {live} live key(s) unwrap" in restored.stdout
        assert "restore complete" in restored.stdout
        assert "intact" in target.custos("audit_verify").stdout
        assert _read_name(target, backup.person).stdout.strip() == NAME
        assert _search(target, NAME) == [backup.person]


def test_restore_into_an_empty_database_needs_no_force(backup):
    with custos_instance(demo_users=False) as target:
        shutil.copy2(_key_file(backup.source), _key_file(target))
        base = os.environ.get("CUSTOS_DATABASE_URL", "")
        dbname = ""
        if base.startswith(("postgres://", "postgresql://")):
            dbname = f"custos_empty_{uuid.uuid4().hex[:12]}"
            _pg_execute(base, f'CREATE DATABASE "{dbname}"')
            target.env["CUSTOS_DATABASE_URL"] = _postgres_admin_url(base, dbname)
        else:
            target.env["CUSTOS_DATABASE_URL"] = f"sqlite:///{target.data_dir / 'restored.sqlite3'}"
        try:
            restored = target.custos("restore", str(backup.path), "--identity", str(backup.identity))
            assert "restore complete" in restored.stdout
            assert _read_name(target, backup.person).stdout.strip() == NAME
        finally:
            if dbname:
                _pg_execute(base, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def test_restore_with_a_different_key_file_fails_clearly(backup):
    with custos_instance(demo_users=False) as target:
        args = ("restore", str(backup.path), "--identity", str(backup.identity), "--force")

        _one_line_error(target.custos(*args, check=False), "the key provider lacks 1 KEK(s) this backup needs")
        skipped = target.custos(*args, "--skip-key-check", check=False)
        _one_line_error(skipped, f"restored, but {1 + DEMO_AUTHENTICATORS} data key(s) do not unwrap")
        assert "the key that wrapped this data key is not in the key file" in skipped.stderr

        reading = _read_name(target, backup.person, check=False)
        _one_line_error(reading, "KeyUnavailable: the key that wrapped this data key is not in the key file")
        assert NAME not in reading.stdout + reading.stderr


def test_restoring_an_older_backup_keeps_later_erasures(tmp_path):
    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(str(identity) + "\n")
    with custos_instance() as inst:
        kept = _create_person(inst, "Kept Throughout")
        erased = _create_person(inst, "Erased Later")
        out = tmp_path / "before-erasure.age"
        inst.custos("backup", str(out), "-r", str(identity.to_public()))
        _py(
            inst,
            "from custos.crypto.envelope import shred\nfrom custos.register.models import Person\n"
            f"shred(Person.objects.get(pk={erased!r}))",
        )

        restored = inst.custos("restore", str(out), "-i", str(identity_file), "--force")

        assert "erasures kept: 1 data key(s) shredded after this backup were shredded again" in restored.stdout
        assert _read_name(inst, kept).stdout.strip() == "Kept Throughout"
        _one_line_error(_read_name(inst, erased, check=False), "this record's data key has been destroyed")
        assert "intact" in inst.custos("audit_verify").stdout


def test_backup_and_restore_refuse_bad_input_with_one_line(backup, tmp_path):
    source = backup.source
    _one_line_error(source.custos("backup", str(tmp_path / "x.age"), check=False), "no recipient")
    _one_line_error(source.custos("backup", str(tmp_path / "x.age"), "-r", "age1nonsense", check=False), "invalid")
    _one_line_error(source.custos("backup", str(backup.path), "-r", backup.recipient, check=False), "exists")
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    _one_line_error(
        source.custos("restore", str(backup.path), "-i", str(stranger), "--dry-run", check=False), "cannot decrypt"
    )
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(f"# operators\n{backup.recipient}\n")
    assert "backup written" in source.custos("backup", str(tmp_path / "y.age"), "-R", str(recipients)).stdout


# -- PKCS#11 -------------------------------------------------------------------------


def test_an_instance_keyed_by_a_softhsm_token(tmp_path):
    hsm = softhsm_token(tmp_path / "hsm")
    with custos_instance(demo_users=False) as inst:
        inst.env.update(hsm.env())
        inst.custos("init")
        assert "created in token 'custos-test'" in inst.custos("pkcs11_init").stdout
        assert "keys present" in inst.custos("pkcs11_init").stdout
        # Demo accounts now, so their authenticators' data keys are wrapped in the token too.
        inst.custos("demo_users", "--password", DEMO_PASSWORD, "--totp-secret", DEMO_TOTP_SECRET)
        assert "provider: pkcs11" in inst.custos("keys_status").stdout

        person = _create_person(inst, "Imogen Hardware")
        kek = _py(
            inst,
            "from custos.crypto.models import DataKey\nfrom custos.register.models import Person\n"
            f"print(DataKey.objects.get(pk=Person.objects.get(pk={person!r}).data_key_id).kek_id)",
        )
        assert kek.stdout.strip().startswith("pkcs11-")
        assert _read_name(inst, person).stdout.strip() == "Imogen Hardware"

        assert f"{1 + DEMO_AUTHENTICATORS} data key(s) re-wrapped" in inst.custos("rotate_keys").stdout
        assert _read_name(inst, person).stdout.strip() == "Imogen Hardware"
        assert _search(inst, "imogen hardware") == [person]
        assert "intact" in inst.custos("audit_verify").stdout

        out = tmp_path / "hsm.age"
        identity = pyrage.x25519.Identity.generate()
        inst.custos("backup", str(out), "-r", str(identity.to_public()))
        manifest = _manifest(out, identity)
        assert manifest["keys"]["provider"] == "pkcs11"
        assert manifest["keys"]["token_label"] == "custos-test"

        del inst.env["CUSTOS_PKCS11_PIN_FILE"]
        inst.env["CUSTOS_PKCS11_PIN"] = "0000"
        _one_line_error(
            inst.custos("keys_status", check=False), "PKCS#11 login to token 'custos-test' failed: wrong PIN"
        )
        _one_line_error(
            _read_name(inst, person, check=False),
            "custos: error: KeyUnavailable: PKCS#11 login to token 'custos-test' failed: wrong PIN",
        )


def _manifest(path: Path, identity: pyrage.x25519.Identity) -> dict[str, object]:
    import io

    plain = pyrage.decrypt(path.read_bytes(), [identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return dict(json.loads(tar.extractfile("manifest.json").read()))
