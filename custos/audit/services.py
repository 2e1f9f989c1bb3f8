"""Writing the s.62 log.

``event_record`` must be called inside the transaction that makes the change
it describes: if the event cannot be written, the transaction fails and the
change does not happen (fail closed). Events are chained: each one's hash
covers its content and the previous event's hash.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from custos.audit.context import request_id
from custos.audit.models import AuditEvent, AuditHead, Verb
from custos.crypto.tokens import sha256_hex

GENESIS_HASH = "0" * 64


#: What every interface tells a user whose action was refused because the log could not be written.
UNAVAILABLE_MESSAGE = "The audit log is unavailable, so nothing was shown or changed. Try again later."


class AuditUnavailable(RuntimeError):
    """The log cannot be written; the action must not happen.

    The web interface answers it with 503 (``custos.web.fail_closed``), the
    API with 503 and ``{"detail": UNAVAILABLE_MESSAGE}``, and the ``custos``
    command exits non-zero with one line.
    """


class ActorLike(Protocol):
    pk: Any
    username: str


@dataclass(frozen=True)
class Actor:
    """Who acted: a user, or a named system actor (``system:<job>``)."""

    id: int | None
    username: str
    role: str = ""
    bcu: str = ""

    @classmethod
    def of(cls, who: ActorLike | Actor) -> Actor:
        if isinstance(who, Actor):
            return who
        return cls(
            id=who.pk,
            username=who.username,
            role=str(getattr(who, "role", "") or ""),
            bcu=str(getattr(who, "bcu_code", "") or ""),
        )

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(id=None, username=f"system:{job}", role="system")


@dataclass
class EventSpec:
    """An event not yet written (used to append many at once)."""

    verb: Verb
    object_type: str = ""
    object_ref: str = ""
    targets: Sequence[str] = ()
    purpose: str = ""
    recipients: Sequence[str] = ()
    detail: dict[str, Any] = field(default_factory=dict)


def canonical(event: AuditEvent) -> bytes:
    """The bytes an event's hash covers (stable across databases)."""
    occurred_text = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = {
        "seq": int(event.seq),
        "occurred_at": occurred_text,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_role": event.actor_role,
        "actor_bcu": event.actor_bcu,
        "verb": str(event.verb),
        "object_type": event.object_type,
        "object_ref": event.object_ref,
        "targets": list(event.targets),
        "purpose": event.purpose,
        "recipients": list(event.recipients),
        "detail": event.detail,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: AuditEvent) -> str:
    return sha256_hex(canonical(event))


def _lock_head() -> AuditHead:
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


def events_record(*, actor: ActorLike | Actor, specs: Iterable[EventSpec]) -> list[AuditEvent]:
    """Append events to the chain in the current transaction.

    Raises ``AuditUnavailable`` if called outside a transaction or if the
    database refuses the write; the caller's transaction then rolls back.
    """
    if not connection.in_atomic_block:
        raise AuditUnavailable("audit events must be written inside the change's transaction")
    who = Actor.of(actor)
    now = timezone.now()
    rid = request_id.get()
    try:
        head = _lock_head()
        events = []
        seq, prev = head.last_seq, head.last_hash
        for spec in specs:
            seq += 1
            event = AuditEvent(
                seq=seq,
                occurred_at=now,
                actor_id=who.id,
                actor_username=who.username,
                actor_role=who.role,
                actor_bcu=who.bcu,
                verb=spec.verb,
                object_type=spec.object_type,
                object_ref=spec.object_ref,
                targets=list(spec.targets),
                purpose=spec.purpose,
                recipients=list(spec.recipients),
                detail=spec.detail,
                request_id=rid,
                prev_hash=prev,
            )
            event.hash = event_hash(event)
            prev = event.hash
            events.append(event)
        if not events:
            return []
        AuditEvent.objects.bulk_create(events, batch_size=500)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    except AuditUnavailable:
        raise
    except Exception as exc:
        raise AuditUnavailable("the audit log could not be written; nothing was changed") from exc
    return events


def event_record(
    *,
    actor: ActorLike | Actor,
    verb: Verb,
    object_type: str = "",
    object_ref: str = "",
    targets: Sequence[str] = (),
    purpose: str = "",
    recipients: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; see ``events_record``."""
    spec = EventSpec(
        verb=verb,
        object_type=object_type,
        object_ref=object_ref,
        targets=targets,
        purpose=purpose,
        recipients=recipients,
        detail=detail or {},
    )
    return events_record(actor=actor, specs=[spec])[0]


def consultation_record(
    *,
    actor: ActorLike | Actor,
    verb: Verb,
    object_type: str = "",
    object_ref: str = "",
    targets: Sequence[str] = (),
    purpose: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a read of personal data in its own transaction (for selectors)."""
    with transaction.atomic():
        return event_record(
            actor=actor,
            verb=verb,
            object_type=object_type,
            object_ref=object_ref,
            targets=targets,
            purpose=purpose,
            detail=detail,
        )
