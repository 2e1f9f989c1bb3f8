"""Forms of the reviews and retention pages.

Forms only parse what was typed; every rule (who may, reasons long enough,
the next review within a year, a ground for a restriction) is enforced by
the service the view calls, whose errors the form then shows in the GOV.UK
error summary and on the field they name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms

from custos.accounts.models import Role
from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.register.models import BCU
from custos.retention.models import Decision, Restriction, Trigger
from custos.retention.policies import DEFAULT_RESTRICTION_ROLES, RESTRICTION_ROLES
from custos.retention.selectors import QUEUE_STATUSES

REASONS_HINT = "At least 10 characters. Reasons are kept with the decision and sealed with the person's own key."


class QueueFilterForm(GovukFormMixin, forms.Form):
    """The queue's filters, read from the query string (codes only); unknown values are ignored."""

    hide_optional = True

    bcu = forms.ChoiceField(label="BCU", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Open or erasure scheduled"), *QUEUE_STATUSES.items()]
    )
    trigger = forms.ChoiceField(label="Why it was opened", required=False, choices=[("", "Any"), *Trigger.choices])

    def __init__(self, *args: Any, bcus: Iterable[BCU], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bcu"].choices = [("", "Any BCU"), *((b.code, b.name) for b in bcus)]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """The valid filters only: an unknown value filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return {name: str(data.get(name) or "") for name in self.fields if name not in self.errors}


def _reasons(label: str, hint: str = REASONS_HINT) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text=hint,
        error_messages={"required": "Give reasons."},
    )


class ReviewDecisionForm(GovukFormMixin, forms.Form):
    """Keep (with a next review date), remove (erasure after the grace period) or restrict (s.47)."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose keep, remove or restrict.",
            "invalid_choice": "Choose keep, remove or restrict.",
        },
    )
    next_review_on = GovukDateField(label="Next review by", required=False)
    ground = forms.ChoiceField(
        label="Why processing is restricted",
        required=False,
        choices=Restriction.Ground.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose why processing is restricted."},
    )
    roles = forms.MultipleChoiceField(
        label="Who may still see the person",
        required=False,
        choices=[(str(role), Role(role).label) for role in RESTRICTION_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone else will no longer find this person anywhere in Custos.",
        error_messages={"invalid_choice": "Choose from the roles listed."},
    )
    reasons = _reasons("Reasons for your decision")

    def __init__(
        self,
        *args: Any,
        default_next_review: dt.date | None = None,
        latest_next_review: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"roles": [str(role) for role in DEFAULT_RESTRICTION_ROLES]})
        super().__init__(*args, **kwargs)
        hint = "After today"
        if latest_next_review:
            hint += f" and no later than {_day(latest_next_review)}"
        hint += "."
        if default_next_review:
            hint += f" Leave it empty for the schedule's date for this listing, {_day(default_next_review)}."
        self.fields["next_review_on"].help_text = f"{hint} For example, {_example(default_next_review)}"

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        decision = data["decision"]
        return {
            "decision": decision,
            "reasons": data["reasons"],
            "next_review_on": data.get("next_review_on") if decision == Decision.KEEP else None,
            "restriction_ground": data.get("ground") or "" if decision == Decision.RESTRICT else "",
            "restriction_roles": list(data.get("roles") or []) if decision == Decision.RESTRICT else [],
        }


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _example(value: dt.date | None) -> str:
    value = value or dt.date(2026, 3, 27)
    return f"{value.day} {value.month} {value.year}"


class ReasonsForm(GovukFormMixin, forms.Form):
    """Reasons alone: cancelling a scheduled erasure, erasing now, lifting a restriction."""

    reasons = _reasons("Reasons")

    def __init__(self, *args: Any, label: str = "Reasons", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].label = label


class OpenReviewForm(GovukFormMixin, forms.Form):
    """Opening a review by hand needs nothing typed: the button is the confirmation."""
