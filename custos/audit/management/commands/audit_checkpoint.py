"""custos audit_checkpoint: sign a Merkle checkpoint over the s.62 log; optionally export it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.checkpoints import CheckpointRefused, checkpoint_create, checkpoint_export
from custos.crypto.signing import SigningKeyUnavailable


class Command(BaseCommand):
    help = (
        "Sign a checkpoint: the RFC 6962 Merkle root of every audit event so far, signed with the "
        "installation's Ed25519 key (created with mode 0600 beside the key file if missing). Does "
        "nothing if no event was written since the last checkpoint, so it is safe to run from a "
        "scheduler. Refuses, exiting 1, if the log does not extend the previous checkpoint. "
        "--export FILE then writes the latest checkpoint, with the public key, as JSON for an "
        "outside party to keep ('-' for standard output); 'custos audit_verify --checkpoint FILE' "
        "later proves the log still extends it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export", metavar="FILE", help="write the latest checkpoint as JSON to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = checkpoint_create()
            document = checkpoint_export(outcome.checkpoint) if options["export"] else None
        except (CheckpointRefused, SigningKeyUnavailable) as exc:
            raise CommandError(f"no checkpoint signed: {exc}") from exc
        checkpoint = outcome.checkpoint
        summary = f"tree size {checkpoint.tree_size}, root {checkpoint.root_hash}"
        out = self.stderr if options["export"] == "-" else self.stdout
        if outcome.created:
            out.write(f"signed checkpoint #{checkpoint.id}: {summary}")
        else:
            out.write(f"no new events since checkpoint #{checkpoint.id}: {summary}")
        if document is None:
            return
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        if options["export"] == "-":
            sys.stdout.write(text)
            return
        Path(options["export"]).write_text(text, encoding="utf-8")
        out.write(f"exported checkpoint #{checkpoint.id} to {options['export']}")
