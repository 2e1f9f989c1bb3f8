"""Reading the breach register: role rule, every read of one breach recorded."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.dlp.models import Finding
from custos.oversight.breaches import policies
from custos.oversight.breaches.models import Breach


def _require_view(viewer: User) -> None:
    if not policies.may_view_breaches(viewer):
        raise PermissionDenied("Only the DPO, central governance, the IRU and auditors see the breach register.")


def breaches_for(*, viewer: User) -> QuerySet[Breach]:
    """Every breach, newest first (no personal data: the list is not recorded)."""
    _require_view(viewer)
    return Breach.objects.select_related("reported_by").order_by("-discovered_at")


def breach_get_for(*, viewer: User, breach_id: uuid.UUID, record: bool = True) -> Breach:
    """One breach (else 404). Records ``breach.viewed``."""
    _require_view(viewer)
    breach = Breach.objects.filter(pk=breach_id).first()
    if breach is None:
        raise Http404("No such breach.")
    if record:
        with transaction.atomic():
            event_record(
                actor=viewer,
                verb=Verb.BREACH_VIEWED,
                object_type="breach",
                object_ref=breach.ref,
                detail={"reference": breach.reference},
            )
    return breach


def linked_findings(breach: Breach) -> list[Finding]:
    """DLP findings whose ``breach_ref`` is this breach's reference."""
    return list(Finding.objects.filter(breach_ref=breach.reference).order_by("created_at"))
