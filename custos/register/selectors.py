"""Reads of the register's personal data.

Every selector applies the viewer's scope (``policies.people_scope``). The
ones that hand personal data to an interface also record the consultation
(s.62) with the declared purpose, in the event log, before returning. A
record outside the viewer's scope raises ``Http404``: nobody learns that it
exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import Http404

from custos.accounts.models import User
from custos.accounts.selectors import require_current_training
from custos.audit.models import Verb
from custos.audit.services import consultation_record
from custos.crypto.blind_index import date_digest, name_digest
from custos.crypto.envelope import preload
from custos.register import policies
from custos.register.models import (
    BCU,
    Band,
    Category,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    PersonIndex,
    RagDecision,
)


def people_visible_to(*, viewer: User) -> QuerySet[Person]:
    """The people this viewer may see (scope only; logs nothing by itself)."""
    scope = policies.people_scope(viewer)
    if scope is None:
        return Person.objects.none()
    return Person.objects.filter(scope)


def nominations_visible_to(*, viewer: User) -> QuerySet[Nomination]:
    scope = policies.people_scope(viewer)
    if scope is None:
        return Nomination.objects.none()
    return Nomination.objects.filter(person__in=Person.objects.filter(scope))


def intelligence_visible_to(*, viewer: User) -> QuerySet[IntelligenceItem]:
    scope = policies.people_scope(viewer)
    if scope is None:
        return IntelligenceItem.objects.none()
    return IntelligenceItem.objects.filter(person__in=Person.objects.filter(scope))


def require_people_access(viewer: User) -> None:
    """Refuse (403) a user who may not read personal data, saying why.

    A role that reads personal data but whose training is missing or expired
    gets ``TrainingRequired``, naming the course and who to ask; any other
    refusal is a plain ``PermissionDenied``.
    """
    if policies.may_view_people(viewer):
        return
    if policies.role_may_view_people(viewer):
        require_current_training(viewer)
    raise PermissionDenied("Your role does not give access to personal data.")


def _parse_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Http404 from exc


def _bcus_of(codes: Sequence[str]) -> dict[str, Any]:
    """The BCU of the people a consultation names, for the event's detail.

    ``{"bcu": code}`` when they share one (always, for a BCU-scoped viewer),
    else ``{"target_bcus": [...]}`` in the order of the event's targets. The
    audit layer cannot read the register, so this is how its reports know
    whose BCU a consulted person was in at the time.
    """
    if not codes:
        return {}
    if len(set(codes)) == 1:
        return {"bcu": codes[0]}
    return {"target_bcus": list(codes)}


def person_get_for(*, viewer: User, person_id: Any, purpose: str, log: bool = True) -> Person:
    """One person the viewer may see, or ``Http404``; records ``person.consulted``."""
    require_people_access(viewer)
    person = people_visible_to(viewer=viewer).select_related("bcu", "borough").filter(pk=_parse_uuid(person_id)).first()
    if person is None:
        raise Http404("No such person.")
    if log:
        consultation_record(
            actor=viewer,
            verb=Verb.PERSON_CONSULTED,
            object_type="person",
            object_ref=person.ref,
            purpose=purpose,
            detail=_bcus_of([person.bcu.code]),
        )
    return person


@dataclass
class PersonDetail:
    person: Person
    categories: list[str]
    intelligence: list[IntelligenceItem]
    score: HarmScore | None
    nominations: list[Nomination]
    decisions: list[RagDecision]
    show_protected: bool


def person_detail_for(*, viewer: User, person_id: Any, purpose: str) -> PersonDetail:
    """Everything the person page shows, read once and logged once."""
    person = person_get_for(viewer=viewer, person_id=person_id, purpose=purpose)
    intelligence = list(person.intelligence.select_related("gang").order_by("-occurred_on", "-created_at"))
    nominations = list(person.nominations.select_related("gang", "proposed_by", "activated_by"))
    decisions = list(
        RagDecision.objects.filter(nomination__person=person).select_related("decided_by").order_by("-decided_at")
    )
    score = person.scores.filter(is_current=True).select_related("rubric").first()
    categories = sorted({item.category for item in intelligence}, key=lambda c: Category.values.index(c))
    return PersonDetail(
        person=person,
        categories=categories,
        intelligence=intelligence,
        score=score,
        nominations=nominations,
        decisions=decisions,
        show_protected=policies.may_view_protected_characteristics(viewer),
    )


def intelligence_get_for(*, viewer: User, item_id: Any, purpose: str) -> IntelligenceItem:
    """One intelligence item the viewer may see, or ``Http404``; logs the consultation."""
    require_people_access(viewer)
    item = (
        intelligence_visible_to(viewer=viewer)
        .select_related("person", "person__bcu", "bcu", "gang")
        .filter(pk=_parse_uuid(item_id))
        .first()
    )
    if item is None:
        raise Http404("No such intelligence item.")
    consultation_record(
        actor=viewer,
        verb=Verb.INTELLIGENCE_CONSULTED,
        object_type="intelligence",
        object_ref=item.ref,
        targets=[item.person.ref],
        purpose=purpose,
        detail=_bcus_of([item.person.bcu.code]),
    )
    return item


@dataclass
class MatrixFilters:
    bcu: str = ""
    band: str = ""
    status: str = ""
    category: str = ""

    def as_detail(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class MatrixPage:
    page: Page[Nomination]
    total: int
    by_band: dict[str, int]
    by_status: dict[str, int]
    scores: dict[uuid.UUID, HarmScore] = field(default_factory=dict)
    categories: dict[uuid.UUID, list[str]] = field(default_factory=dict)


def matrix_queryset(*, viewer: User, filters: MatrixFilters) -> QuerySet[Nomination]:
    """Nominations in scope, filtered; nothing logged (callers log what they show)."""
    qs = nominations_visible_to(viewer=viewer)
    if filters.bcu:
        qs = qs.filter(bcu__code=filters.bcu)
    if filters.band == "none":
        qs = qs.filter(band="")
    elif filters.band:
        qs = qs.filter(band=filters.band)
    if filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.filter(status__in=Nomination.OPEN_STATUSES)
    if filters.category:
        qs = qs.filter(person__intelligence__category=filters.category).distinct()
    return qs


def matrix_for(
    *, viewer: User, filters: MatrixFilters, purpose: str, page_number: Any = 1, per_page: int = 50
) -> MatrixPage:
    """A page of the matrix with counts by band and status; logs ``matrix.listed``.

    The event names every person shown on the page.
    """
    require_people_access(viewer)
    qs = matrix_queryset(viewer=viewer, filters=filters)
    # One pass over the scope for every count (by band, by status, the total): at a million people each pass
    # reads the whole scope, so the page makes one, not three.
    by_band: dict[str, int] = {}
    by_status: dict[str, int] = {}
    # distinct: the category filter joins intelligence items, several to a nomination.
    for row in qs.order_by().values("band", "status").annotate(n=Count("id", distinct=True)):
        band = row["band"] or "none"
        by_band[band] = by_band.get(band, 0) + row["n"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    paginator = Paginator(
        qs.select_related("person", "person__bcu", "person__borough", "gang").order_by("-proposed_at", "pk"), per_page
    )
    paginator.count = sum(by_status.values())  # known: no third pass to count
    page = paginator.get_page(page_number)
    rows: Sequence[Nomination] = page.object_list  # type: ignore[assignment]
    person_ids = [n.person_id for n in rows]
    preload(n.person.data_key_id for n in rows)
    scores = {s.person_id: s for s in HarmScore.objects.filter(person_id__in=person_ids, is_current=True)}
    categories: dict[uuid.UUID, list[str]] = {pid: [] for pid in person_ids}
    for pid, category in (
        IntelligenceItem.objects.filter(person_id__in=person_ids)
        .order_by()  # Meta.ordering would add its columns to SELECT DISTINCT and repeat categories
        .values_list("person_id", "category")
        .distinct()
    ):
        categories[pid].append(category)
    for pid in categories:
        categories[pid].sort(key=lambda c: Category.values.index(c))
    consultation_record(
        actor=viewer,
        verb=Verb.MATRIX_LISTED,
        object_type="matrix",
        targets=[f"person:{pid}" for pid in person_ids],
        purpose=purpose,
        detail={"filters": filters.as_detail(), "page": page.number, **_bcus_of([n.person.bcu.code for n in rows])},
    )
    return MatrixPage(
        page=page,
        total=paginator.count,
        by_band={b: by_band.get(b, 0) for b in [*Band.values, "none"]},
        by_status=by_status,
        scores=scores,
        categories=categories,
    )


def people_search_for(
    *, viewer: User, purpose: str, name: str = "", date_of_birth: dt.date | None = None, limit: int = 50
) -> list[Person]:
    """Exact search by name/alias and/or date of birth, through blind indexes.

    The search terms are never logged; the event names the people found.
    """
    require_people_access(viewer)
    qs = people_visible_to(viewer=viewer)
    if not name.strip() and date_of_birth is None:
        return []
    if name.strip():
        digest = name_digest(name)
        qs = qs.filter(
            pk__in=PersonIndex.objects.filter(
                kind__in=[PersonIndex.Kind.NAME, PersonIndex.Kind.ALIAS], digest=digest
            ).values("person_id")
        )
    if date_of_birth is not None:
        qs = qs.filter(
            pk__in=PersonIndex.objects.filter(kind=PersonIndex.Kind.DOB, digest=date_digest(date_of_birth)).values(
                "person_id"
            )
        )
    people = list(qs.select_related("bcu")[:limit])
    preload(p.data_key_id for p in people)
    consultation_record(
        actor=viewer,
        verb=Verb.PEOPLE_SEARCHED,
        object_type="people",
        targets=[p.ref for p in people],
        purpose=purpose,
        detail={
            "by": [k for k, v in (("name", name.strip()), ("date_of_birth", date_of_birth)) if v],
            **_bcus_of([p.bcu.code for p in people]),
        },
    )
    return people


def people_page_for(*, viewer: User, purpose: str, page_number: Any = 1, per_page: int = 50) -> Page[Person]:
    """A page of people in scope, newest first; logs ``people.listed``."""
    require_people_access(viewer)
    paginator = Paginator(
        people_visible_to(viewer=viewer).select_related("bcu").order_by("-created_at", "pk"), per_page
    )
    page = paginator.get_page(page_number)
    preload(p.data_key_id for p in page.object_list)
    consultation_record(
        actor=viewer,
        verb=Verb.PEOPLE_LISTED,
        object_type="people",
        targets=[p.ref for p in page.object_list],
        purpose=purpose,
        detail={"page": page.number, **_bcus_of([p.bcu.code for p in page.object_list])},
    )
    return page


def bcus_for(*, viewer: User) -> QuerySet[BCU]:
    """The BCUs a viewer may filter by or act in."""
    if viewer.is_bcu_scoped:
        return BCU.objects.filter(code=viewer.bcu_code)
    return BCU.objects.all()


# Windows by limit and offset, for the API ---------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    person: Person
    categories: list[str]
    score: HarmScore | None


@dataclass(frozen=True)
class NominalRow:
    nomination: Nomination
    person: PersonRow


@dataclass(frozen=True)
class NominalDetail(NominalRow):
    decisions: list[RagDecision]


def _person_rows(*, viewer: User, people: Sequence[Person]) -> list[PersonRow]:
    """Categories and current score for people already read in the viewer's scope."""
    ids = [p.pk for p in people]
    preload(p.data_key_id for p in people)
    scores = {
        s.person_id: s for s in HarmScore.objects.filter(person_id__in=ids, is_current=True).select_related("rubric")
    }
    categories: dict[uuid.UUID, set[str]] = {pid: set() for pid in ids}
    pairs = (
        intelligence_visible_to(viewer=viewer)
        .filter(person_id__in=ids)
        .order_by()
        .values_list("person_id", "category")
        .distinct()
    )
    for pid, category in pairs:
        categories[pid].add(category)
    return [
        PersonRow(
            person=p,
            categories=sorted(categories[p.pk], key=Category.values.index),
            score=scores.get(p.pk),
        )
        for p in people
    ]


def matrix_window_for(
    *, viewer: User, filters: MatrixFilters, purpose: str, offset: int, limit: int
) -> tuple[list[NominalRow], int]:
    """A window of the matrix in scope; logs ``matrix.listed`` naming every person returned."""
    require_people_access(viewer)
    qs = matrix_queryset(viewer=viewer, filters=filters)
    total = qs.count()
    nominations = list(
        qs.select_related("person", "person__bcu", "bcu", "gang").order_by("-proposed_at", "pk")[
            offset : offset + limit
        ]
    )
    rows = _person_rows(viewer=viewer, people=[n.person for n in nominations])
    consultation_record(
        actor=viewer,
        verb=Verb.MATRIX_LISTED,
        object_type="matrix",
        targets=[n.person.ref for n in nominations],
        purpose=purpose,
        detail={
            "filters": filters.as_detail(),
            "offset": offset,
            "limit": limit,
            "via": "api",
            **_bcus_of([n.person.bcu.code for n in nominations]),
        },
    )
    return [NominalRow(nomination=n, person=row) for n, row in zip(nominations, rows, strict=True)], total


def nomination_get_for(*, viewer: User, nomination_id: uuid.UUID, purpose: str) -> NominalDetail:
    """One nomination in scope with its decisions, or ``Http404``; logs ``person.consulted``."""
    require_people_access(viewer)
    nomination = (
        nominations_visible_to(viewer=viewer)
        .select_related("person", "person__bcu", "bcu", "gang", "proposed_by", "activated_by")
        .filter(pk=nomination_id)
        .first()
    )
    if nomination is None:
        raise Http404("No such nomination.")
    [row] = _person_rows(viewer=viewer, people=[nomination.person])
    decisions = list(nomination.decisions.select_related("decided_by").order_by("-decided_at"))
    consultation_record(
        actor=viewer,
        verb=Verb.NOMINATION_CONSULTED,
        object_type="nomination",
        object_ref=nomination.ref,
        targets=[nomination.person.ref],
        purpose=purpose,
        detail=_bcus_of([nomination.person.bcu.code]),
    )
    return NominalDetail(nomination=nomination, person=row, decisions=decisions)


def people_window_for(*, viewer: User, purpose: str, offset: int, limit: int) -> tuple[list[PersonRow], int]:
    """A window of the people in scope, newest first; logs ``people.listed`` naming them."""
    require_people_access(viewer)
    qs = people_visible_to(viewer=viewer)
    total = qs.count()
    people = list(qs.select_related("bcu").order_by("-created_at", "pk")[offset : offset + limit])
    rows = _person_rows(viewer=viewer, people=people)
    consultation_record(
        actor=viewer,
        verb=Verb.PEOPLE_LISTED,
        object_type="people",
        targets=[p.ref for p in people],
        purpose=purpose,
        detail={"offset": offset, "limit": limit, "via": "api", **_bcus_of([p.bcu.code for p in people])},
    )
    return rows, total


def intelligence_window_for(
    *, viewer: User, purpose: str, offset: int, limit: int, person_id: uuid.UUID | None = None
) -> tuple[list[IntelligenceItem], int]:
    """A window of intelligence in scope, optionally about one person.

    Logs ``intelligence.consulted`` naming the people concerned, with the
    items returned in the detail. A person out of scope yields no items.
    """
    require_people_access(viewer)
    qs = intelligence_visible_to(viewer=viewer)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    total = qs.count()
    items = list(
        qs.select_related("bcu", "gang", "person__bcu").order_by("-occurred_on", "-created_at", "pk")[
            offset : offset + limit
        ]
    )
    preload(i.data_key_id for i in items)
    bcu_of = {f"person:{i.person_id}": i.person.bcu.code for i in items}
    targets = sorted(bcu_of)
    consultation_record(
        actor=viewer,
        verb=Verb.INTELLIGENCE_LISTED,
        object_type="intelligence",
        targets=targets,
        purpose=purpose,
        detail={
            "items": [str(i.pk) for i in items],
            "offset": offset,
            "limit": limit,
            "via": "api",
            **_bcus_of([bcu_of[ref] for ref in targets]),
        },
    )
    return items, total
