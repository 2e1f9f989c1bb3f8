"""Proportionate actions: the action policy, and the actions taken because of the matrix.

The ICO found the Met used "the full range of enforcement" (prison licence
conditions, stop and search, TV licensing, parking, truancy, benefits,
housing including eviction, immigration: notice ¶19) against every nominal
whatever their band, and against victims (¶31-34). Here an action is
recorded only if the active action policy allows its kind for the person's
*standing*:

- the RAG band of their active nomination (``red``, ``amber``, ``green``,
  or ``unbanded`` while no band has been decided);
- ``victim``: recorded only as a victim or witness (no offender record);
- ``not_nominated``: no active nomination.

Rules no policy can override (``action_policy_validate`` refuses a policy
that breaks them, and ``action_allowed`` checks them again):

- victims, and anyone not on the matrix, get safeguarding actions only;
- a retired action kind allows nothing;
- an undecided band, a missing policy or an unknown standing allows no more
  than the policy gives the least intrusive standing (fail closed).

``action_record`` also refuses a restricted person (s.47) and a nomination
that is not active. Each refusal by these rules is written to the event log
(``action.refused``, with no personal data) in its own transaction, and
only then is ``RuleBroken`` raised: the refusal is on record even though
nothing else was written, and if the log cannot be written the error is the
log's and still nothing is recorded. Who may record: officers, analysts and
SPOCs in their own BCU, central governance anywhere (``policies``).

Reads (``actions_for``, ``action_options_for``) take a person the caller has
already read through ``selectors.person_get_for`` (which applied scope and
logged the consultation) and apply scope again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.register import policies
from custos.register.models import (
    OFFENDER_CATEGORIES,
    Action,
    ActionKind,
    ActionPolicy,
    Band,
    Category,
    IntelligenceItem,
    Nomination,
    Person,
)
from custos.register.selectors import people_visible_to
from custos.register.services import MIN_REASONS, RuleBroken, not_restricted

ENFORCEMENT = ActionKind.Kind.ENFORCEMENT
DIVERSION = ActionKind.Kind.DIVERSION
SAFEGUARDING = ActionKind.Kind.SAFEGUARDING

#: Least intrusive first: the order kinds of action are offered and tabled in.
CLASS_ORDER: tuple[str, ...] = (SAFEGUARDING, DIVERSION, ENFORCEMENT)

#: The rows of every policy: a nominal's band, or why the person is not treated as a nominal.
UNBANDED = "unbanded"
VICTIM = "victim"
NOT_NOMINATED = "not_nominated"
STANDINGS: tuple[str, ...] = (Band.RED, Band.AMBER, Band.GREEN, UNBANDED, VICTIM, NOT_NOMINATED)
#: Standings that may be given safeguarding actions only, whatever a policy says.
SAFEGUARDING_ONLY = frozenset({VICTIM, NOT_NOMINATED})

STANDING_LABELS: dict[str, str] = {
    Band.RED: "Red-band nominal",
    Band.AMBER: "Amber-band nominal",
    Band.GREEN: "Green-band nominal",
    UNBANDED: "Nominal, no band decided yet",
    VICTIM: "Victim or witness",
    NOT_NOMINATED: "Not on the matrix",
}
#: How a refusal names whom it is about ("... is not allowed for <this>").
_FOR: dict[str, str] = {
    Band.RED: "a red-band nominal",
    Band.AMBER: "an amber-band nominal",
    Band.GREEN: "a green-band nominal",
    UNBANDED: "a nominal whose band has not been decided",
    VICTIM: "a person recorded as a victim or witness",
    NOT_NOMINATED: "a person without an active nomination",
}


# --- Reference data and the policy -----------------------------------------------------------------------------


def _shipped(name: str) -> dict[str, Any]:
    text = resources.files("custos.register").joinpath(f"data/{name}").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def kinds_default() -> dict[str, Any]:
    """The action kinds shipped in ``data/action-kinds.json``."""
    return _shipped("action-kinds.json")


def policy_default() -> dict[str, Any]:
    """The default action policy shipped in ``data/action-policy-v1.json``."""
    return _shipped("action-policy-v1.json")


def _may_load(actor: User | Actor) -> None:
    if isinstance(actor, User) and not policies.may_load_action_policy(actor):
        raise PermissionDenied("Only central governance may change the action kinds or the action policy.")


def _kind_rows(definition: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = definition.get("kinds") if isinstance(definition, Mapping) else None
    if not isinstance(rows, list) or not rows:
        raise ValidationError("Action kinds are a JSON object with a non-empty list 'kinds'.")
    clean: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise ValidationError(f"Action kind {number} is not an object.")
        code = str(row.get("code") or "")
        if not code or len(code) > 60 or not all(c.isalnum() or c in "_-" for c in code) or not code.isascii():
            raise ValidationError(f"Action kind {number} needs a code of letters, digits, '_' or '-'.")
        if code in seen:
            raise ValidationError(f"Action kind {code} is listed twice.")
        seen.add(code)
        if row.get("kind") not in ActionKind.Kind.values:
            raise ValidationError(f"Action kind {code}: kind must be enforcement, diversion or safeguarding.")
        label = " ".join(str(row.get("label") or "").split())
        if not label or len(label) > 120:
            raise ValidationError(f"Action kind {code} needs a label of at most 120 characters.")
        clean.append(
            {
                "code": code,
                "label": label,
                "kind": str(row["kind"]),
                "description": str(row.get("description") or "").strip(),
                "source": str(row.get("source") or "").strip()[:200],
            }
        )
    return clean


@transaction.atomic
def action_kinds_load(*, actor: User | Actor, definition: Mapping[str, Any]) -> tuple[int, int]:
    """Add or update action kinds from a definition such as ``data/action-kinds.json``.

    Safe to re-run: a kind already held as given is left alone. A kind's
    class (enforcement, diversion, safeguarding) never changes once loaded,
    since recorded actions and policies rely on it: retire the code and add
    a new one instead. Kinds not in the definition are kept. Authorises
    central governance (or a named system actor). Records
    ``action_kinds.loaded`` when anything changed. Returns (created, updated).
    """
    _may_load(actor)
    rows = _kind_rows(definition)
    held = {k.code: k for k in ActionKind.objects.select_for_update().filter(code__in=[r["code"] for r in rows])}
    created, updated = [], []
    for row in rows:
        kind = held.get(row["code"])
        if kind is None:
            ActionKind.objects.create(**row)
            created.append(row["code"])
            continue
        if kind.kind != row["kind"]:
            raise ValidationError(
                f"Action kind {kind.code} is {kind.kind}: a kind's class never changes. Retire it and add a new code."
            )
        changed = [f for f in ("label", "description", "source") if getattr(kind, f) != row[f]]
        if changed or not kind.active:
            for name in changed:
                setattr(kind, name, row[name])
            kind.active = True
            kind.save(update_fields=[*changed, "active"])
            updated.append(kind.code)
    if created or updated:
        event_record(
            actor=actor,
            verb=Verb.ACTION_KINDS_LOADED,
            object_type="action_kind",
            object_ref="action_kinds",
            detail={"created": created, "updated": updated},
        )
    return len(created), len(updated)


def action_policy_validate(definition: Mapping[str, Any], *, kinds: Mapping[str, str]) -> None:
    """Refuse (``ValidationError``) a policy that is incomplete, unclear or breaks a fixed rule.

    ``kinds`` maps every known action kind code to its class. A policy must
    say, for every standing in ``STANDINGS`` and no other, which classes or
    kind codes it allows; conditions may only qualify kinds it allows; and
    it may give victims and people not on the matrix safeguarding only.
    """
    rules = definition.get("rules") if isinstance(definition, Mapping) else None
    if not isinstance(rules, Mapping):
        raise ValidationError("An action policy is a JSON object with 'rules' for each standing.")
    missing = [s for s in STANDINGS if s not in rules]
    if missing:
        raise ValidationError(f"The action policy must say what is allowed for: {', '.join(missing)}.")
    unknown = sorted(set(rules) - set(STANDINGS))
    if unknown:
        raise ValidationError(f"The action policy names unknown standings: {', '.join(unknown)}.")
    classes = set(ActionKind.Kind.values)
    for standing in STANDINGS:
        rule = rules[standing]
        allow = rule.get("allow") if isinstance(rule, Mapping) else None
        if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
            raise ValidationError(f"The rule for {standing} needs 'allow': a list of kinds of action.")
        for entry in allow:
            if entry not in classes and entry not in kinds:
                raise ValidationError(f"The rule for {standing} allows '{entry}', which is no action kind.")
            if standing in SAFEGUARDING_ONLY and kinds.get(entry, entry) != SAFEGUARDING:
                raise ValidationError(
                    f"The rule for {standing} allows '{entry}': victims, witnesses and people not on the "
                    "matrix may be given safeguarding actions only."
                )
        conditions = rule.get("conditions", {})
        if not isinstance(conditions, Mapping):
            raise ValidationError(f"The conditions for {standing} must map kind codes to their condition.")
        for code, text in conditions.items():
            if code not in kinds:
                raise ValidationError(f"The rule for {standing} sets a condition on '{code}', which is no action kind.")
            if code not in allow and kinds[code] not in allow:
                raise ValidationError(f"The rule for {standing} sets a condition on '{code}' but does not allow it.")
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(f"The condition on '{code}' for {standing} must say what it is.")


def _kind_classes() -> dict[str, str]:
    return dict(ActionKind.objects.values_list("code", "kind"))


def action_policy_load(*, actor: User | Actor, definition: Mapping[str, Any], name: str = "") -> ActionPolicy:
    """Load a new action policy version and make it the active one (never edits an old one).

    Validated against the action kinds held (``action_policy_validate``).
    Authorises central governance (or a named system actor). Records
    ``action_policy.loaded``.
    """
    _may_load(actor)
    action_policy_validate(definition, kinds=_kind_classes())
    with transaction.atomic():
        last = ActionPolicy.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        version = last + 1
        ActionPolicy.objects.filter(is_active=True).update(is_active=False)
        policy = ActionPolicy.objects.create(
            version=version,
            name=(name or str(definition.get("name") or "") or f"Action policy v{version}")[:120],
            definition=dict(definition),
        )
        event_record(
            actor=actor,
            verb=Verb.ACTION_POLICY_LOADED,
            object_type="action_policy",
            object_ref=f"action_policy:{version}",
            detail={"version": version},
        )
    return policy


def action_policy_ensure_default(*, actor: User | Actor) -> ActionPolicy:
    """Load the shipped action kinds if none are held, and the default policy if none is loaded (``custos init``).

    Never overwrites kinds or a policy a force has loaded itself.
    """
    if not ActionKind.objects.exists():
        action_kinds_load(actor=actor, definition=kinds_default())
    existing = ActionPolicy.objects.filter(is_active=True).order_by("-version").first()
    if existing is not None:
        return existing
    return action_policy_load(actor=actor, definition=policy_default())


def action_policy_active() -> ActionPolicy:
    policy = ActionPolicy.objects.filter(is_active=True).order_by("-version").first()
    if policy is None:
        raise RuleBroken("No action policy is loaded: run 'custos init'. No action can be recorded without one.")
    return policy


# --- The rule --------------------------------------------------------------------------------------------------


def _rule(policy: ActionPolicy, standing: str) -> Mapping[str, Any]:
    rules = policy.definition.get("rules", {})
    rule = rules.get(standing)
    return rule if isinstance(rule, Mapping) else {}


def action_allowed(*, policy: ActionPolicy, kind: ActionKind, standing: str) -> tuple[bool, str]:
    """Whether the policy allows this kind of action for a person of this standing, and why.

    Pure: reads neither the database nor the clock. The fixed rules come
    first (a retired kind allows nothing; victims and people not on the
    matrix get safeguarding only); then the policy's rule for the standing,
    which allows a whole class of action or named kinds. A standing the
    policy does not name allows nothing.
    """
    who = _FOR.get(standing, "this person")
    version = f"action policy v{policy.version}"
    if not kind.active:
        return False, f"{kind.label} is no longer an action kind in use."
    if standing in SAFEGUARDING_ONLY and kind.kind != SAFEGUARDING:
        return False, f"{kind.label} is not allowed for {who}: only safeguarding actions may be recorded ({version})."
    allow = _rule(policy, standing).get("allow", [])
    if kind.kind in allow or kind.code in allow:
        return True, f"{kind.label} is allowed for {who} under {version}."
    return False, f"{kind.label} is not allowed for {who} under {version}."


def action_condition(*, policy: ActionPolicy, kind: ActionKind, standing: str) -> str:
    """The condition the policy puts on this kind of action for this standing ("" if none)."""
    conditions = _rule(policy, standing).get("conditions", {})
    return str(conditions.get(kind.code, "")) if isinstance(conditions, Mapping) else ""


@dataclass(frozen=True)
class Standing:
    """What the policy is applied to: the person's basis, band and active nomination."""

    basis: str
    band: str
    nomination: Nomination | None

    @property
    def key(self) -> str:
        """The policy row: the band of a nominal, or the basis of anyone else."""
        if self.basis == Action.Basis.VICTIM:
            return VICTIM
        if self.basis == Action.Basis.NOT_NOMINATED:
            return NOT_NOMINATED
        return self.band or UNBANDED

    @property
    def label(self) -> str:
        return STANDING_LABELS[self.key]


def standing_of(*, person: Person, nomination: Nomination | None = None) -> Standing:
    """The person's standing now: victim, not on the matrix, or a nominal with a band.

    A person with no offender record but a victim or witness record is a
    victim, whatever else is held; a nominal needs an *active* nomination.
    """
    categories = set(
        IntelligenceItem.objects.filter(person=person).order_by().values_list("category", flat=True).distinct()
    )
    if not categories & OFFENDER_CATEGORIES and categories & {Category.VICTIM, Category.WITNESS}:
        return Standing(basis=Action.Basis.VICTIM, band="", nomination=None)
    if nomination is None:
        nomination = Nomination.objects.filter(person=person, status=Nomination.Status.ACTIVE).first()
    if nomination is None or nomination.status != Nomination.Status.ACTIVE or not categories & OFFENDER_CATEGORIES:
        return Standing(basis=Action.Basis.NOT_NOMINATED, band="", nomination=None)
    return Standing(basis=Action.Basis.NOMINAL, band=nomination.band, nomination=nomination)


# --- Recording an action ---------------------------------------------------------------------------------------


class _Refused(Exception):
    """A rule refused the action (internal: ``action_record`` logs it and raises ``RuleBroken``)."""

    def __init__(self, rule: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.detail = detail or {}


def _validate(
    *, kind_code: str, taken_on: dt.date | None, notes: str, today: dt.date
) -> tuple[ActionKind, dt.date, str]:
    errors: dict[str, str] = {}
    kind = ActionKind.objects.filter(code=kind_code).first() if isinstance(kind_code, str) and kind_code else None
    if kind is None:
        errors["kind"] = "Choose a kind of action from the list."
    if taken_on is None:
        errors["taken_on"] = "Enter the date the action was taken."
    elif taken_on > today:
        errors["taken_on"] = "The date the action was taken cannot be in the future."
    notes = (notes or "").strip()
    if len(notes) < MIN_REASONS:
        errors["notes"] = f"Say what was done and why (at least {MIN_REASONS} characters)."
    if errors or kind is None or taken_on is None:
        raise ValidationError(errors)
    return kind, taken_on, notes


def action_record(
    *,
    actor: User,
    nomination_or_person: Nomination | Person,
    kind_code: str,
    taken_on: dt.date | None,
    notes: str,
    purpose: str,
    today: dt.date | None = None,
) -> Action:
    """Record an action taken about a person because of the matrix, if the action policy allows it.

    Given a nomination, the action is recorded against it (it must be
    active); given a person, against their active nomination if they have
    one. Authorises ``may_record_action`` in the person's BCU
    (``PermissionDenied``); validates the kind, date and notes
    (``ValidationError`` naming the field); then refuses (``RuleBroken``,
    saying why, after recording ``action.refused``) a restricted person, a
    nomination that is not active, and any kind the active policy does not
    allow for the person's standing (victims: safeguarding only). Stores the
    band, basis and policy version applied, the notes encrypted with the
    person's key, and records ``action.recorded``.
    """
    person = nomination_or_person.person if isinstance(nomination_or_person, Nomination) else nomination_or_person
    given = nomination_or_person if isinstance(nomination_or_person, Nomination) else None
    if not policies.may_record_action(actor, person.bcu.code):
        raise PermissionDenied("You may not record actions about people in this BCU.")
    kind, taken_on, notes = _validate(
        kind_code=kind_code, taken_on=taken_on, notes=notes, today=today or timezone.localdate()
    )
    targets = [person.ref, *([given.ref] if given else [])]
    about = {"kind": kind.code, "class": kind.kind, "bcu": person.bcu.code}
    try:
        with transaction.atomic():
            return _record(
                actor=actor,
                person=person,
                given=given,
                kind=kind,
                taken_on=taken_on,
                notes=notes,
                purpose=purpose,
                about=about,
            )
    except _Refused as refused:
        with transaction.atomic():
            event_record(
                actor=actor,
                verb=Verb.ACTION_REFUSED,
                object_type="action",
                targets=refused.detail.pop("targets", targets),
                purpose=purpose,
                detail={"rule": refused.rule, **about, **refused.detail},
            )
        raise RuleBroken(refused.message) from None


def _record(
    *,
    actor: User,
    person: Person,
    given: Nomination | None,
    kind: ActionKind,
    taken_on: dt.date,
    notes: str,
    purpose: str,
    about: dict[str, Any],
) -> Action:
    """The checks and the write, in the caller's transaction; a refusal raises ``_Refused``."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    try:
        not_restricted(locked)
    except RuleBroken as exc:
        raise _Refused("restricted", " ".join(exc.messages)) from None
    nomination: Nomination | None = None
    if given is not None:
        nomination = Nomination.objects.select_for_update().get(pk=given.pk)
        if nomination.status != Nomination.Status.ACTIVE:
            raise _Refused(
                "nomination_not_active",
                f"Actions are recorded only against an active nomination; this one is "
                f"{nomination.get_status_display().lower()}.",
                {"status": nomination.status},
            )
    else:
        nomination = (
            Nomination.objects.select_for_update().filter(person=locked, status=Nomination.Status.ACTIVE).first()
        )
    policy = action_policy_active()
    standing = standing_of(person=locked, nomination=nomination)
    applied = {"basis": standing.basis, "band": standing.band, "standing": standing.key, "policy": policy.version}
    targets = [locked.ref, *([standing.nomination.ref] if standing.nomination else [])]
    allowed, reason = action_allowed(policy=policy, kind=kind, standing=standing.key)
    if not allowed:
        # Which rule refused: the fixed safeguarding-only rule (by standing), or the policy's table.
        rule = standing.key if standing.key in SAFEGUARDING_ONLY and kind.kind != SAFEGUARDING else "policy"
        raise _Refused(rule, reason, {**applied, "targets": targets})
    action = Action.objects.create(
        data_key_id=locked.data_key_id,
        nomination=standing.nomination,
        person=locked,
        kind=kind,
        band=standing.band,
        basis=standing.basis,
        taken_on=taken_on,
        notes=notes,
        policy_version=policy.version,
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        verb=Verb.ACTION_RECORDED,
        object_type="action",
        object_ref=action.ref,
        targets=targets,
        purpose=purpose,
        detail={**about, **applied},
    )
    return action


# --- Reads -----------------------------------------------------------------------------------------------------


def actions_for(*, viewer: User, person: Person) -> list[Action]:
    """The actions recorded about a person, newest first, if the viewer may see the person.

    For pages that have already read (and logged) the person through
    ``selectors.person_get_for``; scope is applied again, and a person out
    of scope has no actions to show.
    """
    return list(
        Action.objects.filter(person=person, person__in=people_visible_to(viewer=viewer))
        .select_related("kind", "recorded_by", "nomination")
        .order_by("-taken_on", "-recorded_at")
    )


def _kinds_in_use() -> list[ActionKind]:
    """Action kinds in use, least intrusive class first, then by label."""
    kinds = ActionKind.objects.filter(active=True)
    return sorted(kinds, key=lambda k: (CLASS_ORDER.index(k.kind), k.label))


@dataclass(frozen=True)
class Offer:
    """One kind of action as the policy treats it for one person."""

    kind: ActionKind
    allowed: bool
    reason: str
    condition: str


@dataclass(frozen=True)
class ActionOptions:
    standing: Standing
    policy: ActionPolicy
    offers: list[Offer]

    @property
    def allowed(self) -> list[Offer]:
        return [o for o in self.offers if o.allowed]

    @property
    def refused(self) -> list[Offer]:
        return [o for o in self.offers if not o.allowed]


def action_options_for(*, person: Person) -> ActionOptions:
    """Every kind of action in use, allowed or refused (with the reason) for this person now.

    For a person already read through ``selectors.person_get_for``.
    """
    policy = action_policy_active()
    standing = standing_of(person=person)
    offers = [
        Offer(
            kind=kind,
            allowed=(verdict := action_allowed(policy=policy, kind=kind, standing=standing.key))[0],
            reason=verdict[1],
            condition=action_condition(policy=policy, kind=kind, standing=standing.key),
        )
        for kind in _kinds_in_use()
    ]
    return ActionOptions(standing=standing, policy=policy, offers=offers)


@dataclass(frozen=True)
class PolicyCell:
    allowed: bool
    condition: str


@dataclass(frozen=True)
class PolicyTable:
    """A policy as a table: one row per kind of action, one column per standing."""

    policy: ActionPolicy
    versions: list[ActionPolicy]
    standings: list[tuple[str, str]]
    groups: list[tuple[str, list[tuple[ActionKind, list[PolicyCell]]]]]


def policy_table(*, version: int | None = None) -> PolicyTable:
    """The active policy (or the version asked for) as a table of kinds by standing. No personal data."""
    versions = list(ActionPolicy.objects.order_by("-version"))
    policy = next((p for p in versions if p.version == version), None) if version else None
    policy = policy or action_policy_active()
    kinds = _kinds_in_use()
    labels = dict(ActionKind.Kind.choices)
    groups = []
    for value in CLASS_ORDER:
        label = labels[value]
        rows = [
            (
                kind,
                [
                    PolicyCell(
                        allowed=action_allowed(policy=policy, kind=kind, standing=standing)[0],
                        condition=action_condition(policy=policy, kind=kind, standing=standing),
                    )
                    for standing in STANDINGS
                ],
            )
            for kind in kinds
            if kind.kind == value
        ]
        groups.append((str(label), rows))
    return PolicyTable(
        policy=policy,
        versions=versions,
        standings=[(s, STANDING_LABELS[s]) for s in STANDINGS],
        groups=groups,
    )
