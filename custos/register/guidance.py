"""The written guidance that governs register decisions (Annex 1 terms 14 and 15).

The notice found that boroughs decided who was a gang member, what counted as
evidence and how to treat social media each in their own way (¶58–61). The
register knows which guidance topics govern each of its decisions; the library
itself (the versions, their text, who published them) belongs to oversight,
which installs a lookup here when Django starts (``OversightConfig.ready``).

Every decision form links to the versions in force, and every decision keeps
``{topic: version}`` for them, so a reviewer can later read exactly the text a
decision was made under. A decision made while no version of a topic is in
force records nothing for it; the Annex 1 tracker counts those decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    question: str


#: The topics Annex 1 terms 14 and 15 ask for, in the order the library lists them.
TOPICS: dict[str, Topic] = {
    topic.slug: topic
    for topic in (
        Topic("gang_composition", "Gang composition", "What makes a group a gang the force records?"),
        Topic(
            "evidencing_membership",
            "Evidencing gang membership",
            "What evidence shows that a person is a member, and what never does?",
        ),
        Topic(
            "serious_youth_violence",
            "Serious youth violence or gang membership",
            "When is a young person's violence gang related, and when is it not?",
        ),
        Topic(
            "intelligence_sources",
            "Intelligence sources",
            "How are sources recorded, graded and told apart as independent?",
        ),
        Topic(
            "social_media",
            "Social media as verifiable intelligence",
            "When may open-source and social-media material count, and how is it verified?",
        ),
    )
}

TOPIC_CHOICES = [(topic.slug, topic.title) for topic in TOPICS.values()]


class Decision(models.TextChoices):
    """The register decisions written guidance governs."""

    GANG_RECORDED = "gang_recorded", "Recording a gang"
    INTELLIGENCE_RECORDED = "intelligence_recorded", "Recording intelligence"
    INTELLIGENCE_VERIFIED = "intelligence_verified", "Verifying social-media intelligence"
    NOMINATION_PROPOSED = "nomination_proposed", "Proposing a nomination"
    NOMINATION_ACTIVATED = "nomination_activated", "Confirming a nomination"
    BAND_DECIDED = "band_decided", "Deciding a harm band"


#: Which topics govern each decision.
GOVERNS: dict[str, tuple[str, ...]] = {
    Decision.GANG_RECORDED: ("gang_composition",),
    Decision.INTELLIGENCE_RECORDED: ("intelligence_sources", "social_media"),
    Decision.INTELLIGENCE_VERIFIED: ("social_media",),
    Decision.NOMINATION_PROPOSED: ("evidencing_membership", "serious_youth_violence", "intelligence_sources"),
    Decision.NOMINATION_ACTIVATED: ("evidencing_membership", "serious_youth_violence", "gang_composition"),
    Decision.BAND_DECIDED: ("evidencing_membership", "serious_youth_violence"),
}


def decisions_governed_by(slug: str) -> list[str]:
    """The labels of the decisions a topic governs."""
    return [Decision(decision).label for decision, slugs in GOVERNS.items() if slug in slugs]


#: ``lookup(slugs, day)`` → ``{slug: version}`` for the slugs with a version in force on that day.
Lookup = Callable[[Sequence[str], dt.date], Mapping[str, int]]

_lookup: Lookup | None = None


def install(lookup: Lookup) -> None:
    """Oversight's guidance library calls this once, when Django starts."""
    global _lookup
    _lookup = lookup


@dataclass(frozen=True)
class InForce:
    """One topic governing a decision, with the version in force (``None`` when there is none)."""

    topic: Topic
    version: int | None

    @property
    def url(self) -> str:
        if self.version is None:
            return reverse("web:guidance_topic", args=[self.topic.slug])
        return reverse("web:guidance_version", args=[self.topic.slug, self.version])


def in_force(decision: str, today: dt.date | None = None) -> list[InForce]:
    """The topics governing ``decision`` and the version of each in force today."""
    slugs = GOVERNS[decision]
    found = _lookup(slugs, today or timezone.localdate()) if _lookup is not None else {}
    return [InForce(TOPICS[slug], found.get(slug)) for slug in slugs]


def versions_in_force(decision: str, today: dt.date | None = None) -> dict[str, int]:
    """What a decision records: ``{topic: version}`` for the topics that have a version in force."""
    return {entry.topic.slug: entry.version for entry in in_force(decision, today) if entry.version is not None}


def recorded(versions: Mapping[str, int] | None) -> list[InForce]:
    """The guidance a stored decision recorded, for display (unknown topics are skipped)."""
    return [InForce(TOPICS[slug], int(version)) for slug, version in (versions or {}).items() if slug in TOPICS]
