"""Controlled exports: the one way personal data leaves Custos as a file (Annex 1 term 10).

``export_create`` authorises the exporter (``policies.may_export``: a BCU
SPOC for their own BCU's people, central governance for anyone's; officers
and analysts may not), requires a declared purpose, registers the export
(``Export``: who, why, whom by pseudonymous reference, format, expiry),
builds the file with a visible watermark and one **canary**: a plausible,
fictional person (Faker, en_GB) who exists only in this file, at a random
row, registered with ``services.canary_register`` so that the scanner names
this export, its user and its date wherever a copy turns up. The canary's
values are never stored, only the scanner's keyed hashes of them.

Files are written under ``$CUSTOS_DATA_DIR/exports/`` (mode 0600), handed
to the exporter once (``export_download``) and removed from the server
then. After ``expires_on`` (default 7 days, at most 28) an export that is not
confirmed destroyed is put on the task lists of the exporter and their BCU's
SPOC (``exports_expired_notify``, run by ``custos export_sweep``) until the
exporter confirms its destruction (``export_destroyed``), with reasons.

Events: ``export.created`` is a disclosure (s.62(3)(b)): ``targets`` are the
people exported, ``recipients`` the exporting user; then
``export.downloaded``, ``export.destroyed`` and ``export.swept``. None holds
personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import html
import io
import os
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from faker import Faker

from custos.accounts.models import Notification, Role, User
from custos.accounts.purpose import purpose_text_clean
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.dlp_key import dlp_hasher
from custos.crypto.envelope import preload
from custos.dlp import policies
from custos.dlp.fingerprints import Values, fingerprints
from custos.dlp.models import Export, FieldKind, Fingerprint
from custos.dlp.services import canary_register
from custos.register.models import Nomination, Person
from custos.register.policies import people_scope
from custos.register.services import RuleBroken

#: Field code -> column heading, in the order a file shows them.
FIELDS: dict[str, str] = {
    "reference": "Reference",
    "full_name": "Name",
    "aliases": "Aliases",
    "date_of_birth": "Date of birth",
    "address": "Address",
    "postcode": "Postcode",
    "bcu": "BCU",
    "band": "RAG band",
}
DEFAULT_FIELDS: tuple[str, ...] = ("reference", "full_name", "date_of_birth", "address", "postcode", "bcu", "band")
#: Fields that, with the name, let the scanner corroborate the canary (it needs two fields on a row).
_SECOND_FIELDS = frozenset({"date_of_birth", "address", "postcode"})
DEFAULT_DAYS = 7
MAX_DAYS = 28
MIN_REASONS = 10
MAX_PEOPLE = 20_000
NOTICE_KIND = "export_expired"


class ExportNotWritten(RuntimeError):
    """The export's file could not be written (a full disk, a quota): nothing was exported or recorded.

    The message says why in words a user can act on; it names no file and no person.
    """


_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")
_AREAS = ("E", "N", "NW", "SE", "SW", "W")
_rng = random.SystemRandom()


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def export_path(export: Export) -> Path:
    return export_dir() / export.file_name


def watermark(export: Export, username: str) -> str:
    """The line every export carries, on every page: who, when, how sensitive, until when."""
    made = timezone.localdate(export.created_at).isoformat()
    return (
        f"CUSTOS EXPORT {export.short_ref} — {username} — {made} — OFFICIAL-SENSITIVE — "
        f"destroy by {export.expires_on.isoformat()}"
    )


# --- validation --------------------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _purpose(text: str) -> str:
    return purpose_text_clean(text, field="purpose", example="OP-1234: tasking pack", of=" of the export")


def _format(fmt: str) -> str:
    if fmt not in _BUILDERS:
        raise ValidationError({"fmt": "Choose CSV, XLSX or PDF."})
    return fmt


def _fields(fields: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(fields or ()))
    unknown = [f for f in chosen if f not in FIELDS]
    if unknown:
        raise ValidationError({"fields": "Choose fields from the list."})
    if "full_name" not in chosen or not _SECOND_FIELDS & set(chosen):
        raise ValidationError({"fields": "Include the name and at least one of date of birth, address or postcode."})
    return [f for f in FIELDS if f in chosen]


def _expiry(expires_on: dt.date | None, today: dt.date) -> dt.date:
    if expires_on is None:
        return today + dt.timedelta(days=DEFAULT_DAYS)
    if expires_on <= today:
        raise ValidationError({"expires_on": "The destroy-by date must be in the future."})
    if expires_on > today + dt.timedelta(days=MAX_DAYS):
        raise ValidationError({"expires_on": f"The destroy-by date must be within {MAX_DAYS} days."})
    return expires_on


def _people(actor: User, people: QuerySet[Person] | Iterable[Any]) -> list[Person]:
    """The people asked for, each of whom the actor may see; refused if any is out of reach."""
    scope = people_scope(actor)
    _require(scope is not None, "Your account may not see personal data.")
    assert scope is not None  # for mypy: _require raised otherwise
    if isinstance(people, QuerySet):
        ids = list(people.values_list("pk", flat=True))
    else:
        ids = [p.pk if isinstance(p, Person) else p for p in people]
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationError({"people": "There is no one to export: change the filters."})
    if len(ids) > MAX_PEOPLE:
        raise ValidationError({"people": f"An export holds at most {MAX_PEOPLE} people: narrow the filters."})
    found = list(Person.objects.filter(scope, pk__in=ids).select_related("bcu").order_by("created_at", "pk"))
    if len(found) != len(ids):
        raise PermissionDenied("Some of these people are outside what you may export.")
    return found


# --- rows and the canary -----------------------------------------------------------------------------------------


def postcode_of(address: str) -> str:
    match = _POSTCODE.search(address.upper())
    return f"{match.group(1)} {match.group(2)}" if match else ""


def _row(person: Person, band: str) -> dict[str, str]:
    address = (person.addresses or [""])[0]
    return {
        "reference": person.short_ref,
        "full_name": person.full_name,
        "aliases": "; ".join(person.aliases or []),
        "date_of_birth": person.date_of_birth.strftime("%d/%m/%Y") if person.date_of_birth else "",
        "address": address,
        "postcode": postcode_of(address),
        "bcu": person.bcu.name,
        "band": band,
    }


@dataclass(frozen=True)
class CanaryPerson:
    """A plausible, fictional person planted in one export (its values are never stored)."""

    full_name: str
    date_of_birth: dt.date
    address: str
    postcode: str
    reference: str


def _name_is_taken(name: str) -> bool:
    digests = [d for kind, d in fingerprints(Values(full_name=name), dlp_hasher()) if kind == FieldKind.NAME]
    return Fingerprint.objects.filter(kind=FieldKind.NAME, digest__in=digests).exists()


def canary_make() -> CanaryPerson:
    """A plausible, fictional person whose name is nobody's in the register."""
    fake = Faker("en_GB")
    fake.seed_instance(_rng.getrandbits(64))
    name = f"{fake.first_name()} {fake.last_name()}"
    for _ in range(10):
        if not _name_is_taken(name):
            break
        name = f"{fake.first_name()} {fake.last_name()}"
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a UK inward code uses
    postcode = (
        f"{_rng.choice(_AREAS)}{_rng.randint(1, 20)} {_rng.randint(1, 9)}{_rng.choice(letters)}{_rng.choice(letters)}"
    )
    return CanaryPerson(
        full_name=name,
        date_of_birth=fake.date_of_birth(minimum_age=15, maximum_age=35),
        address=f"{_rng.randint(1, 240)} {fake.street_name()}, London {postcode}",
        postcode=postcode,
        reference="P-" + "".join(_rng.choice("0123456789ABCDEF") for _ in range(8)),
    )


def _canary_row(canary: CanaryPerson, like: dict[str, str] | None) -> dict[str, str]:
    return {
        "reference": canary.reference,
        "full_name": canary.full_name,
        "aliases": "",
        "date_of_birth": canary.date_of_birth.strftime("%d/%m/%Y"),
        "address": canary.address,
        "postcode": canary.postcode,
        "bcu": like["bcu"] if like else "",
        "band": like["band"] if like else "",
    }


# --- files -------------------------------------------------------------------------------------------------------


def _csv(mark: str, headings: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([mark])
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(mark: str, headings: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Export"
    sheet.append([mark])
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    for part in (sheet.oddHeader, sheet.oddFooter, sheet.evenHeader, sheet.evenFooter):
        if part is not None:
            part.center.text = mark
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_PDF_CSS = """
@page { size: A4 landscape; margin: 22mm 12mm 20mm 12mm;
  @top-center { content: "%(mark)s"; font: bold 8pt sans-serif; color: #b10e1e; }
  @bottom-center { content: "%(mark)s — page " counter(page) " of " counter(pages); font: 8pt sans-serif; } }
body { font: 8pt sans-serif; }
table { border-collapse: collapse; width: 100%%; }
th, td { border: 0.5pt solid #999; padding: 2pt 3pt; text-align: left; vertical-align: top; }
"""


def _pdf(mark: str, headings: list[str], rows: list[list[str]]) -> bytes:
    import weasyprint  # imported here: loading pango is slow and only PDF exports need it

    css_mark = mark.replace("\\", "\\\\").replace('"', '\\"')
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(mark)}</title></head>"
        f"<body><p><strong>{html.escape(mark)}</strong></p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"
    )
    css = weasyprint.CSS(string=_PDF_CSS % {"mark": css_mark})
    pdf: bytes = weasyprint.HTML(string=page).write_pdf(stylesheets=[css])
    return pdf


_BUILDERS = {"csv": _csv, "xlsx": _xlsx, "pdf": _pdf}


def _write(path: Path, content: bytes) -> None:
    """Write a new file readable by the service account only (0600), in a folder only it can enter."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        # On disk before the export is recorded: a file system that allocates late reports a full disk here.
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)


def _not_written(exc: OSError) -> ExportNotWritten:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "there is no space left on the device that holds exports"
    else:
        reason = f"the file system refused it ({exc.strerror or type(exc).__name__})"
    return ExportNotWritten(
        f"The export could not be written: {reason}. Nothing was exported or recorded; "
        "tell your system administrator, then try again."
    )


def _remove(export: Export) -> None:
    if export.file_name:
        export_path(export).unlink(missing_ok=True)


# --- services ----------------------------------------------------------------------------------------------------


def export_create(
    *,
    actor: User,
    purpose: str,
    fmt: str,
    people: QuerySet[Person] | Iterable[Any],
    fields: Sequence[str] = DEFAULT_FIELDS,
    expires_on: dt.date | None = None,
    filters: dict[str, str] | None = None,
) -> Export:
    """Export people the actor may see as a watermarked file with one canary; register and log it.

    Refused (``PermissionDenied``) for a role that may not export or for
    anyone out of the actor's reach; ``ValidationError`` by field for a
    missing purpose, an unknown format or field, an expiry in the past or
    beyond ``MAX_DAYS``, or no one to export. Nothing is written unless all
    is well; the file is written last, in the same transaction, and removed
    if the transaction fails. ``ExportNotWritten`` if the file cannot be
    written (a full disk): then no part of it is left and nothing is recorded.
    """
    _require(policies.may_export(actor), "Only a BCU SPOC or central governance may export personal data.")
    purpose = _purpose(purpose)
    fmt = _format(fmt)
    chosen = _fields(fields)
    now = timezone.now()
    expiry = _expiry(expires_on, timezone.localdate(now))
    found = _people(actor, people)
    preload(p.data_key_id for p in found)
    bands = dict(
        Nomination.objects.filter(person__in=[p.pk for p in found], status__in=Nomination.OPEN_STATUSES)
        .order_by("proposed_at")
        .values_list("person_id", "band")
    )
    rows = [_row(p, bands.get(p.pk, "") or "") for p in found]
    canary = canary_make()
    rows.insert(_rng.randint(0, len(rows)), _canary_row(canary, _rng.choice(rows) if rows else None))
    export = Export(
        created_by=actor,
        bcu_code=actor.bcu_code or "",
        purpose=purpose,
        fmt=fmt,
        fields=chosen,
        filters={k: v for k, v in (filters or {}).items() if v},
        people_count=len(found),
        people_refs=[p.ref for p in found],
        created_at=now,
        expires_on=expiry,
    )
    export.file_name = f"{export.pk}.{fmt}"
    content = _BUILDERS[fmt](
        watermark(export, actor.username), [FIELDS[f] for f in chosen], [[r[f] for f in chosen] for r in rows]
    )
    path = export_path(export)
    try:
        with transaction.atomic():
            export.save(force_insert=True)
            canary_register(
                actor=actor,
                export_ref=export.ref,
                exported_by=actor,
                exported_at=now,
                full_name=canary.full_name,
                date_of_birth=canary.date_of_birth,
                addresses=[canary.address],
            )
            event_record(
                actor=actor,
                verb=Verb.EXPORT_CREATED,
                object_type="export",
                object_ref=export.ref,
                targets=export.people_refs,
                purpose=purpose,
                recipients=[f"user:{actor.pk}"],
                detail={
                    "format": fmt,
                    "people": export.people_count,
                    "fields": chosen,
                    "filters": export.filters,
                    "expires_on": expiry.isoformat(),
                    "target_bcus": sorted({p.bcu.code for p in found}),
                },
            )
            try:
                _write(path, content)
            except OSError as exc:
                raise _not_written(exc) from None  # rolls back the record, the canary and the event
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return export


# --- sharing packages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageRegistration:
    """What the export service gives the sharing app for one package: its record, watermark and canary."""

    export: Export
    watermark: str
    canary: CanaryPerson | None


def package_register(
    *,
    actor: User,
    exporter: User,
    purpose: str,
    people: Sequence[Person],
    fields: Sequence[str],
    expires_on: dt.date,
    recipient: str,
    link: str,
    traceable: bool,
) -> PackageRegistration:
    """Register a sharing package through the export service; call inside the disclosure's transaction.

    The sharing app has already authorised the disclosure under its
    agreement (``custos.sharing``); this registers the package as an export
    (who asked, why, whom, expiry, the recipient), gives it its watermark
    and, when ``traceable`` (the package holds a name and a second field the
    scanner can corroborate), a canary registered
    like any export's. The disclosure event itself (``disclosure.made``,
    with its recipients) is the sharing app's; none is recorded here, so a
    disclosure is logged once.
    """
    now = timezone.now()
    export = Export(
        created_by=exporter,
        bcu_code=exporter.bcu_code or "",
        purpose=purpose,
        fmt=Export.Format.PACKAGE,
        fields=list(fields),
        people_count=len(people),
        people_refs=[p.ref for p in people],
        created_at=now,
        expires_on=expires_on,
        recipient=recipient,
        link=link,
    )
    export.save(force_insert=True)
    canary = None
    if traceable:
        canary = canary_make()
        canary_register(
            actor=actor,
            export_ref=export.ref,
            exported_by=exporter,
            exported_at=now,
            full_name=canary.full_name,
            date_of_birth=canary.date_of_birth,
            addresses=[canary.address],
        )
    return PackageRegistration(export=export, watermark=watermark(export, exporter.username), canary=canary)


def package_destroyed(*, actor: User | Actor, export_ref: str, confirmed_by: str) -> None:
    """The recipient confirmed a package destroyed: the export is closed and its notices are done.

    Called by the sharing app inside its own transaction, after checking the
    recipient's destruction code; records ``export.destroyed``.
    """
    export = Export.objects.select_for_update().get(pk=export_ref.removeprefix("export:"))
    if export.is_destroyed:
        return
    export.destroyed_at = timezone.now()
    export.destroyed_reasons = f"Destruction confirmed by the recipient ({confirmed_by})."
    export.save(update_fields=["destroyed_at", "destroyed_reasons"])
    Notification.objects.filter(kind=NOTICE_KIND, link=destroy_link(export), done_at__isnull=True).update(
        done_at=export.destroyed_at
    )
    event_record(
        actor=actor,
        verb=Verb.EXPORT_DESTROYED,
        object_type="export",
        object_ref=export.ref,
        detail={"expired": timezone.localdate() > export.expires_on, "package": True},
    )


def _mine(actor: User, export: Export, message: str) -> None:
    _require(policies.may_download_export(actor, export.created_by_id), message)


@transaction.atomic
def export_download(*, actor: User, export: Export) -> bytes:
    """Hand the file to its exporter, once; the server's copy is removed. Records ``export.downloaded``."""
    _mine(actor, export, "Only the person who made the export may download it.")
    export = Export.objects.select_for_update().get(pk=export.pk)
    if export.is_package:
        raise RuleBroken("A sharing package is downloaded from its disclosure's page.")
    if export.is_destroyed:
        raise RuleBroken("This export has been destroyed.")
    if export.downloaded_at is not None:
        raise RuleBroken("This export has already been downloaded: it can be downloaded once only.")
    if timezone.localdate() > export.expires_on:
        raise RuleBroken("This export has expired: confirm it is destroyed.")
    path = export_path(export)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise RuleBroken("The export's file is no longer on the server.") from None
    export.downloaded_at = timezone.now()
    export.save(update_fields=["downloaded_at"])
    event_record(
        actor=actor,
        verb=Verb.EXPORT_DOWNLOADED,
        object_type="export",
        object_ref=export.ref,
        detail={"format": export.fmt, "people": export.people_count},
    )
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return content


@transaction.atomic
def export_destroyed(*, actor: User, export: Export, reasons: str) -> Export:
    """The exporter confirms every copy is destroyed, saying how; the notices on task lists are done.

    Only the exporter; reasons required (at least ``MIN_REASONS``
    characters); refused if already confirmed. Removes any copy still on
    the server. Records ``export.destroyed``.
    """
    _require(
        policies.may_confirm_destruction(actor, export.created_by_id),
        "Only the person who made the export may confirm its destruction.",
    )
    export = Export.objects.select_for_update().get(pk=export.pk)
    if export.is_package:
        raise RuleBroken("A sharing package's destruction is confirmed by its recipient, with the code in the package.")
    if export.is_destroyed:
        raise RuleBroken("Destruction of this export is already confirmed.")
    reasons = " ".join((reasons or "").split())
    if len(reasons) < MIN_REASONS:
        raise ValidationError({"reasons": f"Say how every copy was destroyed (at least {MIN_REASONS} characters)."})
    export.destroyed_at = timezone.now()
    export.destroyed_by = actor
    export.destroyed_reasons = reasons
    export.save(update_fields=["destroyed_at", "destroyed_by", "destroyed_reasons"])
    Notification.objects.filter(kind=NOTICE_KIND, link=destroy_link(export), done_at__isnull=True).update(
        done_at=export.destroyed_at
    )
    event_record(
        actor=actor,
        verb=Verb.EXPORT_DESTROYED,
        object_type="export",
        object_ref=export.ref,
        detail={"expired": timezone.localdate() > export.expires_on, "downloaded": export.downloaded_at is not None},
    )
    path = export_path(export)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return export


def destroy_link(export: Export) -> str:
    return export.link or f"/exports/{export.pk}/destroyed/"


def _overdue_message(export: Export) -> str:
    if export.is_package:
        return (
            f"Sharing package {export.short_ref} to {export.recipient} passed its destroy-by date "
            f"({export.expires_on.isoformat()}): ask the recipient to confirm it is destroyed."
        )
    return (
        f"Export {export.short_ref} passed its destroy-by date "
        f"({export.expires_on.isoformat()}): its exporter must confirm it is destroyed."
    )


def _told(export: Export) -> list[User]:
    """Who is told an export has expired: its exporter and the SPOCs of its BCU."""
    people = [export.created_by]
    if export.bcu_code:
        people += list(
            User.objects.filter(role=Role.BCU_SPOC, bcu_code=export.bcu_code, is_active=True).exclude(
                pk=export.created_by_id
            )
        )
    return people


def exports_expired_notify(*, actor: User | Actor | None = None, today: dt.date | None = None) -> int:
    """Put every expired export not confirmed destroyed on its exporter's and BCU SPOC's task lists.

    A notice is made again if it was marked done while the export is still
    not destroyed. The server's copy of an expired file is removed. Records
    ``notification.sent`` for each export told about and ``export.swept``
    with the counts. Returns how many exports are overdue.
    """
    actor = actor or Actor.system("export_sweep")
    today = today or timezone.localdate()
    overdue = list(Export.objects.filter(destroyed_at__isnull=True, expires_on__lt=today).select_related("created_by"))
    told = 0
    for export in overdue:
        with transaction.atomic():
            link = destroy_link(export)
            open_for = set(
                Notification.objects.filter(kind=NOTICE_KIND, link=link, done_at__isnull=True).values_list(
                    "recipient_id", flat=True
                )
            )
            recipients = [u for u in _told(export) if u.pk not in open_for]
            if recipients:
                Notification.objects.bulk_create(
                    [
                        Notification(
                            recipient=user,
                            kind=NOTICE_KIND,
                            message=_overdue_message(export),
                            link=link,
                        )
                        for user in recipients
                    ]
                )
                export.expiry_notified_at = timezone.now()
                export.save(update_fields=["expiry_notified_at"])
                event_record(
                    actor=actor,
                    verb=Verb.NOTIFICATION_SENT,
                    object_type="export",
                    object_ref=export.ref,
                    targets=[f"user:{u.pk}" for u in recipients],
                    detail={"kind": NOTICE_KIND, "notified": len(recipients)},
                )
                told += 1
            _remove(export)
    event_record(
        actor=actor,
        verb=Verb.EXPORTS_SWEPT,
        object_type="export",
        object_ref="exports",
        detail={"overdue": len(overdue), "notified": told},
    )
    return len(overdue)


# --- reads (no personal data: counts, purposes, dates) ---------------------------------------------------------


def exports_for(*, viewer: User) -> QuerySet[Export]:
    """The exports the viewer sees: their own and, for a BCU SPOC or central governance, their BCU's or all."""
    _require(policies.may_list_exports(viewer), "Only a BCU SPOC or central governance may export personal data.")
    qs = Export.objects.select_related("created_by", "destroyed_by")
    if viewer.role == Role.CENTRAL_GOVERNANCE:
        return qs
    if viewer.bcu_code:
        return qs.filter(Q(created_by=viewer) | Q(bcu_code=viewer.bcu_code))
    return qs.filter(created_by=viewer)


def export_get_for(*, viewer: User, export_id: Any) -> Export:
    """One export the viewer may see (404 otherwise, as if it did not exist)."""
    export = Export.objects.select_related("created_by").filter(pk=export_id).first()
    if export is None or not policies.may_view_export(viewer, export.created_by_id, export.bcu_code):
        raise Http404("No such export.")
    return export


def is_overdue(export: Export, today: dt.date | None = None) -> bool:
    return export.destroyed_at is None and (today or timezone.localdate()) > export.expires_on
