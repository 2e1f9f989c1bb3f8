"""Forms for access governance: declared purpose, training records, accounts, recertification.

Forms only parse what was typed; the services validate the rules and their
``ValidationError`` lands on the field it names (``add_service_errors``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from custos.accounts.models import Attestation, Course, Role, User
from custos.accounts.purpose import REASON_MAX, REFERENCE_MAX
from custos.accounts.selectors import recertification_due
from custos.govuk.forms import GovukDateField, GovukFormMixin


class PurposeForm(GovukFormMixin, forms.Form):
    reference = forms.CharField(
        label="Operation or incident reference",
        help_text="Letters, numbers and hyphens, for example OP-1234 or CAD-5512.",
        max_length=REFERENCE_MAX,
        error_messages={"required": "Enter the operation or incident reference."},
    )
    reason = forms.CharField(
        label="Why you need to see personal data",
        help_text="At least 10 characters. It is recorded with every record you view until you change it.",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why you need the data, in at least 10 characters."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reference"].widget.attrs.update(
            {"class": "govuk-input govuk-input--width-20", "spellcheck": "false"}
        )


class TrainingRecordForm(GovukFormMixin, forms.Form):
    course = forms.ChoiceField(
        label="Course",
        choices=Course.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the course completed."},
    )
    completed_on = GovukDateField(label="Date completed", help_text="For example, 27 3 2026.")
    expires_on = GovukDateField(
        label="Expiry date",
        required=False,
        help_text="Leave blank for the standard validity. The course stops counting on this day.",
    )
    evidence_reference = forms.CharField(
        label="Evidence reference",
        help_text="Where the evidence is, for example the learning system's certificate number.",
        max_length=100,
        error_messages={"required": "Enter where the evidence is, for example the certificate number."},
    )

    def clean_completed_on(self) -> Any:
        value = self.cleaned_data.get("completed_on")
        if value is None:
            raise forms.ValidationError("Enter the date the course was completed.")
        return value


class UserCreateForm(GovukFormMixin, forms.Form):
    username = forms.CharField(label="Username", max_length=150, error_messages={"required": "Enter a username."})
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email address", required=False)
    role = forms.ChoiceField(
        label="Role", choices=[("", "Choose a role"), *Role.choices], error_messages={"required": "Choose a role."}
    )
    bcu_code = forms.ChoiceField(
        label="BCU", required=False, help_text="Required for officers, analysts and SPOCs; ignored for other roles."
    )
    password = forms.CharField(
        label="First password",
        help_text="At least 12 characters. Give it to the user by a separate channel.",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        error_messages={"required": "Enter a first password."},
    )

    def __init__(self, *args: Any, bcus: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bcu_code"].choices = [("", "London-wide (no BCU)"), *bcus]  # type: ignore[attr-defined]
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "new-password"})


class AttestationForm(GovukFormMixin, forms.Form):
    """One optional keep/remove choice per user; users left unanswered are not attested."""

    def __init__(self, *args: Any, users: Sequence[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for user in users:
            name = user.get_full_name() or user.username
            due = date_format(timezone.localtime(recertification_due(user)), "j F Y")
            self.fields[f"user_{user.pk}"] = forms.ChoiceField(
                label=f"{name} ({user.username}, {user.get_role_display()})",
                help_text=f"Access confirmed until {due}.",
                choices=Attestation.Decision.choices,
                widget=forms.RadioSelect(attrs={"inline": True}),
                required=False,
            )

    def decisions(self) -> dict[int, str]:
        """User id → decision, for the users given an answer."""
        return {
            int(name.removeprefix("user_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("user_") and value
        }
