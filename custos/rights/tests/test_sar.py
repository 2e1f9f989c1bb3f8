"""What a subject access package holds: every section, a real PDF, and nothing withheld."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from custos.accounts.models import User
from custos.register.models import Person
from custos.retention.services import person_restrict, restriction_lift, review_open
from custos.rights.sar import ITEM_SECTIONS, SECTIONS, Withheld, disclosures_of, sar_compile
from custos.rights.tests.helpers import disclose

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with runs of white space (line breaks in table cells) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_package_has_every_section(person: Person, spoc_a: User, iru: User, dpo: User) -> None:
    disclose(spoc_a, person, ["Hackney Council"], fields=["full_name", "date_of_birth"])
    review_open(actor=spoc_a, person=person)
    restriction = person_restrict(
        actor=iru, person=person, ground="accuracy_contested", reasons="Subject disputes an item."
    )
    restriction_lift(actor=dpo, restriction=restriction, reasons="Settled after checking the source.")
    package = sar_compile(person, request_ref="SR-TEST", pdf=False)
    data = json.loads(package.json_bytes)
    assert data["format"] == "custos-subject-access-v1"
    for name in SECTIONS:
        assert data[name] or name == "actions", f"section {name} is empty"  # actions: see the next test
    subject = data["subject"]
    assert subject["full_name"] == "Jordan Example"
    assert subject["aliases"] == ["JJ"]
    assert subject["date_of_birth"] == "2001-05-17"
    assert subject["addresses"] == ["12 Example Road, London E8 1AA"]
    [fact, assessment] = data["intelligence"]
    assert fact["fact_or_assessment"] == "Fact"
    assert assessment["fact_or_assessment"] == "Assessment"
    assert fact["recorded_as"] == "Suspected offender"
    assert fact["grade"]["code"] == "1BP"
    assert fact["what_it_says"] == "Seen carrying a bladed article at Mare Street"
    current = next(s for s in data["harm_scores"] if s["current"])
    assert {line["item"] for line in current["counted"]} == {fact["reference"], assessment["reference"]}
    assert all(line["reason"] for line in current["counted"])
    [nomination] = data["nominations"]
    assert nomination["status"] == "Active"
    [decision] = data["rag_decisions"]
    assert decision["band"] == "Amber"
    assert decision["reasons"] == "Recent violence, a knife."
    assert data["reviews"][0]["why"] == "Opened by hand"
    assert data["restrictions"][0]["reasons_for_lifting"] == "Settled after checking the source."
    [disclosure] = data["disclosures"]
    assert disclosure["recipients"] == ["Hackney Council"]
    assert disclosure["fields"] == ["full_name", "date_of_birth"]
    about = data["about_your_data"]
    assert about["recipients"] == ["Hackney Council"]
    assert about["origin"] == ["Partner agency", "Police"]
    assert about["rights"]
    # Staff are not named in the package.
    for name in ("officer_a", "spoc_a", "iru", "dpo"):
        assert f'"{name}"' not in package.json_bytes.decode()


def test_actions_are_in_the_package(person: Person, spoc_a: User) -> None:
    from custos.register.models import Action, ActionKind, Nomination

    kind = ActionKind.objects.create(code="test-youth-worker", label="Youth worker referral", kind="diversion")
    nomination = Nomination.objects.get(person=person)
    Action.objects.create(
        data_key_id=person.data_key_id,
        nomination=nomination,
        person=person,
        kind=kind,
        band="amber",
        basis="nominal",
        taken_on=nomination.proposed_at.date(),
        notes="Referred to a youth worker.",
        policy_version=1,
        recorded_by=spoc_a,
    )
    data = sar_compile(person, pdf=False).data
    [action] = data["actions"]
    assert action["action"] == "Youth worker referral"
    assert action["kind"] == "Diversion"
    assert action["notes"] == "Referred to a youth worker."
    assert action["nomination"] == nomination.ref
    # Withholding the nomination takes its actions with it.
    hidden = sar_compile(person, withheld=[Withheld(nomination.ref, "offences", "Offences")], pdf=False).data
    assert hidden["actions"] == []


def test_the_pdf_is_a_real_pdf_with_the_record(person: Person, spoc_a: User) -> None:
    disclose(spoc_a, person, ["Hackney Council"])
    package = sar_compile(person, request_ref="SR-TEST")
    assert package.pdf is not None
    assert package.pdf.startswith(b"%PDF-")
    text = pdf_text(package.pdf)
    assert "Jordan Example" in text
    assert "SR-TEST" in text
    assert "Seen carrying a bladed article" in text
    assert "Hackney Council" in text
    assert "Recent violence, a knife." in text
    assert "DRAFT" in text
    final = sar_compile(person, request_ref="SR-TEST", draft=False)
    assert final.pdf is not None
    assert "DRAFT" not in pdf_text(final.pdf)


def test_a_withheld_item_is_left_out_everywhere_and_listed_with_its_ground(person: Person, spoc_a: User) -> None:
    item = person.intelligence.get(source_type="partner_agency")
    event = disclose(spoc_a, person, ["Secret Partner"])
    withheld = [
        Withheld(part=item.ref, ground="offences", ground_label="Avoid prejudicing offences (s.45(4)(b))"),
        Withheld(part=f"disclosure:{event.seq}", ground="others_rights", ground_label="Others (s.45(4)(e))"),
    ]
    package = sar_compile(person, withheld=withheld)
    document = package.json_bytes.decode()
    assert item.ref not in json.dumps([package.data[name] for name in ITEM_SECTIONS])
    assert "Youth offending team assesses" not in document
    assert "Secret Partner" not in document
    assert all(item.ref not in n["corroborating_items"] for n in package.data["nominations"])
    for score in package.data["harm_scores"]:
        assert all(line["item"] != item.ref for line in score["counted"] + score["not_counted"])
    assert package.data["withheld"] == [
        {"part": item.ref, "ground": "Avoid prejudicing offences (s.45(4)(b))"},
        {"part": f"disclosure:{event.seq}", "ground": "Others (s.45(4)(e))"},
    ]
    assert package.pdf is not None
    text = pdf_text(package.pdf)
    assert "Youth offending team" not in text
    assert "Secret Partner" not in text
    assert "Information withheld" in text
    assert "Avoid prejudicing offences" in text


def test_a_part_withheld_without_telling_is_not_listed(person: Person) -> None:
    package = sar_compile(
        person,
        withheld=[Withheld(part="section:nominations", ground="inquiry", ground_label="Inquiry", tell_subject=False)],
    )
    assert package.data["nominations"] == []
    assert package.data["rag_decisions"] == []  # decisions on a withheld nomination go with it
    assert package.data["withheld"] == []
    assert package.data["withheld_note"] is None
    assert package.pdf is not None
    assert "Information withheld" not in pdf_text(package.pdf)


def test_a_section_withheld_and_told_reads_as_withheld(person: Person) -> None:
    package = sar_compile(
        person,
        withheld=[Withheld(part="section:intelligence", ground="inquiry", ground_label="Inquiry (s.45(4)(a))")],
        pdf=False,
    )
    assert package.data["intelligence"] is None
    for score in package.data["harm_scores"]:
        assert score["counted"] == []
    assert package.data["withheld"] == [{"part": "section:intelligence", "ground": "Inquiry (s.45(4)(a))"}]


def test_disclosures_are_events_naming_the_person_and_recipients(person: Person, spoc_a: User, officer_a: User) -> None:
    from custos.register.tests.factories import a_person

    other = a_person(officer_a, full_name="Someone Else")
    disclose(spoc_a, other, ["Not For Them"])
    mine = disclose(spoc_a, person, ["Hackney Council", "Homerton School"])
    assert [e.seq for e in disclosures_of(person.ref)] == [mine.seq]  # consultations name no recipient


def test_the_parts_offered_cover_every_section_and_item(person: Person) -> None:
    package = sar_compile(person, pdf=False)
    refs = {part.ref for part in package.parts}
    assert {f"section:{name}" for name in SECTIONS} <= refs
    assert {item.ref for item in person.intelligence.all()} <= refs


def test_a_compile_outside_a_request_is_authorised_and_logged(iru: User, officer_a: User, person: Person) -> None:
    from django.core.exceptions import PermissionDenied

    from custos.audit.models import AuditEvent, Verb
    from custos.rights import services

    package = services.sar_compile(actor=iru, person=person, purpose="BENCH-1: timing")
    assert package.data["subject"]["full_name"] == "Jordan Example"
    assert package.pdf is not None
    assert package.pdf.startswith(b"%PDF-")
    event = AuditEvent.objects.filter(verb=Verb.SAR_COMPILED).get()
    assert event.object_ref == person.ref
    assert event.detail["sha256"] == package.sha256
    assert event.purpose == "BENCH-1: timing"
    with pytest.raises(PermissionDenied):
        services.sar_compile(actor=officer_a, person=person)
