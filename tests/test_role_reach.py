"""Who can do what: separation of duties as a table, exercised over HTTP against the real URLs.

Each row is a capability (a page or an API operation on the data of BCU A);
each column a persona. The same table is in README.md ("Who can do what"),
and ``test_the_readme_shows_this_table`` keeps the two the same.

Outcomes: ``ok`` (200), ``403`` refused, ``404`` out of reach (as if it did
not exist), ``signin`` (sent to the sign-in page), ``401`` (API: no usable
token). Every signed-in persona has declared a purpose, and every API call
sends one, so the table shows reach and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from custos.accounts.models import Role, User
from custos.accounts.services import api_token_issue, user_suspend
from custos.accounts.tests.helpers import with_purpose
from custos.audit.services import Actor
from custos.dlp.models import Finding, ScanRun
from custos.register import services
from custos.register.models import BCU
from custos.register.tests.factories import a_person, an_item
from custos.retention import services as retention_services
from custos.rights.services import request_receive
from custos.sharing import rules as sharing_rules
from custos.sharing.services import Asked, agreement_approve, agreement_draft, disclosure_request
from custos.sharing.tests.builders import NECESSITY, PURPOSE, agreement_input
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

PERSONAS = [
    "officer",
    "analyst",
    "bcu_spoc",
    "central_governance",
    "iru",
    "dpo",
    "auditor",
    "sysadmin",
    "foreign_officer",
    "untrained",
    "suspended",
    "anonymous",
]

#: capability → outcome for each persona, in ``PERSONAS`` order.
TABLE: dict[str, str] = {
    "matrix (web)": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "people list (web)": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "person page (web)": "ok ok ok ok ok ok 403 403 404 403 signin signin",
    "declare a purpose (web)": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "add a person (form)": "ok ok ok 403 403 403 403 403 ok 403 signin signin",
    "add intelligence (form)": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "verify social media (form)": "403 ok ok ok 403 403 403 403 404 403 signin signin",
    "propose a nomination (form)": "ok ok ok 403 403 403 403 403 404 403 signin signin",
    "activate a nomination (form)": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "decide a RAG band (form)": "403 403 ok ok 403 403 403 403 404 403 signin signin",
    "record an action (form)": "ok ok ok ok 403 403 403 403 404 403 signin signin",
    "action policy (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "API: people list": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "API: person": "ok ok ok ok ok ok 403 403 404 403 401 401",
    "API: matrix": "ok ok ok ok ok ok 403 403 ok 403 401 401",
    "API: intelligence item": "ok ok ok ok ok ok 403 403 404 403 401 401",
    "training records": "403 403 ok ok 403 403 403 ok 403 403 signin signin",
    "recertification": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "user management": "403 403 403 403 403 403 403 ok 403 403 signin signin",
    "audit log (web)": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "review queue (web)": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "review page (web)": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "overdue reviews (web)": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "open a review (form)": "403 403 ok ok ok ok 403 403 403 403 signin signin",
    "retention schedule (web)": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "restrictions (web)": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "task list (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "data-subject requests (web)": "403 403 403 ok ok ok 403 403 403 403 signin signin",
    "a data-subject request (web)": "403 403 403 ok ok ok 403 403 403 403 signin signin",
    "log a data-subject request (form)": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "subject access package (web)": "403 403 403 403 ok 403 403 403 403 403 signin signin",
    "scan findings (web)": "403 403 ok ok 403 ok 403 403 403 403 signin signin",
    "a scan finding, unassigned (web)": "403 403 404 ok 403 ok 403 403 403 403 signin signin",
    "exports (web)": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "export the matrix (form)": "403 403 ok ok 403 403 403 403 403 403 signin signin",
    "sharing agreements (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "an agreement (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "draft an agreement (form)": "403 403 403 ok ok 403 403 403 403 403 signin signin",
    "sharing guidance (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "disclosures (web)": "ok ok ok ok ok ok 403 403 ok 403 signin signin",
    "ask for a disclosure (form)": "ok ok ok ok 403 403 403 403 ok 403 signin signin",
    "a disclosure (web)": "404 404 ok ok ok ok 403 403 404 403 signin signin",
    "sharing review (web)": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "confirm a package destroyed (public)": "ok ok ok ok ok ok ok ok ok ok ok ok",
    "API: sharing agreements": "ok ok ok ok ok ok ok ok ok ok 401 401",
    "API: a disclosure": "404 404 ok ok ok ok 403 403 404 403 401 401",
    "BCU audits (web)": "403 403 ok ok 403 ok ok 403 403 403 signin signin",
    "breach register (web)": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "record a breach (form)": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    "DPIA (web)": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "DPIA risk register (web)": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "records of processing (web)": "403 403 403 ok ok ok ok 403 403 403 signin signin",
    "oversight (web)": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    # Oversight: the equality monitor (custos.oversight.equality)
    "equality monitor (web)": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "equality publications (web)": "403 403 ok ok ok ok ok 403 403 403 signin signin",
    "transparency page (public)": "ok ok ok ok ok ok ok ok ok ok ok ok",
    # Oversight: the guidance library (custos.oversight.guidance)
    "guidance library (web)": "ok ok ok ok ok ok ok ok ok ok signin signin",
    "write guidance (form)": "403 403 403 ok 403 ok 403 403 403 403 signin signin",
    # Oversight: the Annex 1 tracker and monthly reports (custos.oversight.annex1)
    "Annex 1 tracker (web)": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
    "Annex 1 reports (web)": "403 403 403 ok 403 ok ok 403 403 403 signin signin",
}

#: How README.md writes each outcome.
README_SYMBOLS = {"ok": "✓", "403": "✗", "404": "404", "signin": "sign in", "401": "401"}
README_HEADERS = [
    "officer",
    "analyst",
    "BCU SPOC",
    "central governance",
    "IRU",
    "DPO",
    "auditor",
    "sysadmin",
    "officer of another BCU",
    "untrained officer",
    "suspended officer",
    "not signed in",
]


def readme_table() -> str:
    """The table as README.md shows it."""
    lines = [
        "| | " + " | ".join(README_HEADERS) + " |",
        "|---|" + "---|" * len(README_HEADERS),
    ]
    for capability, outcomes in TABLE.items():
        cells = [README_SYMBOLS[o] for o in outcomes.split()]
        lines.append(f"| {capability} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_table_is_complete() -> None:
    for capability, outcomes in TABLE.items():
        assert len(outcomes.split()) == len(PERSONAS), capability
        assert set(outcomes.split()) <= set(README_SYMBOLS), capability


def test_the_readme_shows_this_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- role-reach:start -->\n(.*?)\n<!-- role-reach:end -->", readme, re.S)
    assert match, "README.md lacks the role-reach table markers"
    assert match.group(1).strip() == readme_table(), (
        "README.md's 'Who can do what' differs from TABLE:\n" + readme_table()
    )


@pytest.fixture
def world(make_user: Callable[..., User], bcu_a: BCU, bcu_b: BCU) -> dict[str, Any]:
    """BCU A's data, recorded by an officer who is none of the personas, and the personas."""
    author = make_user("author_a", Role.OFFICER, bcu_a)
    person = a_person(author)
    an_item(author, person, source_reference="CAD 1")
    an_item(author, person, source_reference="CRIS 2", criterion="weapon_knife")
    social = an_item(
        author, person, source_type="social_media", source_reference="post 77", criterion="gang_association"
    )
    nomination = services.nomination_propose(actor=author, person=person, reasons="Two independent police sources.")
    users = {
        "officer": make_user("officer", Role.OFFICER, bcu_a),
        "analyst": make_user("analyst", Role.ANALYST, bcu_a),
        "bcu_spoc": make_user("spoc", Role.BCU_SPOC, bcu_a),
        "central_governance": make_user("central", Role.CENTRAL_GOVERNANCE),
        "iru": make_user("iru", Role.IRU),
        "dpo": make_user("dpo", Role.DPO),
        "auditor": make_user("auditor", Role.AUDITOR),
        "sysadmin": make_user("sysadmin", Role.SYSADMIN),
        "foreign_officer": make_user("officer_b", Role.OFFICER, bcu_b),
        "untrained": make_user("untrained", Role.OFFICER, bcu_a, trained=False),
        "suspended": make_user("suspended", Role.OFFICER, bcu_a),
    }
    review = retention_services.review_open(actor=Actor.system("reach"), person=person)
    subject_request = request_receive(
        actor=users["iru"],
        person=person,
        kind="access",
        received_on=review.opened_at.date(),
        requester_name="A Requester",
        requester_contact="By post",
        identity_verification="Passport seen at the front counter.",
    )
    run = ScanRun.objects.create(started_by="system:reach", paths=["/share"], started_at=review.opened_at)
    finding = Finding.objects.create(
        scan=run, kind="register_data", path="/share/list.csv", people=3, last_seen_at=review.opened_at
    )
    agreement = agreement_draft(
        actor=users["central_governance"],
        data=agreement_input(categories=list(sharing_rules.CATEGORIES), bands=list(sharing_rules.BANDS)),
    )
    agreement = agreement_approve(actor=users["iru"], agreement=agreement)
    disclosure = disclosure_request(
        actor=author, agreement=agreement, purpose=PURPOSE, people=[Asked(person.pk, NECESSITY)]
    )
    return {
        "agreement": agreement,
        "disclosure": disclosure,
        "finding": finding,
        "person": person,
        "item": social,
        "nomination": nomination,
        "review": review,
        "request": subject_request,
        "users": users,
    }


def _paths(world: dict[str, Any]) -> dict[str, str]:
    person, item, nomination = world["person"].pk, world["item"].pk, world["nomination"].pk
    return {
        "matrix (web)": reverse("web:matrix"),
        "people list (web)": reverse("web:people"),
        "person page (web)": reverse("web:person", args=[person]),
        "declare a purpose (web)": reverse("web:purpose"),
        "add a person (form)": reverse("web:person_add"),
        "add intelligence (form)": reverse("web:intelligence_add", args=[person]),
        "verify social media (form)": reverse("web:intelligence_verify", args=[item]),
        "propose a nomination (form)": reverse("web:nominate", args=[person]),
        "activate a nomination (form)": reverse("web:nomination_activate", args=[nomination]),
        "decide a RAG band (form)": reverse("web:rag_decide", args=[nomination]),
        "record an action (form)": reverse("web:action_record", args=[person]),
        "action policy (web)": reverse("web:action_policy"),
        "API: people list": reverse("api:person-list"),
        "API: person": reverse("api:person-detail", args=[person]),
        "API: matrix": reverse("api:nominal-list"),
        "API: intelligence item": reverse("api:intelligence-detail", args=[item]),
        "training records": reverse("web:training"),
        "recertification": reverse("web:recertification"),
        "user management": reverse("web:users"),
        "audit log (web)": reverse("web:audit_log"),
        "review queue (web)": reverse("web:reviews"),
        "review page (web)": reverse("web:review", args=[world["review"].pk]),
        "overdue reviews (web)": reverse("web:reviews_overdue"),
        "open a review (form)": reverse("web:review_open", args=[person]),
        "retention schedule (web)": reverse("web:retention_schedule"),
        "restrictions (web)": reverse("web:restrictions"),
        "task list (web)": reverse("web:tasks"),
        "data-subject requests (web)": reverse("web:requests"),
        "a data-subject request (web)": reverse("web:request", args=[world["request"].pk]),
        "log a data-subject request (form)": reverse("web:request_new"),
        "subject access package (web)": reverse("web:request_package", args=[world["request"].pk]),
        "scan findings (web)": reverse("web:dlp_findings"),
        "a scan finding, unassigned (web)": reverse("web:dlp_finding", args=[world["finding"].pk]),
        "exports (web)": reverse("web:exports"),
        "export the matrix (form)": reverse("web:export_new"),
        "sharing agreements (web)": reverse("web:sharing_agreements"),
        "an agreement (web)": reverse("web:sharing_agreement", args=[world["agreement"].pk]),
        "draft an agreement (form)": reverse("web:sharing_agreement_new"),
        "sharing guidance (web)": reverse("web:sharing_guidance"),
        "disclosures (web)": reverse("web:sharing_disclosures"),
        "ask for a disclosure (form)": reverse("web:sharing_disclosure_new"),
        "a disclosure (web)": reverse("web:sharing_disclosure", args=[world["disclosure"].pk]),
        "sharing review (web)": reverse("web:sharing_review"),
        "confirm a package destroyed (public)": reverse("web:sharing_destroyed"),
        "API: sharing agreements": reverse("sharing_api:agreement-list"),
        "API: a disclosure": reverse("sharing_api:disclosure-detail", args=[world["disclosure"].pk]),
        "BCU audits (web)": reverse("web:audits_list"),
        "breach register (web)": reverse("web:breaches_list"),
        "record a breach (form)": reverse("web:breaches_new"),
        "DPIA (web)": reverse("web:dpia_list"),
        "DPIA risk register (web)": reverse("web:dpia_risks"),
        "records of processing (web)": reverse("web:dpia_records_of_processing"),
        "oversight (web)": reverse("web:oversight"),
        "equality monitor (web)": reverse("web:equality_monitor"),
        "equality publications (web)": reverse("web:equality_publications"),
        "transparency page (public)": reverse("web:equality_transparency"),
        "guidance library (web)": reverse("web:guidance_index"),
        "write guidance (form)": reverse("web:guidance_draft", args=["social_media"]),
        "Annex 1 tracker (web)": reverse("web:annex1_tracker"),
        "Annex 1 reports (web)": reverse("web:annex1_reports"),
    }


def _outcome(status: int, location: str) -> str:
    if status == 200:
        return "ok"
    if status == 302 and location.startswith(reverse("web:login")):
        return "signin"
    return str(status)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_reach(persona: str, world: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    user: User | None = world["users"].get(persona)
    web, api = Client(), APIClient()
    if user is not None:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="reach")
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        web = with_purpose(client_for(user))
        if persona == "suspended":
            user_suspend(actor=world["users"]["sysadmin"], user=user)
    api.defaults["HTTP_X_CUSTOS_PURPOSE"] = "OP-REACH: role reach table"
    column = PERSONAS.index(persona)
    found, expected = {}, {}
    for capability, path in _paths(world).items():
        client = api if capability.startswith("API") else web
        response = client.get(path)
        found[capability] = _outcome(response.status_code, response.get("Location", ""))
        expected[capability] = TABLE[capability].split()[column]
    assert found == expected
