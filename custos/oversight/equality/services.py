"""Writes of the equality monitor: loading a baseline, publishing a quarter. Each audited."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.oversight.equality import groups, policies, publication
from custos.oversight.equality.models import Baseline, EqualityPublication
from custos.oversight.equality.selectors import CENSUS_NAME, CENSUS_SOURCE, entries
from custos.register.models import BCU


def baseline_parse(text: str) -> list[dict[str, Any]]:
    """Rows of a baseline CSV: columns ``group``, optional ``age_band``, and ``count`` or ``percent``.

    Raises ``ValidationError`` naming the line for an unknown group or age band or a bad number.
    """
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = set(reader.fieldnames or [])
        records = list(reader)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ValidationError(f"The file cannot be read as CSV ({exc}).") from None
    if "group" not in columns or not ({"count", "percent"} & columns):
        raise ValidationError("The file needs a 'group' column and a 'count' or 'percent' column.")
    amount_column = "count" if "count" in columns else "percent"
    rows = []
    for line, row in enumerate(records, start=2):
        group = (row.get("group") or "").strip()
        band = (row.get("age_band") or "").strip()
        if group not in groups.GROUPS:
            raise ValidationError(f"Line {line}: the group must be one of {', '.join(groups.GROUPS)}.")
        if band and band not in groups.AGE_BANDS:
            raise ValidationError(f"Line {line}: the age band must be one of {', '.join(groups.AGE_BANDS)}.")
        try:
            amount = float((row.get(amount_column) or "").strip())
        except ValueError:
            raise ValidationError(f"Line {line}: the {amount_column} is not a number.") from None
        if not math.isfinite(amount):  # float() reads "nan", "inf" and "1e999"
            raise ValidationError(f"Line {line}: the {amount_column} is not a number.")
        if amount < 0:
            raise ValidationError(f"Line {line}: the {amount_column} cannot be negative.")
        rows.append({"group": group, "age_band": band, amount_column: amount})
    if not rows:
        raise ValidationError("The file holds no rows.")
    return rows


def baseline_load(*, actor: User, name: str, kind: str, source: str, text: str) -> Baseline:
    """Store (or replace) a named baseline; records ``equality.baseline_loaded``.

    Central governance and the DPO only. The shipped census name is reserved.
    """
    if not policies.may_load_baseline(actor):
        raise PermissionDenied("Only central governance or the DPO may load an equality baseline.")
    if kind not in Baseline.Kind.values:
        raise ValidationError({"kind": "The kind is population, offender or victim."})
    if not name.strip() or name.strip() == CENSUS_NAME:
        raise ValidationError({"name": "Give the baseline a name of its own."})
    rows = baseline_parse(text)
    with transaction.atomic():
        baseline, _ = Baseline.objects.update_or_create(
            name=name.strip(),
            defaults={
                "kind": kind,
                "source": source.strip() or "Not stated",
                "rows": rows,
                "loaded_by": actor,
                "loaded_at": timezone.now(),
            },
        )
        event_record(
            actor=actor,
            verb=Verb.EQUALITY_BASELINE_LOADED,
            object_type="equality_baseline",
            object_ref=f"equality_baseline:{baseline.pk}",
            detail={"name": baseline.name, "kind": kind, "rows": len(rows)},
        )
    return baseline


def equality_publish(*, actor: User, quarter: str) -> EqualityPublication:
    """Freeze the quarter's aggregate breakdown, suppressed, for the public page; records ``equality.published``.

    Central governance and the DPO only; one publication per quarter. Ages are
    taken at the quarter's last day; the matrix is as it stands when published.
    """
    if not policies.may_publish_equality(actor):
        raise PermissionDenied("Only central governance or the DPO may publish the equality figures.")
    try:
        _, last = publication.quarter_bounds(quarter)
    except ValueError:
        raise ValidationError({"quarter": "Write the quarter like 2026-Q3."}) from None
    if EqualityPublication.objects.filter(quarter=quarter).exists():
        raise ValidationError({"quarter": f"{quarter} is already published."})
    bcus = [(bcu.code, bcu.name) for bcu in BCU.objects.order_by("name")]
    data = {
        "quarter": quarter,
        "as_at": last.isoformat(),
        "baseline": {"name": CENSUS_NAME, "source": CENSUS_SOURCE},
        "tables": publication.tables(entries(on=last), quarter=quarter, bcus=bcus),
    }
    with transaction.atomic():
        made = EqualityPublication.objects.create(
            quarter=quarter, data=data, published_by=actor, published_at=timezone.now()
        )
        event_record(
            actor=actor,
            verb=Verb.EQUALITY_PUBLISHED,
            object_type="equality_publication",
            object_ref=f"equality_publication:{quarter}",
            detail={"quarter": quarter},
        )
    return made
