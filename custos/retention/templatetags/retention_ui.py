"""Review status colours, and the review actions on a person's page, for templates."""

from __future__ import annotations

from typing import Any

from django import template

from custos.accounts.models import User
from custos.register.models import Person
from custos.retention.models import Review
from custos.retention.selectors import person_review_state

register = template.Library()

_STATUS_TAGS: dict[str, str] = {
    Review.Status.OPEN: "govuk-tag--blue",
    Review.Status.KEPT: "govuk-tag--green",
    Review.Status.REMOVAL_SCHEDULED: "govuk-tag--red",
    Review.Status.ERASED: "govuk-tag--grey",
    Review.Status.RESTRICTED: "govuk-tag--purple",
    Review.Status.CANCELLED: "govuk-tag--yellow",
}


@register.filter
def review_status_tag(value: str) -> str:
    return _STATUS_TAGS.get(value, "govuk-tag--grey")


@register.inclusion_tag("retention/_person_review_actions.html", takes_context=True)
def person_review_actions(context: dict[str, Any], person: Person) -> dict[str, Any]:
    """On a person's page: a button to open a review, or a link to the one under way, for those who may."""
    user = context.get("user")
    if not isinstance(user, User):
        return {"state": None}
    return {"state": person_review_state(viewer=user, person=person), "person": person}
