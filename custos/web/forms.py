"""GOV.UK Design System rendering for Django forms.

The kit itself lives in ``custos.govuk.forms`` so that the register, a
lower layer, can use it too; this module keeps the names the web shell and
``FORM_RENDERER`` use.
"""

from custos.govuk.forms import GovukDateField, GovukDateWidget, GovukFormMixin, GovukFormRenderer

__all__ = ["GovukDateField", "GovukDateWidget", "GovukFormMixin", "GovukFormRenderer"]
