"""The sharing API: every operation allowed and refused, refusals changing nothing, reads logged.

Requests carry real tokens from ``api_token_issue``, as a client sends them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from custos.accounts.models import User
from custos.accounts.services import api_token_issue
from custos.audit.models import AuditEvent, Verb
from custos.crypto.age import age_decrypt
from custos.dlp.models import Export
from custos.register.models import Person
from custos.retention.tests.builders import a_nominal
from custos.sharing import services
from custos.sharing.models import Agreement, Disclosure
from custos.sharing.services import Asked
from custos.sharing.tests.builders import (
    IDENTITY,
    NECESSITY,
    PURPOSE,
    REASONS,
    agreement_input,
    an_agreement,
)
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

ApiFor = Callable[..., APIClient]
API_PURPOSE = "OP-API: testing the sharing API"


@pytest.fixture
def api_for() -> ApiFor:
    """An API client with a fresh token of ``user`` and, unless told otherwise, a declared purpose."""

    def make(user: User, *, purpose: str | None = API_PURPOSE) -> APIClient:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if purpose:
            client.defaults["HTTP_X_CUSTOS_PURPOSE"] = purpose
        return client

    return make


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"sharing_api:{name}", kwargs=kwargs or None)


def _draft_body(**overrides: Any) -> dict[str, Any]:
    data = agreement_input(**overrides)
    body = {k: getattr(data, k) for k in data.__dataclass_fields__}
    body["review_date"] = data.review_date.isoformat() if data.review_date else None
    return body


def _events(verb: str) -> int:
    return AuditEvent.objects.filter(verb=verb).count()


def _state() -> tuple[Any, ...]:
    """Everything a refused sharing call must leave as it was."""
    return (
        list(Agreement.objects.order_by("code").values_list("code", "status", "review_date")),
        list(Disclosure.objects.order_by("pk").values_list("pk", "status", "package_file")),
        list(AuditEvent.objects.filter(verb__regex=r"^(isa|disclosure|package)\.").values_list("verb", flat=True)),
        Export.objects.count(),
    )


@pytest.fixture
def red(officer_a: User, spoc_a: User) -> Person:
    return a_nominal(officer_a, spoc_a, band="red", name="Tariq Okonkwo-Brennan")


@pytest.fixture
def agreement(central: User, iru: User) -> Agreement:
    return an_agreement(central, iru)


@pytest.fixture
def pending(officer_a: User, agreement: Agreement, red: Person) -> Disclosure:
    return services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )


def _request_body(agreement: Agreement | uuid.UUID, *people: Person, necessity: str = NECESSITY) -> dict[str, Any]:
    key = agreement.pk if isinstance(agreement, Agreement) else agreement
    return {
        "agreement": str(key),
        "purpose": PURPOSE,
        "people": [{"person": str(p.pk), "necessity": necessity} for p in people],
    }


# Authentication --------------------------------------------------------------------------------------------------


OPERATIONS = [
    ("get", "agreement-list", {}),
    ("post", "agreement-list", {}),
    ("get", "agreement-detail", {"agreement_id": uuid.uuid4()}),
    ("post", "agreement-approve", {"agreement_id": uuid.uuid4()}),
    ("post", "agreement-revoke", {"agreement_id": uuid.uuid4()}),
    ("get", "disclosure-list", {}),
    ("post", "disclosure-list", {}),
    ("get", "disclosure-detail", {"disclosure_id": uuid.uuid4()}),
    ("post", "disclosure-approve", {"disclosure_id": uuid.uuid4()}),
    ("post", "disclosure-refuse", {"disclosure_id": uuid.uuid4()}),
    ("post", "disclosure-withdraw", {"disclosure_id": uuid.uuid4()}),
    ("get", "package", {"disclosure_id": uuid.uuid4()}),
]


@pytest.mark.parametrize(("method", "name", "kwargs"), OPERATIONS)
def test_every_operation_but_destruction_needs_a_token(
    reference_data: None, method: str, name: str, kwargs: dict[str, Any]
) -> None:
    response = getattr(APIClient(), method)(_url(name, **kwargs), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# Agreements ------------------------------------------------------------------------------------------------------


def test_any_account_in_service_reads_agreements(auditor: User, agreement: Agreement, api_for: ApiFor) -> None:
    client = api_for(auditor, purpose=None)
    listed = client.get(_url("agreement-list"))
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    [row] = listed.json()["results"]
    assert row == {
        "id": str(agreement.pk),
        "code": "ISA-0001",
        "title": agreement.title,
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "status": "approved",
        "in_force": True,
        "review_date": agreement.review_date.isoformat(),
    }
    one = client.get(_url("agreement-detail", agreement_id=agreement.pk))
    assert one.status_code == 200
    assert one.json()["fields"] == agreement.fields
    assert one.json()["recipient_key"] == agreement.recipient_key
    assert client.get(_url("agreement-detail", agreement_id=uuid.uuid4())).status_code == 404


def test_an_agreement_past_its_review_date_reads_as_expired(
    officer_a: User, agreement: Agreement, api_for: ApiFor
) -> None:
    Agreement.objects.filter(pk=agreement.pk).update(review_date=timezone.localdate() - dt.timedelta(days=1))
    body = api_for(officer_a).get(_url("agreement-detail", agreement_id=agreement.pk)).json()
    assert (body["status"], body["in_force"]) == ("expired", False)


def test_draft_approve_and_revoke_an_agreement(central: User, iru: User, api_for: ApiFor) -> None:
    drafted = api_for(central).post(_url("agreement-list"), _draft_body(), format="json")
    assert drafted.status_code == 201, drafted.json()
    body = drafted.json()
    assert (body["code"], body["status"], body["in_force"]) == ("ISA-0001", "draft", False)
    assert drafted["Location"] == _url("agreement-detail", agreement_id=body["id"])
    assert body["signatories"][0]["organisation"] == "Metropolitan Police Service"
    assert _events(Verb.ISA_DRAFTED) == 1

    approved = api_for(iru).post(
        _url("agreement-approve", agreement_id=body["id"]), {"notes": "Within the guidance."}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["in_force"]) == ("approved", True)
    assert approved.json()["approval_notes"] == "Within the guidance."

    short = api_for(iru).post(_url("agreement-revoke", agreement_id=body["id"]), {"reasons": "No."}, format="json")
    assert short.status_code == 400
    assert "at least 20 characters" in short.json()["reasons"][0]
    assert Agreement.objects.get(pk=body["id"]).status == Agreement.Status.APPROVED

    revoked = api_for(iru).post(
        _url("agreement-revoke", agreement_id=body["id"]),
        {"reasons": "The recipient breached the security terms."},
        format="json",
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["end_reasons"] == "The recipient breached the security terms."
    assert [e.verb for e in AuditEvent.objects.filter(object_type="isa").order_by("seq")] == [
        "isa.drafted",
        "isa.approved",
        "isa.revoked",
    ]


def test_a_non_statutory_agreement_needs_its_exceptions_with_reasons(central: User, iru: User, api_for: ApiFor) -> None:
    body = _draft_body(recipient_kind="non_statutory", bands=["red", "green"])
    drafted = api_for(central).post(_url("agreement-list"), body, format="json").json()
    url = _url("agreement-approve", agreement_id=drafted["id"])
    refused = api_for(iru).post(url, {}, format="json")
    assert refused.status_code == 400
    assert "no statutory function" in refused.json()["exception_low_risk"][0]
    assert Agreement.objects.get().status == Agreement.Status.DRAFT
    reasons = "Green-band people referred to the housing panel with their consent."
    approved = api_for(iru).post(url, {"exceptions": {"low_risk": reasons}}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["exceptions"] == {"low_risk": reasons}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"fields": ["full_name", "ethnicity"]}, "fields", "These fields cannot be shared: ethnicity."),
        ({"recipient_key": "age1notakey"}, "recipient_key", "This is not a valid age public key"),
        ({"recipient_key": "ssh-ed25519 AAAAC3Nza"}, "recipient_key", "starts with 'age1' and is 62 characters long"),
        ({"recipient_key": "AGE-SECRET-KEY-1ABC"}, "recipient_key", "This is an age secret key"),
        ({"bands": ["purple"]}, "bands", "Choose bands from the list."),
        ({"recipient_kind": "charity"}, "recipient_kind", "exercises statutory functions"),
        ({"review_date": "2020-01-01"}, "review_date", "The review date must be in the future."),
        ({"retention_days": 0}, "retention_days", "Enter how many days"),
        ({"title": ""}, "title", "Enter a title."),
    ],
)
def test_a_draft_outside_the_rules_is_refused_with_a_message_and_nothing_written(
    central: User, api_for: ApiFor, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = _state()
    body = {**_draft_body(), **overrides}
    refused = api_for(central).post(_url("agreement-list"), body, format="json")
    assert refused.status_code == 400
    assert any(message in m for m in refused.json()[field]), refused.json()
    assert _state() == before


def test_a_draft_with_a_part_an_agreement_does_not_have_is_refused(central: User, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(central).post(_url("agreement-list"), {**_draft_body(), "ethnicity": "all"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["An agreement has no such part: ethnicity."]}
    assert _state() == before


def test_a_malformed_review_date_is_a_field_error(central: User, api_for: ApiFor) -> None:
    refused = api_for(central).post(
        _url("agreement-list"), {**_draft_body(), "review_date": "next year"}, format="json"
    )
    assert refused.status_code == 400
    assert "review_date" in refused.json()
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("persona", ["officer_a", "spoc_a", "auditor", "dpo"])
def test_only_the_iru_and_central_governance_draft(
    persona: str, request: pytest.FixtureRequest, api_for: ApiFor
) -> None:
    user: User = request.getfixturevalue(persona)
    before = _state()
    refused = api_for(user).post(_url("agreement-list"), _draft_body(), format="json")
    assert refused.status_code == 403
    assert "Only the Information Rights Unit or central governance" in refused.json()["detail"]
    assert _state() == before


def test_the_drafter_cannot_approve_their_own_agreement(iru: User, central: User, api_for: ApiFor) -> None:
    drafted = services.agreement_draft(actor=iru, data=agreement_input())
    before = _state()
    for user in (iru, central):
        refused = api_for(user).post(_url("agreement-approve", agreement_id=drafted.pk), {}, format="json")
        assert refused.status_code == 403
        assert "not the person who drafted it" in refused.json()["detail"]
    assert _state() == before


def test_an_approved_agreement_cannot_be_approved_again(agreement: Agreement, iru_2: User, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(iru_2).post(_url("agreement-approve", agreement_id=agreement.pk), {}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "ISA-0001 is approved: only a draft can be approved."}
    assert _state() == before


def test_only_the_iru_revokes(agreement: Agreement, central: User, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(central).post(
        _url("agreement-revoke", agreement_id=agreement.pk), {"reasons": REASONS}, format="json"
    )
    assert refused.status_code == 403
    assert _state() == before


# Disclosures: asking ---------------------------------------------------------------------------------------------


def test_an_officer_asks_for_a_disclosure(officer_a: User, agreement: Agreement, red: Person, api_for: ApiFor) -> None:
    made = api_for(officer_a).post(_url("disclosure-list"), _request_body(agreement, red), format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    disclosure = Disclosure.objects.get()
    assert body["id"] == str(disclosure.pk)
    assert body["reference"] == disclosure.short_ref
    assert (body["status"], body["people_count"], body["agreement"]) == ("pending", 1, "ISA-0001")
    assert body["purpose"] == PURPOSE
    assert {c["rule"] for c in body["checks"]} >= {"agreement_in_force", "people_covered", "necessity"}
    assert all(c["passed"] for c in body["checks"])
    assert body["band_counts"] == {"red": 1}
    assert made["Location"] == _url("disclosure-detail", disclosure_id=disclosure.pk)
    assert "Okonkwo" not in made.content.decode()
    event = AuditEvent.objects.get(verb=Verb.DISCLOSURE_REQUESTED)
    assert event.targets == [red.ref]
    assert event.purpose == PURPOSE


def test_the_purpose_may_come_from_the_header(
    officer_a: User, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    body = {**_request_body(agreement, red), "purpose": ""}
    made = api_for(officer_a, purpose="OP-9: header purpose").post(_url("disclosure-list"), body, format="json")
    assert made.status_code == 201, made.json()
    assert Disclosure.objects.get().purpose == "OP-9: header purpose"


def test_an_unknown_agreement_is_not_found(officer_a: User, red: Person, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(officer_a).post(_url("disclosure-list"), _request_body(uuid.uuid4(), red), format="json")
    assert refused.status_code == 404
    assert refused.json() == {"detail": "No such agreement."}
    assert _state() == before


def test_an_expired_agreement_refuses_a_request(
    officer_a: User, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    past = timezone.localdate() - dt.timedelta(days=1)
    Agreement.objects.filter(pk=agreement.pk).update(review_date=past)
    before = _state()
    refused = api_for(officer_a).post(_url("disclosure-list"), _request_body(agreement, red), format="json")
    assert refused.status_code == 400
    assert refused.json() == {"detail": f"ISA-0001 expired on {past.isoformat()}: nothing can be shared under it."}
    assert _state() == before


def test_a_draft_agreement_refuses_a_request(officer_a: User, central: User, red: Person, api_for: ApiFor) -> None:
    draft = services.agreement_draft(actor=central, data=agreement_input())
    before = _state()
    refused = api_for(officer_a).post(_url("disclosure-list"), _request_body(draft, red), format="json")
    assert refused.status_code == 400
    assert "is a draft" in refused.json()["detail"]
    assert _state() == before


def test_a_person_the_agreement_does_not_cover_is_named_by_reference(
    officer_a: User, spoc_a: User, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    green = a_nominal(officer_a, spoc_a, band="green", name="Siobhan Achterberg")
    before = _state()
    refused = api_for(officer_a).post(_url("disclosure-list"), _request_body(agreement, red, green), format="json")
    assert refused.status_code == 400
    assert refused.json() == {"people": [f"{green.short_ref}: band green is not covered by the agreement"]}
    assert "Achterberg" not in refused.content.decode()
    assert _state() == before


def test_a_missing_reason_of_necessity_is_refused(
    officer_a: User, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    before = _state()
    refused = api_for(officer_a).post(
        _url("disclosure-list"), _request_body(agreement, red, necessity="needed"), format="json"
    )
    assert refused.status_code == 400
    assert "say why sharing is necessary" in refused.json()["people"][0]
    assert _state() == before


def test_a_person_out_of_reach_is_refused(officer_b: User, agreement: Agreement, red: Person, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(officer_b).post(_url("disclosure-list"), _request_body(agreement, red), format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Some of these people are outside what you may see."}
    assert _state() == before


def test_a_malformed_purpose_is_refused(officer_a: User, agreement: Agreement, red: Person, api_for: ApiFor) -> None:
    before = _state()
    body = {**_request_body(agreement, red), "purpose": "because"}
    refused = api_for(officer_a).post(_url("disclosure-list"), body, format="json")
    assert refused.status_code == 400
    assert "Declare the purpose" in refused.json()["purpose"][0]
    assert _state() == before


@pytest.mark.parametrize(("persona", "status"), [("iru", 403), ("dpo", 403), ("auditor", 403), ("sysadmin", 403)])
def test_roles_that_may_not_ask_are_refused(
    persona: str, status: int, request: pytest.FixtureRequest, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    user: User = request.getfixturevalue(persona)
    before = _state()
    refused = api_for(user).post(_url("disclosure-list"), _request_body(agreement, red), format="json")
    assert refused.status_code == status
    assert refused.json()["detail"]
    assert _state() == before


# Disclosures: deciding, reading, the package ---------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_request(officer_a: User, pending: Disclosure, api_for: ApiFor) -> None:
    before = _state()
    refused = api_for(officer_a).post(
        _url("disclosure-approve", disclosure_id=pending.pk), {"reasons": REASONS}, format="json"
    )
    assert refused.status_code == 403
    assert "never the person who asked" in refused.json()["detail"]
    assert _state() == before


def test_a_disclosure_out_of_reach_is_not_found(officer_b: User, pending: Disclosure, api_for: ApiFor) -> None:
    before = _state()
    client = api_for(officer_b)
    for name in ("disclosure-approve", "disclosure-refuse", "disclosure-withdraw"):
        assert client.post(_url(name, disclosure_id=pending.pk), {"reasons": REASONS}, format="json").status_code == 404
    assert client.get(_url("disclosure-detail", disclosure_id=pending.pk)).status_code == 404
    assert client.get(_url("package", disclosure_id=pending.pk)).status_code == 404
    assert _state() == before
    assert not AuditEvent.objects.filter(verb=Verb.DISCLOSURE_CONSULTED).exists()


def test_approve_download_open_and_confirm_destruction(
    officer_a: User, iru: User, pending: Disclosure, red: Person, api_for: ApiFor
) -> None:
    no_package = api_for(officer_a).get(_url("package", disclosure_id=pending.pk))
    assert no_package.status_code == 400
    assert no_package.json() == {"detail": "There is no package: the disclosure was not approved."}

    approved = api_for(iru).post(
        _url("disclosure-approve", disclosure_id=pending.pk), {"reasons": REASONS}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "disclosed"
    assert approved.json()["decision_reasons"] == REASONS
    again = api_for(iru).post(_url("disclosure-approve", disclosure_id=pending.pk), {}, format="json")
    assert again.status_code == 400
    assert "has already been decided" in again.json()["detail"]

    download = api_for(officer_a).get(_url("package", disclosure_id=pending.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == f'attachment; filename="{pending.short_ref}.age"'
    ciphertext = download.content
    assert ciphertext.startswith(b"age-encryption.org/v1")
    assert b"Okonkwo" not in ciphertext
    document = json.loads(zipfile.ZipFile(io.BytesIO(age_decrypt(ciphertext, IDENTITY))).read("disclosure.json"))
    assert document["disclosure"] == pending.short_ref
    assert red.short_ref in {p["reference"] for p in document["people"]}
    assert document["destruction"]["page"] == "http://testserver/sharing/destroyed/"
    assert AuditEvent.objects.filter(verb=Verb.PACKAGE_DOWNLOADED).count() == 1

    anonymous = APIClient()
    wrong = anonymous.post(
        _url("destruction"),
        {"reference": pending.short_ref, "code": "not-the-code", "confirmed_by": "B. Signer"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "reference or the code is not right" in wrong.json()["code"][0]
    assert not Disclosure.objects.get(pk=pending.pk).is_destroyed
    code = document["destruction"]["code"]
    confirmed = anonymous.post(
        _url("destruction"),
        {"reference": pending.short_ref, "code": code, "confirmed_by": "B. Signer, Head of Youth Justice"},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["reference"] == pending.short_ref
    assert Disclosure.objects.get(pk=pending.pk).destroyed_by_name == "B. Signer, Head of Youth Justice"
    events = [e.verb for e in AuditEvent.objects.order_by("seq")]
    assert events[-3:] == ["package.destruction_refused", "package.destroyed", "export.destroyed"]
    gone = api_for(officer_a).get(_url("package", disclosure_id=pending.pk))
    assert gone.status_code == 400
    assert gone.json() == {"detail": "The recipient has confirmed this package destroyed."}


def test_approval_rechecks_the_agreement(iru: User, agreement: Agreement, pending: Disclosure, api_for: ApiFor) -> None:
    Agreement.objects.filter(pk=agreement.pk).update(review_date=timezone.localdate() - dt.timedelta(days=1))
    before = _state()
    refused = api_for(iru).post(_url("disclosure-approve", disclosure_id=pending.pk), {}, format="json")
    assert refused.status_code == 400
    assert "expired on" in refused.json()["detail"]
    assert _state() == before


def test_reading_a_disclosure_needs_a_purpose_and_is_logged(
    officer_a: User, pending: Disclosure, red: Person, api_for: ApiFor
) -> None:
    url = _url("disclosure-detail", disclosure_id=pending.pk)
    missing = api_for(officer_a, purpose=None).get(url)
    assert missing.status_code == 400
    assert "X-Custos-Purpose" in missing.json()["purpose"][0]
    assert not AuditEvent.objects.filter(verb=Verb.DISCLOSURE_CONSULTED).exists()

    body = api_for(officer_a, purpose="OP-3: checking my request").get(url).json()
    [person] = body["people"]
    assert person == {
        "reference": red.short_ref,
        "band": "Red",
        "categories": person["categories"],
        "necessity": NECESSITY,
    }
    assert person["categories"]
    assert body["people_erased"] == 0
    assert "Okonkwo" not in json.dumps(body)
    assert body["requested_by"] == officer_a.username
    assert body["decided_by"] == ""
    event = AuditEvent.objects.get(verb=Verb.DISCLOSURE_CONSULTED)
    assert event.targets == [red.ref]
    assert event.object_ref == pending.ref
    assert event.purpose == "OP-3: checking my request"
    assert event.detail["bcu"] == red.bcu.code


def test_refuse_and_withdraw(
    officer_a: User, iru: User, spoc_a: User, agreement: Agreement, red: Person, api_for: ApiFor
) -> None:
    first = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    short = api_for(iru).post(_url("disclosure-refuse", disclosure_id=first.pk), {"reasons": "no"}, format="json")
    assert short.status_code == 400
    assert "at least 20 characters" in short.json()["reasons"][0]
    assert Disclosure.objects.get(pk=first.pk).status == Disclosure.Status.PENDING
    refused = api_for(spoc_a).post(
        _url("disclosure-refuse", disclosure_id=first.pk),
        {"reasons": "Not necessary for this referral."},
        format="json",
    )
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"

    second = services.disclosure_request(
        actor=officer_a, agreement=agreement, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY)]
    )
    not_theirs = api_for(iru).post(_url("disclosure-withdraw", disclosure_id=second.pk), {}, format="json")
    assert not_theirs.status_code == 403
    assert not_theirs.json() == {"detail": "Only the person who asked may withdraw."}
    assert Disclosure.objects.get(pk=second.pk).status == Disclosure.Status.PENDING
    withdrawn = api_for(officer_a).post(_url("disclosure-withdraw", disclosure_id=second.pk), {}, format="json")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"


def test_the_list_shows_only_what_the_caller_may_see_and_no_names(
    officer_a: User, officer_b: User, dpo: User, auditor: User, pending: Disclosure, api_for: ApiFor
) -> None:
    mine = api_for(officer_a).get(_url("disclosure-list"))
    assert mine.status_code == 200
    assert [r["reference"] for r in mine.json()["results"]] == [pending.short_ref]
    assert "Okonkwo" not in mine.content.decode()
    assert "purpose" not in mine.json()["results"][0]
    assert api_for(officer_b).get(_url("disclosure-list")).json()["count"] == 0
    assert api_for(dpo).get(_url("disclosure-list")).json()["count"] == 1
    assert api_for(dpo).get(_url("disclosure-list"), {"status": "disclosed"}).json()["count"] == 0
    assert api_for(auditor).get(_url("disclosure-list")).status_code == 403
    listed = AuditEvent.objects.filter(verb=Verb.DISCLOSURES_LISTED, actor_username=officer_a.username).get()
    assert listed.targets == [pending.ref]
    assert listed.purpose == API_PURPOSE


# The schema ------------------------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_describes_sharing(officer_a: User, api_for: ApiFor) -> None:
    response = api_for(officer_a).get(reverse("api:openapi"))
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # type: ignore[no-untyped-call]
    sharing = {path: ops for path, ops in schema["paths"].items() if path.startswith("/api/v1/sharing/")}
    assert set(sharing) == {
        "/api/v1/sharing/agreements/",
        "/api/v1/sharing/agreements/{agreement_id}/",
        "/api/v1/sharing/agreements/{agreement_id}/approve/",
        "/api/v1/sharing/agreements/{agreement_id}/revoke/",
        "/api/v1/sharing/disclosures/",
        "/api/v1/sharing/disclosures/{disclosure_id}/",
        "/api/v1/sharing/disclosures/{disclosure_id}/approve/",
        "/api/v1/sharing/disclosures/{disclosure_id}/refuse/",
        "/api/v1/sharing/disclosures/{disclosure_id}/withdraw/",
        "/api/v1/sharing/disclosures/{disclosure_id}/package",
        "/api/v1/sharing/destruction/",
    }
    for path, ops in sharing.items():
        for method, op in ops.items():
            if path == "/api/v1/sharing/destruction/":
                assert op.get("security", []) in ([], [{}]), op.get("security")
                continue
            assert op["security"] == [{"apiToken": []}], (method, path)
            assert "401" in op["responses"], (method, path)
    package = sharing["/api/v1/sharing/disclosures/{disclosure_id}/package"]["get"]["responses"]["200"]
    assert list(package["content"]) == ["application/octet-stream"]
