"""Data-subject requests: access, rectification, erasure and restriction (DPA 2018 s.45-48, s.54).

A ``SubjectRequest`` is one request from one data subject, with its
statutory clock (``custos.rights.clock``): one calendar month from receipt,
extended by up to two further months by a notice with reasons given within
the first month, and stopped while the controller waits for clarification
it needs (``ClockPause``). Everything the requester told us (who they are,
how to reach them, how their identity was checked) is personal data and is
sealed with the data subject's own key, so it goes when the person is
erased.

For a subject access request, a reviewer marks parts of the response as
withheld under a named s.45(4) ground (``Withholding``); the response sent
is kept (``Response``) with the SHA-256 of its files and what was withheld.
A rectification (``Rectification``) records the old and new values and the
reasons, and one ``RecipientNotice`` per earlier disclosure of the person's
data (s.48(4)/s.38(5)).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from custos.crypto.fields import EncryptedJSONField, EncryptedTextField
from custos.crypto.models import DataKey
from custos.register.models import BCU, Person
from custos.retention.models import Restriction, Review


class Kind(models.TextChoices):
    ACCESS = "access", "Subject access (s.45)"
    RECTIFICATION = "rectification", "Rectification (s.46)"
    ERASURE = "erasure", "Erasure (s.47)"
    RESTRICTION = "restriction", "Restriction of processing (s.47)"


class SubjectRequest(models.Model):
    """One request by a data subject, with its statutory clock."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        AWAITING_CLARIFICATION = "awaiting_clarification", "Awaiting clarification (clock stopped)"
        EXTENDED = "extended", "Open, time limit extended"
        RESPONDED = "responded", "Responded"
        REFUSED = "refused", "Refused"
        CLOSED = "closed", "Closed without a response"

    OPEN_STATUSES = (Status.OPEN, Status.AWAITING_CLARIFICATION, Status.EXTENDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="subject_requests"
    )
    person_ref = models.CharField(max_length=60)
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    requester_name = EncryptedTextField()
    requester_contact = EncryptedTextField()
    identity_verification = EncryptedTextField(help_text="How the requester's identity was verified.")
    details = EncryptedTextField(null=True, help_text="What the requester asks for, in their words.")
    status = models.CharField(max_length=25, choices=Status.choices, default=Status.OPEN)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The extension (s.54): once, by notice with reasons, within the first month.
    extension_months = models.PositiveSmallIntegerField(default=0)
    extended_on = models.DateField(null=True, blank=True)
    extension_reasons = EncryptedTextField(null=True)
    # Erasure and restriction requests go through custos.retention.
    review = models.ForeignKey(Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    restriction = models.ForeignKey(Restriction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The outcome, in writing (s.48(1)).
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_reasons = EncryptedTextField(null=True)

    class Meta:
        ordering = ["received_on", "created_at"]
        indexes = [models.Index(fields=["status", "received_on"]), models.Index(fields=["person", "kind"])]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"request:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "SR-" + self.pk.hex[:8].upper()

    @property
    def person_short_ref(self) -> str:
        return "P-" + self.person_ref.removeprefix("person:").replace("-", "")[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ClockPause(models.Model):
    """A stop of the clock while the controller waits for clarification it needs (s.54)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="pauses")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = EncryptedTextField(help_text="What clarification was asked for.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["started_on"]

    def __str__(self) -> str:
        return f"pause of {self.request_id} from {self.started_on}"


class Ground(models.TextChoices):
    """The restrictions of s.45(4) (and s.44(4), s.48(3)) a part of a response may be withheld under."""

    INQUIRY = "inquiry", "Avoid obstructing an official or legal inquiry, investigation or procedure (s.45(4)(a))"
    OFFENCES = (
        "offences",
        "Avoid prejudicing the prevention, detection, investigation or prosecution of criminal offences "
        "or the execution of criminal penalties (s.45(4)(b))",
    )
    PUBLIC_SECURITY = "public_security", "Protect public security (s.45(4)(c))"
    NATIONAL_SECURITY = "national_security", "Protect national security (s.45(4)(d))"
    OTHERS_RIGHTS = "others_rights", "Protect the rights and freedoms of others (s.45(4)(e))"


class Withholding(models.Model):
    """A part of a subject access response withheld under a named s.45(4) ground, with reasons."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="withholdings")
    part = models.CharField(max_length=120, help_text="An item (intelligence:<id>) or a section (section:<name>).")
    ground = models.CharField(max_length=20, choices=Ground.choices)
    reason = EncryptedTextField(help_text="Why withholding is necessary and proportionate (internal).")
    tell_subject = models.BooleanField(
        default=True,
        help_text="List the part as withheld, with its ground (s.45(5)); off only where telling would "
        "itself undermine the ground (s.45(6)).",
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["request", "part"], name="one_withholding_per_part")]

    def __str__(self) -> str:
        return f"{self.part} withheld ({self.ground})"

    @property
    def ref(self) -> str:
        return f"withholding:{self.pk}"


class Response(models.Model):
    """The subject access response as sent: its files (sealed), their SHA-256, what was withheld."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField(SubjectRequest, on_delete=models.CASCADE, related_name="response")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    formats = models.JSONField(default=list)
    sha256 = models.JSONField(default=dict, help_text="Format → SHA-256 of the file as sent.")
    withheld_count = models.PositiveIntegerField(default=0)
    withheld_refs = models.JSONField(default=list)
    package_json = EncryptedTextField()
    package_pdf = EncryptedTextField(help_text="The PDF as sent, base64.")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"response:{self.pk}"

    @property
    def ref(self) -> str:
        return f"response:{self.pk}"


class RectifiedField(models.TextChoices):
    FULL_NAME = "full_name", "Full name"
    ALIASES = "aliases", "Aliases and nicknames"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    ADDRESSES = "addresses", "Addresses"
    INTELLIGENCE_SUMMARY = "intelligence_summary", "Intelligence item: supplementary statement (s.46(3))"


class Rectification(models.Model):
    """A correction made for a request: old and new values (sealed), reasons, who decided."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="rectifications")
    field_name = models.CharField(max_length=25, choices=RectifiedField.choices)
    item_ref = models.CharField(max_length=60, blank=True, help_text="intelligence:<id> for a supplement.")
    old_value = EncryptedJSONField(null=True)
    new_value = EncryptedJSONField(null=True)
    reasons = EncryptedTextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"rectification:{self.pk}"


class RecipientNotice(models.Model):
    """One earlier recipient of the person's data, to be told of a rectification (s.48(4), s.38(5)).

    One notice per recipient. Who they are and what they were sent come from
    the disclosures' audit events (``event_seqs``), which name recipients,
    never the data itself.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=200)
    event_seqs = models.JSONField(default=list, help_text="The disclosure events that reached this recipient.")
    disclosed_at = models.DateTimeField(help_text="The latest of those disclosures.")
    what_sent = models.CharField(max_length=300)
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    notice_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["disclosed_at", "recipient"]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"recipient_notice:{self.pk}"
