"""Kill Custos operations with SIGKILL at random points, check nothing is half-done, resume (issue 8).

Run by ``tests/cli/test_crash_safety.py`` against an instance (``CUSTOS_DATA_DIR`` and
``CUSTOS_DATABASE_URL`` in the environment)::

    python tests/cli/crash_child.py {import,rotate,sweep} --rounds 50 --seed 8

Django is set up once here. For each run of an operation the process forks (its database connections
closed first): the child runs the real management command with ``call_command``; the parent sleeps a random
delay and sends it SIGKILL, waits for it and, on PostgreSQL, for its server session to end, then checks the
invariants with fresh connections. Forking saves Django's start-up (1-2 s) per kill.

Rounds 0-2 run the operation without a kill: the median of their durations is the range the kill delays
are drawn from (uniformly, seeded, counted from the command's start; the range narrows after a kill that
came once the command had returned, so that timing on a busy machine does not waste the rounds), and the
effect of round 0 is the reference every round must equal. Every round seeds fresh work first (a new file,
new people due for erasure, a new key-encryption key to re-wrap under), so each kill can land mid-work, and
resumes right after its kill, as an operator would: each kill then starts from a known state, the delay is
spread over the whole operation, and resuming is exercised 50 times rather than once.

The last line of stdout is a JSON report (rounds, reference duration, where the kills landed, what
state each kill left). Any broken invariant raises ``AssertionError`` naming the round (exit status 1).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import signal
import statistics
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

# The management commands' modules are imported here, once, so a forked child does not pay for it.
from custos.audit.management.commands import rotate_keys as _rotate_keys  # noqa: E402, F401
from custos.audit.models import AuditEvent, AuditHead, Verb  # noqa: E402
from custos.audit.services import GENESIS_HASH, Actor, EventSpec, event_hash, events_record  # noqa: E402
from custos.audit.verify import log_verify  # noqa: E402
from custos.crypto.envelope import _context, clear_cache  # noqa: E402
from custos.crypto.keys import get_provider  # noqa: E402
from custos.crypto.models import DataKey  # noqa: E402
from custos.register.bulk import bcus_resolve  # noqa: E402
from custos.register.importer import matrix_check, matrix_import, read_table  # noqa: E402
from custos.register.management.commands import import_matrix as _import_matrix  # noqa: E402, F401
from custos.register.models import BCU, HarmScore, IntelligenceItem, Nomination, Person, PersonIndex  # noqa: E402
from custos.retention import ledger  # noqa: E402
from custos.retention.management.commands import retention_sweep as _retention_sweep  # noqa: E402, F401
from custos.retention.models import Review, Tombstone, Trigger  # noqa: E402
from custos.retention.services import candidates_find, ledger_reapply, schedule_active  # noqa: E402

BCU_NAME = "Central East"
#: uninterrupted runs first: the median of their durations is the range of the kill delays; the first's
#: effect is the reference every round must equal after resuming
REFERENCE_RUNS = 3
SEED_ACTOR = Actor.system("crash-test-seed")
HEADER = [
    "Full name",
    "Nickname",
    "Date of birth",
    "Home address",
    "Identity code",
    "Prolific firearms offender",
    "Knife carrier",
    "Rank",
    "Score",
    "Police intelligence",
    "Partner intelligence",
    "Borough",
    "Victim",
]


#: seconds spent, by phase, for the report
TIMES: dict[str, float] = {}


class Timed:
    def __init__(self, phase: str) -> None:
        self.phase = phase

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        TIMES[self.phase] = TIMES.get(self.phase, 0.0) + time.monotonic() - self.started


class Run:
    """One forked run of a command: killed after ``delay`` seconds, or left to finish (``delay`` None)."""

    def __init__(self, action: Callable[[], None], delay: float | None) -> None:
        connections.close_all()  # the child opens its own; a connection must never be shared across fork
        read_end, write_end = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: run the command, mark start and end on the pipe, never return
            os.close(read_end)
            code = 0
            try:
                os.write(write_end, b"S")
                action()
                os.write(write_end, b"E")
            except BaseException:  # noqa: BLE001 - reported, then the child exits non-zero
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(write_end)
        marks = b""
        if delay is not None:
            marks = os.read(read_end, 1)  # the delay counts from the command's start, not from the fork
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
        with Timed("waiting for the child"):
            _, status = os.waitpid(pid, 0)
        self.seconds = time.monotonic() - started
        while chunk := os.read(read_end, 16):
            marks += chunk
        os.close(read_end)
        self.killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        self.exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        #: where the kill landed: before the command started, during it, or after it had returned
        self.landed = "before" if marks == b"" else "during" if marks == b"S" else "after"
        if not self.killed and self.exit_code != 0:
            raise AssertionError(f"the command failed without being killed (exit status {self.exit_code})")
        _sessions_end()


def _narrowed(reference_seconds: float, run: Run) -> float:
    """The range of the next kill delays: narrowed after a kill that came once the command had returned.

    The uninterrupted runs that set the range may have been slower than the command is now (a cold cache, another
    process on the machine), and a kill after the end tests nothing; a kill during or before it keeps the range.
    """
    return reference_seconds * 0.8 if run.landed == "after" else reference_seconds


def _sessions_end() -> None:
    """On PostgreSQL, wait until the killed child's server session has gone (it may still be rolling back)."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if cursor.fetchone()[0] == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the killed command's database session did not end within 30 s")
            time.sleep(0.005)


def _quiet(name: str, *args: str) -> Callable[[], None]:
    def action() -> None:
        call_command(name, *args, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)

    return action


class Chain:
    """The audit chain, verified as it grows.

    ``custos audit_verify``'s own function (``log_verify``: every event from the first, every signed
    checkpoint) runs at the start, every ``FULL_EVERY`` rounds and at the end. After every kill, the events
    since the last check are verified the same way (each one's hash recomputed with ``event_hash``, its link
    to the one before, no gap in the numbering, the head naming the last), which keeps the cost per round
    flat while the log grows; the events before were verified already and the tables are append-only.
    """

    FULL_EVERY = 25

    def __init__(self) -> None:
        self.seq, self.hash = 0, GENESIS_HASH
        self.full("at the start")

    def full(self, where: str) -> None:
        with Timed("audit_verify (whole log)"):
            result = log_verify()
            assert result.ok, f"{where}: custos audit_verify fails: {result.reason}"
            self.since(where)

    def since(self, where: str) -> None:
        with Timed("audit chain (new events)"):
            for event in AuditEvent.objects.filter(seq__gt=self.seq).order_by("seq").iterator(chunk_size=2000):
                assert event.seq == self.seq + 1, f"{where}: audit event #{self.seq + 1} is missing"
                assert event.prev_hash == self.hash, f"{where}: audit event #{event.seq} does not follow #{self.seq}"
                assert event_hash(event) == event.hash, f"{where}: audit event #{event.seq} does not match its hash"
                self.seq, self.hash = event.seq, event.hash
            head = AuditHead.objects.get(pk=1)
            assert (head.last_seq, head.last_hash) == (self.seq, self.hash), f"{where}: the audit head is wrong"

    def verifies(self, where: str, number: int) -> None:
        if number % self.FULL_EVERY == 0:
            self.full(where)
        else:
            self.since(where)


def _last_seq() -> int:
    return int(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0)


def _verbs_since(seq: int) -> Counter[str]:
    return Counter(AuditEvent.objects.filter(seq__gt=seq).values_list("verb", flat=True))


def _key_unwraps(key_id: uuid.UUID, kek_id: str, wrapped: bytes) -> bytes:
    """The data key, unwrapped under the KEK the database names (raises if it does not unwrap)."""
    return get_provider().unwrap(kek_id, wrapped, context=_context(key_id))


def _people_decrypt(ids: set[uuid.UUID], where: str) -> list[tuple[str, str]]:
    """Decrypt every personal field of these people, their data keys read from the database (no cache).

    Returns (full name, date of birth) of each, sorted.
    """
    clear_cache()
    names = []
    with Timed("decrypting"):
        for person in Person.objects.filter(pk__in=ids):
            values = (person.full_name, person.aliases, person.addresses, person.date_of_birth)
            assert all(v is not None for v in values), f"{where}: {person.ref} did not decrypt"
            names.append((str(values[0]), str(values[3])))
    return sorted(names)


# --- import_matrix -------------------------------------------------------------------------------


def matrix_file(directory: Path, tag: str, rows: int) -> Path:
    """A legacy matrix of ``rows`` fictional people; every file has the same shape, only names differ.

    Row pattern: a victim (score 0), an uncorroborated row (police intelligence only), then
    three corroborated rows that become proposed nominations.
    """
    path = directory / f"matrix-{tag}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            kind = i % 5
            writer.writerow(
                [
                    f"Crashtest {tag} Person{i:04d}",
                    f"Nick{i}" if i % 2 else "",
                    (dt.date(1995, 1, 1) + dt.timedelta(days=37 * i)).isoformat(),
                    f"{i} Example Road, London E8 1AA (fictional)",
                    "IC1",
                    "yes" if kind == 2 else "no",
                    "yes" if kind == 3 else "no",
                    "red" if kind == 2 else "amber",
                    "0" if kind == 0 else str(10 + i % 7),
                    "Seen with group members at Example Park (fictional)",
                    "" if kind == 1 else "YOS report of association (fictional)",
                    "Hackney" if i % 2 else "Tower Hamlets",
                    "yes" if kind == 0 else "no",
                ]
            )
    return path


def _import_counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "items": IntelligenceItem.objects.count(),
        "scores": HarmScore.objects.count(),
        "nominations": Nomination.objects.count(),
        "index_entries": PersonIndex.objects.count(),
        "data_keys": DataKey.objects.count(),
        "live_data_keys": DataKey.objects.filter(wrapped__isnull=False).count(),
    }


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


def _imported_events(sha256: str) -> int:
    return sum(
        1
        for detail in AuditEvent.objects.filter(verb=Verb.MATRIX_IMPORTED).values_list("detail", flat=True)
        if detail.get("file_sha256") == sha256
    )


def crash_import(rounds: int, rng: random.Random, work: Path, size: int) -> dict[str, Any]:
    """``custos import_matrix``: one transaction per file, so a kill leaves the whole file or none of it."""
    chain = Chain()
    states: Counter[str] = Counter()
    landed: Counter[str] = Counter()
    reference: dict[str, Any] = {}
    reference_seconds = 0.0
    durations: list[float] = []
    for number in range(REFERENCE_RUNS + rounds):
        where = f"import round {number}"
        path = matrix_file(work, f"r{number:03d}", size)
        sha256 = read_table(path).sha256
        known = set(Person.objects.values_list("pk", flat=True))
        before, seq = _import_counts(), _last_seq()
        command = _quiet("import_matrix", str(path), "--bcu", BCU_NAME)
        if number < REFERENCE_RUNS:
            durations.append(Run(command, delay=None).seconds)
            reference_seconds = statistics.median(durations)
            reference = reference or {"counts": _delta(_import_counts(), before), "verbs": _verbs_since(seq)}
            assert reference["counts"]["people"] == size, f"{where}: the reference run imported {reference}"
        else:
            run = Run(command, delay=rng.uniform(0, reference_seconds))
            landed[run.landed] += 1
            reference_seconds = _narrowed(reference_seconds, run)
            # After the kill: the whole file with its events, or nothing at all.
            counts, verbs = _delta(_import_counts(), before), _verbs_since(seq)
            if counts == dict.fromkeys(counts, 0) and not verbs:
                states["nothing imported"] += 1
            else:
                assert counts == reference["counts"], f"{where}: partial import after the kill: {counts}"
                assert verbs == reference["verbs"], f"{where}: events after the kill: {verbs}"
                assert _imported_events(sha256) == 1, f"{where}: no single matrix.imported for the file"
                states["all imported"] += 1
            chain.since(where)
            # Resume: the operator runs the same import again.
            Run(command, delay=None)
        counts, verbs = _delta(_import_counts(), before), _verbs_since(seq)
        assert counts == reference["counts"], f"{where}: after resuming, counts {counts} != {reference['counts']}"
        assert verbs == reference["verbs"], f"{where}: after resuming, events {verbs} != {reference['verbs']}"
        assert _imported_events(sha256) == 1, f"{where}: the file is not recorded as imported exactly once"
        new = set(Person.objects.values_list("pk", flat=True)) - known
        expected = sorted(
            (f"Crashtest r{number:03d} Person{i:04d}", (dt.date(1995, 1, 1) + dt.timedelta(days=37 * i)).isoformat())
            for i in range(size)
        )
        assert _people_decrypt(new, where) == expected, f"{where}: the imported people are not the file's rows"
        chain.verifies(where, number)
    chain.full("at the end")
    return {
        "states": dict(states),
        "landed": dict(landed),
        "reference_seconds": [round(d, 3) for d in durations],
        "people_per_file": reference["counts"]["people"],
        "events_per_file": sum(reference["verbs"].values()),
    }


# --- rotate_keys ---------------------------------------------------------------------------------


def _live_keys() -> dict[uuid.UUID, tuple[str, bytes]]:
    rows = DataKey.objects.filter(wrapped__isnull=False).values_list("id", "kek_id", "wrapped")
    return {pk: (kek_id, bytes(wrapped or b"")) for pk, kek_id, wrapped in rows}


def _rotation_events_since(seq: int) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=seq, verb=Verb.KEYS_ROTATED).values_list("detail", flat=True))


def _check_keys(plain: dict[uuid.UUID, bytes], old_kek: str, old_ids: list[str], where: str) -> tuple[str, int]:
    """Every live data key unwraps under the KEK the database names, to the same key as before.

    The key file holds the old keys, or a new one before them. Returns the active KEK and how many
    data keys it wraps (if it is new).
    """
    provider = get_provider()
    active = provider.active_key_id()
    if active != old_kek:
        assert provider.key_ids() == [active, *old_ids], f"{where}: the key file is not the old keys + one new"
    else:
        assert provider.key_ids() == old_ids, f"{where}: the key file changed but has no new active KEK"
    live = _live_keys()
    assert set(live) == set(plain), f"{where}: the set of live data keys changed during rotation"
    under_new = 0
    for key_id, (kek_id, wrapped) in live.items():
        assert kek_id in (old_kek, active), f"{where}: data key wrapped by unexpected KEK {kek_id}"
        assert _key_unwraps(key_id, kek_id, wrapped) == plain[key_id], f"{where}: data key {key_id} changed"
        under_new += kek_id == active != old_kek
    return active, under_new


def _stray_key_copies(where: str) -> list[Path]:
    """Copies of the key file a killed rewrite left (the new file, not yet renamed into place): 0600 only."""
    data_dir = Path(os.environ["CUSTOS_DATA_DIR"])
    stray = sorted(data_dir.rglob("*.tmp"))
    for path in stray:
        assert path.stat().st_mode & 0o077 == 0, f"{where}: {path.name} is readable by others"
    return stray


def crash_rotate(rounds: int, rng: random.Random, work: Path, size: int) -> dict[str, Any]:
    """``custos rotate_keys``: a new KEK, then data keys re-wrapped in batches, each batch with its event."""
    bcu = bcus_resolve([BCU_NAME])[0]
    report = matrix_check(read_table(matrix_file(work, "rotate", size)), boroughs=_boroughs(bcu), bcu_name=bcu.name)
    matrix_import(actor=SEED_ACTOR, bcu=bcu, report=report)
    chain = Chain()
    states: Counter[str] = Counter()
    landed: Counter[str] = Counter()
    reference_seconds = 0.0
    durations: list[float] = []
    batch = "25"
    for number in range(REFERENCE_RUNS + rounds):
        where = f"rotation round {number}"
        provider = get_provider()
        old_kek, old_ids = provider.active_key_id(), provider.key_ids()
        plain = {key_id: _key_unwraps(key_id, kek, wrapped) for key_id, (kek, wrapped) in _live_keys().items()}
        seq = _last_seq()
        command = _quiet("rotate_keys", "--batch-size", batch)
        if number < REFERENCE_RUNS:
            durations.append(Run(command, delay=None).seconds)
            reference_seconds = statistics.median(durations)
        else:
            run = Run(command, delay=rng.uniform(0, reference_seconds))
            landed[run.landed] += 1
            reference_seconds = _narrowed(reference_seconds, run)
            active, under_new = _check_keys(plain, old_kek, old_ids, where)
            if _stray_key_copies(where):
                assert active == old_kek, f"{where}: a key file copy left behind after the new file was in place"
                states["killed while writing the key file (a 0600 copy left until the next write)"] += 1
            events = _rotation_events_since(seq)
            rewrapped = sum(e["rewrapped"] for e in events if e["step"] == "rewrapped" and e["kek"] == active)
            assert rewrapped == under_new, f"{where}: {under_new} keys re-wrapped but events say {rewrapped}"
            created = [e for e in events if e["step"] == "kek_created"]
            if active == old_kek:
                assert not events, f"{where}: rotation events but no new KEK"
                states["no new KEK yet"] += 1
            elif under_new == len(plain):
                states["finished"] += 1
            elif under_new == 0:
                states["new KEK, nothing re-wrapped"] += 1
            else:
                states["part re-wrapped"] += 1
            if active != old_kek and not created:
                states["new KEK without its kek_created event"] += 1
            chain.since(where)
            # Resume as the help says: a plain re-run makes the KEK if none was made, else --resume finishes.
            Run(_quiet("rotate_keys", "--batch-size", batch, *(["--resume"] if active != old_kek else [])), None)
        active, under_new = _check_keys(plain, old_kek, old_ids, where)
        assert active != old_kek, f"{where}: no new KEK after resuming"
        assert under_new == len(plain), f"{where}: {len(plain) - under_new} data keys not re-wrapped after resuming"
        events = _rotation_events_since(seq)
        rewrapped = sum(e["rewrapped"] for e in events if e["step"] == "rewrapped")
        assert rewrapped == len(plain), f"{where}: events record {rewrapped} re-wraps for {len(plain)} data keys"
        # The resumed run records a KEK whose creation event the kill lost (rotate_keys), once.
        created = [e for e in events if e["step"] == "kek_created" and e["kek"] == active]
        assert len(created) == 1, f"{where}: the new KEK has {len(created)} kek_created events after resuming"
        assert not _stray_key_copies(where), f"{where}: a copy of the key file is left after resuming"
        chain.verifies(where, number)
    chain.full("at the end")
    everyone = set(Person.objects.values_list("pk", flat=True))
    _people_decrypt(everyone, "after every rotation")
    return {
        "states": dict(states),
        "landed": dict(landed),
        "reference_seconds": [round(d, 3) for d in durations],
        "data_keys": DataKey.objects.filter(wrapped__isnull=False).count(),
        "batch_size": int(batch),
    }


def _boroughs(bcu: BCU) -> list[str]:
    return [b.name for b in bcu.boroughs.all()]


# --- retention_sweep -----------------------------------------------------------------------------


def _people_due(work: Path, tag: str, size: int) -> tuple[list[Person], list[Person]]:
    """Import ``size`` new people; schedule the erasure of ``size // 2`` of them (as ``review_decide`` would,
    grace ended), a quarter of those on a data-subject request. The other half are due a review.
    """
    bcu = bcus_resolve([BCU_NAME])[0]
    report = matrix_check(read_table(matrix_file(work, tag, size)), boroughs=_boroughs(bcu), bcu_name=bcu.name)
    known = set(Person.objects.values_list("pk", flat=True))
    matrix_import(actor=SEED_ACTOR, bcu=bcu, report=report)
    people = sorted(Person.objects.exclude(pk__in=known), key=lambda p: str(p.pk))
    doomed, reviewed = people[: size // 2], people[size // 2 :]
    decided = timezone.now() - dt.timedelta(days=30)
    version = schedule_active().version
    with transaction.atomic():
        reviews = Review.objects.bulk_create(
            [
                Review(
                    data_key_id=p.data_key_id,
                    person=p,
                    person_ref=p.ref,
                    bcu_id=p.bcu_id,
                    trigger=Trigger.SUBJECT_REQUEST if i % 4 == 0 else Trigger.MANUAL,
                    schedule_version=version,
                    due_on=decided.date(),
                    status=Review.Status.REMOVAL_SCHEDULED,
                    decision="remove",
                    reasons="No longer meets the criteria (crash test).",
                    decided_at=decided,
                    erasure_due_at=decided + dt.timedelta(days=14),
                )
                for i, p in enumerate(doomed)
            ]
        )
        events_record(
            actor=SEED_ACTOR,
            specs=[
                EventSpec(
                    verb=Verb.REVIEW_DECIDED,
                    object_type="review",
                    object_ref=r.ref,
                    targets=[r.person_ref],
                    detail={"decision": "remove", "trigger": r.trigger},
                )
                for r in reviews
            ],
        )
    return doomed, reviewed


def _erasure_states(
    doomed: list[tuple[uuid.UUID, uuid.UUID]], seq: int, ledger_refs: Counter[str], where: str
) -> Counter[str]:
    """Each person due for erasure is wholly there or wholly erased (tombstone, event, shred, delete)."""
    ids = [pid for pid, _ in doomed]
    present = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    keys = [k for _, k in doomed]
    live = set(DataKey.objects.filter(pk__in=keys, wrapped__isnull=False).values_list("pk", flat=True))
    tombstones = Counter(
        Tombstone.objects.filter(person_ref__in=[f"person:{p}" for p in ids]).values_list("person_ref", flat=True)
    )
    erased_events: Counter[str] = Counter()
    for targets in AuditEvent.objects.filter(seq__gt=seq, verb=Verb.PERSON_ERASED).values_list("targets", flat=True):
        erased_events.update(targets)
    refs = [f"person:{p}" for p in ids]
    reviews = dict(Review.objects.filter(person_ref__in=refs).values_list("person_ref", "status"))
    leftovers = {
        "items": set(IntelligenceItem.objects.filter(person_id__in=ids).values_list("person_id", flat=True)),
        "index": set(PersonIndex.objects.filter(person_id__in=ids).values_list("person_id", flat=True)),
        "scores": set(HarmScore.objects.filter(person_id__in=ids).values_list("person_id", flat=True)),
        "nominations": set(Nomination.objects.filter(person_id__in=ids).values_list("person_id", flat=True)),
    }
    states: Counter[str] = Counter()
    for pid, key_id in doomed:
        ref = f"person:{pid}"
        if pid in present:
            whole = key_id in live and not tombstones[ref] and not erased_events[ref]
            whole = whole and reviews.get(ref) == Review.Status.REMOVAL_SCHEDULED
            assert whole, f"{where}: {ref} is half-erased (still in the register)"
            states["ledger ahead (rolled back)" if ledger_refs[ref] else "untouched"] += 1
        else:
            gone = key_id not in live and tombstones[ref] == 1 and erased_events[ref] == 1 and ledger_refs[ref] >= 1
            gone = gone and reviews.get(ref) == Review.Status.ERASED
            gone = gone and not any(pid in rows for rows in leftovers.values())
            assert gone, f"{where}: {ref} is half-erased (gone from the register)"
            states["erased"] += 1
    return states


def _open_reviews(ids: list[uuid.UUID], seq: int, where: str) -> int:
    """People due a review have at most one open review each, and each opened review has its event."""
    opened = list(Review.objects.filter(person_id__in=ids, status=Review.Status.OPEN).values_list("person_id", "id"))
    assert len({pid for pid, _ in opened}) == len(opened), f"{where}: a person has two open reviews"
    refs = {f"review:{rid}" for _, rid in opened}
    events = set(
        AuditEvent.objects.filter(seq__gt=seq, verb=Verb.REVIEW_OPENED, object_ref__in=refs).values_list(
            "object_ref", flat=True
        )
    )
    assert events == refs, f"{where}: {len(refs - events)} opened review(s) have no review.opened event"
    return len(opened)


def crash_sweep(rounds: int, rng: random.Random, work: Path, size: int) -> dict[str, Any]:
    """``custos retention_sweep``: erasures one transaction per batch, then reviews opened, escalations."""
    today = (timezone.localdate() + dt.timedelta(days=5 * 365)).isoformat()
    command = _quiet("retention_sweep", "--today", today, "--no-progress")
    Run(command, delay=None)  # the register's existing backlog, so that round 0 has only its own work
    chain = Chain()
    states: Counter[str] = Counter()
    landed: Counter[str] = Counter()
    reference: dict[str, int] = {}
    reference_seconds = 0.0
    durations: list[float] = []
    all_reviewed: set[uuid.UUID] = set()
    for number in range(REFERENCE_RUNS + rounds):
        where = f"sweep round {number}"
        with Timed("seeding"):
            doomed_people, reviewed_people = _people_due(work, f"s{number:03d}", size)
        doomed = [(p.pk, p.data_key_id) for p in doomed_people]
        reviewed = [p.pk for p in reviewed_people]
        seq = _last_seq()
        if number < REFERENCE_RUNS:
            durations.append(Run(command, delay=None).seconds)
            reference_seconds = statistics.median(durations)
        else:
            run = Run(command, delay=rng.uniform(0, reference_seconds))
            landed[run.landed] += 1
            reference_seconds = _narrowed(reference_seconds, run)
            with Timed("erasure checks"):
                refs = Counter(e.person_ref for e in ledger.read())  # the ledger's own chain is checked too
                states.update(_erasure_states(doomed, seq, refs, where))
            opened = _open_reviews(reviewed, seq, where)
            states["reviews opened before the kill"] += opened
            chain.since(where)
            Run(command, delay=None)  # resume: the operator runs the sweep again
        refs = Counter(e.person_ref for e in ledger.read())
        after = _erasure_states(doomed, seq, refs, where)
        assert after == Counter(erased=len(doomed)), f"{where}: after resuming, {after}"
        opened = _open_reviews(reviewed, seq, where)
        all_reviewed.update(reviewed)
        result = {"erased": len(doomed), "opened": opened}
        if number == 0:
            reference = result
        assert result == reference, f"{where}: after resuming {result}, uninterrupted {reference}"
        assert any(v == Verb.RETENTION_SWEPT for v in _verbs_since(seq)), (
            f"{where}: the resumed sweep did not record retention.swept"
        )
        duplicates = sum(1 for pid, _ in doomed if refs[f"person:{pid}"] > 1)
        states["ledger lines repeated after resuming"] += duplicates
        chain.verifies(where, number)
    # Nobody the sweeps should have opened a review for is still without one.
    due = candidates_find(schedule_active().definition, today=dt.date.fromisoformat(today))[0]
    left = [c for c in due if c.person_id in all_reviewed]
    assert not left, f"after every round, {len(left)} people are still due a review with none open"
    # What the server does when it starts: nobody the ledger names is back.
    reapplied = ledger_reapply(actor=Actor.system("erasure-ledger"))
    assert not reapplied.reapplied, f"the erasure ledger re-applied {len(reapplied.reapplied)} erasures"
    # Then a restore from a backup taken before those erasures (it holds none of their tombstones): re-applying
    # the ledger, as ``custos restore`` and the server do, writes one tombstone each, also for the people a
    # killed-then-resumed sweep left named twice in the ledger.
    twice = sorted(ref for ref, n in Counter(e.person_ref for e in ledger.read()).items() if n > 1)
    if twice:
        Tombstone.objects.filter(person_ref__in=twice).delete()
        reapplied = ledger_reapply(actor=Actor.system("restore"))
        assert reapplied.reapplied == twice, "re-applying the ledger after a restore did not write the tombstones"
        tombstones = Counter(Tombstone.objects.filter(person_ref__in=twice).values_list("person_ref", flat=True))
        assert tombstones == Counter(twice), "re-applying the ledger did not write one tombstone each"
    states["people named twice in the ledger, re-applied after a restore"] = len(twice)
    chain.full("at the end")
    return {
        "states": dict(states),
        "landed": dict(landed),
        "reference_seconds": [round(d, 3) for d in durations],
        **reference,
    }


OPERATIONS = {"import": crash_import, "rotate": crash_rotate, "sweep": crash_sweep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("operation", choices=sorted(OPERATIONS))
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--size", type=int, default=40, help="people per round (rotation: people seeded once)")
    parser.add_argument("--work", type=Path, required=True, help="a directory for the generated files")
    options = parser.parse_args()
    rng = random.Random(f"{options.seed}-{options.operation}")
    started = time.monotonic()
    report = OPERATIONS[options.operation](options.rounds, rng, options.work, options.size)
    report["phase_seconds"] = {k: round(v, 1) for k, v in TIMES.items()}
    report.update(operation=options.operation, rounds=options.rounds, seconds=round(time.monotonic() - started, 1))
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
