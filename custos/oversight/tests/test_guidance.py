"""The guidance library: versions, the two-person rule, the day in force, and the versions decisions record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent
from custos.oversight.guidance import selectors, services
from custos.oversight.guidance.models import GuidanceVersion
from custos.register import guidance
from custos.register import services as register_services
from custos.register.guidance import GOVERNS, TOPICS, Decision
from custos.register.models import BCU, Gang, IntelligenceItem, Nomination, RagDecision
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

TEXT = "# Evidencing gang membership\n\nTwo independent sources must show the person's own part in the offending.\n"
TEXT_2 = TEXT + "\nBeing a victim is never evidence of membership.\n"


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


def publish(topic: str, body: str, by: User, approver: User, day: dt.date | None = None) -> GuidanceVersion:
    draft = services.guidance_draft(actor=by, topic=topic, body=body, change_summary="A change.")
    return services.guidance_publish(actor=approver, draft=draft, in_force_from=day or timezone.localdate())


def test_a_draft_is_published_by_someone_else_and_numbered(central: User, dpo: User) -> None:
    draft = services.guidance_draft(actor=central, topic="evidencing_membership", body=TEXT, change_summary="First.")
    assert draft.version is None
    assert draft.status == "draft"
    with pytest.raises(ValidationError, match="someone other than the person who drafted it"):
        services.guidance_publish(actor=central, draft=draft, in_force_from=timezone.localdate())
    first = services.guidance_publish(actor=dpo, draft=draft, in_force_from=timezone.localdate())
    assert (first.version, first.status, first.published_by_name) == (1, "published", "dpo")
    second = publish("evidencing_membership", TEXT_2, central, dpo)
    assert second.version == 2
    verbs = list(AuditEvent.objects.filter(object_type="guidance").values_list("verb", "detail"))
    assert [v for v, _ in verbs] == ["guidance.drafted", "guidance.published", "guidance.drafted", "guidance.published"]
    assert verbs[1][1] == {"topic": "evidencing_membership", "version": 1, "in_force_from": str(timezone.localdate())}


def test_one_draft_per_topic_is_changed_in_place(central: User) -> None:
    first = services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="First.")
    again = services.guidance_draft(actor=central, topic="social_media", body=TEXT_2, change_summary="Second.")
    assert first.pk == again.pk
    assert GuidanceVersion.objects.filter(topic="social_media").count() == 1
    assert GuidanceVersion.objects.get().body == TEXT_2


@pytest.mark.parametrize(
    ("body", "summary", "field"),
    [("", "x", "body"), ("too short", "x", "body"), (TEXT, "  ", "change_summary")],
)
def test_a_draft_needs_text_and_a_summary(central: User, body: str, summary: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.guidance_draft(actor=central, topic="social_media", body=body, change_summary=summary)
    assert field in caught.value.message_dict
    assert not GuidanceVersion.objects.exists()


def test_an_unknown_topic_and_an_unchanged_text_are_refused(central: User, dpo: User) -> None:
    with pytest.raises(ValidationError, match="no such guidance topic"):
        services.guidance_draft(actor=central, topic="drill_music", body=TEXT, change_summary="x")
    publish("social_media", TEXT, central, dpo)
    with pytest.raises(ValidationError, match="text of the latest version"):
        services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="Nothing.")


def test_only_governance_and_the_dpo_edit(officer_a: User, spoc_a: User, auditor: User, central: User) -> None:
    for user in (officer_a, spoc_a, auditor):
        with pytest.raises(PermissionDenied):
            services.guidance_draft(actor=user, topic="social_media", body=TEXT, change_summary="x")
    draft = services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="x")
    with pytest.raises(PermissionDenied):
        services.guidance_publish(actor=spoc_a, draft=draft, in_force_from=timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.guidance_discard(actor=officer_a, draft=draft)
    assert GuidanceVersion.objects.get().status == "draft"


def test_the_day_in_force_is_never_in_the_past_nor_before_the_last_version(central: User, dpo: User) -> None:
    today = timezone.localdate()
    draft = services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="x")
    with pytest.raises(ValidationError, match="cannot come into force in the past"):
        services.guidance_publish(actor=dpo, draft=draft, in_force_from=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="within a year"):
        services.guidance_publish(actor=dpo, draft=draft, in_force_from=today + dt.timedelta(days=400))
    services.guidance_publish(actor=dpo, draft=draft, in_force_from=today + dt.timedelta(days=10))
    later = services.guidance_draft(actor=central, topic="social_media", body=TEXT_2, change_summary="y")
    with pytest.raises(ValidationError, match="cannot come into force before it"):
        services.guidance_publish(actor=dpo, draft=later, in_force_from=today + dt.timedelta(days=5))
    assert GuidanceVersion.objects.get(pk=later.pk).status == "draft"


def test_the_version_in_force_on_a_day(central: User, dpo: User) -> None:
    today = timezone.localdate()
    publish("social_media", TEXT, central, dpo, today)
    publish("social_media", TEXT_2, central, dpo, today + dt.timedelta(days=7))
    assert selectors.in_force_versions(["social_media", "gang_composition"], today) == {"social_media": 1}
    assert selectors.in_force_versions(["social_media"], today + dt.timedelta(days=6)) == {"social_media": 1}
    assert selectors.in_force_versions(["social_media"], today + dt.timedelta(days=7)) == {"social_media": 2}
    assert selectors.in_force_versions(["social_media"], today - dt.timedelta(days=1)) == {}
    row = next(r for r in selectors.topic_rows(today) if r.topic.slug == "social_media")
    assert (row.in_force.version, row.scheduled.version, row.draft) == (1, 2, None)  # type: ignore[union-attr]


def test_markdown_is_rendered_without_raw_html() -> None:
    html = selectors.render("# Title\n\n- one\n\n<script>alert(1)</script> <b>bold</b>\n")
    assert "<h1>Title</h1>" in html
    assert "<li>one</li>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html


def test_changes_mark_lines_added_and_removed(central: User, dpo: User) -> None:
    one = publish("social_media", "# A\n\nkeep\nold line\n" + "x" * 80, central, dpo)
    two = publish("social_media", "# A\n\nkeep\nnew line\n" + "x" * 80, central, dpo)
    kinds = {(c.kind, c.text) for c in selectors.changes(one, two)}
    assert ("removed", "old line") in kinds
    assert ("added", "new line") in kinds
    assert ("same", "keep") in kinds


def test_seed_loads_the_shipped_text_once(central: User, dpo: User) -> None:
    publish("social_media", TEXT, central, dpo)
    loaded = services.guidance_seed(publish=True)
    assert sorted(v.topic for v in loaded) == sorted(set(TOPICS) - {"social_media"})
    assert all(v.version == 1 and v.published_by_name == "system:guidance_seed" for v in loaded)
    assert "independent sources" in GuidanceVersion.objects.get(topic="evidencing_membership").body
    assert services.guidance_seed(publish=True) == []
    assert GuidanceVersion.objects.get(topic="social_media").body == TEXT


def test_the_system_publishes_only_shipped_text(central: User) -> None:
    draft = services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="x")
    with pytest.raises(PermissionDenied):
        services.guidance_publish(actor=services.SHIPPED, draft=draft, in_force_from=timezone.localdate())


# --- decisions record the versions in force -------------------------------------------------------------


def test_every_register_decision_records_the_guidance_in_force(
    officer_a: User, spoc_a: User, central: User, dpo: User, bcu_a: BCU
) -> None:
    services.guidance_seed(publish=True)
    publish("social_media", TEXT_2.replace("Evidencing", "Social"), central, dpo)  # social media at version 2
    person = a_person(officer_a)
    item = an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_reference="CAD 2")
    social = an_item(officer_a, person, source_type="social_media", source_reference="handle")
    register_services.intelligence_verify(actor=spoc_a, item=social, verified=True, reasons="Own account, dated.")
    gang = register_services.gang_create(
        actor=spoc_a, bcu=bcu_a, name="Example Crew", evidence_basis="Group offending for a year.",
        review_date=timezone.localdate() + dt.timedelta(days=90),
    )  # fmt: skip
    nomination = register_services.nomination_propose(
        actor=officer_a, person=person, reasons="Two independent sources."
    )
    register_services.nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on both.")
    decision = register_services.rag_decide(
        actor=spoc_a, nomination=nomination, band="amber", reasons="Recent violence."
    )

    def expected(decision_kind: str) -> dict[str, int]:
        return {slug: 2 if slug == "social_media" else 1 for slug in GOVERNS[decision_kind]}

    item.refresh_from_db()
    social.refresh_from_db()
    nomination.refresh_from_db()
    assert item.guidance == expected(Decision.INTELLIGENCE_RECORDED)
    assert social.verification_guidance == {"social_media": 2}
    assert social.verified_at is not None
    assert Gang.objects.get(pk=gang.pk).guidance == {"gang_composition": 1}
    assert nomination.guidance == expected(Decision.NOMINATION_PROPOSED)
    assert nomination.activation_guidance == expected(Decision.NOMINATION_ACTIVATED)
    assert RagDecision.objects.get(pk=decision.pk).guidance == expected(Decision.BAND_DECIDED)
    # The audit event of each decision names the versions too.
    event = AuditEvent.objects.filter(verb="rag.decided").latest("seq")
    assert event.detail["guidance"] == expected(Decision.BAND_DECIDED)


def test_a_decision_with_no_guidance_in_force_records_none(officer_a: User) -> None:
    person = a_person(officer_a)
    item = an_item(officer_a, person)
    assert IntelligenceItem.objects.get(pk=item.pk).guidance == {}
    assert guidance.versions_in_force(Decision.NOMINATION_PROPOSED) == {}
    assert [e.version for e in guidance.in_force(Decision.NOMINATION_PROPOSED)] == [None, None, None]


def test_tracker_evidence_counts_decisions_with_and_without_guidance(
    officer_a: User, spoc_a: User, central: User, dpo: User
) -> None:
    today = timezone.localdate()
    # Before any guidance: one person, two items (2 decisions without guidance).
    early = a_person(officer_a, full_name="Early Person")
    an_item(officer_a, early, source_reference="CAD 1")
    an_item(officer_a, early, source_reference="CAD 2")
    # Only intelligence_sources in force: an item governed by it and social_media records one of two topics.
    publish("intelligence_sources", TEXT.replace("Evidencing gang membership", "Sources"), central, dpo)
    an_item(officer_a, early, source_reference="CAD 3")
    # Every topic in force: a nomination proposed and confirmed with full guidance.
    services.guidance_seed(publish=True)
    an_item(officer_a, early, source_reference="CAD 4")
    nomination = register_services.nomination_propose(actor=officer_a, person=early, reasons="Two independent sources.")
    register_services.nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on both sources.")
    evidence = selectors.tracker_evidence(today, today - dt.timedelta(days=30), today)
    # 4 items + 1 proposal + 1 confirmation = 6 decisions; with every governing topic: item 4, proposal, confirmation.
    assert evidence["decisions"] == 6
    assert evidence["decisions_with_guidance"] == 3
    assert evidence["by_decision"][Decision.INTELLIGENCE_RECORDED] == {"decisions": 4, "with_guidance": 1}
    assert evidence["by_decision"][Decision.NOMINATION_PROPOSED] == {"decisions": 1, "with_guidance": 1}
    assert {t["slug"]: t["version"] for t in evidence["topics"]} == dict.fromkeys(TOPICS, 1)
    # A window before today sees nothing.
    old = selectors.tracker_evidence(today, today - dt.timedelta(days=60), today - dt.timedelta(days=31))
    assert (old["decisions"], old["decisions_with_guidance"]) == (0, 0)


# --- web ------------------------------------------------------------------------------------------------


def test_governance_drafts_and_the_dpo_publishes_on_the_web(
    client_for: Callable[[User], Client], central: User, dpo: User
) -> None:
    editor = client_for(central)
    page = editor.get(reverse("web:guidance_draft", args=["social_media"]))
    assert page.status_code == 200
    assert b"# Social media as verifiable intelligence" in page.content
    response = editor.post(
        reverse("web:guidance_draft", args=["social_media"]), {"body": TEXT, "change_summary": "First version."}
    )
    draft = GuidanceVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:guidance_draft_detail", args=[draft.pk])
    page = editor.get(response["Location"])
    assert b"Someone other than the person who drafted it publishes it." in page.content
    assert b'id="publish"' not in page.content

    publisher = client_for(dpo)
    day = timezone.localdate()
    bad = publisher.post(
        reverse("web:guidance_draft_publish", args=[draft.pk]),
        {"in_force_from_0": "1", "in_force_from_1": "1", "in_force_from_2": str(day.year - 1)},
    )
    assert bad.status_code == 200
    assert b"cannot come into force in the past" in bad.content
    done = publisher.post(
        reverse("web:guidance_draft_publish", args=[draft.pk]),
        {"in_force_from_0": str(day.day), "in_force_from_1": str(day.month), "in_force_from_2": str(day.year)},
    )
    assert done["Location"] == reverse("web:guidance_version", args=["social_media", 1])
    page = publisher.get(done["Location"])
    assert b"This version is in force" in page.content
    assert b"<h1>Evidencing gang membership</h1>" in page.content


def test_every_account_reads_guidance_and_only_editors_see_drafts(
    client_for: Callable[[User], Client], officer_a: User, central: User, dpo: User
) -> None:
    publish("social_media", TEXT, central, dpo)
    services.guidance_draft(actor=central, topic="social_media", body=TEXT_2, change_summary="Victims.")
    draft = GuidanceVersion.objects.get(status="draft")
    officer = client_for(officer_a)
    index = officer.get(reverse("web:guidance_index"))
    assert index.status_code == 200
    assert b"None in force" in index.content
    assert b"Draft" not in index.content
    assert officer.get(reverse("web:guidance_version", args=["social_media", 1])).status_code == 200
    assert officer.get(reverse("web:guidance_version", args=["social_media", 2])).status_code == 404
    assert officer.get(reverse("web:guidance_topic", args=["nope"])).status_code == 404
    assert officer.get(reverse("web:guidance_draft", args=["social_media"])).status_code == 403
    assert officer.get(reverse("web:guidance_draft_detail", args=[draft.pk])).status_code == 403
    assert officer.post(reverse("web:guidance_draft_discard", args=[draft.pk])).status_code == 403
    editor = client_for(central)
    assert editor.post(reverse("web:guidance_draft_discard", args=[draft.pk])).status_code == 302
    assert not GuidanceVersion.objects.filter(status="draft").exists()


def test_the_nominate_form_links_the_versions_in_force_and_the_person_page_shows_them(
    client_for: Callable[[User], Client], officer_a: User, central: User, dpo: User
) -> None:
    services.guidance_seed(publish=True)
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_reference="CAD 2")
    client = with_purpose(client_for(officer_a))
    form = client.get(reverse("web:nominate", args=[person.pk])).content.decode()
    for slug in GOVERNS[Decision.NOMINATION_PROPOSED]:
        assert f'href="{reverse("web:guidance_version", args=[slug, 1])}"' in form
    client.post(reverse("web:nominate", args=[person.pk]), {"reasons": "Two independent sources.", "gang": ""})
    assert Nomination.objects.get(person=person).guidance == dict.fromkeys(GOVERNS[Decision.NOMINATION_PROPOSED], 1)
    page = client.get(reverse("web:person", args=[person.pk])).content.decode()
    assert "Guidance when proposed" in page
    assert "Evidencing gang membership v1" in page


def test_a_form_says_when_no_guidance_is_in_force(client_for: Callable[[User], Client], officer_a: User) -> None:
    person = a_person(officer_a)
    client = with_purpose(client_for(officer_a))
    form = client.get(reverse("web:intelligence_add", args=[person.pk])).content.decode()
    assert "None in force" in form
    assert "Intelligence sources: ask central governance" in form


def test_publishing_refuses_a_draft_gone_meanwhile(central: User, dpo: User) -> None:
    draft = services.guidance_draft(actor=central, topic="social_media", body=TEXT, change_summary="x")
    stale: Any = GuidanceVersion.objects.get(pk=draft.pk)
    services.guidance_discard(actor=central, draft=draft)
    with pytest.raises(ValidationError, match="already been published or discarded"):
        services.guidance_publish(actor=dpo, draft=stale, in_force_from=timezone.localdate())


def test_the_demo_data_records_the_guidance_in_force(reference_data: None) -> None:
    from custos.register.seeding import seed_demo

    services.guidance_seed(publish=True)
    seed_demo(people=30, seed=11, bcus=list(BCU.objects.all()))
    nominations = list(Nomination.objects.all())
    assert nominations
    assert all(n.guidance == dict.fromkeys(GOVERNS[Decision.NOMINATION_PROPOSED], 1) for n in nominations)
    assert all(g.guidance == {"gang_composition": 1} for g in Gang.objects.all())
    items = IntelligenceItem.objects.all()
    assert all(i.guidance == dict.fromkeys(GOVERNS[Decision.INTELLIGENCE_RECORDED], 1) for i in items)
    verified = [i for i in items if i.verification in ("verified", "rejected")]
    assert all(i.verification_guidance == {"social_media": 1} and i.verified_at for i in verified)


def test_a_preview_lowers_the_headings_under_the_page_heading() -> None:
    html = selectors.render("# Title\n\n## Part\n\n###### Deep\n", shift=2)
    assert "<h3>Title</h3>" in html
    assert "<h4>Part</h4>" in html
    assert "<h6>Deep</h6>" in html
