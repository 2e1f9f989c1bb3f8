"""Labels and GOV.UK tag colours for the register's codes, for templates."""

from __future__ import annotations

from django import template

from custos.register import guidance
from custos.register.models import (
    Band,
    Category,
    Criterion,
    Gender,
    Nomination,
    ObservedEthnicity,
    SelfDefinedEthnicity,
    Verification,
)

register = template.Library()

_CATEGORY_TAGS: dict[str, str] = {
    Category.SUSPECTED_OFFENDER: "govuk-tag--orange",
    Category.CONVICTED_OFFENDER: "govuk-tag--red",
    Category.VICTIM: "govuk-tag--purple",
    Category.WITNESS: "govuk-tag--blue",
    Category.OTHER: "govuk-tag--grey",
}
_BAND_TAGS: dict[str, str] = {
    Band.RED: "govuk-tag--red",
    Band.AMBER: "govuk-tag--yellow",
    Band.GREEN: "govuk-tag--green",
}
_STATUS_TAGS: dict[str, str] = {
    Nomination.Status.PROPOSED: "govuk-tag--blue",
    Nomination.Status.ACTIVE: "govuk-tag--turquoise",
    Nomination.Status.UNDER_REVIEW: "govuk-tag--yellow",
    Nomination.Status.REMOVED: "govuk-tag--grey",
    Nomination.Status.WITHDRAWN: "govuk-tag--grey",
}
_VERIFICATION_TAGS: dict[str, str] = {
    Verification.UNVERIFIED: "govuk-tag--yellow",
    Verification.VERIFIED: "govuk-tag--green",
    Verification.REJECTED: "govuk-tag--red",
    Verification.NOT_REQUIRED: "govuk-tag--grey",
}
_LABELS: dict[str, dict[str, str]] = {
    "category": dict(Category.choices),
    "band": {**dict(Band.choices), "": "No band", "none": "No band"},
    "status": dict(Nomination.Status.choices),
    "criterion": dict(Criterion.choices),
    "verification": dict(Verification.choices),
    "gender": dict(Gender.choices),
    "observed_ethnicity": dict(ObservedEthnicity.choices),
    "self_defined_ethnicity": dict(SelfDefinedEthnicity.choices),
}


@register.filter
def label(value: str | None, kind: str) -> str:
    """``{{ code|label:"category" }}``: the human label of a stored code."""
    if value is None:
        return ""
    return _LABELS.get(kind, {}).get(str(value), str(value))


@register.filter
def category_tag(value: str) -> str:
    return _CATEGORY_TAGS.get(value, "govuk-tag--grey")


@register.filter
def band_tag(value: str) -> str:
    return _BAND_TAGS.get(value, "govuk-tag--grey")


@register.filter
def status_tag(value: str) -> str:
    return _STATUS_TAGS.get(value, "govuk-tag--grey")


@register.filter
def verification_tag(value: str) -> str:
    return _VERIFICATION_TAGS.get(value, "govuk-tag--grey")


@register.inclusion_tag("register/_category_tags.html")
def category_tags(categories: list[str]) -> dict[str, object]:
    """The s.38(3) categories of a person, a victim always labelled as such."""
    return {"categories": categories, "is_victim": Category.VICTIM in categories}


@register.inclusion_tag("register/_guidance_recorded.html")
def guidance_recorded(versions: dict[str, int] | None) -> dict[str, object]:
    """Links to the guidance versions a decision recorded (``{topic: version}``)."""
    return {"recorded": guidance.recorded(versions)}
