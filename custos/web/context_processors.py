"""Navigation for the header: only the sections the user's role reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from custos.register import policies


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    if user is not None and user.is_authenticated:
        path = request.path
        if policies.may_view_people(user):
            items.append({"text": "Matrix", "href": reverse("register:matrix")})
            items.append({"text": "People", "href": reverse("register:people")})
        items.append({"text": "Your account", "href": reverse("web:profile")})
        for item in items:
            item["active"] = path.startswith(item["href"])
    return {"custos_navigation": items}
