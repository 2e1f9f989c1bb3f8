"""Generating the Annex 1 monthly progress report (notice ¶70)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.tokens import sha256_hex
from custos.oversight.annex1 import evidence, policies
from custos.oversight.annex1.models import Annex1Report

_MONTH = re.compile(r"(\d{4})-(\d{2})")
MONTH_FORMAT = "The month must be YYYY-MM, e.g. 2026-03."
FUTURE = "The month is in the future: a report covers a month that has begun."


def month_parse(value: str | dt.date) -> dt.date:
    """The first day of a ``YYYY-MM`` month (a date is taken as its month). Raises ``ValidationError``."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = _MONTH.fullmatch(str(value).strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValidationError({"month": MONTH_FORMAT})
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def period_of(value: str | dt.date, today: dt.date | None = None) -> evidence.Period:
    """The period a report for this month covers; a future month is refused (``ValidationError``)."""
    first = month_parse(value)
    try:
        return evidence.period_for(first, today)
    except ValueError:
        raise ValidationError({"month": FUTURE}) from None


def content_for(period: evidence.Period, *, full_verify: bool = True) -> dict[str, Any]:
    """The report's content: every term's status, reason, figures and what is outstanding."""
    terms = evidence.evaluate(period, full_verify=full_verify)
    counts = {status.value: sum(1 for t in terms if t.status == status) for status in evidence.Status}
    return {
        "month": period.month,
        "start": period.start.isoformat(),
        "as_of": period.as_of.isoformat(),
        "complete_month": period.is_complete,
        "summary": counts,
        "terms": [t.as_dict() for t in terms],
    }


def content_hash(content: dict[str, Any]) -> str:
    return sha256_hex(json.dumps(content, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def annex1_report_generate(*, actor: User | Actor, month: str | dt.date, today: dt.date | None = None) -> Annex1Report:
    """Compute every Annex 1 term for the month from live data and keep the report.

    A user must be central governance or the DPO; a system actor runs the
    monthly timer. A past month is described as of its last day where the
    data keeps history (figures that cannot be are marked as of generation);
    the current month as of today. The whole log is verified for term 12.
    Records ``annex1.reported`` with the statuses (no personal data).
    Safe to re-run: each run is a new report.
    """
    if isinstance(actor, User) and not policies.may_generate_annex1(actor):
        raise PermissionDenied("Only central governance and the DPO may generate the Annex 1 report.")
    period = period_of(month, today)
    content = content_for(period)
    with transaction.atomic():
        report = Annex1Report.objects.create(
            month=period.month,
            as_of=period.as_of,
            generated_at=timezone.now(),
            generated_by=actor if isinstance(actor, User) else None,
            generated_by_name=actor.username,
            content=content,
            content_sha256=content_hash(content),
        )
        event_record(
            actor=actor,
            verb=Verb.ANNEX1_REPORTED,
            object_type="annex1_report",
            object_ref=report.ref,
            detail={
                "month": period.month,
                "as_of": period.as_of.isoformat(),
                "sha256": report.content_sha256,
                "statuses": {t["code"]: t["status"] for t in content["terms"]},
            },
        )
    return report
