"""Changing the guidance library: draft, publish, discard, and load the starting text shipped with Custos.

Published versions never change. Publishing needs a second person (not the
drafter) from central governance or the DPO, and a day of coming into force
that is today or later: a decision already made keeps the version it was made
under. Every change is an audit event.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.oversight.guidance import policies, selectors
from custos.oversight.guidance.models import GuidanceVersion
from custos.register.guidance import TOPICS

Status = GuidanceVersion.Status

#: The shortest guidance body accepted (a heading and a sentence or two).
MIN_BODY = 80
#: How far ahead a version may be scheduled to come into force.
MAX_SCHEDULE_DAYS = 366

#: The system actor that loads the starting text shipped with Custos.
SHIPPED = Actor.system("guidance_seed")


def _topic_clean(slug: str) -> str:
    if slug not in TOPICS:
        raise ValidationError({"topic": "There is no such guidance topic."})
    return slug


def _text_clean(body: str, change_summary: str) -> tuple[str, str]:
    errors = {}
    body = (body or "").replace("\r\n", "\n").strip()
    change_summary = " ".join((change_summary or "").split())
    if len(body) < MIN_BODY:
        errors["body"] = f"Write the guidance: at least {MIN_BODY} characters."
    if not change_summary:
        errors["change_summary"] = "Say what this version changes, so readers of older decisions can tell."
    if errors:
        raise ValidationError(errors)
    return body + "\n", change_summary


@transaction.atomic
def guidance_draft(*, actor: User | Actor, topic: str, body: str, change_summary: str) -> GuidanceVersion:
    """Write the topic's draft, or change it (one draft per topic). Records ``guidance.drafted``."""
    if isinstance(actor, User) and not policies.may_draft_guidance(actor):
        raise PermissionDenied("Only central governance and the data protection officer draft guidance.")
    topic = _topic_clean(topic)
    body, change_summary = _text_clean(body, change_summary)
    latest = selectors.history(topic)
    if latest and latest[0].body == body:
        raise ValidationError({"body": "This is the text of the latest version: change it before saving a draft."})
    draft = GuidanceVersion.objects.select_for_update().filter(topic=topic, status=Status.DRAFT).first()
    if draft is None:
        draft = GuidanceVersion(topic=topic)
    draft.body = body
    draft.change_summary = change_summary
    draft.drafted_by = actor if isinstance(actor, User) else None
    draft.drafted_by_name = actor.username
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError as exc:  # another editor started a draft of this topic at the same moment
        raise ValidationError("Someone else has just started a draft of this topic: open it instead.") from exc
    event_record(
        actor=actor,
        verb=Verb.GUIDANCE_DRAFTED,
        object_type="guidance",
        object_ref=draft.ref,
        detail={"topic": topic, "characters": len(body)},
    )
    return draft


@transaction.atomic
def guidance_publish(
    *, actor: User | Actor, draft: GuidanceVersion, in_force_from: dt.date, today: dt.date | None = None
) -> GuidanceVersion:
    """Publish a draft as the topic's next version, in force from ``in_force_from``.

    A user must be central governance or the DPO and must not have drafted it.
    The system actor publishes only the text shipped with Custos (``guidance_seed``).
    Records ``guidance.published``.
    """
    today = today or timezone.localdate()
    if isinstance(actor, User):
        if not policies.may_publish_guidance(actor):
            raise PermissionDenied("Only central governance and the data protection officer publish guidance.")
        if draft.drafted_by_id == actor.pk:
            raise ValidationError("Guidance is published by someone other than the person who drafted it.")
    elif actor != SHIPPED or draft.drafted_by_name != SHIPPED.username:
        raise PermissionDenied("Only a person publishes guidance, apart from the starting text shipped with Custos.")
    draft = GuidanceVersion.objects.select_for_update().filter(pk=draft.pk, status=Status.DRAFT).first()  # type: ignore[assignment]
    if draft is None:
        raise ValidationError("This draft has already been published or discarded.")
    if in_force_from < today:
        raise ValidationError(
            {"in_force_from": "Guidance cannot come into force in the past: decisions made keep their version."}
        )
    if in_force_from > today + dt.timedelta(days=MAX_SCHEDULE_DAYS):
        raise ValidationError({"in_force_from": "Choose a day within a year from today."})
    last = selectors.history(draft.topic)
    if last and last[0].in_force_from and in_force_from < last[0].in_force_from:
        raise ValidationError(
            {
                "in_force_from": f"Version {last[0].version} comes into force on "
                f"{last[0].in_force_from:%-d %B %Y}: this version cannot come into force before it."
            }
        )
    number = (GuidanceVersion.objects.filter(topic=draft.topic).aggregate(n=Max("version"))["n"] or 0) + 1
    draft.status = Status.PUBLISHED
    draft.version = number
    draft.in_force_from = in_force_from
    draft.published_at = timezone.now()
    draft.published_by = actor if isinstance(actor, User) else None
    draft.published_by_name = actor.username
    draft.save()
    event_record(
        actor=actor,
        verb=Verb.GUIDANCE_PUBLISHED,
        object_type="guidance",
        object_ref=draft.ref,
        detail={"topic": draft.topic, "version": number, "in_force_from": in_force_from.isoformat()},
    )
    return draft


@transaction.atomic
def guidance_discard(*, actor: User, draft: GuidanceVersion) -> None:
    """Throw a draft away. Records ``guidance.discarded``."""
    if not policies.may_draft_guidance(actor):
        raise PermissionDenied("Only central governance and the data protection officer discard drafts.")
    deleted, _ = GuidanceVersion.objects.filter(pk=draft.pk, status=Status.DRAFT).delete()
    if not deleted:
        raise ValidationError("This draft has already been published or discarded.")
    event_record(actor=actor, verb=Verb.GUIDANCE_DISCARDED, object_type="guidance", object_ref=f"guidance:{draft.pk}")


def shipped_text(slug: str) -> str:
    """The starting text Custos ships for a topic (``custos/oversight/data/guidance/<slug>.md``)."""
    return resources.files("custos.oversight").joinpath("data", "guidance", f"{slug}.md").read_text(encoding="utf-8")


def guidance_seed(*, publish: bool = False, today: dt.date | None = None) -> list[GuidanceVersion]:
    """Load the shipped starting text for every topic that has no version and no draft.

    As drafts for central governance to adapt and publish, or (``publish``, as
    ``make demo`` does) published in force today by the system actor. Safe to
    re-run: topics already started are left alone.
    """
    loaded = []
    for slug in TOPICS:
        if GuidanceVersion.objects.filter(topic=slug).exists():
            continue
        draft = guidance_draft(
            actor=SHIPPED,
            topic=slug,
            body=shipped_text(slug),
            change_summary="Starting text shipped with Custos, to be adapted by the force.",
        )
        if publish:
            draft = guidance_publish(
                actor=SHIPPED, draft=draft, in_force_from=today or timezone.localdate(), today=today
            )
        loaded.append(draft)
    return loaded
