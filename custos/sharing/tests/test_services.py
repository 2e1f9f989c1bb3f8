"""Agreements and disclosures through the services: every rule, every refusal, and what a package holds."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from custos.accounts.models import Notification, User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.crypto.age import age_decrypt
from custos.dlp.exports import exports_expired_notify
from custos.dlp.models import Export, Finding
from custos.dlp.services import scan_run
from custos.register.models import Person
from custos.register.services import RuleBroken
from custos.register.tests.factories import a_person, an_item
from custos.retention.models import Tombstone
from custos.retention.services import people_erase, person_restrict
from custos.retention.tests.builders import a_nominal
from custos.sharing import rules, services
from custos.sharing.models import Agreement, Disclosure, DisclosureSubject
from custos.sharing.package import REDACTED
from custos.sharing.services import Asked
from custos.sharing.tests.builders import (
    IDENTITY,
    NECESSITY,
    PURPOSE,
    REASONS,
    agreement_input,
    an_agreement,
)

pytestmark = pytest.mark.django_db

NON_STATUTORY = {
    "title": "Housing tenancy support",
    "recipient_name": "Eastside Housing Association",
    "recipient_kind": "non_statutory",
}


def package_of(disclosure: Disclosure, actor: User) -> dict[str, Any]:
    """The package opened with the recipient's key: ``disclosure.json`` and the archive's other files."""
    plain = age_decrypt(services.package_download(actor=actor, disclosure=disclosure), IDENTITY)
    archive = zipfile.ZipFile(io.BytesIO(plain))
    document: dict[str, Any] = json.loads(archive.read("disclosure.json"))
    document["_files"] = {name: archive.read(name) for name in archive.namelist()}
    return document


def share(requester: User, approver: User, agreement: Agreement, people: list[Person]) -> Disclosure:
    disclosure = services.disclosure_request(
        actor=requester, agreement=agreement, purpose=PURPOSE, people=[Asked(p.pk, NECESSITY) for p in people]
    )
    return services.disclosure_approve(actor=approver, disclosure=disclosure, reasons=REASONS)


# --- the registry --------------------------------------------------------------------------------------------


def test_only_the_iru_approves_and_never_the_drafter(central: User, iru: User, iru_2: User, spoc_a: User) -> None:
    draft = services.agreement_draft(actor=iru, data=agreement_input())
    for who in (central, spoc_a, iru):
        with pytest.raises(PermissionDenied):
            services.agreement_approve(actor=who, agreement=draft)
    assert Agreement.objects.get(pk=draft.pk).status == Agreement.Status.DRAFT
    approved = services.agreement_approve(actor=iru_2, agreement=draft)
    assert approved.status == Agreement.Status.APPROVED
    assert approved.guidance_version == rules.GUIDANCE_VERSION
    assert AuditEvent.objects.filter(verb="isa.approved", object_ref=draft.ref).count() == 1


def test_an_officer_cannot_draft(officer_a: User) -> None:
    with pytest.raises(PermissionDenied):
        services.agreement_draft(actor=officer_a, data=agreement_input())
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "starts with 'age1'"),
        ("not a key", "starts with 'age1'"),
        ("age1" + "q" * 58, "not a valid age public key"),
        ("AGE-SECRET-KEY-1QQQ", "secret key"),
    ],
)
def test_a_malformed_key_is_refused_and_nothing_is_written(central: User, key: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.agreement_draft(actor=central, data=agreement_input(recipient_key=key))
    assert says in " ".join(refused.value.message_dict["recipient_key"])
    assert not Agreement.objects.exists()
    assert not AuditEvent.objects.filter(verb="isa.drafted").exists()


@pytest.mark.parametrize("field", ["ethnicity", "self_defined_ethnicity", "source_reference", "handling_code"])
def test_a_field_outside_the_catalogue_cannot_be_allowed(central: User, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.agreement_draft(actor=central, data=agreement_input(fields=["full_name", field]))
    assert "cannot be shared" in " ".join(refused.value.message_dict["fields"])
    assert not Agreement.objects.exists()


def test_a_draft_names_every_problem_at_once(central: User) -> None:
    with pytest.raises(ValidationError) as refused:
        services.agreement_draft(
            actor=central,
            data=agreement_input(
                title="",
                recipient_kind="charity",
                bands=[],
                retention_days=0,
                review_date=timezone.localdate(),
                signatories=[{"name": "Only a name"}],
            ),
        )
    assert set(refused.value.message_dict) >= {
        "title",
        "recipient_kind",
        "bands",
        "retention_days",
        "review_date",
        "signatories",
    }


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"fields": ["full_name", "date_of_birth", "intelligence"]}, rules.INTELLIGENCE_TEXT),
        ({"categories": ["suspected_offender", "victim"]}, rules.VICTIMS),
        ({"categories": ["suspected_offender", "witness"]}, rules.VICTIMS),
        ({"bands": ["red", "green"]}, rules.LOW_RISK),
        ({"bands": ["amber", "none"]}, rules.LOW_RISK),
    ],
)
def test_the_guidance_refuses_a_non_statutory_agreement_without_an_exception(
    central: User, iru: User, overrides: dict[str, Any], rule: str
) -> None:
    draft = services.agreement_draft(actor=central, data=agreement_input(**NON_STATUTORY, **overrides))
    with pytest.raises(ValidationError) as refused:
        services.agreement_approve(actor=iru, agreement=draft)
    assert "no statutory function" in " ".join(refused.value.message_dict[f"exception_{rule}"])
    assert Agreement.objects.get(pk=draft.pk).status == Agreement.Status.DRAFT
    with pytest.raises(ValidationError):  # reasons too short
        services.agreement_approve(actor=iru, agreement=draft, exceptions={rule: "ok"})
    approved = services.agreement_approve(
        actor=iru, agreement=draft, exceptions={rule: "Tenancy safeguarding panel agreed case by case."}
    )
    assert approved.exceptions == {rule: "Tenancy safeguarding panel agreed case by case."}


def test_the_same_scope_needs_no_exception_for_a_statutory_recipient(central: User, iru: User) -> None:
    agreement = an_agreement(
        central, iru, fields=["full_name", "intelligence"], categories=["victim", "suspected_offender"], bands=["green"]
    )
    assert agreement.status == Agreement.Status.APPROVED
    assert agreement.exceptions == {}


def test_an_approved_agreement_never_changes_and_is_renewed_as_a_new_draft(central: User, iru: User) -> None:
    agreement = an_agreement(central, iru)
    with pytest.raises(RuleBroken):
        services.agreement_update(actor=central, agreement=agreement, data=agreement_input(title="Changed"))
    renewed = services.agreement_renew(actor=central, agreement=agreement)
    assert renewed.status == Agreement.Status.DRAFT
    assert renewed.supersedes_id == agreement.pk
    assert renewed.code != agreement.code
    assert Agreement.objects.get(pk=agreement.pk).title == agreement.title


# --- disclosures: the checks -----------------------------------------------------------------------------------


def test_an_expired_agreement_blocks_requests_and_approvals_at_once(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru, review_date=timezone.localdate() + dt.timedelta(days=10))
    pending = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    later = timezone.now() + dt.timedelta(days=11)
    with time_machine.travel(later, tick=False):
        with pytest.raises(RuleBroken) as refused:
            services.disclosure_request(
                actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
            )
        assert "expired" in str(refused.value)
        with pytest.raises(RuleBroken):
            services.disclosure_approve(actor=spoc_a, disclosure=pending)
        assert services.agreements_expire(actor=Actor.system("test")) == 1
    assert Disclosure.objects.get(pk=pending.pk).status == Disclosure.Status.PENDING
    assert Disclosure.objects.count() == 1
    assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.EXPIRED
    assert not Export.objects.exists()


def test_a_draft_agreement_cannot_be_used(officer_a: User, spoc_a: User, central: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    draft = services.agreement_draft(actor=central, data=agreement_input())
    with pytest.raises(RuleBroken, match="draft"):
        services.disclosure_request(
            actor=officer_a, agreement=draft, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
        )


def test_the_requester_never_approves_their_own_request(
    spoc_a: User, officer_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    disclosure = services.disclosure_request(
        actor=spoc_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    with pytest.raises(PermissionDenied):
        services.disclosure_approve(actor=spoc_a, disclosure=disclosure)
    assert Disclosure.objects.get(pk=disclosure.pk).status == Disclosure.Status.PENDING
    assert services.disclosure_approve(actor=iru, disclosure=disclosure).status == Disclosure.Status.DISCLOSED


def test_a_spoc_approves_only_for_a_statutory_recipient_and_their_own_bcu(
    officer_a: User, spoc_a: User, central: User, iru: User, make_user: Any, bcu_b: Any
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    spoc_b = make_user("spoc_b", "bcu_spoc", bcu_b)
    agreement = an_agreement(central, iru, **NON_STATUTORY, bands=["red"])
    disclosure = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    for who in (spoc_a, spoc_b, central):
        with pytest.raises(PermissionDenied):
            services.disclosure_approve(actor=who, disclosure=disclosure)
    statutory = an_agreement(central, iru)
    other = services.disclosure_request(
        actor=officer_a, agreement=statutory, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    with pytest.raises(PermissionDenied):
        services.disclosure_approve(actor=spoc_b, disclosure=other)
    assert services.disclosure_approve(actor=spoc_a, disclosure=other).status == Disclosure.Status.DISCLOSED


def test_an_officer_cannot_ask_for_people_outside_their_bcu(
    officer_a: User, officer_b: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    with pytest.raises(PermissionDenied):
        services.disclosure_request(
            actor=officer_b, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
        )
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("role_fixture", ["auditor", "sysadmin"])
def test_roles_without_the_register_cannot_ask(
    request: Any, role_fixture: str, officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    with pytest.raises(PermissionDenied):
        services.disclosure_request(
            actor=request.getfixturevalue(role_fixture),
            agreement=agreement,
            purpose=PURPOSE,
            people=[Asked(red.pk, NECESSITY)],
        )


def test_every_person_failing_a_check_is_named_and_nothing_is_written(
    officer_a: User, spoc_a: User, central: User, iru: User, dpo: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red", name="Red Person")
    green = a_nominal(officer_a, spoc_a, band="green", name="Green Person")
    victim = a_person(officer_a, full_name="Victim Person")
    an_item(officer_a, victim, category="victim", criterion="victimisation")
    restricted = a_nominal(officer_a, spoc_a, band="red", name="Restricted Person")
    person_restrict(
        actor=dpo,
        person=restricted,
        ground="evidence",
        reasons="Kept as evidence for the inquiry.",
        roles=["central_governance"],
    )
    agreement = an_agreement(central, iru)
    with pytest.raises(ValidationError) as refused:
        services.disclosure_request(  # central governance sees the restricted person (it is named) but cannot share
            actor=central,
            agreement=agreement,
            purpose=PURPOSE,
            people=[
                Asked(red.pk, "too short"),
                Asked(green.pk, NECESSITY),
                Asked(victim.pk, NECESSITY),
                Asked(restricted.pk, NECESSITY),
            ],
        )
    lines = refused.value.message_dict["people"]
    text = " ".join(lines)
    assert f"{red.short_ref}: say why sharing is necessary" in text
    assert f"{green.short_ref}: band green" in text
    assert f"{victim.short_ref}: recorded as victim" in text or f"{victim.short_ref}: recorded only as victim" in text
    assert f"{restricted.short_ref}: processing is restricted" in text
    for name in ("Red Person", "Green Person", "Victim Person", "Restricted Person"):
        assert name not in text
    assert not Disclosure.objects.exists()
    assert not DisclosureSubject.objects.exists()
    assert not AuditEvent.objects.filter(verb="disclosure.requested").exists()


def test_a_bad_purpose_or_no_people_is_refused(officer_a: User, spoc_a: User, central: User, iru: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    with pytest.raises(ValidationError) as refused:
        services.disclosure_request(
            actor=officer_a, agreement=agreement, purpose="because", people=[Asked(red.pk, NECESSITY)]
        )
    assert "purpose" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.disclosure_request(actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[])
    assert "people" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.disclosure_request(
            actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked("not-a-uuid", NECESSITY)]
        )
    assert not Disclosure.objects.exists()


def test_a_person_restricted_after_the_request_is_not_shared(
    officer_a: User, spoc_a: User, central: User, iru: User, dpo: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    disclosure = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    person_restrict(
        actor=dpo, person=red, ground="evidence", reasons="Kept as evidence for the inquiry.", roles=["iru"]
    )
    with pytest.raises(ValidationError, match="restricted"):
        services.disclosure_approve(actor=iru, disclosure=disclosure)
    assert Disclosure.objects.get(pk=disclosure.pk).status == Disclosure.Status.PENDING
    assert not Export.objects.exists()


def test_refusal_and_withdrawal_need_the_right_person(officer_a: User, spoc_a: User, central: User, iru: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    first = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    with pytest.raises(ValidationError):
        services.disclosure_refuse(actor=iru, disclosure=first, reasons="no")
    refused = services.disclosure_refuse(
        actor=iru, disclosure=first, reasons="Not necessary: the panel has closed the case."
    )
    assert refused.status == Disclosure.Status.REFUSED
    with pytest.raises(RuleBroken):
        services.disclosure_approve(actor=iru, disclosure=first)
    second = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    with pytest.raises(PermissionDenied):
        services.disclosure_withdraw(actor=spoc_a, disclosure=second)
    assert services.disclosure_withdraw(actor=officer_a, disclosure=second).status == Disclosure.Status.WITHDRAWN


def test_approvers_are_told_and_the_notice_is_done_when_decided(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    disclosure = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    told = Notification.objects.filter(kind=services.NOTICE_KIND, done_at__isnull=True)
    assert set(told.values_list("recipient__username", flat=True)) == {"iru", "spoc_a"}
    assert all(red.full_name not in n.message for n in told)
    services.disclosure_approve(actor=iru, disclosure=disclosure)
    assert not Notification.objects.filter(kind=services.NOTICE_KIND, done_at__isnull=True).exists()


# --- packages ------------------------------------------------------------------------------------------------


def test_the_package_holds_only_the_agreements_fields(officer_a: User, spoc_a: User, central: User, iru: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red", name="Tariq Okonkwo-Brennan")
    agreement = an_agreement(central, iru, fields=["reference", "full_name", "band"])
    document = package_of(share(officer_a, iru, agreement, [red]), officer_a)
    # name only: the canary could not be corroborated by the scanner, so none is planted
    [record] = document["people"]
    assert record == {
        "watermark": document["watermark"],
        "reference": red.short_ref,
        "full_name": red.full_name,
        "band": "red",
    }
    people_csv = document["_files"]["people.csv"].decode("utf-8-sig")
    assert people_csv.splitlines()[0].strip('"') == document["watermark"]
    assert "2001-05-17" not in people_csv
    assert "E8 1AA" not in people_csv
    assert "intelligence.csv" not in document["_files"]
    assert "OFFICIAL-SENSITIVE" in document["watermark"]
    assert "DESTROY every copy by" in document["_files"]["README.txt"].decode()


def test_third_parties_in_free_text_are_redacted_and_subjects_are_not(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    subject = a_nominal(officer_a, spoc_a, band="red", name="Tariq Okonkwo-Brennan")
    a_person(officer_a, full_name="Kwame Fairweather", aliases=["Smokey"])
    an_item(
        officer_a,
        subject,
        source_reference="CAD 77",
        summary="Tariq Okonkwo-Brennan seen with KWAME FAIRWEATHER and Smokey near Mare Street; Jo Bloggs present.",
        handling="C",
        handling_conditions="Not to be shared with Kwame Fairweather's school.",
    )
    an_item(
        officer_a,
        subject,
        source_reference="IG post",
        source_type="social_media",
        summary="Unverified post naming a rival",
        nature="assessment",
    )
    agreement = an_agreement(central, iru, fields=["reference", "full_name", "date_of_birth", "intelligence"])
    disclosure = share(officer_a, iru, agreement, [subject])
    document = package_of(disclosure, officer_a)
    [record] = [p for p in document["people"] if p["reference"] == subject.short_ref]
    summaries = [i["summary"] for i in record["intelligence"]]
    target = next(s for s in summaries if "Jo Bloggs" in s)
    assert target == f"Tariq Okonkwo-Brennan seen with {REDACTED} and {REDACTED} near Mare Street; Jo Bloggs present."
    conditions = next(i["handling_conditions"] for i in record["intelligence"] if i["handling_conditions"])
    assert "Fairweather" not in conditions
    assert all("Unverified post" not in s for s in summaries)  # unverified social media never leaves
    assert Disclosure.objects.get(pk=disclosure.pk).redactions == 3
    assert "intelligence.csv" in document["_files"]
    assert b"Fairweather" not in document["_files"]["intelligence.csv"]


def test_a_copy_of_an_opened_package_is_traced_to_its_disclosure_by_the_canary(
    officer_a: User, spoc_a: User, central: User, iru: User, tmp_path: Path
) -> None:
    people = [a_nominal(officer_a, spoc_a, band="red", name=n) for n in ("Tariq Okonkwo-Brennan", "Siobhan Achterberg")]
    agreement = an_agreement(central, iru)
    disclosure = share(officer_a, iru, agreement, people)
    document = package_of(disclosure, officer_a)
    assert len(document["people"]) == 3
    copy = tmp_path / "share" / "recipient-list.csv"
    copy.parent.mkdir()
    copy.write_bytes(document["_files"]["people.csv"])
    scan_run(actor=central, paths=[str(copy.parent)])
    [finding] = Finding.objects.filter(kind=Finding.Kind.CANARY)
    assert [c["export"] for c in finding.detail["canaries"]] == [disclosure.export_ref]


def test_a_disclosure_is_an_s62_event_and_appears_in_a_subject_access_response(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    disclosure = share(officer_a, iru, agreement, [red])
    from custos.rights.sar import disclosures_of

    [event] = disclosures_of(red.ref)
    assert event.verb == "disclosure.made"
    assert event.object_ref == disclosure.ref
    assert event.recipients == [f"org:{agreement.recipient_name}", agreement.ref]
    assert event.purpose == PURPOSE
    assert event.detail["isa"] == agreement.code
    assert red.full_name not in json.dumps(event.detail)


def test_the_necessity_is_encrypted_at_rest(officer_a: User, spoc_a: User, central: User, iru: User) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru)
    services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT necessity FROM sharing_disclosuresubject")
        (raw,) = cursor.fetchone()
    raw = bytes(raw) if not isinstance(raw, str) else raw.encode()
    assert NECESSITY.encode() not in raw
    assert DisclosureSubject.objects.get().necessity == NECESSITY


def test_an_expired_package_goes_on_the_task_lists_until_the_recipient_confirms(
    officer_a: User, spoc_a: User, central: User, iru: User, django_capture_on_commit_callbacks: Any
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    agreement = an_agreement(central, iru, retention_days=5)
    disclosure = share(officer_a, iru, agreement, [red])
    assert disclosure.expires_on == timezone.localdate() + dt.timedelta(days=5)
    document = package_of(disclosure, officer_a)
    after = timezone.now() + dt.timedelta(days=6)
    with time_machine.travel(after, tick=False):
        assert exports_expired_notify(actor=Actor.system("test")) == 1
        with pytest.raises(RuleBroken, match="expired"):
            services.package_download(actor=officer_a, disclosure=disclosure)
    notices = Notification.objects.filter(kind="export_expired", done_at__isnull=True)
    assert set(notices.values_list("recipient__username", flat=True)) == {"officer_a", "spoc_a"}
    assert all(n.link == f"/sharing/disclosures/{disclosure.pk}/" for n in notices)
    with django_capture_on_commit_callbacks(execute=True):
        services.package_destruction_confirm(
            reference=document["disclosure"],
            code=document["destruction"]["code"],
            confirmed_by="B. Signer, Head of Youth Justice",
        )
    assert not Notification.objects.filter(kind="export_expired", done_at__isnull=True).exists()
    assert not services.package_path(disclosure).exists()
    with pytest.raises(RuleBroken, match="already confirmed"):
        services.package_destruction_confirm(
            reference=document["disclosure"], code=document["destruction"]["code"], confirmed_by="Again"
        )


def test_a_wrong_code_is_refused_logged_and_reveals_nothing(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    disclosure = share(officer_a, iru, an_agreement(central, iru), [red])
    messages = []
    for reference in (disclosure.short_ref, "D-00000000", "nonsense"):
        with pytest.raises(ValidationError) as refused:
            services.package_destruction_confirm(reference=reference, code="guess", confirmed_by="Someone")
        messages.append(refused.value.message_dict["code"])
    assert messages[0] == messages[1] == messages[2]
    assert AuditEvent.objects.filter(verb="package.destruction_refused").count() == 3
    assert not Disclosure.objects.get(pk=disclosure.pk).is_destroyed


def test_the_export_service_refuses_to_download_or_destroy_a_package_as_a_file(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    from custos.dlp.exports import export_destroyed, export_download

    red = a_nominal(officer_a, spoc_a, band="red")
    disclosure = share(spoc_a, iru, an_agreement(central, iru), [red])
    export = Export.objects.get(pk=disclosure.export_ref.removeprefix("export:"))
    assert export.created_by_id == spoc_a.pk  # the requester answers for the package, as for an export
    with pytest.raises(RuleBroken):
        export_download(actor=spoc_a, export=export)
    with pytest.raises(RuleBroken):
        export_destroyed(actor=spoc_a, export=export, reasons="Deleted it from my laptop myself.")


def test_only_the_requester_the_approver_or_the_iru_download(
    officer_a: User, analyst_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    disclosure = share(officer_a, spoc_a, an_agreement(central, iru), [red])
    for who in (officer_a, spoc_a, iru):
        assert services.package_download(actor=who, disclosure=disclosure).startswith(b"age-encryption.org/v1")
    for who in (analyst_a, central):
        with pytest.raises(PermissionDenied):
            services.package_download(actor=who, disclosure=disclosure)
    assert AuditEvent.objects.filter(verb="package.downloaded").count() == 3


def test_erasing_a_person_keeps_the_disclosure_counts_but_not_their_data(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    red = a_nominal(officer_a, spoc_a, band="red")
    amber = a_nominal(officer_a, spoc_a, band="amber", name="Other Person")
    disclosure = share(officer_a, iru, an_agreement(central, iru), [red, amber])
    people_erase(actor=Actor.system("test"), people=[red], reason=Tombstone.Reason.REVIEW, compact=False)
    kept = Disclosure.objects.get(pk=disclosure.pk)
    assert kept.people_count == 2
    assert kept.band_counts == {"amber": 1, "red": 1}
    assert DisclosureSubject.objects.filter(disclosure=kept).count() == 1


def test_records_in_a_category_the_agreement_does_not_cover_are_left_out(
    officer_a: User, spoc_a: User, central: User, iru: User
) -> None:
    person = a_nominal(officer_a, spoc_a, band="red")
    an_item(
        officer_a,
        person,
        source_reference="CAD 909",
        category="victim",
        criterion="victimisation",
        summary="Stabbed outside the youth club; treated at hospital",
    )
    agreement = an_agreement(central, iru, fields=["reference", "full_name", "categories", "intelligence"])
    document = package_of(share(officer_a, iru, agreement, [person]), officer_a)
    [record] = [p for p in document["people"] if p["reference"] == person.short_ref]
    assert record["categories"] == ["suspected_offender"]
    assert record["intelligence"]
    assert all(item["category"] == "suspected_offender" for item in record["intelligence"])
    assert b"youth club" not in document["_files"]["intelligence.csv"]
    assert Disclosure.objects.get().category_counts == {"suspected_offender": 1}
