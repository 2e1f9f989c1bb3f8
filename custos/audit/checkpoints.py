"""Signed Merkle checkpoints over the s.62 log.

A checkpoint is a signed statement "the first ``tree_size`` events of this
log have Merkle root ``root_hash``" (RFC 6962 hashing; the leaves are the
events' chain hashes in ``seq`` order). Stored checkpoints let
``custos audit_verify`` catch a log that was rewritten consistently, or cut
short with its head row rewritten to match, which the hash chain alone
cannot; a checkpoint exported to an outside party catches it even if the
stored checkpoints were removed too.

Guarantees of ``checkpoint_create``:

- it signs only a tree that extends the previous checkpoint's tree, and
  only over new events whose hash chain is intact (otherwise
  ``CheckpointRefused``, and nothing is stored);
- checkpoints are numbered 1, 2, 3, ... under the audit head's row lock,
  each naming the one before it, so two runs at once cannot fork them;
- it writes no audit event of its own: a checkpoint holds no personal data
  and the checkpoint table is itself append-only (database triggers).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.audit.merkle import (
    EMPTY_ROOT,
    CompactTree,
    Range,
    RangeHasher,
    consistency_proof_from_frontier,
    consistency_ranges,
    inclusion_ranges,
    verify_consistency,
    verify_inclusion,
)
from custos.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from custos.audit.services import GENESIS_HASH, event_hash
from custos.crypto import signing

STATEMENT_TYPE = "custos.audit.checkpoint"
STATEMENT_VERSION = 1
EXPORT_FORMAT = "custos-audit-checkpoint-v1"
_CHUNK = 5000


class CheckpointRefused(RuntimeError):
    """No checkpoint was signed: the log does not extend the last checkpoint, or its chain is broken."""


class CheckpointInvalid(ValueError):
    """An exported checkpoint is malformed or its signature does not hold."""


class ProofUnavailable(RuntimeError):
    """A proof cannot be given, or the one computed from the log does not hold."""


def _time_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def statement(checkpoint: AuditCheckpoint) -> bytes:
    """The exact bytes a checkpoint's signature covers: canonical JSON, sorted keys, no spaces."""
    payload = {
        "type": STATEMENT_TYPE,
        "version": STATEMENT_VERSION,
        "checkpoint": int(checkpoint.id),
        "previous": checkpoint.previous_id,
        "tree_size": int(checkpoint.tree_size),
        "root_hash": checkpoint.root_hash,
        "created_at": _time_text(checkpoint.created_at),
        "key_fingerprint": checkpoint.key_fingerprint,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature_valid(checkpoint: AuditCheckpoint, public_keys: dict[str, bytes]) -> bool:
    """True if the checkpoint's signature holds under the key its fingerprint names."""
    public = public_keys.get(checkpoint.key_fingerprint)
    try:
        signature = bytes.fromhex(checkpoint.signature)
    except ValueError:
        return False
    return public is not None and signing.verify(public, statement(checkpoint), signature)


def checkpoint_latest() -> AuditCheckpoint | None:
    """The most recent stored checkpoint, if any."""
    return AuditCheckpoint.objects.order_by("-id").first()


class _Extension:
    """The tree as signed at a checkpoint, extended by later events, checking their chain."""

    def __init__(self, base: AuditCheckpoint | None) -> None:
        self.base = base
        self.new_leaf_hashes: list[bytes] = []
        if base is None:
            self.tree, self.last_hash = CompactTree(), GENESIS_HASH
            self.base_tree = self.tree.copy()
            return
        if not signature_valid(base, signing.trusted_public_keys()):
            raise CheckpointRefused(f"checkpoint #{base.id} is not validly signed; run 'custos audit_verify'")
        try:
            self.tree = CompactTree.from_frontier(base.tree_size, [bytes.fromhex(h) for h in base.frontier])
        except ValueError as exc:
            raise CheckpointRefused(f"checkpoint #{base.id} holds a malformed frontier") from exc
        if self.tree.root().hex() != base.root_hash:
            raise CheckpointRefused(f"checkpoint #{base.id}'s frontier does not match its signed root")
        self.base_tree = self.tree.copy()
        if base.tree_size == 0:
            self.last_hash = GENESIS_HASH
            return
        last = AuditEvent.objects.filter(seq=base.tree_size).values_list("hash", flat=True).first()
        if last is None:
            raise CheckpointRefused(f"event #{base.tree_size}, covered by checkpoint #{base.id}, is missing")
        self.last_hash = last

    def extend_to(self, last_seq: int) -> None:
        events = AuditEvent.objects.filter(seq__gt=self.tree.size, seq__lte=last_seq).order_by("seq")
        for event in events.iterator(chunk_size=_CHUNK):
            expected = self.tree.size + 1
            if event.seq != expected:
                raise CheckpointRefused(f"event #{expected} is missing")
            if event.prev_hash != self.last_hash:
                raise CheckpointRefused(f"event #{event.seq} does not follow the event before it")
            if event_hash(event) != event.hash:
                raise CheckpointRefused(f"event #{event.seq} was altered after it was written")
            hashed = self.tree.append(bytes.fromhex(event.hash))
            if self.base is not None:
                self.new_leaf_hashes.append(hashed)
            self.last_hash = event.hash
        if self.tree.size < last_seq:
            raise CheckpointRefused(f"event #{self.tree.size + 1} is missing")


@dataclass(frozen=True)
class CheckpointOutcome:
    checkpoint: AuditCheckpoint
    created: bool


def checkpoint_create() -> CheckpointOutcome:
    """Sign a checkpoint over every event up to the current head; see the module docstring.

    Creates the signing key first if it is missing (mode 0600). Events
    already committed never change, so they are read before the head is
    locked; only events appended meanwhile are read under the lock, which
    keeps the time writers wait short. Returns the latest checkpoint with
    ``created=False`` if no event was written since it. Raises
    ``CheckpointRefused`` (nothing stored) if the log is empty or does not
    extend the previous checkpoint.
    """
    signing.ensure_signing_key()
    base = checkpoint_latest()
    extension = _Extension(base)
    head_now = AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    if head_now > extension.tree.size:
        extension.extend_to(head_now)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        latest = checkpoint_latest()
        if (latest.pk if latest else None) != (base.pk if base else None):  # another run signed one meanwhile
            extension = _Extension(latest)
        if latest is not None and latest.tree_size == head.last_seq:
            return CheckpointOutcome(latest, created=False)
        if head.last_seq == 0:
            raise CheckpointRefused("the audit log is empty: nothing to checkpoint")
        if extension.tree.size > head.last_seq:
            raise CheckpointRefused(
                f"the log ends at #{head.last_seq} but events up to #{extension.tree.size} were already signed or read"
            )
        extension.extend_to(head.last_seq)
        if extension.last_hash != head.last_hash:
            raise CheckpointRefused(f"event #{head.last_seq} does not match the audit head")
        proof = consistency_proof_from_frontier(extension.base_tree, extension.new_leaf_hashes) if latest else []
        checkpoint = AuditCheckpoint(
            id=(latest.id + 1) if latest else 1,
            previous=latest,
            tree_size=extension.tree.size,
            root_hash=extension.tree.root().hex(),
            created_at=timezone.now(),
            key_fingerprint=signing.active_fingerprint(),
            consistency_proof=[h.hex() for h in proof],
            frontier=[h.hex() for h in extension.tree.frontier()],
        )
        checkpoint.signature = signing.sign(statement(checkpoint)).hex()
        checkpoint.save(force_insert=True)
    return CheckpointOutcome(checkpoint, created=True)


def checkpoint_export(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """A checkpoint as a self-contained JSON document for an outside party to keep.

    It holds the exact signed statement, the signature and the public key, so
    it can be checked with no access to Custos (``how_to_check`` says how).
    Raises ``SigningKeyUnavailable`` if the signing key is not held here.
    """
    public = signing.trusted_public_keys().get(checkpoint.key_fingerprint)
    if public is None:
        raise signing.SigningKeyUnavailable(f"the key that signed checkpoint #{checkpoint.id} is not held here")
    return {
        "format": EXPORT_FORMAT,
        "statement": statement(checkpoint).decode("utf-8"),
        "signature": checkpoint.signature,
        "public_key": public.hex(),
        "public_key_pem": signing.public_key_pem(public),
        "how_to_check": (
            "signature: Ed25519 over the UTF-8 bytes of 'statement', by 'public_key' (hex, raw 32 bytes); "
            "key_fingerprint in the statement is the hex SHA-256 of those 32 bytes. root_hash: RFC 6962 "
            "Merkle tree hash over the first tree_size audit events' chain hashes (32 bytes each, in order). "
            "'custos audit_verify --checkpoint FILE' proves a log extends this checkpoint."
        ),
    }


@dataclass(frozen=True)
class ExportedCheckpoint:
    """An exported checkpoint whose signature has been checked."""

    checkpoint_id: int
    tree_size: int
    root_hash: bytes
    created_at: str
    key_fingerprint: str
    public_key: bytes


def exported_checkpoint_read(document: Any) -> ExportedCheckpoint:
    """Parse an exported checkpoint and check its signature with the public key it carries.

    Raises ``CheckpointInvalid`` with a one-line reason if anything is wrong.
    Whether the log extends it is ``custos.audit.verify.exported_checkpoint_verify``'s job.
    """
    try:
        if document["format"] != EXPORT_FORMAT:
            raise CheckpointInvalid(f"not a Custos checkpoint (format {document['format']!r})")
        text = document["statement"]
        public = bytes.fromhex(document["public_key"])
        signature = bytes.fromhex(document["signature"])
        body = json.loads(text)
        if body["type"] != STATEMENT_TYPE or body["version"] != STATEMENT_VERSION:
            raise CheckpointInvalid("the statement is not a version 1 Custos checkpoint")
        exported = ExportedCheckpoint(
            checkpoint_id=int(body["checkpoint"]),
            tree_size=int(body["tree_size"]),
            root_hash=bytes.fromhex(body["root_hash"]),
            created_at=str(body["created_at"]),
            key_fingerprint=str(body["key_fingerprint"]),
            public_key=public,
        )
    except CheckpointInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointInvalid(f"malformed checkpoint file ({type(exc).__name__}: {exc})") from exc
    if signing.fingerprint(public) != exported.key_fingerprint:
        raise CheckpointInvalid("the public key in the file is not the one the statement names")
    if not signing.verify(public, text.encode("utf-8"), signature):
        raise CheckpointInvalid(f"the signature of checkpoint #{exported.checkpoint_id} does not hold")
    if exported.tree_size < 0 or len(exported.root_hash) != len(EMPTY_ROOT):
        raise CheckpointInvalid("the statement's tree size or root is malformed")
    return exported


@dataclass
class LeafScan:
    """What one pass over the first ``size`` events' leaves found."""

    size: int
    root: bytes
    roots_at: dict[int, bytes] = field(default_factory=dict)
    leaf_hashes_at: dict[int, bytes] = field(default_factory=dict)
    ranges: RangeHasher = field(default_factory=lambda: RangeHasher([]))


def leaves_scan(
    size: int, *, sizes: Iterable[int] = (), ranges: Sequence[Range] = (), leaves: Iterable[int] = ()
) -> LeafScan:
    """Stream the leaves of the first ``size`` events once, in O(log n) memory.

    Collects the root at each tree size in ``sizes``, the subtree hash of
    each leaf range in ``ranges`` (for proofs) and the leaf hash of each
    leaf index in ``leaves``. Only ``seq`` and ``hash`` are read: this does
    not check the hash chain (``chain_verify`` does). Raises
    ``ProofUnavailable`` if an event is missing.
    """
    wanted_sizes, wanted_leaves = set(sizes), set(leaves)
    tree, hasher = CompactTree(), RangeHasher(ranges)
    scan = LeafScan(size=size, root=EMPTY_ROOT, ranges=hasher)
    if 0 in wanted_sizes:
        scan.roots_at[0] = EMPTY_ROOT
    rows = AuditEvent.objects.filter(seq__lte=size).order_by("seq").values_list("seq", "hash")
    for seq, hex_hash in rows.iterator(chunk_size=_CHUNK):
        index = tree.size
        if seq != index + 1:
            raise ProofUnavailable(f"event #{index + 1} is missing")
        try:
            hashed = tree.append(bytes.fromhex(hex_hash))
        except ValueError as exc:
            raise ProofUnavailable(f"event #{seq} holds a malformed hash") from exc
        hasher.feed(index, hashed)
        if index in wanted_leaves:
            scan.leaf_hashes_at[index] = hashed
        if tree.size in wanted_sizes:
            scan.roots_at[tree.size] = tree.root()
    if tree.size != size:
        raise ProofUnavailable(f"event #{tree.size + 1} is missing")
    scan.root = tree.root()
    return scan


def inclusion_proof_for(*, seq: int, checkpoint: AuditCheckpoint | None = None) -> dict[str, Any]:
    """The RFC 6962 inclusion proof of event ``seq`` in a checkpoint (the latest by default), as JSON.

    The proof is checked against the checkpoint's signed root before it is
    returned; ``ProofUnavailable`` if there is no such checkpoint or event,
    or if the log no longer matches the checkpoint.
    """
    checkpoint = checkpoint or checkpoint_latest()
    if checkpoint is None:
        raise ProofUnavailable("there is no checkpoint yet: run 'custos audit_checkpoint'")
    if not 1 <= seq <= checkpoint.tree_size:
        raise ProofUnavailable(
            f"event #{seq} is not covered by checkpoint #{checkpoint.id} (events #1 to #{checkpoint.tree_size})"
        )
    index, size = seq - 1, checkpoint.tree_size
    ranges = inclusion_ranges(index, size)
    scan = leaves_scan(size, ranges=ranges, leaves=[index])
    proof = scan.ranges.result(ranges)
    event_hex = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).get()
    root = bytes.fromhex(checkpoint.root_hash)
    if not verify_inclusion(index=index, size=size, leaf_hash=scan.leaf_hashes_at[index], proof=proof, root=root):
        raise ProofUnavailable(
            f"the log no longer matches checkpoint #{checkpoint.id}: event #{seq} cannot be proved; "
            "run 'custos audit_verify'"
        )
    return {
        "seq": seq,
        "leaf_index": index,
        "event_hash": event_hex,
        "leaf_hash": scan.leaf_hashes_at[index].hex(),
        "tree_size": size,
        "root_hash": checkpoint.root_hash,
        "proof": [h.hex() for h in proof],
        "checkpoint": checkpoint_export(checkpoint),
    }


def consistency_proof_between(*, old_size: int, new_size: int) -> dict[str, Any]:
    """The RFC 6962 consistency proof between two sizes of the current log, as JSON.

    Both roots are recomputed from the log and the proof is checked before
    it is returned; ``ProofUnavailable`` if the sizes are out of range.
    """
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    if not 0 <= old_size <= new_size <= head:
        raise ProofUnavailable(f"sizes must satisfy 0 <= M <= N <= {head} (the events in the log)")
    ranges = consistency_ranges(old_size, new_size)
    scan = leaves_scan(new_size, sizes=[old_size], ranges=ranges)
    proof = scan.ranges.result(ranges)
    old_root = scan.roots_at[old_size]
    if not verify_consistency(
        old_size=old_size, new_size=new_size, old_root=old_root, new_root=scan.root, proof=proof
    ):  # pragma: no cover - a proof computed from the log always holds
        raise ProofUnavailable("the computed consistency proof does not hold")
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root.hex(),
        "new_root": scan.root.hex(),
        "proof": [h.hex() for h in proof],
    }
