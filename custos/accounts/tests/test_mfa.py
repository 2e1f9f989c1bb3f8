"""The second factor's services: enrolment, verification, throttling, secrets sealed at rest."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from custos.accounts.mfa import (
    parse_base32_secret,
    session_mfa_verified,
    totp_device_confirmed,
    totp_device_enrol,
    totp_device_reset,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    totp_secret_base32,
    totp_uri,
    totp_verify,
)
from custos.accounts.models import TotpDevice, User
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor
from custos.crypto.models import DataKey
from tests.mfa import TEST_SECRET, authenticator_for, code_for, mfa_verified

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
NOON = dt.datetime(2026, 3, 2, 12, 0, 0, tzinfo=dt.UTC)


def _raw_row(device: TotpDevice) -> str:
    """Every column of the device's row as the database holds it, as text (bytes as hex and latin-1)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TotpDevice._meta.db_table} WHERE id = %s", [device.pk])  # noqa: S608
        row = cursor.fetchone()
    parts = []
    for value in row:
        if isinstance(value, memoryview):
            value = value.tobytes()
        if isinstance(value, bytes):
            parts += [value.hex(), value.decode("latin-1")]
        else:
            parts.append(str(value))
    return "\n".join(parts).lower()


def test_the_secret_is_encrypted_at_rest(officer_a: User, analyst_a: User) -> None:
    device = totp_enrolment_begin(user=officer_a)
    secret_b32 = totp_secret_base32(device)
    raw = _raw_row(device)
    assert secret_b32.lower() not in raw
    assert device.bin_key.hex() not in raw
    assert device.bin_key.decode("latin-1").lower() not in raw
    assert device.data_key_id is not None
    # Another device gets its own data key and its own secret.
    other = totp_device_enrol(actor=SYSTEM, user=analyst_a)
    assert other.data_key_id != device.data_key_id
    assert TotpDevice.objects.get(pk=other.pk).bin_key != device.bin_key


def test_the_secret_reads_back_and_the_uri_carries_it(officer_a: User) -> None:
    device = totp_device_enrol(actor=SYSTEM, user=officer_a, secret=TEST_SECRET)
    fresh = TotpDevice.objects.get(pk=device.pk)
    assert fresh.bin_key == TEST_SECRET
    assert totp_secret_base32(fresh) == b32encode(TEST_SECRET).decode().rstrip("=")
    uri = totp_uri(fresh)
    assert uri.startswith("otpauth://totp/Custos%3Aofficer_a?")
    assert f"secret={totp_secret_base32(fresh)}" in uri
    assert "issuer=Custos" in uri


def test_enrolment_needs_a_right_code_and_is_audited(officer_a: User) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        device = totp_enrolment_begin(user=officer_a)
        assert totp_enrolment_begin(user=officer_a).pk == device.pk  # reloading keeps the same QR code
        wrong = totp_enrolment_confirm(user=officer_a, device_id=device.pk, code="000000")
        assert not wrong.accepted
        assert totp_device_confirmed(officer_a) is None
        assert AuditEvent.objects.filter(verb=Verb.MFA_FAILED).count() == 1
        clock.shift(5)
        right = totp_enrolment_confirm(user=officer_a, device_id=device.pk, code=code_for(device.bin_key))
    assert right.accepted
    assert totp_device_confirmed(officer_a) == device
    event = AuditEvent.objects.get(verb=Verb.MFA_ENROLLED)
    assert event.object_ref == f"mfa_device:{device.pk}"
    assert event.actor_username == "officer_a"
    # Once confirmed, someone with only the password cannot add another authenticator.
    with pytest.raises(PermissionDenied):
        totp_enrolment_begin(user=officer_a)


def test_a_wrong_code_is_refused_recorded_and_throttled(officer_a: User) -> None:
    authenticator_for(officer_a)
    with time_machine.travel(NOON, tick=False) as clock:
        first = totp_verify(user=officer_a, code="123456" if code_for() != "123456" else "654321")
        assert not first.accepted
        assert first.failures == 1
        assert not first.throttled
        assert first.retry_after == NOON + dt.timedelta(seconds=1)
        # Within the back-off even the right code is refused, without being checked.
        throttled = totp_verify(user=officer_a, code=code_for())
        assert not throttled.accepted
        assert throttled.throttled
        assert throttled.retry_after == NOON + dt.timedelta(seconds=1)
        clock.shift(2)
        right = totp_verify(user=officer_a, code=code_for())
    assert right.accepted
    assert TotpDevice.objects.get(user=officer_a).throttling_failure_count == 0
    verbs = list(AuditEvent.objects.filter(verb__startswith="mfa.").values_list("verb", flat=True))
    assert verbs == [Verb.MFA_FAILED, Verb.MFA_FAILED, Verb.MFA_VERIFIED]


def test_the_back_off_doubles_with_each_wrong_code(officer_a: User) -> None:
    authenticator_for(officer_a)
    with time_machine.travel(NOON, tick=False) as clock:
        for failures, delay in ((1, 1), (2, 2), (3, 4), (4, 8)):
            result = totp_verify(user=officer_a, code="999999" if code_for() != "999999" else "111111")
            assert result.failures == failures
            assert result.retry_after == dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=delay)
            clock.shift(delay + 1)


def test_a_code_is_never_accepted_twice(officer_a: User) -> None:
    authenticator_for(officer_a)
    with time_machine.travel(NOON, tick=False):
        code = code_for()
        assert totp_verify(user=officer_a, code=code).accepted
        assert not totp_verify(user=officer_a, code=code).accepted


def test_codes_a_step_either_side_are_accepted_but_not_further(officer_a: User) -> None:
    authenticator_for(officer_a)
    with time_machine.travel(NOON, tick=False) as clock:
        assert not totp_verify(user=officer_a, code=code_for(steps_ahead=-2)).accepted
        clock.shift(2)
        assert totp_verify(user=officer_a, code=code_for(steps_ahead=1)).accepted


def test_verification_needs_a_confirmed_device(officer_a: User) -> None:
    with pytest.raises(PermissionDenied):
        totp_verify(user=officer_a, code="123456")


def test_reset_removes_the_device_and_shreds_its_key(officer_a: User, sysadmin: User) -> None:
    device = authenticator_for(officer_a)
    with pytest.raises(PermissionDenied):
        totp_device_reset(actor=officer_a, user=officer_a)
    assert totp_device_reset(actor=sysadmin, user=officer_a) == 1
    assert not TotpDevice.objects.filter(user=officer_a).exists()
    assert DataKey.objects.get(pk=device.data_key_id).wrapped is None
    assert AuditEvent.objects.get(verb=Verb.MFA_RESET).object_ref == f"user:{officer_a.pk}"


def test_only_an_operator_sets_up_someone_elses_device(officer_a: User, analyst_a: User) -> None:
    with pytest.raises(PermissionDenied):
        totp_device_enrol(actor=analyst_a, user=officer_a)


def test_a_user_loaded_outside_a_request_is_not_verified(officer_a: User) -> None:
    assert not session_mfa_verified(officer_a)
    assert session_mfa_verified(mfa_verified(officer_a))


def test_base32_secrets_are_parsed_leniently_but_must_be_long_enough() -> None:
    typed = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"
    assert parse_base32_secret(typed) == TEST_SECRET
    with pytest.raises(ValidationError):
        parse_base32_secret("GEZDGNBV")
    with pytest.raises(ValidationError):
        parse_base32_secret("not base32 at all!")
