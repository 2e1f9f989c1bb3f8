"""Background tasks of oversight: the Annex 1 monthly report and BCU audits, as the system or a user."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from custos.audit.services import Actor
from custos.oversight.annex1.services import annex1_report_generate
from custos.oversight.audits.models import BcuAudit
from custos.oversight.audits.services import bcu_audit_run, bcu_audits_run_all
from custos.workers.services import task_actor


@task()
def annex1_report_task(*, month: str, user_id: int | None = None) -> dict[str, Any]:
    """Generate and keep the Annex 1 report for ``month`` (YYYY-MM), as ``custos annex1_report`` does.

    Returns the report's reference; the report is read or written out from
    the web pages or ``custos annex1_report``. Each run is a new report.
    """
    actor = task_actor(job="annex1_report", user_id=user_id)
    report = annex1_report_generate(actor=actor, month=month)
    return {"report": report.short_ref, "month": report.month, "sha256": report.content_sha256}


@task()
def bcu_audit_task(*, bcu_code: str | None = None, user_id: int | None = None) -> dict[str, Any]:
    """Audit one BCU (``bcu_code``) or every BCU (none), as ``custos bcu_audit``; returns the audits' references."""
    actor = task_actor(job="bcu_audit", user_id=user_id)
    trigger = BcuAudit.Trigger.SCHEDULED if isinstance(actor, Actor) else BcuAudit.Trigger.ON_DEMAND
    if bcu_code is None:
        audits = bcu_audits_run_all(actor=actor, trigger=trigger)
    else:
        audits = [bcu_audit_run(actor=actor, bcu_code=bcu_code, trigger=trigger)]
    return {"audits": [{"bcu": a.bcu_code, "audit": a.short_ref} for a in audits]}
