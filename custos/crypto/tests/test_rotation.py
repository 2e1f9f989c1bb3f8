"""KEK rotation: new wrapping, same data keys, same fields, same search; resumable and audited."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from custos.accounts.api_auth import ApiTokenAuthentication
from custos.accounts.services import api_token_issue
from custos.audit.models import AuditEvent, Verb
from custos.audit.verify import chain_verify
from custos.crypto import blind_index, envelope
from custos.crypto.keys import create_key_file, get_provider, reset_provider_cache
from custos.crypto.models import DataKey
from custos.crypto.rotation import RotationError, kek_retire_unused, kek_rotate, rotation_plan
from custos.crypto.tokens import token_digest
from custos.register.models import Person
from custos.register.selectors import people_search_for
from custos.register.tests.factories import a_person
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db


def _clear() -> None:
    reset_provider_cache()
    blind_index.clear_cache()
    envelope.clear_cache()


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A key file of this test's own, so rotating it leaves the suite's key alone."""
    path = tmp_path / "keys" / "kek.key"
    create_key_file(path)
    settings.KEY_FILE_PATH = path
    settings.DATA_DIR = tmp_path
    _clear()
    yield path
    _clear()


class Events:
    """Stands in for the audit layer: collects what the rotation asks to record."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.steps: list[tuple[str, dict[str, Any]]] = []
        self.fail_on = fail_on

    def __call__(self, step: str, detail: dict[str, Any]) -> None:
        if self.fail_on is not None and len(self.steps) + 1 == self.fail_on:
            raise RuntimeError("interrupted")
        self.steps.append((step, detail))


def _key_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


def _raw_names() -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM register_person ORDER BY id")
        return [bytes(row[0]) for row in cursor.fetchall()]


def test_rotation_rewraps_every_data_key_and_re_encrypts_no_field(key_file, officer_a):
    people = [a_person(officer_a, full_name=f"Rotation Person {i}") for i in range(5)]
    old = get_provider().active_key_id()
    fields_before = _raw_names()
    events = Events()

    result = kek_rotate(record=events, batch_size=2)

    assert result.created_key
    assert result.active_kek_id != old
    assert (result.rewrapped, result.batches) == (5, 3)
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {result.active_kek_id}
    assert _raw_names() == fields_before
    assert [step for step, _ in events.steps] == ["kek_created", "rewrapped", "rewrapped", "rewrapped"]
    assert events.steps[1][1]["from"] == {old: 2}
    lines = _key_lines(key_file)
    assert len(lines) == 2
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list(key_file.parent.glob(".*tmp"))
    _clear()
    assert get_provider().active_key_id() == result.active_kek_id
    assert [Person.objects.get(pk=p.pk).full_name for p in people] == [f"Rotation Person {i}" for i in range(5)]


def test_search_by_name_and_api_token_digests_survive_rotation(key_file, officer_a):
    person = a_person(officer_a, full_name="Ottoline Searchable")
    _, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="rotation test")
    digest_before = token_digest(token)

    kek_rotate(record=Events())
    kek_rotate(record=Events(), new_key=True)
    _clear()

    assert len(_key_lines(key_file)) == 3
    assert token_digest(token) == digest_before
    request = RequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {token}")
    user, _ = ApiTokenAuthentication().authenticate(request)
    assert user == officer_a
    found = people_search_for(viewer=officer_a, purpose="test", name="ottoline  SEARCHABLE")
    assert [p.pk for p in found] == [person.pk]
    assert found[0].full_name == "Ottoline Searchable"


def test_an_interrupted_rotation_is_resumed_without_another_key(key_file, officer_a):
    for i in range(5):
        a_person(officer_a, full_name=f"Interrupted {i}")
    with pytest.raises(RuntimeError, match="interrupted"):
        kek_rotate(record=Events(fail_on=3), batch_size=2)  # the second batch fails
    plan = rotation_plan()
    assert plan.pending == 3
    assert not plan.will_create_key
    assert len(_key_lines(key_file)) == 2

    result = kek_rotate(record=Events(), batch_size=2)

    assert not result.created_key
    assert result.rewrapped == 3
    assert len(_key_lines(key_file)) == 2
    assert rotation_plan().pending == 0


def test_new_key_forces_a_key_even_when_unfinished(key_file, officer_a):
    for i in range(3):
        a_person(officer_a, full_name=f"Forced {i}")
    with pytest.raises(RuntimeError):
        kek_rotate(record=Events(fail_on=2), batch_size=2)
    result = kek_rotate(record=Events(), new_key=True)
    assert result.created_key
    assert result.rewrapped == 3
    assert len(_key_lines(key_file)) == 3


def test_shredded_data_keys_stay_shredded(key_file, officer_a):
    kept = a_person(officer_a, full_name="Kept Person")
    erased = a_person(officer_a, full_name="Erased Person")
    envelope.shred(erased)
    old = DataKey.objects.get(pk=erased.data_key_id).kek_id

    result = kek_rotate(record=Events())

    row = DataKey.objects.get(pk=erased.data_key_id)
    assert row.wrapped is None
    assert row.kek_id == old
    assert result.rewrapped == 1
    _clear()
    assert Person.objects.get(pk=kept.pk).full_name == "Kept Person"


def test_retire_removes_only_unused_old_keys_and_never_the_derivation_root(key_file, officer_a):
    a_person(officer_a, full_name="Retirement Case")
    root = get_provider().active_key_id()
    kek_rotate(record=Events())
    middle = get_provider().active_key_id()
    kek_rotate(record=Events(), new_key=True)
    active = get_provider().active_key_id()
    digest = blind_index.name_digest("Retirement Case")

    events = Events()
    retired, kept = kek_retire_unused(record=events)

    assert retired == [middle]
    assert root in kept
    assert "derivation root" in kept[root]
    _clear()
    assert get_provider().key_ids() == [active, root]
    assert blind_index.name_digest("Retirement Case") == digest
    assert events.steps == [("kek_retired", {"provider": "local-key-file", "retired": [middle], "active": active})]


def test_retire_keeps_a_key_that_still_wraps_data_keys(key_file, officer_a):
    for i in range(3):
        a_person(officer_a, full_name=f"Still Wrapped {i}")
    kek_rotate(record=Events())
    with pytest.raises(RuntimeError):
        kek_rotate(record=Events(fail_on=3), new_key=True, batch_size=1)
    middle = get_provider().key_ids()[1]
    retired, kept = kek_retire_unused(record=Events())
    assert retired == []
    assert "still wraps 2 data key(s)" in kept[middle]


def test_a_data_key_that_cannot_be_unwrapped_stops_the_run_and_names_it(key_file, officer_a):
    a_person(officer_a, full_name="Readable")
    stray = DataKey.objects.create(kek_id="local-0000000000000000", wrapped=b"\x00" * 60)
    with pytest.raises(RotationError, match=f"data key {stray.pk} .* not in the key file"):
        kek_rotate(record=Events())


def test_the_command_records_one_event_per_batch_and_the_chain_holds(key_file, officer_a):
    for i in range(3):
        a_person(officer_a, full_name=f"Audited {i}")
    before = AuditEvent.objects.filter(verb=Verb.KEYS_ROTATED).count()

    call_command("rotate_keys", "--batch-size", "2", verbosity=0)

    events = list(AuditEvent.objects.filter(verb=Verb.KEYS_ROTATED).order_by("seq")[before:])
    assert [e.detail["step"] for e in events] == ["kek_created", "rewrapped", "rewrapped"]
    assert {e.actor_username for e in events} == {"system:rotate_keys"}
    assert events[1].object_ref == f"kek:{get_provider().active_key_id()}"
    assert chain_verify().ok


def test_the_command_refuses_to_retire_without_confirmation(key_file):
    with pytest.raises(CommandError, match="--confirm"):
        call_command("rotate_keys", "--retire-old", verbosity=0)


def test_dry_run_changes_nothing(key_file, officer_a):
    a_person(officer_a, full_name="Dry Run")
    lines = _key_lines(key_file)
    call_command("rotate_keys", "--dry-run", verbosity=0)
    assert _key_lines(key_file) == lines
    assert rotation_plan().pending == 0


def test_a_kek_saved_before_its_event_was_written_is_recorded_when_the_rotation_resumes(key_file, officer_a):
    """Killed between the key provider saving the new KEK and its event committing (seen under SIGKILL in
    tests/cli/test_crash_safety.py): the next run records the KEK's creation before it wraps anything under it."""
    for i in range(3):
        a_person(officer_a, full_name=f"Unrecorded {i}")
    with pytest.raises(RuntimeError, match="interrupted"):
        kek_rotate(record=Events(fail_on=1), batch_size=2)  # the kek_created event fails: the key stays saved
    made = get_provider().active_key_id()

    def created(kek: str) -> list[AuditEvent]:
        return list(
            AuditEvent.objects.filter(verb=Verb.KEYS_ROTATED, object_ref=f"kek:{kek}", detail__step="kek_created")
        )

    assert created(made) == []

    call_command("rotate_keys", "--resume", verbosity=0)

    [event] = created(made)
    assert event.detail["recorded_late"] is True
    assert rotation_plan().pending == 0
    call_command("rotate_keys", "--resume", verbosity=0)  # once only
    assert len(created(made)) == 1
    assert chain_verify().ok


def test_the_first_kek_needs_no_creation_event(key_file, officer_a):
    a_person(officer_a, full_name="First Key")
    call_command("rotate_keys", "--resume", verbosity=0)
    assert not AuditEvent.objects.filter(verb=Verb.KEYS_ROTATED).exists()
