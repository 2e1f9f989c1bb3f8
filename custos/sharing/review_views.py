"""The sharing review (Annex 1 term 5), as a page and as a PDF: thin, calling ``custos.sharing.review`` only.

- ``/sharing/review/``: the flags first, then the counts by recipient,
  agreement, legal basis, kind of recipient, band, category and month;
  filters (dates and kind of recipient, never personal data) in the query
  string;
- ``/sharing/review.pdf``: the same, printed with WeasyPrint, as an
  attachment ``sharing-review-YYYY-MM-DD.pdf``.

Who: ``policies.may_view_sharing_review`` (IRU, central governance, DPO,
auditor); anyone else gets 403. Each one records ``sharing.reviewed`` with
the filters, the format and the totals (``review.review_for``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.register.views import request_user
from custos.sharing import policies, review
from custos.sharing.models import RecipientKind


class ReviewFilterForm(GovukFormMixin, forms.Form):
    """The period and kind of recipient the review covers, from the query string."""

    hide_optional = True

    date_from = GovukDateField(label="From", required=False, help_text="For example, 1 4 2025")
    date_to = GovukDateField(label="To", required=False, help_text="For example, 30 4 2025")
    recipient_kind = forms.ChoiceField(
        label="Kind of recipient",
        required=False,
        choices=[("", "Every kind"), *RecipientKind.choices, (review.UNKNOWN_KIND, "Not recorded (legacy)")],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period must be the same as or after its start.")
        return data

    def filters(self) -> review.ReviewFilters:
        """The filters of a valid form; everything for an unbound or invalid one."""
        if not self.is_bound or not self.is_valid():
            return review.ReviewFilters()
        data = self.cleaned_data
        return review.ReviewFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            recipient_kind=str(data.get("recipient_kind") or ""),
        )


def _reviewer(request: HttpRequest) -> Any:
    user = request_user(request)
    if not policies.may_view_sharing_review(user):
        raise PermissionDenied("Only the IRU, central governance, the DPO or an auditor may read the sharing review.")
    return user


@never_cache
@require_GET
def review_page(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    form = ReviewFilterForm(request.GET or None)
    report = review.review_for(viewer=user, filters=form.filters(), fmt="html")
    context = {
        **review.review_context(report),
        "form": form,
        "filtered": bool(request.GET),
        "query": request.GET.urlencode(),
    }
    return render(request, "sharing/review.html", context)


@never_cache
@require_GET
def review_pdf(request: HttpRequest) -> HttpResponse:
    user = _reviewer(request)
    form = ReviewFilterForm(request.GET or None)
    report = review.review_for(viewer=user, filters=form.filters(), fmt="pdf")
    response = HttpResponse(review.review_pdf(report), content_type="application/pdf")
    name = f"sharing-review-{timezone.localdate().isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
