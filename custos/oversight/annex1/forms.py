"""The form to generate a monthly report."""

from __future__ import annotations

from django import forms

from custos.govuk.forms import GovukFormMixin


class GenerateForm(GovukFormMixin, forms.Form):
    month = forms.CharField(
        label="Month",
        help_text="As YYYY-MM, for example 2026-03. The current month is reported to today.",
        max_length=7,
        error_messages={"required": "Enter the month, as YYYY-MM."},
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "numeric"}),
    )
