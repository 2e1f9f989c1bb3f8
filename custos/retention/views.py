"""Web pages of reviews and retention: thin, calling selectors and services only.

What they authorise: nothing by themselves. A role that never reviews (an
officer, an analyst, an auditor) is refused (403, saying why) before
anything is looked up; a review or person outside the viewer's reach is
treated as not existing (404). Every decision goes through
``custos.retention.services``, which authorise the actor again, enforce the
rules (reasons, a next review within a year, a ground for a restriction) and
record the event; their ``ValidationError`` is shown in the GOV.UK error
summary and nothing changes.

- ``/reviews/``: the review queue (``review.listed``), filtered by BCU code,
  status and trigger in the query string;
- ``/reviews/<id>/``: one review with what a reviewer needs
  (``review.consulted``) and the decision form (``review.decided``; a
  restriction also records ``person.restricted``);
- ``/reviews/<id>/cancel/``: cancel a scheduled erasure in its grace period
  (``removal.cancelled``);
- ``/reviews/<id>/erase-now/``: central governance erases before the grace
  period ends (``person.erased``);
- ``/reviews/overdue/``: counts per BCU, no personal data, nothing logged;
- ``/retention/schedule/``: the schedule in words, for anyone who may see people;
- ``/people/<id>/review/``: open a review by hand (``review.opened``);
- ``/restrictions/`` and ``/restrictions/<id>/lift/``: restrictions in force,
  for the DPO and central governance (``person.unrestricted``).

Pages with personal data need a declared purpose and are sent ``no-store``.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from custos.accounts.models import Role, User
from custos.govuk.forms import form_submit as _submit
from custos.register import selectors as register_selectors
from custos.register.views import declared_purpose as _purpose
from custos.register.views import personal_data_view
from custos.register.views import request_user as _user
from custos.retention import policies, selectors, services
from custos.retention.forms import OpenReviewForm, QueueFilterForm, ReasonsForm, ReviewDecisionForm
from custos.retention.models import Decision, Review, Trigger

T = TypeVar("T")
View = Callable[..., HttpResponse]


def _reviewers_only(view: View) -> View:
    """403, saying why, for a role that never sees reviews: before a purpose is asked for or a record read."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.require_review_access(_user(request))
        return view(request, *args, **kwargs)

    return wrapped


def _restriction_keepers_only(view: View) -> View:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.require_restriction_access(_user(request))
        return view(request, *args, **kwargs)

    return wrapped


def _may_erase_now(user: User, bcu_code: str) -> bool:
    """As ``services.erase_now`` authorises: central governance only."""
    return user.role == Role.CENTRAL_GOVERNANCE and policies.may_decide_review(user, bcu_code)


# --- The queue and the dashboard ---------------------------------------------------------------------------------


@never_cache
@require_GET
@_reviewers_only
@personal_data_view
def queue(request: HttpRequest) -> HttpResponse:
    """The review queue in the viewer's scope, oldest due first."""
    user = _user(request)
    bcus = list(register_selectors.bcus_for(viewer=user).order_by("name"))
    filters = QueueFilterForm(request.GET or None, bcus=bcus).filters()
    data = selectors.review_queue_for(
        viewer=user,
        filters=selectors.QueueFilters(**filters),
        purpose=_purpose(request),
        page_number=request.GET.get("page", 1),
    )
    context = {
        "data": data,
        "form": QueueFilterForm(initial=filters, bcus=bcus),
        "filtered": any(filters.values()),
        "london_wide": not user.is_bcu_scoped,
        "page_range": data.page.paginator.get_elided_page_range(data.page.number, on_each_side=2, on_ends=1),
    }
    return render(request, "retention/queue.html", context)


@never_cache
@require_GET
@_reviewers_only
def overdue(request: HttpRequest) -> HttpResponse:
    """Counts per BCU and the erasures to come: no personal data, so no purpose asked."""
    user = _user(request)
    dashboard = selectors.overdue_dashboard_for(viewer=user)
    return render(request, "retention/overdue.html", {"dashboard": dashboard, "london_wide": not user.is_bcu_scoped})


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """The retention schedule in force, in words."""
    page = selectors.schedule_page_for(viewer=_user(request))
    return render(request, "retention/schedule.html", {"page": page})


# --- One review --------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@_reviewers_only
@personal_data_view
def review_detail(request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
    """One review, what a reviewer needs to decide, and the decision form for those who may decide."""
    user = _user(request)
    detail = selectors.review_get_for(viewer=user, review_id=review_id, purpose=_purpose(request))
    review = detail.review
    may_decide = policies.may_decide_review(user, review.bcu.code)
    form = ReviewDecisionForm(
        request.POST if request.method == "POST" else None,
        default_next_review=detail.default_next_review,
        latest_next_review=detail.latest_next_review,
    )
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied("Only the BCU's single point of contact or central governance decide reviews.")
        if form.is_valid():
            done = _submit(form, lambda: services.review_decide(actor=user, review=review, **form.service_arguments()))
            if done is not None:
                messages.success(request, _decided_message(done))
                return redirect("web:reviews")
        review.refresh_from_db()  # a refused decision changed nothing; show the review as stored
    context = {
        "detail": detail,
        "review": review,
        "person": detail.person,
        "form": form,
        "may_decide": may_decide and review.status == Review.Status.OPEN,
        "may_cancel": may_decide and review.status == Review.Status.REMOVAL_SCHEDULED,
        "may_erase_now": _may_erase_now(user, review.bcu.code) and review.status == Review.Status.REMOVAL_SCHEDULED,
        "decisions": Decision,
        "statuses": Review.Status,
    }
    return render(request, "retention/review_detail.html", context)


def _day(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return f"{value.day} {value:%B %Y}"


def _decided_message(review: Review) -> str:
    if review.decision == Decision.KEEP and review.next_review_on:
        return f"Review {review.short_ref}: kept. Next review by {_day(review.next_review_on)}."
    if review.decision == Decision.REMOVE and review.erasure_due_at:
        return (
            f"Review {review.short_ref}: removed from the matrix. The records will be erased on "
            f"{_day(review.erasure_due_at)} unless the decision is cancelled before then."
        )
    return f"Review {review.short_ref}: processing restricted. Only the roles you named can now see the person."


@never_cache
@require_http_methods(["GET", "POST"])
@_reviewers_only
@personal_data_view
def removal_cancel(request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
    """Cancel a scheduled erasure during its grace period, with reasons."""
    user = _user(request)
    detail = selectors.review_get_for(viewer=user, review_id=review_id, purpose=_purpose(request))
    review = detail.review
    if not policies.may_decide_review(user, review.bcu.code):
        raise PermissionDenied("Only the BCU's single point of contact or central governance cancel an erasure.")
    form = ReasonsForm(request.POST if request.method == "POST" else None, label="Why the erasure should not happen")
    if request.method == "POST" and form.is_valid():
        done = _submit(
            form, lambda: services.removal_cancel(actor=user, review=review, reasons=form.cleaned_data["reasons"])
        )
        if done is not None:
            messages.success(
                request, f"Review {done.short_ref}: erasure cancelled. The listing stays removed from the matrix."
            )
            return redirect("web:review", review_id=done.pk)
        review.refresh_from_db()
    context = {
        "detail": detail,
        "review": review,
        "person": detail.person,
        "form": form,
        "scheduled": review.status == Review.Status.REMOVAL_SCHEDULED,
    }
    return render(request, "retention/cancel.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@_reviewers_only
@personal_data_view
def erase_now(request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
    """Central governance erases a person whose removal was decided, before the grace period ends."""
    user = _user(request)
    if user.role != Role.CENTRAL_GOVERNANCE:
        raise PermissionDenied("Only central governance may erase before the grace period ends.")
    detail = selectors.review_get_for(viewer=user, review_id=review_id, purpose=_purpose(request))
    review = detail.review
    if not _may_erase_now(user, review.bcu.code):  # pragma: no cover - central governance reaches every BCU
        raise PermissionDenied("Only central governance may erase before the grace period ends.")
    form = ReasonsForm(request.POST if request.method == "POST" else None, label="Why erase now")
    if request.method == "POST" and form.is_valid():
        tombstone = _submit(
            form, lambda: services.erase_now(actor=user, review=review, reasons=form.cleaned_data["reasons"])
        )
        if tombstone is not None:
            messages.success(
                request,
                f"Review {review.short_ref}: the person's records are erased. Only a tombstone with no personal "
                "data remains.",
            )
            return redirect("web:reviews_overdue")
    context = {
        "detail": detail,
        "review": review,
        "person": detail.person,
        "form": form,
        "scheduled": review.status == Review.Status.REMOVAL_SCHEDULED,
    }
    return render(request, "retention/erase_now.html", context)


# --- Opening a review by hand ------------------------------------------------------------------------------------


def _may_open_anywhere(user: User) -> bool:
    return any(policies.may_open_review(user, bcu.code) for bcu in register_selectors.bcus_for(viewer=user))


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def review_open(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Open a review of one person now, from their page."""
    user = _user(request)
    if not _may_open_anywhere(user):
        raise PermissionDenied("Only SPOCs, central governance, the DPO and the Information Rights Unit open reviews.")
    person = register_selectors.person_get_for(viewer=user, person_id=person_id, purpose=_purpose(request))
    if not policies.may_open_review(user, person.bcu.code):  # pragma: no cover - scope already confines a SPOC
        raise PermissionDenied("You may not open reviews in this BCU.")
    form = OpenReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        review = _submit(form, lambda: services.review_open(actor=user, person=person, trigger=Trigger.MANUAL))
        if review is not None:
            messages.success(
                request, f"Review {review.short_ref} of {person.short_ref} opened, due by {_day(review.due_on)}."
            )
            if policies.may_view_reviews(user, person.bcu.code):
                return redirect("web:review", review_id=review.pk)
            return redirect("web:person", person_id=person.pk)
    state = selectors.person_review_state(viewer=user, person=person)
    return render(request, "retention/open_review.html", {"form": form, "person": person, "state": state})


# --- Restrictions ------------------------------------------------------------------------------------------------


@never_cache
@require_GET
@_restriction_keepers_only
@personal_data_view
def restrictions(request: HttpRequest) -> HttpResponse:
    """Restrictions of processing in force (s.47), for the DPO and central governance."""
    rows = selectors.restrictions_for(viewer=_user(request), purpose=_purpose(request))
    return render(request, "retention/restrictions.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
@_restriction_keepers_only
@personal_data_view
def restriction_lift(request: HttpRequest, restriction_id: uuid.UUID) -> HttpResponse:
    """Lift a restriction, with reasons: the person is visible again and may change."""
    user = _user(request)
    row = selectors.restriction_get_for(viewer=user, restriction_id=restriction_id, purpose=_purpose(request))
    form = ReasonsForm(request.POST if request.method == "POST" else None, label="Why the restriction can be lifted")
    if request.method == "POST" and form.is_valid():
        done = _submit(
            form,
            lambda: services.restriction_lift(
                actor=user, restriction=row.restriction, reasons=form.cleaned_data["reasons"]
            ),
        )
        if done is not None:
            messages.success(
                request, f"Restriction of {row.restriction.person.short_ref} lifted. The person is visible again."
            )
            return redirect("web:restrictions")
    return render(request, "retention/restriction_lift.html", {"row": row, "form": form})
