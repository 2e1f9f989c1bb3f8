"""GOV.UK Design System rendering for Django forms.

Every form in Custos mixes in ``GovukFormMixin`` and is rendered by
``GovukFormRenderer``: each field becomes a GOV.UK form group (label or
legend, hint, error message, input), radios and dates sit in a fieldset,
and errors raised by a service land on the field they name or, when they
name none, in the error summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates


class GovukFormRenderer(DjangoTemplates):
    """Renders every field as a GOV.UK form group (label, hint, error, input)."""

    field_template_name = "govuk/forms/field.html"
    form_template_name = "govuk/forms/form.html"


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year in three text boxes.

    Values travel as ``<name>_0`` (day), ``<name>_1`` (month) and
    ``<name>_2`` (year), so the page works without JavaScript and without
    a browser date picker.
    """

    template_name = "govuk/forms/date_input.html"
    parts = (("Day", "govuk-input--width-2"), ("Month", "govuk-input--width-2"), ("Year", "govuk-input--width-4"))

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        inputs = [forms.TextInput(attrs={"inputmode": "numeric"}) for _ in self.parts]
        super().__init__(inputs, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        # The fieldset carries aria-describedby (hint, error); each box carries its own label.
        for (label, width), sub in zip(self.parts, context["widget"]["subwidgets"], strict=True):
            sub["attrs"].pop("aria-describedby", None)
            css = sub["attrs"].get("class", "govuk-input")
            sub["attrs"]["class"] = f"{css} govuk-date-input__input {width}"
            sub["label"] = label
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_


class GovukDateField(forms.MultiValueField):
    """A date entered as day, month and year, with GOV.UK error messages."""

    widget = GovukDateWidget

    def __init__(self, *, required: bool = True, **kwargs: Any) -> None:
        fields = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)

    def compress(self, data_list: Sequence[Any]) -> dt.date | None:
        values = [str(v or "").strip() for v in data_list] or ["", "", ""]
        if not any(values):
            return None
        label = str(self.label or "The date")
        missing = [part for part, v in zip(("day", "month", "year"), values, strict=True) if not v]
        if missing:
            raise ValidationError(f"{label} must include a {' and a '.join(missing)}.", code="incomplete")
        try:
            day, month, year = (int(v) for v in values)
            if year < 1000:
                raise ValueError("two-digit year")
            return dt.date(year, month, day)
        except ValueError as exc:
            raise ValidationError(f"{label} must be a real date.", code="invalid") from exc


_WIDGET_CLASSES: dict[type[forms.Widget], str] = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.DateInput: "govuk-input govuk-input--width-10",
    forms.PasswordInput: "govuk-input govuk-input--width-20",
    forms.TextInput: "govuk-input",
    forms.EmailInput: "govuk-input",
    forms.NumberInput: "govuk-input govuk-input--width-5",
    forms.CheckboxInput: "govuk-checkboxes__input",
    GovukDateWidget: "govuk-input",
}

#: Widgets rendered inside a fieldset, whose hint and error belong to the fieldset.
_FIELDSET_WIDGETS = (forms.RadioSelect, GovukDateWidget)


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
            if field.help_text and not isinstance(widget, _FIELDSET_WIDGETS):
                widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                self._mark_error(name)

    def _mark_error(self, name: str) -> None:
        widget = self.fields[name].widget  # type: ignore[attr-defined]
        css = widget.attrs.get("class", "")
        for base in ("govuk-input", "govuk-select", "govuk-textarea"):
            if base in css.split() and f"{base}--error" not in css:
                widget.attrs["class"] = css = f"{css} {base}--error"
        if isinstance(widget, _FIELDSET_WIDGETS):
            return
        described = widget.attrs.get("aria-describedby", "")
        if f"id_{name}-error" not in described:
            widget.attrs["aria-describedby"] = f"id_{name}-error {described}".strip()

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ``ValidationError`` on this form.

        Errors naming a field of the form go to that field; the rest (and a
        ``RuleBroken`` message, which names none) go to the error summary.
        """
        form: forms.BaseForm = self  # type: ignore[assignment]
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = name if name in form.fields else None
                for item in errors:
                    form.add_error(target, item)
                if target is not None:
                    self._mark_error(target)
        else:
            form.add_error(None, error)


T = TypeVar("T")


def form_submit(form: GovukFormMixin, call: Callable[[], T]) -> T | None:
    """Run a service; show its ``ValidationError`` (``RuleBroken`` too) on the form and return None."""
    try:
        return call()
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
