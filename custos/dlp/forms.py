"""Forms of the findings pages: they parse what was typed; the services enforce every rule."""

from __future__ import annotations

from typing import Any

from django import forms

from custos.accounts.models import User
from custos.dlp.models import Finding
from custos.govuk.forms import GovukFormMixin

REASONS_HINT = "At least 10 characters: what was done, by whom, and how you know."


class FindingFilterForm(GovukFormMixin, forms.Form):
    """Filters from the query string (codes only); unknown values filter nothing."""

    hide_optional = True

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Not closed"), *Finding.Status.choices])
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any"), *Finding.Kind.choices])

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {}
        self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return {name: str(data.get(name) or "") for name in self.fields if name not in self.errors}


class _AssigneeChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        where = f", {user.bcu_code}" if user.bcu_code else ""
        return f"{user.get_full_name() or user.username} ({user.get_role_display()}{where})"


class AssignForm(GovukFormMixin, forms.Form):
    assignee = _AssigneeChoice(
        label="Assign to",
        queryset=User.objects.none(),
        help_text="A BCU SPOC, central governance or the DPO. They are told on their task list.",
        error_messages={"required": "Choose who will see to the copy."},
    )

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]


class ReasonsForm(GovukFormMixin, forms.Form):
    reasons = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text=REASONS_HINT,
        error_messages={"required": "Give reasons."},
    )
    breach_ref = forms.CharField(
        label="Breach register reference (optional)",
        required=False,
        max_length=80,
        help_text="If the copy was reported as a data breach.",
    )
