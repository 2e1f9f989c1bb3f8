"""Compiling a subject access response: everything held on a person, as JSON and as a readable PDF.

``sar_compile`` is the engine, without authorisation or logging, so a
benchmark can time it: the callers in ``custos.rights.selectors`` and
``custos.rights.services`` authorise the reader and record the compile
(``sar.compiled``) or the response (``sar.responded``).

What a package holds (s.45(1)-(2)): the person's record (names, aliases,
date of birth, addresses, protected characteristics), every intelligence item
with its 3x5x2 grade, fact or assessment and the category the person is
recorded in, every harm score with its explanation, nominations, RAG decisions
with their reasons, reviews and restrictions, actions taken because of the
matrix, and every disclosure of their data with its recipients (from the
audit log); then what the law says the subject must be told: purposes, legal
basis, categories, recipients, retention, rights, the Commissioner, origin.

Withheld parts (``Withheld``, marked by a reviewer under a named s.45(4)
ground) are left out; those the subject is told of are listed with their
ground, never with the internal reasons. Withholding an intelligence item
also removes it from the score explanations and nominations that cite it;
withholding a nomination removes its decisions and actions.

Staff are not named in a package (their names are their personal data);
what they decided, and when, is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from custos.audit.models import AuditEvent
from custos.audit.selectors import LogFilters, events_matching, verb_label
from custos.crypto.envelope import preload
from custos.register.models import (
    Action,
    Band,
    Category,
    Criterion,
    Gender,
    HarmScore,
    Nature,
    ObservedEthnicity,
    Person,
    RagDecision,
    SelfDefinedEthnicity,
    SourceGrade,
    SourceType,
    Verification,
)
from custos.retention.models import Decision, Restriction, Review, Trigger

FORMAT = "custos-subject-access-v1"

# WeasyPrint reports each step of every PDF at INFO: not what an operator's log is for.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

#: The sections of a package, in order, with their headings.
SECTIONS: dict[str, str] = {
    "subject": "Your personal details",
    "protected_characteristics": "Equality monitoring information",
    "intelligence": "Intelligence held about you",
    "harm_scores": "Harm scores and how they were worked out",
    "nominations": "Nominations to the matrix",
    "rag_decisions": "Decisions on your band (red, amber, green)",
    "reviews": "Reviews of whether your records are kept",
    "restrictions": "Restrictions of processing",
    "actions": "Actions taken because of the matrix",
    "disclosures": "Who your data was shared with",
}

#: Sections whose entries can be withheld one by one (the rest only whole).
ITEM_SECTIONS = (
    "intelligence",
    "harm_scores",
    "nominations",
    "rag_decisions",
    "reviews",
    "restrictions",
    "actions",
    "disclosures",
)

_LABELS: dict[str, dict[str, str]] = {
    "category": dict(Category.choices),
    "band": {**dict(Band.choices), "": "No band"},
    "criterion": dict(Criterion.choices),
    "nature": dict(Nature.choices),
    "source_type": dict(SourceType.choices),
    "source_grade": dict(SourceGrade.choices),
    "verification": dict(Verification.choices),
    "observed_ethnicity": dict(ObservedEthnicity.choices),
    "self_defined_ethnicity": dict(SelfDefinedEthnicity.choices),
    "gender": dict(Gender.choices),
    "trigger": dict(Trigger.choices),
    "decision": dict(Decision.choices),
    "review_status": dict(Review.Status.choices),
    "restriction_ground": dict(Restriction.Ground.choices),
}

RIGHTS_TEXT = [
    "You may ask for inaccurate personal data to be corrected, or incomplete data completed, "
    "including by a supplementary statement (Data Protection Act 2018, s.46).",
    "You may ask for personal data to be erased where processing breaches the data protection principles, "
    "or for its processing to be restricted (s.47).",
    "You may complain to the Information Commissioner (s.165): ico.org.uk, 0303 123 1113.",
    "You may apply to a court for an order requiring the controller to comply (s.167).",
]


def _label(kind: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    return _LABELS.get(kind, {}).get(str(value), str(value))


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Withheld:
    """A part to leave out: an item reference (``intelligence:<id>``) or a section (``section:<name>``)."""

    part: str
    ground: str
    ground_label: str
    tell_subject: bool = True


@dataclass(frozen=True)
class Part:
    """Something a reviewer may withhold, as the withholding form offers it."""

    ref: str
    section: str
    label: str


@dataclass
class SarPackage:
    """A compiled package: ``data`` (the JSON document), its bytes, the PDF and their SHA-256."""

    data: dict[str, Any]
    json_bytes: bytes
    pdf: bytes | None
    parts: list[Part] = field(default_factory=list)
    withheld_refs: list[str] = field(default_factory=list)
    full: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> dict[str, str]:
        digests = {"json": hashlib.sha256(self.json_bytes).hexdigest()}
        if self.pdf is not None:
            digests["pdf"] = hashlib.sha256(self.pdf).hexdigest()
        return digests


# Collecting -------------------------------------------------------------------------------------------------


def disclosures_of(person_ref: str) -> QuerySet[AuditEvent]:
    """Every logged disclosure naming the person: events about them that name recipients (s.62(3)(b)).

    Oldest first. The sharing app records each disclosure as an event whose
    ``targets`` name the people concerned and whose ``recipients`` name who
    received it; this reads them back through the audit log's own search.
    """
    return events_matching(LogFilters(person=person_ref)).exclude(recipients=[]).order_by("seq")


def _subject(person: Person) -> dict[str, Any]:
    return {
        "reference": person.short_ref,
        "full_name": person.full_name,
        "aliases": list(person.aliases or []),
        "date_of_birth": _iso(person.date_of_birth),
        "addresses": list(person.addresses or []),
        "bcu": person.bcu.name,
        "borough": person.borough.name if person.borough else None,
        "recorded_on": _iso(timezone.localdate(person.created_at)),
    }


def _protected(person: Person) -> dict[str, Any]:
    return {
        "observed_ethnicity": _label("observed_ethnicity", person.observed_ethnicity) or None,
        "self_defined_ethnicity": _label("self_defined_ethnicity", person.self_defined_ethnicity) or None,
        "gender": _label("gender", person.gender) or None,
        "note": "Held for equality monitoring only; never used in scoring or in deciding who is nominated.",
    }


def _intelligence(person: Person) -> list[dict[str, Any]]:
    rows = []
    for item in person.intelligence.select_related("gang").order_by("occurred_on", "created_at"):
        rows.append(
            {
                "reference": item.ref,
                "occurred_on": _iso(item.occurred_on),
                "recorded_at": _iso(item.created_at),
                "recorded_as": _label("category", item.category),
                "category": item.category,
                "fact_or_assessment": _label("nature", item.nature),
                "nature": item.nature,
                "what_it_says": item.summary,
                "evidences": _label("criterion", item.criterion),
                "offence_code": item.offence_code or None,
                "gang": item.gang.name if item.gang else None,
                "source_type": _label("source_type", item.source_type),
                "grade": {
                    "code": item.grade,
                    "source": _label("source_grade", item.source_grade),
                    "intelligence": item.get_intel_grade_display(),
                    "handling": item.get_handling_display(),
                },
                "handling_conditions": item.handling_conditions or None,
                "verification": _label("verification", item.verification),
            }
        )
    return rows


def _explanation_lines(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "item": f"intelligence:{line.get('item')}",
            "criterion": _label("criterion", line.get("criterion")),
            "points": str(line.get("points", "")),
            "reason": str(line.get("reason", "")),
        }
        for line in lines
    ]


def _scores(person: Person) -> list[dict[str, Any]]:
    rows = []
    for harm in HarmScore.objects.filter(person=person).select_related("rubric").order_by("-computed_at"):
        explanation = harm.explanation if isinstance(harm.explanation, dict) else {}
        rows.append(
            {
                "reference": f"harm_score:{harm.pk}",
                "computed_at": _iso(harm.computed_at),
                "current": harm.is_current,
                "total": _number(harm.total),
                "recommended_band": _label("band", harm.recommended_band),
                "rubric_version": harm.rubric.version,
                "counted": _explanation_lines(explanation.get("counted", [])),
                "not_counted": _explanation_lines(explanation.get("excluded", [])),
                "note": "A score only recommends a band; a named person decides, with reasons.",
            }
        )
    return rows


def _nominations(person: Person) -> list[dict[str, Any]]:
    rows = []
    for nomination in person.nominations.select_related("gang").order_by("proposed_at"):
        rows.append(
            {
                "reference": nomination.ref,
                "status": nomination.get_status_display(),
                "band": _label("band", nomination.band),
                "gang": nomination.gang.name if nomination.gang else None,
                "proposed_at": _iso(nomination.proposed_at),
                "reasons": nomination.reasons,
                "activated_at": _iso(nomination.activated_at),
                "reasons_for_confirming": nomination.activation_reasons,
                "review_due": _iso(nomination.review_due),
                "corroborating_items": [f"intelligence:{i}" for i in nomination.corroborating_items or []],
            }
        )
    return rows


def _decisions(person: Person) -> list[dict[str, Any]]:
    rows = []
    for decision in RagDecision.objects.filter(nomination__person=person).order_by("decided_at"):
        rows.append(
            {
                "reference": f"rag_decision:{decision.pk}",
                "nomination": f"nomination:{decision.nomination_id}",
                "decided_at": _iso(decision.decided_at),
                "band": _label("band", decision.band),
                "previous_band": _label("band", decision.previous_band) or None,
                "reasons": decision.reasons,
                "score_seen": _number(decision.score_total),
                "recommended_band_seen": _label("band", decision.recommended_band) or None,
                "rubric_version": decision.rubric_version,
            }
        )
    return rows


def _reviews(person: Person) -> list[dict[str, Any]]:
    rows = []
    for review in Review.objects.filter(person=person).order_by("opened_at"):
        rows.append(
            {
                "reference": review.ref,
                "opened_at": _iso(review.opened_at),
                "why": _label("trigger", review.trigger),
                "due_on": _iso(review.due_on),
                "status": _label("review_status", review.status),
                "decision": _label("decision", review.decision) or None,
                "reasons": review.reasons,
                "decided_at": _iso(review.decided_at),
                "next_review_on": _iso(review.next_review_on),
                "erasure_due_at": _iso(review.erasure_due_at),
            }
        )
    return rows


def _restrictions(person: Person) -> list[dict[str, Any]]:
    rows = []
    for restriction in Restriction.objects.filter(person=person).order_by("created_at"):
        rows.append(
            {
                "reference": restriction.ref,
                "ground": _label("restriction_ground", restriction.ground),
                "reasons": restriction.reasons,
                "restricted_at": _iso(restriction.created_at),
                "lifted_at": _iso(restriction.lifted_at),
                "reasons_for_lifting": restriction.lift_reasons,
            }
        )
    return rows


def _actions(person: Person) -> list[dict[str, Any]]:
    rows = []
    for action in Action.objects.filter(person=person).select_related("kind").order_by("taken_on", "recorded_at"):
        rows.append(
            {
                "reference": action.ref,
                "nomination": f"nomination:{action.nomination_id}" if action.nomination_id else None,
                "taken_on": _iso(action.taken_on),
                "action": action.kind.label,
                "kind": action.kind.get_kind_display(),
                "band_at_the_time": _label("band", action.band) or None,
                "basis": action.get_basis_display(),
                "notes": action.notes,
            }
        )
    return rows


def _disclosures(person: Person) -> list[dict[str, Any]]:
    rows = []
    for event in disclosures_of(person.ref):
        detail = event.detail if isinstance(event.detail, dict) else {}
        fields = detail.get("fields")
        rows.append(
            {
                "reference": f"disclosure:{event.seq}",
                "disclosed_at": _iso(event.occurred_at),
                "recipients": [str(r) for r in event.recipients],
                "what": verb_label(event.verb),
                "record": event.object_ref or None,
                "fields": [str(f) for f in fields] if isinstance(fields, list) else None,
                "purpose": event.purpose or None,
            }
        )
    return rows


def sar_collect(person: Person) -> dict[str, Any]:
    """Every section of the package for ``person``, nothing withheld (reads only; logs nothing)."""
    preload([person.data_key_id])
    return {
        "subject": _subject(person),
        "protected_characteristics": _protected(person),
        "intelligence": _intelligence(person),
        "harm_scores": _scores(person),
        "nominations": _nominations(person),
        "rag_decisions": _decisions(person),
        "reviews": _reviews(person),
        "restrictions": _restrictions(person),
        "actions": _actions(person),
        "disclosures": _disclosures(person),
    }


def parts_of(sections: dict[str, Any]) -> list[Part]:
    """What a reviewer may withhold in these sections: each section whole, and each item in it."""
    parts = [
        Part(ref=f"section:{name}", section=name, label=f"The whole section: {SECTIONS[name]}") for name in SECTIONS
    ]
    for name in ITEM_SECTIONS:
        for entry in sections.get(name, []):
            parts.append(Part(ref=entry["reference"], section=name, label=_describe(name, entry)))
    return parts


def _describe(section: str, entry: dict[str, Any]) -> str:
    """A line naming one entry for the withholding form (the IRU sees the record anyway)."""
    if section == "intelligence":
        return f"Intelligence of {entry['occurred_on']} ({entry['grade']['code']}, {entry['evidences']})"
    if section == "harm_scores":
        return f"Harm score {entry['total']} of {entry['computed_at'][:10]}"
    if section == "nominations":
        return f"Nomination proposed {entry['proposed_at'][:10]} ({entry['status']})"
    if section == "rag_decisions":
        return f"Band decision of {entry['decided_at'][:10]} ({entry['band']})"
    if section == "reviews":
        return f"Review opened {entry['opened_at'][:10]} ({entry['status']})"
    if section == "restrictions":
        return f"Restriction of {entry['restricted_at'][:10]}"
    if section == "actions":
        return f"Action of {entry['taken_on']} ({entry['action']})"
    if section == "disclosures":
        return f"Disclosure of {entry['disclosed_at'][:10]} to {', '.join(entry['recipients'])}"
    return str(entry.get("reference", section))  # pragma: no cover - every section is named above


# Withholding ------------------------------------------------------------------------------------------------


def _apply(sections: dict[str, Any], withheld: Sequence[Withheld]) -> dict[str, Any]:
    """The sections with every withheld part (and what cites it) left out."""
    refs = {w.part for w in withheld}
    out = dict(sections)
    for w in withheld:
        name = w.part.removeprefix("section:")
        if w.part.startswith("section:") and name in SECTIONS:
            # A section withheld without telling the subject reads as one with nothing in it (s.45(6)).
            out[name] = None if w.tell_subject else ({} if isinstance(sections.get(name), dict) else [])
    for name in ITEM_SECTIONS:
        if out.get(name) is not None:
            out[name] = [entry for entry in out[name] if entry["reference"] not in refs]
    hidden_items = {r for r in refs if r.startswith("intelligence:")}
    if "section:intelligence" in refs:
        hidden_items |= {e["reference"] for e in sections.get("intelligence") or []}
    hidden_nominations = {r for r in refs if r.startswith("nomination:")}
    if "section:nominations" in refs:
        hidden_nominations |= {e["reference"] for e in sections.get("nominations") or []}
    if out.get("harm_scores"):
        out["harm_scores"] = [
            {
                **score,
                "counted": [line for line in score["counted"] if line["item"] not in hidden_items],
                "not_counted": [line for line in score["not_counted"] if line["item"] not in hidden_items],
            }
            for score in out["harm_scores"]
        ]
    if out.get("nominations"):
        out["nominations"] = [
            {**n, "corroborating_items": [i for i in n["corroborating_items"] if i not in hidden_items]}
            for n in out["nominations"]
        ]
    for name in ("rag_decisions", "actions"):
        if out.get(name):
            out[name] = [entry for entry in out[name] if entry.get("nomination") not in hidden_nominations]
    return out


def _information(sections: dict[str, Any], person: Person) -> dict[str, Any]:
    """What s.45(2) says the subject must be told, from what the package holds."""
    recipients = sorted({r for d in sections.get("disclosures") or [] for r in d["recipients"]})
    origins = sorted({i["source_type"] for i in sections.get("intelligence") or []})
    categories = sorted({i["recorded_as"] for i in sections.get("intelligence") or []})
    held = [SECTIONS[name] for name in SECTIONS if sections.get(name)]
    next_review = [
        n["review_due"] for n in sections.get("nominations") or [] if n.get("review_due") and n["status"] != "Removed"
    ] + [r["due_on"] for r in sections.get("reviews") or [] if r["status"] == "Open"]
    return {
        "controller": getattr(settings, "CUSTOS_CONTROLLER_NAME", "The chief officer of the police force"),
        "purposes": "The prevention, investigation, detection or prosecution of criminal offences, and "
        "safeguarding against threats to public security (Data Protection Act 2018, s.31).",
        "legal_basis": "Processing necessary for a law enforcement task carried out by a competent authority "
        "(Data Protection Act 2018, s.35(2)(b)); sensitive processing only where strictly necessary under "
        "Schedule 8 (s.35(5)).",
        "categories_of_data": held,
        "recorded_as": categories,
        "recipients": recipients,
        "retention": "Records are reviewed on a schedule and erased when they are no longer needed "
        "(Data Protection Act 2018, s.39).",
        "next_review": min(next_review) if next_review else None,
        "origin": origins,
        "rights": RIGHTS_TEXT,
        "restricted_now": person.restricted_at is not None,
    }


# The package ------------------------------------------------------------------------------------------------


STYLESHEET = Path(__file__).resolve().parent / "data" / "sar_package.css"


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint, styled by ``data/sar_package.css``. Nothing is linked, so nothing is fetched."""
    import weasyprint  # imported here: loading pango is slow and only SAR compiles need it

    css = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return pdf


def sar_compile(
    person: Person,
    *,
    withheld: Sequence[Withheld] = (),
    request_ref: str = "",
    received_on: dt.date | None = None,
    compiled_at: dt.datetime | None = None,
    draft: bool = True,
    pdf: bool = True,
) -> SarPackage:
    """Compile everything held on ``person`` into a JSON document and (``pdf``) a readable PDF.

    No authorisation and no audit event: the callers do both. ``withheld``
    parts are left out; those with ``tell_subject`` are listed in the
    package with their ground (never the internal reasons). ``draft``
    marks every page of the PDF as not yet reviewed.
    """
    compiled_at = compiled_at or timezone.now()
    full = sar_collect(person)
    sections = _apply(full, withheld)
    told = [{"part": w.part, "ground": w.ground_label} for w in withheld if w.tell_subject]
    data: dict[str, Any] = {
        "format": FORMAT,
        "request": {"reference": request_ref or None, "received_on": _iso(received_on)},
        "compiled_at": _iso(compiled_at),
        "draft": draft,
        **{name: sections.get(name) for name in SECTIONS},
        "withheld": told,
        "withheld_note": (
            "Some information has been withheld where the law allows it (Data Protection Act 2018, s.45(4)). "
            "Each part withheld is listed with the ground relied on. You may complain to the Information "
            "Commissioner about this."
            if told
            else None
        ),
        "about_your_data": _information(sections, person),
    }
    json_bytes = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    pdf_bytes = render_pdf(pdf_html(data)) if pdf else None
    return SarPackage(
        data=data,
        json_bytes=json_bytes,
        pdf=pdf_bytes,
        parts=parts_of(full),
        withheld_refs=[w.part for w in withheld],
        full=full,
    )


#: The text of an entry the package preview shows under its label.
_PREVIEW_TEXT = {
    "intelligence": "what_it_says",
    "nominations": "reasons",
    "rag_decisions": "reasons",
    "reviews": "reasons",
    "restrictions": "reasons",
    "actions": "notes",
    "disclosures": "purpose",
}


@dataclass(frozen=True)
class PreviewEntry:
    ref: str
    label: str
    text: str
    withheld: bool


@dataclass(frozen=True)
class PreviewSection:
    name: str
    heading: str
    withheld: bool
    entries: list[PreviewEntry]


def preview(package: SarPackage) -> list[PreviewSection]:
    """The package's item sections as the reviewer sees them: every entry, with what is withheld marked."""
    withheld = set(package.withheld_refs)
    labels = {part.ref: part.label for part in package.parts}
    out = []
    for name in ITEM_SECTIONS:
        entries = [
            PreviewEntry(
                ref=entry["reference"],
                label=labels.get(entry["reference"], entry["reference"]),
                text=str(entry.get(_PREVIEW_TEXT.get(name, ""), "") or ""),
                withheld=entry["reference"] in withheld,
            )
            for entry in package.full.get(name) or []
        ]
        out.append(PreviewSection(name, SECTIONS[name], f"section:{name}" in withheld, entries))
    return out


def pdf_html(data: dict[str, Any]) -> str:
    """The HTML the PDF is printed from (``rights/sar_package.html``)."""
    return render_to_string("rights/sar_package.html", {"p": data, "sections": SECTIONS})
