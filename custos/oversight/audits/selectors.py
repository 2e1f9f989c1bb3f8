"""Reading BCU audits: scoped by role, every read recorded (the figures are not personal data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.oversight.audits import metrics, policies
from custos.oversight.audits.models import BcuAudit
from custos.register.models import BCU

STYLESHEET = Path(__file__).resolve().parent.parent / "data" / "audit.css"


@dataclass(frozen=True)
class Latest:
    """A BCU and its latest audit, if any."""

    bcu: BCU
    audit: BcuAudit | None

    @property
    def rows(self) -> list[metrics.Row]:
        if self.audit is None:
            return []
        return audit_rows(self.audit)


def audit_rows(audit: BcuAudit) -> list[metrics.Row]:
    return metrics.rows(audit.metrics, audit.previous.metrics if audit.previous else None)


def _require_view(viewer: User) -> None:
    if not policies.may_view_audits(viewer):
        raise PermissionDenied("Only central governance, the DPO, auditors and BCU SPOCs see BCU audits.")


def audits_latest_for(*, viewer: User) -> list[Latest]:
    """Each BCU the viewer may see, with its latest audit. Records ``bcu_audit.listed``."""
    _require_view(viewer)
    bcus = [b for b in BCU.objects.order_by("name") if policies.may_view_audit_of(viewer, b.code)]
    latest: dict[str, BcuAudit] = {}
    for audit in BcuAudit.objects.filter(bcu_code__in=[b.code for b in bcus]).select_related("previous"):
        if audit.bcu_code not in latest or audit.created_at > latest[audit.bcu_code].created_at:
            latest[audit.bcu_code] = audit
    with transaction.atomic():
        event_record(
            actor=viewer,
            verb=Verb.BCU_AUDITS_LISTED,
            object_type="bcu_audit",
            object_ref="bcu_audit:latest",
            detail={"bcus": [b.code for b in bcus]},
        )
    return [Latest(bcu=b, audit=latest.get(b.code)) for b in bcus]


def audit_get_for(*, viewer: User, audit_id: uuid.UUID, fmt: str = "html") -> BcuAudit:
    """One audit the viewer may see (else 404). Records ``bcu_audit.viewed`` with the format."""
    _require_view(viewer)
    audit = BcuAudit.objects.select_related("previous").filter(pk=audit_id).first()
    if audit is None or not policies.may_view_audit_of(viewer, audit.bcu_code):
        raise Http404("No such audit.")
    with transaction.atomic():
        event_record(
            actor=viewer,
            verb=Verb.BCU_AUDIT_VIEWED,
            object_type="bcu_audit",
            object_ref=audit.ref,
            detail={"bcu": audit.bcu_code, "format": fmt},
        )
    return audit


def audit_history(audit: BcuAudit, limit: int = 12) -> list[BcuAudit]:
    """The audits of the same BCU, newest first (figures only)."""
    return list(BcuAudit.objects.filter(bcu_code=audit.bcu_code).order_by("-created_at")[:limit])


def bcu_name(code: str) -> str:
    bcu = BCU.objects.filter(code=code).first()
    return bcu.name if bcu else code


def audit_pdf(audit: BcuAudit) -> bytes:
    """The audit as a PDF (WeasyPrint, ``data/audit.css``); nothing is fetched."""
    import weasyprint  # imported here: loading pango is slow

    html = render_to_string(
        "oversight/audits/audit_pdf.html",
        {"audit": audit, "rows": audit_rows(audit), "bcu_name": bcu_name(audit.bcu_code)},
    )
    css = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return pdf
