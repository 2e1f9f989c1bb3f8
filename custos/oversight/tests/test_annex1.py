"""The Annex 1 tracker: each term's status and figures on fixed data, against hand-computed expectations.

Each test builds only what it counts, on the reference data (12 BCUs, the
default rubric and retention schedule), and states the figures it expects.
A1.14 and A1.15 read the guidance library (``custos.oversight.guidance``).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from custos.accounts.models import Course, Role, TrainingRecord, User
from custos.audit import checkpoints as audit_checkpoints
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor, event_record
from custos.crypto import signing
from custos.crypto.models import DataKey
from custos.dlp.models import Canary, Export, Finding, IndexState, ScanRun
from custos.oversight.annex1 import evidence, selectors, services
from custos.oversight.annex1.evidence import Period, Status
from custos.oversight.annex1.models import Annex1Report
from custos.oversight.audits.services import bcu_audit_run
from custos.oversight.dpia.models import DpiaVersion, Risk
from custos.oversight.dpia.services import dpia_generate, dpia_sign_off
from custos.register.models import BCU, Gang, HarmScore, Nomination, Person
from custos.register.policies import Capability, role_capabilities
from custos.register.tests.factories import a_person, an_item
from custos.retention.models import RetentionSchedule, Review
from custos.sharing.models import Agreement, Disclosure
from custos.sharing.services import agreement_approve, agreement_draft
from custos.sharing.tests.builders import PURPOSE, agreement_input

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def this_month() -> Period:
    today = timezone.localdate()
    return evidence.period_for(today.replace(day=1), today)


def later(months: int) -> Period:
    """A period ``months`` after this one (for rules about age), as of its last day."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + months
    start = dt.date(index // 12, index % 12 + 1, 1)
    end = evidence.month_last_day(start)
    return Period(start=start, end=end, as_of=end)


# -- the period ------------------------------------------------------------------------------------------------------


def test_a_past_month_is_described_as_of_its_last_day_and_a_future_month_is_refused() -> None:
    period = evidence.period_for(dt.date(2026, 2, 1), dt.date(2026, 5, 9))
    assert (period.start, period.end, period.as_of, period.month) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        dt.date(2026, 2, 28),
        "2026-02",
    )
    assert period.is_complete
    running = evidence.period_for(dt.date(2026, 5, 1), dt.date(2026, 5, 9))
    assert (running.end, running.as_of, running.is_complete) == (dt.date(2026, 5, 31), dt.date(2026, 5, 9), False)
    with pytest.raises(ValueError, match="future"):
        evidence.period_for(dt.date(2026, 6, 1), dt.date(2026, 5, 9))
    with pytest.raises(ValidationError, match="YYYY-MM"):
        services.month_parse("2026-13")
    with pytest.raises(ValidationError, match="future"):
        services.period_of("2026-06", dt.date(2026, 5, 9))


def test_the_roles_counted_as_reading_personal_data_are_those_the_register_lets_read() -> None:
    readers = {role for role in Role if Capability.VIEW_PEOPLE in role_capabilities(User(role=role, bcu_code="x"))}
    assert readers == evidence.PERSONAL_DATA_ROLES


# -- A1.1 ------------------------------------------------------------------------------------------------------------


def _risk(code: str, likelihood: int, impact: int, status: str = "open") -> Risk:
    return Risk.objects.create(
        code=code,
        title=code,
        description="A risk.",
        likelihood=likelihood,
        impact=impact,
        owner="DPO",
        status=status,
        updated_at=timezone.now(),
    )


def test_a1_1_dpia(make_user: MakeUser, reference_data: None) -> None:
    got = evidence.a1_1_dpia(this_month())
    assert got.status == Status.NOT_MET
    assert got.values["signed_off_version"] == "none"
    dpo = make_user("dpo", Role.DPO)
    version = dpia_generate(actor=dpo)
    assert evidence.a1_1_dpia(this_month()).status == Status.NOT_MET  # a draft is not an assessment
    dpia_sign_off(actor=dpo, number=version.number, comments="Reviewed in full; risks accepted as listed.")
    _risk("high-open", 4, 4)  # 16: high and open
    _risk("high-closed", 5, 5, "closed")
    _risk("low-open", 2, 3)
    got = evidence.a1_1_dpia(this_month())
    assert got.status == Status.PARTLY_MET
    assert got.values == {"versions": 1, "signed_off_version": 1, "signed_off_days_ago": 0, "open_high_risks": 1}
    Risk.objects.filter(code="high-open").update(status="mitigated")
    assert evidence.a1_1_dpia(this_month()).status == Status.MET
    # Thirteen months on, the sign-off is out of date.
    got = evidence.a1_1_dpia(later(13))
    assert got.status == Status.NOT_MET
    assert got.values["signed_off_days_ago"] > 365
    assert DpiaVersion.objects.count() == 1


# -- A1.2 ------------------------------------------------------------------------------------------------------------


def test_a1_2_victims(officer_a: User, bcu_a: BCU) -> None:
    offender = a_person(officer_a, full_name="Offender One")
    an_item(officer_a, offender)
    victim = a_person(officer_a, full_name="Victim Two")
    an_item(officer_a, victim, category="victim", criterion="victimisation", source_reference="CAD 9")
    got = evidence.a1_2_victims(this_month())
    assert got.status == Status.MET
    assert got.values == {
        "people": 2,
        "uncategorised": 0,
        "victims_only": 1,
        "victims_nominated": 0,
        "victims_scored": 0,
        "victim_records_counted": 0,
    }
    a_person(officer_a, full_name="No Record Three")
    got = evidence.a1_2_victims(this_month())
    assert (got.status, got.values["uncategorised"], got.values["people"]) == (Status.PARTLY_MET, 1, 3)
    # The victim put on the matrix behind the services' back (impossible through them).
    Nomination.objects.create(
        data_key_id=victim.data_key_id, person=victim, bcu=bcu_a, reasons="legacy", status="active"
    )
    got = evidence.a1_2_victims(this_month())
    assert (got.status, got.values["victims_nominated"]) == (Status.NOT_MET, 1)
    assert "1 victim(s) or witness(es) on the matrix" in got.reason


# -- A1.3 ------------------------------------------------------------------------------------------------------------


def _review(person: Person, bcu: BCU, due: dt.date) -> Review:
    return Review.objects.create(
        data_key_id=person.data_key_id, person=person, person_ref=person.ref, bcu=bcu, trigger="manual", due_on=due
    )


def test_a1_3_retention(officer_a: User, bcu_a: BCU) -> None:
    today = timezone.localdate()
    person = a_person(officer_a)
    _review(person, bcu_a, today + dt.timedelta(days=3))
    got = evidence.a1_3_retention(this_month())
    assert got.status == Status.MET
    assert got.values == {"schedule_version": 1, "reviews_overdue": 0, "erasures_overdue": 0, "erased": 0}
    _review(a_person(officer_a, full_name="Second Person"), bcu_a, today - dt.timedelta(days=1))
    got = evidence.a1_3_retention(this_month())
    assert (got.status, got.values["reviews_overdue"]) == (Status.PARTLY_MET, 1)
    RetentionSchedule.objects.all().delete()
    assert evidence.a1_3_retention(this_month()).status == Status.NOT_MET


# -- A1.4 and A1.10 ---------------------------------------------------------------------------------------------------


def _scan(now: dt.datetime) -> ScanRun:
    return ScanRun.objects.create(
        started_by="system:test", paths=["/share"], started_at=now, finished_at=now, status="finished"
    )


def test_a1_4_informal_lists(spoc_a: User) -> None:
    now = timezone.now()
    assert evidence.a1_4_informal_lists(this_month()).status == Status.NOT_MET  # no scan in the month
    run = _scan(now)
    listed = Finding.objects.create(scan=run, kind="erased_person", path="/share/old.csv", people=2, last_seen_at=now)
    Finding.objects.create(scan=run, kind="unreadable", path="/share/locked.zip", last_seen_at=now)  # not a copy
    got = evidence.a1_4_informal_lists(this_month())
    assert got.status == Status.PARTLY_MET
    assert got.values == {
        "scans": 1,
        "open_copies": 1,
        "open_erased_people": 1,
        "copies_erased": 0,
        "exports_overdue": 0,
    }
    Finding.objects.filter(pk=listed.pk).update(status="copy_erased", erasure_confirmed_at=now)
    got = evidence.a1_4_informal_lists(this_month())
    assert (got.status, got.values["open_copies"], got.values["copies_erased"]) == (Status.MET, 0, 1)
    Export.objects.create(
        created_by=spoc_a,
        purpose="OP-1: test",
        fmt="csv",
        created_at=now,
        expires_on=timezone.localdate().replace(day=1) - dt.timedelta(days=1),
    )
    got = evidence.a1_4_informal_lists(this_month())
    assert (got.status, got.values["exports_overdue"]) == (Status.PARTLY_MET, 1)


def test_a1_10_loss_detection(spoc_a: User) -> None:
    now = timezone.now()
    expires = timezone.localdate() + dt.timedelta(days=30)
    assert evidence.a1_10_loss_detection(this_month()).status == Status.NOT_MET  # no index, no scan
    IndexState.objects.create(pk=1, key_id="dlp-test", rebuilt_at=now)
    run = _scan(now)
    first = Export.objects.create(
        created_by=spoc_a, purpose="OP-1: test", fmt="csv", created_at=now, expires_on=expires
    )
    Canary.objects.create(export_ref=first.ref, exported_by=spoc_a, exported_at=now)
    Finding.objects.create(scan=run, kind="canary", path="/share/a.csv", people=1, last_seen_at=now)
    got = evidence.a1_10_loss_detection(this_month())
    assert got.status == Status.MET
    assert got.values == {
        "indexed": "yes",
        "exports": 1,
        "canaries": 1,
        "exports_without_canary": 0,
        "scans": 1,
        "findings_recorded": 1,
        "findings_handled": 0,
        "findings_stale": 0,
    }
    Export.objects.create(created_by=spoc_a, purpose="OP-2: test", fmt="xlsx", created_at=now, expires_on=expires)
    old = Finding.objects.create(scan=run, kind="register_data", path="/share/b.csv", people=4, last_seen_at=now)
    Finding.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=40))
    got = evidence.a1_10_loss_detection(this_month())
    assert got.status == Status.PARTLY_MET
    assert (got.values["exports_without_canary"], got.values["findings_stale"]) == (1, 1)


# -- A1.5, A1.6, A1.7 ------------------------------------------------------------------------------------------------


@pytest.fixture
def iru(make_user: MakeUser, reference_data: None) -> User:
    return make_user("iru", Role.IRU)


@pytest.fixture
def agreement(central: User, iru: User) -> Agreement:
    return agreement_approve(actor=iru, agreement=agreement_draft(actor=central, data=agreement_input()))


def _disclosure(agreement: Agreement, by: User, *, failed: bool = False) -> Disclosure:
    now = timezone.now()
    return Disclosure.objects.create(
        agreement=agreement,
        requested_by=by,
        requested_at=now,
        purpose=PURPOSE,
        status=Disclosure.Status.DISCLOSED,
        checks=[{"rule": "agreement_in_force", "passed": not failed, "message": "…"}],
        decided_at=now,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )


def test_a1_5_sharing_review(central: User) -> None:
    assert evidence.a1_5_sharing_review(this_month()).status == Status.NOT_MET
    with transaction.atomic():
        event_record(actor=central, verb=Verb.SHARING_REVIEWED, object_type="sharing_review", object_ref="review:x")
    got = evidence.a1_5_sharing_review(this_month())
    assert got.status == Status.MET
    assert got.values["last_review"] == timezone.localdate().isoformat()
    assert (got.values["reviews_in_month"], got.values["legacy_shares"], got.values["legacy_flagged"]) == (1, 0, 0)
    got = evidence.a1_5_sharing_review(later(8))  # the review is then over six months old
    assert (got.status, got.values["reviews_in_month"]) == (Status.PARTLY_MET, 0)


def test_a1_6_sharing_guidance(agreement: Agreement, central: User) -> None:
    got = evidence.a1_6_sharing_guidance(this_month())
    assert got.status == Status.MET
    assert got.values == {
        "guidance_version": 1,
        "agreements_in_force": 1,
        "statutory": 1,
        "kind_not_recorded": 0,
        "older_guidance": 0,
        "failed_policy": 0,
    }
    Agreement.objects.filter(pk=agreement.pk).update(recipient_kind="")
    assert evidence.a1_6_sharing_guidance(this_month()).status == Status.PARTLY_MET
    _disclosure(agreement, central, failed=True)
    got = evidence.a1_6_sharing_guidance(this_month())
    assert (got.status, got.values["failed_policy"]) == (Status.NOT_MET, 1)


def test_a1_7_agreements(agreement: Agreement, central: User) -> None:
    assert evidence.a1_7_agreements(this_month()).status == Status.MET  # nothing shared: nothing outside
    _disclosure(agreement, central)
    got = evidence.a1_7_agreements(this_month())
    assert got.status == Status.MET
    assert got.values == {
        "agreements_approved": 1,
        "disclosures": 1,
        "outside_agreement": 0,
        "past_review": 0,
        "packages_not_destroyed": 0,
    }
    # An agreement "approved" by central governance (not the IRU): disclosures under it are outside.
    Agreement.objects.filter(pk=agreement.pk).update(approved_by=central)
    got = evidence.a1_7_agreements(this_month())
    assert (got.status, got.values["outside_agreement"], got.values["agreements_approved"]) == (Status.NOT_MET, 1, 0)


# -- A1.8, A1.9 -------------------------------------------------------------------------------------------------------


def test_a1_8_and_a1_9_training(make_user: MakeUser, bcu_a: BCU) -> None:
    officers = [make_user(f"officer_{n}", Role.OFFICER, bcu_a) for n in range(3)]
    make_user("auditor", Role.AUDITOR, trained=False)  # reads no personal data: not counted
    for term in (evidence.a1_8_purpose_training, evidence.a1_9_data_protection_training):
        got = term(this_month())
        assert (got.status, got.values["users"], got.values["current"]) == (Status.MET, 3, 3)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    TrainingRecord.objects.filter(user=officers[0], course=Course.MATRIX_PURPOSE).update(expires_on=yesterday)
    got = evidence.a1_8_purpose_training(this_month())
    assert got.status == Status.PARTLY_MET
    assert got.values == {"users": 3, "current": 2, "expired": 1, "missing": 0}
    assert got.reason.startswith("2 of 3 ")
    assert evidence.a1_9_data_protection_training(this_month()).status == Status.MET  # the other course
    # A central governance account reads personal data (A1.8) but is not in a BCU unit (A1.9).
    make_user("central_untrained", Role.CENTRAL_GOVERNANCE, trained=False)
    got = evidence.a1_8_purpose_training(this_month())
    assert got.values == {"users": 4, "current": 2, "expired": 1, "missing": 1}
    assert evidence.a1_9_data_protection_training(this_month()).values["users"] == 3
    TrainingRecord.objects.filter(course=Course.DATA_PROTECTION).update(expires_on=yesterday)
    got = evidence.a1_9_data_protection_training(this_month())
    assert got.status == Status.NOT_MET
    assert got.values == {"users": 3, "current": 0, "expired": 3, "missing": 0}


def test_training_for_a_past_month_ignores_courses_completed_after_it(make_user: MakeUser, bcu_a: BCU) -> None:
    officer = make_user("officer_x", Role.OFFICER, bcu_a, trained=False)
    TrainingRecord.objects.create(
        user=officer,
        course=Course.MATRIX_PURPOSE,
        completed_on=dt.date(2026, 3, 10),
        expires_on=dt.date(2027, 3, 10),
        evidence_reference="LMS 1",
    )
    february = evidence.period_for(dt.date(2026, 2, 1), dt.date(2026, 5, 1))
    assert evidence.a1_8_purpose_training(february).values == {"users": 1, "current": 0, "expired": 0, "missing": 1}
    march = evidence.period_for(dt.date(2026, 3, 1), dt.date(2026, 5, 1))
    assert evidence.a1_8_purpose_training(march).values == {"users": 1, "current": 1, "expired": 0, "missing": 0}


# -- A1.11 -------------------------------------------------------------------------------------------------------------


def test_a1_11_access(make_user: MakeUser, bcu_a: BCU, sysadmin: User) -> None:
    now = timezone.now()
    make_user("fine", Role.OFFICER, bcu_a)
    got = evidence.a1_11_access(this_month())
    assert got.status == Status.MET
    assert (got.values["active"], got.values["recertification_due"], got.values["dormant"]) == (2, 0, 0)
    make_user("due", Role.ANALYST, bcu_a, access_confirmed_at=now - dt.timedelta(days=95))  # 92 days + 3
    got = evidence.a1_11_access(this_month())
    assert got.status == Status.PARTLY_MET
    assert (got.values["recertification_due"], got.values["recertification_lapsed"]) == (1, 0)
    make_user("lapsed", Role.OFFICER, bcu_a, access_confirmed_at=now - dt.timedelta(days=110))  # past 92 + 14
    make_user("dormant", Role.OFFICER, bcu_a, date_joined=now - dt.timedelta(days=61))
    with transaction.atomic():
        event_record(
            actor=Actor.system("test"), verb=Verb.USER_SUSPENDED, object_ref="user:1", detail={"reason": "leaver"}
        )
    got = evidence.a1_11_access(this_month())
    assert got.status == Status.NOT_MET
    assert {k: got.values[k] for k in ("active", "recertification_due", "recertification_lapsed", "dormant")} == {
        "active": 5,
        "recertification_due": 2,
        "recertification_lapsed": 1,
        "dormant": 1,
    }
    assert (got.values["suspended_leavers"], got.values["suspended_total"]) == (1, 1)


# -- A1.12 -------------------------------------------------------------------------------------------------------------


def test_a1_12_access_log(officer_a: User, monkeypatch: pytest.MonkeyPatch) -> None:
    person = a_person(officer_a)
    with transaction.atomic():
        event_record(actor=officer_a, verb=Verb.PERSON_CONSULTED, object_ref=person.ref, purpose="OP-1: test")
    got = evidence.a1_12_access_log(this_month(), full_verify=True)
    assert got.status == Status.PARTLY_MET  # verifies, but no checkpoint signed in the month
    events = AuditEvent.objects.count()
    assert (got.values["verified"], got.values["events"], got.values["consultations"]) == ("yes", events, 1)
    assert got.values["checkpoints"] == 0
    audit_checkpoints.checkpoint_create()
    for full in (True, False):
        got = evidence.a1_12_access_log(this_month(), full_verify=full)
        assert (got.status, got.values["checkpoints"], got.values["latest_checkpoint"]) == (Status.MET, 1, "#1")
    assert "signature of checkpoint #1 only" in evidence.a1_12_access_log(this_month()).values["verification"]
    monkeypatch.setattr(signing, "trusted_public_keys", lambda: {})  # the checkpoint's key is no longer trusted
    for full in (True, False):
        got = evidence.a1_12_access_log(this_month(), full_verify=full)
        assert (got.status, got.values["verified"]) == (Status.NOT_MET, "no")


# -- A1.13 -------------------------------------------------------------------------------------------------------------


def test_a1_13_encryption(officer_a: User, settings: Any) -> None:
    person = a_person(officer_a)
    a_person(officer_a, full_name="Second Person")
    got = evidence.a1_13_encryption(this_month())
    assert got.status == Status.PARTLY_MET  # the test server runs without TLS
    assert got.values == {
        "key_provider": "local-key-file",
        "people_without_key": 0,
        "packages": 0,
        "packages_unencrypted": 0,
        "https": "off",
        "secure_cookies": "off",
    }
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    assert evidence.a1_13_encryption(this_month()).status == Status.MET
    DataKey.objects.filter(pk=person.data_key_id).update(wrapped=None)
    got = evidence.a1_13_encryption(this_month())
    assert (got.status, got.values["people_without_key"]) == (Status.NOT_MET, 1)


# -- A1.14, A1.15 (the guidance library) ------------------------------------------------------------------------------


def test_a1_14_social_media(officer_a: User) -> None:
    from custos.oversight.guidance.services import guidance_seed

    person = a_person(officer_a)
    an_item(officer_a, person)
    social = an_item(officer_a, person, source_type="social_media", source_reference="post 1")
    got = evidence.a1_14_social_media(this_month())
    assert got.status == Status.NOT_MET  # no guidance in force
    assert (got.values["guidance_version"], got.values["unverified"], got.values["unverified_counted"]) == (
        "none",
        1,
        0,
    )
    guidance_seed(publish=True)
    got = evidence.a1_14_social_media(this_month())
    assert (got.status, got.values["guidance_version"]) == (Status.MET, 1)
    # The score made to count the unverified item (which scoring never does).
    score = HarmScore.objects.get(person=person, is_current=True)
    score.explanation = {**score.explanation, "counted": [*score.explanation["counted"], {"item": str(social.pk)}]}
    score.save()
    got = evidence.a1_14_social_media(this_month())
    assert (got.status, got.values["unverified_counted"]) == (Status.NOT_MET, 1)


def test_a1_15_decision_guidance(officer_a: User, bcu_a: BCU) -> None:
    from custos.oversight.guidance.services import guidance_seed

    review = timezone.localdate() + dt.timedelta(days=180)
    Gang.objects.create(name="North Crew", bcu=bcu_a, evidence_basis="Three linked incidents.", review_date=review)
    got = evidence.a1_15_decision_guidance(this_month())
    assert got.status == Status.NOT_MET  # no topic in force
    assert (got.values["topics_in_force"], got.values["decisions"], got.values["decisions_with_guidance"]) == (0, 1, 0)
    guidance_seed(publish=True)
    Gang.objects.create(
        name="South Crew",
        bcu=bcu_a,
        evidence_basis="Two incidents.",
        review_date=review,
        guidance={"gang_composition": 1},
    )
    got = evidence.a1_15_decision_guidance(this_month())
    assert got.status == Status.PARTLY_MET  # the first gang was recorded before the guidance
    assert got.values == {
        "topics_in_force": 4,
        "decisions": 2,
        "decisions_with_guidance": 1,
        "share_with_guidance": "50%",
        "gangs": 2,
        "gangs_evidenced": 2,
    }
    Gang.objects.filter(name="North Crew").update(guidance={"gang_composition": 1})
    assert evidence.a1_15_decision_guidance(this_month()).status == Status.MET
    Gang.objects.filter(name="North Crew").update(evidence_basis="  ")
    got = evidence.a1_15_decision_guidance(this_month())
    assert (got.status, got.values["gangs_evidenced"]) == (Status.PARTLY_MET, 1)


# -- A1.16 -------------------------------------------------------------------------------------------------------------


def test_a1_16_bcu_audits(central: User) -> None:
    codes = list(BCU.objects.order_by("code").values_list("code", flat=True))
    assert len(codes) == 12
    assert evidence.a1_16_bcu_audits(this_month()).status == Status.NOT_MET
    bcu_audit_run(actor=central, bcu_code=codes[0])
    bcu_audit_run(actor=central, bcu_code=codes[0])
    got = evidence.a1_16_bcu_audits(this_month())
    assert got.status == Status.PARTLY_MET
    assert got.values == {"bcus": 12, "audited": 1, "not_audited": 11, "audits": 2}
    for code in codes[1:]:
        bcu_audit_run(actor=central, bcu_code=code)
    got = evidence.a1_16_bcu_audits(this_month())
    assert (got.status, got.values["audited"], got.values["not_audited"]) == (Status.MET, 12, 0)


# -- the report, its model and who may see it -------------------------------------------------------------------------


def test_the_report_keeps_every_term_with_a_hash_and_records_the_event(central: User) -> None:
    month = timezone.localdate().strftime("%Y-%m")
    report = services.annex1_report_generate(actor=central, month=month)
    assert report.month == month
    assert report.generated_by == central
    codes = [t["code"] for t in report.content["terms"]]
    assert codes == [f"A1.{n}" for n in range(1, 17)]
    assert sum(report.content["summary"].values()) == 16
    assert report.content_sha256 == services.content_hash(report.content)
    event = AuditEvent.objects.filter(verb=Verb.ANNEX1_REPORTED).get()
    assert (event.object_ref, event.actor_username) == (report.ref, "central")
    assert event.detail["statuses"]["A1.16"] == "not met"
    assert "full:" in report.content["terms"][11]["figures"][1]["value"]  # the report verifies the whole log
    html = selectors.report_html(report)
    assert "<style>" in html
    assert "Metropolitan Police Service" in html
    assert "Conduct a data protection impact assessment on the Gangs Matrix." in html
    assert "(as of generation)" in html
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(selectors.report_pdf(report))).pages)
    assert "Annex 1: monthly progress" in text
    assert "A1.16" in text


def test_a_past_month_report_is_as_of_its_last_day(central: User) -> None:
    report = services.annex1_report_generate(
        actor=Actor.system("annex1_report"), month="2026-02", today=dt.date(2026, 5, 1)
    )
    assert (report.as_of, report.generated_by, report.generated_by_name) == (
        dt.date(2026, 2, 28),
        None,
        "system:annex1_report",
    )
    assert report.content["complete_month"] is True


@pytest.mark.parametrize(
    ("role", "may_read", "may_generate"),
    [
        (Role.CENTRAL_GOVERNANCE, True, True),
        (Role.DPO, True, True),
        (Role.AUDITOR, True, False),
        (Role.IRU, False, False),
        (Role.BCU_SPOC, False, False),
        (Role.OFFICER, False, False),
        (Role.SYSADMIN, False, False),
    ],
)
def test_who_reads_and_who_generates(
    role: str, may_read: bool, may_generate: bool, make_user: MakeUser, bcu_a: BCU, client_for: Callable[[User], Client]
) -> None:
    user = make_user(f"user_{role}", role, bcu_a if role in (Role.OFFICER, Role.BCU_SPOC) else None)
    client = client_for(user)
    for path in ("/annex1/", "/annex1/reports/"):
        assert client.get(path).status_code == (200 if may_read else 403), path
    month = timezone.localdate().strftime("%Y-%m")
    response = client.post("/annex1/reports/generate/", {"month": month})
    if may_generate:
        report = Annex1Report.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/annex1/reports/{report.pk}/"
        assert client.get(response["Location"]).status_code == 200
        pdf = client.get(f"/annex1/reports/{report.pk}/pdf/")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
    else:
        assert response.status_code == 403
        assert not Annex1Report.objects.exists()
        with pytest.raises(PermissionDenied):
            services.annex1_report_generate(actor=user, month=month)


def test_the_auditor_reads_a_report_but_an_unknown_one_is_404(
    central: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    report = services.annex1_report_generate(actor=central, month=timezone.localdate().strftime("%Y-%m"))
    client = client_for(auditor)
    page = client.get(f"/annex1/reports/{report.pk}/")
    assert page.status_code == 200
    assert report.content_sha256 in page.content.decode()
    assert client.get(f"/annex1/reports/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/annex1/reports/{uuid.uuid4()}/pdf/").status_code == 404


def test_a_bad_month_on_the_web_is_an_error_on_the_field(central: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(central)
    page = client.post("/annex1/reports/generate/", {"month": "March"})
    assert page.status_code == 400
    assert "The month must be YYYY-MM" in page.content.decode()
    future = (timezone.localdate() + dt.timedelta(days=40)).strftime("%Y-%m")
    page = client.post("/annex1/reports/generate/", {"month": future})
    assert page.status_code == 400
    assert "in the future" in page.content.decode()
    assert not Annex1Report.objects.exists()


def test_the_tracker_shows_every_term_and_links_the_feature(
    central: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(central).get("/annex1/").content.decode()
    assert html.count('<section class="govuk-!-margin-bottom-6" id="term-') == 16
    for n in range(1, 17):
        assert f">A1.{n} " in html
    assert 'href="/audits/"' in html  # A1.16's feature
    assert 'href="/dpia/"' in html  # A1.1's feature
