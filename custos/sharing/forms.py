"""Forms of the sharing pages: they collect what the user typed; the services decide whether it is allowed.

Most fields are optional here on purpose: ``services`` checks every rule
and names every problem at once, by field, so the page shows them all
together and keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.sharing import rules
from custos.sharing.models import Agreement, RecipientKind
from custos.sharing.services import AgreementInput

SIGNATORY_ROWS = 3
_SIGNATORY_PARTS = (("name", "Name"), ("role", "Role"), ("organisation", "Organisation"))


class AnyChoices(forms.MultipleChoiceField):
    """Checkboxes whose values the service checks (it says which codes cannot be shared, not 'invalid choice')."""

    def valid_value(self, value: Any) -> bool:
        return True


def _text(label: str, *, rows: int = 0, help_text: str = "", required: bool = False, **kwargs: Any) -> forms.Field:
    widget = forms.Textarea(attrs={"rows": rows, "autocomplete": "off"}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, help_text=help_text, widget=widget, **kwargs)


class AgreementForm(GovukFormMixin, forms.Form):
    """A draft information sharing agreement (``services.AgreementInput``)."""

    hide_optional = True

    title = _text("Title", max_length=200)
    recipient_name = _text("Recipient organisation", max_length=200)
    recipient_kind = forms.ChoiceField(
        label="Does the recipient exercise statutory functions?",
        choices=RecipientKind.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    parties = _text("Parties to the agreement", rows=3, help_text="One organisation per line.")
    legal_basis = _text("Legal basis", rows=3)
    purpose = _text("Purpose of sharing", rows=3)
    allowed_fields = AnyChoices(
        label="Fields the recipient may receive",
        choices=[(code, label) for code, (label, _) in rules.FIELDS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    categories = AnyChoices(
        label="Categories of people",
        choices=list(rules.CATEGORIES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    bands = AnyChoices(
        label="RAG bands",
        choices=list(rules.BANDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    onward_sharing = _text("Onward sharing", rows=3, help_text="What the recipient may pass on, to whom, and how.")
    retention_days = forms.IntegerField(
        label="Retention at the recipient (days)",
        required=False,
        help_text=f"A package is destroyed within this, and never more than {rules.MAX_PACKAGE_DAYS} days.",
        error_messages={"invalid": "Enter a whole number of days."},
    )
    retention_rules = _text("Other retention and destruction rules (optional)", rows=2)
    security = _text("Security the recipient must apply", rows=3)
    recipient_key = _text(
        "Recipient's age public key",
        help_text="Starts with age1. Packages are encrypted to it: only the recipient can open them.",
        max_length=200,
    )
    review_date = GovukDateField(
        label="Review date",
        required=False,
        help_text=f"The agreement ends on this date unless renewed; at most {rules.MAX_REVIEW_YEARS} years ahead.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, SIGNATORY_ROWS + 1):
            for part, label in _SIGNATORY_PARTS:
                self.fields[f"signatory_{row}_{part}"] = forms.CharField(
                    label=f"{label} of signatory {row}",
                    required=False,
                    max_length=200,
                    widget=forms.TextInput(attrs={"class": "govuk-input"}),
                )

    @staticmethod
    def initial_from(agreement: Agreement) -> dict[str, Any]:
        data = AgreementInput.of(agreement)
        initial: dict[str, Any] = {k: getattr(data, k) for k in AgreementInput.__dataclass_fields__}
        initial["parties"] = "\n".join(data.parties)
        initial["allowed_fields"] = data.fields
        for row, signatory in enumerate(data.signatories[:SIGNATORY_ROWS], start=1):
            for part, _ in _SIGNATORY_PARTS:
                initial[f"signatory_{row}_{part}"] = signatory.get(part, "")
        return initial

    def add_service_errors(self, error: ValidationError) -> None:
        """The service names the fields to share ``fields``; the form calls them ``allowed_fields``."""
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {("allowed_fields" if k == "fields" else k): v for k, v in error.error_dict.items()}
            )
        super().add_service_errors(error)

    def signatory_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"signatory_{row}_{part}"] for part, _ in _SIGNATORY_PARTS] for row in range(1, SIGNATORY_ROWS + 1)
        ]

    def to_input(self) -> AgreementInput:
        data = self.cleaned_data
        return AgreementInput(
            title=data["title"],
            recipient_name=data["recipient_name"],
            recipient_kind=data["recipient_kind"] or "",
            parties=[line for line in data["parties"].splitlines() if line.strip()],
            legal_basis=data["legal_basis"],
            purpose=data["purpose"],
            fields=list(data["allowed_fields"]),
            categories=list(data["categories"]),
            bands=list(data["bands"]),
            onward_sharing=data["onward_sharing"],
            retention_days=data["retention_days"],
            retention_rules=data["retention_rules"],
            security=data["security"],
            recipient_key=data["recipient_key"],
            review_date=data["review_date"],
            signatories=[
                {part: data[f"signatory_{row}_{part}"] for part, _ in _SIGNATORY_PARTS}
                for row in range(1, SIGNATORY_ROWS + 1)
            ],
        )


class AgreementApproveForm(GovukFormMixin, forms.Form):
    """The IRU's approval: reasons for each exception the agreement needs, and notes."""

    hide_optional = True

    def __init__(self, *args: Any, needed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in needed:
            self.fields[f"exception_{code}"] = forms.CharField(
                label=f"Reasons for an exception: {rules.EXCEPTIONS[code].lower()}",
                required=False,
                help_text=f"The guidance does not allow this. At least {rules.MIN_REASONS} characters.",
                widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "class": "govuk-textarea"}),
            )
            self.fields[f"exception_{code}"].widget.attrs["aria-describedby"] = f"id_exception_{code}-hint"
        self.fields["notes"] = forms.CharField(
            label="Notes (optional)",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "class": "govuk-textarea"}),
        )
        self.needed = needed

    def exceptions(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"exception_{code}") or "" for code in self.needed}


class ReasonsForm(GovukFormMixin, forms.Form):
    """Reasons for revoking an agreement or refusing a disclosure (the service checks their length)."""

    hide_optional = True
    reasons = forms.CharField(
        label="Reasons",
        required=False,
        help_text=f"At least {rules.MIN_REASONS} characters. They are recorded.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, label: str = "Reasons", optional: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].label = label + (" (optional)" if optional else "")
        if optional:
            self.fields["reasons"].help_text = "They are recorded."


class DisclosureForm(GovukFormMixin, forms.Form):
    """Ask to share named people under an agreement in force."""

    agreement = forms.ChoiceField(
        label="Agreement",
        help_text="Only agreements approved by the Information Rights Unit and in force are listed.",
        error_messages={"required": "Choose the agreement.", "invalid_choice": "Choose an agreement from the list."},
    )
    purpose = forms.CharField(
        label="Purpose of the disclosure",
        max_length=345,
        help_text="A reference and a reason, like 'OP-1234: referral to the youth offending service'. It is recorded.",
        error_messages={"required": "Declare the purpose of the disclosure."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    people = forms.CharField(
        label="People to share, and why each is necessary",
        help_text=(
            "One person a line: their reference from their page, a bar, and why sharing their data is necessary, "
            f"like 'P-1A2B3C4D | Open referral: the panel meets on Friday' (at least {rules.MIN_NECESSITY} "
            "characters)."
        ),
        error_messages={"required": "Name at least one person."},
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, agreements: list[Agreement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agreement"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose an agreement")] + [
            (str(a.pk), f"{a.code}: {a.title} ({a.recipient_name})") for a in agreements
        ]


class DestroyedForm(GovukFormMixin, forms.Form):
    """The recipient's confirmation that a package is destroyed (public: no sign-in)."""

    hide_optional = True
    reference = forms.CharField(
        label="Disclosure reference",
        max_length=20,
        help_text="From README.txt in the package, like D-1A2B3C4D.",
        error_messages={"required": "Enter the disclosure reference."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "govuk-input govuk-input--width-10"}),
    )
    code = forms.CharField(
        label="Destruction code",
        max_length=100,
        help_text="From README.txt in the package.",
        error_messages={"required": "Enter the destruction code."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label="Your name",
        max_length=100,
        error_messages={"required": "Enter your name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    role = forms.CharField(
        label="Your role",
        max_length=90,
        error_messages={"required": "Enter your role."},
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        help_text="How and when every copy was destroyed.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
