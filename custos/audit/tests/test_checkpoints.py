"""Signed Merkle checkpoints: what they sign, and what they catch that the chain alone cannot."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from custos.audit.checkpoints import (
    CheckpointInvalid,
    CheckpointRefused,
    ProofUnavailable,
    checkpoint_create,
    checkpoint_export,
    consistency_proof_between,
    exported_checkpoint_read,
    inclusion_proof_for,
    statement,
)
from custos.audit.merkle import leaf_hash, mth, verify_consistency, verify_inclusion
from custos.audit.models import AuditCheckpoint, AuditEvent, AuditHead, Verb
from custos.audit.services import GENESIS_HASH, Actor, EventSpec, event_hash, events_record
from custos.audit.verify import chain_verify, exported_checkpoint_verify, log_verify
from custos.crypto import signing

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _drop_triggers() -> None:
    """What someone with direct access to the database could do."""
    if connection.vendor == "sqlite":
        for name in ("event_no_update", "event_no_delete", "checkpoint_no_update", "checkpoint_no_delete"):
            _raw(f"DROP TRIGGER audit_{name}")
    else:
        _raw("DROP TRIGGER audit_event_no_update_delete ON audit_auditevent")
        _raw("DROP TRIGGER audit_checkpoint_no_update_delete ON audit_auditcheckpoint")


def _events(n: int) -> None:
    with transaction.atomic():
        events_record(
            actor=SYSTEM,
            specs=[EventSpec(verb=Verb.PERSON_CONSULTED, object_ref=f"person:{i}", purpose="test") for i in range(n)],
        )


def _leaves() -> list[bytes]:
    return [bytes.fromhex(h) for h in AuditEvent.objects.order_by("seq").values_list("hash", flat=True)]


def _rewrite_from(seq: int) -> None:
    """Alter event ``seq`` and recompute every later hash and the head: the chain still verifies."""
    previous = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first() or GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            event.purpose = "rewritten"
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
        AuditEvent.objects.filter(seq=event.seq).update(
            purpose=event.purpose, prev_hash=event.prev_hash, hash=event.hash
        )
    AuditHead.objects.filter(pk=1).update(last_hash=previous)


def test_checkpoint_signs_the_merkle_root_of_every_event(db):
    _events(5)
    outcome = checkpoint_create()
    checkpoint = outcome.checkpoint
    assert outcome.created
    assert (checkpoint.id, checkpoint.previous_id, checkpoint.tree_size) == (1, None, 5)
    assert checkpoint.root_hash == mth(_leaves()).hex()
    assert checkpoint.key_fingerprint == signing.active_fingerprint()
    public = signing.trusted_public_keys()[checkpoint.key_fingerprint]
    stored = AuditCheckpoint.objects.get(pk=1)
    assert signing.verify(public, statement(stored), bytes.fromhex(stored.signature))
    assert json.loads(statement(stored)) == {
        "type": "custos.audit.checkpoint",
        "version": 1,
        "checkpoint": 1,
        "previous": None,
        "tree_size": 5,
        "root_hash": checkpoint.root_hash,
        "created_at": json.loads(statement(checkpoint))["created_at"],
        "key_fingerprint": checkpoint.key_fingerprint,
    }
    result = log_verify()
    assert result.ok
    assert result.checked == 5
    assert result.checkpoints == 1


def test_each_checkpoint_extends_the_one_before_and_repeats_are_harmless(db):
    _events(3)
    first = checkpoint_create().checkpoint
    again = checkpoint_create()
    assert not again.created
    assert again.checkpoint.pk == first.pk
    _events(8)
    second = checkpoint_create().checkpoint
    assert (second.id, second.previous_id, second.tree_size) == (2, 1, 11)
    assert verify_consistency(
        old_size=3,
        new_size=11,
        old_root=bytes.fromhex(first.root_hash),
        new_root=bytes.fromhex(second.root_hash),
        proof=[bytes.fromhex(h) for h in second.consistency_proof],
    )
    assert second.root_hash == mth(_leaves()).hex()
    assert log_verify().checkpoints == 2


def test_an_empty_log_is_not_checkpointed(db):
    with pytest.raises(CheckpointRefused, match="empty"):
        checkpoint_create()
    assert not AuditCheckpoint.objects.exists()


def test_database_refuses_update_and_delete_of_checkpoints(db):
    _events(2)
    checkpoint_create()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=1).update(tree_size=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM audit_auditcheckpoint")
    assert AuditCheckpoint.objects.get(pk=1).tree_size == 2


def test_a_consistent_rewrite_passes_the_chain_but_not_the_checkpoint(db):
    _events(6)
    checkpoint_create()
    _events(2)
    _drop_triggers()
    _rewrite_from(3)
    assert chain_verify().ok, "the chain alone cannot see a rewrite that recomputes every later hash"
    result = log_verify()
    assert not result.ok
    assert result.first_bad_checkpoint == 1
    assert "checkpoint #1" in result.reason
    assert "#1 to #6" in result.reason


def test_a_rewrite_after_the_last_checkpoint_is_pinned_to_the_events_since_the_one_before(db):
    _events(4)
    checkpoint_create()
    _events(4)
    checkpoint_create()
    _drop_triggers()
    _rewrite_from(6)
    result = log_verify()
    assert result.first_bad_checkpoint == 2
    assert "from #5 to #8" in result.reason


def test_a_cut_off_tail_with_its_head_rewritten_is_caught_only_by_the_checkpoint(db):
    _events(7)
    checkpoint_create()
    _drop_triggers()
    _raw("DELETE FROM audit_auditevent WHERE seq > 4")
    kept = AuditEvent.objects.get(seq=4)
    AuditHead.objects.filter(pk=1).update(last_seq=4, last_hash=kept.hash)
    assert chain_verify().ok
    result = log_verify()
    assert not result.ok
    assert result.first_bad_seq == 5
    assert result.first_bad_checkpoint == 1
    assert "#5" in result.reason


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("root_hash", "00" * 32, "altered after it was signed"),
        ("tree_size", 3, "altered after it was signed"),
        ("signature", "00" * 64, "altered after it was signed"),
        ("key_fingerprint", "ab" * 32, "a key this installation does not hold"),
        ("consistency_proof", json.dumps(["00" * 32]), "does not extend"),
        ("frontier", json.dumps(["00" * 32]), "frontier does not match"),
    ],
)
def test_an_altered_checkpoint_is_named(db, column, value, expected):
    _events(2)
    checkpoint_create()
    _events(3)
    checkpoint_create()
    _drop_triggers()
    _raw(f"UPDATE audit_auditcheckpoint SET {column} = %s WHERE id = 2", [value])  # noqa: S608 - test-only column names
    result = log_verify()
    assert not result.ok
    assert result.first_bad_checkpoint == 2
    assert expected in result.reason


def test_a_checkpoint_signed_by_an_unknown_key_is_refused(db, settings, tmp_path):
    _events(2)
    checkpoint_create()
    settings.KEY_FILE_PATH = tmp_path / "keys" / "kek.key"
    assert not log_verify().ok, "no signing key file: nothing can be trusted"
    signing.ensure_signing_key()
    result = log_verify()
    assert not result.ok
    assert "does not hold" in result.reason


def test_new_events_with_a_broken_chain_are_never_signed(db):
    _events(3)
    checkpoint_create()
    _events(3)
    _drop_triggers()
    _raw("UPDATE audit_auditevent SET purpose = 'tampered' WHERE seq = 5")
    with pytest.raises(CheckpointRefused, match="#5"):
        checkpoint_create()
    assert AuditCheckpoint.objects.count() == 1


def test_a_checkpoint_whose_events_were_cut_off_is_not_extended(db):
    _events(5)
    checkpoint_create()
    _drop_triggers()
    _raw("DELETE FROM audit_auditevent WHERE seq > 2")
    AuditHead.objects.filter(pk=1).update(last_seq=2, last_hash=AuditEvent.objects.get(seq=2).hash)
    with pytest.raises(CheckpointRefused, match="#5"):
        checkpoint_create()


def test_inclusion_and_consistency_proofs_verify_against_the_signed_root(db):
    _events(13)
    checkpoint = checkpoint_create().checkpoint
    leaves = _leaves()
    for seq in (1, 7, 13):
        document = inclusion_proof_for(seq=seq)
        assert document["event_hash"] == leaves[seq - 1].hex()
        assert verify_inclusion(
            index=seq - 1,
            size=13,
            leaf_hash=leaf_hash(leaves[seq - 1]),
            proof=[bytes.fromhex(h) for h in document["proof"]],
            root=bytes.fromhex(checkpoint.root_hash),
        )
        assert exported_checkpoint_read(document["checkpoint"]).root_hash.hex() == checkpoint.root_hash
    with pytest.raises(ProofUnavailable, match="not covered"):
        inclusion_proof_for(seq=14)
    document = consistency_proof_between(old_size=5, new_size=13)
    assert document["old_root"] == mth(leaves[:5]).hex()
    assert document["new_root"] == checkpoint.root_hash
    assert verify_consistency(
        old_size=5,
        new_size=13,
        old_root=mth(leaves[:5]),
        new_root=mth(leaves),
        proof=[bytes.fromhex(h) for h in document["proof"]],
    )
    with pytest.raises(ProofUnavailable):
        consistency_proof_between(old_size=5, new_size=14)


def test_an_inclusion_proof_is_refused_once_the_log_no_longer_matches(db):
    _events(6)
    checkpoint_create()
    _drop_triggers()
    _rewrite_from(2)
    with pytest.raises(ProofUnavailable, match="no longer matches checkpoint #1"):
        inclusion_proof_for(seq=4)


def test_there_is_no_inclusion_proof_before_the_first_checkpoint(db):
    _events(2)
    with pytest.raises(ProofUnavailable, match="no checkpoint"):
        inclusion_proof_for(seq=1)


def test_an_exported_checkpoint_proves_the_log_extends_it_until_history_is_rewritten(db):
    _events(5)
    document = checkpoint_export(checkpoint_create().checkpoint)
    exported = exported_checkpoint_read(json.loads(json.dumps(document)))
    _events(9)
    assert exported_checkpoint_verify(exported).ok
    _drop_triggers()
    _rewrite_from(4)
    _raw("DELETE FROM audit_auditcheckpoint")
    assert log_verify().ok, "with the stored checkpoints gone too, only an outside copy can tell"
    result = exported_checkpoint_verify(exported)
    assert not result.ok
    assert "does not extend the exported checkpoint #1" in result.reason


def test_an_exported_checkpoint_detects_a_cut_off_log(db):
    _events(5)
    exported = exported_checkpoint_read(checkpoint_export(checkpoint_create().checkpoint))
    _drop_triggers()
    _raw("DELETE FROM audit_auditevent WHERE seq > 3")
    AuditHead.objects.filter(pk=1).update(last_seq=3, last_hash=AuditEvent.objects.get(seq=3).hash)
    result = exported_checkpoint_verify(exported)
    assert not result.ok
    assert result.first_bad_seq == 4


def test_a_tampered_export_is_rejected(db):
    _events(3)
    document = checkpoint_export(checkpoint_create().checkpoint)
    forged = dict(document, statement=document["statement"].replace('"tree_size":3', '"tree_size":2'))
    with pytest.raises(CheckpointInvalid, match="signature"):
        exported_checkpoint_read(forged)
    other_key = dict(document, public_key="11" * 32)
    with pytest.raises(CheckpointInvalid, match="not the one the statement names"):
        exported_checkpoint_read(other_key)
    with pytest.raises(CheckpointInvalid, match="malformed"):
        exported_checkpoint_read({"format": document["format"]})
    with pytest.raises(CheckpointInvalid, match="not a Custos checkpoint"):
        exported_checkpoint_read(dict(document, format="something-else"))
