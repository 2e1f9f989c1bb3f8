"""custos backup: an age-encrypted copy of the database, without the keys that open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.models import AuditHead
from custos.crypto.backup import BackupError, backup_create, recipients_file_read, recipients_parse


class Command(BaseCommand):
    help = (
        "Write OUT: the database (SQLite through its online backup API, a consistent copy while "
        "the service runs; PostgreSQL through pg_dump --format=custom) and a manifest, in one file "
        "encrypted with age to the given recipients. The backup holds references to the key "
        "material (provider kind, key ids, the key file's fingerprint) but never a key: back up the "
        "key file or HSM token apart. Personal data in it is ciphertext under per-person data keys, "
        "so a person erased by shredding their key stays erased in every backup (ADR 8). OUT is "
        "written 0600 and never overwritten."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT", help="The backup file to write (must not exist)")
        parser.add_argument(
            "--recipient",
            "-r",
            action="append",
            default=[],
            metavar="AGE_PUBLIC_KEY",
            help="An age (age1…) or SSH public key to encrypt to; repeatable",
        )
        parser.add_argument(
            "--recipients-file", "-R", type=Path, metavar="FILE", help="A file of recipients, one per line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lines = list(options["recipient"])
        try:
            if options["recipients_file"] is not None:
                lines += recipients_file_read(options["recipients_file"])
            recipients = recipients_parse(lines)
            if not recipients:
                raise BackupError("no recipient: give --recipient AGE_PUBLIC_KEY or --recipients-file FILE")
            head = AuditHead.objects.filter(pk=1).first() or AuditHead(last_seq=0, last_hash="")
            report = backup_create(
                out=Path(options["out"]),
                recipients=recipients,
                extra={"audit": {"last_seq": head.last_seq, "last_hash": head.last_hash}},
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        keys = report.manifest["keys"]
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written: {report.path} ({report.vendor}, {report.size} bytes, "
                f"{keys['data_keys_live']} live data key(s) wrapped by {', '.join(keys['key_ids_in_use']) or 'none'}); "
                "it holds no key: keep the key file or token backed up apart"
            )
        )
