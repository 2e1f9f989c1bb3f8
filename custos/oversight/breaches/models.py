"""The breach register (DPA 2018 s.67–68): incidents, the 72-hour clock, the data-subject decision, actions.

No personal data: descriptions are written without it (the form says so),
and people affected are a count with, at most, pseudonymous references.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

__all__ = ["Breach", "BreachAction"]

#: s.67(1): the controller notifies the Commissioner within 72 hours of becoming aware.
NOTIFICATION_WINDOW = dt.timedelta(hours=72)


class Breach(models.Model):
    """A personal data breach: what happened, who is affected, and every decision taken on it."""

    class Category(models.TextChoices):
        CONFIDENTIALITY = "confidentiality", "Confidentiality (disclosure or access without authority)"
        INTEGRITY = "integrity", "Integrity (alteration without authority)"
        AVAILABILITY = "availability", "Availability (loss of access or destruction)"

    class Risk(models.TextChoices):
        NONE = "none", "Unlikely to result in a risk to rights and freedoms"
        LOW = "low", "A risk to rights and freedoms"
        HIGH = "high", "A high risk to rights and freedoms"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Telling(models.TextChoices):
        UNDECIDED = "", "Not decided"
        TELL = "tell", "Tell the data subjects (s.68(1))"
        NOT_REQUIRED = "not_required", "Not required: not a high risk"
        MEASURES = "measures", "Not required: measures make the data unintelligible (s.68(3)(a))"
        SUBSEQUENT = "subsequent", "Not required: later measures mean the high risk is unlikely (s.68(3)(b))"
        EFFORT = "effort", "Public communication instead: telling each would be disproportionate (s.68(3)(c))"
        RESTRICTED = "restricted", "Withheld or delayed to avoid prejudice (s.68(7))"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, help_text="BR-YYYY-NNNN.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=20, choices=Category.choices)
    discovered_at = models.DateTimeField()
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    people_affected = models.PositiveIntegerField(default=0)
    people_refs = models.JSONField(default=list, help_text="Pseudonymous references (person:<uuid>), if known.")
    consequences = models.TextField(blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices)
    notified_ico_at = models.DateTimeField(null=True, blank=True)
    ico_reference = models.CharField(max_length=60, blank=True)
    late_reasons = models.TextField(blank=True, help_text="Why notification came after 72 hours (s.67(4)).")
    not_notifiable_reasons = models.TextField(
        blank=True, help_text="Why the breach is unlikely to result in a risk (s.67(1)), so is not notified."
    )
    telling = models.CharField(max_length=12, choices=Telling.choices, blank=True, default="")
    telling_reasons = models.TextField(blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["-discovered_at"]
        indexes = [models.Index(fields=["status", "discovered_at"], name="oversight_breach_status_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def ref(self) -> str:
        return f"breach:{self.pk}"

    @property
    def notification_due(self) -> dt.datetime:
        return self.discovered_at + NOTIFICATION_WINDOW

    @property
    def clock_stopped(self) -> bool:
        """Notified, or recorded as not notifiable: the 72-hour clock no longer runs."""
        return self.notified_ico_at is not None or bool(self.not_notifiable_reasons)


class BreachAction(models.Model):
    """One thing to be done about a breach: what, who, by when, and when it was done."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="actions")
    what = models.TextField()
    owner = models.CharField(max_length=150, help_text="Who does it (a role or a username).")
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"action {self.pk} on {self.breach_id}"
