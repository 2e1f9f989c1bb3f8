"""Forms of the register's web interface.

Forms only parse and check the shape of what was typed; every rule of the
register (who may, victims, corroboration, reasons) is enforced by the
service the view calls, whose errors the form then shows. Protected
characteristics are offered as optional fields for equality monitoring and
never feed a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet

from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.register.models import (
    BCU,
    ActionKind,
    Band,
    Borough,
    Category,
    Criterion,
    Gang,
    Gender,
    Handling,
    IntelGrade,
    Nature,
    Nomination,
    ObservedEthnicity,
    SelfDefinedEthnicity,
    SourceGrade,
    SourceType,
)

EQUALITY_HINT = "For equality monitoring only. Never used in scoring or in deciding who is nominated."
NOT_RECORDED = ("", "Not recorded")

#: What the matrix may be filtered by; the keys are GET parameters (no personal data).
BAND_FILTER_CHOICES = [("", "Any band"), *Band.choices, ("none", "No band yet")]
STATUS_FILTER_CHOICES = [("", "Any open status"), *Nomination.Status.choices]
CATEGORY_FILTER_CHOICES = [("", "Any category"), *Category.choices]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _off(widget: forms.Widget) -> forms.Widget:
    """Personal data must not linger in a shared browser's autofill history."""
    widget.attrs["autocomplete"] = "off"
    return widget


class MatrixFilterForm(GovukFormMixin, forms.Form):
    """The matrix filters, read from the query string; unknown values are ignored."""

    hide_optional = True  # every filter is optional; saying so on each adds nothing

    bcu = forms.ChoiceField(label="BCU", required=False)
    band = forms.ChoiceField(label="RAG band", required=False, choices=BAND_FILTER_CHOICES)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_FILTER_CHOICES)
    category = forms.ChoiceField(label="Category", required=False, choices=CATEGORY_FILTER_CHOICES)

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


class PeopleSearchForm(GovukFormMixin, forms.Form):
    """Exact search by name or alias and/or date of birth. Sent by POST only."""

    name = forms.CharField(
        label="Name or alias",
        required=False,
        max_length=200,
        help_text="The exact name or alias, as recorded. Capital letters and spaces do not matter.",
        widget=_off(forms.TextInput()),
    )
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 2007")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name") or "").strip() and not data.get("date_of_birth") and not self.errors:
            raise forms.ValidationError("Enter a name or alias, a date of birth, or both.")
        return data


if TYPE_CHECKING:
    _BoroughField = forms.ModelChoiceField[Borough]
else:  # the stubs make the field generic; Django's class is not subscriptable at run time
    _BoroughField = forms.ModelChoiceField


class BoroughChoiceField(_BoroughField):
    def label_from_instance(self, obj: Borough) -> str:
        return f"{obj.name} ({obj.bcu.name})"


class PersonForm(GovukFormMixin, forms.Form):
    """Record a person. The BCUs offered are those the user may act in."""

    bcu = forms.ModelChoiceField(
        label="BCU",
        queryset=BCU.objects.none(),
        empty_label="Choose a BCU",
        error_messages={
            "required": "Choose the BCU the person is recorded in.",
            "invalid_choice": "Choose one of the BCUs you work in.",
        },
    )
    borough = BoroughChoiceField(
        label="Borough",
        queryset=Borough.objects.none(),
        required=False,
        empty_label="Not recorded",
        error_messages={"invalid_choice": "Choose one of the listed boroughs."},
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=_off(forms.TextInput()),
        error_messages={"required": "Enter the person's full name."},
    )
    aliases = forms.CharField(
        label="Aliases and nicknames",
        required=False,
        widget=_off(forms.Textarea(attrs={"rows": 3})),
        help_text="One per line.",
    )
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 2007")
    addresses = forms.CharField(
        label="Addresses",
        required=False,
        widget=_off(forms.Textarea(attrs={"rows": 3})),
        help_text="One address per line.",
    )
    observed_ethnicity = forms.ChoiceField(
        label="Officer-observed ethnicity (IC code)",
        required=False,
        choices=[NOT_RECORDED, *ObservedEthnicity.choices],
        help_text=EQUALITY_HINT,
    )
    self_defined_ethnicity = forms.ChoiceField(
        label="Self-defined ethnicity",
        required=False,
        choices=[NOT_RECORDED, *SelfDefinedEthnicity.choices],
        help_text=EQUALITY_HINT,
    )
    gender = forms.ChoiceField(
        label="Gender",
        required=False,
        choices=[NOT_RECORDED, *Gender.choices],
        help_text=EQUALITY_HINT,
    )

    def __init__(self, *args: Any, bcus: QuerySet[BCU], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bcu_field: forms.ModelChoiceField[BCU] = self.fields["bcu"]  # type: ignore[assignment]
        borough_field: forms.ModelChoiceField[Borough] = self.fields["borough"]  # type: ignore[assignment]
        bcu_field.queryset = bcus
        if len(bcus) == 1:
            bcu_field.empty_label = None
        borough_field.queryset = Borough.objects.filter(bcu__in=bcus).select_related("bcu").order_by("name")

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "bcu": data["bcu"],
            "borough": data.get("borough"),
            "full_name": data["full_name"],
            "aliases": _lines(data.get("aliases", "")),
            "date_of_birth": data.get("date_of_birth"),
            "addresses": _lines(data.get("addresses", "")),
            "observed_ethnicity": data.get("observed_ethnicity", ""),
            "self_defined_ethnicity": data.get("self_defined_ethnicity", ""),
            "gender": data.get("gender", ""),
        }


def _choose(label: str) -> dict[str, str]:
    return {"required": f"Choose the {label}.", "invalid_choice": f"Choose the {label} from the list."}


class IntelligenceForm(GovukFormMixin, forms.Form):
    """A graded intelligence item (3x5x2), its source, and whether it is fact or assessment."""

    category = forms.ChoiceField(
        label="The person is recorded in this item as",
        choices=Category.choices,
        widget=forms.RadioSelect,
        help_text="A victim or witness record never adds to a harm score, and a victim is never nominated.",
        error_messages=_choose("person's category in this record"),
    )
    occurred_on = GovukDateField(
        label="Date of the events",
        help_text="For example, 27 3 2025",
        error_messages={"required": "Enter the date of the events."},
    )
    criterion = forms.ChoiceField(
        label="What it evidences",
        choices=[("", "Choose"), *Criterion.choices],
        error_messages=_choose("criterion it evidences"),
    )
    summary = forms.CharField(
        label="What the intelligence says",
        widget=_off(forms.Textarea(attrs={"rows": 4})),
        error_messages={"required": "Enter what the intelligence says."},
    )
    nature = forms.ChoiceField(
        label="Is this a fact or an assessment?",
        choices=Nature.choices,
        widget=forms.RadioSelect,
        help_text="Facts are distinguished from personal assessments (Data Protection Act 2018, s.38(2)).",
        error_messages=_choose("nature of the item"),
    )
    source_type = forms.ChoiceField(
        label="Source type",
        choices=[("", "Choose"), *SourceType.choices],
        help_text="An open-source or social-media item counts for nothing until it is verified.",
        error_messages=_choose("source type"),
    )
    source_reference = forms.CharField(
        label="Source reference",
        max_length=200,
        widget=_off(forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"})),
        help_text="For example, a CAD or report number. Stored only as a keyed digest, to tell independent "
        "sources apart.",
        error_messages={"required": "Enter the source reference, so independent sources can be told apart."},
    )
    source_grade = forms.ChoiceField(
        label="Source evaluation",
        choices=[("", "Choose"), *SourceGrade.choices],
        error_messages=_choose("source evaluation"),
    )
    intel_grade = forms.ChoiceField(
        label="Intelligence assessment",
        choices=[("", "Choose"), *IntelGrade.choices],
        help_text="Grade E intelligence counts for nothing.",
        error_messages=_choose("intelligence assessment"),
    )
    handling = forms.ChoiceField(
        label="Handling code",
        choices=Handling.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("handling code"),
    )
    handling_conditions = forms.CharField(
        label="Handling conditions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the handling code is C.",
    )
    offence_code = forms.CharField(
        label="Offence code",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
    )
    gang = forms.ModelChoiceField(label="Gang", queryset=Gang.objects.none(), required=False, empty_label="None")

    def __init__(self, *args: Any, gangs: QuerySet[Gang], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gang"].queryset = gangs  # type: ignore[attr-defined]


class VerifyForm(GovukFormMixin, forms.Form):
    """The outcome of verifying an open-source / social-media item under the written guidance."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("verified", "Verified under the guidance"), ("rejected", "Rejected: it cannot be verified")],
        widget=forms.RadioSelect,
        error_messages=_choose("outcome of the verification"),
    )
    reasons = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How it was verified, or why it was rejected.",
        error_messages={"required": "Give reasons."},
    )


class NominateForm(GovukFormMixin, forms.Form):
    gang = forms.ModelChoiceField(label="Gang", queryset=Gang.objects.none(), required=False, empty_label="None")
    reasons = forms.CharField(
        label="Reasons for the nomination",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why this person should be on the matrix, and what the corroborating intelligence shows.",
        error_messages={"required": "Give reasons."},
    )

    def __init__(self, *args: Any, gangs: QuerySet[Gang], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gang"].queryset = gangs  # type: ignore[attr-defined]


class ActivateForm(GovukFormMixin, forms.Form):
    reasons = forms.CharField(
        label="Reasons for confirming the nomination",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Give reasons."},
    )
    review_due = GovukDateField(label="Review due by", required=False, help_text="For example, 27 3 2026")


class RagDecisionForm(GovukFormMixin, forms.Form):
    band = forms.ChoiceField(
        label="RAG band",
        choices=Band.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose red, amber or green.", "invalid_choice": "Choose red, amber or green."},
    )
    reasons = forms.CharField(
        label="Reasons for your decision",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Say why, especially where your decision differs from the recommended band.",
        error_messages={"required": "Give reasons."},
    )


class ActionForm(GovukFormMixin, forms.Form):
    """An action taken about a person. Which kinds the policy allows is the service's to say.

    ``kinds`` are every kind of action in use, allowed ones first: the page
    offers only those the policy allows, and a kind it refuses is refused,
    with the reason, by ``actions.action_record``.
    """

    kind = forms.ChoiceField(
        label="Kind of action",
        widget=forms.RadioSelect,
        error_messages=_choose("kind of action"),
    )
    taken_on = GovukDateField(
        label="Date the action was taken",
        help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the action was taken."},
    )
    notes = forms.CharField(
        label="What was done and why",
        widget=_off(forms.Textarea(attrs={"rows": 5})),
        help_text="Where the policy puts a condition on this kind of action, say how it is met.",
        error_messages={"required": "Say what was done and why."},
    )

    def __init__(self, *args: Any, kinds: Sequence[ActionKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]  # type: ignore[attr-defined]
