"""Forms of the guidance library: a draft's text, and the day a version comes into force."""

from __future__ import annotations

from django import forms

from custos.govuk.forms import GovukDateField, GovukFormMixin


class DraftForm(GovukFormMixin, forms.Form):
    body = forms.CharField(
        label="The guidance",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text="Markdown: # for headings, - for lists, **bold**. HTML is shown as text.",
        error_messages={"required": "Write the guidance."},
    )
    change_summary = forms.CharField(
        label="What this version changes",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Readers of decisions made under the earlier version see this.",
        error_messages={"required": "Say what this version changes."},
    )


class PublishForm(GovukFormMixin, forms.Form):
    in_force_from = GovukDateField(
        label="In force from",
        help_text="Today or later, for example 1 12 2026. Decisions from that day record this version.",
    )
