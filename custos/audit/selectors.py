"""Reads of the s.62 log, for auditors: search, export with a signed checkpoint, suspicious patterns.

Every selector that shows events authorises the reader
(``custos.audit.policies``) and records that the log itself was read
(``audit.searched``, ``audit.exported``, ``audit.patterns_reviewed``)
before returning, so a reader who cannot be logged sees nothing
(``AuditUnavailable``).

The log holds pseudonymous references only (``person:<uuid>``): readers
search by reference (``person:<uuid>`` or the short ``P-1A2B3C4D``), by
user, BCU, action and period, and never see a name or a word of
intelligence. This layer cannot read the register; the BCU of the people an
event names comes from the event itself (``detail["bcu"]``, or
``detail["target_bcus"]`` in the order of ``targets``), written by the
register's selectors at the time of the consultation.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import tempfile
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from custos.audit import policies
from custos.audit.checkpoints import checkpoint_create, checkpoint_export
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import consultation_record

#: Events that record a read of personal data (s.62 consultation).
CONSULTATION_VERBS: frozenset[str] = frozenset(
    {
        Verb.PERSON_CONSULTED,
        Verb.MATRIX_LISTED,
        Verb.PEOPLE_LISTED,
        Verb.PEOPLE_SEARCHED,
        Verb.INTELLIGENCE_CONSULTED,
        Verb.INTELLIGENCE_LISTED,
        Verb.NOMINATION_CONSULTED,
        Verb.REVIEWS_LISTED,
        Verb.REVIEW_CONSULTED,
        Verb.REQUEST_CONSULTED,
        Verb.SAR_COMPILED,
        Verb.DISCLOSURE_CONSULTED,
    }
)

#: The purposes the interfaces fill in when the user declared none (``"web: person page"``).
UNDECLARED_PREFIXES = ("web: ", "api: ")
#: A declared operation: ``REFERENCE: reason`` (``custos.accounts.purpose``).
_DECLARED = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}: \S.*", re.DOTALL)
_SHORT_REF = re.compile(r"P-?([0-9A-F]{8})", re.IGNORECASE)
_PERSON = "person:"


class Reader(Protocol):
    """Whoever reads the log: a user (``role``, ``pk``, ``username``, maybe ``bcu_code``)."""

    pk: Any
    username: str
    role: Any


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def person_ref_parse(value: str) -> str:
    """What a person filter matches: a full ``person:<uuid>``, or ``person:<first 8 hex>`` for a short ref.

    Accepts ``person:<uuid>``, a bare UUID and the short reference shown on
    screens (``P-1A2B3C4D``, any case). ``ValueError`` otherwise.
    """
    text = value.strip()
    if text.lower().startswith(_PERSON):
        text = text[len(_PERSON) :]
    if short := _SHORT_REF.fullmatch(text):
        return _PERSON + short.group(1).lower()
    try:
        return _PERSON + str(uuid.UUID(text))
    except ValueError as exc:
        raise ValueError("Enter a person reference like P-1A2B3C4D or person:<id>.") from exc


def person_short_ref(ref: str) -> str:
    """``P-1A2B3C4D`` for ``person:1a2b3c4d-…``, as the register shows it; other refs unchanged."""
    if ref.startswith(_PERSON) and len(ref) >= len(_PERSON) + 8:
        return "P-" + ref[len(_PERSON) : len(_PERSON) + 8].upper()
    return ref


def purpose_declared(purpose: str) -> bool:
    """True if the purpose names an operation (``OP-1234: reason``), not an interface's default."""
    text = purpose.strip()
    if not text or text.startswith(UNDECLARED_PREFIXES):
        return False
    return _DECLARED.fullmatch(text) is not None


# Search ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    """What to look for. ``person`` is the output of ``person_ref_parse``; blank filters match everything."""

    user: str = ""
    person: str = ""
    bcu: str = ""
    verb: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_detail(self) -> dict[str, str]:
        """The filters as recorded in the reader's own event (references and codes only)."""
        values = {
            "user": self.user,
            "person": self.person,
            "bcu": self.bcu,
            "verb": self.verb,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _period(qs: QuerySet[AuditEvent], date_from: dt.date | None, date_to: dt.date | None) -> QuerySet[AuditEvent]:
    """Events from the start of ``date_from`` to the end of ``date_to`` (local days, both inclusive)."""
    if date_from is not None:
        qs = qs.filter(occurred_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(occurred_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return qs


def events_matching(filters: LogFilters) -> QuerySet[AuditEvent]:
    """The events the filters select, newest first; logs nothing (callers log what they show).

    - ``user``: the acting account's username (any case) or numeric id;
    - ``person``: events about the person (``object_ref``) or naming them (``targets``);
    - ``bcu``: events by a user of that BCU, or about people of that BCU;
    - ``verb``: one kind of event; ``date_from``/``date_to``: local days, inclusive.
    """
    qs = AuditEvent.objects.all()
    if user := filters.user.strip():
        by_user = Q(actor_username__iexact=user)
        if user.isdigit():
            by_user |= Q(actor_id=int(user))
        qs = qs.filter(by_user)
    if ref := filters.person:
        exact = len(ref) > len(_PERSON) + 8
        object_match = Q(object_ref=ref) if exact else Q(object_ref__startswith=ref)
        # JSON text of the list: '["person:…", …]'; the quotes anchor the match to whole references.
        needle = f'"{ref}"' if exact else f'"{ref}'
        qs = qs.filter(object_match | Q(targets__icontains=needle))
    if code := filters.bcu:
        qs = qs.filter(
            Q(actor_bcu=code) | Q(detail__bcu=code) | Q(detail__target_bcus__icontains=f'"{code}"'),
        )
    if filters.verb:
        qs = qs.filter(verb=filters.verb)
    return _period(qs, filters.date_from, filters.date_to).order_by("-seq")


def log_page_for(
    *, viewer: Reader, filters: LogFilters, purpose: str, page_number: Any = 1, per_page: int = 50
) -> Page[AuditEvent]:
    """A page of matching events, newest first, for a reader of the log; records ``audit.searched``.

    ``PermissionDenied`` unless ``policies.may_read_log``. The event names
    the filters and the events shown (by sequence number).
    """
    _require(policies.may_read_log(viewer), "Your role does not give access to the audit log.")
    paginator = Paginator(events_matching(filters), per_page)
    page = paginator.get_page(page_number)
    shown = [event.seq for event in page.object_list]
    consultation_record(
        actor=viewer,
        verb=Verb.AUDIT_SEARCHED,
        object_type="audit_log",
        purpose=purpose,
        detail={
            "filters": filters.as_detail(),
            "page": page.number,
            "matching": paginator.count,
            "shown": [shown[-1], shown[0]] if shown else [],
        },
    )
    return page


# Export ------------------------------------------------------------------------------------------------------------

#: The columns of ``events.csv``: every field an event's hash covers, then the hash.
EXPORT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "actor_bcu",
    "verb",
    "verb_label",
    "object_type",
    "object_ref",
    "targets",
    "purpose",
    "recipients",
    "detail",
    "request_id",
    "prev_hash",
    "hash",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

EXPORT_README = """\
Custos audit log export
=======================

events.csv      the events that matched the filters in manifest.json, oldest first
checkpoint.json a signed checkpoint over the whole log, made when this export was made;
                every event in events.csv is among the first tree_size events it covers
checkpoint-key.pem, checkpoint-statement.txt, checkpoint-signature.bin
                the checkpoint's public key, signed statement and signature, for OpenSSL
manifest.json   who exported what, when, and the SHA-256 of events.csv

How to check it
---------------
1. The checkpoint's signature. checkpoint.json carries the exact signed statement,
   the Ed25519 signature and the public key (raw hex and PEM); the same three are
   here as files for OpenSSL:
     openssl pkeyutl -verify -pubin -inkey checkpoint-key.pem -rawin \
       -in checkpoint-statement.txt -sigfile checkpoint-signature.bin
   Compare the public key with the one the force publishes (or holds from earlier exports).
2. That the log still extends it. Whoever runs or inspects Custos (or a restored copy):
     custos audit_verify --checkpoint checkpoint.json
   checks the signature again, walks the whole chain and proves (RFC 6962 consistency
   proof) that today's log extends this checkpoint: nothing it covers was altered,
   removed or reordered since.
3. Each row. An event's hash is the SHA-256 of the UTF-8 bytes of this JSON object,
   keys sorted, no spaces (separators "," and ":"), non-ASCII characters kept as they are:
     seq, occurred_at, actor_id (a number, or null when empty), actor_username,
     actor_role, actor_bcu, verb, object_type, object_ref, targets (the JSON list),
     purpose, recipients (the JSON list), detail (the JSON object), request_id, prev_hash
   (verb_label is for reading only and is not hashed). It must equal the row's hash,
   and each row's prev_hash is the hash of the event numbered one before it.
   custos audit_verify --inclusion-proof SEQ prints the RFC 6962 proof that event SEQ
   is in the latest checkpoint.
4. The file. The SHA-256 of events.csv must equal events_sha256 in manifest.json,
   which the log also records in the audit.exported event of this export.

A cell whose text begins with = + - @ ' or a tab or carriage return has one
apostrophe (') put in front of it, so that spreadsheets do not run it as a formula;
remove that first apostrophe before checking hashes.

Events hold pseudonymous references (person:<id>), never names or intelligence.
"""


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def export_row(event: AuditEvent) -> list[str]:
    """One ``events.csv`` row: the hashed fields as text (lists and detail as canonical JSON)."""
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    values = [
        str(event.seq),
        occurred,
        "" if event.actor_id is None else str(event.actor_id),
        event.actor_username,
        event.actor_role,
        event.actor_bcu,
        event.verb,
        verb_label(event.verb),
        event.object_type,
        event.object_ref,
        _json(list(event.targets)),
        event.purpose,
        _json(list(event.recipients)),
        _json(event.detail),
        event.request_id,
        event.prev_hash,
        event.hash,
    ]
    return [_cell(v) for v in values]


def verb_label(verb: str) -> str:
    """The human label of a verb (the verb itself for one this version does not know)."""
    try:
        return str(Verb(verb).label)
    except ValueError:
        return verb


class _HashingText:
    """Text written to a binary stream as UTF-8, hashing every byte on the way."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.raw.write(data)
        return len(text)


@dataclass
class LogExport:
    """A finished export: ``file`` (a ZIP, positioned at its start) and what the log recorded about it."""

    file: IO[bytes]
    filename: str
    rows: int
    events_sha256: str
    checkpoint_id: int
    tree_size: int
    manifest: dict[str, Any] = field(default_factory=dict)


def log_export_for(*, viewer: Reader, filters: LogFilters, purpose: str) -> LogExport:
    """The matching events as ``events.csv`` in a ZIP with a signed checkpoint covering every one of them.

    ``PermissionDenied`` unless ``policies.may_export_log``. Signs a new
    checkpoint first (``checkpoint_create``; ``CheckpointRefused`` if the
    log does not verify, and nothing is exported), then writes the events up
    to it, oldest first, and records ``audit.exported`` with the filters,
    the row count and the SHA-256 of ``events.csv`` before handing it over.
    """
    _require(policies.may_export_log(viewer), "Your role may not export the audit log.")
    checkpoint = checkpoint_create().checkpoint
    document = checkpoint_export(checkpoint)
    exported_at = timezone.now()
    bundle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - handed to the response
    rows = 0
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("events.csv", "w", force_zip64=True) as raw:
            text = _HashingText(raw)
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            events = events_matching(filters).filter(seq__lte=checkpoint.tree_size).order_by("seq")
            for event in events.iterator(chunk_size=2000):
                writer.writerow(export_row(event))
                rows += 1
        events_sha256 = text.digest.hexdigest()
        manifest = {
            "format": "custos-audit-export-v1",
            "exported_at": exported_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exported_by": {"id": viewer.pk, "username": viewer.username, "role": str(viewer.role)},
            "filters": filters.as_detail(),
            "rows": rows,
            "events_sha256": events_sha256,
            "checkpoint": checkpoint.id,
            "tree_size": checkpoint.tree_size,
        }
        archive.writestr("checkpoint.json", json.dumps(document, indent=2, sort_keys=True) + "\n")
        archive.writestr("checkpoint-key.pem", document["public_key_pem"])
        archive.writestr("checkpoint-statement.txt", document["statement"])
        archive.writestr("checkpoint-signature.bin", bytes.fromhex(document["signature"]))
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        archive.writestr("README.txt", EXPORT_README)
    consultation_record(
        actor=viewer,
        verb=Verb.AUDIT_EXPORTED,
        object_type="audit_log",
        object_ref=f"audit_checkpoint:{checkpoint.id}",
        purpose=purpose,
        detail={
            "filters": filters.as_detail(),
            "rows": rows,
            "events_sha256": events_sha256,
            "tree_size": checkpoint.tree_size,
        },
    )
    bundle.seek(0)
    stamp = timezone.localtime(exported_at).strftime("%Y%m%d-%H%M%S")
    return LogExport(
        file=bundle,
        filename=f"custos-audit-{stamp}-checkpoint-{checkpoint.id}.zip",
        rows=rows,
        events_sha256=events_sha256,
        checkpoint_id=checkpoint.id,
        tree_size=checkpoint.tree_size,
        manifest=manifest,
    )


# Suspicious patterns -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorKey:
    """Who acted, as the events recorded them."""

    id: int | None
    username: str
    role: str
    bcu: str


@dataclass
class OutsideBcuRow:
    actor: ActorKey
    people: int
    consultations: int
    bcus: list[str]


@dataclass
class BusyDayRow:
    actor: ActorKey
    day: dt.date
    people: int


@dataclass
class UndeclaredRow:
    actor: ActorKey
    consultations: int
    people: int


@dataclass
class PatternsReport:
    """Consultations worth a look in a period; each list is most striking first."""

    date_from: dt.date
    date_to: dt.date
    daily_limit: int
    consultations: int
    outside_bcu: list[OutsideBcuRow]
    busy_days: list[BusyDayRow]
    undeclared: list[UndeclaredRow]


def _people_with_bcus(object_ref: str, targets: Iterable[Any], detail: Any) -> Iterator[tuple[str, str]]:
    """``(person ref, BCU code or "")`` for every person an event names."""
    detail = detail if isinstance(detail, dict) else {}
    one = detail.get("bcu") if isinstance(detail.get("bcu"), str) else ""
    if object_ref.startswith(_PERSON):
        yield object_ref, one
    targets = list(targets) if isinstance(targets, list) else []
    per_target = detail.get("target_bcus")
    per_target = per_target if isinstance(per_target, list) and len(per_target) == len(targets) else None
    for index, ref in enumerate(targets):
        if isinstance(ref, str) and ref.startswith(_PERSON):
            yield ref, one or (str(per_target[index]) if per_target is not None else "")


def patterns_for(
    *, viewer: Reader, date_from: dt.date, date_to: dt.date, daily_limit: int, purpose: str
) -> PatternsReport:
    """Consultations in a period that an auditor should look at; records ``audit.patterns_reviewed``.

    ``PermissionDenied`` unless ``policies.may_read_log``. Three lists, from
    the consultation events alone (references, never names):

    - users of a BCU-scoped role who consulted people of another BCU (by the
      BCU recorded in the event at the time);
    - users who consulted more than ``daily_limit`` different people in one
      day (local time);
    - users whose consultations named no operation (blank purpose, or the
      interface's default ``web: …``/``api: …``).
    """
    _require(policies.may_read_log(viewer), "Your role does not give access to the audit log.")
    outside_people: dict[ActorKey, set[str]] = defaultdict(set)
    outside_events: dict[ActorKey, int] = defaultdict(int)
    outside_bcus: dict[ActorKey, set[str]] = defaultdict(set)
    per_day: dict[tuple[ActorKey, dt.date], set[str]] = defaultdict(set)
    undeclared_events: dict[ActorKey, int] = defaultdict(int)
    undeclared_people: dict[ActorKey, set[str]] = defaultdict(set)
    total = 0
    rows = (
        _period(AuditEvent.objects.filter(verb__in=CONSULTATION_VERBS), date_from, date_to)
        .order_by("seq")
        .values_list(
            "actor_id",
            "actor_username",
            "actor_role",
            "actor_bcu",
            "occurred_at",
            "object_ref",
            "targets",
            "purpose",
            "detail",
        )
    )
    for actor_id, username, role, bcu, occurred_at, object_ref, targets, text, detail in rows.iterator(chunk_size=2000):
        total += 1
        actor = ActorKey(actor_id, username, role, bcu)
        people = list(_people_with_bcus(object_ref, targets, detail))
        refs = {ref for ref, _ in people}
        per_day[(actor, timezone.localtime(occurred_at).date())].update(refs)
        if bcu:
            elsewhere = [(ref, code) for ref, code in people if code and code != bcu]
            if elsewhere:
                outside_events[actor] += 1
                outside_people[actor].update(ref for ref, _ in elsewhere)
                outside_bcus[actor].update(code for _, code in elsewhere)
        if not purpose_declared(text):
            undeclared_events[actor] += 1
            undeclared_people[actor].update(refs)
    report = PatternsReport(
        date_from=date_from,
        date_to=date_to,
        daily_limit=daily_limit,
        consultations=total,
        outside_bcu=sorted(
            (
                OutsideBcuRow(actor, len(outside_people[actor]), outside_events[actor], sorted(outside_bcus[actor]))
                for actor in outside_events
            ),
            key=lambda r: (-r.people, -r.consultations, r.actor.username),
        ),
        busy_days=sorted(
            (BusyDayRow(actor, day, len(refs)) for (actor, day), refs in per_day.items() if len(refs) > daily_limit),
            key=lambda r: (-r.people, r.day, r.actor.username),
        ),
        undeclared=sorted(
            (
                UndeclaredRow(actor, undeclared_events[actor], len(undeclared_people[actor]))
                for actor in undeclared_events
            ),
            key=lambda r: (-r.consultations, r.actor.username),
        ),
    )
    consultation_record(
        actor=viewer,
        verb=Verb.AUDIT_PATTERNS_REVIEWED,
        object_type="audit_log",
        purpose=purpose,
        detail={
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "daily_limit": daily_limit,
            "consultations": total,
            "outside_bcu": len(report.outside_bcu),
            "busy_days": len(report.busy_days),
            "undeclared": len(report.undeclared),
        },
    )
    return report
