"""The DPIA's content (DPA 2018 s.64) and the records of processing (s.61), computed from the running system.

``dpia_content()`` reads the app registry (every field of the models of the
register, sharing, rights, retention, dlp and accounts apps), the information
sharing agreements, the active retention schedule, the role rules and live
evidence for each security control, and returns a JSON-ready dict. It holds
aggregates, field names and agreement terms only — never a person's data —
and is deterministic: the same data gives the same content (sorted keys and
rows, no clock). ``records_of_processing()`` derives the s.61 record from it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Count

from custos.accounts.models import Role, TotpDevice, User
from custos.audit.models import AuditCheckpoint
from custos.audit.verify import log_verify
from custos.crypto.fields import EncryptedField
from custos.crypto.models import DataKey
from custos.dlp.models import Finding, ScanRun
from custos.register.models import Band, Category, IntelligenceItem, Nomination, Person
from custos.register.policies import role_capabilities
from custos.retention.models import RetentionSchedule
from custos.sharing import policies as sharing_policies
from custos.sharing.models import Agreement, Disclosure

#: The apps whose models are inventoried, in this order.
INVENTORIED_APPS = ("register", "sharing", "rights", "retention", "dlp", "accounts")

#: Fields holding special category data or protected characteristics (s.35(8); Equality Act 2010).
SPECIAL_FIELDS = frozenset({"observed_ethnicity", "self_defined_ethnicity", "gender"})

#: Models whose records are about suspected or proven offending (criminal offence data).
CRIMINAL_MODELS = frozenset(
    {"register.intelligenceitem", "register.nomination", "register.ragdecision", "register.harmscore"}
)
#: Plain fields of those models that still describe the offending.
CRIMINAL_FIELD_NAMES = frozenset(
    {"category", "criterion", "nature", "offence_code", "band", "total", "explanation", "recommended_band", "gang"}
)
#: Plain fields that identify a data subject (pseudonymously) or a member of staff.
SUBJECT_LINK_NAMES = frozenset({"person", "person_ref", "people_refs", "subject_ref", "targets"})
STAFF_IDENTITY_NAMES = frozenset({"username", "first_name", "last_name", "email"})

CONTROLLER = "The police force running Custos (the controller), through its data protection officer."

PURPOSES = [
    "Recording intelligence about people suspected of involvement in serious violence and gangs (law "
    "enforcement purposes, DPA 2018 Part 3, s.31).",
    "Deciding, with recorded reasons, whether a person is listed on the matrix and in which harm band, and "
    "reviewing that decision on a schedule.",
    "Sharing personal data with partners only under an approved information sharing agreement.",
    "Answering data-subject requests, keeping the s.62 log and overseeing the processing (audits, equality "
    "monitoring, breaches).",
]

DESCRIPTION = (
    "Custos is a register of police intelligence about individuals. Officers and analysts record people and "
    "intelligence items; a harm score is computed from verified intelligence against a published rubric; a BCU "
    "single point of contact or central governance decides the band (red, amber, green) with reasons. People "
    "are reviewed and removed on the retention schedule. Personal values are encrypted with a key per person; "
    "every read and change is recorded in a hash-chained audit log."
)

PROFILING = (
    "The harm score is profiling (automated evaluation of personal aspects to predict behaviour). It is "
    "advisory only: a person decides every band with recorded reasons, and no decision is taken on the score "
    "alone. Ethnicity and gender are excluded from scoring and used only for equality monitoring."
)


def _field_type(field: models.Field[Any, Any]) -> str:
    if isinstance(field, EncryptedField):
        return type(field).__name__
    related = field.related_model
    if field.is_relation and related is not None and not isinstance(related, str):
        return f"{type(field).__name__} → {related._meta.label}"
    return type(field).__name__


def _is_user_fk(field: models.Field[Any, Any]) -> bool:
    return bool(field.is_relation and field.related_model is User)


def _is_person_link(field: models.Field[Any, Any]) -> bool:
    if field.is_relation and field.related_model is Person:
        return True
    return field.name in SUBJECT_LINK_NAMES


def classify(model: type[models.Model], field: models.Field[Any, Any]) -> dict[str, Any]:
    """One row of the inventory: what kind of data a field holds."""
    label = model._meta.label_lower
    encrypted = isinstance(field, EncryptedField)
    special = field.name in SPECIAL_FIELDS
    criminal = label in CRIMINAL_MODELS and (encrypted or field.name in CRIMINAL_FIELD_NAMES)
    staff = _is_user_fk(field) or (model is User and field.name in STAFF_IDENTITY_NAMES)
    subject = encrypted or _is_person_link(field) or criminal or special
    if special:
        category = "special category / protected characteristic"
    elif criminal:
        category = "criminal offence data"
    elif subject:
        category = "data subject"
    elif staff:
        category = "staff"
    else:
        category = "not personal"
    return {
        "field": field.name,
        "type": _field_type(field),
        "personal": subject or staff,
        "encrypted": encrypted,
        "special_category": special,
        "criminal_offence": criminal,
        "category": category,
    }


def data_inventory() -> list[dict[str, Any]]:
    """Every model of the inventoried apps, each with every concrete field classified."""
    rows: list[dict[str, Any]] = []
    for app_label in INVENTORIED_APPS:
        config = apps.get_app_config(app_label)
        for model in sorted(config.get_models(), key=lambda m: m._meta.model_name or ""):
            fields = [f for f in model._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many]
            concrete = [f for f in fields if isinstance(f, models.Field) and not f.auto_created]
            rows.append(
                {
                    "model": model._meta.label,
                    "description": (model.__doc__ or "").strip().split("\n")[0],
                    "fields": [classify(model, f) for f in concrete],
                }
            )
    return rows


def _agreement_row(agreement: Agreement, made: dict[Any, int], asked: dict[Any, int]) -> dict[str, Any]:
    return {
        "code": agreement.code,
        "title": agreement.title,
        "recipient": agreement.recipient_name,
        "recipient_kind": agreement.recipient_kind,
        "status": agreement.status,
        "legal_basis": agreement.legal_basis,
        "purpose": agreement.purpose,
        "fields": sorted(agreement.fields),
        "categories": sorted(agreement.categories),
        "bands": sorted(agreement.bands),
        "retention_days": agreement.retention_days,
        "review_date": agreement.review_date.isoformat(),
        "transfer_outside_uk": "outside the uk" in (agreement.onward_sharing + agreement.security).lower(),
        "disclosures_made": made.get(agreement.pk, 0),
        "disclosures_requested": asked.get(agreement.pk, 0),
    }


def flows() -> list[dict[str, Any]]:
    """Each information sharing agreement with its terms and counts of disclosures under it."""
    counts = Disclosure.objects.values("agreement_id", "status").annotate(n=Count("pk")).order_by()
    made: dict[Any, int] = {}
    asked: dict[Any, int] = {}
    for row in counts:
        asked[row["agreement_id"]] = asked.get(row["agreement_id"], 0) + row["n"]
        if row["status"] == Disclosure.Status.DISCLOSED:
            made[row["agreement_id"]] = made.get(row["agreement_id"], 0) + row["n"]
    return [_agreement_row(a, made, asked) for a in Agreement.objects.order_by("code")]


def retention() -> dict[str, Any]:
    schedule = RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    if schedule is None:
        return {"version": None, "name": "No active retention schedule", "definition": {}}
    return {"version": schedule.version, "name": schedule.name, "definition": schedule.definition}


def _hypothetical(role: str) -> User:
    """An unsaved, active account of a role (London-wide or with a BCU) to ask the role rules about."""
    return User(username=f"dpia:{role}", role=role, is_active=True, bcu_code="bcu" if role else "")


def access_roles() -> list[dict[str, Any]]:
    """What each role may do: the register's capabilities and the sharing rules, asked of the policies.

    Approval is asked for an agreement drafted by someone else (id -1), as the rule requires.
    """
    rows = []
    for role in Role:
        user = _hypothetical(role.value)
        rows.append(
            {
                "role": role.value,
                "label": str(role.label),
                "register": sorted(str(c) for c in role_capabilities(user)),
                "sharing": {
                    "draft_agreement": sharing_policies.may_draft_agreement(user),
                    "approve_agreement": sharing_policies.may_approve_agreement(user, -1),
                    "revoke_agreement": sharing_policies.may_revoke_agreement(user),
                    "see_every_disclosure": sharing_policies.sees_every_disclosure(user),
                    "read_sharing_review": sharing_policies.may_view_sharing_review(user),
                },
            }
        )
    return rows


def _control(code: str, title: str, description: str, evidence: dict[str, Any], in_place: bool) -> dict[str, Any]:
    return {"code": code, "title": title, "description": description, "evidence": evidence, "in_place": in_place}


def _encrypted_person_fields() -> list[str]:
    return [f.name for f in Person._meta.concrete_fields if isinstance(f, EncryptedField)]


def security_controls() -> list[dict[str, Any]]:
    """Each control with evidence computed now from the database and settings."""
    people = Person.objects.count()
    keyed = Person.objects.filter(data_key__wrapped__isnull=False).count()
    made = Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED)
    packaged = made.exclude(package_sha256="").count()
    active_users = User.objects.filter(is_active=True)
    with_mfa = active_users.filter(pk__in=TotpDevice.objects.filter(confirmed=True).values("user_id")).count()
    last = AuditCheckpoint.objects.order_by("-id").first()
    verified = log_verify() if last is not None else None
    scans = ScanRun.objects.exclude(finished_at__isnull=True)
    last_scan = scans.order_by("-finished_at").values_list("finished_at", flat=True).first()
    open_findings = Finding.objects.filter(closed_at__isnull=True).count()
    return [
        _control(
            "encryption_at_rest",
            "Personal values encrypted at rest with a key per person",
            "Each person's values are sealed under their own data key; erasure shreds the key.",
            {
                "people": people,
                "people_with_live_data_key": keyed,
                "encrypted_person_fields": _encrypted_person_fields(),
                "data_keys_shredded": DataKey.objects.filter(wrapped__isnull=True).count(),
            },
            people == keyed,
        ),
        _control(
            "encrypted_packages",
            "Disclosures only as age-encrypted packages",
            "A disclosure is a package encrypted to the recipient's age key, with a destruction code.",
            {"disclosures_made": made.count(), "with_encrypted_package": packaged},
            made.count() == packaged,
        ),
        _control(
            "mfa",
            "Second factor required to sign in",
            "Every account signs in with a password and a time-based code.",
            {"active_users": active_users.count(), "active_users_with_second_factor": with_mfa},
            active_users.count() == with_mfa,
        ),
        _control(
            "lockout",
            "Lockout after repeated failed sign-ins",
            "An account and address are locked out after the configured number of failures.",
            {"attempts": settings.CUSTOS_LOCKOUT_ATTEMPTS, "seconds": settings.CUSTOS_LOCKOUT_SECONDS},
            settings.CUSTOS_LOCKOUT_ATTEMPTS > 0,
        ),
        _control(
            "audit_chain",
            "Hash-chained audit log with signed checkpoints",
            "Every read and change is an event in a hash chain; signed Merkle checkpoints make tampering evident.",
            {
                "checkpoints": AuditCheckpoint.objects.count(),
                "last_checkpoint": last.id if last else None,
                "last_checkpoint_tree_size": last.tree_size if last else None,
                "verified": verified.ok if verified else None,
            },
            bool(verified and verified.ok),
        ),
        _control(
            "fail_closed",
            "Fail closed when the log cannot be written",
            "The event is written in the transaction of the change: no event, no change and nothing shown.",
            {"mechanism": "custos.audit.services.event_record inside the change's transaction"},
            True,
        ),
        _control(
            "dlp_scanner",
            "Scanner for informal copies of the register",
            "Fingerprints of personal values are matched against shared drives and exports to find copies.",
            {
                "scans_finished": scans.count(),
                "last_scan": last_scan.isoformat() if last_scan else None,
                "open_findings": open_findings,
            },
            scans.exists(),
        ),
        _control(
            "backups_without_keys",
            "Backups exclude the keys",
            "Backups are age-encrypted and record key references only; keys are kept and restored separately.",
            {"data_keys_live": DataKey.objects.filter(wrapped__isnull=False).count()},
            True,
        ),
    ]


def counts() -> dict[str, Any]:
    by_band = dict.fromkeys([b.value for b in Band] + ["none"], 0)
    listed = Nomination.objects.filter(status=Nomination.Status.ACTIVE)
    for row in listed.values("band").annotate(n=Count("pk")).order_by():
        by_band[row["band"] or "none"] += row["n"]
    by_status = {s.value: 0 for s in Nomination.Status}
    for row in Nomination.objects.values("status").annotate(n=Count("pk")).order_by():
        by_status[row["status"]] = row["n"]
    users = {r.value: 0 for r in Role}
    for row in User.objects.filter(is_active=True).values("role").annotate(n=Count("pk")).order_by():
        if row["role"] in users:
            users[row["role"]] = row["n"]
    disclosures = {s.value: 0 for s in Disclosure.Status}
    for row in Disclosure.objects.values("status").annotate(n=Count("pk")).order_by():
        disclosures[row["status"]] = row["n"]
    return {
        "people": Person.objects.count(),
        "intelligence_items": IntelligenceItem.objects.count(),
        "active_nominations_by_band": by_band,
        "nominations_by_status": by_status,
        "users_by_role": users,
        "disclosures_by_status": disclosures,
    }


def dpia_content() -> dict[str, Any]:
    """The whole generated assessment; deterministic for the same data."""
    return {
        "controller": CONTROLLER,
        "description": DESCRIPTION,
        "purposes": PURPOSES,
        "profiling": PROFILING,
        "data_subject_categories": [{"code": c.value, "label": str(c.label)} for c in Category],
        "inventory": data_inventory(),
        "flows": flows(),
        "retention": retention(),
        "roles": access_roles(),
        "sharing_rules": (sharing_policies.__doc__ or "").strip(),
        "controls": security_controls(),
        "counts": counts(),
    }


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _personal_categories(inventory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, set[str]] = {}
    for model in inventory:
        for row in model["fields"]:
            if row["personal"]:
                out.setdefault(row["category"], set()).add(f"{model['model']}.{row['field']}")
    return [{"category": k, "fields": sorted(v)} for k, v in sorted(out.items())]


def records_of_processing(content: dict[str, Any] | None = None) -> dict[str, Any]:
    """The s.61 record, from the same inventory as the DPIA."""
    content = content if content is not None else dpia_content()
    live = [f for f in content["flows"] if f["status"] == Agreement.Status.APPROVED]
    abroad = [f["code"] for f in content["flows"] if f["transfer_outside_uk"]]
    return {
        "controller": content["controller"],
        "purposes": content["purposes"],
        "legal_basis": "DPA 2018 Part 3: law enforcement purposes (s.31); sensitive processing under s.35 with a "
        "Schedule 8 condition and an appropriate policy document.",
        "data_subject_categories": content["data_subject_categories"],
        "personal_data_categories": _personal_categories(content["inventory"]),
        "recipients": [
            {"code": f["code"], "recipient": f["recipient"], "kind": f["recipient_kind"], "status": f["status"]}
            for f in content["flows"]
        ],
        "recipients_under_approved_agreements": len(live),
        "transfers": (f"Transfers outside the UK under: {', '.join(abroad)}." if abroad else "None outside the UK."),
        "retention": content["retention"],
        "security_measures": [{"code": c["code"], "title": c["title"]} for c in content["controls"]],
        "profiling": content["profiling"],
    }
