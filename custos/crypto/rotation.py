"""Key-encryption key rotation: a new KEK, every data key re-wrapped under it.

Only the wrapping changes. Data keys stay the same, so no field is
re-encrypted, blind indexes stay valid and shredding keeps its meaning.
Blind-index and token-digest keys come from the provider's derivation root
(the first local key, or the PKCS#11 derivation key), which rotation never
touches, so search and API tokens keep working.

The job is resumable: data keys are selected by "wrapped, and by a KEK that
is not the active one", in batches, each batch its own transaction together
with its audit event. An interrupted run is finished by running it again; a
new KEK is made only when no data key is still waiting (or when asked).

``custos.crypto`` sits below the audit layer, so these functions take a
``record`` callback, called inside each transaction, that writes the audit
event; if it raises, the batch rolls back.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from custos.crypto.envelope import _context
from custos.crypto.keys import KeyProvider, KeyUnavailable, get_provider
from custos.crypto.models import DataKey

#: ``record(step, detail)``: writes one audit event in the current transaction.
Recorder = Callable[[str, dict[str, Any]], None]
Progress = Callable[[int], None]

DEFAULT_BATCH_SIZE = 500


class RotationError(RuntimeError):
    """Rotation stopped; what was done so far is committed and the run can be resumed."""


@dataclass(frozen=True)
class RotationPlan:
    """What a run would do, read without changing anything."""

    provider: str
    active_kek_id: str
    live: int
    pending: int
    pending_by_kek: dict[str, int]
    will_create_key: bool


@dataclass
class RotationResult:
    active_kek_id: str
    created_key: bool = False
    rewrapped: int = 0
    batches: int = 0
    retired: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


def _pending() -> Any:
    return DataKey.objects.filter(wrapped__isnull=False)


def pending_by_kek(active_kek_id: str) -> dict[str, int]:
    """Live data keys still wrapped by a KEK other than ``active_kek_id``, per KEK."""
    rows = _pending().exclude(kek_id=active_kek_id).values_list("kek_id").order_by("kek_id")
    counts: dict[str, int] = {}
    for (kek_id,) in rows.iterator(chunk_size=5000):
        counts[kek_id] = counts.get(kek_id, 0) + 1
    return counts


def rotation_plan(*, new_key: bool = False, provider: KeyProvider | None = None) -> RotationPlan:
    """Whether a run would resume an unfinished rotation or make a new KEK, and how much is left."""
    provider = provider or get_provider()
    active = provider.active_key_id()
    by_kek = pending_by_kek(active)
    pending = sum(by_kek.values())
    return RotationPlan(
        provider=provider.kind,
        active_kek_id=active,
        live=_pending().count(),
        pending=pending,
        pending_by_kek=by_kek,
        will_create_key=new_key or pending == 0,
    )


@contextmanager
def rotation_lock() -> Iterator[None]:
    """One rotation at a time on this host (a lock file in the data directory)."""
    path = Path(settings.DATA_DIR) / ".rotate_keys.lock"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RotationError("another key rotation is running") from exc
        yield
    finally:
        os.close(fd)


def kek_rotate(
    *,
    record: Recorder,
    new_key: bool = False,
    resume_only: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    on_plan: Callable[[RotationPlan], None] | None = None,
) -> RotationResult:
    """Rotate the KEK, or finish an unfinished rotation, re-wrapping every live data key.

    - If live data keys are still wrapped by an older KEK, the rotation is
      unfinished: it is resumed under the active KEK and no new KEK is made,
      unless ``new_key`` asks for one. With ``resume_only`` no KEK is ever made.
    - Each batch of ``batch_size`` data keys is unwrapped and re-wrapped in
      its own transaction, rows locked, with one ``record("rewrapped", ...)``.
    - A shredded data key (``wrapped`` NULL) is never touched or revived.
    - A data key that cannot be unwrapped stops the run (``RotationError``)
      naming it; batches already done stay done.
    """
    with rotation_lock():
        provider = get_provider()
        plan = rotation_plan(new_key=new_key, provider=provider)
        if resume_only:
            plan = dataclasses.replace(plan, will_create_key=False)
        if on_plan is not None:
            on_plan(plan)
        result = RotationResult(active_kek_id=plan.active_kek_id)
        if plan.will_create_key:
            previous = provider.active_key_id()
            with transaction.atomic():
                # The key is made first so the event can name it; if the event
                # cannot be written, the new KEK exists but no data key uses it
                # yet and the next run resumes under it.
                result.active_kek_id = provider.create_key()
                result.created_key = True
                record(
                    "kek_created",
                    {"provider": provider.kind, "kek": result.active_kek_id, "previous_active": previous},
                )
        active = result.active_kek_id
        while True:
            with transaction.atomic():
                rows = list(
                    _pending()
                    .select_for_update()
                    .exclude(kek_id=active)
                    .order_by("id")
                    .values_list("id", "kek_id", "wrapped")[:batch_size]
                )
                if not rows:
                    break
                from_keks: dict[str, int] = {}
                for key_id, kek_id, wrapped in rows:
                    try:
                        data_key = provider.unwrap(kek_id, bytes(wrapped), context=_context(key_id))
                    except KeyUnavailable as exc:
                        raise RotationError(
                            f"data key {key_id} (wrapped by {kek_id}) cannot be unwrapped: {exc}; "
                            f"{result.rewrapped} re-wrapped before it"
                        ) from exc
                    new_kek, new_wrapped = provider.wrap(data_key, context=_context(key_id))
                    if new_kek != active:
                        raise RotationError(f"the active KEK changed during the run ({active} to {new_kek})")
                    DataKey.objects.filter(pk=key_id, wrapped__isnull=False).update(kek_id=new_kek, wrapped=new_wrapped)
                    from_keks[kek_id] = from_keks.get(kek_id, 0) + 1
                result.batches += 1
                result.rewrapped += len(rows)
                record(
                    "rewrapped",
                    {
                        "provider": provider.kind,
                        "kek": active,
                        "batch": result.batches,
                        "rewrapped": len(rows),
                        "from": dict(sorted(from_keks.items())),
                    },
                )
            if progress is not None:
                progress(len(rows))
        return result


def kek_retire_unused(*, record: Recorder, dry_run: bool = False) -> tuple[list[str], dict[str, str]]:
    """Remove old KEKs that no live data key uses; returns ``(retired, kept with reasons)``.

    Never removes the active KEK, a KEK still wrapping a live data key, or a
    derivation root (the first local key: blind indexes and token digests
    depend on it). After this, backups whose data keys were wrapped by a
    retired KEK open only with a copy of the key material from before.
    """
    with rotation_lock():
        provider = get_provider()
        protected = provider.protected_key_ids()
        active = provider.active_key_id()
        retired: list[str] = []
        kept: dict[str, str] = {}
        with transaction.atomic():
            candidates = []
            for kek_id in provider.key_ids():
                if kek_id == active:
                    continue
                in_use = _pending().filter(kek_id=kek_id).count()
                if in_use:
                    kept[kek_id] = f"still wraps {in_use} data key(s): finish the rotation first"
                elif kek_id in protected:
                    kept[kek_id] = "derivation root for blind indexes and API token digests"
                else:
                    candidates.append(kek_id)
            if candidates and not dry_run:
                record("kek_retired", {"provider": provider.kind, "retired": candidates, "active": active})
                retired = provider.retire_keys(candidates)
            elif dry_run:
                retired = candidates
        return retired, kept
