"""Loading the fingerprint index for a scan: the register, canaries and erased people, in one ``Index``.

Each kind of subject is a ``FingerprintSource``; a scan loads every source
in ``SOURCES``. ``CanarySource`` is the canary lookup: the fingerprints of
every canary that an export registered (``services.canary_register``), with
the export, who made it and when, so a finding can name them.

Loading needs the DLP key and the tables of this app, never the KEK: a
scanning host can do it.
"""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.utils import timezone

from custos.crypto.dlp_key import dlp_key_id
from custos.dlp.models import Canary, CanaryFingerprint, ErasedFingerprint, Fingerprint, IndexState
from custos.dlp.scanner import SUBJECT_CANARY, SUBJECT_ERASED, SUBJECT_REGISTER, Index, Subject


class IndexStale(Exception):
    """The index was built with another DLP key (or never built): rebuild it before scanning."""


class FingerprintSource(Protocol):
    """Somewhere fingerprints of subjects come from."""

    kind: str

    def load_into(self, index: Index, *, now: dt.datetime) -> int:
        """Add every current subject and its fingerprints; returns how many subjects."""
        ...


class RegisterSource:
    """Every person of the register (restricted people too: a copy of them is still a copy)."""

    kind = SUBJECT_REGISTER

    def load_into(self, index: Index, *, now: dt.datetime) -> int:
        # A million rows for 100,000 people: read with a plain cursor, not model instances, the subjects first.
        subjects: dict[object, int] = {}
        table = Fingerprint._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT person_id FROM {table}")  # noqa: S608 - no input in it
            for (person_id,) in cursor.fetchall():
                ref = f"person:{_uuid_text(person_id)}"
                subjects[person_id] = index.subject(Subject(SUBJECT_REGISTER, ref))
            cursor.execute(f"SELECT person_id, kind, digest FROM {table}")  # noqa: S608 - no input in it
            while rows := cursor.fetchmany(50_000):
                index.add_rows(rows, subjects)
        return len(subjects)


def _uuid_text(value: object) -> str:
    """A UUID as the database gives it (a UUID, or 32 hex digits on SQLite) in its usual form."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
    return str(uuid.UUID(str(value)))


class CanarySource:
    """The canary lookup: every registered canary, naming its export, exporter and date."""

    kind = SUBJECT_CANARY

    def load_into(self, index: Index, *, now: dt.datetime) -> int:
        subjects: dict[object, int] = {}
        for canary in Canary.objects.select_related("exported_by").order_by("exported_at"):
            subjects[canary.pk] = index.subject(
                Subject(
                    SUBJECT_CANARY,
                    canary.ref,
                    (
                        ("export", canary.export_ref),
                        ("exported_by", canary.exported_by.username),
                        ("exported_at", canary.exported_at.isoformat()),
                    ),
                )
            )
        for canary_id, kind, digest in CanaryFingerprint.objects.order_by().values_list("canary_id", "kind", "digest"):
            if canary_id in subjects:
                index.add(subjects[canary_id], kind, digest)
        return len(subjects)


class ErasedSource:
    """Erased people still within the watch period (``CUSTOS_DLP_ERASED_WATCH_DAYS``)."""

    kind = SUBJECT_ERASED

    def load_into(self, index: Index, *, now: dt.datetime) -> int:
        subjects: dict[str, int] = {}
        rows = (
            ErasedFingerprint.objects.filter(erased_at__gte=watch_since(now))
            .order_by()
            .values_list("person_ref", "erased_at", "kind", "digest")
        )
        for person_ref, erased_at, kind, digest in rows.iterator(chunk_size=20_000):
            subject = subjects.get(person_ref)
            if subject is None:
                detail = (("erased_on", timezone.localdate(erased_at).isoformat()),)
                subject = subjects[person_ref] = index.subject(Subject(SUBJECT_ERASED, person_ref, detail))
            index.add(subject, kind, digest)
        return len(subjects)


SOURCES: tuple[FingerprintSource, ...] = (RegisterSource(), CanarySource(), ErasedSource())


def watch_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.CUSTOS_DLP_ERASED_WATCH_DAYS)


def index_check() -> str:
    """The current DLP key's id, if the index was built with it; ``IndexStale`` otherwise."""
    key_id = dlp_key_id()
    state = IndexState.objects.filter(pk=1).first()
    if state is None:
        if Fingerprint.objects.exists():
            raise IndexStale("the fingerprint index has no key record: run 'custos dlp_index --rebuild'")
        return key_id
    if state.key_id != key_id:
        raise IndexStale("the fingerprint index was built with another DLP key: run 'custos dlp_index --rebuild'")
    return key_id


def index_load(*, now: dt.datetime | None = None) -> tuple[Index, dict[str, int]]:
    """Every source in one frozen ``Index``, and how many subjects each gave."""
    index_check()
    now = now or timezone.now()
    index = Index()
    # Millions of small objects that live as long as the scan: no garbage collection while they are made.
    collecting = gc.isenabled()
    gc.disable()
    try:
        counts = {source.kind: source.load_into(index, now=now) for source in SOURCES}
        index.freeze()
    finally:
        if collecting:
            gc.enable()
    return index, counts
