"""Checking the log: finds the first event or checkpoint that was altered, removed or reordered.

- ``chain_verify`` walks the hash chain: it catches any event edited,
  deleted or moved, unless the attacker rewrote every later event and the
  head to match.
- ``log_verify`` also checks every stored signed checkpoint (signature,
  numbering, consistency with the one before, and its root recomputed from
  the log), which catches a consistent rewrite or a cut-off tail.
- ``exported_checkpoint_verify`` proves the log extends a checkpoint an
  outside party kept, which still holds if the stored checkpoints were
  removed as well.

None of them raises on a broken log: they return the first problem found,
in log order, as a ``VerifyResult``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from custos.audit.checkpoints import (
    ExportedCheckpoint,
    ProofUnavailable,
    leaves_scan,
    signature_valid,
)
from custos.audit.merkle import EMPTY_ROOT, HASH_SIZE, CompactTree, consistency_ranges, verify_consistency
from custos.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from custos.audit.services import GENESIS_HASH, event_hash
from custos.crypto import signing


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    checkpoints: int = 0
    first_bad_checkpoint: int | None = None


def chain_verify(*, batch_size: int = 5000) -> VerifyResult:
    """Check every event's hash, link and sequence number, then the head.

    Returns the first bad event (by sequence number) and why; never raises
    on a broken chain.
    """
    return _walk(batch_size=batch_size, marks=iter(()), checkpoints=0)


def log_verify(*, batch_size: int = 5000) -> VerifyResult:
    """``chain_verify`` plus every stored checkpoint.

    Each checkpoint must be numbered in turn and name the one before it,
    carry a valid signature by a key in the signing key file, prove
    (RFC 6962 consistency proof) that its tree extends the previous
    checkpoint's, and have the root recomputed from the first ``tree_size``
    events. Checkpoints and events are streamed: memory stays small however
    many there are. Concurrent appends are tolerated: events written after
    the head was read are checked too, never reported as extra.
    """
    problem, count, last_id = _checkpoints_check(batch_size=batch_size)
    if problem is not None:
        return problem
    # Checked in id order, in which tree sizes never decrease; checkpoints
    # signed after the check began are left for the next run.
    marks = (
        AuditCheckpoint.objects.filter(id__lte=last_id)
        .order_by("id")
        .values_list("id", "tree_size", "root_hash")
        .iterator(chunk_size=batch_size)
    )
    return _walk(batch_size=batch_size, marks=marks, checkpoints=count)


def _bad_checkpoint(checkpoint_id: int, reason: str) -> VerifyResult:
    return VerifyResult(False, 0, None, reason, first_bad_checkpoint=checkpoint_id)


def _hashes(values: Sequence[str]) -> list[bytes] | None:
    try:
        hashes = [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        return None
    return hashes if all(len(h) == HASH_SIZE for h in hashes) else None


def _checkpoints_check(*, batch_size: int) -> tuple[VerifyResult | None, int, int]:
    """Signatures, numbering and consistency of the stored checkpoints (no events read).

    Returns the first problem (or None), how many checkpoints were checked
    and the last one's number.
    """
    public_keys: dict[str, bytes] | None = None
    previous: AuditCheckpoint | None = None
    count = 0
    for checkpoint in AuditCheckpoint.objects.order_by("id").iterator(chunk_size=batch_size):
        number = checkpoint.id
        if public_keys is None:
            try:
                public_keys = signing.trusted_public_keys()
            except signing.SigningKeyUnavailable as exc:
                return _bad_checkpoint(number, f"checkpoint #{number} cannot be checked: {exc}"), count, 0
        problem = _checkpoint_problem(checkpoint, previous, public_keys)
        if problem is not None:
            return problem, count, 0
        previous, count = checkpoint, count + 1
    return None, count, previous.id if previous else 0


def _checkpoint_problem(
    checkpoint: AuditCheckpoint, previous: AuditCheckpoint | None, public_keys: dict[str, bytes]
) -> VerifyResult | None:
    number = checkpoint.id
    expected = previous.id + 1 if previous else 1
    if number != expected:
        return _bad_checkpoint(expected, f"checkpoint #{expected} is missing")
    if checkpoint.previous_id != (previous.id if previous else None):
        return _bad_checkpoint(number, f"checkpoint #{number} does not name the checkpoint before it")
    if checkpoint.key_fingerprint not in public_keys:
        return _bad_checkpoint(number, f"checkpoint #{number} was signed by a key this installation does not hold")
    if not signature_valid(checkpoint, public_keys):
        return _bad_checkpoint(number, f"checkpoint #{number} was altered after it was signed")
    roots = _hashes([checkpoint.root_hash])
    proof = _hashes(checkpoint.consistency_proof)
    frontier = _hashes(checkpoint.frontier)
    if roots is None or proof is None or frontier is None:
        return _bad_checkpoint(number, f"checkpoint #{number} is malformed")
    old_size = previous.tree_size if previous else 0
    old_root = bytes.fromhex(previous.root_hash) if previous else EMPTY_ROOT
    if not verify_consistency(
        old_size=old_size, new_size=checkpoint.tree_size, old_root=old_root, new_root=roots[0], proof=proof
    ):
        before = f"checkpoint #{previous.id}" if previous else "the empty log"
        return _bad_checkpoint(number, f"checkpoint #{number} does not extend {before}")
    try:
        rebuilt: CompactTree | None = CompactTree.from_frontier(checkpoint.tree_size, frontier)
    except ValueError:
        rebuilt = None
    if rebuilt is None or rebuilt.root() != roots[0]:
        return _bad_checkpoint(number, f"checkpoint #{number}'s frontier does not match its root")
    return None


def _walk(*, batch_size: int, marks: Iterator[tuple[int, int, str]], checkpoints: int) -> VerifyResult:
    """The chain walk; ``marks`` are ``(checkpoint, tree_size, root_hash)`` in increasing tree size."""
    head = AuditHead.objects.filter(pk=1).first()
    mark = next(marks, None)
    while mark is not None and mark[1] <= 0:
        if mark[2] != EMPTY_ROOT.hex():
            return _bad_checkpoint(mark[0], f"checkpoint #{mark[0]} does not match the empty log")
        mark = next(marks, None)
    tree = CompactTree()
    expected_seq, prev = 1, GENESIS_HASH
    checked = 0
    hash_at_head: str | None = None
    last_good_size = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return VerifyResult(False, checked, event.seq, f"event #{event.seq} does not follow the event before it")
        if event_hash(event) != event.hash:
            return VerifyResult(False, checked, event.seq, f"event #{event.seq} was altered after it was written")
        tree.append(bytes.fromhex(event.hash))
        prev, expected_seq = event.hash, expected_seq + 1
        checked += 1
        if head is not None and checked == head.last_seq:
            hash_at_head = prev
        while mark is not None and mark[1] == checked:
            if tree.root().hex() != mark[2]:
                return VerifyResult(
                    False,
                    checked,
                    None,
                    f"checkpoint #{mark[0]} does not match the log: an event from #{last_good_size + 1} "
                    f"to #{checked} was altered, removed or reordered after it was signed",
                    first_bad_checkpoint=mark[0],
                )
            last_good_size = checked
            mark = next(marks, None)
    if head is not None and head.last_seq > checked:
        return VerifyResult(False, checked, checked + 1, f"the log ends at #{checked} but #{head.last_seq} was written")
    if head is not None and head.last_seq and hash_at_head != head.last_hash:
        return VerifyResult(
            False, checked, head.last_seq, f"event #{head.last_seq} is not the event the audit head recorded"
        )
    if mark is not None:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"checkpoint #{mark[0]} covers {mark[1]} events but the log ends at #{checked}: "
            f"event #{checked + 1} onwards was removed",
            first_bad_checkpoint=mark[0],
        )
    return VerifyResult(True, checked, checkpoints=checkpoints)


def exported_checkpoint_verify(exported: ExportedCheckpoint) -> VerifyResult:
    """Prove the current log extends a checkpoint kept outside Custos.

    ``exported`` has had its signature checked (``exported_checkpoint_read``).
    Recomputes the RFC 6962 consistency proof from its tree size to the
    current head from the log and checks it against the exported root and
    the log's current root, in one pass and O(log n) memory. Does not walk
    the hash chain (``log_verify`` does).
    """
    size = AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    old = exported.tree_size
    label = f"the exported checkpoint #{exported.checkpoint_id} (tree size {old})"
    if old > size:
        return VerifyResult(
            False,
            size,
            size + 1,
            f"{label} covers {old} events but the log ends at #{size}: event #{size + 1} onwards was removed",
        )
    ranges = consistency_ranges(old, size)
    try:
        scan = leaves_scan(size, ranges=ranges)
    except ProofUnavailable as exc:
        return VerifyResult(False, 0, None, str(exc))
    proof = scan.ranges.result(ranges)
    if not verify_consistency(
        old_size=old, new_size=size, old_root=exported.root_hash, new_root=scan.root, proof=proof
    ):
        return VerifyResult(
            False,
            size,
            None,
            f"the log does not extend {label}: an event from #1 to #{old} was altered, removed or reordered "
            "after it was signed",
        )
    return VerifyResult(True, size, checkpoints=1)
