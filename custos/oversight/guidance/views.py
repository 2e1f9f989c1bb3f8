"""Guidance library pages (namespace ``web``): thin, calling ``selectors`` and ``services`` only.

- ``/guidance/``: each topic, the version in force, one scheduled, a draft;
- ``/guidance/<topic>/``: the version in force and the history;
- ``/guidance/<topic>/v<n>/``: one published version, as decisions link to it;
- ``/guidance/<topic>/v<n>/changes/``: what it changed from the version before;
- ``/guidance/<topic>/draft/``: central governance or the DPO write the draft (``guidance.drafted``);
- ``/guidance/drafts/<id>/``: the draft, published by a second person (``guidance.published``) or discarded.

Every signed-in account reads the versions; drafts are for the editors.
Guidance holds no personal data, so reading it writes no event.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.accounts.models import User
from custos.govuk.forms import form_submit
from custos.oversight.guidance import policies, selectors, services
from custos.oversight.guidance.forms import DraftForm, PublishForm
from custos.oversight.guidance.models import GuidanceVersion
from custos.register.guidance import decisions_governed_by
from custos.register.views import request_user


def _reader(request: HttpRequest) -> User:
    user = request_user(request)
    if not policies.may_read_guidance(user):
        raise PermissionDenied("Your account cannot use Custos.")
    return user


def _editor(request: HttpRequest) -> User:
    user = request_user(request)
    if not policies.may_draft_guidance(user):
        raise PermissionDenied("Only central governance and the data protection officer edit guidance.")
    return user


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    rows = selectors.topic_rows(timezone.localdate())
    return render(
        request, "oversight/guidance/index.html", {"rows": rows, "may_edit": policies.may_draft_guidance(user)}
    )


@require_GET
def topic(request: HttpRequest, topic: str) -> HttpResponse:
    user = _reader(request)
    subject = selectors.topic_get(topic)
    current = selectors.version_in_force(topic, timezone.localdate())
    context = {
        "topic": subject,
        "current": current,
        "body": selectors.render(current.body) if current else "",
        "history": selectors.history(topic),
        "decisions": decisions_governed_by(topic),
        "draft": selectors.draft_of(topic) if policies.may_draft_guidance(user) else None,
        "may_edit": policies.may_draft_guidance(user),
    }
    return render(request, "oversight/guidance/topic.html", context)


@require_GET
def version(request: HttpRequest, topic: str, version: int) -> HttpResponse:
    _reader(request)
    found = selectors.version_get(topic, version)
    current = selectors.version_in_force(topic, timezone.localdate())
    context = {
        "version": found,
        "topic": selectors.topic_get(topic),
        "body": selectors.render(found.body),
        "current": current,
        "previous": selectors.previous_of(found),
        "decisions": decisions_governed_by(topic),
    }
    return render(request, "oversight/guidance/version.html", context)


@require_GET
def changes(request: HttpRequest, topic: str, version: int) -> HttpResponse:
    _reader(request)
    found = selectors.version_get(topic, version)
    previous = selectors.previous_of(found)
    context = {"version": found, "previous": previous, "lines": selectors.changes(previous, found)}
    return render(request, "oversight/guidance/changes.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def draft(request: HttpRequest, topic: str) -> HttpResponse:
    user = _editor(request)
    subject = selectors.topic_get(topic)
    existing = selectors.draft_of(topic)
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            saved = form_submit(
                form,
                lambda: services.guidance_draft(
                    actor=user,
                    topic=topic,
                    body=form.cleaned_data["body"],
                    change_summary=form.cleaned_data["change_summary"],
                ),
            )
            if saved is not None:
                messages.success(request, "Draft saved. Someone else publishes it.")
                return redirect("web:guidance_draft_detail", draft_id=saved.pk)
    else:
        latest = selectors.history(topic)
        start = existing or (latest[0] if latest else None)
        initial = {"body": start.body if start else f"# {subject.title}\n\n"}
        if existing is not None:
            initial["change_summary"] = existing.change_summary
        form = DraftForm(initial=initial)
    return render(request, "oversight/guidance/draft.html", {"form": form, "topic": subject, "existing": existing})


def _draft_page(
    request: HttpRequest, user: User, found: GuidanceVersion, form: PublishForm | None = None
) -> HttpResponse:
    previous = selectors.previous_of(found)
    context = {
        "draft": found,
        "topic": selectors.topic_get(found.topic),
        "body": selectors.render(found.body, shift=2),
        "lines": selectors.changes(previous, found),
        "previous": previous,
        "form": form or PublishForm(),
        "may_publish": policies.may_publish_guidance(user) and found.drafted_by_id != user.pk,
    }
    return render(request, "oversight/guidance/draft_detail.html", context)


@never_cache
@require_GET
def draft_detail(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    user = _editor(request)
    return _draft_page(request, user, selectors.draft_get(draft_id))


@never_cache
@require_POST
def draft_publish(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    user = _editor(request)
    found = selectors.draft_get(draft_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        done = form_submit(
            form,
            lambda: services.guidance_publish(
                actor=user, draft=found, in_force_from=form.cleaned_data["in_force_from"]
            ),
        )
        if done is not None:
            messages.success(
                request, f"{done.label} published, in force from {done.in_force_from:%-d %B %Y}. It will not change."
            )
            return redirect("web:guidance_version", topic=done.topic, version=done.version)
    return _draft_page(request, user, found, form)


@never_cache
@require_POST
def draft_discard(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    user = _editor(request)
    found = selectors.draft_get(draft_id)
    services.guidance_discard(actor=user, draft=found)
    messages.success(request, "Draft discarded.")
    return redirect("web:guidance_topic", topic=found.topic)
