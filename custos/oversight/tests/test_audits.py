"""BCU audits: exact figures on a fixed dataset, the trend, roles, the PDF and the command."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.dlp.models import Export, Finding, ScanRun
from custos.oversight.audits import metrics, services
from custos.oversight.audits.models import BcuAudit
from custos.register import services as register_services
from custos.register.models import BCU, HarmScore, IntelligenceItem, Nomination, Person
from custos.register.tests.factories import a_person, an_item
from custos.retention.models import Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    officer_a: User, spoc_a: User, officer_b: User, make_user: Callable[..., User], bcu_a: BCU, settings: Any
) -> dict[str, Any]:
    """BCU A's fixed dataset (every figure the test asserts is worked out beside it)."""
    now = timezone.now()
    today = timezone.localdate()
    # P1: two independent sources, nominated (corroborated), plus one unverified social-media item.
    p1 = a_person(officer_a, full_name="Alpha One")
    an_item(officer_a, p1, source_reference="CAD 1")
    an_item(officer_a, p1, source_reference="CAD 2")
    social = an_item(officer_a, p1, source_type="social_media", source_reference="handle-1")
    register_services.nomination_propose(actor=officer_a, person=p1, reasons="Two sources on serious violence.")
    # P2: nominated, then its two sources turn out to be one, and its score falls to 0.
    p2 = a_person(officer_a, full_name="Beta Two")
    first = an_item(officer_a, p2, source_reference="CAD 3")
    an_item(officer_a, p2, source_reference="CAD 4")
    register_services.nomination_propose(actor=officer_a, person=p2, reasons="Two sources on serious violence.")
    IntelligenceItem.objects.filter(person=p2).update(source_digest=first.source_digest)
    HarmScore.objects.filter(person=p2, is_current=True).update(total=0)
    # P1's score is made to count the unverified item (which scoring never does), so the audit sees it.
    score = HarmScore.objects.get(person=p1, is_current=True)
    score.explanation = {**score.explanation, "counted": [*score.explanation["counted"], {"item": str(social.pk)}]}
    score.save()
    # P3: a victim only, put on the matrix behind the services' back (impossible through them).
    p3 = a_person(officer_a, full_name="Gamma Three")
    an_item(officer_a, p3, category="victim", criterion="victimisation", source_reference="CAD 5")
    Nomination.objects.create(data_key_id=p3.data_key_id, person=p3, bcu=bcu_a, reasons="legacy", status="active")
    # Reviews: P1's overdue, P2's not yet due.
    for person, due in ((p1, today - dt.timedelta(days=1)), (p2, today + dt.timedelta(days=1))):
        Review.objects.create(
            data_key_id=person.data_key_id,
            person=person,
            person_ref=person.ref,
            bcu=bcu_a,
            trigger="manual",
            due_on=due,
        )
    # Users of BCU A: officer_a and spoc_a are fine; one untrained, one past recertification, one dormant.
    make_user("untrained_a", Role.OFFICER, bcu_a, trained=False)
    make_user("unrecertified_a", Role.ANALYST, bcu_a, access_confirmed_at=now - dt.timedelta(days=93))
    make_user("dormant_a", Role.OFFICER, bcu_a, date_joined=now - dt.timedelta(days=61))
    # Exports: one overdue, one destroyed, one overdue in BCU B.
    for code, destroyed in (("central-east", None), ("central-east", now), ("north-area", None)):
        Export.objects.create(
            created_by=spoc_a,
            bcu_code=code,
            purpose="OP-1: test",
            fmt="csv",
            created_at=now,
            expires_on=today - dt.timedelta(days=2),
            destroyed_at=destroyed,
        )
    # Scan findings: open naming P1, closed naming P2, open naming nobody of BCU A.
    scan = ScanRun.objects.create(started_by="system:test", started_at=now)
    for refs, status in (([p1.ref], "open"), ([p2.ref], "closed"), (["person:0"], "open")):
        Finding.objects.create(
            scan=scan, kind="register_data", path="/x.csv", refs=refs, status=status, last_seen_at=now
        )
    return {"p1": p1, "p2": p2, "p3": p3}


EXPECTED = {
    "overdue_reviews": 1,  # P1's (due yesterday); P2's is due tomorrow
    "zero_score_kept": 2,  # P2 (score forced to 0) and P3 (a victim-only record scores 0); P1 scores > 0
    "victims_on_matrix": 1,  # P3
    "unverified_social_media": 1,  # P1's social-media item
    "unverified_social_media_scored": 1,  # counted in P1's current score
    "nominations_uncorroborated": 2,  # P2 (one source now), P3 (none that counts); P1 has two
    "disclosures_outside_policy": 0,  # no disclosures
    "users_untrained": 1,  # untrained_a
    "users_unrecertified": 1,  # unrecertified_a: confirmed 93 days ago > 92
    "users_dormant": 1,  # dormant_a: joined 61 days ago, never signed in > 60
    "exports_overdue": 1,  # the BCU A export not destroyed
    "open_dlp_findings": 1,  # the open finding naming P1
}


def test_every_metric_is_exact_on_the_fixed_dataset(world: dict[str, Any]) -> None:
    assert metrics.compute("central-east", timezone.localdate()) == EXPECTED
    assert set(EXPECTED) == set(metrics.METRIC_KEYS)


def test_another_bcu_counts_only_its_own(world: dict[str, Any]) -> None:
    got = metrics.compute("north-area", timezone.localdate())
    assert got["exports_overdue"] == 1
    assert got["overdue_reviews"] == got["victims_on_matrix"] == got["open_dlp_findings"] == 0


def test_the_trend_compares_with_the_last_audit(world: dict[str, Any], central: User) -> None:
    first = services.bcu_audit_run(actor=central, bcu_code="central-east")
    Review.objects.filter(person=world["p1"]).update(status="kept")  # overdue reviews 1 -> 0
    Export.objects.filter(bcu_code="central-east").update(destroyed_at=timezone.now())  # 1 -> 0
    Finding.objects.create(
        scan=ScanRun.objects.get(), kind="canary", path="/y", refs=[world["p2"].ref], last_seen_at=timezone.now()
    )  # open findings 1 -> 2
    second = services.bcu_audit_run(actor=central, bcu_code="central-east")
    assert second.previous == first
    rows = {r.metric.key: r for r in metrics.rows(second.metrics, first.metrics)}
    assert (rows["overdue_reviews"].change, rows["overdue_reviews"].trend) == (-1, "better")
    assert (rows["exports_overdue"].change, rows["exports_overdue"].trend) == (-1, "better")
    assert (rows["open_dlp_findings"].change, rows["open_dlp_findings"].trend) == (1, "worse")
    assert rows["victims_on_matrix"].trend == "same"
    assert all(r.trend == "new" for r in metrics.rows(first.metrics, None))
    assert AuditEvent.objects.filter(verb="bcu_audit.run").count() == 2


@pytest.mark.parametrize("role", [Role.DPO, Role.AUDITOR, Role.BCU_SPOC, Role.OFFICER, Role.IRU])
def test_only_central_governance_runs_an_audit_and_a_refusal_changes_nothing(
    role: str, make_user: Callable[..., User], bcu_a: BCU
) -> None:
    user = make_user(f"u_{role}", role, bcu_a if role in (Role.BCU_SPOC, Role.OFFICER) else None)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.bcu_audit_run(actor=user, bcu_code="central-east")
    assert BcuAudit.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_the_system_runs_the_scheduled_audit(reference_data: None) -> None:
    audits = services.bcu_audits_run_all(actor=Actor.system("bcu_audit"), trigger="scheduled")
    assert len(audits) == BCU.objects.count() == 12
    assert {a.run_by_name for a in audits} == {"system:bcu_audit"}


def _get(client: Client, url: str) -> int:
    return client.get(url).status_code


def test_who_sees_which_audit_pages(
    world: dict[str, Any],
    central: User,
    auditor: User,
    spoc_a: User,
    officer_a: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    audit_a = services.bcu_audit_run(actor=central, bcu_code="central-east")
    audit_b = services.bcu_audit_run(actor=central, bcu_code="north-area")
    dpo = make_user("dpo", Role.DPO)
    iru = make_user("iru", Role.IRU)
    detail_a = reverse("web:audits_detail", args=[audit_a.pk])
    detail_b = reverse("web:audits_detail", args=[audit_b.pk])
    for user in (central, dpo, auditor):
        client = client_for(user)
        assert (_get(client, reverse("web:audits_list")), _get(client, detail_a), _get(client, detail_b)) == (200,) * 3
    spoc = client_for(spoc_a)
    assert (_get(spoc, reverse("web:audits_list")), _get(spoc, detail_a), _get(spoc, detail_b)) == (200, 200, 404)
    assert "North Area" not in spoc.get(reverse("web:audits_list")).content.decode()
    for user in (officer_a, iru):
        client = client_for(user)
        assert (_get(client, reverse("web:audits_list")), _get(client, detail_a)) == (403, 403)
    page = client_for(central).get(detail_a).content.decode()
    assert 'id="metric-victims_on_matrix"' in page
    assert AuditEvent.objects.filter(verb="bcu_audit.viewed", object_ref=audit_a.ref).exists()


def test_running_from_the_page_is_central_governance_only(
    world: dict[str, Any], central: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(auditor).post(reverse("web:audits_run"), {"bcu": "central-east"}).status_code == 403
    assert BcuAudit.objects.count() == 0
    response = client_for(central).post(reverse("web:audits_run"), {"bcu": "central-east"})
    audit = BcuAudit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:audits_detail", args=[audit.pk])
    assert client_for(central).post(reverse("web:audits_run"), {"bcu": "__all__"}).status_code == 302
    assert BcuAudit.objects.count() == 13


def test_the_pdf_is_a_real_pdf_with_the_figures(
    world: dict[str, Any], central: User, client_for: Callable[[User], Client]
) -> None:
    audit = services.bcu_audit_run(actor=central, bcu_code="central-east")
    response = client_for(central).get(reverse("web:audits_pdf", args=[audit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
    assert audit.short_ref in text
    assert "Open nominations without two independent corroborating sources 2" in text
    assert "Exports past their destroy-by date and not confirmed destroyed 1" in text


def test_the_command_prints_the_summary_and_writes_pdfs(world: dict[str, Any], central: User, tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("bcu_audit", "--bcu", "central-east", "--as-user", "central", "--pdf", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "People on the matrix recorded only as a victim or witness: 1" in text
    assert BcuAudit.objects.get().trigger == "on_demand"
    (pdf,) = tmp_path.iterdir()
    assert pdf.read_bytes().startswith(b"%PDF")
    out = io.StringIO()
    call_command("bcu_audit", "--all", stdout=out)
    assert "12 BCU audit(s) run" in out.getvalue()
    assert BcuAudit.objects.filter(trigger="scheduled", run_by_name="system:bcu_audit").count() == 12
    assert "Reviews past their due date and still open: 1 (+0, same)" in out.getvalue()


def test_a_person_is_named_nowhere_in_an_audit(world: dict[str, Any], central: User) -> None:
    audit = services.bcu_audit_run(actor=central, bcu_code="central-east")
    event = AuditEvent.objects.get(verb="bcu_audit.run")
    assert not any(str(p.pk) in str(event.detail) + str(audit.metrics) for p in Person.objects.all())
