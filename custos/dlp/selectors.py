"""Reads of scan findings: scope applied, every read logged.

Central governance and the DPO see every finding; a BCU SPOC sees those
assigned to them; any other role is refused (403) before anything is read,
and a finding outside the reader's scope is treated as not existing (404).
Findings hold file paths, counts and pseudonymous references, never a
value that matched; reading them is still recorded (``dlp.findings_listed``,
``dlp.finding_consulted``) with the declared purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import consultation_record
from custos.dlp import policies
from custos.dlp.models import Finding, ScanRun

PAGE_SIZE = 50


def require_findings_access(viewer: User) -> None:
    """Refuse (403) a user whose role never sees findings."""
    if not policies.may_view_findings(viewer):
        raise PermissionDenied("Your role does not see scan findings.")


def findings_visible_to(*, viewer: User) -> QuerySet[Finding]:
    """Findings in the viewer's scope (not logged: callers that show them log the read)."""
    require_findings_access(viewer)
    findings = Finding.objects.select_related("assignee", "scan")
    if policies.sees_every_finding(viewer):
        return findings
    return findings.filter(assignee=viewer)


@dataclass(frozen=True)
class FindingFilters:
    status: str = ""
    kind: str = ""


@dataclass
class FindingsPage:
    page: Page[Finding]
    total: int
    last_scan: ScanRun | None


def findings_for(*, viewer: User, filters: FindingFilters, purpose: str, page_number: Any = 1) -> FindingsPage:
    """One page of the findings in scope, newest first; open ones unless a status is chosen. Logs the read."""
    findings = findings_visible_to(viewer=viewer)
    if filters.status in Finding.Status.values:
        findings = findings.filter(status=filters.status)
    elif not filters.status:
        findings = findings.exclude(status=Finding.Status.CLOSED)
    if filters.kind in Finding.Kind.values:
        findings = findings.filter(kind=filters.kind)
    page = Paginator(findings.order_by("-created_at"), PAGE_SIZE).get_page(page_number)
    consultation_record(
        actor=viewer,
        verb=Verb.DLP_FINDINGS_LISTED,
        object_type="finding",
        targets=[f.ref for f in page.object_list],
        purpose=purpose,
        detail={"status": filters.status, "kind": filters.kind, "shown": len(page.object_list)},
    )
    return FindingsPage(
        page=page, total=page.paginator.count, last_scan=ScanRun.objects.order_by("-started_at").first()
    )


def _parse(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def finding_get_for(*, viewer: User, finding_id: Any, purpose: str, log: bool = True) -> Finding:
    """One finding in scope (404 otherwise); logs ``dlp.finding_consulted`` unless ``log`` is False."""
    require_findings_access(viewer)
    finding = findings_visible_to(viewer=viewer).filter(pk=_parse(finding_id)).first()
    if finding is None:
        raise Http404
    if log:
        consultation_record(
            actor=viewer,
            verb=Verb.DLP_FINDING_CONSULTED,
            object_type="finding",
            object_ref=finding.ref,
            purpose=purpose,
            detail={"kind": finding.kind, "status": finding.status},
        )
    return finding


def assignable_users() -> QuerySet[User]:
    """Accounts a finding may be assigned to (staff, no personal data of the register)."""
    return User.objects.filter(is_active=True, role__in=policies.ASSIGNEE_ROLES).order_by("role", "username")
