"""Reviews, the retention schedule, erasure tombstones and restrictions.

A review is a person's turn to be looked at again: opened by the retention
sweep (or by a data-subject request), decided by a named person with reasons
(keep with a next review date, remove, or restrict). Removal is erasure: the
person's data key is shredded and their rows deleted; a ``Tombstone`` with no
personal data stays for statistics and audit. The reasons on a review are
personal data and are sealed with the person's key, so they too become
unreadable at erasure.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from custos.crypto.fields import EncryptedTextField
from custos.crypto.models import DataKey
from custos.register.models import BCU, Nomination, Person


class RetentionSchedule(models.Model):
    """A version of the retention schedule. Loaded as data, never edited in place."""

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    definition = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"retention schedule v{self.version} ({self.name})"


class Trigger(models.TextChoices):
    """Why a review was opened."""

    REVIEW_DUE = "review_due", "Listing's review date reached"
    PROPOSAL_STALE = "proposal_stale", "Proposed nomination not decided in time"
    ZERO_SCORE = "zero_score", "Removal rule: score below threshold with evidence of exit"
    NO_ATTENTION = "no_attention", "Removal rule: no gang-related police attention"
    VICTIM_SCHEDULE = "victim_schedule", "Victim or witness records reached their review date"
    NOT_LISTED = "not_listed", "Person not on the matrix reached their review date"
    SUBJECT_REQUEST = "subject_request", "Data-subject request for erasure or restriction"
    MANUAL = "manual", "Opened by hand"


#: Triggers that come from a removal rule of the schedule.
REMOVAL_RULE_TRIGGERS = frozenset({Trigger.ZERO_SCORE, Trigger.NO_ATTENTION, Trigger.VICTIM_SCHEDULE})


class Decision(models.TextChoices):
    KEEP = "keep", "Keep, with reasons and a next review date"
    REMOVE = "remove", "Remove (erase after the grace period)"
    RESTRICT = "restrict", "Restrict processing instead of erasure (s.47)"


class Review(models.Model):
    """One review of one person. At most one open review per person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        REMOVAL_SCHEDULED = "removal_scheduled", "Erasure scheduled"
        ERASED = "erased", "Erased"
        RESTRICTED = "restricted", "Restricted"
        CANCELLED = "cancelled", "Erasure cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews")
    person_ref = models.CharField(max_length=60)
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="reviews")
    nomination = models.ForeignKey(Nomination, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    band = models.CharField(max_length=10, blank=True, help_text="The band when the review opened, if listed.")
    schedule_version = models.PositiveIntegerField(null=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    reasons = EncryptedTextField(null=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_review_on = models.DateField(null=True, blank=True)
    erasure_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="open"), name="one_open_review_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["bcu", "status", "due_on"]),
            models.Index(fields=["status", "erasure_due_at"]),
            models.Index(fields=["person", "status"]),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"review:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "R-" + self.pk.hex[:8].upper()


class Tombstone(models.Model):
    """What is left of an erased person: no personal data, only what statistics and audit need."""

    class Reason(models.TextChoices):
        REVIEW = "review", "Removed on review"
        SUBJECT_REQUEST = "subject_request", "Erased at the data subject's request (s.47)"
        LEDGER = "ledger", "Erasure re-applied after a restore"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person_ref = models.CharField(max_length=60, unique=True)
    data_key_id = models.UUIDField()
    bcu_code = models.CharField(max_length=60)
    recorded_on = models.DateField(help_text="When the person was first recorded.")
    erased_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    trigger = models.CharField(max_length=20, blank=True)
    was_listed = models.BooleanField(default=False)
    band = models.CharField(max_length=10, blank=True)
    categories = models.JSONField(default=list, help_text="Categories of data subject the records held.")
    review = models.ForeignKey(Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    erased_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-erased_at"]
        indexes = [models.Index(fields=["bcu_code", "erased_at"])]

    def __str__(self) -> str:
        return f"tombstone of {self.person_ref}"


class RemovalTally(models.Model):
    """Counts of removals by month and characteristics, with no one identifiable.

    For equality monitoring of the removal decision point after the people
    themselves are gone: no id, no date finer than a month.
    """

    month = models.CharField(max_length=7)
    bcu_code = models.CharField(max_length=60)
    band = models.CharField(max_length=10, blank=True)
    age_band = models.CharField(max_length=10, blank=True)
    observed_ethnicity = models.CharField(max_length=10, blank=True)
    self_defined_ethnicity = models.CharField(max_length=10, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "month",
                    "bcu_code",
                    "band",
                    "age_band",
                    "observed_ethnicity",
                    "self_defined_ethnicity",
                    "gender",
                ],
                name="removal_tally_cell",
            )
        ]
        verbose_name_plural = "removal tallies"

    def __str__(self) -> str:
        return f"{self.count} removals {self.month} {self.bcu_code}"


class Restriction(models.Model):
    """A restriction of processing (s.47): who may still see the person, and why."""

    class Ground(models.TextChoices):
        ACCURACY_CONTESTED = "accuracy_contested", "Accuracy contested and cannot be resolved"
        EVIDENCE = "evidence", "Must be kept as evidence"
        SUBJECT_REQUEST = "subject_request", "Data subject asked for restriction"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="restrictions")
    ground = models.CharField(max_length=20, choices=Ground.choices)
    reasons = EncryptedTextField()
    roles = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reasons = EncryptedTextField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"restriction:{self.pk}"

    @property
    def ref(self) -> str:
        return f"restriction:{self.pk}"
