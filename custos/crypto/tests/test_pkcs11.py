"""The PKCS#11 key provider against a real SoftHSM2 token made by the test itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from custos.crypto import blind_index, envelope
from custos.crypto.keys import KeyUnavailable, get_provider, reset_provider_cache
from custos.crypto.models import DataKey
from custos.crypto.tests.softhsm import SOFTHSM_LIBRARY, SoftHsm, require_softhsm, softhsm_token

CONTEXT = b"custos-data-key:" + str(uuid.uuid4()).encode()


def _clear() -> None:
    reset_provider_cache()
    blind_index.clear_cache()
    envelope.clear_cache()


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftHsm]:
    """A fresh token, and this process's PKCS#11 module re-initialised to see it."""
    require_softhsm()
    import pkcs11

    token = softhsm_token(tmp_path)
    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    _clear()
    pkcs11.lib(str(SOFTHSM_LIBRARY)).reinitialize()  # SoftHSM2 reads SOFTHSM2_CONF here
    yield token
    _clear()


@pytest.fixture
def provisioned(hsm: SoftHsm) -> Any:
    from custos.crypto.pkcs11 import configured_provider

    provider = configured_provider()
    provider.provision()
    return provider


def test_get_provider_picks_pkcs11_and_wraps_inside_the_token(provisioned):
    provider = get_provider()
    assert provider is provisioned
    assert provider.kind == "pkcs11"
    data_key = bytes(range(32))
    kek_id, wrapped = provider.wrap(data_key, context=CONTEXT)
    assert kek_id.startswith("pkcs11-")
    assert data_key not in wrapped
    assert provider.unwrap(kek_id, wrapped, context=CONTEXT) == data_key


def test_a_wrapped_key_opens_only_for_its_own_row_and_unaltered(provisioned):
    kek_id, wrapped = provisioned.wrap(b"k" * 32, context=CONTEXT)
    with pytest.raises(KeyUnavailable, match="integrity"):
        provisioned.unwrap(kek_id, wrapped, context=b"custos-data-key:another-row")
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(KeyUnavailable, match="integrity"):
        provisioned.unwrap(kek_id, tampered, context=CONTEXT)
    with pytest.raises(KeyUnavailable, match="not in the PKCS#11 token"):
        provisioned.unwrap("pkcs11-00000000deadbeef", wrapped, context=CONTEXT)


def test_keys_are_made_in_the_token_sensitive_and_not_extractable(provisioned):
    from pkcs11 import Attribute
    from pkcs11.exceptions import AttributeSensitive

    keys = [provisioned._keks[provisioned.active_key_id()], provisioned._derive_key]
    for key in keys:
        assert key[Attribute.TOKEN] is True
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
        with pytest.raises(AttributeSensitive):
            key[Attribute.VALUE]
    assert provisioned.provision() == []  # idempotent: nothing replaced


def test_derived_keys_survive_a_rotation_and_old_wraps_still_open(provisioned):
    first = provisioned.active_key_id()
    derived = provisioned.derive("blind-index-v1")
    assert len(derived) == 32
    assert derived != provisioned.derive("api-token-v1")
    _, wrapped = provisioned.wrap(b"d" * 32, context=CONTEXT)

    second = provisioned.create_key()
    _clear()
    provider = get_provider()

    assert provider.active_key_id() == second != first
    assert provider.key_ids() == [second, first]
    assert provider.derive("blind-index-v1") == derived
    assert provider.unwrap(first, wrapped, context=CONTEXT) == b"d" * 32
    assert provider.wrap(b"e" * 32, context=CONTEXT)[0] == second
    assert provider.retire_keys([first, second]) == [first]  # never the active one
    assert provider.key_ids() == [second]


@pytest.mark.django_db
def test_a_person_is_written_and_read_back_through_the_token(provisioned, officer_a):
    from custos.crypto.rotation import kek_rotate
    from custos.register.models import Person
    from custos.register.selectors import people_search_for
    from custos.register.tests.factories import a_person

    person = a_person(officer_a, full_name="Hester Tokenwise")
    assert DataKey.objects.get(pk=person.data_key_id).kek_id == provisioned.active_key_id()
    _clear()
    assert Person.objects.get(pk=person.pk).full_name == "Hester Tokenwise"

    result = kek_rotate(record=lambda step, detail: None)
    _clear()

    assert result.rewrapped == 1
    assert DataKey.objects.get(pk=person.data_key_id).kek_id == result.active_kek_id
    assert Person.objects.get(pk=person.pk).full_name == "Hester Tokenwise"
    assert [p.pk for p in people_search_for(viewer=officer_a, purpose="test", name="hester tokenwise")] == [person.pk]


def test_a_wrong_pin_is_one_clear_error_and_is_not_retried(hsm, monkeypatch):
    from custos.crypto import pkcs11 as module

    monkeypatch.delenv("CUSTOS_PKCS11_PIN_FILE")
    monkeypatch.setenv("CUSTOS_PKCS11_PIN", "0000")
    logins = []
    real_init = module.Pkcs11Provider.__init__

    def counting_init(self: Any, config: Any) -> None:
        logins.append(config.token_label)
        real_init(self, config)

    monkeypatch.setattr(module.Pkcs11Provider, "__init__", counting_init)
    for _ in range(3):
        with pytest.raises(KeyUnavailable, match="^PKCS#11 login to token 'custos-test' failed: wrong PIN$"):
            get_provider()
    assert logins == ["custos-test"]


def test_an_unprovisioned_token_and_missing_settings_fail_closed(hsm, monkeypatch):
    with pytest.raises(KeyUnavailable, match="run 'custos pkcs11_init'"):
        get_provider().active_key_id()
    with pytest.raises(KeyUnavailable, match="run 'custos pkcs11_init'"):
        get_provider().derive("blind-index-v1")
    monkeypatch.delenv("CUSTOS_PKCS11_LIBRARY")
    _clear()
    with pytest.raises(KeyUnavailable, match="CUSTOS_PKCS11_LIBRARY is not set"):
        get_provider()
    monkeypatch.setenv("CUSTOS_KEY_PROVIDER", "vault")
    with pytest.raises(KeyUnavailable, match="unknown key provider 'vault'"):
        get_provider()
