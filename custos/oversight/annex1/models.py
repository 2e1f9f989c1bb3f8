"""Annex 1 monthly progress reports (notice ¶70): the statuses and figures as generated, and their hash."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["Annex1Report"]


class Annex1Report(models.Model):
    """One monthly progress report against the 16 terms of Annex 1, kept as generated.

    ``content`` holds, per term, the status, the reason, the figures (counts
    and settings only, never personal data) and what is outstanding;
    ``content_sha256`` is the SHA-256 of its canonical JSON, so a copy sent
    to the Commissioner can be matched with the one kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.CharField(max_length=7, help_text="YYYY-MM")
    as_of = models.DateField(help_text="The day the figures describe: the month's last day, or the day generated.")
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_by_name = models.CharField(max_length=150, help_text="Username, or system:<job>.")
    content = models.JSONField(help_text="Per term: status, reason, figures, outstanding (no personal data).")
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-month", "-generated_at"]
        indexes = [models.Index(fields=["month", "generated_at"], name="oversight_annex1_month_idx")]
        verbose_name = "Annex 1 report"

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"annex1_report:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "R-" + self.pk.hex[:8].upper()
