"""Navigation for the header: only the sections the user's role reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from custos.accounts import policies as account_policies
from custos.accounts.mfa import session_mfa_verified
from custos.accounts.models import Notification
from custos.accounts.purpose import purpose_from_session
from custos.dlp import policies as dlp_policies
from custos.oversight.guidance import policies as guidance_policies
from custos.oversight.views import sections_for
from custos.register import policies
from custos.retention import policies as retention_policies
from custos.rights import policies as rights_policies
from custos.sharing import policies as sharing_policies
from custos.web.audit_views import may_read_log


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``custos_navigation`` (items with text, href, active) and ``custos_home``.

    Empty until the user has passed the second factor: nothing to navigate to yet.
    """
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    home = reverse("web:login")
    # The purpose declared this session, shown in the header with a link to change it.
    extra: dict[str, Any] = {}
    if user is not None and user.is_authenticated and session_mfa_verified(user):
        path = request.path
        if policies.may_view_people(user):
            items.append({"text": "Matrix", "href": reverse("web:matrix")})
            items.append({"text": "People", "href": reverse("web:people")})
            if retention_policies.may_view_reviews(user):
                items.append({"text": "Reviews", "href": reverse("web:reviews")})
            if retention_policies.may_lift_restriction(user):
                items.append({"text": "Restrictions", "href": reverse("web:restrictions")})
            if rights_policies.may_view_requests(user):
                items.append({"text": "Requests", "href": reverse("web:requests")})
            if dlp_policies.may_view_findings(user):
                items.append({"text": "Scan findings", "href": reverse("web:dlp_findings")})
            declared = purpose_from_session(request.session)
            change = reverse("web:purpose")
            if path != change:
                change += "?" + urlencode({"next": request.get_full_path()})
            extra = {"custos_purpose": declared.reference if declared else "", "custos_purpose_change": change}
        elif policies.role_may_view_people(user):  # training missing or expired
            items.append({"text": "Your training", "href": reverse("web:my_training")})
        if sharing_policies.may_view_agreements(user):
            sharing = (
                "web:sharing_disclosures" if sharing_policies.may_list_disclosures(user) else "web:sharing_agreements"
            )
            items.append({"text": "Sharing", "href": reverse(sharing), "prefix": "/sharing/"})
        if sections_for(user):
            items.append({"text": "Oversight", "href": reverse("web:oversight")})
        if guidance_policies.may_read_guidance(user):
            items.append({"text": "Guidance", "href": reverse("web:guidance_index")})
        if account_policies.may_view_training(user):
            items.append({"text": "Training", "href": reverse("web:training")})
        if account_policies.may_view_recertification(user):
            items.append({"text": "Recertification", "href": reverse("web:recertification")})
        if account_policies.may_manage_users(user):
            items.append({"text": "Accounts", "href": reverse("web:users")})
        if may_read_log(user):
            items.append({"text": "Audit log", "href": reverse("web:audit_log")})
        # The task list: notices for this user (counts and links only, never personal data).
        open_tasks = Notification.objects.filter(recipient=user, done_at__isnull=True).count()
        items.append({"text": f"Tasks ({open_tasks})" if open_tasks else "Tasks", "href": reverse("web:tasks")})
        extra["custos_open_tasks"] = open_tasks
        items.append({"text": "Your account", "href": reverse("web:profile")})
        for item in items:
            item["active"] = path.startswith(item.get("prefix", item["href"]))
        home = items[0]["href"]
    return {"custos_navigation": items, "custos_home": home, **extra}
