"""custos init: prepare a data directory and database. Safe to run again."""

from __future__ import annotations

import csv
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils.text import slugify

from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.dlp_key import create_dlp_key_file
from custos.crypto.keys import create_key_file, reset_provider_cache
from custos.crypto.signing import ensure_signing_key
from custos.crypto.tokens import random_secret
from custos.register.actions import action_policy_ensure_default
from custos.register.models import BCU, ActionKind, ActionPolicy, Borough, Rubric
from custos.register.services import rubric_load
from custos.retention.models import RetentionSchedule
from custos.retention.services import schedule_ensure_default

SYSTEM = Actor.system("init")


def reference_bcus() -> list[tuple[str, str]]:
    """(BCU, borough) pairs shipped in ``register/data/met-bcus.csv``."""
    text = resources.files("custos.register").joinpath("data/met-bcus.csv").read_text(encoding="utf-8")
    return [(row["bcu"], row["borough"]) for row in csv.DictReader(text.splitlines())]


def default_rubric() -> dict[str, Any]:
    text = resources.files("custos.register").joinpath("data/rubric-default-v1.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Command(BaseCommand):
    help = (
        "Create the data directory, the secret key, the local key file and the DLP fingerprint key (mode 0600), "
        "the database (SQLite in WAL mode by default), run migrations, and load the "
        "reference data (12 BCUs, 32 boroughs, action kinds), the default harm-score rubric, "
        "the default retention schedule and the default action policy. "
        "Idempotent: existing keys and data are kept."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for sub in ("exports", "uploads", "static"):
            (data_dir / sub).mkdir(exist_ok=True, mode=0o700)
        self._secret_key(Path(settings.SECRET_KEY_PATH))
        if create_key_file(Path(settings.KEY_FILE_PATH)):
            self.stdout.write(
                f"created key file {settings.KEY_FILE_PATH} (mode 0600); back it up apart from the database"
            )
        else:
            self.stdout.write("key file present")
        if create_dlp_key_file(Path(settings.DLP_KEY_PATH)):
            self.stdout.write(
                f"created DLP fingerprint key {settings.DLP_KEY_PATH} (mode 0600); not the KEK: a scanning host "
                "may hold it"
            )
        if ensure_signing_key():
            self.stdout.write(
                "created audit signing key (mode 0600) beside the key file; back it up apart from the database"
            )
        reset_provider_cache()
        call_command("migrate", interactive=False, verbosity=0)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                mode = cursor.fetchone()[0]
            self.stdout.write(f"database ready (SQLite, journal mode {mode})")
        else:
            self.stdout.write(f"database ready ({connection.vendor})")
        created = self._reference_data()
        self.stdout.write(
            f"reference data: {BCU.objects.count()} BCUs, {Borough.objects.count()} boroughs ({created} new)"
        )
        if not Rubric.objects.exists():
            rubric = rubric_load(actor=SYSTEM, definition=default_rubric())
            self.stdout.write(f"loaded harm-score rubric v{rubric.version}")
        if not RetentionSchedule.objects.exists():
            schedule = schedule_ensure_default(actor=SYSTEM)
            self.stdout.write(f"loaded retention schedule v{schedule.version}")
        if not ActionPolicy.objects.exists() or not ActionKind.objects.exists():
            policy = action_policy_ensure_default(actor=SYSTEM)
            self.stdout.write(f"loaded {ActionKind.objects.count()} action kinds and action policy v{policy.version}")
        self.stdout.write(self.style.SUCCESS("custos is initialised"))

    def _secret_key(self, path: Path) -> None:
        if os.environ.get("CUSTOS_SECRET_KEY") or os.environ.get("CUSTOS_SECRET_KEY_FILE") or path.exists():
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(random_secret() + "\n")
        self.stdout.write(f"created secret key file {path} (mode 0600)")

    @transaction.atomic
    def _reference_data(self) -> int:
        created = 0
        for bcu_name, borough_name in reference_bcus():
            bcu, new_bcu = BCU.objects.get_or_create(code=slugify(bcu_name), defaults={"name": bcu_name})
            _, new_borough = Borough.objects.get_or_create(name=borough_name, defaults={"bcu": bcu})
            created += int(new_bcu) + int(new_borough)
        if created:
            event_record(
                actor=SYSTEM, verb=Verb.SYSTEM_INITIALISED, object_type="system", detail={"reference_rows": created}
            )
        return created
