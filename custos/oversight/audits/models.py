"""BCU audits: one row per audit of one BCU, its figures as numbers only (no personal data)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["BcuAudit"]


class BcuAudit(models.Model):
    """One audit of one BCU as of a day: each metric a count, and the audit before it for the trend.

    ``metrics`` maps a metric key (``custos.oversight.audits.metrics.METRICS``)
    to a whole number. Nothing here names a person.
    """

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled (monthly)"
        ON_DEMAND = "on_demand", "On demand"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bcu_code = models.CharField(max_length=60)
    as_of = models.DateField(help_text="The day the figures describe.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    run_by_name = models.CharField(max_length=150, help_text="Username, or system:<job> for a scheduled run.")
    created_at = models.DateTimeField(default=timezone.now)
    metrics = models.JSONField(default=dict, help_text="Metric key -> count.")
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["bcu_code", "created_at"], name="oversight_audit_bcu_idx")]
        verbose_name = "BCU audit"

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"bcu_audit:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "A-" + self.pk.hex[:8].upper()
