"""The findings workflow: who sees which findings, assign, confirm erasure of the copy, close; every step logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Notification, Role, User
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent
from custos.dlp.models import Finding, ScanRun
from custos.dlp.services import finding_assign, finding_close, finding_copy_erased
from custos.register.services import RuleBroken

pytestmark = pytest.mark.django_db
REASONS = "Deleted from the shared drive and the recycle bin; checked by IT."


def a_finding(kind: str = "register_data", path: str = "/share/list.csv") -> Finding:
    run = ScanRun.objects.create(started_by="system:test", paths=["/share"], started_at=timezone.now())
    return Finding.objects.create(
        scan=run,
        kind=kind,
        path=path,
        owner="someone",
        people=4,
        field_kinds={"dob": 4, "name": 4},
        refs=["person:00000000-0000-0000-0000-000000000001"],
        last_seen_at=timezone.now(),
    )


def verbs() -> list[str]:
    return list(AuditEvent.objects.filter(verb__startswith="dlp.").order_by("seq").values_list("verb", flat=True))


def test_the_workflow_assign_confirm_close(central: User, spoc_a: User) -> None:
    finding = a_finding()
    finding = finding_assign(actor=central, finding=finding, assignee=spoc_a, purpose="OP-1: finding")
    assert finding.status == "assigned"
    assert finding.assignee == spoc_a
    notice = Notification.objects.get(recipient=spoc_a)
    assert finding.short_ref in notice.message
    assert "list.csv" not in notice.message
    finding = finding_copy_erased(actor=spoc_a, finding=finding, reasons=REASONS, breach_ref="BR-2026-007")
    assert finding.status == "copy_erased"
    assert finding.breach_ref == "BR-2026-007"
    finding = finding_close(actor=central, finding=finding, reasons="Copy erased and confirmed.")
    assert finding.status == "closed"
    assert verbs() == ["dlp.finding_assigned", "dlp.copy_erased", "dlp.finding_closed"]
    with pytest.raises(RuleBroken, match="closed"):
        finding_assign(actor=central, finding=finding, assignee=spoc_a)


def test_the_rules_of_the_workflow(
    central: User, spoc_a: User, officer_a: User, make_user: Callable[..., User], bcu_b: Any
) -> None:
    finding = a_finding()
    spoc_b = make_user("spoc_b", Role.BCU_SPOC, bcu_b)
    with pytest.raises(PermissionDenied):
        finding_assign(actor=spoc_a, finding=finding, assignee=spoc_a)
    with pytest.raises(ValidationError):
        finding_assign(actor=central, finding=finding, assignee=officer_a)
    finding_assign(actor=central, finding=finding, assignee=spoc_a)
    with pytest.raises(PermissionDenied):
        finding_copy_erased(actor=spoc_b, finding=finding, reasons=REASONS)
    with pytest.raises(ValidationError):
        finding_copy_erased(actor=spoc_a, finding=finding, reasons="done")
    with pytest.raises(PermissionDenied):
        finding_close(actor=spoc_a, finding=finding, reasons=REASONS)
    finding.refresh_from_db()
    assert finding.status == "assigned"
    assert finding.erasure_confirmed_at is None
    assert verbs() == ["dlp.finding_assigned"]


def test_findings_pages_by_role(
    central: User, spoc_a: User, officer_a: User, auditor: User, client_for: Callable[[User], Client],
    make_user: Callable[..., User], bcu_b: Any,
) -> None:  # fmt: skip
    mine, other = a_finding(path="/share/mine.csv"), a_finding(path="/share/other.csv")
    finding_assign(actor=central, finding=mine, assignee=spoc_a)
    listing = reverse("web:dlp_findings")
    page = with_purpose(client_for(central)).get(listing)
    assert page.status_code == 200
    assert b"mine.csv" in page.content
    assert b"other.csv" in page.content
    page = with_purpose(client_for(spoc_a)).get(listing)
    assert page.status_code == 200
    assert b"mine.csv" in page.content
    assert b"other.csv" not in page.content
    assert with_purpose(client_for(spoc_a)).get(reverse("web:dlp_finding", args=[other.pk])).status_code == 404
    assert with_purpose(client_for(spoc_a)).get(reverse("web:dlp_finding", args=[mine.pk])).status_code == 200
    for who in (officer_a, auditor):
        assert with_purpose(client_for(who)).get(listing).status_code == 403
    spoc_b = make_user("spoc_b", Role.BCU_SPOC, bcu_b)
    assert with_purpose(client_for(spoc_b)).get(reverse("web:dlp_finding", args=[mine.pk])).status_code == 404
    assert with_purpose(client_for(spoc_a)).get(reverse("web:dlp_finding_close", args=[mine.pk])).status_code == 403
    assert "no-store" in page["Cache-Control"]


def test_the_pages_walk_through_the_workflow(central: User, spoc_a: User, client_for: Callable[[User], Client]) -> None:
    finding = a_finding()
    client = with_purpose(client_for(central))
    response = client.post(reverse("web:dlp_finding_assign", args=[finding.pk]), {"assignee": spoc_a.pk})
    assert response.status_code == 302
    spoc = with_purpose(client_for(spoc_a))
    url = reverse("web:dlp_copy_erased", args=[finding.pk])
    refused = spoc.post(url, {"reasons": "short"})
    assert refused.status_code == 200
    assert b"Give reasons" in refused.content
    assert spoc.post(url, {"reasons": REASONS}).status_code == 302
    response = client.post(reverse("web:dlp_finding_close", args=[finding.pk]), {"reasons": REASONS, "breach_ref": ""})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "closed"
    assert finding.closed_by == central
    listed = AuditEvent.objects.filter(verb="dlp.finding_consulted").first()
    assert listed is not None
    assert listed.purpose


def test_the_list_page_queries_do_not_grow_with_findings(
    central: User, client_for: Callable[[User], Client], django_assert_max_num_queries: Any
) -> None:
    client = with_purpose(client_for(central))
    for n in range(3):
        a_finding(path=f"/share/{n}.csv")
    client.get(reverse("web:dlp_findings"))
    for n in range(20):
        a_finding(path=f"/share/more-{n}.csv")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("web:dlp_findings"))
    assert response.content.count(b'id="finding-') == 23


def test_unreadable_findings_show_why(central: User, client_for: Callable[[User], Client]) -> None:
    finding = a_finding(kind="encrypted", path="/share/locked.zip")
    finding.detail = {"reason": "password-protected zip: 1 of 1 files"}
    finding.save()
    page = with_purpose(client_for(central)).get(reverse("web:dlp_finding", args=[finding.pk]))
    assert b"password-protected zip" in page.content


def test_canary_and_erased_findings_say_what_they_are(central: User, client_for: Callable[[User], Client]) -> None:
    canary = a_finding(kind="canary", path="/share/export.csv")
    canary.detail = {
        "canaries": [
            {"canary": "canary:1", "export": "export:77", "exported_by": "officer_a", "exported_at": "2026-01-02"}
        ]
    }
    canary.save()
    erased = a_finding(kind="erased_person", path="/share/old.txt")
    client = with_purpose(client_for(central))
    page = client.get(reverse("web:dlp_finding", args=[canary.pk]))
    assert b"export:77" in page.content
    assert b"officer_a" in page.content
    page = client.get(reverse("web:dlp_finding", args=[erased.pk]))
    assert b"should no longer be held" in page.content
