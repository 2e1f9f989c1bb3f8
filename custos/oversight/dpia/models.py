"""The data protection impact assessment (DPA 2018 s.64): its versions and the DPO's risk register.

- ``DpiaVersion`` — one generated draft, numbered 1, 2, 3 ...; its ``content`` is
  computed from the running system (``custos.oversight.dpia.inventory``). A draft is
  signed off by the DPO with comments; a signed-off version never changes (the
  service refuses, and ``save`` refuses too). It embeds the risk register as it
  stood at sign-off.
- ``Risk`` — a risk the DPO keeps: likelihood and impact 1–5, score = their product.
- ``RiskRevision`` — every saved state of a risk, append-only (who, when, what).

None of these hold personal data: the content is aggregates and field names.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

__all__ = ["DpiaVersion", "Risk", "RiskRevision", "RiskStatus"]


class DpiaVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED_OFF = "signed_off", "Signed off"

    number = models.PositiveIntegerField(unique=True)
    content = models.JSONField(help_text="The generated assessment (aggregates and field names only).")
    content_sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    risks = models.JSONField(default=list, help_text="The risk register as it stood at sign-off.")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sign_off_comments = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"DPIA v{self.number} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.SIGNED_OFF:
                raise ValueError(f"DPIA version {self.number} is signed off and never changes")
        super().save(*args, **kwargs)

    @property
    def is_signed_off(self) -> bool:
        return self.status == self.Status.SIGNED_OFF


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


_ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(models.Model):
    code = models.SlugField(max_length=60, unique=True, help_text="Stable reference, e.g. victims-mixed.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    likelihood = models.PositiveSmallIntegerField(validators=_ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(validators=_ONE_TO_FIVE)
    mitigations = models.TextField(blank=True)
    owner = models.CharField(max_length=120, help_text="A role or team, not a person's name.")
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"risk {self.code}"

    @property
    def score(self) -> int:
        return int(self.likelihood) * int(self.impact)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "description": self.description,
            "likelihood": self.likelihood,
            "impact": self.impact,
            "score": self.score,
            "mitigations": self.mitigations,
            "owner": self.owner,
            "status": self.status,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
        }


class RiskRevision(models.Model):
    """One saved state of a risk. Never updated or deleted (append-only)."""

    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    state = models.JSONField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["risk", "number"]
        constraints = [models.UniqueConstraint(fields=["risk", "number"], name="oversight_riskrevision_once")]

    def __str__(self) -> str:
        return f"{self.risk_id} r{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("risk revisions are append-only")
        super().save(*args, **kwargs)
