"""Reading the guidance library: versions in force, history, changes, rendering and tracker evidence."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from custos.oversight.guidance.models import GuidanceVersion
from custos.register.guidance import GOVERNS, TOPICS, Decision, Topic
from custos.register.models import Gang, IntelligenceItem, Nomination, RagDecision

Status = GuidanceVersion.Status

#: CommonMark without raw HTML: what an editor types cannot inject markup or script.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render(body: str, *, shift: int = 0) -> SafeString:
    """The Markdown body as HTML (raw HTML in the text is shown as text, never run).

    ``shift`` lowers every heading by that many levels (a preview inside a page that has its own ``h1``).
    """
    tokens = _MARKDOWN.parse(body)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
    html: str = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return mark_safe(html)  # noqa: S308 - html=False escapes everything the author typed


def _published() -> QuerySet[GuidanceVersion]:
    return GuidanceVersion.objects.filter(status=Status.PUBLISHED)


def in_force_versions(slugs: Sequence[str], day: dt.date) -> dict[str, int]:
    """``{slug: version}`` in force on ``day`` (the lookup the register's decisions use)."""
    rows = (
        _published()
        .filter(topic__in=list(slugs), in_force_from__lte=day)
        .order_by("topic", "-in_force_from", "-version")
        .values_list("topic", "version")
    )
    found: dict[str, int] = {}
    for topic, version in rows:
        if version is not None:  # published versions always have a number (a database constraint)
            found.setdefault(topic, version)
    return found


def version_in_force(slug: str, day: dt.date) -> GuidanceVersion | None:
    return _published().filter(topic=slug, in_force_from__lte=day).order_by("-in_force_from", "-version").first()


def version_get_or_none(slug: str, version: int) -> GuidanceVersion | None:
    found: GuidanceVersion | None = _published().filter(topic=slug, version=version).first()
    return found


def version_get(slug: str, version: int) -> GuidanceVersion:
    if slug not in TOPICS:
        raise Http404("There is no such guidance topic.")
    found = version_get_or_none(slug, version)
    if found is None:
        raise Http404("There is no such version of this guidance.")
    return found


def topic_get(slug: str) -> Topic:
    if slug not in TOPICS:
        raise Http404("There is no such guidance topic.")
    return TOPICS[slug]


def draft_of(slug: str) -> GuidanceVersion | None:
    return GuidanceVersion.objects.filter(topic=slug, status=Status.DRAFT).first()


def draft_get(draft_id: Any) -> GuidanceVersion:
    found = GuidanceVersion.objects.filter(pk=draft_id, status=Status.DRAFT).first()
    if found is None:
        raise Http404("There is no such draft: it may have been published or discarded.")
    return found


def history(slug: str) -> list[GuidanceVersion]:
    return list(_published().filter(topic=slug).order_by("-version"))


@dataclass(frozen=True)
class TopicRow:
    topic: Topic
    in_force: GuidanceVersion | None
    scheduled: GuidanceVersion | None
    draft: GuidanceVersion | None
    decisions: list[str]


def topic_rows(day: dt.date) -> list[TopicRow]:
    """One row per topic: the version in force, the next one scheduled, and any draft."""
    rows = []
    for slug, topic in TOPICS.items():
        scheduled = _published().filter(topic=slug, in_force_from__gt=day).order_by("in_force_from").first()
        rows.append(
            TopicRow(
                topic=topic,
                in_force=version_in_force(slug, day),
                scheduled=scheduled,
                draft=draft_of(slug),
                decisions=[Decision(d).label for d, slugs in GOVERNS.items() if slug in slugs],
            )
        )
    return rows


def previous_of(version: GuidanceVersion) -> GuidanceVersion | None:
    if version.version is None:
        return _published().filter(topic=version.topic).order_by("-version").first()
    return _published().filter(topic=version.topic, version__lt=version.version).order_by("-version").first()


@dataclass(frozen=True)
class ChangeLine:
    kind: str  # "added", "removed", "same"
    text: str


def changes(before: GuidanceVersion | None, after: GuidanceVersion) -> list[ChangeLine]:
    """Line by line, what ``after`` changed from ``before`` (everything is added when there is none)."""
    old = before.body.splitlines() if before is not None else []
    lines = []
    for line in difflib.ndiff(old, after.body.splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append(ChangeLine({"+ ": "added", "- ": "removed"}.get(code, "same"), text))
    return lines


# --- Evidence for the Annex 1 tracker (terms 14 and 15) --------------------------------------------------


def _decisions_between(start: dt.date, end: dt.date) -> list[tuple[str, Mapping[str, int]]]:
    """(decision, recorded guidance) for every register decision made from ``start`` to ``end`` inclusive."""

    def within(field: str) -> Q:
        return Q(**{f"{field}__date__gte": start, f"{field}__date__lte": end})

    found: list[tuple[str, Mapping[str, int]]] = []
    sources: list[tuple[str, Any, str, str]] = [
        (Decision.GANG_RECORDED, Gang.objects, "created_at", "guidance"),
        (Decision.INTELLIGENCE_RECORDED, IntelligenceItem.objects, "created_at", "guidance"),
        (Decision.INTELLIGENCE_VERIFIED, IntelligenceItem.objects, "verified_at", "verification_guidance"),
        (Decision.NOMINATION_PROPOSED, Nomination.objects, "proposed_at", "guidance"),
        (Decision.NOMINATION_ACTIVATED, Nomination.objects, "activated_at", "activation_guidance"),
        (Decision.BAND_DECIDED, RagDecision.objects, "decided_at", "guidance"),
    ]
    for decision, manager, when, field in sources:
        for recorded in manager.filter(within(when)).values_list(field, flat=True).iterator():
            found.append((decision, recorded or {}))
    return found


def tracker_evidence(as_of: dt.date, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What the Annex 1 tracker reads for terms 14 and 15.

    ``topics``: each topic with the version in force on ``as_of`` (``None`` when there is none).
    ``decisions``: register decisions made from ``start`` to ``end``; ``decisions_with_guidance``: those that
    recorded a version of every topic governing them; ``by_decision``: both figures per kind of decision.
    """
    in_force = in_force_versions(list(TOPICS), as_of)
    by_decision: dict[str, dict[str, int]] = {d: {"decisions": 0, "with_guidance": 0} for d in Decision.values}
    for decision, recorded in _decisions_between(start, end):
        by_decision[decision]["decisions"] += 1
        if all(slug in recorded for slug in GOVERNS[decision]):
            by_decision[decision]["with_guidance"] += 1
    return {
        "topics": [{"slug": t.slug, "title": t.title, "version": in_force.get(t.slug)} for t in TOPICS.values()],
        "decisions": sum(row["decisions"] for row in by_decision.values()),
        "decisions_with_guidance": sum(row["with_guidance"] for row in by_decision.values()),
        "by_decision": by_decision,
    }
