"""The DPIA pack: generated content on fixed data, versions and sign-off, the risk register, pages by role."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent, Verb
from custos.oversight.dpia import inventory, services
from custos.oversight.dpia.models import DpiaVersion, Risk, RiskRevision
from custos.register.tests.factories import a_person, an_item
from custos.retention.tests.builders import a_nominal
from custos.sharing.tests.builders import an_agreement

pytestmark = pytest.mark.django_db

RISK = {
    "title": "Unverified social media",
    "description": "Social media posts treated as evidence of gang membership.",
    "likelihood": 3,
    "impact": 4,
    "mitigations": "Unverified items never count towards a score.",
    "owner": "Central governance",
    "status": "open",
}


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def iru(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("iru", Role.IRU)


@pytest.fixture
def world(officer_a: User, spoc_a: User, make_user: Callable[..., User], iru: User) -> None:
    """Three nominals (red, red, green), one more person with one item, and one approved agreement."""
    a_nominal(officer_a, spoc_a, band="red", name="Alex One")
    a_nominal(officer_a, spoc_a, band="red", name="Blake Two")
    a_nominal(officer_a, spoc_a, band="green", name="Casey Three")
    extra = a_person(officer_a, full_name="Drew Four")
    an_item(officer_a, extra, source_reference="CAD 9")
    an_agreement(make_user("iru_drafter", Role.IRU), iru)


def _field(content: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    rows = next(m for m in content["inventory"] if m["model"] == model)["fields"]
    return next(r for r in rows if r["field"] == name)


def test_counts_on_fixed_data_are_the_hand_computed_ones(world: None, dpo: User) -> None:
    counts = inventory.dpia_content()["counts"]
    # 3 nominals + 1 extra person = 4 people; 3 × 2 items + 1 = 7 items.
    assert counts["people"] == 4
    assert counts["intelligence_items"] == 7
    # active nominations by band: two red, no amber, one green, none unbanded
    assert counts["active_nominations_by_band"] == {"red": 2, "amber": 0, "green": 1, "none": 0}
    assert counts["nominations_by_status"]["active"] == 3
    assert counts["nominations_by_status"]["proposed"] == 0
    # officer_a, spoc_a; iru and iru_drafter; dpo
    assert counts["users_by_role"]["officer"] == 1
    assert counts["users_by_role"]["bcu_spoc"] == 1
    assert counts["users_by_role"]["iru"] == 2
    assert counts["users_by_role"]["dpo"] == 1
    assert sum(counts["disclosures_by_status"].values()) == 0


def test_every_encrypted_field_of_person_is_listed_as_encrypted_and_personal(reference_data: None) -> None:
    content = inventory.dpia_content()
    for name in (
        "full_name",
        "aliases",
        "date_of_birth",
        "addresses",
        "observed_ethnicity",
        "self_defined_ethnicity",
        "gender",
    ):
        row = _field(content, "register.Person", name)
        assert row["encrypted"], name
        assert row["personal"], name
    for name in ("observed_ethnicity", "self_defined_ethnicity", "gender"):
        assert _field(content, "register.Person", name)["special_category"]
    assert not _field(content, "register.Person", "full_name")["special_category"]
    summary = _field(content, "register.IntelligenceItem", "summary")
    assert summary["encrypted"]
    assert summary["criminal_offence"]
    assert _field(content, "register.IntelligenceItem", "offence_code")["criminal_offence"]
    assert _field(content, "accounts.User", "username")["category"] == "staff"
    assert not _field(content, "register.BCU", "name")["personal"]
    assert [m["model"].split(".")[0] for m in content["inventory"][:1]] == ["register"]
    assert {m["model"].split(".")[0] for m in content["inventory"]} == set(inventory.INVENTORIED_APPS)


def test_flows_retention_roles_and_controls_come_from_the_system(world: None) -> None:
    content = inventory.dpia_content()
    [flow] = content["flows"]
    assert flow["code"].startswith("ISA-")
    assert flow["status"] == "approved"
    assert flow["disclosures_made"] == 0
    assert flow["fields"] == sorted(flow["fields"])
    assert content["retention"]["version"] == 1
    assert content["retention"]["definition"]["grace_days"] == 14
    roles = {r["role"]: r for r in content["roles"]}
    assert roles["auditor"]["register"] == []
    assert "register.decide_rag" in roles["bcu_spoc"]["register"]
    assert roles["iru"]["sharing"]["approve_agreement"] is True
    assert roles["officer"]["sharing"]["approve_agreement"] is False
    controls = {c["code"]: c for c in content["controls"]}
    assert controls["encryption_at_rest"]["evidence"]["people"] == 4
    assert controls["encryption_at_rest"]["evidence"]["people_with_live_data_key"] == 4
    assert controls["encryption_at_rest"]["in_place"] is True
    assert controls["audit_chain"]["evidence"]["checkpoints"] == 0
    assert controls["lockout"]["evidence"]["attempts"] >= 1


def test_same_data_gives_the_same_content(world: None, dpo: User) -> None:
    first = services.dpia_generate(actor=dpo)
    second = services.dpia_generate(actor=dpo)
    assert (first.number, second.number) == (1, 2)
    assert first.content == second.content
    assert first.content_sha256 == second.content_sha256 == inventory.content_sha256(inventory.dpia_content())
    assert json.dumps(first.content)  # JSON-ready


def test_the_content_changes_with_the_data(world: None, dpo: User, officer_a: User) -> None:
    before = services.dpia_generate(actor=dpo)
    a_person(officer_a, full_name="Eli Five")
    after = services.dpia_generate(actor=dpo)
    assert after.content["counts"]["people"] == before.content["counts"]["people"] + 1
    assert after.content_sha256 != before.content_sha256


def test_no_personal_value_is_in_the_content(world: None, dpo: User) -> None:
    text = json.dumps(services.dpia_generate(actor=dpo).content)
    for name in ("Alex One", "Blake Two", "Drew Four", "Example Road"):
        assert name not in text


def test_sign_off_freezes_the_version_and_embeds_the_register(world: None, dpo: User) -> None:
    services.risks_seed(actor=dpo)
    version = services.dpia_generate(actor=dpo)
    services.dpia_sign_off(actor=dpo, number=version.number, comments="Residual risk acceptable with mitigations.")
    version.refresh_from_db()
    assert version.is_signed_off
    assert version.signed_off_by == dpo
    assert len(version.risks) == 9
    frozen = [dict(r) for r in version.risks]
    services.risk_save(actor=dpo, code="no-audit", values=RISK)
    version.refresh_from_db()
    assert version.risks == frozen
    with pytest.raises(ValidationError):
        services.dpia_sign_off(actor=dpo, number=version.number, comments="Signing off once more, again.")
    version.sign_off_comments = "tampered"
    with pytest.raises(ValueError, match="never changes"):
        version.save()
    assert DpiaVersion.objects.get(pk=version.pk).sign_off_comments.startswith("Residual")
    verbs = list(AuditEvent.objects.filter(verb__startswith="dpia.").values_list("verb", flat=True))
    assert verbs == [Verb.RISKS_SEEDED, Verb.DPIA_GENERATED, Verb.DPIA_SIGNED_OFF, Verb.RISK_CHANGED]


def test_sign_off_needs_comments(world: None, dpo: User) -> None:
    version = services.dpia_generate(actor=dpo)
    with pytest.raises(ValidationError) as caught:
        services.dpia_sign_off(actor=dpo, number=version.number, comments="ok")
    assert "comments" in caught.value.message_dict


@pytest.mark.parametrize("persona", ["central", "auditor", "officer_a", "sysadmin"])
def test_only_the_dpo_generates_signs_off_and_edits_risks(
    persona: str, request: pytest.FixtureRequest, dpo: User
) -> None:
    user = request.getfixturevalue(persona)
    version = services.dpia_generate(actor=dpo)
    with pytest.raises(PermissionDenied):
        services.dpia_generate(actor=user)
    with pytest.raises(PermissionDenied):
        services.dpia_sign_off(actor=user, number=version.number, comments="Looks fine to me, signed.")
    with pytest.raises(PermissionDenied):
        services.risk_save(actor=user, values=RISK, new_code="x")


def test_every_change_of_a_risk_is_kept(dpo: User) -> None:
    services.risk_save(actor=dpo, values=RISK, new_code="social-media")
    services.risk_save(actor=dpo, code="social-media", values=RISK | {"likelihood": 2, "status": "mitigated"})
    risk = Risk.objects.get(code="social-media")
    assert risk.score == 8  # 2 × 4
    states = [r.state for r in RiskRevision.objects.filter(risk=risk).order_by("number")]
    assert [(s["score"], s["status"]) for s in states] == [(12, "open"), (8, "mitigated")]  # 3 × 4, then 2 × 4
    with pytest.raises(ValueError, match="append-only"):
        RiskRevision.objects.filter(risk=risk).first().save()  # type: ignore[union-attr]


def test_a_risk_out_of_range_is_refused(dpo: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.risk_save(actor=dpo, values=RISK | {"likelihood": 6, "impact": 0}, new_code="bad")
    assert set(caught.value.message_dict) == {"likelihood", "impact"}


def test_seeding_risks_is_idempotent(dpo: User) -> None:
    assert services.risks_seed(actor=dpo) == 9
    assert services.risks_seed(actor=dpo) == 0
    assert Risk.objects.count() == 9
    assert Risk.objects.get(code="disproportionate-impact").score == 20  # 4 × 5


def test_records_of_processing_follow_the_inventory(world: None) -> None:
    record = inventory.records_of_processing()
    assert record["transfers"] == "None outside the UK."
    assert [r["code"] for r in record["recipients"]] == [f["code"] for f in inventory.flows()]
    assert record["recipients_under_approved_agreements"] == 1
    assert "profiling" in record["profiling"]
    assert "advisory only" in record["profiling"]
    categories = {c["category"]: c["fields"] for c in record["personal_data_categories"]}
    assert "register.Person.self_defined_ethnicity" in categories["special category / protected characteristic"]
    assert "register.IntelligenceItem.summary" in categories["criminal offence data"]
    assert [c["code"] for c in record["data_subject_categories"]][:3] == [
        "suspected_offender",
        "convicted_offender",
        "victim",
    ]


# -- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("dpo", 200), ("central", 200), ("auditor", 200), ("iru", 200), ("officer_a", 403), ("sysadmin", 403)],
)
def test_pages_by_role(
    persona: str, status: int, request: pytest.FixtureRequest, dpo: User, client_for: Callable[[User], Client]
) -> None:
    version = services.dpia_generate(actor=dpo)
    services.risks_seed(actor=dpo)
    client = client_for(request.getfixturevalue(persona))
    for url in (
        reverse("web:dpia_list"),
        reverse("web:dpia_detail", args=[version.number]),
        reverse("web:dpia_json", args=[version.number]),
        reverse("web:dpia_risks"),
        reverse("web:dpia_risk", args=["no-audit"]),
        reverse("web:dpia_records_of_processing"),
    ):
        assert client.get(url).status_code == status, url


def test_a_missing_version_is_404(dpo: User, client_for: Callable[[User], Client]) -> None:
    assert client_for(dpo).get(reverse("web:dpia_detail", args=[99])).status_code == 404


def test_the_dpo_generates_and_signs_off_on_the_web(
    world: None, dpo: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(dpo)
    response = client.post(reverse("web:dpia_generate"))
    assert response.status_code == 302
    page = client.get(reverse("web:dpia_detail", args=[1])).content.decode()
    assert "Sign off version 1" in page
    assert "self_defined_ethnicity" in page
    bad = client.post(reverse("web:dpia_sign_off", args=[1]), {"comments": "no"})
    assert bad.status_code == 200
    assert "at least 10 characters" in bad.content.decode()
    good = client.post(reverse("web:dpia_sign_off", args=[1]), {"comments": "Accepted with the mitigations listed."})
    assert good.status_code == 302
    assert DpiaVersion.objects.get(number=1).is_signed_off
    assert "Sign off version 1" not in client.get(reverse("web:dpia_detail", args=[1])).content.decode()
    events = AuditEvent.objects.filter(actor_id=dpo.pk, verb__startswith="dpia.")
    assert [(e.verb, e.object_ref) for e in events] == [
        (Verb.DPIA_GENERATED, "dpia:1"),
        (Verb.DPIA_SIGNED_OFF, "dpia:1"),
    ]


def test_others_cannot_post(dpo: User, central: User, client_for: Callable[[User], Client]) -> None:
    services.dpia_generate(actor=dpo)
    services.risks_seed(actor=dpo)
    client = client_for(central)
    assert client.post(reverse("web:dpia_generate")).status_code == 403
    assert client.post(reverse("web:dpia_sign_off", args=[1]), {"comments": "x" * 20}).status_code == 403
    assert client.post(reverse("web:dpia_risk", args=["no-audit"]), RISK).status_code == 403
    assert client.post(reverse("web:dpia_risks"), RISK | {"code": "new"}).status_code == 403
    assert not DpiaVersion.objects.get(number=1).is_signed_off


def test_the_dpo_edits_a_risk_on_the_web(dpo: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(dpo)
    added = client.post(reverse("web:dpia_risks"), RISK | {"code": "social-media"})
    assert added.status_code == 302
    changed = client.post(reverse("web:dpia_risk", args=["social-media"]), RISK | {"impact": 5})
    assert changed.status_code == 302
    assert Risk.objects.get(code="social-media").score == 15  # 3 × 5
    page = client.get(reverse("web:dpia_risk", args=["social-media"])).content.decode()
    assert "score 12, open" in page
    assert "score 15, open" in page
    changed_events = AuditEvent.objects.filter(verb=Verb.RISK_CHANGED, actor_id=dpo.pk)
    assert [e.object_ref for e in changed_events] == ["risk:social-media", "risk:social-media"]
    invalid = client.post(reverse("web:dpia_risk", args=["social-media"]), RISK | {"title": ""})
    assert invalid.status_code == 200
    assert "Enter the title." in invalid.content.decode()


def test_exports_are_real_and_logged(
    world: None, dpo: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    version = services.dpia_generate(actor=dpo)
    client = client_for(auditor)
    pdf = client.get(reverse("web:dpia_pdf", args=[version.number]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 5000
    assert "attachment" in pdf["Content-Disposition"]
    document = json.loads(client.get(reverse("web:dpia_json", args=[version.number])).content)
    assert document["format"] == "custos-dpia-v1"
    assert document["content"] == version.content
    assert document["content_sha256"] == version.content_sha256
    exported = AuditEvent.objects.filter(verb=Verb.DPIA_EXPORTED, actor_id=auditor.pk)
    assert [e.detail["format"] for e in exported] == ["pdf", "json"]


def test_the_pdf_holds_the_text(world: None, dpo: User) -> None:
    pypdf = pytest.importorskip("pypdf")
    import io

    version = services.dpia_generate(actor=dpo)
    out = services.dpia_export(actor=dpo, number=version.number, fmt="pdf")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(out.body)).pages)
    assert "Data protection impact assessment" in text
    assert "self_defined_ethnicity" in text


def test_records_of_processing_page_is_logged(world: None, iru: User, client_for: Callable[[User], Client]) -> None:
    page = client_for(iru).get(reverse("web:dpia_records_of_processing")).content.decode()
    assert "None outside the UK." in page
    assert "advisory only" in page
    assert AuditEvent.objects.filter(verb=Verb.RECORDS_OF_PROCESSING_PRODUCED, actor_id=iru.pk).count() == 1


@pytest.mark.parametrize("comments", ["", "Accepted: residual risk is tolerable."])
def test_only_the_dpo_may_post_a_sign_off_even_an_empty_one(
    world: None, dpo: User, central: User, client_for: Callable[[User], Client], comments: str
) -> None:
    version = services.dpia_generate(actor=dpo)
    response = client_for(central).post(reverse("web:dpia_sign_off", args=[version.number]), {"comments": comments})
    assert response.status_code == 403
    assert not DpiaVersion.objects.get(pk=version.pk).is_signed_off
