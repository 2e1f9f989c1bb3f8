"""Information sharing: agreements, disclosures and the legacy share log (Annex 1 terms 5, 6, 7 and 13).

An ``Agreement`` is an information sharing agreement (ISA) with one
recipient: who the parties are, whether the recipient exercises statutory
functions, the legal basis and purpose, exactly which fields and which
categories and RAG bands of people may be shared, what the recipient may do
with them (onward sharing, retention, security), the recipient's age public
key and the review date. It is drafted, then approved by the Information
Rights Unit (and only by it), and ends when revoked or when its review date
passes (``in_force``); nothing can be disclosed under it after that.

A ``Disclosure`` is one request to share named people under one agreement
for one purpose, with the reason each person's data is necessary
(``DisclosureSubject.necessity``, sealed with that person's key so it goes
when they are erased). It records the result of the policy checks, the
human decision (requester and approver are different people) and, once
disclosed, the encrypted package: its dlp ``Export`` (the one export
service: watermark, canary, expiry), SHA-256, size and the keyed digest of
the destruction code the recipient uses to confirm they have destroyed it.
The counts by band and category are kept on the disclosure itself, without
personal data, so the sharing review still covers people since erased.

A ``LegacyShare`` is one line of a share log kept before Custos
(``custos import_sharing_log``): counts and references only.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

from custos.crypto.fields import EncryptedTextField
from custos.crypto.models import DataKey
from custos.register.models import Person


class RecipientKind(models.TextChoices):
    STATUTORY = "statutory", "Exercises statutory functions"
    NON_STATUTORY = "non_statutory", "No statutory function"


class Agreement(models.Model):
    """An information sharing agreement with one recipient."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=20, unique=True, help_text="Human reference, e.g. ISA-0007.")
    title = models.CharField(max_length=200)
    recipient_name = models.CharField(max_length=200, help_text="The organisation that receives the data.")
    recipient_kind = models.CharField(max_length=15, choices=RecipientKind.choices)
    parties = models.JSONField(default=list, help_text="Every party to the agreement, by organisation name.")
    legal_basis = models.TextField()
    purpose = models.TextField()
    fields = models.JSONField(default=list, help_text="Field codes the recipient may receive (sharing.rules.FIELDS).")
    categories = models.JSONField(default=list, help_text="Categories of people that may be shared.")
    bands = models.JSONField(default=list, help_text="RAG bands that may be shared ('none' = not on the matrix).")
    onward_sharing = models.TextField(help_text="What the recipient may pass on, to whom, and how.")
    retention_days = models.PositiveIntegerField(help_text="How long the recipient may keep a package (days).")
    retention_rules = models.TextField(blank=True, help_text="Anything else on retention and destruction.")
    security = models.TextField(help_text="Security the recipient must apply.")
    recipient_key = models.CharField(max_length=100, help_text="The recipient's age public key (age1…).")
    review_date = models.DateField(help_text="The agreement ends on this date unless renewed.")
    signatories = models.JSONField(default=list, help_text="[{name, role, organisation}] for each signatory.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_notes = models.TextField(blank=True)
    exceptions = models.JSONField(
        default=dict, help_text="{rule code: reasons} — departures from the guidance the IRU approved."
    )
    guidance_version = models.PositiveIntegerField(default=1, help_text="Version of the sharing guidance applied.")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reasons = models.TextField(blank=True)
    supersedes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "review_date"])]

    def __str__(self) -> str:
        return self.code

    @property
    def ref(self) -> str:
        return f"isa:{self.pk}"

    @property
    def is_statutory(self) -> bool:
        return self.recipient_kind == RecipientKind.STATUTORY

    def in_force(self, today: dt.date) -> bool:
        """Approved, not revoked, and its review date not passed: disclosures may be made under it."""
        return self.status == self.Status.APPROVED and today <= self.review_date

    def effective_status(self, today: dt.date) -> str:
        """The status as it stands today: an approved agreement past its review date is expired at once."""
        if self.status == self.Status.APPROVED and today > self.review_date:
            return self.Status.EXPIRED
        return str(self.status)


class Disclosure(models.Model):
    """A request to share named people under one agreement, its decision and its package."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DISCLOSED = "disclosed", "Disclosed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="disclosures")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    bcu_code = models.CharField(max_length=40, blank=True, help_text="The requester's BCU when they asked.")
    purpose = models.TextField(help_text="The declared purpose: a reference and a reason.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    checks = models.JSONField(default=list, help_text="The policy checks run, each {rule, passed, message}.")
    fields = models.JSONField(default=list, help_text="The fields shared (the agreement's, at the time).")
    people_count = models.PositiveIntegerField(default=0)
    people_refs = models.JSONField(default=list, help_text="Pseudonymous references of the people.")
    target_bcus = models.JSONField(default=list, help_text="BCU codes of the people.")
    band_counts = models.JSONField(default=dict, help_text="{band: count}, at the time of the request.")
    category_counts = models.JSONField(default=dict, help_text="{category: count}, at the time of the request.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.TextField(blank=True)
    export_ref = models.CharField(max_length=80, blank=True, help_text="The dlp export that registered the package.")
    package_file = models.CharField(max_length=80, blank=True, help_text="Under $CUSTOS_DATA_DIR/packages/.")
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_bytes = models.PositiveIntegerField(default=0)
    redactions = models.PositiveIntegerField(default=0, help_text="Third-party names redacted from free text.")
    canary = models.BooleanField(default=False, help_text="Whether the package carries a canary.")
    expires_on = models.DateField(null=True, blank=True, help_text="The recipient destroys the package by then.")
    destruction_digest = models.CharField(max_length=64, blank=True, help_text="Keyed digest of the code.")
    downloaded_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destroyed_by_name = models.CharField(max_length=200, blank=True, help_text="Who at the recipient confirmed.")
    destruction_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["bcu_code", "requested_at"]),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"disclosure:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "D-" + self.pk.hex[:8].upper()

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None


class DisclosureSubject(models.Model):
    """One person in a disclosure, with why sharing their data is necessary (sealed with their key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    necessity = EncryptedTextField()
    band = models.CharField(max_length=5, blank=True)
    categories = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["disclosure", "person"], name="sharing_subject_once")]

    def __str__(self) -> str:
        return f"{self.disclosure_id}:{self.person_id}"


class LegacyShare(models.Model):
    """One share recorded in a log kept before Custos: no personal data, counts and references only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.UUIDField(help_text="One import of one file.")
    source_name = models.CharField(max_length=200, help_text="The file's name (no path).")
    source_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file: one file is imported once.")
    line = models.PositiveIntegerField()
    shared_on = models.DateField()
    recipient_name = models.CharField(max_length=200)
    recipient_kind = models.CharField(max_length=15, blank=True, help_text="Blank when the log does not say.")
    legal_basis = models.TextField(blank=True)
    purpose = models.TextField(blank=True)
    isa_code = models.CharField(max_length=40, blank=True, help_text="As written in the log.")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    people_count = models.PositiveIntegerField(default=0)
    people_refs = models.JSONField(default=list, help_text="Custos references of people the log names, if any.")
    band_counts = models.JSONField(default=dict)
    category_counts = models.JSONField(default=dict)
    fields = models.JSONField(default=list)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["shared_on", "line"]
        indexes = [models.Index(fields=["shared_on"])]
        constraints = [models.UniqueConstraint(fields=["source_sha256", "line"], name="legacy_line_once")]

    def __str__(self) -> str:
        return f"legacy:{self.pk}"

    @property
    def ref(self) -> str:
        return f"legacy_share:{self.pk}"
