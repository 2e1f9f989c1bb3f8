"""Forms of the breach register (GOV.UK)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.oversight.breaches.models import Breach

_REASONS = {"rows": 4, "autocomplete": "off"}


class TimeField(forms.CharField):
    """A 24-hour time typed as HH:MM."""

    def to_python(self, value: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return dt.datetime.strptime(text, "%H:%M").time()  # noqa: DTZ007 - a time of day, no zone
        except ValueError as exc:
            raise forms.ValidationError("Enter the time as hours and minutes, like 14:30.") from exc


def moment(day: dt.date | None, time: dt.time | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, time or dt.time.min, tzinfo=timezone.get_current_timezone())


class BreachForm(GovukFormMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=200, help_text="No names or other personal data.")
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs=_REASONS),
        help_text="Do not write personal data here: use references such as P-1A2B3C4D or F-1A2B3C4D.",
    )
    category = forms.ChoiceField(label="What was breached", choices=Breach.Category.choices, widget=forms.RadioSelect)
    discovered_on = GovukDateField(label="Date discovered", help_text="The 72-hour clock runs from here.")
    discovered_time = TimeField(label="Time discovered (optional)", required=False, help_text="24-hour, like 14:30.")
    people_affected = forms.IntegerField(label="How many people are affected", min_value=0, initial=0)
    people_refs = forms.CharField(
        label="Their references, if known (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One a line: P-1A2B3C4D or person:<id>. Never names.",
    )
    consequences = forms.CharField(
        label="Likely consequences",
        required=False,
        widget=forms.Textarea(attrs=_REASONS),
        help_text="No personal data.",
    )
    risk = forms.ChoiceField(
        label="Risk to people's rights and freedoms", choices=Breach.Risk.choices, widget=forms.RadioSelect
    )


class NotifyForm(GovukFormMixin, forms.Form):
    notified_on = GovukDateField(label="Date the ICO was notified", required=False)
    notified_time = TimeField(label="Time notified (optional)", required=False, help_text="24-hour, like 14:30.")
    ico_reference = forms.CharField(label="ICO reference", required=False, max_length=60)
    late_reasons = forms.CharField(
        label="Reasons for the delay, if after 72 hours (s.67(4))",
        required=False,
        widget=forms.Textarea(attrs=_REASONS),
    )
    not_notifiable_reasons = forms.CharField(
        label="Or: why the breach is not notifiable (s.67(1))",
        required=False,
        widget=forms.Textarea(attrs=_REASONS),
        help_text="Only when it is unlikely to result in a risk to people's rights and freedoms. "
        "Leave the ICO fields empty.",
    )


class DecideForm(GovukFormMixin, forms.Form):
    telling = forms.ChoiceField(
        label="Telling the data subjects (s.68)",
        choices=[c for c in Breach.Telling.choices if c[0]],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label="Reasons", widget=forms.Textarea(attrs=_REASONS))
    told_on = GovukDateField(label="Date they were told (optional)", required=False)


class ActionForm(GovukFormMixin, forms.Form):
    what = forms.CharField(label="What is to be done", widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label="Who does it", max_length=150, help_text="A role or a username.")
    due_on = GovukDateField(label="Due by (optional)", required=False)


class CloseForm(GovukFormMixin, forms.Form):
    closing_reasons = forms.CharField(label="Why the breach can be closed", widget=forms.Textarea(attrs=_REASONS))
