"""The oversight hub: one page listing the oversight sections the user's role reaches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from custos.accounts.models import User
from custos.oversight.annex1 import policies as annex1_policies
from custos.oversight.audits import policies as audit_policies
from custos.oversight.breaches import policies as breach_policies
from custos.oversight.dpia import policies as dpia_policies
from custos.oversight.equality import policies as equality_policies
from custos.register.views import request_user


@dataclass(frozen=True)
class Section:
    title: str
    url_name: str
    summary: str
    allowed: Callable[[User], bool]


SECTIONS = (
    Section(
        "BCU audits",
        "web:audits_list",
        "Each BCU's overdue reviews, zero-score people kept, unverified intelligence, sharing outside policy and "
        "untrained or stale accounts, against its last audit (Annex 1 term 16).",
        audit_policies.may_view_audits,
    ),
    Section(
        "Equality monitor",
        "web:equality_monitor",
        "Who is on the matrix, in each band, acted on, shared and removed, by ethnicity, age band and gender, "
        "against a population baseline.",
        equality_policies.may_view_equality,
    ),
    Section(
        "Breach register",
        "web:breaches_list",
        "Personal data breaches, the 72-hour clock for telling the Information Commissioner and the decision on "
        "telling the people affected (s.67–68).",
        breach_policies.may_view_breaches,
    ),
    Section(
        "Data protection impact assessment",
        "web:dpia_list",
        "The DPIA generated from the running system, its versions and the DPO's risk register (s.64; Annex 1 term 1).",
        dpia_policies.may_read_dpia,
    ),
    Section(
        "Records of processing",
        "web:dpia_records_of_processing",
        "What Custos processes, why, about whom, for whom and for how long (s.61).",
        dpia_policies.may_read_dpia,
    ),
    Section(
        "Annex 1 tracker",
        "web:annex1_tracker",
        "Each term of the enforcement notice's Annex 1 with its status from live evidence, and the monthly "
        "progress reports for the Information Commissioner (notice paragraph 70).",
        annex1_policies.may_view_annex1,
    ),
)


def sections_for(user: User) -> list[Section]:
    return [section for section in SECTIONS if section.allowed(user)]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Links to the oversight sections the user may open; 403 when there are none."""
    user = request_user(request)
    sections = sections_for(user)
    if not sections:
        raise PermissionDenied("Your role has no oversight pages.")
    rows = [(section, reverse(section.url_name)) for section in sections]
    return render(request, "oversight/index.html", {"rows": rows})
