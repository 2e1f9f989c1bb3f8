"""Writes to the breach register (DPA 2018 s.67–68): each authorises, validates, writes and records its event.

Refusals change nothing: ``PermissionDenied`` for a role, ``ValidationError``
(by field) for a value, ``RuleBroken`` for a rule of s.67–68.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.accounts.services import notify
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.oversight.breaches import clock, policies
from custos.oversight.breaches.models import Breach, BreachAction
from custos.register.services import RuleBroken

_REF = re.compile(r"^person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^P-[0-9A-F]{8}$")
MIN_REASONS = 10


def _require_editor(actor: User) -> None:
    if not policies.may_edit_breaches(actor):
        raise PermissionDenied("Only the DPO and central governance record breaches.")


def _require_open(breach: Breach) -> None:
    if breach.status == Breach.Status.CLOSED:
        raise RuleBroken(f"{breach.reference} is closed; nothing on it can change.")


def _text(value: str) -> str:
    return " ".join(str(value or "").split())


def next_reference(year: int) -> str:
    """The next BR-YYYY-NNNN of a year."""
    prefix = f"BR-{year}-"
    used = [
        int(r[len(prefix) :])
        for r in Breach.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)
    ]
    return f"{prefix}{max(used, default=0) + 1:04d}"


@transaction.atomic
def breach_record(
    *,
    actor: User,
    title: str,
    description: str,
    category: str,
    discovered_at: dt.datetime,
    risk: str,
    people_affected: int = 0,
    people_refs: Sequence[str] = (),
    consequences: str = "",
) -> Breach:
    """Record a breach; the 72-hour clock runs from ``discovered_at``. Records ``breach.recorded``."""
    _require_editor(actor)
    now = timezone.now()
    errors: dict[str, str] = {}
    title = _text(title)
    if not title:
        errors["title"] = "Enter a title."
    if len(_text(description)) < MIN_REASONS:
        errors["description"] = "Describe what happened in at least 10 characters, without personal data."
    if category not in Breach.Category.values:
        errors["category"] = "Choose what was breached."
    if risk not in Breach.Risk.values:
        errors["risk"] = "Choose the risk to people's rights and freedoms."
    if discovered_at > now:
        errors["discovered_at"] = "When the breach was discovered cannot be in the future."
    refs = [r.strip() for r in people_refs if r.strip()]
    if any(not _REF.match(r) for r in refs):
        errors["people_refs"] = "Give only references like P-1A2B3C4D or person:<id>, one a line."
    if people_affected < len(refs):
        errors["people_affected"] = "At least as many people are affected as references given."
    if errors:
        raise ValidationError(errors)
    breach = Breach.objects.create(
        reference=next_reference(timezone.localdate(now).year),
        title=title,
        description=description.strip(),
        category=category,
        discovered_at=discovered_at,
        reported_at=now,
        reported_by=actor,
        people_affected=people_affected,
        people_refs=refs,
        consequences=consequences.strip(),
        risk=risk,
    )
    event_record(
        actor=actor,
        verb=Verb.BREACH_RECORDED,
        object_type="breach",
        object_ref=breach.ref,
        targets=[r for r in refs if r.startswith("person:")],
        detail={"reference": breach.reference, "category": category, "risk": risk, "people": people_affected},
    )
    return breach


@transaction.atomic
def breach_notify(
    *,
    actor: User,
    breach: Breach,
    notified_at: dt.datetime | None = None,
    ico_reference: str = "",
    late_reasons: str = "",
    not_notifiable_reasons: str = "",
) -> Breach:
    """Record the notification to the ICO (s.67), or why the breach is not notifiable (s.67(1)).

    Notification after 72 hours needs the reasons for the delay (s.67(4)); not
    notifying needs the risk to be assessed as unlikely. Records ``breach.notified``.
    """
    _require_editor(actor)
    _require_open(breach)
    if breach.clock_stopped:
        raise RuleBroken(f"{breach.reference} is already notified or recorded as not notifiable.")
    errors: dict[str, str] = {}
    if not_notifiable_reasons.strip():
        if breach.risk != Breach.Risk.NONE:
            raise RuleBroken(
                "A breach is not notifiable only if it is unlikely to result in a risk to people's rights and "
                "freedoms (s.67(1)); change the risk assessment first."
            )
        if len(_text(not_notifiable_reasons)) < MIN_REASONS:
            errors["not_notifiable_reasons"] = "Say why, in at least 10 characters."
        if errors:
            raise ValidationError(errors)
        breach.not_notifiable_reasons = not_notifiable_reasons.strip()
        breach.save(update_fields=["not_notifiable_reasons"])
        detail = {"reference": breach.reference, "notifiable": False}
    else:
        notified_at = notified_at or timezone.now()
        if not _text(ico_reference):
            errors["ico_reference"] = "Enter the ICO's reference for the notification."
        if notified_at > timezone.now():
            errors["notified_at"] = "The notification cannot be in the future."
        if notified_at < breach.discovered_at:
            errors["notified_at"] = "The notification cannot come before the breach was discovered."
        late = notified_at > breach.notification_due
        if late and len(_text(late_reasons)) < MIN_REASONS:
            errors["late_reasons"] = "The notification is after 72 hours: give the reasons for the delay (s.67(4))."
        if errors:
            raise ValidationError(errors)
        breach.notified_ico_at = notified_at
        breach.ico_reference = _text(ico_reference)
        breach.late_reasons = late_reasons.strip() if late else ""
        breach.save(update_fields=["notified_ico_at", "ico_reference", "late_reasons"])
        detail = {"reference": breach.reference, "notifiable": True, "late": late}
    event_record(actor=actor, verb=Verb.BREACH_NOTIFIED, object_type="breach", object_ref=breach.ref, detail=detail)
    return breach


#: s.68 grounds for not telling the data subjects of a high-risk breach.
_NOT_TELLING_HIGH_RISK = frozenset(
    {Breach.Telling.MEASURES, Breach.Telling.SUBSEQUENT, Breach.Telling.EFFORT, Breach.Telling.RESTRICTED}
)


@transaction.atomic
def breach_decide(
    *, actor: User, breach: Breach, telling: str, reasons: str, told_at: dt.datetime | None = None
) -> Breach:
    """Record the decision on telling the data subjects (s.68): required when the risk is high.

    A high-risk breach is told, or not told on a ground of s.68(3) or (7);
    "not required" is only for a breach that is not high risk. Records ``breach.decided``.
    """
    _require_editor(actor)
    _require_open(breach)
    errors: dict[str, str] = {}
    if telling not in Breach.Telling.values or not telling:
        errors["telling"] = "Choose the decision."
    if len(_text(reasons)) < MIN_REASONS:
        errors["reasons"] = "Give the reasons, in at least 10 characters."
    if told_at is not None and telling != Breach.Telling.TELL:
        errors["told_at"] = "Give when they were told only if the decision is to tell them."
    if told_at is not None and told_at > timezone.now():
        errors["told_at"] = "When they were told cannot be in the future."
    if errors:
        raise ValidationError(errors)
    high = breach.risk == Breach.Risk.HIGH
    if high and telling == Breach.Telling.NOT_REQUIRED:
        raise RuleBroken(
            "A high-risk breach must be told to the data subjects unless a ground of s.68(3) or (7) applies."
        )
    if not high and telling in _NOT_TELLING_HIGH_RISK:
        raise RuleBroken("The grounds of s.68(3) and (7) apply only to a high-risk breach; choose 'not required'.")
    breach.telling = telling
    breach.telling_reasons = reasons.strip()
    breach.told_at = told_at
    breach.save(update_fields=["telling", "telling_reasons", "told_at"])
    event_record(
        actor=actor,
        verb=Verb.BREACH_DECIDED,
        object_type="breach",
        object_ref=breach.ref,
        detail={"reference": breach.reference, "telling": telling, "told": told_at is not None},
    )
    return breach


@transaction.atomic
def breach_action_add(
    *, actor: User, breach: Breach, what: str, owner: str, due_on: dt.date | None = None
) -> BreachAction:
    """Add an action to a breach. Records ``breach.action``."""
    _require_editor(actor)
    _require_open(breach)
    errors = {}
    if len(_text(what)) < 5:
        errors["what"] = "Say what is to be done."
    if not _text(owner):
        errors["owner"] = "Say who does it."
    if errors:
        raise ValidationError(errors)
    action = BreachAction.objects.create(
        breach=breach, what=what.strip(), owner=_text(owner), due_on=due_on, recorded_by=actor
    )
    event_record(
        actor=actor,
        verb=Verb.BREACH_ACTION,
        object_type="breach",
        object_ref=breach.ref,
        detail={"reference": breach.reference, "action": action.pk, "done": False},
    )
    return action


@transaction.atomic
def breach_action_done(*, actor: User, action: BreachAction) -> BreachAction:
    """Mark an action done. Records ``breach.action``."""
    _require_editor(actor)
    _require_open(action.breach)
    if action.done_at is not None:
        raise RuleBroken("This action is already done.")
    action.done_at = timezone.now()
    action.save(update_fields=["done_at"])
    event_record(
        actor=actor,
        verb=Verb.BREACH_ACTION,
        object_type="breach",
        object_ref=action.breach.ref,
        detail={"reference": action.breach.reference, "action": action.pk, "done": True},
    )
    return action


@transaction.atomic
def breach_close(*, actor: User, breach: Breach, reasons: str) -> Breach:
    """Close a breach: notified or not notifiable, the s.68 decision taken, every action done.

    Records ``breach.closed``.
    """
    _require_editor(actor)
    _require_open(breach)
    if not breach.clock_stopped:
        raise RuleBroken("Record the notification to the ICO, or why it is not notifiable, before closing.")
    if not breach.telling:
        raise RuleBroken("Record the decision on telling the data subjects before closing.")
    if breach.actions.filter(done_at__isnull=True).exists():
        raise RuleBroken("Every action must be done before closing.")
    if len(_text(reasons)) < MIN_REASONS:
        raise ValidationError({"closing_reasons": "Say why the breach can be closed, in at least 10 characters."})
    breach.status = Breach.Status.CLOSED
    breach.closed_at = timezone.now()
    breach.closed_by = actor
    breach.closing_reasons = reasons.strip()
    breach.save(update_fields=["status", "closed_at", "closed_by", "closing_reasons"])
    event_record(
        actor=actor,
        verb=Verb.BREACH_CLOSED,
        object_type="breach",
        object_ref=breach.ref,
        detail={"reference": breach.reference},
    )
    return breach


def breach_sweep(*, now: dt.datetime | None = None) -> list[Breach]:
    """Put every open breach past its 72 hours, neither notified nor not notifiable, on the DPO's task list.

    Runs as ``system:breach_sweep``; records ``breach.swept`` with the references
    (and ``notification.sent`` for each notice).
    """
    now = now or timezone.now()
    actor = Actor.system("breach_sweep")
    overdue = [
        b
        for b in Breach.objects.filter(status=Breach.Status.OPEN).order_by("discovered_at")
        if clock.is_overdue(b, now)
    ]
    with transaction.atomic():
        for breach in overdue:
            notify(
                actor=actor,
                role=Role.DPO,
                kind="breach_overdue",
                message=f"{breach.reference} is past its 72-hour deadline: notify the ICO, or record why not.",
                link=reverse("web:breaches_detail", kwargs={"breach_id": breach.pk}),
            )
        event_record(
            actor=actor,
            verb=Verb.BREACHES_SWEPT,
            object_type="breach",
            object_ref="breach:register",
            targets=[b.ref for b in overdue],
            detail={"overdue": [b.reference for b in overdue]},
        )
    return overdue
