"""Forms of the data-subject rights pages.

Forms only parse and check the shape of what was typed; every rule (who
may, the clock, grounds, reasons, restrictions) is enforced by the service
the view calls, whose errors the form then shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.register.models import IntelligenceItem
from custos.rights.models import Ground, Kind, RectifiedField
from custos.rights.sar import Part
from custos.rights.services import OUTCOMES

DATE_HINT = "For example, 27 3 2026"


def _off(widget: forms.Widget) -> forms.Widget:
    """Personal data must not linger in a shared browser's autofill history."""
    widget.attrs["autocomplete"] = "off"
    return widget


def _reasons(label: str, hint: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=_off(forms.Textarea(attrs={"rows": 4})),
        help_text=hint,
        error_messages={"required": "Give reasons."},
    )


class ReceiveForm(GovukFormMixin, forms.Form):
    """Log a request: who it is about (by reference), what is asked, when, and who asked."""

    person = forms.CharField(
        label="Person's reference",
        max_length=60,
        help_text="The reference on the person's record, like P-1A2B3C4D. Find it with the search below.",
        widget=_off(forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"})),
        error_messages={"required": "Enter the person's reference."},
    )
    kind = forms.ChoiceField(
        label="What does the person ask for?",
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the person asks for."},
    )
    received_on = GovukDateField(
        label="Date received",
        help_text="The clock runs one calendar month from this day. " + DATE_HINT,
        error_messages={"required": "Enter the date the request was received."},
    )
    requester_name = forms.CharField(
        label="Requester's name",
        max_length=200,
        widget=_off(forms.TextInput()),
        error_messages={"required": "Enter the requester's name."},
    )
    requester_contact = forms.CharField(
        label="How to reach the requester",
        widget=_off(forms.Textarea(attrs={"rows": 3})),
        help_text="Postal address, e-mail or telephone, as they gave it.",
        error_messages={"required": "Enter how to reach the requester."},
    )
    identity_verification = forms.CharField(
        label="How their identity was verified",
        widget=_off(forms.Textarea(attrs={"rows": 3})),
        help_text="For example: passport seen at the front counter of Stoke Newington police station.",
        error_messages={"required": "Say how the requester's identity was verified."},
    )
    details = forms.CharField(
        label="What they ask for, in their words",
        required=False,
        widget=_off(forms.Textarea(attrs={"rows": 4})),
    )


class PauseForm(GovukFormMixin, forms.Form):
    started_on = GovukDateField(
        label="Clarification asked for on",
        help_text=DATE_HINT,
        error_messages={"required": "Enter the date the clarification was asked for."},
    )
    reason = _reasons("What clarification is needed, and why", "The clock stops only for clarification you need.")


class ResumeForm(GovukFormMixin, forms.Form):
    ended_on = GovukDateField(
        label="Clarification received on",
        help_text="The clock starts again from this day. " + DATE_HINT,
        error_messages={"required": "Enter the date the clarification was received."},
    )


class ExtendForm(GovukFormMixin, forms.Form):
    months = forms.TypedChoiceField(
        label="Extend by",
        choices=[("1", "One further month"), ("2", "Two further months")],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one or two months.", "invalid_choice": "Choose one or two months."},
    )
    notice_on = GovukDateField(
        label="Notice given to the requester on",
        help_text="It must be within the first month. " + DATE_HINT,
        error_messages={"required": "Enter the date the notice was given."},
    )
    reasons = _reasons("Reasons given in the notice")


class WithholdForm(GovukFormMixin, forms.Form):
    part = forms.ChoiceField(label="Part to withhold", error_messages={"required": "Choose the part to withhold."})
    ground = forms.ChoiceField(
        label="Ground (Data Protection Act 2018, s.45(4))",
        choices=Ground.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the s.45(4) ground the part is withheld under."},
    )
    reason = _reasons(
        "Why withholding it is necessary and proportionate",
        "Internal: kept with the request for the Information Commissioner, never sent to the person.",
    )
    tell_subject = forms.BooleanField(
        label="List this part in the response as withheld, with its ground",
        required=False,
        initial=True,
        help_text="Untick only where telling the person would itself undermine the ground (s.45(6)).",
    )

    def __init__(self, *args: Any, parts: Iterable[Part], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [("", "Choose a part"), *((p.ref, p.label) for p in parts)]  # type: ignore[attr-defined]


class RectifyForm(GovukFormMixin, forms.Form):
    """A correction: which field, its new value (or a supplementary statement) and the reasons."""

    field = forms.ChoiceField(
        label="What is corrected",
        choices=RectifiedField.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to correct."},
    )
    value = forms.CharField(
        label="Correct value, or the supplementary statement",
        required=False,
        widget=_off(forms.Textarea(attrs={"rows": 4})),
        help_text="Aliases and addresses: one per line, the whole corrected list. Not for a date of birth.",
    )
    date_of_birth = GovukDateField(label="Correct date of birth", required=False, help_text=DATE_HINT)
    item = forms.ChoiceField(label="Intelligence item to complete", required=False)
    reasons = _reasons("Reasons for the correction")

    def __init__(self, *args: Any, items: Iterable[IntelligenceItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = {str(i.pk): i for i in items}
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            ("", "Not an intelligence item"),
            *(
                (key, f"{i.occurred_on:%d %b %Y}, {i.grade}, {i.get_criterion_display()}")
                for key, i in self.items.items()
            ),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("field")
        if chosen == RectifiedField.DATE_OF_BIRTH:
            data["new_value"] = data.get("date_of_birth")
        elif chosen in (RectifiedField.ALIASES, RectifiedField.ADDRESSES):
            data["new_value"] = [line.strip() for line in (data.get("value") or "").splitlines() if line.strip()]
        else:
            data["new_value"] = data.get("value") or ""
        data["item_object"] = self.items.get(data.get("item") or "")
        if chosen == RectifiedField.INTELLIGENCE_SUMMARY and data["item_object"] is None:
            self.add_error("item", "Choose the intelligence item the statement completes.")
        return data


class RestrictForm(GovukFormMixin, forms.Form):
    reasons = _reasons(
        "Reasons for restricting processing",
        "While restricted, only the DPO and the Information Rights Unit see the person, and nothing about them "
        "may change.",
    )


class CloseForm(GovukFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=list(OUTCOMES.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the request ends."},
    )
    reasons = _reasons("The outcome and reasons, as written to the requester", "Data Protection Act 2018, s.48(1).")


class ConfirmForm(GovukFormMixin, forms.Form):
    """A button with nothing to fill in (respond, open the erasure review)."""
