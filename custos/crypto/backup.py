"""Encrypted backups of the database, without the keys that open it.

A backup is one age-encrypted file (X25519 or SSH recipients, via pyrage)
holding a tar archive of two members:

- ``manifest.json``: format, time, database vendor and checksum, and the
  *references* to the key material: the provider kind, the active KEK id,
  the KEK ids that wrap live data keys, the key file's SHA-256 fingerprint
  (local provider) or the token and key labels (PKCS#11). Never a key.
- the database: a SQLite copy made with SQLite's online backup API (a
  consistent snapshot while the service runs), or a ``pg_dump
  --format=custom`` of the PostgreSQL database.

Guarantees:

- No KEK, derivation key, Django secret key or PIN is in a backup. Personal
  values in the database are ciphertext under per-person data keys, stored
  only wrapped by the KEK, so a backup alone reveals no personal data, and a
  person erased by shredding their data key stays erased in every backup
  (ADR 1, ADR 8). The key file or token is backed up apart, by the operator.
- Plaintext staging files live in a private (0700) temporary directory
  that is removed afterwards; the backup is written 0600 under a temporary
  name and renamed into place, so a partial file never has the final name.
- Restore refuses a database that already holds tables unless forced,
  refuses a backup whose data keys the available key provider cannot open
  (unless told to skip that check), checks the database checksum, and after
  restoring re-verifies the audit chain and unwraps every live data key.

``custos.crypto`` sits below the audit layer: the audit chain check is
passed in by the command as a callback.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore with fixed argument lists, no shell
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from custos.crypto.envelope import _context, clear_cache
from custos.crypto.keys import KeyUnavailable, get_provider
from custos.crypto.models import DataKey

FORMAT = "custos-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
_CHUNK = 1024 * 1024


#: Sent after a restore has replaced the database, before it is verified; receivers
#: return a short message for the operator (or None) and may raise to fail the restore.
database_restored = Signal()


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why in one line."""


# -- age recipients and identities ---------------------------------------------


def recipients_parse(values: Iterable[str]) -> list[Any]:
    """age recipients from strings: ``age1…`` (X25519) or ``ssh-ed25519 …``/``ssh-rsa …``."""
    recipients = []
    for raw in values:
        value = raw.strip()
        if not value or value.startswith("#"):
            continue
        try:
            if value.startswith("age1"):
                recipients.append(pyrage.x25519.Recipient.from_str(value))
            elif value.startswith("ssh-"):
                recipients.append(pyrage.ssh.Recipient.from_str(value))
            else:
                raise BackupError(f"not an age or SSH public key: {value[:12]}…")
        except pyrage.RecipientError as exc:
            raise BackupError(f"invalid recipient {value[:12]}…: {exc}") from exc
    return recipients


def recipients_file_read(path: Path) -> list[str]:
    """The lines of an age recipients file (comments and blank lines dropped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BackupError(f"cannot read recipients file {path}: {exc.strerror}") from exc
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def identities_read(path: Path) -> list[Any]:
    """age identities from a file: ``AGE-SECRET-KEY-1…`` lines, or an OpenSSH private key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read identity file {path}: {exc.strerror}") from exc
    identities: list[Any] = []
    try:
        if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
            identities.append(pyrage.ssh.Identity.from_buffer(data))
        else:
            for line in data.decode("utf-8").splitlines():
                line = line.strip()
                if line.startswith("AGE-SECRET-KEY-"):
                    identities.append(pyrage.x25519.Identity.from_str(line))
    except (pyrage.IdentityError, UnicodeDecodeError) as exc:
        raise BackupError(f"identity file {path} holds an invalid key") from exc
    if not identities:
        raise BackupError(f"identity file {path} holds no age identity")
    return identities


# -- helpers -----------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _private_dir(near: Path | None = None) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="custos-backup-", dir=near))
    os.chmod(work, 0o700)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _vendor() -> str:
    engine = str(_database()["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")


def _pg_env() -> dict[str, str]:
    """libpq variables for pg_dump/pg_restore: the password never goes on a command line."""
    db = _database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (Debian: postgresql-client)")
    return path


def _run(args: list[str]) -> None:
    result = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no detail"])[0]
        if _NO_SPACE in detail:
            raise _DiskFull(detail)
        raise BackupError(f"{Path(args[0]).name} failed: {detail}")


_NO_SPACE = "No space left on device"


class _DiskFull(OSError):
    """A full disk reported as text (by pg_dump or age), not by an errno."""


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, _DiskFull):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return _NO_SPACE in str(exc)


def key_references() -> dict[str, Any]:
    """What a backup records about the keys: ids and fingerprints, never a key."""
    try:
        provider = get_provider()
        refs = provider.references()
    except KeyUnavailable as exc:
        raise BackupError(f"key provider unavailable: {exc}") from exc
    in_use = sorted(
        DataKey.objects.filter(wrapped__isnull=False).values_list("kek_id", flat=True).distinct().order_by()
    )
    refs["key_ids_in_use"] = in_use
    refs["data_keys_live"] = DataKey.objects.filter(wrapped__isnull=False).count()
    refs["data_keys_shredded"] = DataKey.objects.filter(wrapped__isnull=True).count()
    return refs


# -- backup ------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupReport:
    path: Path
    vendor: str
    size: int
    manifest: dict[str, Any]


def backup_create(*, out: Path, recipients: list[Any], extra: dict[str, Any] | None = None) -> BackupReport:
    """Write an age-encrypted backup of the database to ``out`` (see the module docstring).

    ``extra`` adds non-secret facts to the manifest (the command adds the
    audit chain head). Refuses to overwrite an existing file.
    """
    if not recipients:
        raise BackupError("no recipient: give --recipient AGE_PUBLIC_KEY or --recipients-file FILE")
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} exists: choose a new name (backups are never overwritten)")
    if not out.parent.is_dir():
        raise BackupError(f"directory {out.parent} does not exist")
    vendor = _vendor()
    try:
        return _backup_write(out=out, vendor=vendor, recipients=recipients, extra=extra)
    except (OSError, sqlite3.Error, pyrage.EncryptError) as exc:
        # Staging files and the partial file are gone by now (both are removed on any failure).
        if _is_disk_full(exc):
            raise BackupError(
                f"no space left on the device that holds {out.parent}: no backup was written; "
                "free some space or choose another folder"
            ) from None
        if isinstance(exc, pyrage.EncryptError):
            raise BackupError(f"age encryption failed: {exc}") from exc
        if isinstance(exc, OSError):
            raise BackupError(f"the backup could not be written in {out.parent}: {exc.strerror}") from exc
        raise


def _backup_write(*, out: Path, vendor: str, recipients: list[Any], extra: dict[str, Any] | None) -> BackupReport:
    with _private_dir(out.parent) as work:
        if vendor == "sqlite":
            member = SQLITE_MEMBER
            _sqlite_copy(Path(str(_database()["NAME"])), work / member)
        else:
            member = POSTGRES_MEMBER
            _run([_tool("pg_dump"), "--format=custom", "--no-password", f"--file={work / member}"])
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "member": member, "sha256": _sha256_file(work / member)},
            "keys": key_references(),
            "excluded": [
                "key-encryption keys (the key file or the PKCS#11 token): back them up apart",
                "the Django secret key",
                "uploads and exports in the data directory",
            ],
            **(extra or {}),
        }
        archive = work / "backup.tar"
        with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
            _tar_add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
            tar.add(work / member, arcname=member, filter=_tar_clean)
        partial = out.with_name(f".{out.name}.partial")
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            pyrage.encrypt_file(str(archive), str(partial), recipients)
            os.chmod(partial, 0o600)
            os.replace(partial, out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupReport(path=out, vendor=vendor, size=out.stat().st_size, manifest=manifest)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included) via the online backup API."""
    if not source.exists():
        raise BackupError(f"database file {source} does not exist")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # The copy is standalone: no -wal file travels with it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _tar_clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = _tar_clean(tarfile.TarInfo(name))
    info.size = len(data)
    info.mtime = int(dt.datetime.now(tz=dt.UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


# -- restore -----------------------------------------------------------------------


@dataclass
class OpenedBackup:
    """A decrypted backup in a private directory, valid inside ``backup_open``."""

    manifest: dict[str, Any]
    database: Path

    @property
    def vendor(self) -> str:
        return str(self.manifest["database"]["vendor"])

    @property
    def key_ids_in_use(self) -> list[str]:
        return list(self.manifest.get("keys", {}).get("key_ids_in_use", []))


@contextmanager
def backup_open(path: Path, identities: list[Any]) -> Iterator[OpenedBackup]:
    """Decrypt a backup into a private temporary directory and check its manifest and checksum."""
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    with _private_dir() as work:
        archive = work / "backup.tar"
        try:
            pyrage.decrypt_file(str(path), str(archive), identities)
        except pyrage.DecryptError as exc:
            raise BackupError(f"cannot decrypt {path.name}: {exc} (wrong identity, or not an age file)") from exc
        try:
            with tarfile.open(archive, "r:") as tar:
                manifest = json.loads(_tar_read(tar, MANIFEST).decode("utf-8"))
                if manifest.get("format") != FORMAT:
                    raise BackupError(f"unknown backup format {manifest.get('format')!r}")
                member = str(manifest["database"]["member"])
                if member not in (SQLITE_MEMBER, POSTGRES_MEMBER):
                    raise BackupError(f"unexpected database member {member!r}")
                database = work / member
                source = tar.extractfile(member)
                if source is None:
                    raise BackupError(f"the backup has no {member}")
                with source, database.open("wb") as target:
                    shutil.copyfileobj(source, target, _CHUNK)
        except (tarfile.TarError, KeyError, ValueError) as exc:
            raise BackupError(f"{path.name} is not a Custos backup: {exc}") from exc
        archive.unlink()
        if _sha256_file(database) != manifest["database"]["sha256"]:
            raise BackupError("the database in the backup does not match its recorded checksum")
        yield OpenedBackup(manifest=manifest, database=database)


def _tar_read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"the backup has no {name}")
    with member:
        return member.read()


def missing_keys(opened: OpenedBackup) -> list[str]:
    """KEK ids the backup's live data keys need that the available key provider lacks."""
    try:
        available = set(get_provider().key_ids())
    except KeyUnavailable as exc:
        raise BackupError(f"key provider unavailable: {exc}") from exc
    return [k for k in opened.key_ids_in_use if k not in available]


def database_is_empty() -> bool:
    """True when the configured database holds no table at all."""
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def database_restore(opened: OpenedBackup, *, force: bool) -> None:
    """Replace the configured database with the backup's (refuses a non-empty one unless ``force``)."""
    vendor = _vendor()
    if vendor != opened.vendor:
        raise BackupError(f"this is a {opened.vendor} backup but CUSTOS_DATABASE_URL names a {vendor} database")
    if not database_is_empty() and not force:
        raise BackupError("the database is not empty: restore into an empty database, or pass --force to replace it")
    if vendor == "sqlite":
        _sqlite_restore(opened.database, Path(str(_database()["NAME"])))
    else:
        _postgres_restore(opened.database)
    connection.close()
    clear_cache()


def _sqlite_restore(source: Path, target: Path) -> None:
    connection.close()
    src = sqlite3.connect(source)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database in the backup fails SQLite's integrity check")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        dst = sqlite3.connect(target)
        try:
            # The backup API replaces every page of the target, WAL included.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(target, 0o600)


def _postgres_restore(dump: Path) -> None:
    """Load the dump in one transaction: a failure leaves the database as it was.

    ``pg_restore`` turns the dump into SQL and ``psql --single-transaction``
    runs it; with --force the replaced schema is dropped in that same
    transaction, so a failed restore drops nothing.
    """
    with connection.cursor() as cursor:
        replace = bool(connection.introspection.table_names(cursor))
    connection.close()
    reset = ["--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public"] if replace else []
    env = _pg_env()
    # pg_restore's errors go to a file: a full pipe nobody reads would stall both tools.
    script_errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    script = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        [_tool("pg_restore"), "--no-owner", "--no-acl", "--file=-", str(dump)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=script_errors,
    )
    try:
        loaded = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [
                _tool("psql"),
                "--no-password",
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                *reset,
                "--file=-",
            ],
            env=env,
            stdin=script.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if script.stdout is not None:
            script.stdout.close()
        script.wait()
        script_errors.seek(0)
        errors = script_errors.read().decode("utf-8", "replace")
        script_errors.close()
    if script.returncode != 0:
        detail = (errors.strip().splitlines() or ["no detail"])[0]
        raise BackupError(f"pg_restore failed: {detail}; the database was not changed")
    if loaded.returncode != 0:
        detail = (loaded.stderr.strip().splitlines() or ["no detail"])[0]
        raise BackupError(f"psql failed: {detail}; the database was not changed")


@dataclass
class DataKeyCheck:
    live: int = 0
    readable: int = 0
    shredded: int = 0
    unreadable: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.unreadable == 0


def data_keys_verify(*, progress: Callable[[int], None] | None = None, chunk_size: int = 2000) -> DataKeyCheck:
    """Unwrap every live data key with the available provider (keys are discarded at once)."""
    check = DataKeyCheck()
    try:
        provider = get_provider()
    except KeyUnavailable as exc:
        raise BackupError(f"key provider unavailable: {exc}") from exc
    check.shredded = DataKey.objects.filter(wrapped__isnull=True).count()
    rows = DataKey.objects.filter(wrapped__isnull=False).order_by("id").values_list("id", "kek_id", "wrapped")
    done = 0
    for key_id, kek_id, wrapped in rows.iterator(chunk_size=chunk_size):
        check.live += 1
        try:
            provider.unwrap(kek_id, bytes(wrapped or b""), context=_context(key_id))
            check.readable += 1
        except KeyUnavailable as exc:
            check.unreadable += 1
            check.reasons[str(exc)] = check.reasons.get(str(exc), 0) + 1
        done += 1
        if progress is not None and done % chunk_size == 0:
            progress(chunk_size)
    if progress is not None and done % chunk_size:
        progress(done % chunk_size)
    return check


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    reason: str = ""


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    dry_run: bool
    missing_keys: list[str]
    chain: ChainCheck | None = None
    data_keys: DataKeyCheck | None = None
    erasures_reapplied: list[uuid.UUID] = field(default_factory=list)
    after_restore: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        chain_ok = self.chain is None or self.chain.ok
        keys_ok = self.data_keys is None or self.data_keys.ok
        return chain_ok and keys_ok


def shredded_key_ids() -> list[uuid.UUID]:
    """Data keys already shredded in the configured database (empty if it cannot be read)."""
    try:
        if database_is_empty():
            return []
        return list(DataKey.objects.filter(wrapped__isnull=True).values_list("id", flat=True))
    except DatabaseError:
        return []
    finally:
        connection.close()


def erasures_reapply(key_ids: list[uuid.UUID], *, record: Callable[[list[uuid.UUID]], None]) -> list[uuid.UUID]:
    """Shred again, in the restored database, data keys that were shredded in the one it replaced.

    A backup taken before an erasure still holds that person's wrapped data
    key; without this, restoring it would bring the person back. ``record``
    writes the audit events in the same transaction.
    """
    if not key_ids:
        return []
    with transaction.atomic():
        live = list(
            DataKey.objects.select_for_update()
            .filter(pk__in=key_ids, wrapped__isnull=False)
            .values_list("id", flat=True)
        )
        if live:
            DataKey.objects.filter(pk__in=live).update(wrapped=None, shredded_at=timezone.now())
            record(live)
    clear_cache()
    return live


def backup_restore(
    *,
    path: Path,
    identities: list[Any],
    verify_chain: Callable[[], ChainCheck],
    record_erasures: Callable[[list[uuid.UUID]], None],
    force: bool = False,
    skip_key_check: bool = False,
    dry_run: bool = False,
) -> RestoreReport:
    """Restore a backup into the configured database, then verify it.

    Order: decrypt and check the checksum; check that the key provider holds
    every KEK the backup's live data keys need (refuse otherwise, unless
    ``skip_key_check``); refuse a non-empty database unless ``force``; note
    the data keys shredded in the database being replaced; restore; shred
    those keys again in the restored database (``record_erasures`` writes
    their audit events), so an erasure made after the backup survives the
    restore; verify the audit chain (``verify_chain``) and unwrap every live
    data key. ``dry_run`` stops before touching the database.
    """
    with backup_open(path, identities) as opened:
        missing = missing_keys(opened)
        report = RestoreReport(manifest=opened.manifest, dry_run=dry_run, missing_keys=missing)
        if missing and not skip_key_check:
            raise BackupError(
                f"the key provider lacks {len(missing)} KEK(s) this backup needs ({', '.join(missing)}): "
                "install the key file (or token) backed up with it, or pass --skip-key-check"
            )
        if dry_run:
            if not database_is_empty() and not force:
                raise BackupError("the database is not empty: a restore would need --force")
            return report
        erased = shredded_key_ids() if force else []
        database_restore(opened, force=force)
    report.erasures_reapplied = erasures_reapply(erased, record=record_erasures)
    # Higher layers re-apply what they keep outside the database (the erasure ledger, ADR 10).
    # A receiver that raises stops the restore command with its message, before anything serves.
    report.after_restore = [str(message) for _, message in database_restored.send(sender=backup_restore) if message]
    report.chain = verify_chain()
    report.data_keys = data_keys_verify()
    return report
