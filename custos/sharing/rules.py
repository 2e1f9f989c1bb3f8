"""The sharing guidance as rules (Annex 1 term 6): what may be shared, with whom. Pure: no database.

The notice (¶37–40) found the whole matrix shared, unredacted, with public
bodies and private or voluntary ones alike. The guidance differentiates:

- a recipient **exercising statutory functions** (a council's youth
  offending service, probation, a prison, the CPS) may receive what its
  agreement allows, within the catalogue below;
- a recipient **with no statutory function** (a housing association, a
  charity, a private school) may never receive intelligence text, victims or
  witnesses, or people in the green band or not on the matrix, unless the
  Information Rights Unit approved the agreement with an exception for that
  rule, with reasons (``EXCEPTIONS``).

For every recipient: only fields in ``FIELDS`` exist (protected
characteristics, source details, handling codes and the harm-score
explanation are never shareable); a person must be in at least one of the
agreement's categories and in its bands, and records in other categories are
left out (a person recorded both as a suspect and as a victim is shared, to a
recipient whose agreement covers suspects only, without their victim
records); restricted people (s.47) are never shared; unverified or rejected
social-media items and grade-E intelligence never leave; third parties named
in free text are redacted.

``GUIDANCE_VERSION`` is recorded on each agreement approved under it. The
readable page (``/sharing/guidance/``) is rendered from these same
definitions, so the page and the checks cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from custos.register.models import Band, Category

GUIDANCE_VERSION = 1

#: Field code -> (label, what the recipient gets). The only fields a package can hold.
FIELDS: dict[str, tuple[str, str]] = {
    "reference": (
        "Custos reference",
        "The pseudonymous reference (P-…), so a recipient can refer back without a name.",
    ),
    "full_name": ("Name", "The person's full name."),
    "aliases": ("Aliases", "Other names the person is known by."),
    "date_of_birth": ("Date of birth", "Day, month and year of birth."),
    "address": ("Address", "The current address (the first recorded)."),
    "postcode": ("Postcode", "The postcode of the current address."),
    "borough": ("Borough", "The borough the person is recorded in."),
    "bcu": ("BCU", "The Basic Command Unit that holds the record."),
    "band": ("RAG band", "The current red, amber or green band (blank if not on the matrix)."),
    "harm_score": ("Harm score", "The current harm score total, with the rubric version."),
    "categories": ("Categories", "Whether the person is recorded as an offender, victim, witness or other."),
    "gang": ("Gang", "The gang named on the person's current nomination."),
    "intelligence": (
        "Intelligence",
        "Each shareable item: date, category, criterion, grade, fact or assessment, summary (third parties "
        "redacted) and any handling conditions.",
    ),
}

#: Bands an agreement can allow: the three RAG bands and 'none' (people not on the matrix).
NO_BAND = "none"
BANDS: dict[str, str] = {Band.RED: "Red", Band.AMBER: "Amber", Band.GREEN: "Green", NO_BAND: "Not on the matrix"}
CATEGORIES: dict[str, str] = {str(value): str(label) for value, label in Category.choices}

#: Departures from the guidance an IRU approval may record, with reasons, for a non-statutory recipient.
INTELLIGENCE_TEXT = "intelligence_text"
VICTIMS = "victims"
LOW_RISK = "low_risk"
EXCEPTIONS: dict[str, str] = {
    INTELLIGENCE_TEXT: "Intelligence text to a recipient with no statutory function",
    VICTIMS: "Victims or witnesses to a recipient with no statutory function",
    LOW_RISK: "People in the green band or not on the matrix to a recipient with no statutory function",
}

#: Limits on an agreement.
MAX_REVIEW_YEARS = 2
MAX_RETENTION_DAYS = 3650
MIN_SIGNATORIES = 2
MIN_REASONS = 20
MIN_NECESSITY = 20
MAX_PEOPLE = 5000
#: How long a package is kept by the recipient at most when the agreement allows longer (days): see ``package_expiry``.
MAX_PACKAGE_DAYS = 90


@dataclass(frozen=True)
class Problem:
    """One reason a thing cannot be done: the rule broken, the field to fix, a message for the user."""

    rule: str
    field: str
    message: str


def exceptions_needed(
    *, statutory: bool, fields: Iterable[str], categories: Iterable[str], bands: Iterable[str]
) -> list[str]:
    """The guidance exceptions an agreement with this scope needs (none for a statutory recipient)."""
    if statutory:
        return []
    needed = []
    if "intelligence" in set(fields):
        needed.append(INTELLIGENCE_TEXT)
    if {Category.VICTIM, Category.WITNESS} & set(categories):
        needed.append(VICTIMS)
    if {Band.GREEN, NO_BAND} & set(bands):
        needed.append(LOW_RISK)
    return needed


def scope_problems(*, fields: Sequence[str], categories: Sequence[str], bands: Sequence[str]) -> list[Problem]:
    """What is wrong with an agreement's lists of fields, categories and bands."""
    problems = []
    unknown = [f for f in fields if f not in FIELDS]
    if not fields:
        problems.append(Problem("fields", "fields", "Choose at least one field the recipient may receive."))
    elif unknown:
        problems.append(
            Problem("fields", "fields", "These fields cannot be shared: " + ", ".join(sorted(map(str, unknown))) + ".")
        )
    if not categories:
        problems.append(Problem("categories", "categories", "Choose at least one category of people."))
    elif any(c not in CATEGORIES for c in categories):
        problems.append(Problem("categories", "categories", "Choose categories from the list."))
    if not bands:
        problems.append(Problem("bands", "bands", "Choose at least one band."))
    elif any(b not in BANDS for b in bands):
        problems.append(Problem("bands", "bands", "Choose bands from the list."))
    return problems


def approval_problems(
    *,
    statutory: bool,
    fields: Sequence[str],
    categories: Sequence[str],
    bands: Sequence[str],
    exceptions: Mapping[str, str],
    review_date: dt.date,
    today: dt.date,
    retention_days: int,
    signatories: Sequence[Mapping[str, str]],
) -> list[Problem]:
    """Everything that stops an agreement being approved, under the guidance."""
    problems = scope_problems(fields=fields, categories=categories, bands=bands)
    for code in exceptions:
        if code not in EXCEPTIONS:
            problems.append(Problem("exceptions", "exceptions", "Record exceptions only for the rules listed."))
            break
    needed = exceptions_needed(statutory=statutory, fields=fields, categories=categories, bands=bands)
    for code in needed:
        if len(" ".join((exceptions.get(code) or "").split())) < MIN_REASONS:
            problems.append(
                Problem(
                    code,
                    f"exception_{code}",
                    f"The guidance does not allow this for a recipient with no statutory function: "
                    f"{EXCEPTIONS[code].lower()}. Give the reasons for an exception (at least {MIN_REASONS} "
                    "characters) or narrow the agreement.",
                )
            )
    unneeded = [code for code in exceptions if code in EXCEPTIONS and code not in needed]
    if unneeded:
        problems.append(
            Problem("exceptions", "exceptions", "An exception is recorded for something this agreement does not share.")
        )
    if review_date <= today:
        problems.append(Problem("review_date", "review_date", "The review date must be in the future."))
    elif review_date > today + dt.timedelta(days=366 * MAX_REVIEW_YEARS):
        problems.append(
            Problem("review_date", "review_date", f"An agreement is reviewed at least every {MAX_REVIEW_YEARS} years.")
        )
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        problems.append(
            Problem(
                "retention_days", "retention_days", f"Retention at the recipient is 1 to {MAX_RETENTION_DAYS} days."
            )
        )
    complete = [s for s in signatories if all((s.get(k) or "").strip() for k in ("name", "role", "organisation"))]
    if len(complete) < MIN_SIGNATORIES or len(complete) != len(signatories):
        problems.append(
            Problem(
                "signatories",
                "signatories",
                f"Name at least {MIN_SIGNATORIES} signatories, each with name, role and organisation.",
            )
        )
    return problems


def person_problems(
    *,
    categories: Iterable[str],
    band: str,
    restricted: bool,
    allowed_categories: Iterable[str],
    allowed_bands: Iterable[str],
    necessity: str,
) -> list[Problem]:
    """Why one person cannot be shared under an agreement (empty when they can)."""
    problems = []
    if restricted:
        problems.append(Problem("restricted", "people", "processing is restricted (s.47): nothing may be shared"))
    held = set(categories)
    if not held:
        problems.append(Problem("categories", "people", "no record says what category this person is"))
    elif not held & set(allowed_categories):
        labels = ", ".join(CATEGORIES.get(c, c).lower() for c in sorted(held))
        problems.append(
            Problem("categories", "people", f"recorded only as {labels}, which the agreement does not cover")
        )
    if (band or NO_BAND) not in set(allowed_bands):
        problems.append(
            Problem(
                "bands", "people", f"band {BANDS.get(band or NO_BAND, band).lower()} is not covered by the agreement"
            )
        )
    if len(" ".join((necessity or "").split())) < MIN_NECESSITY:
        problems.append(
            Problem(
                "necessity",
                "people",
                f"say why sharing is necessary for this person (at least {MIN_NECESSITY} characters)",
            )
        )
    return problems


def package_expiry(*, today: dt.date, retention_days: int, review_date: dt.date) -> dt.date:
    """When the recipient must destroy a package: the agreement's retention, capped, never after its review date."""
    return min(
        today + dt.timedelta(days=min(retention_days, MAX_PACKAGE_DAYS)), max(review_date, today + dt.timedelta(days=1))
    )
