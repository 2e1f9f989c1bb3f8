"""Reads of the DPIA pack: versions, one version, the risk register and its history, the s.61 record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.oversight.dpia import inventory, policies
from custos.oversight.dpia.models import DpiaVersion, Risk, RiskRevision

READ_REFUSED = "Only the DPO, central governance, the auditor and the Information Rights Unit read the DPIA."


def _reader(viewer: User) -> None:
    if not policies.may_read_dpia(viewer):
        raise PermissionDenied(READ_REFUSED)


def dpia_versions_for(*, viewer: User) -> QuerySet[DpiaVersion]:
    _reader(viewer)
    return DpiaVersion.objects.order_by("-number")


def dpia_get_for(*, viewer: User, number: int) -> DpiaVersion:
    _reader(viewer)
    version = DpiaVersion.objects.filter(number=number).first()
    if version is None:
        raise Http404("No such DPIA version.")
    return version


def risks_for(*, viewer: User) -> QuerySet[Risk]:
    _reader(viewer)
    return Risk.objects.order_by("code")


def risk_get_for(*, viewer: User, code: str) -> Risk:
    _reader(viewer)
    risk = Risk.objects.filter(code=code).first()
    if risk is None:
        raise Http404("No such risk.")
    return risk


def risk_history_for(*, viewer: User, code: str) -> QuerySet[RiskRevision]:
    return risk_get_for(viewer=viewer, code=code).revisions.order_by("-number")


def records_of_processing_for(*, viewer: User | Actor, log: bool = True) -> dict[str, Any]:
    """The s.61 record from the live inventory; producing it is logged. A system actor is the command line."""
    if isinstance(viewer, User):
        _reader(viewer)
    record = inventory.records_of_processing()
    if log:
        with transaction.atomic():
            event_record(
                actor=viewer,
                verb=Verb.RECORDS_OF_PROCESSING_PRODUCED,
                object_type="ropa",
                object_ref="ropa:s61",
                detail={"sha256": inventory.content_sha256(record)},
            )
    return record
