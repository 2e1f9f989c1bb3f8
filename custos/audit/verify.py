"""Walking the chain: finds the first event that was altered, removed or reordered."""

from __future__ import annotations

from dataclasses import dataclass

from custos.audit.models import AuditEvent, AuditHead
from custos.audit.services import GENESIS_HASH, event_hash


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def chain_verify(*, batch_size: int = 5000) -> VerifyResult:
    """Check every event's hash, link and sequence number, then the head.

    Returns the first bad event (by sequence number) and why; never raises
    on a broken chain.
    """
    expected_seq, prev = 1, GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return VerifyResult(False, checked, event.seq, f"event #{event.seq} does not follow the event before it")
        if event_hash(event) != event.hash:
            return VerifyResult(False, checked, event.seq, f"event #{event.seq} was altered after it was written")
        prev, expected_seq = event.hash, expected_seq + 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, f"the log ends at #{checked} but #{head.last_seq} was written")
    return VerifyResult(True, checked)
