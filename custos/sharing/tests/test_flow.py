"""The whole life of a disclosure through the services: ask, check, approve, package, open with `age`, destroy."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from custos.accounts.models import User
from custos.audit.models import AuditEvent
from custos.dlp.models import Canary, Export
from custos.register.models import Person
from custos.register.services import RuleBroken
from custos.retention.tests.builders import a_nominal
from custos.sharing import services
from custos.sharing.models import Disclosure
from custos.sharing.services import Asked
from custos.sharing.tests.builders import IDENTITY, NECESSITY, PURPOSE, REASONS, an_agreement

pytestmark = pytest.mark.django_db


def age_decrypt_cli(ciphertext: bytes, tmp_path: Path) -> bytes:
    """Open a package exactly as a recipient would: the Debian `age` command with their identity file."""
    age = shutil.which("age")
    if age is None:
        pytest.fail("the `age` command is missing: `make test` installs the Debian package 'age'")
    key = tmp_path / "recipient-key.txt"
    key.write_text(IDENTITY + "\n")
    package = tmp_path / "package.age"
    package.write_bytes(ciphertext)
    out = tmp_path / "package.zip"
    subprocess.run([age, "--decrypt", "--identity", str(key), "--output", str(out), str(package)], check=True)
    return out.read_bytes()


def test_a_disclosure_is_checked_approved_packaged_and_opened_with_the_age_command(
    officer_a: User, spoc_a: User, central: User, iru: User, tmp_path: Path
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red", name="Tariq Okonkwo-Brennan")
    amber = a_nominal(officer_a, spoc_a, band="amber", name="Siobhan Achterberg")
    agreement = an_agreement(central, iru)
    disclosure = services.disclosure_request(
        actor=officer_a,
        agreement=agreement,
        purpose=PURPOSE,
        people=[Asked(red.pk, NECESSITY), Asked(amber.pk, NECESSITY)],
    )
    assert disclosure.status == Disclosure.Status.PENDING
    with pytest.raises(PermissionDenied):
        services.disclosure_approve(actor=officer_a, disclosure=disclosure)
    done = services.disclosure_approve(actor=spoc_a, disclosure=disclosure, reasons=REASONS)
    assert done.status == Disclosure.Status.DISCLOSED
    ciphertext = services.package_download(actor=officer_a, disclosure=done)
    assert ciphertext.startswith(b"age-encryption.org/v1")
    assert b"Okonkwo" not in ciphertext
    plain = age_decrypt_cli(ciphertext, tmp_path)
    archive = zipfile.ZipFile(io.BytesIO(plain))
    document: dict[str, Any] = json.loads(archive.read("disclosure.json"))
    names = {p["full_name"] for p in document["people"]}
    assert {"Tariq Okonkwo-Brennan", "Siobhan Achterberg"} <= names
    assert len(document["people"]) == 3  # two people and the canary
    for record in document["people"]:
        assert set(record) == {"watermark", *agreement.fields}
        assert record["watermark"] == document["watermark"]
    export = Export.objects.get(pk=done.export_ref.removeprefix("export:"))
    assert export.is_package
    assert export.recipient == agreement.recipient_name
    assert Canary.objects.filter(export_ref=export.ref).count() == 1
    event = AuditEvent.objects.get(verb="disclosure.made")
    assert sorted(event.targets) == sorted([red.ref, amber.ref])
    assert event.recipients == [f"org:{agreement.recipient_name}", agreement.ref]
    code = document["destruction"]["code"]
    with pytest.raises(ValidationError):
        services.package_destruction_confirm(reference=document["disclosure"], code="wrong", confirmed_by="B. Signer")
    services.package_destruction_confirm(reference=document["disclosure"], code=code, confirmed_by="B. Signer")
    assert Disclosure.objects.get(pk=done.pk).is_destroyed
    assert Export.objects.get(pk=export.pk).is_destroyed


def test_a_green_band_person_is_refused_by_an_agreement_for_red_and_amber(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    green = a_nominal(officer_a, spoc_a, band="green")
    agreement = an_agreement(central, iru)
    with pytest.raises(ValidationError) as refused:
        services.disclosure_request(
            actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(green.pk, NECESSITY)]
        )
    assert "band green" in str(refused.value)
    assert not Disclosure.objects.exists()


def test_a_revoked_agreement_blocks_at_once(officer_a: User, spoc_a: User, central: User, iru: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    disclosure = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    services.agreement_revoke(actor=iru, agreement=agreement, reasons="Recipient breached the security terms.")
    assert Disclosure.objects.get(pk=disclosure.pk).status == Disclosure.Status.REFUSED
    with pytest.raises(RuleBroken):
        services.disclosure_request(
            actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
        )
    assert Person.objects.filter(pk=red.pk).exists()
