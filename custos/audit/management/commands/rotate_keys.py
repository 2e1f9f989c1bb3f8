"""custos rotate_keys: a new key-encryption key, every data key re-wrapped under it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor, event_record
from custos.crypto.keys import KeyUnavailable, get_provider
from custos.crypto.rotation import (
    DEFAULT_BATCH_SIZE,
    RotationError,
    RotationPlan,
    kek_retire_unused,
    kek_rotate,
    rotation_plan,
)

SYSTEM = Actor.system("rotate_keys")


def _record(step: str, detail: dict[str, Any]) -> None:
    kek = str(detail.get("kek") or detail.get("active") or "")
    event_record(
        actor=SYSTEM,
        verb=Verb.KEYS_ROTATED,
        object_type="key_encryption_key",
        object_ref=f"kek:{kek}" if kek else "",
        detail={"step": step, **detail},
    )


def _record_a_kek_made_without_its_event() -> str | None:
    """The active KEK, if a rotation stopped (killed, power cut) after the key provider saved it but before its
    ``kek_created`` event committed: recorded now, before this run wraps anything under it. None otherwise.

    The oldest KEK (the first of a key file or token) is made by ``custos init`` or ``custos pkcs11_init``, which
    record the system's set-up; it has no ``kek_created`` event of its own.
    """
    provider = get_provider()
    active = provider.active_key_id()
    if active == provider.key_ids()[-1]:
        return None
    made = AuditEvent.objects.filter(verb=Verb.KEYS_ROTATED, object_ref=f"kek:{active}", detail__step="kek_created")
    if made.exists():
        return None
    with transaction.atomic():
        _record("kek_created", {"provider": provider.kind, "kek": active, "recorded_late": True})
    return active


class Command(BaseCommand):
    help = (
        "Rotate the key-encryption key (KEK): make a new KEK in the key provider (the local key "
        "file gets a new first line, written to a new 0600 file and renamed into place; a PKCS#11 "
        "token gets a new non-extractable AES key), then re-wrap every live data key under it in "
        "batches, each batch one transaction with one 'keys.rotated' audit event by "
        "'system:rotate_keys'. No field is re-encrypted; data keys, blind indexes and API token "
        "digests stay valid. Safe to re-run: if data keys are still wrapped by an older KEK, the "
        "unfinished rotation is resumed and no new KEK is made (unless --new-key). Old KEKs stay, "
        "so older backups still open, until --retire-old --confirm removes those no live data key "
        "uses (never the derivation root of the local key file). Restart the service after a "
        "rotation, then run with --resume to pick up any data key wrapped meanwhile."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--new-key", action="store_true", help="Make a new KEK even if a rotation is unfinished")
        mode.add_argument("--resume", action="store_true", help="Only finish an unfinished rotation; never make a KEK")
        parser.add_argument(
            "--retire-old",
            action="store_true",
            help="Afterwards, remove old KEKs that no live data key uses (needs --confirm)",
        )
        parser.add_argument("--confirm", action="store_true", help="Confirm --retire-old")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Data keys per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["retire_old"] and not (options["confirm"] or options["dry_run"]):
            raise CommandError("--retire-old removes keys: add --confirm (or --dry-run to see what it would do)")
        try:
            if options["dry_run"]:
                self._dry_run(options)
                return
            self._rotate(options)
            if options["retire_old"]:
                self._retire(dry_run=False)
        except (KeyUnavailable, RotationError) as exc:
            raise CommandError(str(exc)) from exc

    def _dry_run(self, options: dict[str, Any]) -> None:
        plan = rotation_plan(new_key=options["new_key"])
        if options["resume"] or (plan.pending and not options["new_key"]):
            self.stdout.write(f"would resume: {plan.pending} data key(s) to re-wrap under {plan.active_kek_id}")
        else:
            self.stdout.write(f"would make a new KEK ({plan.provider}) and re-wrap {plan.live} data key(s)")
        if options["retire_old"]:
            self._retire(dry_run=True)

    def _rotate(self, options: dict[str, Any]) -> None:
        if late := _record_a_kek_made_without_its_event():
            self.stdout.write(
                f"recorded the creation of KEK {late}: an earlier rotation stopped before its audit event was written"
            )
        bar: tqdm[Any] | None = None

        def on_plan(plan: RotationPlan) -> None:
            nonlocal bar
            if plan.will_create_key:
                total = plan.live
            else:
                total = plan.pending
                if plan.pending:
                    self.stdout.write(f"resuming an unfinished rotation: {plan.pending} data key(s) left")
            bar = tqdm(total=total, unit="key", desc="re-wrapping", disable=options["verbosity"] < 1)

        def advance(count: int) -> None:
            if bar is not None:
                bar.update(count)

        try:
            result = kek_rotate(
                record=_record,
                new_key=options["new_key"],
                resume_only=options["resume"],
                batch_size=options["batch_size"],
                progress=advance,
                on_plan=on_plan,
            )
        finally:
            if bar is not None:
                bar.close()
        made = f"new KEK {result.active_kek_id}" if result.created_key else f"KEK {result.active_kek_id}"
        self.stdout.write(
            self.style.SUCCESS(
                f"{made}: {result.rewrapped} data key(s) re-wrapped in {result.batches} batch(es); "
                "no live data key is wrapped by an older KEK"
            )
        )

    def _retire(self, *, dry_run: bool) -> None:
        retired, kept = kek_retire_unused(record=_record, dry_run=dry_run)
        verb = "would retire" if dry_run else "retired"
        self.stdout.write(f"{verb} {len(retired)} old KEK(s){': ' + ', '.join(retired) if retired else ''}")
        for kek_id, reason in kept.items():
            self.stdout.write(f"kept {kek_id}: {reason}")
