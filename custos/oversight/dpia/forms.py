"""Forms of the DPIA pack: the DPO's sign-off and the risk register entry."""

from __future__ import annotations

from django import forms

from custos.govuk.forms import GovukFormMixin
from custos.oversight.dpia.models import RiskStatus

_ONE_TO_FIVE = [(n, str(n)) for n in range(1, 6)]


class SignOffForm(GovukFormMixin, forms.Form):
    comments = forms.CharField(
        label="Your comments as data protection officer",
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text="At least 10 characters: your view of the residual risk and any conditions. They are kept.",
        error_messages={"required": "Write your comments on the assessment."},
    )


class RiskForm(GovukFormMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=200, error_messages={"required": "Enter the title."})
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the description."},
    )
    likelihood = forms.TypedChoiceField(
        label="Likelihood (1 rare to 5 almost certain)",
        choices=_ONE_TO_FIVE,
        coerce=int,
        error_messages={"required": "Choose a likelihood from 1 to 5."},
    )
    impact = forms.TypedChoiceField(
        label="Impact (1 minimal to 5 severe)",
        choices=_ONE_TO_FIVE,
        coerce=int,
        error_messages={"required": "Choose an impact from 1 to 5."},
    )
    mitigations = forms.CharField(label="Mitigations", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.CharField(
        label="Owner",
        max_length=120,
        help_text="A role or team, not a person's name.",
        error_messages={"required": "Enter the owner."},
    )
    status = forms.ChoiceField(
        label="Status", choices=RiskStatus.choices, error_messages={"required": "Choose a status."}
    )


class NewRiskForm(RiskForm):
    code = forms.SlugField(
        label="Reference",
        max_length=60,
        help_text="Lower-case letters, digits and hyphens, e.g. unverified-social-media.",
        error_messages={"required": "Enter a reference.", "invalid": "Use letters, digits and hyphens only."},
    )
    field_order = ["code"]
