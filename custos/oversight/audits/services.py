"""Running BCU audits: on demand (central governance) or scheduled (the system, monthly)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.oversight.audits import metrics, policies
from custos.oversight.audits.models import BcuAudit
from custos.register.models import BCU


def bcu_audit_run(
    *, actor: User | Actor, bcu_code: str, trigger: str = BcuAudit.Trigger.ON_DEMAND, as_of: dt.date | None = None
) -> BcuAudit:
    """Audit one BCU as of a day (default today) and keep the figures, linked to its last audit.

    A user must be central governance; a system actor runs the scheduled audit.
    Records ``bcu_audit.run`` with the figures (counts only).
    """
    if isinstance(actor, User) and not policies.may_run_audit(actor):
        raise PermissionDenied("Only central governance may run a BCU audit.")
    if not BCU.objects.filter(code=bcu_code).exists():
        raise ValidationError({"bcu": "There is no BCU with this code."})
    if trigger not in BcuAudit.Trigger.values:
        raise ValidationError({"trigger": "Unknown trigger."})
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        previous = BcuAudit.objects.filter(bcu_code=bcu_code).order_by("-created_at").first()
        audit = BcuAudit.objects.create(
            bcu_code=bcu_code,
            as_of=as_of,
            trigger=trigger,
            run_by=actor if isinstance(actor, User) else None,
            run_by_name=actor.username,
            metrics=metrics.compute(bcu_code, as_of),
            previous=previous,
        )
        event_record(
            actor=actor,
            verb=Verb.BCU_AUDITED,
            object_type="bcu_audit",
            object_ref=audit.ref,
            detail={"bcu": bcu_code, "as_of": as_of.isoformat(), "trigger": trigger, "metrics": audit.metrics},
        )
    return audit


def bcu_audits_run_all(
    *, actor: User | Actor, trigger: str = BcuAudit.Trigger.ON_DEMAND, as_of: dt.date | None = None
) -> list[BcuAudit]:
    """Audit every BCU, in code order (one ``bcu_audit.run`` each)."""
    codes = list(BCU.objects.order_by("code").values_list("code", flat=True))
    return [bcu_audit_run(actor=actor, bcu_code=code, trigger=trigger, as_of=as_of) for code in codes]
