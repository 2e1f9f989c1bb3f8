"""Writes of custos.dlp: the fingerprint index, canaries, scans and the findings workflow.

Each service authorises its actor (``policies``), validates, writes and
records its audit event in one transaction. Events name scans, findings and
canaries by reference (``scan:<uuid>``, ``finding:<uuid>``,
``canary:<uuid>``), never a file's path or a value that matched.

The index is derived data, written in the register's own transactions
(``receivers``): when a person is recorded or rectified their fingerprints
are (re)written; when a person is erased their fingerprints move to the
erased watchlist, with the tombstone's reference and no link to any row,
for ``CUSTOS_DLP_ERASED_WATCH_DAYS`` (ADR 11).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.models import Notification, User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.dlp_key import dlp_hasher, dlp_key_id
from custos.crypto.envelope import preload
from custos.dlp import policies
from custos.dlp.fingerprints import Values, fingerprints
from custos.dlp.index import IndexStale, index_check, index_load, watch_since
from custos.dlp.models import Canary, CanaryFingerprint, ErasedFingerprint, Finding, Fingerprint, IndexState, ScanRun
from custos.dlp.scanning import (
    FileOutcome,
    Report,
    Thresholds,
    cursor_from_json,
    scan_files,
    scanner_for,
    walk,
)
from custos.register.models import Person
from custos.register.services import RuleBroken

MIN_REASONS = 10
#: A running scan saves its cursor at least this often (seconds).
CHECKPOINT_SECONDS = 5.0


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _reasons(text: str, field: str = "reasons") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASONS:
        raise ValidationError({field: f"Give reasons (at least {MIN_REASONS} characters)."})
    return text


def _breach_ref(value: str) -> str | None:
    value = " ".join((value or "").split())
    if len(value) > 80:
        raise ValidationError({"breach_ref": "The breach reference must be 80 characters or fewer."})
    return value or None


# --- The fingerprint index ------------------------------------------------------------------------------------


def _values(person: Person) -> Values:
    return Values(
        full_name=person.full_name,
        aliases=list(person.aliases or []),
        date_of_birth=person.date_of_birth,
        addresses=list(person.addresses or []),
    )


def _state_ensure(key_id: str) -> None:
    IndexState.objects.get_or_create(pk=1, defaults={"key_id": key_id})


def fingerprints_write(*, people: Sequence[Person], replace: bool) -> int:
    """Write the fingerprints of people just recorded (or, with ``replace``, just rectified).

    Called by the register's signal inside its transaction: the index
    changes with the register or not at all. Raises ``KeyUnavailable`` if
    the DLP key is missing, so the register write fails closed.
    """
    if not people:
        return 0
    hasher = dlp_hasher()
    _state_ensure(dlp_key_id())
    if replace:
        Fingerprint.objects.filter(person__in=[p.pk for p in people]).delete()
    rows = [
        Fingerprint(person_id=person.pk, kind=kind, digest=digest)
        for person in people
        for kind, digest in fingerprints(_values(person), hasher)
    ]
    Fingerprint.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def fingerprints_watch(*, people: Sequence[Person], erased_at: dt.datetime) -> int:
    """Move the fingerprints of people being erased to the erased watchlist (same transaction).

    The person rows, and with them their fingerprints, are deleted next by
    the erasure; what is kept has the tombstone's reference and the erasure
    date only. Nothing is kept when the watch period is 0 days.
    """
    if not people or settings.CUSTOS_DLP_ERASED_WATCH_DAYS <= 0:
        return 0
    refs = {p.pk: p.ref for p in people}
    rows = [
        ErasedFingerprint(person_ref=refs[person_id], erased_at=erased_at, kind=kind, digest=digest)
        for person_id, kind, digest in Fingerprint.objects.filter(person__in=list(refs)).values_list(
            "person_id", "kind", "digest"
        )
    ]
    ErasedFingerprint.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@dataclass
class IndexReport:
    people_indexed: int = 0
    fingerprints: int = 0
    pruned: int = 0
    rebuilt: bool = False


def index_update(
    *,
    actor: User | Actor,
    rebuild: bool = False,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> IndexReport:
    """Bring the index up to date: index people who have no fingerprints, prune the watchlist.

    With ``rebuild``, every person's fingerprints are computed again (after
    a new DLP key, or a change of normalisation); the erased watchlist cannot
    be rebuilt (its people are gone) and is kept only if the key is the same.
    Needs the KEK (it decrypts the register): run it on the Custos host.
    Batches of ``batch_size`` people, one transaction each; ends with one
    ``dlp.indexed`` event. Authorised for system actors and central
    governance.
    """
    _require(policies.may_scan(actor), "Only central governance or the system may maintain the index.")
    key_id = dlp_key_id()
    report = IndexReport(rebuilt=rebuild)
    state = IndexState.objects.filter(pk=1).first()
    if not rebuild and state is not None and state.key_id != key_id:
        raise RuleBroken("The index was built with another DLP key: rebuild it (custos dlp_index --rebuild).")
    if rebuild:
        with transaction.atomic():
            Fingerprint.objects.all().delete()
            if state is not None and state.key_id != key_id:
                ErasedFingerprint.objects.all().delete()  # hashed with a key that is gone: useless
            IndexState.objects.update_or_create(pk=1, defaults={"key_id": key_id, "rebuilt_at": timezone.now()})
        ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    else:
        _state_ensure(key_id)
        indexed = set(Fingerprint.objects.order_by().values_list("person_id", flat=True).distinct())
        ids = [pk for pk in Person.objects.order_by("pk").values_list("pk", flat=True) if pk not in indexed]
    if total:
        total(len(ids))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            people = list(Person.objects.filter(pk__in=ids[start : start + batch_size]))
            preload([p.data_key_id for p in people])
            Fingerprint.objects.filter(person__in=[p.pk for p in people]).delete()
            report.fingerprints += fingerprints_write(people=people, replace=False)
            report.people_indexed += len(people)
        if progress:
            progress(len(people))
    with transaction.atomic():
        report.pruned, _ = ErasedFingerprint.objects.filter(erased_at__lt=watch_since(timezone.now())).delete()
        event_record(
            actor=actor,
            verb=Verb.DLP_INDEXED,
            object_type="dlp_index",
            object_ref=f"dlp_index:{key_id}",
            detail={
                "rebuilt": rebuild,
                "people_indexed": report.people_indexed,
                "fingerprints": report.fingerprints,
                "erased_pruned": report.pruned,
            },
        )
    return report


# --- Canaries ---------------------------------------------------------------------------------------------------


@transaction.atomic
def canary_register(
    *,
    actor: User | Actor,
    export_ref: str,
    exported_by: User,
    exported_at: dt.datetime,
    full_name: str,
    date_of_birth: dt.date | None = None,
    aliases: Sequence[str] = (),
    addresses: Sequence[str] = (),
) -> Canary:
    """Register the canary planted in one export, so that the scanner names the export wherever it is found.

    Called by the export service in its own transaction, with the fictional
    person it planted. Only the canary's fingerprints are kept (with the
    export's reference, who exported and when); it needs a full name and at
    least one more field, since a finding needs two corroborating fields.
    Records ``dlp.canary_registered``.
    """
    export_ref = (export_ref or "").strip()
    if not export_ref or len(export_ref) > 80:
        raise ValidationError({"export_ref": "Name the export (at most 80 characters)."})
    values = Values(full_name=full_name, aliases=aliases, date_of_birth=date_of_birth, addresses=addresses)
    if not " ".join((full_name or "").split()):
        raise ValidationError({"full_name": "A canary needs a name."})
    if date_of_birth is None and not addresses and not aliases:
        raise ValidationError({"full_name": "A canary needs a second field (date of birth, alias or address)."})
    _state_ensure(dlp_key_id())
    canary = Canary.objects.create(export_ref=export_ref, exported_by=exported_by, exported_at=exported_at)
    prints = fingerprints(values, dlp_hasher())
    CanaryFingerprint.objects.bulk_create([CanaryFingerprint(canary=canary, kind=k, digest=d) for k, d in prints])
    event_record(
        actor=actor,
        verb=Verb.DLP_CANARY_REGISTERED,
        object_type="canary",
        object_ref=canary.ref,
        targets=[export_ref, f"user:{exported_by.pk}"],
    )
    return canary


# --- Scans ------------------------------------------------------------------------------------------------------


def _thresholds() -> Thresholds:
    return Thresholds(
        min_people=max(1, settings.CUSTOS_DLP_MIN_PEOPLE),
        min_fields=max(1, settings.CUSTOS_DLP_MIN_FIELDS),
        max_bytes=settings.CUSTOS_DLP_MAX_FILE_MB << 20,
    )


def _roots(paths: Sequence[str]) -> list[Path]:
    if not paths:
        raise ValidationError({"paths": "Name at least one folder or file to scan."})
    roots = []
    for value in paths:
        path = Path(value).expanduser().resolve()
        if not path.exists():
            raise ValidationError({"paths": f"{value} does not exist."})
        roots.append(path)
    return roots


def _actor_name(actor: User | Actor) -> str:
    return actor.username


def scan_resumable(paths: Sequence[str]) -> ScanRun | None:
    """The latest scan of exactly these paths that did not finish."""
    roots = [str(p) for p in _roots(paths)]
    unfinished = ScanRun.objects.exclude(status=ScanRun.Status.FINISHED).order_by("-started_at")
    return next((run for run in unfinished if run.paths == roots), None)


def scan_run(
    *,
    actor: User | Actor,
    paths: Sequence[str],
    resume: bool = False,
    workers: int = 1,
    on_file: Callable[[FileOutcome], None] | None = None,
    on_start: Callable[[ScanRun], None] | None = None,
) -> ScanRun:
    """Scan folders and files for copies of register data, canaries and erased people; record findings.

    Authorises ``may_scan`` (central governance, a system administrator, or
    a scheduled task acting as the system). Loads the index (refusing one
    built with another DLP key), walks the paths in a stable order and reads
    each file (``workers`` processes). Each finding is recorded as found, in
    its own transaction with a ``dlp.finding_recorded`` event; a file
    already reported and not closed is updated rather than reported twice.
    The cursor (the last file done) is saved every few seconds, so an
    interrupted scan resumes (``resume``) after it. Records
    ``dlp.scan_started`` and, at the end (finished, interrupted or failed),
    ``dlp.scanned`` with the counts.
    """
    _require(policies.may_scan(actor), "Only central governance or a system administrator may run a scan.")
    roots = _roots(paths)
    try:
        key_id = index_check()
    except IndexStale as exc:
        raise RuleBroken(str(exc)) from exc
    run: ScanRun | None
    if resume:
        run = scan_resumable(paths)
        if run is None:
            raise RuleBroken("There is no unfinished scan of these paths to resume.")
    else:
        run = ScanRun(started_by=_actor_name(actor), paths=[str(r) for r in roots], started_at=timezone.now())
    with transaction.atomic():
        run.status = ScanRun.Status.RUNNING
        run.key_id = key_id
        run.save()
        event_record(
            actor=actor,
            verb=Verb.DLP_SCAN_STARTED,
            object_type="scan_run",
            object_ref=run.ref,
            detail={"paths": len(roots), "resumed": resume, "workers": workers},
        )
    if on_start:
        on_start(run)
    index, _ = index_load()
    scanner = scanner_for(index, dlp_hasher(), _thresholds())
    gc.freeze()  # millions of index objects: kept out of every garbage collection (and shared by forked workers)
    started = time.monotonic()
    last_saved = started
    already = run.seconds
    try:
        for outcome in scan_files(walk(roots, cursor_from_json(run.cursor)), scanner, workers=workers):
            run.files_scanned += 1
            run.bytes_scanned += outcome.bytes_read
            run.cursor = [outcome.cursor[0], list(outcome.cursor[1])]
            if outcome.reports:
                _outcome_record(actor=actor, run=run, outcome=outcome)
            elif time.monotonic() - last_saved > CHECKPOINT_SECONDS:
                run.seconds = already + time.monotonic() - started
                run.save(update_fields=["cursor", "files_scanned", "bytes_scanned", "seconds"])
                last_saved = time.monotonic()
            if on_file:
                on_file(outcome)
    except KeyboardInterrupt:
        gc.unfreeze()
        _scan_end(actor=actor, run=run, status=ScanRun.Status.INTERRUPTED, seconds=already + time.monotonic() - started)
        raise
    except Exception:
        gc.unfreeze()
        _scan_end(actor=actor, run=run, status=ScanRun.Status.FAILED, seconds=already + time.monotonic() - started)
        raise
    gc.unfreeze()
    _scan_end(actor=actor, run=run, status=ScanRun.Status.FINISHED, seconds=already + time.monotonic() - started)
    return run


@transaction.atomic
def _outcome_record(*, actor: User | Actor, run: ScanRun, outcome: FileOutcome) -> None:
    flagged = failed = False
    for report in outcome.reports:
        finding = _finding_upsert(run=run, outcome=outcome, report=report)
        flagged = flagged or report.kind in _COPY_KINDS
        failed = failed or report.kind not in _COPY_KINDS
        run.findings_recorded += 1
        event_record(
            actor=actor,
            verb=Verb.DLP_FINDING_RECORDED,
            object_type="finding",
            object_ref=finding.ref,
            targets=[run.ref],
            detail={"kind": report.kind, "people": report.people, "field_kinds": report.field_kinds},
        )
    run.files_flagged += int(flagged)
    run.files_failed += int(failed)
    run.save()


_COPY_KINDS = frozenset({Finding.Kind.REGISTER_DATA, Finding.Kind.CANARY, Finding.Kind.ERASED_PERSON})


def _finding_upsert(*, run: ScanRun, outcome: FileOutcome, report: Report) -> Finding:
    now = timezone.now()
    values = {
        "scan": run,
        "owner": outcome.owner,
        "size": report.size,
        "modified_at": outcome.modified,
        "people": report.people,
        "field_kinds": report.field_kinds,
        "refs": report.refs,
        "detail": report.detail,
        "last_seen_at": now,
    }
    finding = (
        Finding.objects.select_for_update()
        .filter(path=report.path, kind=report.kind)
        .exclude(status=Finding.Status.CLOSED)
        .first()
    )
    if finding is None:
        return Finding.objects.create(path=report.path, kind=report.kind, **values)
    for name, value in values.items():
        setattr(finding, name, value)
    finding.save(update_fields=list(values))
    return finding


def _scan_end(*, actor: User | Actor, run: ScanRun, status: str, seconds: float) -> None:
    with transaction.atomic():
        run.status = status
        run.seconds = seconds
        if status == ScanRun.Status.FINISHED:
            run.finished_at = timezone.now()
        run.save()
        event_record(
            actor=actor,
            verb=Verb.DLP_SCANNED,
            object_type="scan_run",
            object_ref=run.ref,
            detail={
                "status": status,
                "files": run.files_scanned,
                "bytes": run.bytes_scanned,
                "files_flagged": run.files_flagged,
                "files_failed": run.files_failed,
                "findings": run.findings_recorded,
            },
        )


# --- The findings workflow ----------------------------------------------------------------------------------------


def _open(finding: Finding) -> Finding:
    locked = Finding.objects.select_for_update().get(pk=finding.pk)
    if locked.status == Finding.Status.CLOSED:
        raise RuleBroken("This finding is closed.")
    return locked


@transaction.atomic
def finding_assign(*, actor: User, finding: Finding, assignee: User, purpose: str = "") -> Finding:
    """Assign a finding to someone who will see to the copy (a SPOC, central governance, the DPO).

    Authorises ``may_assign`` (central governance and the DPO); refused for
    a closed finding or an assignee whose role cannot take findings. Puts a
    notice on the assignee's task list (naming the finding by reference) and
    records ``dlp.finding_assigned``.
    """
    _require(policies.may_assign(actor), "Only central governance or the DPO may assign findings.")
    finding = _open(finding)
    if not policies.may_be_assigned(assignee):
        raise ValidationError({"assignee": "Choose a BCU SPOC, central governance or the DPO."})
    if finding.assignee_id == assignee.pk:
        raise RuleBroken("The finding is already assigned to them.")
    finding.assignee = assignee
    finding.assigned_at = timezone.now()
    if finding.status == Finding.Status.OPEN:
        finding.status = Finding.Status.ASSIGNED
    finding.save(update_fields=["assignee", "assigned_at", "status"])
    Notification.objects.create(
        recipient=assignee,
        kind="dlp_finding",
        message=f"Scan finding {finding.short_ref} is assigned to you: see that the copy is erased.",
        link=f"/dlp/findings/{finding.pk}/",
    )
    event_record(
        actor=actor,
        verb=Verb.DLP_FINDING_ASSIGNED,
        object_type="finding",
        object_ref=finding.ref,
        targets=[f"user:{assignee.pk}"],
        purpose=purpose,
        detail={"kind": finding.kind, "notified": True},
    )
    return finding


@transaction.atomic
def finding_copy_erased(
    *, actor: User, finding: Finding, reasons: str, breach_ref: str = "", purpose: str = ""
) -> Finding:
    """Confirm that the copy the finding points at has been erased, saying how.

    Authorises ``may_confirm_erasure`` (the assignee, central governance,
    the DPO); refused for a closed finding or one already confirmed. Reasons
    are required; a breach-register reference may be linked. Records
    ``dlp.copy_erased``. The next scan reports the file again if it is still
    there.
    """
    finding = _open(finding)
    _require(
        policies.may_confirm_erasure(actor, finding.assignee_id),
        "Only the person the finding is assigned to, central governance or the DPO may confirm erasure.",
    )
    if finding.status == Finding.Status.COPY_ERASED:
        raise RuleBroken("Erasure of this copy is already confirmed.")
    reasons = _reasons(reasons)
    breach = _breach_ref(breach_ref)
    finding.status = Finding.Status.COPY_ERASED
    finding.erasure_confirmed_by = actor
    finding.erasure_confirmed_at = timezone.now()
    finding.erasure_reasons = reasons
    fields = ["status", "erasure_confirmed_by", "erasure_confirmed_at", "erasure_reasons"]
    if breach:
        finding.breach_ref = breach
        fields.append("breach_ref")
    finding.save(update_fields=fields)
    event_record(
        actor=actor,
        verb=Verb.DLP_COPY_ERASED,
        object_type="finding",
        object_ref=finding.ref,
        purpose=purpose,
        detail={"kind": finding.kind, "breach_ref": finding.breach_ref or ""},
    )
    return finding


@transaction.atomic
def finding_close(*, actor: User, finding: Finding, reasons: str, breach_ref: str = "", purpose: str = "") -> Finding:
    """Close a finding: the copy is erased, or it was no copy (with reasons).

    Authorises ``may_close`` (central governance and the DPO); reasons
    required; a breach-register reference may be linked. Records
    ``dlp.finding_closed``.
    """
    _require(policies.may_close(actor), "Only central governance or the DPO may close findings.")
    finding = _open(finding)
    reasons = _reasons(reasons)
    breach = _breach_ref(breach_ref)
    finding.status = Finding.Status.CLOSED
    finding.closed_by = actor
    finding.closed_at = timezone.now()
    finding.closing_reasons = reasons
    fields = ["status", "closed_by", "closed_at", "closing_reasons"]
    if breach:
        finding.breach_ref = breach
        fields.append("breach_ref")
    finding.save(update_fields=fields)
    event_record(
        actor=actor,
        verb=Verb.DLP_FINDING_CLOSED,
        object_type="finding",
        object_ref=finding.ref,
        purpose=purpose,
        detail={"kind": finding.kind, "copy_erased": finding.erasure_confirmed_at is not None},
    )
    return finding


def assignees(candidates: Iterable[User]) -> list[User]:
    return [u for u in candidates if policies.may_be_assigned(u)]
