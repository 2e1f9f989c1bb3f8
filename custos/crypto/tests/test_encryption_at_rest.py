"""Personal data is only ever ciphertext in the database file and its WAL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from custos.crypto.envelope import clear_cache, shred
from custos.crypto.keys import KeyUnavailable
from custos.register.models import Person
from custos.register.tests.factories import a_person, an_item
from tests.server import custos_instance

pytestmark = pytest.mark.django_db

NAME = "Zebedee Quillfeather"
ALIAS = "Quillz"
ADDRESS = "77 Marigold Terrace, Hackney E8 9ZZ"
SUMMARY = "Observed near Wickham Lane holding a machete"
REASONS = "Corroborated by youth offending service referral"


def test_values_round_trip_through_the_encrypted_fields(officer_a):
    person = a_person(officer_a, full_name=NAME, aliases=[ALIAS], addresses=[ADDRESS], gender="male")
    clear_cache()
    loaded = Person.objects.get(pk=person.pk)
    assert (loaded.full_name, loaded.aliases, loaded.addresses, loaded.gender) == (NAME, [ALIAS], [ADDRESS], "male")
    assert loaded.date_of_birth == dt.date(2001, 5, 17)


def test_stored_value_is_ciphertext_bound_to_its_row(officer_a):
    first = a_person(officer_a, full_name=NAME)
    second = a_person(officer_a, full_name="Another Person")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name FROM register_person WHERE id = %s",
            [first.pk.hex if connection.vendor == "sqlite" else first.pk],
        )
        raw = bytes(cursor.fetchone()[0])
    assert NAME.encode() not in raw
    assert raw[:1] == b"\x01"
    # The same ciphertext pasted into another row does not open there.
    from custos.crypto.fields import Sealed

    moved = Person.objects.get(pk=second.pk)
    moved.__dict__["full_name"] = Sealed(raw)
    with pytest.raises(KeyUnavailable):
        _ = moved.full_name


def test_shredded_person_cannot_be_read(officer_a):
    person = a_person(officer_a, full_name=NAME)
    shred(person)
    clear_cache()
    with pytest.raises(KeyUnavailable):
        _ = Person.objects.get(pk=person.pk).full_name


def test_encrypted_fields_cannot_be_queried(officer_a):
    a_person(officer_a, full_name=NAME)
    with pytest.raises(TypeError):
        list(Person.objects.filter(full_name=NAME))


@pytest.mark.cli
def test_raw_sqlite_file_and_wal_hold_no_plaintext():
    """Opens the real database file and WAL of a running instance and greps them."""
    if not _sqlite_run():
        pytest.skip("this check reads a SQLite file; the PostgreSQL run checks pages below")
    with custos_instance() as inst:
        script = f"""
import datetime as dt
from custos.accounts.models import User
from custos.register.tests.factories import a_person, an_item
from custos.register.services import nomination_propose
from custos.register.models import BCU
u = User.objects.get(username="demo_officer")
p = a_person(u, full_name={NAME!r}, aliases=[{ALIAS!r}], addresses=[{ADDRESS!r}],
             date_of_birth=dt.date(1999, 12, 31), gender="female", observed_ethnicity="IC3",
             self_defined_ethnicity="B2")
an_item(u, p, summary={SUMMARY!r}, source_reference="Source Alpha-77")
an_item(u, p, summary={SUMMARY!r}, source_reference="Source Beta-88", source_type="partner_agency")
nomination_propose(actor=u, person=p, reasons={REASONS!r})
"""
        inst.custos("shell", "-c", script)
        db = Path(inst.database_url.removeprefix("sqlite:///"))
        blobs = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
        assert (
            Path(str(db) + "-wal").exists() or sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        )
        for needle in (
            NAME,
            "Zebedee",
            "Quillfeather",
            ALIAS,
            ADDRESS,
            "Marigold",
            SUMMARY,
            "machete",
            REASONS,
            "1999-12-31",
            "Source Alpha-77",
            "Alpha-77",
        ):
            for encoding in ("utf-8", "utf-16-le"):
                assert needle.encode(encoding) not in blobs, f"plaintext {needle!r} found in the database files"
            assert needle.lower().encode() not in blobs.lower()


def test_postgres_pages_hold_no_plaintext(officer_a):
    """On PostgreSQL, the rows as the server stores them hold only ciphertext."""
    person = a_person(officer_a, full_name=NAME, aliases=[ALIAS], addresses=[ADDRESS])
    an_item(officer_a, person, summary=SUMMARY)
    tables = ["register_person", "register_intelligenceitem", "register_personindex", "crypto_datakey"]
    with connection.cursor() as cursor:
        dump = b""
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                dump += repr(row).encode() + b"".join(bytes(v) for v in row if isinstance(v, bytes | memoryview))
    for needle in (NAME, ALIAS, ADDRESS, SUMMARY, "Zebedee", "machete"):
        assert needle.encode() not in dump


def _sqlite_run() -> bool:
    import os

    return not os.environ.get("CUSTOS_DATABASE_URL", "").startswith("postgres")
