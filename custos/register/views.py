"""Web views of the register: thin, calling selectors and services only.

What they authorise: nothing by themselves. Every view needs a signed-in
user (``LoginRequiredMiddleware``). Every read of personal data goes through
``custos.register.selectors``, which refuse a role that reads no personal
data (403) and treat a record outside the viewer's BCU scope as not existing
(404, never 403, so nobody learns it exists). Every write goes through
``custos.register.services``, which authorise the actor again, enforce the
rules of the register and fail with ``ValidationError`` (shown on the form)
or ``PermissionDenied`` (the 403 page). ``custos.register.policies`` is
consulted here only to decide which actions to offer, and to refuse a form
page (403) the role could never submit.

Before any of that, ``personal_data_view`` refuses (403) a user who may
not see personal data, saying why (``TrainingRequired`` names the missing
course), and sends a user who has not declared a purpose this session to
``/purpose/?next=…``.

What they log: nothing directly. The selectors record each consultation
(``person.consulted``, ``matrix.listed``, ``people.listed``,
``people.searched``, ``intelligence.consulted``) with the purpose the user
declared (``OP-1234: reason``, from the session); the services record each
change, with the same purpose where they take one.

Names never travel in URLs: the people search is a POST form, filters in
query strings are codes only, and success messages name people by their
short reference. Pages showing personal data are sent ``no-store``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from custos.accounts.models import User
from custos.accounts.purpose import purpose_from_session
from custos.govuk.forms import form_submit
from custos.register import actions, guidance, policies, selectors, services
from custos.register.forms import (
    ActionForm,
    ActivateForm,
    IntelligenceForm,
    MatrixFilterForm,
    NominateForm,
    PeopleSearchForm,
    PersonForm,
    RagDecisionForm,
    VerifyForm,
)
from custos.register.models import ActionKind, Gang, IntelligenceItem, Nomination, SourceType, Verification

T = TypeVar("T")

View = Callable[..., HttpResponse]


def request_user(request: HttpRequest) -> User:
    """The signed-in user (``LoginRequiredMiddleware`` made sure there is one)."""
    return request.user  # type: ignore[return-value]


def personal_data_view(view: View) -> View:
    """Refuse a user who may not see personal data (403, saying why), then require a declared purpose."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.require_people_access(request_user(request))
        if purpose_from_session(request.session) is None:
            return redirect(f"{reverse('web:purpose')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


def declared_purpose(request: HttpRequest) -> str:
    """The purpose declared this session (``personal_data_view`` made sure there is one)."""
    purpose = purpose_from_session(request.session)
    if purpose is None:  # pragma: no cover - personal_data_view redirects first
        raise PermissionDenied("Declare your purpose first.")
    return purpose.text


def _gangs(bcu_id: int) -> Any:
    """Gangs of a BCU a record may name (reference data, not personal data)."""
    return Gang.objects.filter(bcu_id=bcu_id).exclude(status=Gang.Status.CLOSED).order_by("name")


@never_cache
@require_GET
@personal_data_view
def matrix(request: HttpRequest) -> HttpResponse:
    """The matrix: nominals in scope, filtered by codes in the query string, with counts."""
    user = request_user(request)
    bcus = list(selectors.bcus_for(viewer=user))
    filters = MatrixFilterForm(request.GET or None, bcus=bcus).filters()
    data = selectors.matrix_for(
        viewer=user,
        filters=selectors.MatrixFilters(**filters),
        purpose=declared_purpose(request),
        page_number=request.GET.get("page", 1),
        per_page=settings.CUSTOS_MATRIX_PAGE_SIZE,
    )
    rows = [(n, data.scores.get(n.person_id), data.categories.get(n.person_id, [])) for n in data.page]
    context = {
        "data": data,
        "rows": rows,
        "form": MatrixFilterForm(initial=filters, bcus=bcus),
        "filtered": any(filters.values()),
        "page_range": data.page.paginator.get_elided_page_range(data.page.number, on_each_side=2, on_ends=1),
    }
    return render(request, "register/matrix.html", context)


def _may_add_people(user: User) -> bool:
    return any(policies.may_add_person(user, bcu.code) for bcu in selectors.bcus_for(viewer=user))


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def people(request: HttpRequest) -> HttpResponse:
    """People in scope (GET), or an exact search by name/alias and date of birth (POST only)."""
    user = request_user(request)
    context: dict[str, Any] = {}
    if request.method == "POST":
        selectors.require_people_access(user)
        form = PeopleSearchForm(request.POST)
        if form.is_valid():
            context["results"] = selectors.people_search_for(
                viewer=user,
                purpose=declared_purpose(request),
                name=form.cleaned_data["name"] or "",
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        context["searched"] = True
    else:
        form = PeopleSearchForm()
        context["page"] = selectors.people_page_for(
            viewer=user, purpose=declared_purpose(request), page_number=request.GET.get("page", 1)
        )
        context["page_range"] = context["page"].paginator.get_elided_page_range(
            context["page"].number, on_each_side=2, on_ends=1
        )
    context["form"] = form
    context["may_add_person"] = _may_add_people(user)
    return render(request, "register/people.html", context)


@never_cache
@require_GET
@personal_data_view
def person_detail(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Everything the register holds on one person, with the actions the viewer's role allows."""
    user = request_user(request)
    detail = selectors.person_detail_for(viewer=user, person_id=person_id, purpose=declared_purpose(request))
    code = detail.person.bcu.code
    items = {str(item.pk): item for item in detail.intelligence}
    explanation = detail.score.explanation if detail.score else {}
    open_nomination = next((n for n in detail.nominations if n.status in Nomination.OPEN_STATUSES), None)
    context = {
        "detail": detail,
        "person": detail.person,
        "counted": [(line, items.get(line["item"])) for line in explanation.get("counted", [])],
        "excluded": [(line, items.get(line["item"])) for line in explanation.get("excluded", [])],
        "open_nomination": open_nomination,
        "may": {
            "add_intelligence": policies.may_add_intelligence(user, code),
            "verify": policies.may_verify_intelligence(user, code),
            "nominate": policies.may_propose_nomination(user, code) and open_nomination is None,
            "activate": policies.may_activate_nomination(user, code),
            "decide": policies.may_decide_rag(user, code),
            "record_action": policies.may_record_action(user, code),
        },
        "actions": actions.actions_for(viewer=user, person=detail.person),
        "social_media": SourceType.SOCIAL_MEDIA,
        "unverified": Verification.UNVERIFIED,
    }
    return render(request, "register/person_detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def person_add(request: HttpRequest) -> HttpResponse:
    """Record a person (``services.person_create``) in a BCU the user may act in."""
    user = request_user(request)
    bcus = selectors.bcus_for(viewer=user)
    codes = [bcu.code for bcu in bcus if policies.may_add_person(user, bcu.code)]
    if not codes:
        raise PermissionDenied("Your role does not record people.")
    form = PersonForm(request.POST or None, bcus=bcus.filter(code__in=codes))
    if request.method == "POST" and form.is_valid():
        person = form_submit(
            form,
            lambda: services.person_create(actor=user, purpose=declared_purpose(request), **form.service_arguments()),
        )
        if person is not None:
            messages.success(request, f"Person {person.short_ref} recorded.")
            return redirect("web:person", person_id=person.pk)
    return render(request, "register/person_form.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def intelligence_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Add a graded intelligence item about a person (``services.intelligence_add``)."""
    user = request_user(request)
    person = selectors.person_get_for(viewer=user, person_id=person_id, purpose=declared_purpose(request))
    if not policies.may_add_intelligence(user, person.bcu.code):
        raise PermissionDenied("You may not add intelligence in this BCU.")
    form = IntelligenceForm(request.POST or None, gangs=_gangs(person.bcu_id))
    if request.method == "POST" and form.is_valid():
        item = form_submit(
            form,
            lambda: services.intelligence_add(
                actor=user, person=person, purpose=declared_purpose(request), **form.cleaned_data
            ),
        )
        if item is not None:
            messages.success(request, f"Intelligence item added ({item.grade}).")
            return redirect("web:person", person_id=person.pk)
    context = {"form": form, "person": person, "guidance": guidance.in_force(guidance.Decision.INTELLIGENCE_RECORDED)}
    return render(request, "register/intelligence_form.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def intelligence_verify(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    """Verify or reject an open-source / social-media item (``services.intelligence_verify``)."""
    user = request_user(request)
    item: IntelligenceItem = selectors.intelligence_get_for(
        viewer=user, item_id=item_id, purpose=declared_purpose(request)
    )
    if not policies.may_verify_intelligence(user, item.bcu.code):
        raise PermissionDenied("You may not verify intelligence in this BCU.")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_submit(
            form,
            lambda: services.intelligence_verify(
                actor=user,
                item=item,
                verified=form.cleaned_data["outcome"] == "verified",
                reasons=form.cleaned_data["reasons"],
            ),
        )
        if done is not None:
            messages.success(request, f"Item marked {done.get_verification_display().lower()}.")
            return redirect("web:person", person_id=item.person_id)
    context = {
        "form": form,
        "item": item,
        "person": item.person,
        "guidance": guidance.in_force(guidance.Decision.INTELLIGENCE_VERIFIED),
    }
    return render(request, "register/verify_form.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def nominate(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Propose a person for the matrix (``services.nomination_propose``)."""
    user = request_user(request)
    person = selectors.person_get_for(viewer=user, person_id=person_id, purpose=declared_purpose(request))
    if not policies.may_propose_nomination(user, person.bcu.code):
        raise PermissionDenied("You may not nominate in this BCU.")
    form = NominateForm(request.POST or None, gangs=_gangs(person.bcu_id))
    if request.method == "POST" and form.is_valid():
        nomination = form_submit(
            form,
            lambda: services.nomination_propose(
                actor=user, person=person, reasons=form.cleaned_data["reasons"], gang=form.cleaned_data["gang"]
            ),
        )
        if nomination is not None:
            messages.success(request, f"Nomination of {person.short_ref} proposed. Another person must confirm it.")
            return redirect("web:person", person_id=person.pk)
    context = {"form": form, "person": person, "guidance": guidance.in_force(guidance.Decision.NOMINATION_PROPOSED)}
    return render(request, "register/nominate_form.html", context)


def _nomination_for(user: User, nomination_id: uuid.UUID, purpose: str) -> tuple[Nomination, selectors.PersonDetail]:
    """A nomination in the viewer's scope and its person's detail (one consultation), or 404.

    Stands in for a ``selectors.nomination_get_for`` until the selectors
    module has one: scope comes from ``nominations_visible_to``, the read
    and its log from ``person_detail_for``.
    """
    selectors.require_people_access(user)
    person_id = (
        selectors.nominations_visible_to(viewer=user)
        .filter(pk=nomination_id)
        .values_list("person_id", flat=True)
        .first()
    )
    if person_id is None:
        raise Http404("No such nomination.")
    detail = selectors.person_detail_for(viewer=user, person_id=person_id, purpose=purpose)
    for nomination in detail.nominations:
        if nomination.pk == nomination_id:
            return nomination, detail
    raise Http404("No such nomination.")  # pragma: no cover - scope and detail read the same rows


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def nomination_activate(request: HttpRequest, nomination_id: uuid.UUID) -> HttpResponse:
    """A second person confirms a proposed nomination (``services.nomination_activate``)."""
    user = request_user(request)
    nomination, detail = _nomination_for(user, nomination_id, declared_purpose(request))
    if not policies.may_activate_nomination(user, detail.person.bcu.code):
        raise PermissionDenied("You may not activate nominations in this BCU.")
    form = ActivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_submit(
            form,
            lambda: services.nomination_activate(
                actor=user,
                nomination=nomination,
                reasons=form.cleaned_data["reasons"],
                review_due=form.cleaned_data["review_due"],
            ),
        )
        if done is not None:
            messages.success(request, f"Nomination of {detail.person.short_ref} is now active on the matrix.")
            return redirect("web:person", person_id=detail.person.pk)
    context = {
        "form": form,
        "nomination": nomination,
        "detail": detail,
        "person": detail.person,
        "guidance": guidance.in_force(guidance.Decision.NOMINATION_ACTIVATED),
    }
    return render(request, "register/activate_form.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def rag_decide(request: HttpRequest, nomination_id: uuid.UUID) -> HttpResponse:
    """A named person decides a nominal's RAG band, with reasons (``services.rag_decide``)."""
    user = request_user(request)
    nomination, detail = _nomination_for(user, nomination_id, declared_purpose(request))
    if not policies.may_decide_rag(user, detail.person.bcu.code):
        raise PermissionDenied("You may not decide bands in this BCU.")
    form = RagDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = form_submit(
            form,
            lambda: services.rag_decide(
                actor=user, nomination=nomination, band=form.cleaned_data["band"], reasons=form.cleaned_data["reasons"]
            ),
        )
        if decision is not None:
            messages.success(
                request, f"You decided band {decision.get_band_display().lower()} for {detail.person.short_ref}."
            )
            return redirect("web:person", person_id=detail.person.pk)
    context = {
        "form": form,
        "nomination": nomination,
        "detail": detail,
        "person": detail.person,
        "guidance": guidance.in_force(guidance.Decision.BAND_DECIDED),
    }
    return render(request, "register/decide_form.html", context)


def _no_policy_refused(call: Callable[[], T]) -> T:
    """With no action policy loaded nothing is offered: refuse (403) saying so, rather than fail."""
    try:
        return call()
    except services.RuleBroken as exc:
        raise PermissionDenied(" ".join(exc.messages)) from exc


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def action_record(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Record an action taken about a person (``actions.action_record``).

    Offers the kinds the action policy allows for the person now, grouped
    by kind, and lists the others with the reason each is refused.
    """
    user = request_user(request)
    person = selectors.person_get_for(viewer=user, person_id=person_id, purpose=declared_purpose(request))
    if not policies.may_record_action(user, person.bcu.code):
        raise PermissionDenied("You may not record actions about people in this BCU.")
    options = _no_policy_refused(lambda: actions.action_options_for(person=person))
    form = ActionForm(request.POST or None, kinds=[o.kind for o in [*options.allowed, *options.refused]])
    if request.method == "POST" and form.is_valid():
        action = form_submit(
            form,
            lambda: actions.action_record(
                actor=user,
                nomination_or_person=person,
                kind_code=form.cleaned_data["kind"],
                taken_on=form.cleaned_data["taken_on"],
                notes=form.cleaned_data["notes"],
                purpose=declared_purpose(request),
            ),
        )
        if action is not None:
            messages.success(request, f"{action.kind.label} recorded for {person.short_ref}.")
            return redirect(reverse("web:person", kwargs={"person_id": person.pk}) + "#actions")
    radios = {str(radio.data["value"]): radio for radio in form["kind"]}
    labels = dict(ActionKind.Kind.choices)
    groups = [
        (labels[value], [(offer, radios[offer.kind.code]) for offer in options.allowed if offer.kind.kind == value])
        for value in actions.CLASS_ORDER
    ]
    context = {
        "form": form,
        "person": person,
        "options": options,
        "groups": [(label, rows) for label, rows in groups if rows],
    }
    return render(request, "register/action_form.html", context)


@require_GET
def action_policy(request: HttpRequest) -> HttpResponse:
    """The action policy as a table: which kinds of action each band and category allows. No personal data."""
    raw = request.GET.get("version", "")
    table = _no_policy_refused(
        lambda: actions.policy_table(version=int(raw) if raw.isdigit() and len(raw) < 6 else None)
    )
    return render(request, "register/action_policy.html", {"table": table})
