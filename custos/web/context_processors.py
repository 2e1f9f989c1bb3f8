"""Navigation for the header: only the sections the user's role reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from custos.register import policies


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``custos_navigation`` (items with text, href, active) and ``custos_home``."""
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    home = reverse("web:login")
    if user is not None and user.is_authenticated:
        path = request.path
        if policies.may_view_people(user):
            items.append({"text": "Matrix", "href": reverse("web:matrix")})
            items.append({"text": "People", "href": reverse("web:people")})
        items.append({"text": "Your account", "href": reverse("web:profile")})
        for item in items:
            item["active"] = path.startswith(item["href"])
        home = items[0]["href"]
    return {"custos_navigation": items, "custos_home": home}
