"""Loss prevention: the fingerprint index, canaries, the erased watchlist, scans and findings.

Nothing here holds plaintext personal data. Fingerprints are keyed hashes
(``custos.crypto.dlp_key``) of normalised values; findings name files,
owners, counts, field kinds and pseudonymous references (``person:<uuid>``),
never a value that matched.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from custos.register.models import Person


class FieldKind(models.TextChoices):
    """What a fingerprint is of. Names and aliases share one hash family, so each is found as either."""

    NAME = "name", "Full name"
    ALIAS = "alias", "Alias"
    TOKEN = "token", "Word of a name or alias (pre-filter only)"
    STREET_TOKEN = "street_token", "Word of a street (pre-filter only)"
    DOB = "dob", "Date of birth"
    ADDRESS = "address", "Street address"
    POSTCODE = "postcode", "Postcode"


#: The field kinds a finding reports (tokens only say where to look).
MATCHED_KINDS = (FieldKind.NAME, FieldKind.ALIAS, FieldKind.DOB, FieldKind.ADDRESS, FieldKind.POSTCODE)


class Fingerprint(models.Model):
    """One keyed hash of one normalised value of a person of the register; goes with the person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=FieldKind.choices)
    digest = models.BinaryField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["digest"])]

    def __str__(self) -> str:
        return f"{self.kind} fingerprint of person:{self.person_id}"


class ErasedFingerprint(models.Model):
    """A fingerprint of an erased person, watched for informal lists (ADR 11); no link to any person row.

    Kept ``CUSTOS_DLP_ERASED_WATCH_DAYS`` after the erasure, then pruned by
    ``custos dlp_index``; ignored by scans once expired.
    """

    person_ref = models.CharField(max_length=60, help_text="The tombstone's pseudonymous reference.")
    erased_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=FieldKind.choices)
    digest = models.BinaryField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["erased_at"]), models.Index(fields=["person_ref"])]

    def __str__(self) -> str:
        return f"{self.kind} fingerprint of erased {self.person_ref}"


class IndexState(models.Model):
    """Which DLP key built the index, and when it was last rebuilt (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    key_id = models.CharField(max_length=40)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"DLP index built with {self.key_id}"


class Canary(models.Model):
    """A fictional person that exists only in one export: found anywhere, it names that export.

    Registered by the export service through ``services.canary_register``;
    only its fingerprints are kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    export_ref = models.CharField(max_length=80, help_text="The export it was planted in (e.g. export:<uuid>).")
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-exported_at"]
        verbose_name_plural = "canaries"

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"canary:{self.pk}"


class CanaryFingerprint(models.Model):
    canary = models.ForeignKey(Canary, on_delete=models.CASCADE, related_name="fingerprints")
    kind = models.CharField(max_length=12, choices=FieldKind.choices)
    digest = models.BinaryField(max_length=16)

    def __str__(self) -> str:
        return f"{self.kind} fingerprint of {self.canary_id}"


class ScanRun(models.Model):
    """One run of the scanner over some folders; resumable from its cursor."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        INTERRUPTED = "interrupted", "Interrupted"
        FAILED = "failed", "Failed"
        FINISHED = "finished", "Finished"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_by = models.CharField(max_length=150, help_text="Username, or system:<job> for a scheduled scan.")
    paths = models.JSONField(default=list, help_text="The folders and files given, absolute.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    key_id = models.CharField(max_length=40, blank=True)
    cursor = models.JSONField(
        null=True, blank=True, help_text="[root index, path parts] of the last file done, in walk order."
    )
    files_scanned = models.PositiveIntegerField(default=0)
    bytes_scanned = models.BigIntegerField(default=0)
    files_flagged = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0, help_text="Unreadable, encrypted or malformed.")
    findings_recorded = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0, help_text="Time spent scanning, over every resumption.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"scan:{self.pk}"


class Finding(models.Model):
    """A file the scanner reported: register data, a canary, an erased person, or a file it could not read."""

    class Kind(models.TextChoices):
        REGISTER_DATA = "register_data", "Register data"
        CANARY = "canary", "Canary of an export"
        ERASED_PERSON = "erased_person", "Erased person (informal list of someone who should no longer be held)"
        UNREADABLE = "unreadable", "Unreadable"
        ENCRYPTED = "encrypted", "Encrypted"
        MALFORMED = "malformed", "Malformed"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        COPY_ERASED = "copy_erased", "Copy erased"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scan = models.ForeignKey(ScanRun, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    path = models.TextField(help_text="The file; a member of an archive as archive.zip!/member.")
    owner = models.CharField(max_length=150, blank=True)
    size = models.BigIntegerField(default=0)
    modified_at = models.DateTimeField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0, help_text="People of the register (or canaries) found.")
    field_kinds = models.JSONField(default=dict, help_text="Field kind -> how many people it matched for.")
    refs = models.JSONField(default=list, help_text="Pseudonymous references of who was found.")
    detail = models.JSONField(default=dict, help_text="Canary exports, or why the file could not be read.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    erasure_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    erasure_confirmed_at = models.DateTimeField(null=True, blank=True)
    erasure_reasons = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reasons = models.TextField(blank=True)
    breach_ref = models.CharField(
        max_length=80, null=True, blank=True, help_text="The breach register's reference, once there is one."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"finding:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "F-" + self.pk.hex[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class Export(models.Model):
    """One controlled export of personal data: who, why, whom, in what form, until when (``custos.dlp.exports``).

    ``people_refs`` are pseudonymous references (``person:<uuid>``) of the
    people in the file; the canary planted in it is kept only as the
    scanner's fingerprints (``Canary`` with ``export_ref`` = this ``ref``).
    The file itself sits under ``$CUSTOS_DATA_DIR/exports/`` until it is
    downloaded (once), destroyed or expired.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel workbook (XLSX)"
        PDF = "pdf", "PDF"
        PACKAGE = "age", "Sharing package (encrypted to the recipient)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    bcu_code = models.CharField(max_length=40, blank=True, help_text="The exporter's BCU when they exported.")
    purpose = models.TextField()
    fmt = models.CharField(max_length=4, choices=Format.choices)
    fields = models.JSONField(default=list, help_text="The field codes exported, in column order.")
    filters = models.JSONField(default=dict, help_text="The matrix filters (codes only) the people came from.")
    people_count = models.PositiveIntegerField(default=0)
    people_refs = models.JSONField(default=list, help_text="Pseudonymous references of the people exported.")
    created_at = models.DateTimeField()
    expires_on = models.DateField(help_text="Destroy every copy by this date.")
    file_name = models.CharField(max_length=80, blank=True, help_text="Under $CUSTOS_DATA_DIR/exports/.")
    downloaded_at = models.DateTimeField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destroyed_reasons = models.TextField(blank=True)
    recipient = models.CharField(
        max_length=200, blank=True, help_text="For a sharing package: the organisation it was disclosed to."
    )
    link = models.CharField(max_length=200, blank=True, help_text="Where its follow-up happens, if not /exports/.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_by", "created_at"]),
            models.Index(fields=["bcu_code", "created_at"]),
            models.Index(fields=["destroyed_at", "expires_on"]),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"export:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "X-" + self.pk.hex[:8].upper()

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None

    @property
    def is_package(self) -> bool:
        return self.fmt == self.Format.PACKAGE
