"""The guidance library: numbered versions of the written guidance on each topic (Annex 1 terms 14 and 15).

A version is drafted, then published by a second person with the day it comes
into force. Published text never changes: a change is a new version. The
version in force on a day is the newest published one whose ``in_force_from``
is on or before it. Register decisions record the version they were made under
(``custos.register.guidance``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from custos.register.guidance import TOPIC_CHOICES, TOPICS

__all__ = ["GuidanceVersion"]


class GuidanceVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.CharField(max_length=40, choices=TOPIC_CHOICES)
    #: Numbered 1, 2, 3… per topic when published; a draft has none.
    version = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    #: The guidance itself, in Markdown (rendered without raw HTML).
    body = models.TextField()
    #: What changed from the version before, in a sentence or two.
    change_summary = models.TextField()
    drafted_at = models.DateTimeField(auto_now_add=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    drafted_by_name = models.CharField(max_length=150)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_by_name = models.CharField(max_length=150, blank=True)
    in_force_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["topic", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "version"], name="guidance_one_number_per_version"),
            models.UniqueConstraint(
                fields=["topic"], condition=models.Q(status="draft"), name="guidance_one_draft_per_topic"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", version__isnull=True, in_force_from__isnull=True)
                | models.Q(status="published", version__isnull=False, in_force_from__isnull=False),
                name="guidance_published_has_number_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def title(self) -> str:
        return TOPICS[self.topic].title

    @property
    def label(self) -> str:
        if self.version is None:
            return f"{self.title} (draft)"
        return f"{self.title}, version {self.version}"

    @property
    def ref(self) -> str:
        return f"guidance:{self.topic}:v{self.version}" if self.version else f"guidance:{self.pk}"
