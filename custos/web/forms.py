"""GOV.UK Design System rendering for Django forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates


class GovukFormRenderer(DjangoTemplates):
    """Renders every field as a GOV.UK form group (label, hint, error, input)."""

    field_template_name = "govuk/forms/field.html"
    form_template_name = "govuk/forms/form.html"


_WIDGET_CLASSES: dict[type[forms.Widget], str] = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.DateInput: "govuk-input govuk-input--width-10",
    forms.PasswordInput: "govuk-input govuk-input--width-20",
    forms.TextInput: "govuk-input",
    forms.EmailInput: "govuk-input",
    forms.NumberInput: "govuk-input govuk-input--width-5",
    forms.CheckboxInput: "govuk-checkboxes__input",
}


class GovukFormMixin:
    """Adds GOV.UK classes to widgets and marks fields in error for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            for widget_class, css in _WIDGET_CLASSES.items():
                if isinstance(widget, widget_class):
                    widget.attrs.setdefault("class", css)
                    break
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                css = widget.attrs.get("class", "")
                for base in ("govuk-input", "govuk-select", "govuk-textarea"):
                    if base in css and f"{base}--error" not in css:
                        widget.attrs["class"] = f"{css} {base}--error"
                described = f"id_{name}-error " + widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = described.strip()
