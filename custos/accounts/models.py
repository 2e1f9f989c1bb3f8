"""Users, their roles and BCU scope, and their API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    ANALYST = "analyst", "Analyst"
    BCU_SPOC = "bcu_spoc", "BCU single point of contact"
    CENTRAL_GOVERNANCE = "central_governance", "Central governance"
    IRU = "iru", "Information Rights Unit"
    AUDITOR = "auditor", "Auditor"
    DPO = "dpo", "Data protection officer"
    SYSADMIN = "sysadmin", "System administrator"


#: Roles whose reach is one BCU; the others are London-wide.
BCU_SCOPED_ROLES = frozenset({Role.OFFICER, Role.ANALYST, Role.BCU_SPOC})


class User(AbstractUser):
    """A member of staff. ``bcu_code`` is the BCU a scoped role works in."""

    role = models.CharField(max_length=40, choices=Role.choices)
    bcu_code = models.CharField(
        max_length=60,
        blank=True,
        help_text="The BCU this user works in (required for officers, analysts and SPOCs).",
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_bcu_scoped(self) -> bool:
        return self.role in BCU_SCOPED_ROLES


class ApiToken(models.Model):
    """An API token, stored only as a keyed digest; shown to its owner once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise the token.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
