"""custos audit_verify: check the whole s.62 log and its signed checkpoints have not been altered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.checkpoints import (
    ProofUnavailable,
    consistency_proof_between,
    exported_checkpoint_read,
    inclusion_proof_for,
)
from custos.audit.verify import exported_checkpoint_verify, log_verify


class Command(BaseCommand):
    help = (
        "Walk the audit log from the first event, recomputing each event's hash and its link to "
        "the one before, and check every signed checkpoint: its signature, that it extends the "
        "checkpoint before it, and that its Merkle root matches the events it covers. Exits 0 if "
        "all hold; otherwise exits 1 naming the first bad event or checkpoint. "
        "--checkpoint FILE also proves the log extends a checkpoint exported earlier (checking its "
        "signature with the public key in the file). --inclusion-proof SEQ and --consistency-proof "
        "M N print an RFC 6962 proof as JSON instead (checked before it is printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--checkpoint", metavar="FILE", help="an exported checkpoint the log must extend")
        group.add_argument(
            "--inclusion-proof", metavar="SEQ", type=int, help="print the proof event SEQ is in the latest checkpoint"
        )
        group.add_argument(
            "--consistency-proof",
            nargs=2,
            metavar=("M", "N"),
            type=int,
            help="print the proof that the log's first M events are a prefix of its first N",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["inclusion_proof"] is not None:
                self._print(inclusion_proof_for(seq=options["inclusion_proof"]))
                return
            if options["consistency_proof"] is not None:
                old_size, new_size = options["consistency_proof"]
                self._print(consistency_proof_between(old_size=old_size, new_size=new_size))
                return
        except ProofUnavailable as exc:
            raise CommandError(f"no proof: {exc}") from exc
        exported = None
        if options["checkpoint"]:
            try:
                document = json.loads(Path(options["checkpoint"]).read_text(encoding="utf-8"))
                exported = exported_checkpoint_read(document)
            except (OSError, ValueError) as exc:  # CheckpointInvalid and bad JSON are ValueErrors
                raise CommandError(f"checkpoint file {options['checkpoint']} rejected: {exc}") from exc
        result = log_verify()
        if not result.ok:
            raise CommandError(f"audit log broken: {result.reason}")
        self.stdout.write(
            f"audit chain intact: {result.checked} events verified; "
            f"{result.checkpoints} signed checkpoint{'s' if result.checkpoints != 1 else ''} verified"
        )
        if exported is None:
            return
        outside = exported_checkpoint_verify(exported)
        if not outside.ok:
            raise CommandError(f"audit log broken: {outside.reason}")
        self.stdout.write(
            f"the log extends exported checkpoint #{exported.checkpoint_id} "
            f"(tree size {exported.tree_size}, created {exported.created_at}, key {exported.key_fingerprint[:16]})"
        )

    def _print(self, document: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(document, indent=2, sort_keys=True))
