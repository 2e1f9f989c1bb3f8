"""The authorization matrix: every URL and every API operation, called as every persona, against a table.

The rows come from the URLconf (every URL name, with GET and POST and whatever other method its view
declares) and from the OpenAPI schema (every operation), so a new URL or operation fails
``test_every_url_and_operation_is_in_the_table`` until someone writes down who may call it.

Each row is one call (``"METHOD url-name"``) on BCU A's records, made by authors who are none of the
personas (``tests/authz_world.py``); each column a persona, in ``PERSONAS`` order. Outcomes:

- ``ok``: the handler was reached: 2xx (a form shown again with its errors too), a redirect anywhere but
  the sign-in page, or input refused as invalid (400, 409, 415: the persona got as far as validation, so
  the call is allowed to them);
- ``403``: refused; ``404``: out of reach, answered as if it did not exist;
- ``signin``: sent to the sign-in page (web, nobody or a suspended account);
- ``401``: the API has no usable token; ``405``: the URL does not take that method.

Signed-in personas have passed MFA and declared a purpose; API calls carry one, so the table shows reach and
nothing else. Writes send the form or body ``tests/test_event_completeness.py`` proves (so a permitted write
succeeds), and each URL's calls are rolled back afterwards, so every URL meets the same world.

A row marked ``# BUG:`` records an outcome that looks wrong, kept so that the fix shows up as a
mismatch to correct in the table.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from custos.accounts.models import Notification, User
from custos.oversight.tests.test_dpia import RISK
from custos.register.models import BCU
from tests import test_event_completeness as completeness
from tests.authz_world import PERSONAS, SUBJECTS, AuthzWorld, Caller, body_text, build_world, isolated, outcome

#: Personas who must never see BCU A's people, on any page, in any file.
MUST_NOT_SEE_BCU_A = ("foreign_officer", "untrained", "suspended", "anonymous", "sysadmin", "auditor")

# --- the URLs and operations ---------------------------------------------------------------------------

#: Methods every URL is called with; a view's own declaration (a class's handlers, ``require_http_methods``)
#: or the schema may add more.
ALWAYS = ("GET", "POST")
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _patterns(entries: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in entries:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, entry.namespace or namespace)
        else:
            yield (f"{namespace}:{entry.name}" if namespace else str(entry.name)), entry


def declared_methods(view: Callable[..., Any]) -> set[str]:
    """The methods a view says it takes: a DRF viewset's actions, a class's handlers, ``require_http_methods``."""
    actions = getattr(view, "actions", None)
    if actions:
        return {method.upper() for method in actions}
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if m.upper() in METHOD_ORDER and hasattr(view_class, m)}
    declared: set[str] = set()
    function: Any = view
    while function is not None:  # through the decorators, to the one holding the method list
        code = getattr(function, "__code__", None)
        cells = dict(zip(code.co_freevars, function.__closure__ or (), strict=True)) if code else {}
        if "request_method_list" in cells:
            declared |= {m.upper() for m in cells["request_method_list"].cell_contents}
        function = getattr(function, "__wrapped__", None)
    return declared


def schema_operations() -> set[str]:
    """Every operation in the OpenAPI schema, as ``"METHOD url-name"``."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    operations = set()
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{\w+\}", str(uuid.UUID(int=1)), path)
        name = resolve(concrete).view_name
        operations |= {f"{method.upper()} {name}" for method in methods}
    return operations


def url_calls() -> set[str]:
    """Every URL name with GET, POST and each method its view declares, as ``"METHOD url-name"``."""
    calls = set()
    for name, pattern in _patterns(get_resolver().url_patterns):
        methods = set(ALWAYS) | declared_methods(pattern.callback)
        calls |= {f"{method} {name}" for method in methods}
    return calls


@functools.cache
def all_calls() -> frozenset[str]:
    """The rows the table must have: every URL's calls and every schema operation."""
    return frozenset(url_calls() | schema_operations())


def url_names() -> set[str]:
    return {name for name, _ in _patterns(get_resolver().url_patterns)}


def urls_with_arguments() -> set[str]:
    return {name for name, pattern in _patterns(get_resolver().url_patterns) if pattern.pattern.converters}


def _order(key: str) -> tuple[str, int]:
    method, name = key.split(" ")
    return name, METHOD_ORDER.index(method)


# --- what each call needs ------------------------------------------------------------------------------

W = completeness.World
Kwargs = Callable[[W], dict[str, Any]]


def _no_kwargs(w: W) -> dict[str, Any]:
    return {}


def _notification(w: W) -> dict[str, Any]:
    """A notice on the author officer's task list (a persona marking it done marks someone else's)."""
    notice = Notification.objects.create(recipient=w.user("officer_a"), kind="test", message="A notice for a test.")
    return {"notification_id": notice.pk}


def _approved_disclosure(w: W) -> dict[str, Any]:
    return {"disclosure_id": completeness._disclosure(w, approved=True).pk}


def _disclosure_id(w: W) -> dict[str, Any]:
    return {"disclosure_id": completeness._disclosure(w).pk}


def _sar_pdf(w: W) -> dict[str, Any]:
    return {"request_id": completeness._subject_request(w).pk, "fmt": "pdf"}


#: The URL arguments of each URL, from BCU A's records (made before the calls, rolled back after). A list page
#: names the records it lists, so that the page has someone on it to leak.
KWARGS: dict[str, Kwargs] = {
    # the shell and access governance: someone else's token, notice and account
    "web:token_revoke": lambda w: {"token_id": w.token.pk},
    "web:task_done": _notification,
    "web:training_add": lambda w: {"user_id": w.user("officer_a").pk},
    "web:user_suspend": lambda w: {"user_id": w.user("analyst_a").pk},
    "web:user_reinstate": lambda w: {"user_id": w.suspended.pk},
    # the register
    "web:person": lambda w: {"person_id": w.person.pk},
    "web:intelligence_add": lambda w: {"person_id": w.person.pk},
    "web:nominate": lambda w: {"person_id": w.fresh.pk},
    "web:intelligence_verify": lambda w: {"item_id": w.social.pk},
    "web:nomination_activate": lambda w: {"nomination_id": w.proposed.pk},
    "web:rag_decide": lambda w: {"nomination_id": w.active.pk},
    "web:action_record": lambda w: {"person_id": w.active.person_id},
    # reviews and retention
    "web:reviews": completeness._after(completeness._review),
    "web:review": lambda w: {"review_id": completeness._review(w).pk},
    "web:review_cancel": lambda w: {"review_id": completeness._scheduled(w).pk},
    "web:review_erase_now": lambda w: {"review_id": completeness._scheduled(w).pk},
    "web:review_open": lambda w: {"person_id": w.fresh.pk},
    "web:restrictions": completeness._after(completeness._restriction),
    "web:restriction_lift": lambda w: {"restriction_id": completeness._restriction(w).pk},
    # scan findings and exports
    "web:dlp_findings": completeness._after(completeness._finding),
    "web:dlp_finding": completeness._finding_id,
    "web:dlp_finding_assign": completeness._finding_id,
    "web:dlp_copy_erased": completeness._finding_id,
    "web:dlp_finding_close": completeness._finding_id,
    "web:exports": completeness._after(completeness._export),
    "web:export_download": completeness._export_id,
    "web:export_destroyed": completeness._export_id,
    # data-subject requests
    "web:requests": completeness._after(completeness._subject_request),
    "web:request": completeness._request_of("access"),
    "web:request_pause": completeness._request_of("access"),
    "web:request_resume": completeness._paused_request,
    "web:request_extend": completeness._request_of("access"),
    "web:request_package": completeness._request_of("access"),
    "web:request_withhold": completeness._request_of("access"),
    "web:request_download": _sar_pdf,
    "web:request_respond": completeness._request_of("access"),
    "web:request_rectify": completeness._request_of("rectification"),
    "web:request_notice_sent": completeness._notice,
    "web:request_erasure": completeness._request_of("erasure"),
    "web:request_restriction": completeness._request_of("restriction"),
    "web:request_close": completeness._request_of("erasure"),
    # oversight
    "web:equality_ratio_chart": lambda w: {"point": "inclusion"},
    "web:equality_series_chart": lambda w: {"name": "activated"},
    "web:audits_detail": completeness._bcu_audit_id,
    "web:audits_pdf": completeness._bcu_audit_id,
    "web:breaches_list": completeness._after(completeness._breach),
    "web:breaches_detail": completeness._breach_id,
    "web:breaches_notify": completeness._breach_id,
    "web:breaches_decide": completeness._breach_id,
    "web:breaches_action": completeness._breach_id,
    "web:breaches_close": completeness._closable_breach_id,
    "web:dpia_detail": completeness._dpia_number,
    "web:dpia_sign_off": completeness._dpia_number,
    "web:dpia_pdf": completeness._dpia_number,
    "web:dpia_json": completeness._dpia_number,
    "web:dpia_risk": completeness._dpia_risk_code,
    "web:guidance_topic": lambda w: {"topic": "social_media"},
    "web:guidance_version": completeness._guidance_version,
    "web:guidance_changes": completeness._guidance_version,
    "web:guidance_draft": lambda w: {"topic": "gang_composition"},
    "web:guidance_draft_detail": completeness._guidance_draft_id,
    "web:guidance_draft_publish": completeness._guidance_draft_id,
    "web:guidance_draft_discard": completeness._guidance_draft_id,
    "web:annex1_report": completeness._annex1_report_id,
    "web:annex1_report_pdf": completeness._annex1_report_id,
    # information sharing: a draft agreement (so approving it is a real call) and the author officer's disclosure
    "web:sharing_agreements": completeness._after(completeness._agreement),
    "web:sharing_agreement": completeness._draft_id,
    "web:sharing_agreement_edit": completeness._draft_id,
    "web:sharing_disclosures": completeness._after(completeness._disclosure),
    "web:sharing_disclosure": _disclosure_id,
    # the API
    "api:nominal-detail": lambda w: {"nomination_id": w.proposed.pk},
    "api:person-detail": lambda w: {"person_id": w.person.pk},
    "api:intelligence-detail": lambda w: {"item_id": w.item.pk},
    "sharing_api:agreement-detail": completeness._agreement_id,
    "sharing_api:agreement-approve": completeness._draft_id,
    "sharing_api:agreement-revoke": completeness._agreement_id,
    "sharing_api:disclosure-list": completeness._after(completeness._disclosure),
    "sharing_api:disclosure-detail": _disclosure_id,
    "sharing_api:disclosure-approve": _disclosure_id,
    "sharing_api:disclosure-refuse": _disclosure_id,
    "sharing_api:disclosure-withdraw": _disclosure_id,
    "sharing_api:package": _approved_disclosure,
}

#: Form data the completeness table does not give (it proves these calls elsewhere) or gives for its own people:
#: searches name BCU A's people here, and the DPO's forms are filled in, so a refusal is the policy's and not
#: the form's.
DATA: dict[str, Kwargs] = {
    "POST web:people": lambda w: {"name": SUBJECTS["person"].full_name},
    "POST web:request_find_person": lambda w: {"name": SUBJECTS["fresh"].full_name},
    "POST web:dpia_sign_off": lambda w: {"comments": "Accepted with the mitigations listed."},
    "POST web:dpia_risks": lambda w: RISK | {"code": "social-media"},
    "POST web:dpia_risk": lambda w: RISK | {"impact": 5},
}


def _data(key: str, w: W) -> dict[str, Any] | None:
    """What a call sends: ours, else the completeness table's form or body for it, else nothing."""
    if key in DATA:
        return DATA[key](w)
    method, name = key.split(" ")
    url = completeness.URLS.get(name)
    call = url.calls.get(method) if url else None
    if isinstance(call, completeness.Call) and call.data is not None:
        return call.data(w)
    return None


# --- the table -----------------------------------------------------------------------------------------

#: ``"METHOD url-name"`` → outcome for each persona, in ``PERSONAS`` order:
#:   officer analyst bcu_spoc central_governance iru dpo auditor sysadmin foreign_officer untrained suspended anonymous
TABLE: dict[str, str] = {
    # The register's API (custos.register.api)
    "GET api:nominal-list": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "POST api:nominal-list": "405 405 405 405 405 405 403 403 405 403 401 401",
    "GET api:nominal-detail": "ok ok ok ok ok ok 403 403 404 403 401 401",
    "POST api:nominal-detail": "405 405 405 405 405 405 403 403 405 403 401 401",
    "GET api:person-list": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "POST api:person-list": "ok ok ok 403 403 403 403 403 403 403 401 401",
    "GET api:person-detail": "ok ok ok ok ok ok 403 403 404 403 401 401",
    "POST api:person-detail": "405 405 405 405 405 405 403 403 405 403 401 401",
    "GET api:intelligence-list": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "POST api:intelligence-list": "ok ok ok 403 403 403 403 403 404 403 401 401",
    "GET api:intelligence-detail": "ok ok ok ok ok ok 403 403 404 403 401 401",
    "POST api:intelligence-detail": "405 405 405 405 405 405 403 403 405 403 401 401",
    # The API's schema
    "GET api:openapi": "ok ok ok ok ok ok ok ok ok ok 401 401",
    "POST api:openapi": "405 405 405 405 405 405 405 405 405 405 401 401",
    # The sharing API (custos.sharing.api)
    "GET sharing_api:agreement-list": "ok ok ok ok ok ok ok ok ok ok 401 401",
    "POST sharing_api:agreement-list": "403 403 403 ok ok 403 403 403 403 403 401 401",
    "GET sharing_api:agreement-detail": "ok ok ok ok ok ok ok ok ok ok 401 401",
    "POST sharing_api:agreement-detail": "405 405 405 405 405 405 405 405 405 405 401 401",
    "GET sharing_api:agreement-approve": "405 405 405 405 405 405 405 405 405 405 401 401",
    "POST sharing_api:agreement-approve": "403 403 403 403 ok 403 403 403 403 403 401 401",
    "GET sharing_api:agreement-revoke": "405 405 405 405 405 405 405 405 405 405 401 401",
    "POST sharing_api:agreement-revoke": "403 403 403 403 ok 403 403 403 403 403 401 401",
    "GET sharing_api:disclosure-list": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "POST sharing_api:disclosure-list": "ok ok ok ok 403 403 403 403 403 403 401 401",
    "GET sharing_api:disclosure-detail": "404 404 ok ok ok ok 403 403 404 403 401 401",
    "POST sharing_api:disclosure-detail": "405 405 405 405 405 405 403 403 405 403 401 401",
    "GET sharing_api:disclosure-approve": "405 405 405 405 405 405 403 403 405 403 401 401",
    "POST sharing_api:disclosure-approve": "404 404 ok 403 ok 403 403 403 404 403 401 401",
    "GET sharing_api:disclosure-refuse": "405 405 405 405 405 405 403 403 405 403 401 401",
    "POST sharing_api:disclosure-refuse": "404 404 ok 403 ok 403 403 403 404 403 401 401",
    "GET sharing_api:disclosure-withdraw": "405 405 405 405 405 405 403 403 405 403 401 401",
    "POST sharing_api:disclosure-withdraw": "404 404 403 403 403 403 403 403 404 403 401 401",
    # the package: who asked, who approved, or the IRU (sharing.policies.may_download_package)
    "GET sharing_api:package": "404 404 403 403 ok 403 403 403 404 403 401 401",
    "POST sharing_api:package": "405 405 405 405 405 405 403 403 405 403 401 401",
    "GET sharing_api:destruction": "405 405 405 405 405 405 405 405 405 405 405 405",
    # public, as the page above (400: no code given)
    "POST sharing_api:destruction": "ok ok ok ok ok ok ok ok ok ok ok ok",
    # The shell: signing in and out, the account page, the task list (custos.web.views)
    "GET web:home": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:home": "ok ok ok ok ok ok ok ok ok ok signin signin",
    # signed in already: sent home; a suspended account's session is gone, so it sees the form
    "GET web:login": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "POST web:login": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "PUT web:login": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "GET web:logout": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # signing out sends everyone to the sign-in page: that is the call succeeding
    "POST web:logout": "signin signin signin signin signin signin signin signin signin signin signin signin",
    "GET web:profile": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:profile": "ok ok ok ok ok ok ok ok ok ok signin signin",
    # The second factor (custos.web.access_views)
    "GET web:mfa_setup": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:mfa_setup": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "GET web:mfa_verify": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:mfa_verify": "ok ok ok ok ok ok ok ok ok ok signin signin",
    # The shell: signing in and out, the account page, the task list (custos.web.views)
    "GET web:token_revoke": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # someone else's token and notice: nobody may touch them, and nobody learns they exist
    "POST web:token_revoke": "404 404 404 404 404 404 404 404 404 404 signin signin",
    "GET web:tasks": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:tasks": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:task_done": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:task_done": "404 404 404 404 404 404 404 404 404 404 signin signin",
    # Access governance: purpose, training, recertification, accounts (custos.web.governance)
    "GET web:purpose": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "POST web:purpose": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "GET web:my_training": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:my_training": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "GET web:training": "403 403 ok ok 403 403 403 ok 403 403 signin signin",
    "POST web:training": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:training_add": "403 403 ok ok 403 403 403 ok 403 403 signin signin",
    "POST web:training_add": "403 403 ok ok 403 403 403 ok 403 403 signin signin",
    "GET web:recertification": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "POST web:recertification": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "GET web:users": "403 403 403 403 403 403 403 ok 403 403 signin signin",
    "POST web:users": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:user_add": "403 403 403 403 403 403 403 ok 403 403 signin signin",
    "POST web:user_add": "403 403 403 403 403 403 403 ok 403 403 signin signin",
    "GET web:user_suspend": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:user_suspend": "403 403 403 403 403 403 403 ok 403 403 signin signin",
    "GET web:user_reinstate": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # a SPOC reinstates their BCU's suspended users, leavers excepted (accounts.policies.may_reinstate)
    "POST web:user_reinstate": "403 403 ok 403 403 403 403 ok 403 403 signin signin",
    # The s.62 log (custos.web.audit_views)
    "GET web:audit_log": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:audit_log": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:audit_export": "403 403 403 403 403 ok ok 403 403 403 signin signin",
    "POST web:audit_export": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:audit_patterns": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:audit_patterns": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # The register on the web (custos.register.views)
    "GET web:matrix": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "POST web:matrix": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:people": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "POST web:people": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "GET web:person_add": "ok ok ok 403 403 403 403 403 ok 403 signin signin",
    "POST web:person_add": "ok ok ok 403 403 403 403 403 ok 403 signin signin",
    "GET web:person": "ok ok ok ok ok ok 403 403 404 403 signin signin",
    "POST web:person": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:intelligence_add": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "POST web:intelligence_add": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "GET web:nominate": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "POST web:nominate": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "GET web:intelligence_verify": "403 ok ok ok 403 403 403 403 404 403 signin signin",
    "POST web:intelligence_verify": "403 ok ok ok 403 403 403 403 404 403 signin signin",
    "GET web:nomination_activate": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "POST web:nomination_activate": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "GET web:rag_decide": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "POST web:rag_decide": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "GET web:action_record": "ok ok ok ok 403 403 403 403 404 403 signin signin",
    "POST web:action_record": "ok ok ok ok 403 403 403 403 404 403 signin signin",
    "GET web:action_policy": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:action_policy": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # Reviews, retention and restrictions (custos.retention.views)
    "GET web:reviews": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "POST web:reviews": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:reviews_overdue": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "POST web:reviews_overdue": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:review": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "POST web:review": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "GET web:review_cancel": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "POST web:review_cancel": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "GET web:review_erase_now": "403 403 403 ok 403 403 403 403 403 403 signin signin",
    "POST web:review_erase_now": "403 403 403 ok 403 403 403 403 403 403 signin signin",
    "GET web:retention_schedule": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "POST web:retention_schedule": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:review_open": "403 403 ok ok ok ok 403 403 403 403 signin signin",
    "POST web:review_open": "403 403 ok ok ok ok 403 403 403 403 signin signin",
    "GET web:restrictions": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:restrictions": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:restriction_lift": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:restriction_lift": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    # Scan findings (custos.dlp.views)
    "GET web:dlp_findings": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "POST web:dlp_findings": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dlp_finding": "403 403 404 ok 403 ok 403 403 403 403 signin signin",
    "POST web:dlp_finding": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dlp_finding_assign": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:dlp_finding_assign": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:dlp_copy_erased": "403 403 404 ok 403 ok 403 403 403 403 signin signin",
    "POST web:dlp_copy_erased": "403 403 404 ok 403 ok 403 403 403 403 signin signin",
    "GET web:dlp_finding_close": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:dlp_finding_close": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    # Controlled exports (custos.dlp.export_views)
    "GET web:exports": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "POST web:exports": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:export_new": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "POST web:export_new": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    # an export made by another SPOC: only whoever made it downloads it or confirms it destroyed
    "GET web:export_download": "403 403 403 403 403 403 403 403 403 403 signin signin",
    "POST web:export_download": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:export_destroyed": "404 404 ok ok 404 404 404 404 404 404 signin signin",
    "POST web:export_destroyed": "404 404 403 403 404 404 404 404 404 404 signin signin",
    # Data-subject requests (custos.rights.views)
    "GET web:requests": "403 403 403 ok ok ok 403 403 403 403 signin signin",
    "POST web:requests": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:request_new": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_new": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_find_person": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_find_person": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request": "403 403 403 ok ok ok 403 403 403 403 signin signin",
    "POST web:request": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:request_pause": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_pause": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_resume": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_resume": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_extend": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_extend": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_package": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_package": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:request_withhold": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:request_withhold": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_download": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_download": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:request_respond": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_respond": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_rectify": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_rectify": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_notice_sent": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:request_notice_sent": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_erasure": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_erasure": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_restriction": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_restriction": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:request_close": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "POST web:request_close": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    # Oversight (custos.oversight.views)
    "GET web:oversight": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "POST web:oversight": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # The equality monitor (custos.oversight.equality.views)
    "GET web:equality_monitor": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "POST web:equality_monitor": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:equality_ratio_chart": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "POST web:equality_ratio_chart": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:equality_series_chart": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "POST web:equality_series_chart": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:equality_publications": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "POST web:equality_publications": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # public: published aggregates only
    "GET web:equality_transparency": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "POST web:equality_transparency": "405 405 405 405 405 405 405 405 405 405 405 405",
    # BCU audits (custos.oversight.audits.views)
    "GET web:audits_list": "403 403 ok ok 403 ok ok 403 403 403 signin signin",
    "POST web:audits_list": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:audits_run": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:audits_run": "403 403 403 ok 403 403 403 403 403 403 signin signin",
    "GET web:audits_detail": "403 403 ok ok 403 ok ok 403 403 403 signin signin",
    "POST web:audits_detail": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:audits_pdf": "403 403 ok ok 403 ok ok 403 403 403 signin signin",
    "POST web:audits_pdf": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # The breach register (custos.oversight.breaches.views)
    "GET web:breaches_list": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:breaches_list": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:breaches_new": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:breaches_new": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:breaches_detail": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:breaches_detail": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:breaches_notify": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:breaches_notify": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:breaches_decide": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:breaches_decide": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:breaches_action": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:breaches_action": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:breaches_close": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:breaches_close": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    # The DPIA pack (custos.oversight.dpia.views)
    "GET web:dpia_list": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_list": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dpia_generate": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:dpia_generate": "403 403 403 403 403 ok 403 403 403 403 signin signin",
    "GET web:dpia_detail": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_detail": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dpia_sign_off": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:dpia_sign_off": "403 403 403 403 403 ok 403 403 403 403 signin signin",
    "GET web:dpia_pdf": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_pdf": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dpia_json": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_json": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:dpia_risks": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_risks": "403 403 403 403 403 ok 403 403 403 403 signin signin",
    "GET web:dpia_risk": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_risk": "403 403 403 403 403 ok 403 403 403 403 signin signin",
    "GET web:dpia_records_of_processing": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:dpia_records_of_processing": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # The guidance library (custos.oversight.guidance.views)
    "GET web:guidance_index": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:guidance_index": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:guidance_draft_detail": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:guidance_draft_detail": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:guidance_draft_publish": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:guidance_draft_publish": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:guidance_draft_discard": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:guidance_draft_discard": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:guidance_topic": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:guidance_topic": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:guidance_draft": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "POST web:guidance_draft": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:guidance_version": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:guidance_version": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:guidance_changes": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:guidance_changes": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # The Annex 1 tracker and reports (custos.oversight.annex1.views)
    "GET web:annex1_tracker": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:annex1_tracker": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:annex1_reports": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:annex1_reports": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:annex1_generate": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "POST web:annex1_generate": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "GET web:annex1_report": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:annex1_report": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:annex1_report_pdf": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "POST web:annex1_report_pdf": "405 405 405 405 405 405 405 405 405 405 signin signin",
    # Information sharing (custos.sharing.views)
    "GET web:sharing_agreements": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:sharing_agreements": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:sharing_agreement_new": "403 403 403 ok ok 403 403 403 403 403 signin signin",
    "POST web:sharing_agreement_new": "403 403 403 ok ok 403 403 403 403 403 signin signin",
    "GET web:sharing_agreement": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:sharing_agreement": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "GET web:sharing_agreement_edit": "403 403 403 ok ok 403 403 403 403 403 signin signin",
    "POST web:sharing_agreement_edit": "403 403 403 ok ok 403 403 403 403 403 signin signin",
    "GET web:sharing_guidance": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "POST web:sharing_guidance": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:sharing_disclosures": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "POST web:sharing_disclosures": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:sharing_disclosure_new": "ok ok ok ok 403 403 403 403 ok 403 signin signin",
    "POST web:sharing_disclosure_new": "ok ok ok ok 403 403 403 403 ok 403 signin signin",
    "GET web:sharing_disclosure": "404 404 ok ok ok ok 403 403 404 403 signin signin",
    "POST web:sharing_disclosure": "404 404 ok 403 ok 403 403 403 404 403 signin signin",
    # public: a recipient confirms a package destroyed; the code is the proof
    "GET web:sharing_destroyed": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "POST web:sharing_destroyed": "ok ok ok ok ok ok ok ok ok ok ok ok",
    # The sharing review (custos.sharing.review_views)
    "GET web:sharing_review": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:sharing_review": "405 405 405 405 405 405 405 405 405 405 signin signin",
    "GET web:sharing_review_pdf": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "POST web:sharing_review_pdf": "405 405 405 405 405 405 405 405 405 405 signin signin",
}


# --- making the calls ----------------------------------------------------------------------------------


def _rows_by_url() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for key in sorted(all_calls(), key=_order):
        rows.setdefault(key.split(" ")[1], []).append(key)
    return rows


Made = tuple[str, dict[str, Any] | None, HttpResponseBase]


def make_calls(persona: str, world: AuthzWorld, client_for: Callable[[User], Client]) -> Iterator[Made]:
    """Every call as ``persona``: yields each row with what it sent and the response. Each URL's calls meet
    the same world (what they write is rolled back before the next URL)."""
    caller = Caller(persona, world, client_for)
    for name, keys in _rows_by_url().items():
        with isolated(world):
            path = reverse(name, kwargs=KWARGS.get(name, _no_kwargs)(world.records))
            for key in keys:
                data = _data(key, world.records)
                yield key, data, caller.call(key.split(" ")[0], path, data, api=path.startswith("/api/"))


@pytest.fixture
def world(make_user: Callable[..., User], bcu_a: BCU, bcu_b: BCU) -> AuthzWorld:
    return build_world(make_user, bcu_a, bcu_b)


# --- the tests -----------------------------------------------------------------------------------------


def test_the_table_has_an_outcome_per_persona() -> None:
    classes = {"ok", "403", "404", "signin", "401", "405"}
    for key, outcomes in TABLE.items():
        assert len(outcomes.split()) == len(PERSONAS), key
        assert set(outcomes.split()) <= classes, key


def test_every_url_and_operation_is_in_the_table() -> None:
    wanted = all_calls()
    missing = sorted(wanted - TABLE.keys(), key=_order)
    gone = sorted(TABLE.keys() - wanted, key=_order)
    assert not missing, "say who may make these calls, in TABLE:\n" + "\n".join(missing)
    assert not gone, "these calls no longer exist; take them out of TABLE:\n" + "\n".join(gone)
    assert not urls_with_arguments() - KWARGS.keys(), (
        f"fill in their arguments in KWARGS: {urls_with_arguments() - KWARGS.keys()}"
    )
    assert not KWARGS.keys() - url_names(), f"KWARGS names URLs that no longer exist: {KWARGS.keys() - url_names()}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(persona: str, world: AuthzWorld, client_for: Callable[[User], Client]) -> None:
    column = PERSONAS.index(persona)
    mismatches, calls = [], 0
    for key, _, response in make_calls(persona, world, client_for):
        calls += 1
        expected, found = TABLE[key].split()[column] if key in TABLE else "(no row)", outcome(response)
        if found != expected:
            mismatches.append(f"  {key:<45} expected {expected:<8} found {found} ({response.status_code})")
    if mismatches:
        heading = f"{persona}: {len(mismatches)} of {calls} calls differ from TABLE:"
        pytest.fail("\n".join([heading, *mismatches]), pytrace=False)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", MUST_NOT_SEE_BCU_A)
def test_no_leaks(persona: str, world: AuthzWorld, client_for: Callable[[User], Client]) -> None:
    needles = world.needles()
    leaks = []
    for key, sent, response in make_calls(persona, world, client_for):
        text = body_text(response)
        for value in (sent or {}).values():  # a search page shows what was typed: not a leak
            text = text.replace(str(value), "")
        leaks += [f"  {key}: {needle!r}" for needle in needles if needle in text]
    if leaks:
        pytest.fail(f"{persona} was shown BCU A's people:\n" + "\n".join(leaks), pytrace=False)
