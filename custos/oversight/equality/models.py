"""Equality monitoring: baselines a force loads and the quarterly publications."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["Baseline", "EqualityPublication"]


class Baseline(models.Model):
    """A comparison population: rows [{group, age_band, count|percent}], loaded from a CSV.

    The shipped default (ONS Census 2021, London, high-level ethnic group) is
    not stored here: it is read from ``custos/oversight/data/``. A loaded
    baseline with age bands is used for ratios by age band.
    """

    class Kind(models.TextChoices):
        POPULATION = "population", "Population"
        OFFENDER = "offender", "Offender"
        VICTIM = "victim", "Victim"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.POPULATION)
    source = models.CharField(max_length=300, help_text="Where the figures come from (publisher, table, date).")
    rows = models.JSONField(default=list)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} baseline {self.name}"

    @property
    def age_banded(self) -> bool:
        return any(row.get("age_band") for row in self.rows)


class EqualityPublication(models.Model):
    """A quarter's aggregate breakdown, frozen with small-number suppression applied."""

    quarter = models.CharField(max_length=7, unique=True)
    data = models.JSONField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-quarter"]

    def __str__(self) -> str:
        return f"equality publication {self.quarter}"
