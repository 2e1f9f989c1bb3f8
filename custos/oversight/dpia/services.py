"""Changes to the DPIA pack: generate a draft, sign it off, edit the risk register, seed starting risks, export.

Each service checks its policy first (``PermissionDenied``), writes in one
transaction with its audit event (fail closed), and refers to versions and
risks by number and code only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.oversight.dpia import inventory, policies, render, selectors
from custos.oversight.dpia.models import DpiaVersion, Risk, RiskRevision, RiskStatus

RISKS_FILE = Path(__file__).resolve().parent.parent / "data" / "dpia-risks.json"

#: Fields of a risk the DPO edits.
RISK_FIELDS = ("title", "description", "likelihood", "impact", "mitigations", "owner", "status")


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def dpia_generate(*, actor: User) -> DpiaVersion:
    """Compute the assessment from the running system and store it as the next draft version."""
    _require(policies.may_generate_dpia(actor), "Only the data protection officer generates a DPIA draft.")
    content = inventory.dpia_content()
    with transaction.atomic():
        last = DpiaVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0
        version = DpiaVersion.objects.create(
            number=last + 1,
            content=content,
            content_sha256=inventory.content_sha256(content),
            generated_at=timezone.now(),
            generated_by=actor,
        )
        event_record(
            actor=actor,
            verb=Verb.DPIA_GENERATED,
            object_type="dpia",
            object_ref=f"dpia:{version.number}",
            detail={"number": version.number, "sha256": version.content_sha256},
        )
    return version


def risk_register() -> list[dict[str, Any]]:
    return [r.as_dict() for r in Risk.objects.order_by("code")]


def dpia_sign_off(*, actor: User, number: int, comments: str) -> DpiaVersion:
    """Sign off a draft with the DPO's comments; it embeds the risk register and never changes again."""
    _require(policies.may_sign_off_dpia(actor), "Only the data protection officer signs off a DPIA.")
    comments = comments.strip()
    if len(comments) < 10:
        raise ValidationError({"comments": "Write your comments on the assessment (at least 10 characters)."})
    with transaction.atomic():
        version = DpiaVersion.objects.select_for_update().filter(number=number).first()
        if version is None:
            raise Http404("No such DPIA version.")
        if version.is_signed_off:
            raise ValidationError({"comments": f"Version {number} is already signed off and cannot change."})
        version.status = DpiaVersion.Status.SIGNED_OFF
        version.signed_off_at = timezone.now()
        version.signed_off_by = actor
        version.sign_off_comments = comments
        version.risks = risk_register()
        version.save()
        event_record(
            actor=actor,
            verb=Verb.DPIA_SIGNED_OFF,
            object_type="dpia",
            object_ref=f"dpia:{number}",
            detail={"number": number, "sha256": version.content_sha256, "risks": len(version.risks)},
        )
    return version


def _risk_clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean = {k: values.get(k) for k in RISK_FIELDS}
    for name in ("title", "description", "owner"):
        clean[name] = str(clean[name] or "").strip()
        if not clean[name]:
            errors[name] = f"Enter the {name}."
    clean["mitigations"] = str(clean["mitigations"] or "").strip()
    for name in ("likelihood", "impact"):
        try:
            number = int(clean[name])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 5:
            errors[name] = f"Choose a {name} from 1 to 5."
        clean[name] = number
    if clean["status"] not in RiskStatus.values:
        errors["status"] = "Choose a status."
    if errors:
        raise ValidationError(errors)
    return clean


def _revise(risk: Risk, actor: User | None, note: str) -> None:
    number = (risk.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    RiskRevision.objects.create(
        risk=risk, number=number, state=risk.as_dict(), changed_at=risk.updated_at, changed_by=actor, note=note
    )


def risk_save(*, actor: User, values: dict[str, Any], code: str | None = None, new_code: str = "") -> Risk:
    """Add a risk (``code`` None, ``new_code`` given) or change one; every saved state is kept."""
    _require(policies.may_edit_risks(actor), "Only the data protection officer edits the risk register.")
    clean = _risk_clean(values)
    now = timezone.now()
    with transaction.atomic():
        if code is None:
            new_code = new_code.strip().lower()
            if not new_code or Risk.objects.filter(code=new_code).exists():
                raise ValidationError({"code": "Enter a new, unique reference (letters, digits and hyphens)."})
            risk = Risk(code=new_code, **clean)
        else:
            found = Risk.objects.select_for_update().filter(code=code).first()
            if found is None:
                raise Http404("No such risk.")
            risk = found
            for name, value in clean.items():
                setattr(risk, name, value)
        risk.reviewed_at = now
        risk.updated_at = now
        risk.full_clean()
        risk.save()
        _revise(risk, actor, "added" if code is None else "changed")
        event_record(
            actor=actor,
            verb=Verb.RISK_CHANGED,
            object_type="dpia_risk",
            object_ref=f"risk:{risk.code}",
            detail={"score": risk.score, "status": risk.status, "added": code is None},
        )
    return risk


def risks_seed(*, actor: User | Actor, path: Path = RISKS_FILE) -> int:
    """Load the starting risks from data; idempotent (a risk already present by code is left as it is)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    added = 0
    now = timezone.now()
    with transaction.atomic():
        for row in document["risks"]:
            if Risk.objects.filter(code=row["code"]).exists():
                continue
            risk = Risk.objects.create(
                code=row["code"],
                title=row["title"],
                description=row["description"],
                likelihood=int(row["likelihood"]),
                impact=int(row["impact"]),
                mitigations=row.get("mitigations", ""),
                owner=row["owner"],
                status=RiskStatus.OPEN,
                updated_at=now,
            )
            _revise(risk, actor if isinstance(actor, User) else None, "seeded")
            added += 1
        if added:
            event_record(
                actor=actor,
                verb=Verb.RISKS_SEEDED,
                object_type="dpia_risk",
                object_ref="risks:seeded",
                detail={"added": added},
            )
    return added


@dataclass(frozen=True)
class Exported:
    filename: str
    content_type: str
    body: bytes


def dpia_export(*, actor: User, number: int, fmt: str) -> Exported:
    """The version as JSON or PDF; logged."""
    version = selectors.dpia_get_for(viewer=actor, number=number)
    if fmt == "json":
        body = json.dumps(render.export_document(version), indent=2, sort_keys=True, ensure_ascii=False).encode()
        out = Exported(f"dpia-v{number}.json", "application/json", body)
    elif fmt == "pdf":
        out = Exported(f"dpia-v{number}.pdf", "application/pdf", render.pdf(version))
    else:
        raise ValidationError({"format": "Choose pdf or json."})
    with transaction.atomic():
        event_record(
            actor=actor,
            verb=Verb.DPIA_EXPORTED,
            object_type="dpia",
            object_ref=f"dpia:{number}",
            detail={"number": number, "format": fmt, "bytes": len(out.body)},
        )
    return out
