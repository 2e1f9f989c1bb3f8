"""Controlled exports: who may export, what each file holds (watermark, one canary), and the life of an export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Notification, Role, User
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent
from custos.dlp import exports
from custos.dlp.exports import export_create, export_destroyed, export_download, exports_expired_notify
from custos.dlp.models import Canary, CanaryFingerprint, Export, Finding
from custos.dlp.services import scan_run
from custos.register import services as register_services
from custos.register.models import Person
from custos.register.services import RuleBroken
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

PURPOSE = "OP-4711: pack for the weekly tasking meeting"
REASONS = "Deleted from my downloads folder and the recycle bin; no other copies."
NAMES = ["Tariq Okonkwo-Brennan", "Siobhan Achterberg", "Priya Lindqvist", "Kwame Fairweather"]


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def people(officer_a: User) -> list[Person]:
    return [
        a_person(
            officer_a,
            full_name=name,
            date_of_birth=dt.date(1995 + n, n + 3, 10 + n),
            addresses=[f"{10 + n} Kestrel Road, Hackney, London E{n + 1} {n + 1}AB"],
        )
        for n, name in enumerate(NAMES)
    ]


def make(actor: User, people: list[Person], fmt: str = "csv", **kwargs: Any) -> Export:
    kwargs.setdefault("purpose", PURPOSE)
    return export_create(actor=actor, fmt=fmt, people=[p.pk for p in people], **kwargs)


def rows_of(export: Export, content: bytes | None = None) -> tuple[list[str], list[list[str]]]:
    """The watermark lines and the table rows (heading first) of an export's file, parsed back."""
    data = content if content is not None else exports.export_path(export).read_bytes()
    if export.fmt == "csv":
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return [table[0][0]], table[1:]
    if export.fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        values = [[str(v) if v is not None else "" for v in row] for row in sheet.iter_rows(values_only=True)]
        marks = [values[0][0], sheet.oddHeader.center.text or "", sheet.oddFooter.center.text or ""]
        return marks, values[1:]
    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    return pages, [line.split() for page in pages for line in page.splitlines()]


def canary_rows(export: Export, table: list[list[str]], people: list[Person]) -> list[list[str]]:
    refs = {p.short_ref for p in people}
    body = table[1:] if export.fmt != "pdf" else [r for r in table if r and r[0].startswith("P-")]
    return [row for row in body if row[0] not in refs]


def verbs(prefix: str = "export.") -> list[str]:
    return list(AuditEvent.objects.filter(verb__startswith=prefix).order_by("seq").values_list("verb", flat=True))


def no_files() -> bool:
    folder = exports.export_dir()
    return not folder.exists() or not any(folder.iterdir())


# --- the file -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_each_format_is_watermarked_and_holds_exactly_one_canary(fmt: str, spoc_a: User, people: list[Person]) -> None:
    export = make(spoc_a, people, fmt=fmt)
    path = exports.export_path(export)
    assert path.parent == exports.export_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    marks, table = rows_of(export)
    mark = exports.watermark(export, "spoc_a")
    assert mark.startswith(f"CUSTOS EXPORT {export.short_ref} — spoc_a — ")
    assert "OFFICIAL-SENSITIVE" in mark
    assert f"destroy by {export.expires_on.isoformat()}" in mark
    if fmt == "pdf":
        assert all("OFFICIAL-SENSITIVE" in page and export.short_ref in page for page in marks)
        text = " ".join(marks)
        for person in people:
            assert person.short_ref in text
            assert person.full_name.split()[-1] in text
    else:
        assert all(m == mark for m in marks)
        assert table[0] == [exports.FIELDS[f] for f in exports.DEFAULT_FIELDS]
        assert len(table) - 1 == len(people) + 1
        found = {row[0] for row in table[1:]}
        assert {p.short_ref for p in people} <= found
    [canary] = canary_rows(export, table, people)
    assert canary[0].startswith("P-")
    assert export.people_count == len(people)
    assert export.people_refs == [p.ref for p in people]
    assert export.expires_on == timezone.localdate() + dt.timedelta(days=7)
    assert Canary.objects.get().export_ref == export.ref


def test_the_canary_is_at_a_random_row(spoc_a: User, people: list[Person]) -> None:
    positions = set()
    for _ in range(12):
        export = make(spoc_a, people)
        _, table = rows_of(export)
        [canary] = canary_rows(export, table, people)
        positions.add(table.index(canary))
    assert len(positions) > 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_the_scanner_names_the_export_its_user_and_date(
    fmt: str, spoc_a: User, central: User, people: list[Person], tmp_path: Path
) -> None:
    export = make(spoc_a, people, fmt=fmt)
    copy = tmp_path / "share" / f"my-list.{fmt}"
    copy.parent.mkdir()
    copy.write_bytes(exports.export_path(export).read_bytes())
    scan_run(actor=central, paths=[str(copy.parent)])
    [finding] = Finding.objects.filter(kind=Finding.Kind.CANARY)
    [detail] = finding.detail["canaries"]
    assert detail["export"] == export.ref
    assert detail["exported_by"] == "spoc_a"
    assert detail["exported_at"] == export.created_at.isoformat()


def test_the_canary_is_never_stored_in_plaintext(spoc_a: User, people: list[Person]) -> None:
    export = make(spoc_a, people)
    _, table = rows_of(export)
    [canary] = canary_rows(export, table, people)
    values = canary[1:5]  # name, date of birth, address, postcode (DEFAULT_FIELDS)
    stored = serializers.serialize(
        "json",
        [
            *Export.objects.all(),
            *Canary.objects.all(),
            *AuditEvent.objects.all(),
            *Notification.objects.all(),
        ],
    )
    digests = b"".join(bytes(d) for d in CanaryFingerprint.objects.values_list("digest", flat=True))
    for value in values:
        assert value
        assert value.lower() not in stored.lower(), value
        assert value.encode() not in digests
    assert CanaryFingerprint.objects.filter(canary__export_ref=export.ref).count() >= 3
    if connection.vendor == "sqlite":  # every row of every table, as SQL text: the canary is in none
        dump = "\n".join(connection.connection.iterdump()).lower()
        assert "kestrel road" not in dump  # the register's own data is encrypted at rest too
        for value in values:
            assert value.lower() not in dump, value


def test_the_export_is_a_logged_disclosure(spoc_a: User, people: list[Person]) -> None:
    export = make(spoc_a, people)
    event = AuditEvent.objects.get(verb="export.created")
    assert event.object_ref == export.ref
    assert event.targets == [p.ref for p in people]
    assert event.recipients == [f"user:{spoc_a.pk}"]
    assert event.purpose == PURPOSE
    assert event.detail["target_bcus"] == [spoc_a.bcu_code]
    registered = AuditEvent.objects.get(verb="dlp.canary_registered")
    assert registered.targets == [export.ref, f"user:{spoc_a.pk}"]
    # the rights app reads disclosures back for a subject access request
    from custos.rights.sar import disclosures_of

    assert list(disclosures_of(people[0].ref)) == [event]


# --- who may export, and bad input ------------------------------------------------------------------------------


def test_officers_and_analysts_may_not_export(officer_a: User, analyst_a: User, people: list[Person]) -> None:
    for user in (officer_a, analyst_a):
        with pytest.raises(PermissionDenied, match="BCU SPOC or central governance"):
            make(user, people)
    assert not Export.objects.exists()
    assert not Canary.objects.exists()
    assert verbs() == []
    assert no_files()


def test_a_spoc_exports_their_own_bcu_only(spoc_a: User, central: User, officer_b: User, people: list[Person]) -> None:
    foreign = a_person(officer_b, full_name="Zofia Pemberton")
    with pytest.raises(PermissionDenied, match="outside what you may export"):
        make(spoc_a, [*people, foreign])
    assert not Export.objects.exists()
    assert no_files()
    export = make(central, [*people, foreign])
    assert export.people_count == 5
    assert export.bcu_code == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"purpose": "tasking"}, "purpose"),
        ({"purpose": "OP-1: short"}, "purpose"),
        ({"fmt": "docx"}, "fmt"),
        ({"fields": ["reference", "bcu"]}, "fields"),
        ({"fields": ["full_name", "shoe_size"]}, "fields"),
        ({"expires_on": dt.date.today()}, "expires_on"),
        ({"expires_on": dt.date.today() - dt.timedelta(days=3)}, "expires_on"),
        ({"expires_on": dt.date.today() + dt.timedelta(days=29)}, "expires_on"),
        ({"people": []}, "people"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    change: dict[str, Any], field: str, spoc_a: User, people: list[Person]
) -> None:
    kwargs: dict[str, Any] = {"purpose": PURPOSE, "fmt": "csv", "people": [p.pk for p in people], **change}
    with pytest.raises(ValidationError) as caught:
        export_create(actor=spoc_a, **kwargs)
    assert field in caught.value.message_dict
    assert caught.value.message_dict[field][0].endswith(".")
    assert not Export.objects.exists()
    assert not Canary.objects.exists()
    assert AuditEvent.objects.filter(verb__in=["export.created", "dlp.canary_registered"]).count() == 0
    assert no_files()


def test_the_longest_expiry_is_allowed(spoc_a: User, people: list[Person]) -> None:
    last = timezone.localdate() + dt.timedelta(days=exports.MAX_DAYS)
    assert make(spoc_a, people, expires_on=last).expires_on == last


# --- download, expiry, destruction ----------------------------------------------------------------------------


def test_download_once_then_the_server_copy_is_gone(
    spoc_a: User, people: list[Person], django_capture_on_commit_callbacks: Any
) -> None:
    export = make(spoc_a, people)
    with django_capture_on_commit_callbacks(execute=True):
        content = export_download(actor=spoc_a, export=export)
    assert content.startswith(b"\xef\xbb\xbfCUSTOS EXPORT")
    assert not exports.export_path(export).exists()
    with pytest.raises(RuleBroken, match="once"):
        export_download(actor=spoc_a, export=export)
    assert verbs() == ["export.created", "export.downloaded"]


def test_expired_exports_are_chased_until_destruction_is_confirmed(
    spoc_a: User, central: User, make_user: Callable[..., User], bcu_a: Any, people: list[Person]
) -> None:
    other_spoc = make_user("spoc_a2", Role.BCU_SPOC, bcu_a)
    export = make(spoc_a, people)
    mine = make(central, people)
    assert exports_expired_notify() == 0
    Export.objects.filter(pk__in=[export.pk, mine.pk]).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    export.refresh_from_db()
    assert exports_expired_notify() == 2
    notices = Notification.objects.filter(kind="export_expired", done_at__isnull=True)
    assert sorted(n.recipient.username for n in notices) == ["central", "spoc_a", "spoc_a2"]
    notice = notices.get(recipient=spoc_a)
    assert export.short_ref in notice.message
    assert notice.link == reverse("web:export_destroyed", args=[export.pk])
    assert not exports.export_path(export).exists()  # the server's copy of an expired file is removed
    with pytest.raises(RuleBroken, match="expired"):
        export_download(actor=spoc_a, export=export)
    # a notice marked done comes back while the export is not destroyed; an open one is not repeated
    notice.done_at = timezone.now()
    notice.save()
    exports_expired_notify()
    assert Notification.objects.filter(kind="export_expired", recipient=spoc_a, done_at__isnull=True).count() == 1
    assert Notification.objects.filter(kind="export_expired", recipient=other_spoc, done_at__isnull=True).count() == 1
    # only the exporter confirms, with reasons
    with pytest.raises(PermissionDenied):
        export_destroyed(actor=other_spoc, export=export, reasons=REASONS)
    with pytest.raises(ValidationError):
        export_destroyed(actor=spoc_a, export=export, reasons="gone")
    export = export_destroyed(actor=spoc_a, export=export, reasons=REASONS)
    assert export.destroyed_by == spoc_a
    assert not Notification.objects.filter(link=exports.destroy_link(export), done_at__isnull=True).exists()
    with pytest.raises(RuleBroken, match="already"):
        export_destroyed(actor=spoc_a, export=export, reasons=REASONS)
    assert exports_expired_notify() == 1  # central's own export is still overdue
    assert not Notification.objects.filter(link=exports.destroy_link(export), done_at__isnull=True).exists()
    assert verbs("export.destroyed") == ["export.destroyed"]
    assert verbs("export.swept") == ["export.swept"] * 4


def test_the_sweep_command(spoc_a: User, people: list[Person]) -> None:
    export = make(spoc_a, people)
    Export.objects.filter(pk=export.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=2))
    out = io.StringIO()
    call_command("export_sweep", stdout=out)
    assert "1 expired export" in out.getvalue()
    sent = AuditEvent.objects.get(verb="notification.sent", object_ref=export.ref)
    assert sent.actor_username == "system:export_sweep"
    assert Notification.objects.filter(recipient=spoc_a, kind="export_expired").exists()


# --- the pages --------------------------------------------------------------------------------------------------


def nominee(officer: User, name: str, n: int) -> Person:
    person = a_person(officer, full_name=name, date_of_birth=dt.date(1990 + n, 2, 3 + n))
    an_item(officer, person, source_reference=f"CAD {n}")
    an_item(officer, person, source_type="partner_agency", source_reference=f"YOS {n}", criterion="weapon_knife")
    register_services.nomination_propose(actor=officer, person=person, reasons="Two independent sources agree.")
    return person


def test_export_from_the_matrix_download_and_confirm_destruction(
    spoc_a: User, officer_a: User, client_for: Callable[[User], Client]
) -> None:
    nominated = [nominee(officer_a, name, n) for n, name in enumerate(NAMES[:3])]
    client = with_purpose(client_for(spoc_a))
    matrix = client.get(reverse("web:matrix"), {"bcu": spoc_a.bcu_code})
    assert b'id="export-matrix"' in matrix.content
    new = reverse("web:export_new") + f"?bcu={spoc_a.bcu_code}&status=proposed"
    page = client.get(new)
    assert page.status_code == 200
    assert b"3 people" in page.content
    refused = client.post(new, {"purpose": "", "fmt": "csv", "columns": ["full_name", "date_of_birth"]})
    assert refused.status_code == 200
    assert b"Declare the purpose of the export" in refused.content
    no_name = client.post(new, {"purpose": PURPOSE, "fmt": "pdf", "columns": ["reference", "bcu"]})
    assert b"Include the name and at least one of" in no_name.content
    last_year = timezone.localdate() - dt.timedelta(days=365)
    past = {"expires_on_0": last_year.day, "expires_on_1": last_year.month, "expires_on_2": last_year.year}
    too_old = client.post(new, {"purpose": PURPOSE, "fmt": "csv", "columns": ["full_name", "postcode"], **past})
    assert b"The destroy-by date must be in the future." in too_old.content
    assert no_files()
    assert not Export.objects.exists()
    done = client.post(new, {"purpose": PURPOSE, "fmt": "xlsx", "columns": ["reference", "full_name", "postcode"]})
    assert done.status_code == 302
    export = Export.objects.get()
    assert export.filters == {"bcu": spoc_a.bcu_code, "status": "proposed"}
    assert export.people_refs == [p.ref for p in nominated]
    listing = client.get(reverse("web:exports"))
    assert export.short_ref.encode() in listing.content
    download = client.get(reverse("web:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="custos-export-{export.short_ref}.xlsx"'
    assert "no-store" in download["Cache-Control"]
    _, table = rows_of(export, download.content)
    assert len(canary_rows(export, table, nominated)) == 1
    again = client.get(reverse("web:export_download", args=[export.pk]))
    assert again.status_code == 410
    destroyed = reverse("web:export_destroyed", args=[export.pk])
    assert client.post(destroyed, {"reasons": "gone"}).status_code == 200
    assert client.post(destroyed, {"reasons": REASONS}).status_code == 302
    export.refresh_from_db()
    assert export.destroyed_reasons == REASONS
    assert verbs() == ["export.created", "export.downloaded", "export.destroyed"]
    assert json.dumps(export.filters).isascii()


def test_pages_refuse_who_may_not_export(
    officer_a: User,
    spoc_a: User,
    make_user: Callable[..., User],
    bcu_b: Any,
    people: list[Person],
    client_for: Callable[[User], Client],
) -> None:
    officer = with_purpose(client_for(officer_a))
    assert officer.get(reverse("web:exports")).status_code == 403
    assert officer.get(reverse("web:export_new")).status_code == 403
    assert officer.post(reverse("web:export_new"), {"purpose": PURPOSE, "fmt": "csv"}).status_code == 403
    assert b'id="export-matrix"' not in officer.get(reverse("web:matrix")).content
    export = make(spoc_a, people)
    assert officer.get(reverse("web:export_download", args=[export.pk])).status_code == 403
    assert officer.get(reverse("web:export_destroyed", args=[export.pk])).status_code == 404
    spoc_b = with_purpose(client_for(make_user("spoc_b", Role.BCU_SPOC, bcu_b)))
    assert spoc_b.get(reverse("web:export_download", args=[export.pk])).status_code == 404
    assert spoc_b.post(reverse("web:export_destroyed", args=[export.pk]), {"reasons": REASONS}).status_code == 404
    assert export.short_ref.encode() not in spoc_b.get(reverse("web:exports")).content
    export.refresh_from_db()
    assert export.downloaded_at is None
    assert export.destroyed_at is None
    assert verbs() == ["export.created"]


def test_a_bcu_spoc_sees_but_cannot_confirm_a_colleagues_export(
    spoc_a: User, make_user: Callable[..., User], bcu_a: Any, people: list[Person], client_for: Callable[[User], Client]
) -> None:
    export = make(spoc_a, people)
    colleague = with_purpose(client_for(make_user("spoc_a2", Role.BCU_SPOC, bcu_a)))
    assert export.short_ref.encode() in colleague.get(reverse("web:exports")).content
    page = colleague.get(reverse("web:export_destroyed", args=[export.pk]))
    assert b'id="not-yours"' in page.content
    assert colleague.post(reverse("web:export_destroyed", args=[export.pk]), {"reasons": REASONS}).status_code == 403
    assert colleague.get(reverse("web:export_download", args=[export.pk])).status_code == 403
