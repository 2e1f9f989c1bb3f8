"""custos restore: put a backup back, then prove the audit chain and the keys."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.models import Verb
from custos.audit.services import Actor, EventSpec, events_record
from custos.audit.verify import chain_verify
from custos.crypto.backup import BackupError, ChainCheck, backup_restore, identities_read


def _record_erasures(key_ids: list[uuid.UUID]) -> None:
    events_record(
        actor=SYSTEM,
        specs=[
            EventSpec(
                verb=Verb.DATA_KEY_SHREDDED,
                object_type="data_key",
                object_ref=f"data_key:{key_id}",
                detail={"reapplied_after_restore": True},
            )
            for key_id in key_ids
        ],
    )


def _chain() -> ChainCheck:
    result = chain_verify()
    return ChainCheck(ok=result.ok, checked=result.checked, reason=result.reason)


SYSTEM = Actor.system("restore")


class Command(BaseCommand):
    help = (
        "Restore the age-encrypted backup IN into the database named by CUSTOS_DATABASE_URL "
        "(SQLite file, or an empty PostgreSQL database via pg_restore). Stop the service first. "
        "Refuses if the key provider lacks a key-encryption key the backup's data keys need "
        "(install the key file backed up with it; --skip-key-check to restore anyway), and refuses "
        "a database that already holds tables unless --force, which replaces it; data keys shredded in "
        "the replaced database are shredded again in the restored one, so erasures made after the "
        "backup hold. Afterwards "
        "verifies the audit chain and unwraps every live data key; exits non-zero if either fails. "
        "--dry-run decrypts and checks without touching the database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", metavar="IN", help="The backup file")
        parser.add_argument(
            "--identity", "-i", type=Path, required=True, metavar="FILE", help="age identity file (AGE-SECRET-KEY-1…)"
        )
        parser.add_argument("--force", action="store_true", help="Replace a database that is not empty")
        parser.add_argument(
            "--skip-key-check",
            action="store_true",
            help="Restore even if the key provider lacks keys the backup needs (its personal data stays unreadable)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Decrypt and check only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(
                path=Path(options["input"]),
                identities=identities_read(options["identity"]),
                verify_chain=_chain,
                record_erasures=_record_erasures,
                force=options["force"],
                skip_key_check=options["skip_key_check"],
                dry_run=options["dry_run"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(
            f"backup of {manifest['created_at']} ({manifest['database']['vendor']}, key provider "
            f"{manifest['keys']['provider']}, key file fingerprint {manifest['keys'].get('key_file_sha256', '-')})"
        )
        if report.missing_keys:
            self.stdout.write(f"key provider lacks: {', '.join(report.missing_keys)}")
        if report.dry_run:
            self.stdout.write(self.style.SUCCESS("dry run: the backup decrypts, checks out and could be restored"))
            return
        chain, keys = report.chain, report.data_keys
        if chain is None or keys is None:  # pragma: no cover - set by every real restore
            raise CommandError("restore did not verify the result")
        self.stdout.write(
            f"audit chain: {'intact' if chain.ok else 'BROKEN'}, {chain.checked} events verified"
            + (f" ({chain.reason})" if chain.reason else "")
        )
        self.stdout.write(f"data keys: {keys.readable} of {keys.live} live key(s) unwrap, {keys.shredded} shredded")
        if report.erasures_reapplied:
            self.stdout.write(
                f"erasures kept: {len(report.erasures_reapplied)} data key(s) shredded after this backup "
                "were shredded again"
            )
        for message in report.after_restore:
            self.stdout.write(message)
        if not chain.ok:
            raise CommandError(f"restored, but the audit chain is broken: {chain.reason}")
        if not keys.ok:
            reasons = "; ".join(f"{n} x {reason}" for reason, n in keys.reasons.items())
            raise CommandError(f"restored, but {keys.unreadable} data key(s) do not unwrap: {reasons}")
        self.stdout.write(self.style.SUCCESS("restore complete: audit chain intact, every live data key unwraps"))
