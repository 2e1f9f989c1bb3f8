"""The sharing pages: each for the right roles, refusals change nothing, the package downloads, the public page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import User
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent, Verb
from custos.register.models import Person
from custos.retention.tests.builders import a_nominal
from custos.sharing import services
from custos.sharing.models import Agreement, Disclosure
from custos.sharing.services import Asked
from custos.sharing.tests.builders import NECESSITY, PURPOSE, REASONS, RECIPIENT, agreement_input, an_agreement

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def signed_in(client_for: ClientFor, user: User) -> Client:
    return with_purpose(client_for(user))


def _date(name: str, when: dt.date) -> dict[str, str]:
    return {f"{name}_0": str(when.day), f"{name}_1": str(when.month), f"{name}_2": str(when.year)}


def agreement_form(**overrides: Any) -> dict[str, Any]:
    """The draft form as a user fills it in (a statutory recipient, offenders in red and amber)."""
    data: dict[str, Any] = {
        "title": "Youth offending service referrals",
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "parties": "Metropolitan Police Service\nLondon Borough of Hackney",
        "legal_basis": "DPA 2018 s.35(2)(b); Crime and Disorder Act 1998 s.115",
        "purpose": "Assessment and support of young people referred by the police.",
        "allowed_fields": ["reference", "full_name", "date_of_birth", "band"],
        "categories": ["suspected_offender"],
        "bands": ["red", "amber"],
        "onward_sharing": "None without the police's written consent.",
        "retention_days": "30",
        "retention_rules": "",
        "security": "OFFICIAL-SENSITIVE; encrypted storage.",
        "recipient_key": RECIPIENT,
        **_date("review_date", timezone.localdate() + dt.timedelta(days=200)),
        "signatory_1_name": "A. Signer",
        "signatory_1_role": "Detective Superintendent",
        "signatory_1_organisation": "Metropolitan Police Service",
        "signatory_2_name": "B. Signer",
        "signatory_2_role": "Head of Youth Justice",
        "signatory_2_organisation": "London Borough of Hackney",
    }
    data.update(overrides)
    return data


def a_request(officer: User, agreement: Agreement, *people: Person) -> Disclosure:
    return services.disclosure_request(
        actor=officer, agreement=agreement, purpose=PURPOSE, people=[Asked(p.pk, NECESSITY) for p in people]
    )


# --- agreements ---------------------------------------------------------------------------------------------


def test_the_list_shows_effective_status_and_only_drafters_get_the_button(
    central: User, iru: User, officer_a: User, auditor: User, client_for: ClientFor
) -> None:
    agreement = an_agreement(central, iru)
    Agreement.objects.filter(pk=agreement.pk).update(review_date=timezone.localdate() - dt.timedelta(days=1))
    page = signed_in(client_for, officer_a).get(reverse("web:sharing_agreements"))
    assert page.status_code == 200
    html = page.content.decode()
    assert agreement.code in html
    assert "Expired" in html
    assert "Draft an agreement" not in html
    assert (
        "Draft an agreement" in signed_in(client_for, central).get(reverse("web:sharing_agreements")).content.decode()
    )
    assert signed_in(client_for, auditor).get(reverse("web:sharing_agreements")).status_code == 200


def test_central_governance_drafts_an_agreement_through_the_form(central: User, client_for: ClientFor) -> None:
    client = signed_in(client_for, central)
    assert client.get(reverse("web:sharing_agreement_new")).status_code == 200
    response = client.post(reverse("web:sharing_agreement_new"), agreement_form())
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:sharing_agreement", args=[agreement.pk])
    assert agreement.status == Agreement.Status.DRAFT
    assert agreement.parties[:2] == ["Metropolitan Police Service", "London Borough of Hackney"]
    assert len(agreement.signatories) == 2
    assert AuditEvent.objects.filter(verb=Verb.ISA_DRAFTED, object_ref=agreement.ref).exists()


def test_a_malformed_key_and_a_field_not_allowed_are_shown_and_nothing_is_saved(
    central: User, client_for: ClientFor
) -> None:
    data = agreement_form(recipient_key="age1notakey", allowed_fields=["full_name", "ethnicity"])
    response = signed_in(client_for, central).post(reverse("web:sharing_agreement_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    assert "These fields cannot be shared: ethnicity." in html
    assert 'id="id_recipient_key-error"' in html
    assert 'value="Youth offending service referrals"' in html  # what was typed is kept
    assert Agreement.objects.count() == 0


def test_an_officer_may_not_draft(officer_a: User, client_for: ClientFor) -> None:
    client = signed_in(client_for, officer_a)
    assert client.get(reverse("web:sharing_agreement_new")).status_code == 403
    assert client.post(reverse("web:sharing_agreement_new"), agreement_form()).status_code == 403
    assert Agreement.objects.count() == 0


def test_a_draft_is_changed_and_an_approved_one_cannot_be(central: User, iru: User, client_for: ClientFor) -> None:
    draft = services.agreement_draft(actor=central, data=agreement_input())
    client = signed_in(client_for, central)
    edit = reverse("web:sharing_agreement_edit", args=[draft.pk])
    assert "Hackney Youth Offending Service" in client.get(edit).content.decode()
    assert client.post(edit, agreement_form(title="Renamed referrals")).status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Renamed referrals"
    approved = an_agreement(central, iru)
    assert client.get(reverse("web:sharing_agreement_edit", args=[approved.pk])).status_code == 403


def test_the_iru_approves_with_an_exception_for_a_non_statutory_recipient(
    central: User, iru: User, client_for: ClientFor
) -> None:
    draft = services.agreement_draft(
        actor=central, data=agreement_input(recipient_kind="non_statutory", fields=["reference", "intelligence"])
    )
    page = reverse("web:sharing_agreement", args=[draft.pk])
    client = signed_in(client_for, iru)
    assert 'name="exception_intelligence_text"' in client.get(page).content.decode()
    refused = client.post(page, {"action": "approve", "notes": "ok"})
    assert refused.status_code == 200
    assert "Give the reasons for an exception" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == Agreement.Status.DRAFT
    reasons = "The safeguarding lead of the school must see the items."
    done = client.post(page, {"action": "approve", "exception_intelligence_text": reasons, "notes": ""})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Agreement.Status.APPROVED
    assert draft.exceptions == {"intelligence_text": reasons}
    assert reasons in client.get(page).content.decode()


def test_the_drafter_and_central_governance_cannot_approve(iru: User, iru_2: User, client_for: ClientFor) -> None:
    draft = services.agreement_draft(actor=iru, data=agreement_input())
    page = reverse("web:sharing_agreement", args=[draft.pk])
    client = signed_in(client_for, iru)
    assert "Approve the agreement" not in client.get(page).content.decode()
    assert client.post(page, {"action": "approve"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Agreement.Status.DRAFT
    assert signed_in(client_for, iru_2).post(page, {"action": "approve"}).status_code == 302


def test_revoke_needs_reasons_and_renew_makes_a_new_draft(central: User, iru: User, client_for: ClientFor) -> None:
    agreement = an_agreement(central, iru)
    page = reverse("web:sharing_agreement", args=[agreement.pk])
    assert signed_in(client_for, central).post(page, {"action": "revoke", "reasons": REASONS}).status_code == 403
    client = signed_in(client_for, iru)
    short = client.post(page, {"action": "revoke", "reasons": "because"})
    assert short.status_code == 200
    assert "Give the reasons" in short.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.APPROVED
    renewed = signed_in(client_for, central).post(page, {"action": "renew"})
    new = Agreement.objects.get(supersedes=agreement)
    assert renewed["Location"] == reverse("web:sharing_agreement_edit", args=[new.pk])
    assert client.post(page, {"action": "revoke", "reasons": REASONS}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.REVOKED
    assert REASONS in client.get(page).content.decode()


def test_an_unknown_agreement_is_404(officer_a: User, client_for: ClientFor) -> None:
    client = signed_in(client_for, officer_a)
    assert (
        client.get(reverse("web:sharing_agreement", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
    )


def test_the_guidance_is_rendered_from_the_rules(auditor: User, client_for: ClientFor) -> None:
    from custos.sharing import rules

    html = signed_in(client_for, auditor).get(reverse("web:sharing_guidance")).content.decode()
    assert f"Version {rules.GUIDANCE_VERSION}" in html
    for label, _ in rules.FIELDS.values():
        assert label in html
    for text in rules.EXCEPTIONS.values():
        assert text in html


# --- disclosures ----------------------------------------------------------------------------------------------


@pytest.fixture
def red(officer_a: User, spoc_a: User) -> Person:
    return a_nominal(officer_a, spoc_a, band="red", name="Tariq Okonkwo-Brennan")


def test_an_officer_asks_for_a_disclosure_by_reference(
    officer_a: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    agreement = an_agreement(central, iru)
    client = signed_in(client_for, officer_a)
    form = client.get(reverse("web:sharing_disclosure_new"))
    assert agreement.code in form.content.decode()
    response = client.post(
        reverse("web:sharing_disclosure_new"),
        {"agreement": str(agreement.pk), "purpose": PURPOSE, "people": f"{red.short_ref} | {NECESSITY}"},
    )
    disclosure = Disclosure.objects.get()
    assert response["Location"] == reverse("web:sharing_disclosure", args=[disclosure.pk])
    assert disclosure.people_refs == [red.ref]
    assert disclosure.requested_by == officer_a


def test_unknown_or_unreachable_people_are_named_by_reference_only(
    officer_b: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    agreement = an_agreement(central, iru)
    response = signed_in(client_for, officer_b).post(
        reverse("web:sharing_disclosure_new"),
        {
            "agreement": str(agreement.pk),
            "purpose": PURPOSE,
            "people": f"{red.short_ref} | {NECESSITY}\nP-00000000 | {NECESSITY}",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{red.short_ref}: no person you may see has this reference." in html
    assert "P-00000000: no person you may see has this reference." in html
    assert "Okonkwo" not in html
    assert Disclosure.objects.count() == 0


def test_an_expired_agreement_refuses_the_request(
    officer_a: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    agreement = an_agreement(central, iru)
    client = signed_in(client_for, officer_a)
    Agreement.objects.filter(pk=agreement.pk).update(review_date=timezone.localdate() - dt.timedelta(days=1))
    response = client.post(
        reverse("web:sharing_disclosure_new"),
        {"agreement": str(agreement.pk), "purpose": PURPOSE, "people": f"{red.short_ref} | {NECESSITY}"},
    )
    assert response.status_code == 200
    assert "Choose an agreement from the list." in response.content.decode()
    assert Disclosure.objects.count() == 0


def test_an_auditor_may_not_ask_or_list(auditor: User, client_for: ClientFor) -> None:
    client = signed_in(client_for, auditor)
    assert client.get(reverse("web:sharing_disclosure_new")).status_code == 403
    assert client.get(reverse("web:sharing_disclosures")).status_code == 403


def test_the_list_shows_references_and_counts_only_and_is_logged(
    officer_a: User, officer_b: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    disclosure = a_request(officer_a, an_agreement(central, iru), red)
    html = signed_in(client_for, officer_a).get(reverse("web:sharing_disclosures")).content.decode()
    assert disclosure.short_ref in html
    assert "Okonkwo" not in html
    event = AuditEvent.objects.filter(verb=Verb.DISCLOSURES_LISTED).latest("seq")
    assert event.targets == [disclosure.ref]
    assert event.detail["shown"] == 1
    other = signed_in(client_for, officer_b).get(reverse("web:sharing_disclosures")).content.decode()
    assert disclosure.short_ref not in other


def test_the_disclosure_page_shows_the_people_and_logs_the_consultation(
    officer_a: User, officer_b: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    disclosure = a_request(officer_a, an_agreement(central, iru), red)
    page = reverse("web:sharing_disclosure", args=[disclosure.pk])
    html = signed_in(client_for, officer_a).get(page).content.decode()
    assert "Tariq Okonkwo-Brennan" in html
    assert NECESSITY in html
    assert red.short_ref in html
    event = AuditEvent.objects.filter(verb=Verb.DISCLOSURE_CONSULTED).latest("seq")
    assert event.targets == [red.ref]
    assert event.purpose.startswith("OP-TEST")
    assert signed_in(client_for, officer_b).get(page).status_code == 404


def test_the_requester_cannot_approve_their_own_request(
    spoc_a: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    disclosure = a_request(spoc_a, an_agreement(central, iru), red)
    page = reverse("web:sharing_disclosure", args=[disclosure.pk])
    client = signed_in(client_for, spoc_a)
    assert "Approve and make the package" not in client.get(page).content.decode()
    assert client.post(page, {"action": "approve", "approve-reasons": REASONS}).status_code == 403
    disclosure.refresh_from_db()
    assert disclosure.status == Disclosure.Status.PENDING


def test_a_spoc_approves_and_the_package_downloads_as_age_ciphertext(
    officer_a: User, spoc_a: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    disclosure = a_request(officer_a, an_agreement(central, iru), red)
    page = reverse("web:sharing_disclosure", args=[disclosure.pk])
    spoc = signed_in(client_for, spoc_a)
    assert spoc.post(page, {"action": "approve", "approve-reasons": REASONS}).status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.status == Disclosure.Status.DISCLOSED
    html = spoc.get(page).content.decode()
    assert disclosure.package_sha256 in html
    assert disclosure.export_ref in html
    response = signed_in(client_for, officer_a).post(page, {"action": "download"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{disclosure.short_ref}.age"'
    assert response.content.startswith(b"age-encryption.org/v1")
    assert AuditEvent.objects.filter(verb=Verb.PACKAGE_DOWNLOADED, object_ref=disclosure.ref).count() == 1


def test_refusal_needs_reasons_and_withdrawal_is_the_requesters(
    officer_a: User, central: User, iru: User, red: Person, client_for: ClientFor
) -> None:
    agreement = an_agreement(central, iru)
    first = a_request(officer_a, agreement, red)
    page = reverse("web:sharing_disclosure", args=[first.pk])
    client = signed_in(client_for, iru)
    short = client.post(page, {"action": "refuse", "refuse-reasons": "no"})
    assert short.status_code == 200
    assert "Give the reasons" in short.content.decode()
    assert client.post(page, {"action": "withdraw"}).status_code == 403
    assert client.post(page, {"action": "refuse", "refuse-reasons": REASONS}).status_code == 302
    first.refresh_from_db()
    assert first.status == Disclosure.Status.REFUSED
    second = a_request(officer_a, agreement, red)
    response = signed_in(client_for, officer_a).post(
        reverse("web:sharing_disclosure", args=[second.pk]), {"action": "withdraw"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Disclosure.Status.WITHDRAWN


# --- the recipient's confirmation -----------------------------------------------------------------------------


def _disclosed(officer: User, approver: User, central: User, iru: User, person: Person) -> Disclosure:
    disclosure = a_request(officer, an_agreement(central, iru), person)
    return services.disclosure_approve(actor=approver, disclosure=disclosure, reasons=REASONS)


def test_the_public_page_confirms_destruction_without_signing_in(
    officer_a: User, spoc_a: User, central: User, iru: User, red: Person
) -> None:
    import io
    import json
    import zipfile

    from custos.sharing.tests.test_flow import age_decrypt_cli

    disclosure = _disclosed(officer_a, spoc_a, central, iru, red)
    anonymous = Client()
    page = reverse("web:sharing_destroyed")
    assert anonymous.get(page).status_code == 200
    wrong = anonymous.post(
        page, {"reference": disclosure.short_ref, "code": "WRONG-CODE", "name": "C. Keeper", "role": "Records lead"}
    )
    assert wrong.status_code == 200
    assert "The disclosure reference or the code is not right" in wrong.content.decode()
    unknown = anonymous.post(
        page, {"reference": "D-00000000", "code": "WRONG-CODE", "name": "C. Keeper", "role": "Records lead"}
    )
    assert "The disclosure reference or the code is not right" in unknown.content.decode()
    disclosure.refresh_from_db()
    assert disclosure.destroyed_at is None
    import tempfile
    from pathlib import Path

    plain = age_decrypt_cli(services.package_path(disclosure).read_bytes(), Path(tempfile.mkdtemp()))
    code = json.loads(zipfile.ZipFile(io.BytesIO(plain)).read("disclosure.json"))["destruction"]["code"]
    done = anonymous.post(
        page, {"reference": disclosure.short_ref, "code": code, "name": "C. Keeper", "role": "Records lead"}
    )
    assert done.status_code == 200
    assert "Destruction confirmed" in done.content.decode()
    disclosure.refresh_from_db()
    assert disclosure.destroyed_by_name == "C. Keeper, Records lead"


def test_the_header_offers_sharing_to_auditors_and_requesters(
    auditor: User, officer_a: User, client_for: ClientFor
) -> None:
    def menu(user: User) -> str:
        html = signed_in(client_for, user).get(reverse("web:tasks")).content.decode()
        return html.split('id="navigation"', 1)[1].split("</ul>", 1)[0]

    assert f'href="{reverse("web:sharing_agreements")}">Sharing<' in menu(auditor)
    assert f'href="{reverse("web:sharing_disclosures")}">Sharing<' in menu(officer_a)
