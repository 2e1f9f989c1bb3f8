"""The background tasks that wrap a service (retention sweep, DLP scan, Annex 1 report, BCU audits).

Each is the foreground service run by a worker: same events, as the same
system actor or as the user who asked (refused if that account is no longer
active), with JSON arguments and a result of references and counts only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent
from custos.dlp.tasks import dlp_scan_task
from custos.oversight.tasks import annex1_report_task, bcu_audit_task
from custos.register.models import BCU
from custos.retention.tasks import retention_sweep_task

pytestmark = pytest.mark.django_db


def _since(seq: int) -> list[tuple[str, str]]:
    return [(e.verb, e.actor_username) for e in AuditEvent.objects.filter(seq__gt=seq).order_by("seq")]


def _last() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_retention_sweep_task_runs_the_sweep_as_the_system(reference_data: None) -> None:
    before = _last()
    result = retention_sweep_task.call(today=timezone.localdate().isoformat())
    assert _since(before) == [("retention.swept", "system:retention-sweep")]
    assert result["today"] == timezone.localdate().isoformat()
    json.dumps(result)


def test_the_scan_task_scans_as_the_system(reference_data: None, tmp_path: Path) -> None:
    before = _last()
    result = dlp_scan_task.call(paths=[str(tmp_path)])
    assert _since(before) == [("dlp.scan_started", "system:dlp_scan"), ("dlp.scanned", "system:dlp_scan")]
    assert result["files_scanned"] == 0
    assert result["scan"]


def test_report_tasks_run_as_the_user_who_asked_while_active(make_user: Callable[..., User], bcu_a: BCU) -> None:
    central = make_user("central_reports", Role.CENTRAL_GOVERNANCE)
    before = _last()
    audits = bcu_audit_task.call(bcu_code=bcu_a.code, user_id=central.pk)
    assert [a["bcu"] for a in audits["audits"]] == [bcu_a.code]
    report = annex1_report_task.call(month=timezone.localdate().strftime("%Y-%m"), user_id=central.pk)
    assert report["month"] == timezone.localdate().strftime("%Y-%m")
    assert _since(before) == [("bcu_audit.run", "central_reports"), ("annex1.reported", "central_reports")]
    User.objects.filter(pk=central.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        bcu_audit_task.call(bcu_code=bcu_a.code, user_id=central.pk)
    assert len(_since(before)) == 2
    # scheduled, every BCU, as the system
    result = bcu_audit_task.call()
    assert len(result["audits"]) == BCU.objects.count()
    assert {actor for _, actor in _since(before)[2:]} == {"system:bcu_audit"}
