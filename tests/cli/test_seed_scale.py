"""seed_scale as an operator runs it: the `custos` script in a subprocess, on a fresh instance."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

PEOPLE = 50
ITEMS = 3

CHECK = """
import json
from collections import Counter
from django.db import connection
from custos.audit.models import AuditEvent
from custos.register.models import IntelligenceItem, Nomination, Person, PersonIndex
from custos.crypto.models import DataKey
people = list(Person.objects.all())
items = list(IntelligenceItem.objects.all())
with connection.cursor() as cursor:
    cursor.execute("SELECT full_name FROM register_person")
    raw = [bytes(row[0]) for row in cursor.fetchall()]
events = AuditEvent.objects.filter(actor_username="system:seed_scale")
created = set(events.filter(verb="person.created").values_list("object_ref", flat=True))
last = AuditEvent.objects.order_by("-seq").first()
print(json.dumps({
    "names": [p.full_name for p in people],
    "plaintext_in_column": sum(1 for r in raw for p in people if p.full_name.encode() in r),
    "own_keys": len({p.data_key_id for p in people}),
    "keys_wrapped": DataKey.objects.filter(pk__in=[p.data_key_id for p in people], wrapped__isnull=False).count(),
    "indexed": PersonIndex.objects.filter(person__in=people, kind="name").count(),
    "items_per_person": sorted(set(Counter(i.person_id for i in items).values())),
    "summaries": sorted({i.summary.split(":")[0] for i in items}),
    "created_events": sorted(created) == sorted(p.ref for p in people),
    "item_events": events.filter(verb="intelligence.added").count(),
    "nominated_without_offender_record": sum(
        1 for n in Nomination.objects.all()
        if not IntelligenceItem.objects.filter(
            person_id=n.person_id, category__in=["suspected_offender", "convicted_offender"]).exists()
    ),
    "last": [last.verb, last.actor_username, last.detail.get("scale"), last.detail.get("people")],
}))
"""


@pytest.fixture(scope="module")
def instance() -> Iterator[CustosInstance]:
    """One instance seeded once (no demo users: hashing their passwords takes seconds)."""
    with custos_instance(demo_users=False) as inst:
        result = inst.custos(
            "seed_scale", "--people", str(PEOPLE), "--items-per-person", str(ITEMS), "--seed", "3", "--batch-size", "20"
        )
        assert f"Seeded {PEOPLE} synthetic people" in result.stdout
        assert f"intelligence items: {PEOPLE * ITEMS}" in result.stdout
        yield inst


@pytest.fixture(scope="module")
def state(instance: CustosInstance) -> dict[str, object]:
    out = instance.custos("shell", "-v", "0", "-c", CHECK).stdout.strip().splitlines()[-1]
    value = json.loads(out)
    assert isinstance(value, dict)
    return value


def test_seeded_people_decrypt_each_with_their_own_key_and_are_stored_encrypted(state):
    names = state["names"]
    assert len(names) == PEOPLE
    assert all(isinstance(n, str) and " " in n for n in names)  # a first name and a last name, decrypted
    assert state["plaintext_in_column"] == 0  # the column holds ciphertext only
    assert state["own_keys"] == PEOPLE
    assert state["keys_wrapped"] == PEOPLE
    assert state["indexed"] == PEOPLE  # blind-index entry for every name


def test_every_person_has_exactly_the_items_asked_for_and_they_are_marked_synthetic(state):
    assert state["items_per_person"] == [ITEMS]
    assert state["summaries"] == ["Synthetic record"]


def test_every_person_and_record_has_its_audit_event_and_the_run_ends_with_one_summary(state):
    assert state["created_events"] is True
    assert state["item_events"] == PEOPLE * ITEMS
    assert state["last"] == ["demo.seeded", "system:seed_scale", True, PEOPLE]


def test_nominations_keep_the_register_rules(state):
    assert state["nominated_without_offender_record"] == 0


def test_the_audit_chain_verifies_after_seeding(instance):
    result = instance.custos("audit_verify", check=False)
    assert result.returncode == 0, result.stderr
    assert "audit chain intact" in result.stdout


def test_bad_input_is_refused_in_one_line(instance):
    zero = instance.custos("seed_scale", "--people", "0", check=False)
    assert zero.returncode != 0
    assert "must be 1 or more" in zero.stderr
    unknown = instance.custos("seed_scale", "--people", "1", "--bcu", "atlantis", check=False)
    assert unknown.returncode != 0
    assert "unknown BCU" in unknown.stderr
