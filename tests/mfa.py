"""Second-factor helpers for tests: a confirmed authenticator, a verified session, codes.

Set-up writes the device directly (no audit event): it prepares a test, it
is not the action under test. Journeys that exercise enrolment use the pages.
"""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from custos.accounts.models import TotpDevice, User
from custos.crypto.envelope import data_key_create
from custos.web.middleware import LAST_SEEN_SESSION_KEY, STARTED_SESSION_KEY

#: The authenticator secret test users share unless a test gives its own (never used outside tests).
TEST_SECRET = bytes.fromhex("3132333435363738393031323334353637383930")


def authenticator_for(user: User, secret: bytes = TEST_SECRET) -> TotpDevice:
    """``user``'s confirmed authenticator, set up with ``secret`` if they have none."""
    device = TotpDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        return device
    device = TotpDevice.objects.create(user=user, name="Test authenticator", confirmed=True, data_key=data_key_create())
    device.secret = secret.hex()
    device.save(update_fields=["secret"])
    return device


def mfa_verified(user: User) -> User:
    """``user`` as a request that passed the second factor carries it (``otp_device`` set)."""
    user.otp_device = authenticator_for(user)  # type: ignore[attr-defined]
    return user


def verify_session(client: Client, user: User) -> Client:
    """Mark the client's (signed-in) session as having passed the second factor, as django_otp.login does."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session[LAST_SEEN_SESSION_KEY] = session[STARTED_SESSION_KEY] = int(time.time())  # as if just signed in
    session.save()
    return client


def code_for(secret: bytes = TEST_SECRET, *, at: float | None = None, steps_ahead: int = 0) -> str:
    """The 6-digit code an authenticator app holding ``secret`` shows at ``at`` (default now)."""
    generator = TOTP(secret, step=30, t0=0, digits=6, drift=steps_ahead)
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"
