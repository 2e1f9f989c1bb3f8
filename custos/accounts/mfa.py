"""The second factor: TOTP enrolment and verification (services and the reads they need).

Every role needs a second factor before Custos shows anything but the
sign-in and enrolment pages (ADR 9). A user adds an authenticator app once
(``totp_enrolment_begin`` then ``totp_enrolment_confirm``) and gives a code
after each password sign-in (``totp_verify``). The shared secret is sealed
under a data key of the device's own, so a database copy without the
key-encryption key gives nobody a second factor; removing a device shreds it.

Writes are services as elsewhere: one transaction, audited (``mfa.enrolled``,
``mfa.verified``, ``mfa.failed``, ``mfa.reset``). A wrong code is recorded
and counts towards django-otp's throttle (exponential back-off per device);
the web layer also counts it towards the sign-in lockout.
"""

from __future__ import annotations

import datetime as dt
from base64 import b32decode, b32encode
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from custos.accounts.models import TotpDevice, User
from custos.accounts.policies import may_manage_users
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.envelope import data_key_create, shred
from custos.crypto.tokens import random_bytes

#: Session key set when a trusted identity provider vouched for a second factor (ADR 9).
IDP_MFA_SESSION_KEY = "custos_idp_mfa"
#: Attribute the web layer sets on ``request.user`` when that session key applies.
IDP_MFA_ATTRIBUTE = "mfa_by_identity_provider"
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code: accepted, wrong, or not checked at all because of the back-off.

    ``throttled`` means the code was not looked at (too soon after wrong
    ones); ``retry_after`` is when the next code will be checked, after any
    refusal; ``failures`` counts wrong codes since the last right one.
    """

    accepted: bool
    device: TotpDevice | None = None
    throttled: bool = False
    retry_after: dt.datetime | None = None
    failures: int = 0


# Reads ---------------------------------------------------------------------------------------------------------------


def totp_device_confirmed(user: User) -> TotpDevice | None:
    """The user's authenticator, if they have finished adding one."""
    return TotpDevice.objects.filter(user=user, confirmed=True).order_by("-created_at").first()


def session_mfa_verified(user: Any) -> bool:
    """Whether ``user``, as loaded for this request, passed a second factor in this session.

    True when django-otp's middleware found the device verified in this
    session (``otp_device``), or when the web layer marked the user as
    vouched for by a trusted identity provider (``IDP_MFA_ATTRIBUTE``).
    A user loaded outside a request has neither, so is never verified.
    """
    if getattr(user, "otp_device", None) is not None:
        return True
    return bool(getattr(user, IDP_MFA_ATTRIBUTE, False))


def totp_secret_base32(device: TotpDevice) -> str:
    """The secret as an authenticator app takes it when typed in (base32, no padding)."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_uri(device: TotpDevice) -> str:
    """The ``otpauth://`` URI an authenticator app reads from a QR code."""
    issuer = str(getattr(settings, "CUSTOS_MFA_ISSUER", "Custos")).replace(":", "")
    label = quote(f"{issuer}:{device.user.get_username()}")
    params = {
        "secret": totp_secret_base32(device),
        "issuer": issuer,
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
    }
    return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


def parse_base32_secret(value: str) -> bytes:
    """The bytes of a base32 secret as typed (spaces and case ignored); at least 128 bits."""
    cleaned = "".join(value.split()).upper().rstrip("=")
    try:
        key = b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise ValidationError("the secret is not valid base32") from exc
    if len(key) < 16:
        raise ValidationError("the secret must be at least 128 bits (26 base32 characters)")
    return key


# Writes --------------------------------------------------------------------------------------------------------------


def _device_new(*, user: User, key: bytes, confirmed: bool) -> TotpDevice:
    device = TotpDevice.objects.create(
        user=user, name="Authenticator app", confirmed=confirmed, data_key=data_key_create()
    )
    # The ciphertext is bound to the row's primary key, so it is sealed once the row exists.
    device.secret = key.hex()
    device.save(update_fields=["secret"])
    return device


def _devices_remove(devices: list[TotpDevice]) -> None:
    for device in devices:
        data_key_id = device.data_key_id
        device.delete()
        if data_key_id is not None:
            shred(data_key_id)


@transaction.atomic
def totp_enrolment_begin(*, user: User) -> TotpDevice:
    """A new, unconfirmed authenticator for ``user`` to add to their app.

    Reuses one already begun (so reloading the page keeps the same QR code).
    Refused once the user has a confirmed authenticator: replacing it needs
    an operator's ``custos mfa_reset`` (someone who knows only the password
    must not be able to add their own authenticator). Nothing is audited until
    the user confirms it with a code.
    """
    if totp_device_confirmed(user) is not None:
        raise PermissionDenied("you already have an authenticator app; ask for a reset to replace it")
    begun = TotpDevice.objects.filter(user=user, confirmed=False).order_by("-created_at").first()
    if begun is not None:
        return begun
    return _device_new(user=user, key=random_bytes(SECRET_BYTES), confirmed=False)


def _retry_after(device: TotpDevice) -> dt.datetime | None:
    allowed, info = device.verify_is_allowed()
    return None if allowed or not info else info.get("locked_until")


def _check(device: TotpDevice, code: str) -> CodeCheck:
    if _retry_after(device) is not None:
        return CodeCheck(
            accepted=False,
            device=device,
            throttled=True,
            retry_after=_retry_after(device),
            failures=device.throttling_failure_count,
        )
    if device.verify_token(code):
        return CodeCheck(accepted=True, device=device)
    return CodeCheck(
        accepted=False, device=device, retry_after=_retry_after(device), failures=device.throttling_failure_count
    )


def _record(user: User, device: TotpDevice, verb: Verb, **detail: Any) -> None:
    event_record(
        actor=user,
        verb=verb,
        object_type="mfa_device",
        object_ref=f"mfa_device:{device.pk}",
        targets=[f"user:{user.pk}"],
        detail=detail,
    )


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device_id: int, code: str) -> CodeCheck:
    """Confirm the authenticator ``user`` began adding with a first code from their app.

    On success the device is confirmed, any other unconfirmed ones are removed
    (their keys shredded) and ``mfa.enrolled`` is recorded; a wrong code is
    recorded as ``mfa.failed`` and throttled. The caller then treats the
    session as verified.
    """
    device = TotpDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise PermissionDenied("there is no authenticator being added")
    if totp_device_confirmed(user) is not None:
        raise PermissionDenied("you already have an authenticator app")
    result = _check(device, code)
    if not result.accepted:
        _record(user, device, Verb.MFA_FAILED, stage="enrolment", throttled=result.throttled)
        return result
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _devices_remove(list(TotpDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk)))
    _record(user, device, Verb.MFA_ENROLLED)
    return result


@transaction.atomic
def totp_verify(*, user: User, code: str) -> CodeCheck:
    """Check a code from ``user``'s authenticator after their password.

    Audited either way (``mfa.verified`` or ``mfa.failed``); wrong codes
    throttle the device (1, 2, 4, 8 … seconds, times ``OTP_TOTP_THROTTLE_FACTOR``)
    and a code is never accepted twice.
    """
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-created_at").first()
    if device is None:
        raise PermissionDenied("you have no authenticator app yet")
    result = _check(device, code)
    if result.accepted:
        _record(user, device, Verb.MFA_VERIFIED)
    else:
        _record(user, device, Verb.MFA_FAILED, stage="sign_in", throttled=result.throttled)
    return result


@transaction.atomic
def totp_device_enrol(*, actor: User | Actor, user: User, secret: bytes | None = None) -> TotpDevice:
    """Give ``user`` a confirmed authenticator at once, replacing any they had.

    For operators and demonstrations only (``custos demo_users``): the secret
    is then handed to the user out of band. Audited as ``mfa.enrolled``.
    """
    if isinstance(actor, User) and not may_manage_users(actor):
        raise PermissionDenied("only a system administrator may set up someone's second factor")
    _devices_remove(list(TotpDevice.objects.filter(user=user)))
    device = _device_new(user=user, key=secret or random_bytes(SECRET_BYTES), confirmed=True)
    event_record(
        actor=actor,
        verb=Verb.MFA_ENROLLED,
        object_type="mfa_device",
        object_ref=f"mfa_device:{device.pk}",
        targets=[f"user:{user.pk}"],
        detail={"by_operator": True},
    )
    return device


@transaction.atomic
def totp_device_reset(*, actor: User | Actor, user: User) -> int:
    """Remove ``user``'s authenticators (lost phone): they add a new one at their next sign-in.

    Each device's data key is shredded. Returns how many were removed. Only
    a system administrator or an operator at the command line may do this.
    Audited as ``mfa.reset``.
    """
    if isinstance(actor, User) and not may_manage_users(actor):
        raise PermissionDenied("only a system administrator may reset a second factor")
    devices = list(TotpDevice.objects.filter(user=user))
    _devices_remove(devices)
    event_record(
        actor=actor,
        verb=Verb.MFA_RESET,
        object_type="user",
        object_ref=f"user:{user.pk}",
        detail={"devices_removed": len(devices)},
    )
    return len(devices)
