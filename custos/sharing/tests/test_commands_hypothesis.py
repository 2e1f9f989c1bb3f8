"""The files the sharing commands read are refused cleanly when wrong (issue 8).

``custos isa draft FILE.json`` with the parts of an agreement changed deep
inside, cut short, any JSON value or junk bytes, and ``custos disclosure
request --people FILE.csv`` with any bytes, wrong headers and random cells:
each drafts or asks, or refuses with a ``CommandError`` that says why and
writes nothing. Never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.accounts.models import User
from custos.register.tests.fuzzing import FUZZ_DB, command_all_or_nothing, json_files, write
from custos.sharing.models import Agreement, Disclosure
from custos.sharing.tests.builders import RECIPIENT, an_agreement

pytestmark = pytest.mark.django_db

DRAFT = {
    "title": "Youth offending service referrals",
    "recipient_name": "Hackney Youth Offending Service",
    "recipient_kind": "statutory",
    "parties": ["Metropolitan Police Service", "London Borough of Hackney"],
    "legal_basis": "DPA 2018 s.35(2)(b) and s.31; Crime and Disorder Act 1998 s.115",
    "purpose": "Assessment and support of young people referred by the police.",
    "fields": ["reference", "full_name", "date_of_birth", "postcode", "band", "categories"],
    "categories": ["suspected_offender", "convicted_offender"],
    "bands": ["red", "amber"],
    "onward_sharing": "None without the police's written consent.",
    "retention_days": 30,
    "retention_rules": "Destroy after the panel decision.",
    "security": "OFFICIAL-SENSITIVE; encrypted storage; named staff only.",
    "recipient_key": RECIPIENT,
    "review_date": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
    "signatories": [
        {"name": "A. Signer", "role": "Detective Superintendent", "organisation": "Metropolitan Police Service"},
        {"name": "B. Signer", "role": "Head of Youth Justice", "organisation": "London Borough of Hackney"},
    ],
}


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sharing-command-fuzz-") as name:
        yield Path(name)


@FUZZ_DB
@given(data=json_files(DRAFT))
def test_an_agreement_file_is_drafted_or_refused_with_a_reason(folder: Path, iru: User, data: bytes) -> None:
    path = write(folder, "isa.json", data)
    command_all_or_nothing("isa", "draft", str(path), "--as-user", iru.username, tables=(Agreement,))


cell = st.sampled_from(["", "P-1A2B3C4D", "p-00000000", "P-XYZ", "Needed for the referral panel on Friday."]) | st.text(
    max_size=40
)
header = st.sampled_from([["person_ref", "necessity"], ["necessity", "person_ref"], ["person_ref"], ["ref", "why"]])


@FUZZ_DB
@given(
    data=st.one_of(
        st.binary(max_size=2048),
        st.tuples(header, st.lists(st.lists(cell, max_size=4), max_size=4)).map(lambda table: _csv(table[0], table[1])),
    )
)
def test_a_people_file_is_asked_for_or_refused_with_a_reason(
    folder: Path, iru: User, iru_2: User, spoc_a: User, data: bytes
) -> None:
    agreement = Agreement.objects.filter(status=Agreement.Status.APPROVED).first() or an_agreement(iru, iru_2)
    path = write(folder, "people.csv", data)
    command_all_or_nothing(
        "disclosure",
        "request",
        "--isa",
        agreement.code,
        "--purpose",
        "OP-2207: referral",
        "--people",
        str(path),
        "--as-user",
        spoc_a.username,
        tables=(Disclosure,),
    )


def _csv(head: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue().encode()
