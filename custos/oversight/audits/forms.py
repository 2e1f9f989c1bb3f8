"""The form to run an audit on demand."""

from __future__ import annotations

from typing import Any

from django import forms

from custos.govuk.forms import GovukFormMixin
from custos.register.models import BCU

ALL = "__all__"


class RunAuditForm(GovukFormMixin, forms.Form):
    bcu = forms.ChoiceField(label="BCU to audit", error_messages={"required": "Choose a BCU, or every BCU."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(ALL, "Every BCU"), *BCU.objects.order_by("name").values_list("code", "name")]
        field = self.fields["bcu"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
