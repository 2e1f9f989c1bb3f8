"""The fingerprint index: kept with the register as it changes, no plaintext, erased people watched then dropped."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.crypto.dlp_key import DIGEST_BYTES, dlp_digest, reset_dlp_key_cache
from custos.crypto.keys import KeyUnavailable
from custos.dlp.fingerprints import normalise
from custos.dlp.models import ErasedFingerprint, FieldKind, Fingerprint, IndexState
from custos.dlp.services import index_update
from custos.register.models import Person
from custos.register.services import RuleBroken, person_rectify
from custos.register.tests.factories import a_person
from custos.retention.models import Tombstone
from custos.retention.services import people_erase

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
SYSTEM = Actor.system("test")


def kinds_of(person: Person) -> list[str]:
    return sorted(Fingerprint.objects.filter(person=person).values_list("kind", flat=True))


def has_print(person: Person, kind: str, family: str, value: str) -> bool:
    digest = dlp_digest(family, value)
    return Fingerprint.objects.filter(person=person, kind=kind, digest=digest).exists()


def test_recording_a_person_writes_their_fingerprints(officer_a: User) -> None:
    person = a_person(
        officer_a,
        full_name="Jordan  O'Neil-Example",
        date_of_birth=dt.date(2001, 5, 17),
        aliases=["JJ"],
        addresses=["Flat 3, 12 Example Road, Hackney, London E8 1AA"],
    )
    assert set(kinds_of(person)) == {"name", "alias", "dob", "address", "postcode", "token", "street_token"}
    assert has_print(person, "name", "name", "example jordan oneil")
    assert has_print(person, "dob", "dob", "2001-05-17")
    assert has_print(person, "address", "addr", "12 example road")
    assert has_print(person, "postcode", "pc", "e8 1aa")
    assert has_print(person, "token", "tok", "jordan")
    assert has_print(person, "street_token", "stok", "road")


def test_the_index_holds_no_plaintext(officer_a: User) -> None:
    a_person(officer_a, full_name="Plaintext Nowhere", addresses=["9 Secret Lane, London N1 2AB"])
    for digest in Fingerprint.objects.values_list("digest", flat=True):
        digest = bytes(digest)
        assert len(digest) == DIGEST_BYTES
        for word in (b"plaintext", b"nowhere", b"secret", b"n1 2ab", b"2001"):
            assert word not in digest.lower()


def test_bulk_seeding_and_import_index_everyone(bcu_a: Any) -> None:
    call_command("seed_demo", "--people", "5", "--seed", "3", "--no-progress", stdout=io.StringIO())
    call_command(
        "import_matrix", str(ROOT / "docs" / "examples" / "legacy-matrix.csv"), "--bcu", "central-east",
        stdout=io.StringIO(),
    )  # fmt: skip
    people = list(Person.objects.all())
    assert len(people) > 5
    for person in people:
        assert {"name", "dob", "token"} <= set(kinds_of(person))
    imported = next(p for p in people if p.full_name == "Jordan Example")
    assert has_print(imported, "name", "name", "example jordan")


def test_rectification_replaces_the_fingerprints(officer_a: User, make_user: Callable[..., User]) -> None:
    iru = make_user("iru", Role.IRU)
    person = a_person(officer_a, full_name="Old Name", date_of_birth=dt.date(2001, 5, 17))
    person_rectify(actor=iru, person=person, field="full_name", value="New Name", reasons="Name was misspelt.")
    assert has_print(person, "name", "name", "name new")
    assert not has_print(person, "name", "name", "name old")
    assert has_print(person, "dob", "dob", "2001-05-17")


def test_erasure_moves_fingerprints_to_the_watchlist_at_once(officer_a: User) -> None:
    person = a_person(officer_a, full_name="Gone Person")
    count = Fingerprint.objects.filter(person=person).count()
    ref = person.ref
    people_erase(actor=SYSTEM, people=[person], reason=Tombstone.Reason.REVIEW, compact=False)
    assert not Fingerprint.objects.filter(person_id=person.pk).exists()
    watched = ErasedFingerprint.objects.filter(person_ref=ref)
    assert watched.count() == count
    assert Tombstone.objects.get(person_ref=ref)
    assert watched.filter(kind=FieldKind.NAME, digest=dlp_digest("name", "gone person")).exists()


def test_no_watchlist_when_the_watch_period_is_zero(officer_a: User, settings: Any) -> None:
    settings.CUSTOS_DLP_ERASED_WATCH_DAYS = 0
    person = a_person(officer_a, full_name="Not Watched")
    people_erase(actor=SYSTEM, people=[person], reason=Tombstone.Reason.REVIEW, compact=False)
    assert not ErasedFingerprint.objects.exists()
    assert not Fingerprint.objects.exists()


def test_dlp_index_prunes_the_watchlist_after_the_watch_period(officer_a: User, settings: Any) -> None:
    settings.CUSTOS_DLP_ERASED_WATCH_DAYS = 30
    person = a_person(officer_a, full_name="Watched Person")
    people_erase(actor=SYSTEM, people=[person], reason=Tombstone.Reason.REVIEW, compact=False)
    call_command("dlp_index", "--no-progress", stdout=io.StringIO())
    assert ErasedFingerprint.objects.exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        out = io.StringIO()
        call_command("dlp_index", "--no-progress", stdout=out)
    assert not ErasedFingerprint.objects.exists()
    assert "pruned" in out.getvalue()
    event = AuditEvent.objects.filter(verb="dlp.indexed").last()
    assert event is not None
    assert event.detail["erased_pruned"] > 0


def test_dlp_index_indexes_people_missing_from_it_and_rebuilds(officer_a: User) -> None:
    person = a_person(officer_a, full_name="Before Index")
    Fingerprint.objects.all().delete()
    report = index_update(actor=SYSTEM)
    assert report.people_indexed == 1
    assert has_print(person, "name", "name", "before index")
    assert index_update(actor=SYSTEM).people_indexed == 0  # nothing missing now
    rebuilt = index_update(actor=SYSTEM, rebuild=True)
    assert rebuilt.people_indexed == 1
    assert rebuilt.rebuilt
    assert Fingerprint.objects.filter(person=person).count() == len(kinds_of(person))


def test_only_central_governance_or_the_system_maintains_the_index(officer_a: User) -> None:
    with pytest.raises(Exception, match="central governance"):
        index_update(actor=officer_a)


def test_an_index_built_with_another_key_is_refused_until_rebuilt(officer_a: User) -> None:
    a_person(officer_a, full_name="Keyed Person")
    IndexState.objects.filter(pk=1).update(key_id="dlp-someotherkey")
    with pytest.raises(RuleBroken, match="another DLP key"):
        index_update(actor=SYSTEM)
    with pytest.raises(CommandError, match="another DLP key"):
        call_command("dlp_scan", str(ROOT / "docs"), "--no-progress", stdout=io.StringIO())
    index_update(actor=SYSTEM, rebuild=True)
    assert IndexState.objects.get().key_id.startswith("dlp-")


def test_without_the_dlp_key_the_register_refuses_to_record(officer_a: User, settings: Any, tmp_path: Path) -> None:
    settings.DLP_KEY_PATH = tmp_path / "missing.key"
    reset_dlp_key_cache()
    with pytest.raises(KeyUnavailable, match="DLP key file missing"):
        a_person(officer_a, full_name="Never Recorded")
    assert not Person.objects.exists()


def test_a_dlp_key_readable_by_others_is_refused(settings: Any, tmp_path: Path) -> None:
    from custos.crypto.dlp_key import create_dlp_key_file

    path = tmp_path / "dlp.key"
    create_dlp_key_file(path)
    path.chmod(0o644)
    settings.DLP_KEY_PATH = path
    reset_dlp_key_cache()
    with pytest.raises(KeyUnavailable, match="readable by others"):
        dlp_digest("name", "x")


def test_the_dlp_key_is_not_the_kek(settings: Any) -> None:
    kek = Path(settings.KEY_FILE_PATH).read_text(encoding="ascii")
    dlp = Path(settings.DLP_KEY_PATH).read_text(encoding="ascii")
    key_lines = [line for line in dlp.splitlines() if not line.startswith("#")]
    assert key_lines
    assert all(line not in kek for line in key_lines)
    assert oct(Path(settings.DLP_KEY_PATH).stat().st_mode & 0o777) == "0o600"


def test_normalise_folds_what_people_change() -> None:
    assert normalise("  O’Néil-SMITH ,  john ") == "oneil smith john"
