"""Users, their roles and BCU scope, and their API tokens."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin
from django_otp.oath import TOTP

from custos.crypto.fields import EncryptedTextField


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


class Suspension(models.TextChoices):
    """Why an account was suspended."""

    DORMANT = "dormant", "Not used within the dormancy period"
    NOT_RECERTIFIED = "not_recertified", "Access not re-attested in time"
    NOT_NEEDED = "not_needed", "Access no longer needed (recertification)"
    LEAVER = "leaver", "Left (HR leavers list)"
    BY_ADMINISTRATOR = "by_administrator", "Suspended by a system administrator"


class User(AbstractUser):
    """A member of staff. ``bcu_code`` is the BCU a scoped role works in."""

    role = models.CharField(max_length=40, choices=Role.choices)
    bcu_code = models.CharField(
        max_length=60,
        blank=True,
        help_text="The BCU this user works in (required for officers, analysts and SPOCs).",
    )

    # Access governance (Annex 1 term 11). A suspended account has
    # ``is_active`` False, which is what stops sign-in, sessions and API
    # tokens everywhere; these fields say when and why, and start the
    # periods that recertification and dormancy are measured from.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=40, blank=True, choices=Suspension.choices)
    access_confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When access was last confirmed: attested by a SPOC, reinstated or moved BCU "
        "(else the account's creation). Recertification is due a period after it.",
    )
    reinstated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_bcu_scoped(self) -> bool:
        return self.role in BCU_SCOPED_ROLES

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


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


# Access governance: training and recertification


class Course(models.TextChoices):
    """The two courses everyone who processes matrix data must hold (Annex 1 terms 8 and 9)."""

    MATRIX_PURPOSE = "matrix_purpose", "Purpose-specific Matrix training"
    DATA_PROTECTION = "data_protection", "Mandatory data protection training"


class TrainingRecord(models.Model):
    """A course completed by a user, valid from ``completed_on`` until the day before ``expires_on``.

    Records are kept as history: the latest expiry per course is the one that counts.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_records")
    course = models.CharField(max_length=40, choices=Course.choices)
    completed_on = models.DateField()
    expires_on = models.DateField()
    evidence_reference = models.CharField(
        max_length=100, help_text="Where the evidence is, e.g. the learning system's certificate number."
    )
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty: a system actor."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "course", "-expires_on"]
        indexes = [models.Index(fields=["user", "course", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course} until {self.expires_on}"


def quarter_of(day: dt.date) -> str:
    """The calendar quarter a day falls in, e.g. ``2026-Q4``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class Attestation(models.Model):
    """A SPOC's (or central governance's) statement, once a quarter, that a user still needs access."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Still needs access"
        REMOVE = "remove", "No longer needs access"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="attestations")
    bcu_code = models.CharField(
        max_length=60, blank=True, help_text="The user's BCU when attested; empty: London-wide."
    )
    quarter = models.CharField(max_length=7)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    attested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty: a system actor."
    )
    attested_at = models.DateTimeField()

    class Meta:
        ordering = ["-attested_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "quarter", "bcu_code"], name="one_attestation_per_quarter_and_bcu")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.quarter} {self.decision}"


# MFA


class TotpDevice(ThrottlingMixin, Device):
    """A time-based one-time password authenticator (RFC 6238) for one user.

    django-otp's own ``TOTPDevice`` keeps its key in plaintext hex; this one
    seals the secret under a data key of its own (``data_key``), so a copy of
    the database without the key-encryption key yields no second factor.
    ``secret`` is the raw key in hex, set after the first save because the
    ciphertext is bound to the row's primary key.
    """

    data_key = models.ForeignKey("crypto.DataKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    secret = EncryptedTextField(null=True, blank=True, help_text="The shared secret (hex), encrypted.")
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    last_t = models.BigIntegerField(default=-1, help_text="Time step of the last accepted code (no replays).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    @property
    def bin_key(self) -> bytes:
        if not self.secret:
            raise ValueError("this device has no secret yet")
        return bytes.fromhex(str(self.secret))

    def verify_token(self, token: Any) -> bool:
        """Check ``token``; throttles after failures and refuses replays."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(str(token).strip())
        except ValueError:
            code = -1
        # No drift syncing: the accepted window stays now ± ``tolerance`` steps.
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits)
        totp.time = time.time()
        verified = code >= 0 and bool(totp.verify(code, self.tolerance, self.last_t + 1))
        if verified:
            self.last_t = totp.t()  # the step that matched
            self.last_used_at = timezone.now()
            self.throttle_reset(commit=False)
            self.save(update_fields=["last_t", "last_used_at", *_THROTTLE_FIELDS])
        else:
            self.throttle_increment(commit=False)
            self.save(update_fields=list(_THROTTLE_FIELDS))
        return verified


_THROTTLE_FIELDS = ("throttling_failure_timestamp", "throttling_failure_count")


class Notification(models.Model):
    """A task or notice for one user: never personal data, only counts and links.

    The retention sweep tells a BCU's SPOC about new reviews; escalations go
    to central governance. Shown on the user's task list until marked done.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "done_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
