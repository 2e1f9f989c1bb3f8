"""The erasure ledger: an append-only, hash-chained file of every erasure.

Each line names an erased person only by pseudonymous reference and data-key
id, with the tombstone's facts (BCU, dates, reason). It lives with the key
material (``settings.ERASURE_LEDGER_PATH``, by default next to the key file),
not in the database, so a database backup taken before an erasure cannot
undo it: whenever Custos starts serving, and after every ``custos restore``,
``custos.retention.services.ledger_reapply`` erases again anyone the ledger
names who is back in the database (ADR 10).

A line is written and fsync'd inside the erasure's transaction, before the
commit: if it cannot be written the erasure does not happen. Each line holds
the SHA-256 of the line before it, so a truncated or edited ledger is
detected on reading.

A process killed while appending can leave a torn last line (no newline).
Its erasure never committed (the commit comes after the fsync), so the torn
tail is ignored on reading and cut off by the next append. A process killed
after the fsync but before the commit leaves a whole line for an erasure that
rolled back: the person is still there, and is erased again (a second line)
when the sweep is resumed, or by ``ledger_reapply``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

GENESIS = "0" * 64


class LedgerError(RuntimeError):
    """The erasure ledger cannot be read or written; the message says which and where."""


@dataclass(frozen=True)
class LedgerEntry:
    person_ref: str
    data_key_id: str
    bcu_code: str
    recorded_on: str
    erased_at: str
    reason: str
    trigger: str
    was_listed: bool
    band: str
    categories: list[str]
    erased_by: str


def ledger_path() -> Path:
    return Path(settings.ERASURE_LEDGER_PATH)


def _line_hash(prev: str, body: dict[str, Any]) -> str:
    payload = json.dumps({"prev": prev, **body}, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(payload).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[Any]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _last_hash(handle: Any) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size == 0:
        return GENESIS
    block = min(size, 64 * 1024)
    while True:
        handle.seek(size - block)
        tail = handle.read(block).rstrip(b"\n")
        if b"\n" in tail or block == size:
            last = tail.rsplit(b"\n", 1)[-1]
            break
        block = min(size, block * 2)
    try:
        return str(json.loads(last)["hash"])
    except (ValueError, KeyError) as exc:
        raise LedgerError(f"the erasure ledger {ledger_path()} ends in an unreadable line") from exc


def _torn_tail_drop(handle: Any) -> None:
    """Cut off a last line without its newline: the torn write of an append killed part way (see above)."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - 64 * 1024)
        handle.seek(start)
        newline = handle.read(end - start).rfind(b"\n")
        if newline >= 0:
            handle.truncate(start + newline + 1)
            break
        end = start
    else:
        handle.truncate(0)
    os.fsync(handle.fileno())


def append(entries: Sequence[LedgerEntry]) -> None:
    """Append entries and fsync; raises ``LedgerError`` (so the erasure rolls back) on any failure."""
    if not entries:
        return
    path = ledger_path()
    try:
        with _locked(path) as handle:
            _torn_tail_drop(handle)
            prev = _last_hash(handle)
            lines = []
            for entry in entries:
                body = asdict(entry)
                digest = _line_hash(prev, body)
                lines.append(json.dumps({**body, "prev": prev, "hash": digest}, sort_keys=True) + "\n")
                prev = digest
            handle.seek(0, os.SEEK_END)
            handle.write("".join(lines).encode())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise LedgerError(f"the erasure ledger {path} cannot be written ({exc.strerror or exc})") from exc


def read() -> list[LedgerEntry]:
    """Every entry, oldest first, with the chain checked; empty if there is no ledger yet."""
    path = ledger_path()
    if not path.exists():
        return []
    entries: list[LedgerEntry] = []
    prev = GENESIS
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    break  # a torn last line: its erasure never committed
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                    stated_prev, stated_hash = record.pop("prev"), record.pop("hash")
                    entry = LedgerEntry(**record)
                except (ValueError, KeyError, TypeError) as exc:
                    raise LedgerError(f"line {number} of the erasure ledger {path} is not a ledger entry") from exc
                if stated_prev != prev or _line_hash(prev, asdict(entry)) != stated_hash:
                    raise LedgerError(f"the erasure ledger {path} is broken at line {number} (edited or truncated)")
                entries.append(entry)
                prev = stated_hash
    except OSError as exc:
        raise LedgerError(f"the erasure ledger {path} cannot be read ({exc.strerror or exc})") from exc
    return entries
