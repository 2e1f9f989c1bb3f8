"""Reading the equality monitor's figures: aggregates only, never a person.

``entries`` reads every decision point from what the system records and
reduces each person to the characteristics monitored (BCU, self-defined and
observed ethnicity, age band at the reporting date, gender). Nothing below
returns or logs anything per person: the callers get counts.

Decision points (``POINTS``):

- inclusion — people with an active nomination (active or under review): the matrix;
- banding — the same people by their current RAG band;
- actions — people with at least one action of each kind (enforcement, diversion, safeguarding);
- sharing — people in disclosed disclosures (``DisclosureSubject`` rows);
- removal — erased people, from ``RemovalTally`` (already counts, by band).

Rates per 1,000 for banding, actions, sharing and removal use the people on
the matrix of the same group as the denominator; inclusion rates need a
baseline with counts (the shipped census file has percentages only).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.crypto.envelope import preload
from custos.oversight.equality import groups, policies
from custos.oversight.equality.models import Baseline, EqualityPublication
from custos.oversight.equality.stats import Ratio, rate_per_1000, rate_ratio, representation_ratio
from custos.register.models import Action, ActionKind, Band, Nomination, Person, RagDecision
from custos.retention.models import RemovalTally
from custos.sharing.models import Disclosure, DisclosureSubject

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CENSUS_FILE = DATA_DIR / "london-census-2021-ethnicity.csv"
CENSUS_NAME = "ONS Census 2021, London (high-level ethnic group)"
CENSUS_SOURCE = (
    "Office for National Statistics, Census 2021, usual residents of London by high-level ethnic group "
    "(percent); shipped as custos/oversight/data/london-census-2021-ethnicity.csv"
)
CENSUS_LIMITS = (
    "Percentages of all usual residents of every age: not age-specific, not a count, and not an offender or "
    "victim population. Ratios against it compare the matrix with London as a whole."
)

POINTS = {
    "inclusion": "Inclusion (on the matrix)",
    "banding": "Banding (RAG band)",
    "actions": "Actions (by kind)",
    "sharing": "Sharing (disclosed)",
    "removal": "Removal (erased)",
}
SERIES = {
    "activated": "Nominations activated",
    "rag": "RAG decisions",
    "actions": "Actions",
    "sharing": "People disclosed",
    "removal": "Removals",
}
DIMENSIONS = {
    "ethnicity": "Self-defined ethnicity (group)",
    "observed": "Officer-observed code",
    "age_band": "Age band",
    "gender": "Gender",
    "bcu": "BCU",
}
BAND_LABELS = {"red": "Red", "amber": "Amber", "green": "Green", "": "No band"}


@dataclass(frozen=True)
class Entry:
    """One person (or a tally's ``weight`` people) at a decision point; no identity."""

    point: str
    category: str
    month: str
    bcu: str
    ethnicity: str
    observed: str
    age_band: str
    gender: str
    weight: int = 1

    def value(self, dimension: str) -> str:
        return str(getattr(self, dimension))

    @property
    def observed_group(self) -> str:
        return groups.observed_group(self.observed)


@dataclass(frozen=True)
class BaselineView:
    """A baseline as the monitor uses it: shares by group, counts when known, its limits."""

    name: str
    kind: str
    source: str
    limits: str
    shares: dict[str, float]
    counts: dict[str, float] | None = None
    by_age: dict[str, dict[str, float]] = field(default_factory=dict)  # age band → group → share


def census_baseline() -> BaselineView:
    """The shipped default: ONS Census 2021, London, percentages by high-level group."""
    with CENSUS_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    percents = {row["ethnic_group_high_level"]: float(row["percent_of_usual_residents"]) for row in rows}
    total = sum(percents.values())
    return BaselineView(
        name=CENSUS_NAME,
        kind=Baseline.Kind.POPULATION,
        source=CENSUS_SOURCE,
        limits=CENSUS_LIMITS,
        shares={group: value / total for group, value in percents.items()},
    )


def baseline_view(baseline: Baseline) -> BaselineView:
    """A loaded baseline: rows of {group, age_band?, count|percent}."""
    totals: Counter[str] = Counter()
    by_age: dict[str, Counter[str]] = defaultdict(Counter)
    has_counts = all(row.get("count") is not None for row in baseline.rows)
    for row in baseline.rows:
        amount = float(row["count"] if has_counts else row["percent"])
        totals[row["group"]] += amount  # type: ignore[assignment]
        if row.get("age_band"):
            by_age[row["age_band"]][row["group"]] += amount  # type: ignore[assignment]
    grand = sum(totals.values())
    shares = {group: value / grand for group, value in totals.items()} if grand else {}
    shares_by_age = {
        band: {group: value / sum(counter.values()) for group, value in counter.items()}
        for band, counter in by_age.items()
        if sum(counter.values())
    }
    limits = "Age-banded." if shares_by_age else "Not age-specific."
    limits += " Counts given: rates per 1,000 computable." if has_counts else " Percentages only: no rates."
    return BaselineView(
        name=baseline.name,
        kind=baseline.kind,
        source=baseline.source,
        limits=limits,
        shares=shares,
        counts=dict(totals) if has_counts else None,
        by_age=shares_by_age,
    )


def baseline_choose(baseline_id: str | None) -> BaselineView:
    """A loaded baseline by its id, or the shipped census default."""
    if baseline_id and baseline_id.isdigit():
        found = Baseline.objects.filter(pk=int(baseline_id)).first()
        if found is not None:
            return baseline_view(found)
    return census_baseline()


def age_baseline() -> BaselineView | None:
    """The newest loaded population baseline with age bands, if any."""
    for baseline in Baseline.objects.filter(kind=Baseline.Kind.POPULATION).order_by("-loaded_at"):
        if baseline.age_banded:
            return baseline_view(baseline)
    return None


# --- reading the decision points ---------------------------------------------------------------------


def _month(moment: dt.datetime | dt.date | None) -> str:
    return moment.strftime("%Y-%m") if moment else ""


def _safe(read: Any) -> str:
    try:
        return str(read() or "")
    except Exception:  # noqa: BLE001 - a shredded key leaves the value unknown, never an error
        return ""


def _traits(person: Person, on: dt.date) -> tuple[str, str, str, str, str]:
    dob: dt.date | None
    try:
        dob = person.date_of_birth
    except Exception:  # noqa: BLE001 - as above
        dob = None
    return (
        person.bcu.code,
        groups.self_defined_group(_safe(lambda: person.self_defined_ethnicity)),
        _safe(lambda: person.observed_ethnicity),
        groups.age_band(dob, on),
        _safe(lambda: person.gender),
    )


def entries(*, on: dt.date, bcu: str | None = None) -> list[Entry]:
    """Every decision point and time-series event as anonymous entries (see the module docstring)."""
    matrix = Nomination.objects.filter(status__in=[Nomination.Status.ACTIVE, Nomination.Status.UNDER_REVIEW])
    actions = Action.objects.select_related("kind")
    shared = DisclosureSubject.objects.filter(disclosure__status=Disclosure.Status.DISCLOSED).select_related(
        "disclosure"
    )
    decisions = RagDecision.objects.select_related("nomination")
    activated = Nomination.objects.filter(activated_at__isnull=False)
    tallies = RemovalTally.objects.all()
    if bcu:
        matrix = matrix.filter(bcu__code=bcu)
        actions = actions.filter(person__bcu__code=bcu)
        shared = shared.filter(person__bcu__code=bcu)
        decisions = decisions.filter(nomination__bcu__code=bcu)
        activated = activated.filter(bcu__code=bcu)
        tallies = tallies.filter(bcu_code=bcu)
    person_ids: set[Any] = set()
    rows: dict[str, list[Any]] = {
        "matrix": list(matrix.values_list("person_id", "band", "activated_at")),
        "actions": list(actions.values_list("person_id", "kind__kind", "taken_on")),
        "shared": list(shared.values_list("person_id", "disclosure__decided_at")),
        "rag": list(decisions.values_list("nomination__person_id", "decided_at")),
        "activated": list(activated.values_list("person_id", "activated_at")),
    }
    for found in rows.values():
        person_ids.update(row[0] for row in found)
    people = Person.objects.filter(pk__in=person_ids).select_related("bcu")
    preload(people.values_list("data_key_id", flat=True))
    traits = {person.pk: _traits(person, on) for person in people}
    out: list[Entry] = []
    for person_id, band, when in rows["matrix"]:
        out.append(Entry("inclusion", "", _month(when), *traits[person_id]))
        out.append(Entry("banding", band or "", _month(when), *traits[person_id]))
    seen_kinds: set[tuple[Any, str]] = set()
    for person_id, kind, when in rows["actions"]:
        out.append(Entry("series:actions", kind, _month(when), *traits[person_id]))
        if (person_id, kind) not in seen_kinds:
            seen_kinds.add((person_id, kind))
            out.append(Entry("actions", kind, _month(when), *traits[person_id]))
    seen_shared: set[Any] = set()
    for person_id, when in rows["shared"]:
        out.append(Entry("series:sharing", "", _month(when), *traits[person_id]))
        if person_id not in seen_shared:
            seen_shared.add(person_id)
            out.append(Entry("sharing", "", _month(when), *traits[person_id]))
    for person_id, when in rows["rag"]:
        out.append(Entry("series:rag", "", _month(when), *traits[person_id]))
    for person_id, when in rows["activated"]:
        out.append(Entry("series:activated", "", _month(when), *traits[person_id]))
    for tally in tallies:
        out.append(
            Entry(
                "removal",
                tally.band,
                tally.month,
                bcu=tally.bcu_code,
                ethnicity=groups.self_defined_group(tally.self_defined_ethnicity),
                observed=tally.observed_ethnicity,
                age_band=tally.age_band,
                gender=tally.gender,
                weight=tally.count,
            )
        )
    return out


# --- aggregates ---------------------------------------------------------------------------------------


def count(rows: Iterable[Entry]) -> int:
    return sum(entry.weight for entry in rows)


def composition(rows: Sequence[Entry], dimension: str) -> dict[str, int]:
    """People per value of one dimension."""
    counts: Counter[str] = Counter()
    for entry in rows:
        counts[entry.value(dimension)] += entry.weight
    return dict(sorted(counts.items()))


def crosstab(rows: Sequence[Entry], row_dim: str, col_dim: str) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for entry in rows:
        counts[(entry.value(row_dim), entry.value(col_dim))] += entry.weight
    return dict(counts)


def categories(point: str) -> list[tuple[str, str]]:
    """The categories a decision point is split into, as (code, label)."""
    if point == "banding" or point == "removal":
        return [(band.value, band.label) for band in Band] + [("", "No band")]
    if point == "actions":
        return [(kind.value, kind.label) for kind in ActionKind.Kind]
    return [("", "All")]


@dataclass(frozen=True)
class RatioRow:
    group: str
    count: int
    share: float | None
    baseline_share: float | None
    representation: Ratio
    rate: float | None
    rate_ratio: Ratio


def ratios(
    rows: Sequence[Entry],
    *,
    point: str,
    matrix: Sequence[Entry],
    baseline: BaselineView,
    by: str = "ethnicity",
) -> list[RatioRow]:
    """Representation and relative rate ratios per high-level group (reference White).

    ``by`` is "ethnicity" (self-defined) or "observed" (mapped to groups).
    People whose group is not known are left out of shares and rates.
    """

    def group_of(entry: Entry) -> str:
        return entry.ethnicity if by == "ethnicity" else entry.observed_group

    known = [entry for entry in rows if group_of(entry) != groups.NOT_KNOWN]
    total = count(known)
    at_point: Counter[str] = Counter()
    for entry in known:
        at_point[group_of(entry)] += entry.weight
    denominators: dict[str, float] | None
    if point == "inclusion":
        denominators = baseline.counts
    else:
        on_matrix: Counter[str] = Counter()
        for entry in matrix:
            on_matrix[group_of(entry)] += entry.weight
        denominators = {group: float(on_matrix[group]) for group in groups.GROUPS}
    out = []
    for group in groups.GROUPS:
        a = at_point[group]
        base_share = baseline.shares.get(group)
        representation = representation_ratio(a, total, base_share) if base_share else Ratio(None)
        if denominators is None:
            rate, relative = None, Ratio(None)
        else:
            rate = rate_per_1000(a, denominators.get(group, 0))
            relative = rate_ratio(
                a,
                denominators.get(group, 0),
                at_point[groups.REFERENCE],
                denominators.get(groups.REFERENCE, 0),
            )
        out.append(
            RatioRow(
                group=group,
                count=a,
                share=a / total if total else None,
                baseline_share=base_share,
                representation=representation,
                rate=rate,
                rate_ratio=relative,
            )
        )
    return out


def age_ratios(matrix: Sequence[Entry], baseline: BaselineView) -> dict[str, list[RatioRow]]:
    """Representation on the matrix within each age band, against an age-banded baseline."""
    out = {}
    for band in groups.AGE_BANDS:
        shares = baseline.by_age.get(band)
        if not shares:
            continue
        view = BaselineView(baseline.name, baseline.kind, baseline.source, baseline.limits, shares)
        rows = [entry for entry in matrix if entry.age_band == band]
        out[band] = ratios(rows, point="banding", matrix=matrix, baseline=view)
    return out


def series(all_entries: Sequence[Entry], *, by: str = "ethnicity") -> dict[str, dict[str, dict[str, int]]]:
    """Events per month per group: {series: {month: {group: count}}}."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for name in SERIES:
        point = "removal" if name == "removal" else f"series:{name}"
        months: dict[str, Counter[str]] = defaultdict(Counter)
        for entry in all_entries:
            if entry.point == point and entry.month:
                months[entry.month][entry.value(by)] += entry.weight
        out[name] = {month: dict(counter) for month, counter in sorted(months.items())}
    return out


# --- the monitor, as a viewer sees it -----------------------------------------------------------------


@dataclass
class Monitor:
    """Everything the monitor page shows: aggregates only."""

    on: dt.date
    bcu: str | None
    point: str | None
    baseline: BaselineView
    age_baseline: BaselineView | None
    entries: list[Entry]

    def at(self, point: str, category: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.point == point and (category is None or e.category == category)]

    @property
    def matrix(self) -> list[Entry]:
        return self.at("inclusion")

    def points(self) -> list[str]:
        return [self.point] if self.point else list(POINTS)


def equality_bcu_for(viewer: User, requested: str | None) -> str | None:
    """The BCU the viewer sees: a SPOC always their own, others what they asked for (or all)."""
    scope = policies.equality_bcu_scope(viewer)
    return scope if scope is not None else (requested or None)


def equality_monitor_for(
    *,
    viewer: User,
    bcu: str | None = None,
    point: str | None = None,
    baseline: str | None = None,
    on: dt.date | None = None,
    record: bool = True,
) -> Monitor:
    """The monitor for a viewer the role rule allows; records ``equality.viewed`` (no people named).

    Raises ``PermissionDenied`` for a role refused by ``policies.may_view_equality``.
    """
    if not policies.may_view_equality(viewer):
        raise PermissionDenied("Only central governance, the DPO, the IRU, auditors and BCU SPOCs see the monitor.")
    on = on or dt.date.today()  # noqa: DTZ011 - a reporting date, not a moment
    scope = equality_bcu_for(viewer, bcu)
    chosen_point = point if point in POINTS else None
    view = baseline_choose(baseline)
    monitor = Monitor(
        on=on,
        bcu=scope,
        point=chosen_point,
        baseline=view,
        age_baseline=age_baseline(),
        entries=entries(on=on, bcu=scope),
    )
    if record:
        with transaction.atomic():
            event_record(
                actor=viewer,
                verb=Verb.EQUALITY_VIEWED,
                object_type="equality",
                object_ref=f"equality:{scope or 'london'}",
                detail={"bcu": scope or "", "point": chosen_point or "", "baseline": view.name},
            )
    return monitor


def publication_latest() -> EqualityPublication | None:
    """The newest quarterly publication (public: aggregates, suppressed)."""
    return EqualityPublication.objects.order_by("-quarter").first()


def publications() -> list[EqualityPublication]:
    """Every quarterly publication, newest first (public: aggregates, suppressed)."""
    return list(EqualityPublication.objects.select_related("published_by").order_by("-quarter"))


def baselines() -> list[Baseline]:
    """The loaded baselines (figures about populations, no personal data)."""
    return list(Baseline.objects.order_by("kind", "name"))
