"""s.62 completeness: every URL and every command, classified by the events it must write, and proved.

Two tables below say, for every URL pattern (by name and method) and every
``custos`` management command, exactly which events one call writes, in
order. The tests

- fail if the URLconf or the commands hold anything the tables do not
  classify (so whoever adds a URL or a command must say what it logs), or if
  the tables name something that no longer exists;
- make each call as the persona the table names, with the data it gives,
  and compare the events written with the table: the same verbs, in the same
  order, nothing more;
- check every event carries who acted (id, username, role, and BCU for a
  BCU-scoped role), what (verb, object type, object or target references),
  why (the purpose, for a consultation) and, for a consultation, the BCU of
  the people it names;
- check that a method the table does not list for a URL writes nothing.

A few calls cannot run here (they replace the database, rotate the key file
or need a second factor typed from an authenticator): their entries name
the test that proves their events instead, and the test checks that it
exists. Commands that must run in a subprocess are proved by the ``cli``
test at the end.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from custos.accounts.models import BCU_SCOPED_ROLES, ApiToken, Notification, Role, User
from custos.accounts.services import api_token_issue, user_suspend
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent, Verb
from custos.audit.selectors import CONSULTATION_VERBS
from custos.audit.services import Actor
from custos.register import services
from custos.register.models import BCU, IntelligenceItem, Nomination, Person
from custos.register.tests.factories import a_person, an_item
from custos.retention import services as retention_services
from custos.retention.models import Restriction, Review
from tests.mfa import mfa_verified
from tests.server import custos_instance

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_MATRIX = ROOT / "docs" / "examples" / "legacy-matrix.csv"
API_PURPOSE = "OP-6200: Proving what the API logs"
REASONS = "Two independent sources report serious violence and a knife."


# --- the world the calls act on -----------------------------------------------------------------------


@dataclass
class World:
    """Personas and records for every call in the tables."""

    users: dict[str, User]
    bcu: BCU
    person: Person  # two independent items and a proposed nomination
    proposed: Nomination
    active: Nomination  # of another person, activated
    fresh: Person  # two independent items, not nominated
    item: IntelligenceItem
    social: IntelligenceItem  # unverified social media
    token: ApiToken  # officer A's
    suspended: User  # an officer of BCU A, suspended by the system administrator

    def user(self, persona: str) -> User:
        return self.users[persona]


@pytest.fixture
def world(
    officer_a: User,
    analyst_a: User,
    spoc_a: User,
    central: User,
    auditor: User,
    sysadmin: User,
    bcu_a: BCU,
    make_user: Callable[..., User],
) -> World:
    def nominee(name: str) -> Person:
        person = a_person(officer_a, full_name=name)
        an_item(officer_a, person, source_reference="CAD 1")
        an_item(officer_a, person, source_type="partner_agency", source_reference="YOS 2", criterion="weapon_knife")
        return person

    person = nominee("Completeness Person")
    proposed = services.nomination_propose(actor=officer_a, person=person, reasons=REASONS)
    other = nominee("Completeness Active")
    active = services.nomination_propose(actor=officer_a, person=other, reasons=REASONS)
    services.nomination_activate(actor=spoc_a, nomination=active, reasons="Confirmed on the evidence.")
    social = an_item(
        officer_a, person, source_type="social_media", source_reference="post 9", criterion="gang_association"
    )
    token, _ = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="to revoke")
    suspended = make_user("suspended_a", Role.OFFICER, bcu_a)
    user_suspend(actor=sysadmin, user=suspended)
    iru = make_user("iru", Role.IRU)
    users = {u.username: u for u in (officer_a, analyst_a, spoc_a, central, auditor, sysadmin, iru)}
    return World(
        users=users,
        bcu=bcu_a,
        person=person,
        proposed=proposed,
        active=active,
        fresh=nominee("Completeness Fresh"),
        item=person.intelligence.filter(source_type="police").get(),
        social=social,
        token=token,
        suspended=suspended,
    )


# --- the URL table ------------------------------------------------------------------------------------

Data = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One call of a URL and the events it must write, in order."""

    verbs: tuple[str, ...]
    persona: str = "officer_a"
    data: Data | None = None
    signed_in: bool = True


@dataclass(frozen=True)
class Elsewhere:
    """A call whose events are proved by another test (``path/to/test_x.py::test_name``)."""

    verbs: tuple[str, ...]
    proof: str


@dataclass(frozen=True)
class Url:
    calls: dict[str, Call | Elsewhere]
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    api: bool = False


def _date(name: str, when: dt.date) -> dict[str, str]:
    return {f"{name}_0": str(when.day), f"{name}_1": str(when.month), f"{name}_2": str(when.year)}


def _item_form(w: World) -> dict[str, Any]:
    return {
        "category": "suspected_offender",
        "criterion": "serious_violence",
        "summary": "Seen at Mare Street.",
        "nature": "fact",
        "source_type": "police",
        "source_reference": "CAD 77",
        "source_grade": "1",
        "intel_grade": "B",
        "handling": "P",
        **_date("occurred_on", timezone.localdate() - dt.timedelta(days=5)),
    }


def _item_body(w: World) -> dict[str, Any]:
    return {
        "person": str(w.person.pk),
        "category": "suspected_offender",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
        "source_type": "police",
        "source_reference": "CAD 78",
        "source_grade": "1",
        "intel_grade": "B",
        "handling": "P",
        "nature": "fact",
        "criterion": "serious_violence",
        "summary": "Seen at Mare Street.",
    }


def _action_form(w: World) -> dict[str, Any]:
    return {
        "kind": "mentoring",
        "notes": "Referred to the mentoring scheme after the tasking meeting.",
        **_date("taken_on", timezone.localdate()),
    }


def _review(w: World) -> Review:
    """An open review of the person with a proposed nomination (opened by the system, before the call)."""
    return retention_services.review_open(actor=Actor.system("test"), person=w.person)


def _scheduled(w: World) -> Review:
    """A review of the active nominal whose removal spoc_a decided: erasure scheduled, in its grace period."""
    review = retention_services.review_open(actor=Actor.system("test"), person=w.active.person)
    return retention_services.review_decide(actor=w.user("spoc_a"), review=review, decision="remove", reasons=REASONS)


def _restriction(w: World) -> Restriction:
    """A restriction of the fresh person that names central governance (so central sees them)."""
    return retention_services.person_restrict(
        actor=w.user("central"), person=w.fresh, ground="evidence", reasons=REASONS, roles=["central_governance"]
    )


def _finding(w: World) -> Any:
    """A scan finding (written directly as test set-up, as a scan would record it)."""
    from custos.dlp.models import Finding, ScanRun

    run = ScanRun.objects.create(started_by="system:test", paths=["/share"], started_at=timezone.now())
    return Finding.objects.create(
        scan=run,
        kind="register_data",
        path="/share/list.csv",
        people=3,
        refs=[w.person.ref],
        last_seen_at=run.started_at,
    )


def _finding_id(w: World) -> dict[str, Any]:
    return {"finding_id": _finding(w).pk}


def _export(w: World) -> Any:
    """An export of the person with a proposed nomination, made by spoc_a before the call."""
    from custos.dlp.exports import export_create

    return export_create(
        actor=w.user("spoc_a"), purpose="OP-6200: pack for the tasking meeting", fmt="csv", people=[w.person.pk]
    )


def _export_id(w: World) -> dict[str, Any]:
    return {"export_id": _export(w).pk}


def _after(make: Callable[[World], Any]) -> Callable[[World], dict[str, Any]]:
    """No URL arguments, but ``make`` the records the page lists first (so its event names someone)."""

    def kwargs(w: World) -> dict[str, Any]:
        make(w)
        return {}

    return kwargs


def _subject_request(w: World, kind: str = "access") -> Any:
    """A data-subject request about the fresh person, logged by the IRU before the call."""
    from custos.rights import services as rights_services

    return rights_services.request_receive(
        actor=w.user("iru"),
        person=w.fresh,
        kind=kind,
        received_on=timezone.localdate(),
        requester_name="A Requester",
        requester_contact="By post",
        identity_verification="Passport seen at the front counter.",
    )


def _request_of(kind: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"request_id": _subject_request(w, kind).pk}


def _paused_request(w: World) -> dict[str, Any]:
    from custos.rights import services as rights_services

    request = _subject_request(w)
    rights_services.request_pause(
        actor=w.user("iru"), request=request, started_on=timezone.localdate(), reason="Which years do you mean?"
    )
    return {"request_id": request.pk}


def _notice(w: World) -> dict[str, Any]:
    """A rectification of the fresh person, whose data went to a council before: one notice to send."""
    from django.db import transaction

    from custos.audit.services import event_record
    from custos.rights import services as rights_services

    with transaction.atomic():
        event_record(
            actor=w.user("spoc_a"),
            verb=Verb.NOTIFICATION_SENT,  # stands in for the sharing app's disclosure event
            object_type="disclosure",
            object_ref="disclosure:test",
            targets=[w.fresh.ref],
            recipients=["Hackney Council"],
        )
    request = _subject_request(w, "rectification")
    rectification = rights_services.rectify(
        actor=w.user("iru"), request=request, field="addresses", value=["1 New Road"], reasons="Moved in 2024."
    )
    return {"request_id": request.pk, "notice_id": rectification.notices.get().pk}


def _agreement(w: World, *, approved: bool = True) -> Any:
    """An information sharing agreement drafted by central governance and, unless a draft, approved by the IRU."""
    from custos.sharing import rules
    from custos.sharing.services import agreement_approve, agreement_draft
    from custos.sharing.tests.builders import agreement_input

    data = agreement_input(categories=list(rules.CATEGORIES), bands=list(rules.BANDS))
    agreement = agreement_draft(actor=w.user("central"), data=data)
    if approved:
        agreement = agreement_approve(actor=w.user("iru"), agreement=agreement, notes="Approved.")
    return agreement


def _agreement_id(w: World) -> dict[str, Any]:
    return {"agreement_id": _agreement(w).pk}


def _draft_id(w: World) -> dict[str, Any]:
    return {"agreement_id": _agreement(w, approved=False).pk}


def _disclosure(w: World, *, approved: bool = False) -> Any:
    """A disclosure of the person with a proposed nomination, asked for by officer_a (and approved by the IRU)."""
    from custos.sharing.services import Asked, disclosure_approve, disclosure_request
    from custos.sharing.tests.builders import NECESSITY, PURPOSE

    disclosure = disclosure_request(
        actor=w.user("officer_a"), agreement=_agreement(w), purpose=PURPOSE, people=[Asked(w.person.pk, NECESSITY)]
    )
    if approved:
        disclosure = disclosure_approve(actor=w.user("iru"), disclosure=disclosure, reasons=REASONS)
    return disclosure


def _sharing_form(w: World) -> dict[str, Any]:
    from custos.sharing.tests.builders import RECIPIENT

    return {
        "title": "Youth offending service referrals",
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "parties": "Metropolitan Police Service",
        "legal_basis": "DPA 2018 s.35(2)(b)",
        "purpose": "Assessment of young people referred by the police.",
        "allowed_fields": ["reference", "full_name"],
        "categories": ["suspected_offender"],
        "bands": ["red"],
        "onward_sharing": "None.",
        "retention_days": "30",
        "security": "OFFICIAL-SENSITIVE.",
        "recipient_key": RECIPIENT,
        **_date("review_date", timezone.localdate() + dt.timedelta(days=200)),
        "signatory_1_name": "A. Signer",
        "signatory_1_role": "Superintendent",
        "signatory_1_organisation": "Metropolitan Police Service",
        "signatory_2_name": "B. Signer",
        "signatory_2_role": "Head of Youth Justice",
        "signatory_2_organisation": "London Borough of Hackney",
    }


def _agreement_body(w: World) -> dict[str, Any]:
    """A draft agreement as the sharing API takes it (JSON)."""
    from custos.sharing.tests.builders import agreement_input

    data = agreement_input()
    body = {k: getattr(data, k) for k in data.__dataclass_fields__}
    return {**body, "review_date": (timezone.localdate() + dt.timedelta(days=200)).isoformat()}


def _disclosure_body(w: World) -> dict[str, Any]:
    """A request to share the person with a proposed nomination, as the sharing API takes it (JSON)."""
    from custos.sharing.tests.builders import NECESSITY, PURPOSE

    people = [{"person": str(w.person.pk), "necessity": NECESSITY}]
    return {"agreement": str(_agreement(w).pk), "purpose": PURPOSE, "people": people}


def _bcu_audit_id(w: World) -> dict[str, Any]:
    """An audit of BCU A run by central governance before the call."""
    from custos.oversight.audits.services import bcu_audit_run

    return {"audit_id": bcu_audit_run(actor=w.user("central"), bcu_code=w.bcu.code).pk}


def _breach(w: World) -> Any:
    """A high-risk breach recorded by central governance an hour ago."""
    from custos.oversight.breaches.services import breach_record

    return breach_record(
        actor=w.user("central"),
        title="Extract sent to the wrong address",
        description="An extract went to an external address.",
        category="confidentiality",
        discovered_at=timezone.now() - dt.timedelta(hours=1),
        risk="high",
        people_affected=1,
    )


def _breach_id(w: World) -> dict[str, Any]:
    return {"breach_id": _breach(w).pk}


def _dpia_dpo(w: World) -> Any:
    """The DPO (not a persona of the world): made on first use."""
    dpo, _ = User.objects.get_or_create(username="dpia_dpo", defaults={"role": Role.DPO})
    return dpo


def _dpia_number(w: World) -> dict[str, Any]:
    """A draft DPIA generated by the DPO before the call."""
    from custos.oversight.dpia.services import dpia_generate

    return {"number": dpia_generate(actor=_dpia_dpo(w)).number}


def _dpia_risk_code(w: World) -> dict[str, Any]:
    """The starting risks, seeded before the call."""
    from custos.oversight.dpia.services import risks_seed

    risks_seed(actor=_dpia_dpo(w))
    return {"code": "no-audit"}


GUIDANCE = "# Social media\n\nAn item counts only when attribution, authenticity and relevance are all shown.\n"


def _guidance_draft_id(w: World) -> dict[str, Any]:
    """A draft written by the DPO, for central governance to publish or discard."""
    from custos.oversight.guidance.services import guidance_draft

    draft = guidance_draft(actor=_dpia_dpo(w), topic="social_media", body=GUIDANCE, change_summary="First.")
    return {"draft_id": draft.pk}


def _guidance_version(w: World) -> dict[str, Any]:
    """Version 1 of the social-media guidance, published by central governance."""
    from custos.oversight.guidance.models import GuidanceVersion
    from custos.oversight.guidance.services import guidance_draft, guidance_publish

    if not GuidanceVersion.objects.filter(topic="social_media", version=1).exists():
        draft = guidance_draft(actor=_dpia_dpo(w), topic="social_media", body=GUIDANCE, change_summary="First.")
        guidance_publish(actor=w.users["central"], draft=draft, in_force_from=timezone.localdate())
    return {"topic": "social_media", "version": 1}


def _annex1_report_id(w: World) -> dict[str, Any]:
    """This month's Annex 1 report, generated by central governance before the call."""
    from custos.oversight.annex1.services import annex1_report_generate

    return {"report_id": annex1_report_generate(actor=w.user("central"), month=timezone.localdate()).pk}


def _closable_breach_id(w: World) -> dict[str, Any]:
    """A breach notified and decided, so it may be closed."""
    from custos.oversight.breaches.services import breach_decide, breach_notify

    breach = _breach(w)
    breach_notify(actor=w.user("central"), breach=breach, ico_reference="ICO-1")
    breach_decide(actor=w.user("central"), breach=breach, telling="tell", reasons=REASONS)
    return {"breach_id": breach.pk}


def _breach_form(w: World) -> dict[str, Any]:
    return {
        "title": "Laptop lost",
        "description": "A laptop with a cached extract was lost.",
        "category": "availability",
        **_date("discovered_on", timezone.localdate()),
        "people_affected": "0",
        "risk": "low",
    }


PERSON = ("person.consulted",)
REQUEST = ("request.consulted",)

#: Every URL, by name, and what each method writes. A method not listed must write nothing.
URLS: dict[str, Url] = {
    # The shell: signing in and out, the account page.
    "web:home": Url({"GET": Call(())}),
    "web:login": Url(
        {
            "GET": Call((), signed_in=False),
            "POST": Call(
                ("user.sign_in_failed",), signed_in=False, data=lambda w: {"username": "nobody", "password": "wrong"}
            ),
        }
    ),
    "web:logout": Url({"POST": Call(("user.signed_out",))}),
    "web:profile": Url({"GET": Call(()), "POST": Call(("api_token.issued",), data=lambda w: {"label": "script"})}),
    "web:token_revoke": Url({"POST": Call(("api_token.revoked",))}, kwargs=lambda w: {"token_id": w.token.pk}),
    "web:mfa_setup": Url(
        {
            "GET": Call(()),
            "POST": Elsewhere(
                ("mfa.enrolled",), "custos/web/tests/test_access_security.py::test_enrolment_through_the_pages"
            ),
        }
    ),
    "web:mfa_verify": Url(
        {
            "GET": Call(()),
            "POST": Elsewhere(
                ("mfa.failed", "mfa.verified"),
                "custos/web/tests/test_access_security.py::test_verification_through_the_pages_with_a_wrong_code_first",
            ),
        }
    ),
    # Access governance (staff accounts; no personal data of the register).
    "web:purpose": Url(
        {
            "GET": Call(()),
            "POST": Call(
                ("purpose.declared",),
                data=lambda w: {"reference": "OP-7001", "reason": "Briefing for the tasking meeting"},
            ),
        }
    ),
    "web:my_training": Url({"GET": Call(())}),
    "web:training": Url({"GET": Call((), persona="central")}),
    "web:training_add": Url(
        {
            "GET": Call((), persona="central"),
            "POST": Call(
                ("training.recorded",),
                persona="central",
                data=lambda w: {
                    "course": "data_protection",
                    "evidence_reference": "LMS 12",
                    **_date("completed_on", timezone.localdate()),
                },
            ),
        },
        kwargs=lambda w: {"user_id": w.user("officer_a").pk},
    ),
    "web:recertification": Url(
        {
            "GET": Call((), persona="spoc_a"),
            "POST": Call(
                ("access.attested", "access.attested"),
                persona="spoc_a",
                data=lambda w: {f"user_{w.user(u).pk}": "keep" for u in ("officer_a", "analyst_a")},
            ),
        }
    ),
    "web:users": Url({"GET": Call((), persona="sysadmin")}),
    "web:user_add": Url(
        {
            "GET": Call((), persona="sysadmin"),
            "POST": Call(
                ("user.created",),
                persona="sysadmin",
                data=lambda w: {
                    "username": "newcomer",
                    "role": "officer",
                    "bcu_code": "central-east",
                    "password": "a long passphrase for tests",
                },
            ),
        }
    ),
    "web:user_suspend": Url(
        {"POST": Call(("user.suspended",), persona="sysadmin")}, kwargs=lambda w: {"user_id": w.user("analyst_a").pk}
    ),
    "web:user_reinstate": Url(
        {"POST": Call(("user.reinstated",), persona="sysadmin")}, kwargs=lambda w: {"user_id": w.suspended.pk}
    ),
    # The s.62 log itself: reading it is logged.
    "web:audit_log": Url({"GET": Call(("audit.searched",), persona="auditor")}),
    "web:audit_export": Url({"GET": Call(("audit.exported",), persona="auditor")}),
    "web:audit_patterns": Url({"GET": Call(("audit.patterns_reviewed",), persona="auditor")}),
    # The register on the web: every page of personal data is a consultation; every change its events.
    "web:matrix": Url({"GET": Call(("matrix.listed",))}),
    "web:people": Url(
        {
            "GET": Call(("people.listed",)),
            "POST": Call(("people.searched",), data=lambda w: {"name": "Completeness Person"}),
        }
    ),
    "web:person_add": Url(
        {
            "GET": Call(()),
            "POST": Call(("person.created",), data=lambda w: {"bcu": str(w.bcu.pk), "full_name": "Added Person"}),
        }
    ),
    "web:person": Url({"GET": Call(PERSON)}, kwargs=lambda w: {"person_id": w.person.pk}),
    "web:intelligence_add": Url(
        {"GET": Call(PERSON), "POST": Call((*PERSON, "intelligence.added", "score.computed"), data=_item_form)},
        kwargs=lambda w: {"person_id": w.person.pk},
    ),
    "web:nominate": Url(
        {"GET": Call(PERSON), "POST": Call((*PERSON, "nomination.proposed"), data=lambda w: {"reasons": REASONS})},
        kwargs=lambda w: {"person_id": w.fresh.pk},
    ),
    "web:intelligence_verify": Url(
        {
            "GET": Call(("intelligence.consulted",), persona="analyst_a"),
            "POST": Call(
                ("intelligence.consulted", "intelligence.verified", "score.computed"),
                persona="analyst_a",
                data=lambda w: {"outcome": "verified", "reasons": "Checked against the account history."},
            ),
        },
        kwargs=lambda w: {"item_id": w.social.pk},
    ),
    "web:nomination_activate": Url(
        {
            "GET": Call(PERSON, persona="spoc_a"),
            "POST": Call(
                (*PERSON, "nomination.activated"),
                persona="spoc_a",
                data=lambda w: {"reasons": "Confirmed on the evidence."},
            ),
        },
        kwargs=lambda w: {"nomination_id": w.proposed.pk},
    ),
    "web:rag_decide": Url(
        {
            "GET": Call(PERSON, persona="spoc_a"),
            "POST": Call(
                (*PERSON, "rag.decided"),
                persona="spoc_a",
                data=lambda w: {"band": "amber", "reasons": "Recent violence; no weapon since."},
            ),
        },
        kwargs=lambda w: {"nomination_id": w.active.pk},
    ),
    "web:action_record": Url(
        {
            "GET": Call(PERSON),
            "POST": Call((*PERSON, "action.recorded"), data=_action_form),
        },
        kwargs=lambda w: {"person_id": w.active.person_id},
    ),
    "web:action_policy": Url({"GET": Call(())}),
    # Reviews and retention (custos.retention.views): the queue and a review are consultations.
    "web:reviews": Url({"GET": Call(("review.listed",), persona="spoc_a")}, kwargs=_after(_review)),
    "web:reviews_overdue": Url({"GET": Call((), persona="spoc_a")}),
    "web:review": Url(
        {
            "GET": Call(("review.consulted",), persona="spoc_a"),
            "POST": Call(
                ("review.consulted", "review.decided"),
                persona="spoc_a",
                data=lambda w: {"decision": "keep", "reasons": "Still active; reviewed with the YOS."},
            ),
        },
        kwargs=lambda w: {"review_id": _review(w).pk},
    ),
    "web:review_cancel": Url(
        {
            "GET": Call(("review.consulted",), persona="spoc_a"),
            "POST": Call(
                ("review.consulted", "removal.cancelled"),
                persona="spoc_a",
                data=lambda w: {"reasons": "New intelligence links him to a live case."},
            ),
        },
        kwargs=lambda w: {"review_id": _scheduled(w).pk},
    ),
    "web:review_erase_now": Url(
        {
            "GET": Call(("review.consulted",), persona="central"),
            "POST": Call(
                ("review.consulted", "person.erased"),
                persona="central",
                data=lambda w: {"reasons": "The subject's solicitor asked; the DPO agreed."},
            ),
        },
        kwargs=lambda w: {"review_id": _scheduled(w).pk},
    ),
    "web:retention_schedule": Url({"GET": Call(())}),
    "web:review_open": Url(
        {
            "GET": Call(PERSON, persona="spoc_a"),
            "POST": Call((*PERSON, "review.opened", "notification.sent"), persona="spoc_a"),
        },
        kwargs=lambda w: {"person_id": w.fresh.pk},
    ),
    "web:restrictions": Url({"GET": Call(("people.listed",), persona="central")}, kwargs=_after(_restriction)),
    "web:restriction_lift": Url(
        {
            "GET": Call(PERSON, persona="central"),
            "POST": Call(
                (*PERSON, "person.unrestricted"),
                persona="central",
                data=lambda w: {"reasons": "The evidence is no longer needed for the trial."},
            ),
        },
        kwargs=lambda w: {"restriction_id": _restriction(w).pk},
    ),
    # Scan findings (custos.dlp.views): reading a finding is logged; every step of the workflow too.
    "web:dlp_findings": Url({"GET": Call(("dlp.findings_listed",), persona="central")}, kwargs=_after(_finding)),
    "web:dlp_finding": Url({"GET": Call(("dlp.finding_consulted",), persona="central")}, kwargs=_finding_id),
    "web:dlp_finding_assign": Url(
        {
            "GET": Call(("dlp.finding_consulted",), persona="central"),
            "POST": Call(
                ("dlp.finding_consulted", "dlp.finding_assigned"),
                persona="central",
                data=lambda w: {"assignee": w.user("spoc_a").pk},
            ),
        },
        kwargs=_finding_id,
    ),
    "web:dlp_copy_erased": Url(
        {
            "GET": Call(("dlp.finding_consulted",), persona="central"),
            "POST": Call(
                ("dlp.finding_consulted", "dlp.copy_erased"),
                persona="central",
                data=lambda w: {"reasons": "Deleted from the share; checked by IT.", "breach_ref": ""},
            ),
        },
        kwargs=_finding_id,
    ),
    "web:dlp_finding_close": Url(
        {
            "GET": Call(("dlp.finding_consulted",), persona="central"),
            "POST": Call(
                ("dlp.finding_consulted", "dlp.finding_closed"),
                persona="central",
                data=lambda w: {"reasons": "No copy: a list of street names.", "breach_ref": ""},
            ),
        },
        kwargs=_finding_id,
    ),
    # Controlled exports (custos.dlp.export_views): the list holds no personal data; an export is a disclosure
    # (its canary is registered first), a download and a confirmed destruction are recorded.
    "web:exports": Url({"GET": Call((), persona="spoc_a")}, kwargs=_after(_export)),
    "web:export_new": Url(
        {
            "GET": Call((), persona="spoc_a"),
            "POST": Call(
                ("dlp.canary_registered", "export.created"),
                persona="spoc_a",
                data=lambda w: {
                    "purpose": "OP-6200: pack for the tasking meeting",
                    "fmt": "csv",
                    "columns": ["full_name", "date_of_birth"],
                },
            ),
        }
    ),
    "web:export_download": Url({"GET": Call(("export.downloaded",), persona="spoc_a")}, kwargs=_export_id),
    "web:export_destroyed": Url(
        {
            "GET": Call((), persona="spoc_a"),
            "POST": Call(
                ("export.destroyed",),
                persona="spoc_a",
                data=lambda w: {"reasons": "Deleted from my downloads folder; no other copies."},
            ),
        },
        kwargs=_export_id,
    ),
    # The task list: the user's own notices (no personal data); marking one done is not audited.
    "web:tasks": Url({"GET": Call(())}),
    "web:task_done": Url(
        {"POST": Call(())},
        kwargs=lambda w: {
            "notification_id": Notification.objects.create(
                recipient=w.user("officer_a"), kind="test", message="A notice for the test."
            ).pk
        },
    ),
    # Data-subject requests (custos.rights.views): a request read, or a package compiled, is a consultation.
    "web:requests": Url({"GET": Call(REQUEST, persona="iru")}, kwargs=_after(_subject_request)),
    "web:request_new": Url(
        {
            "GET": Call((), persona="iru"),
            "POST": Call(
                ("person.consulted", "request.received"),
                persona="iru",
                data=lambda w: {
                    "person": w.fresh.short_ref,
                    "kind": "access",
                    **_date("received_on", timezone.localdate()),
                    "requester_name": "A Requester",
                    "requester_contact": "By post",
                    "identity_verification": "Passport seen at the front counter.",
                },
            ),
        }
    ),
    "web:request_find_person": Url(
        {
            "GET": Call((), persona="iru"),
            "POST": Call(("people.searched",), persona="iru", data=lambda w: {"name": "Completeness Fresh"}),
        }
    ),
    "web:request": Url({"GET": Call(REQUEST, persona="iru")}, kwargs=_request_of("access")),
    "web:request_pause": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("request.clock_changed",),
                persona="iru",
                data=lambda w: {**_date("started_on", timezone.localdate()), "reason": "Which years do you mean?"},
            ),
        },
        kwargs=_request_of("access"),
    ),
    "web:request_resume": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("request.clock_changed",), persona="iru", data=lambda w: _date("ended_on", timezone.localdate())
            ),
        },
        kwargs=_paused_request,
    ),
    "web:request_extend": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("request.clock_changed",),
                persona="iru",
                data=lambda w: {
                    "months": "1",
                    **_date("notice_on", timezone.localdate()),
                    "reasons": "Records held in three BCUs.",
                },
            ),
        },
        kwargs=_request_of("access"),
    ),
    "web:request_package": Url({"GET": Call(("sar.compiled",), persona="iru")}, kwargs=_request_of("access")),
    "web:request_withhold": Url(
        {
            "POST": Call(
                ("sar.withheld",),
                persona="iru",
                data=lambda w: {"part": "section:disclosures", "ground": "inquiry", "reason": "A live inquiry."},
            )
        },
        kwargs=_request_of("access"),
    ),
    "web:request_download": Url(
        {"GET": Call(("sar.compiled",), persona="iru")},
        kwargs=lambda w: {"request_id": _subject_request(w).pk, "fmt": "pdf"},
    ),
    "web:request_respond": Url(
        {"GET": Call(REQUEST, persona="iru"), "POST": Call(("sar.responded",), persona="iru")},
        kwargs=_request_of("access"),
    ),
    "web:request_rectify": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("person.rectified",),
                persona="iru",
                data=lambda w: {"field": "aliases", "value": "Fresh\nFreshy", "reasons": "Known by these names."},
            ),
        },
        kwargs=_request_of("rectification"),
    ),
    "web:request_notice_sent": Url({"POST": Call(("rectification.notified",), persona="iru")}, kwargs=_notice),
    "web:request_erasure": Url(
        {"GET": Call(REQUEST, persona="iru"), "POST": Call(("review.opened", "notification.sent"), persona="iru")},
        kwargs=_request_of("erasure"),
    ),
    "web:request_restriction": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("person.restricted",), persona="iru", data=lambda w: {"reasons": "The subject contests the items."}
            ),
        },
        kwargs=_request_of("restriction"),
    ),
    "web:request_close": Url(
        {
            "GET": Call(REQUEST, persona="iru"),
            "POST": Call(
                ("request.closed",),
                persona="iru",
                data=lambda w: {"outcome": "refused", "reasons": "Manifestly unfounded (s.53)."},
            ),
        },
        kwargs=_request_of("erasure"),
    ),
    # Information sharing (custos.sharing.views): agreements hold no personal data; a disclosure with its people is
    # a consultation; each decision, the package's download and the recipient's confirmation are recorded.
    "web:sharing_agreements": Url({"GET": Call(())}, kwargs=_after(_agreement)),
    "web:sharing_agreement_new": Url(
        {"GET": Call((), persona="central"), "POST": Call(("isa.drafted",), persona="central", data=_sharing_form)}
    ),
    "web:sharing_agreement_edit": Url(
        {"GET": Call((), persona="central"), "POST": Call(("isa.updated",), persona="central", data=_sharing_form)},
        kwargs=_draft_id,
    ),
    "web:sharing_agreement": Url(
        {"GET": Call(()), "POST": Call(("isa.approved",), persona="iru", data=lambda w: {"action": "approve"})},
        kwargs=_draft_id,
    ),
    "web:sharing_guidance": Url({"GET": Call(())}),
    "web:sharing_disclosures": Url({"GET": Call(("disclosure.listed",))}, kwargs=_after(_disclosure)),
    "web:sharing_disclosure_new": Url(
        {
            "GET": Call(()),
            "POST": Call(
                ("disclosure.requested", "notification.sent", "notification.sent"),
                data=lambda w: {
                    "agreement": str(_agreement(w).pk),
                    "purpose": "OP-2207: referral to the youth offending service",
                    "people": f"{w.person.short_ref} | Open referral: the panel must assess risk on Friday.",
                },
            ),
        }
    ),
    "web:sharing_disclosure": Url(
        {
            "GET": Call(("disclosure.consulted",), persona="iru"),
            "POST": Call(
                ("dlp.canary_registered", "disclosure.made"),
                persona="iru",
                data=lambda w: {"action": "approve", "approve-reasons": REASONS},
            ),
        },
        kwargs=lambda w: {"disclosure_id": _disclosure(w).pk},
    ),
    "web:sharing_destroyed": Url(
        {
            "GET": Call((), signed_in=False),
            "POST": Call(
                ("package.destruction_refused",),
                signed_in=False,
                data=lambda w: {"reference": "D-00000000", "code": "WRONG", "name": "C. Keeper", "role": "Records"},
            ),
        }
    ),
    "web:sharing_review": Url({"GET": Call(("sharing.reviewed",), persona="auditor")}),
    "web:sharing_review_pdf": Url({"GET": Call(("sharing.reviewed",), persona="auditor")}),
    # BCU audits and the breach register (custos.oversight.audits, custos.oversight.breaches): figures, no one named
    "web:audits_list": Url({"GET": Call(("bcu_audit.listed",), persona="central")}),
    "web:audits_run": Url({"POST": Call(("bcu_audit.run",), persona="central", data=lambda w: {"bcu": w.bcu.code})}),
    "web:audits_detail": Url({"GET": Call(("bcu_audit.viewed",), persona="auditor")}, kwargs=_bcu_audit_id),
    "web:audits_pdf": Url({"GET": Call(("bcu_audit.viewed",), persona="auditor")}, kwargs=_bcu_audit_id),
    "web:breaches_list": Url({"GET": Call((), persona="auditor")}, kwargs=_after(_breach)),
    "web:breaches_new": Url(
        {"GET": Call((), persona="central"), "POST": Call(("breach.recorded",), persona="central", data=_breach_form)}
    ),
    "web:breaches_detail": Url({"GET": Call(("breach.viewed",), persona="auditor")}, kwargs=_breach_id),
    "web:breaches_notify": Url(
        {"POST": Call(("breach.notified",), persona="central", data=lambda w: {"ico_reference": "ICO-1"})},
        kwargs=_breach_id,
    ),
    "web:breaches_decide": Url(
        {"POST": Call(("breach.decided",), persona="central", data=lambda w: {"telling": "tell", "reasons": REASONS})},
        kwargs=_breach_id,
    ),
    "web:breaches_action": Url(
        {"POST": Call(("breach.action",), persona="central", data=lambda w: {"what": "Recall it", "owner": "dpo"})},
        kwargs=_breach_id,
    ),
    "web:breaches_close": Url(
        {"POST": Call(("breach.closed",), persona="central", data=lambda w: {"closing_reasons": REASONS})},
        kwargs=_closable_breach_id,
    ),
    # The DPIA pack (custos.oversight.dpia): no personal data; generating, signing off, editing risks and
    # exporting are logged; reading a version is not (aggregates and field names only).
    "web:dpia_list": Url({"GET": Call((), persona="central")}),
    "web:dpia_generate": Url(
        {
            "POST": Elsewhere(
                ("dpia.generated",),
                "custos/oversight/tests/test_dpia.py::test_the_dpo_generates_and_signs_off_on_the_web",
            )
        }
    ),
    "web:dpia_detail": Url({"GET": Call((), persona="central")}, kwargs=_dpia_number),
    "web:dpia_sign_off": Url(
        {
            "POST": Elsewhere(
                ("dpia.signed_off",),
                "custos/oversight/tests/test_dpia.py::test_the_dpo_generates_and_signs_off_on_the_web",
            )
        },
        kwargs=_dpia_number,
    ),
    "web:dpia_pdf": Url({"GET": Call(("dpia.exported",), persona="auditor")}, kwargs=_dpia_number),
    "web:dpia_json": Url({"GET": Call(("dpia.exported",), persona="auditor")}, kwargs=_dpia_number),
    "web:dpia_risks": Url(
        {
            "GET": Call((), persona="central"),
            "POST": Elsewhere(
                ("dpia.risk_changed",), "custos/oversight/tests/test_dpia.py::test_the_dpo_edits_a_risk_on_the_web"
            ),
        }
    ),
    "web:dpia_risk": Url(
        {
            "GET": Call((), persona="central"),
            "POST": Elsewhere(
                ("dpia.risk_changed",), "custos/oversight/tests/test_dpia.py::test_the_dpo_edits_a_risk_on_the_web"
            ),
        },
        kwargs=_dpia_risk_code,
    ),
    "web:dpia_records_of_processing": Url({"GET": Call(("ropa.produced",), persona="iru")}),
    # The equality monitor (custos.oversight.equality): aggregates only; the page is the event, its charts add none
    "web:oversight": Url({"GET": Call((), persona="auditor")}),
    "web:equality_monitor": Url({"GET": Call(("equality.viewed",), persona="auditor")}),
    "web:equality_ratio_chart": Url({"GET": Call((), persona="auditor")}, kwargs=lambda w: {"point": "inclusion"}),
    "web:equality_series_chart": Url({"GET": Call((), persona="auditor")}, kwargs=lambda w: {"name": "activated"}),
    "web:equality_publications": Url({"GET": Call((), persona="central")}),
    "web:equality_transparency": Url({"GET": Call((), signed_in=False)}),
    # The Annex 1 tracker and monthly reports (custos.oversight.annex1): aggregates; generating one is the event
    "web:annex1_tracker": Url({"GET": Call((), persona="auditor")}),
    "web:annex1_reports": Url({"GET": Call((), persona="auditor")}),
    "web:annex1_generate": Url(
        {
            "POST": Call(
                ("annex1.reported",),
                persona="central",
                data=lambda w: {"month": timezone.localdate().strftime("%Y-%m")},
            )
        }
    ),
    "web:annex1_report": Url({"GET": Call((), persona="auditor")}, kwargs=_annex1_report_id),
    "web:annex1_report_pdf": Url({"GET": Call((), persona="auditor")}, kwargs=_annex1_report_id),
    # The guidance library (custos.oversight.guidance): no personal data, so reading writes nothing; every change
    # is logged. The DPO drafts (in the kwargs) and central governance publishes or discards.
    "web:guidance_index": Url({"GET": Call(())}),
    "web:guidance_topic": Url({"GET": Call(())}, kwargs=lambda w: {"topic": "social_media"}),
    "web:guidance_version": Url({"GET": Call(())}, kwargs=_guidance_version),
    "web:guidance_changes": Url({"GET": Call(())}, kwargs=_guidance_version),
    "web:guidance_draft": Url(
        {
            "GET": Call((), persona="central"),
            "POST": Call(
                ("guidance.drafted",),
                persona="central",
                data=lambda w: {"body": GUIDANCE, "change_summary": "The first version."},
            ),
        },
        kwargs=lambda w: {"topic": "gang_composition"},
    ),
    "web:guidance_draft_detail": Url({"GET": Call((), persona="central")}, kwargs=_guidance_draft_id),
    "web:guidance_draft_publish": Url(
        {
            "POST": Call(
                ("guidance.published",),
                persona="central",
                data=lambda w: _date("in_force_from", timezone.localdate()),
            )
        },
        kwargs=_guidance_draft_id,
    ),
    "web:guidance_draft_discard": Url(
        {"POST": Call(("guidance.discarded",), persona="central")}, kwargs=_guidance_draft_id
    ),
    # The JSON API: the same rules.
    # The sharing API (custos.sharing.api): the same services and selectors as the sharing pages.
    "sharing_api:agreement-list": Url(
        {"GET": Call(()), "POST": Call(("isa.drafted",), persona="central", data=_agreement_body)}, api=True
    ),
    "sharing_api:agreement-detail": Url({"GET": Call(())}, api=True, kwargs=_agreement_id),
    "sharing_api:agreement-approve": Url(
        {"POST": Call(("isa.approved",), persona="iru", data=lambda w: {"notes": "Approved."})},
        api=True,
        kwargs=_draft_id,
    ),
    "sharing_api:agreement-revoke": Url(
        {"POST": Call(("isa.revoked",), persona="iru", data=lambda w: {"reasons": REASONS})},
        api=True,
        kwargs=_agreement_id,
    ),
    "sharing_api:disclosure-list": Url(
        {
            "GET": Call(("disclosure.listed",)),
            "POST": Call(("disclosure.requested", "notification.sent", "notification.sent"), data=_disclosure_body),
        },
        api=True,
        kwargs=_after(_disclosure),
    ),
    "sharing_api:disclosure-detail": Url(
        {"GET": Call(("disclosure.consulted",), persona="iru")},
        api=True,
        kwargs=lambda w: {"disclosure_id": _disclosure(w).pk},
    ),
    "sharing_api:disclosure-approve": Url(
        {
            "POST": Call(
                ("dlp.canary_registered", "disclosure.made"), persona="iru", data=lambda w: {"reasons": REASONS}
            )
        },
        api=True,
        kwargs=lambda w: {"disclosure_id": _disclosure(w).pk},
    ),
    "sharing_api:disclosure-refuse": Url(
        {"POST": Call(("disclosure.refused",), persona="iru", data=lambda w: {"reasons": REASONS})},
        api=True,
        kwargs=lambda w: {"disclosure_id": _disclosure(w).pk},
    ),
    "sharing_api:disclosure-withdraw": Url(
        {"POST": Call(("disclosure.withdrawn",))}, api=True, kwargs=lambda w: {"disclosure_id": _disclosure(w).pk}
    ),
    "sharing_api:package": Url(
        {"GET": Call(("package.downloaded",))},
        api=True,
        kwargs=lambda w: {"disclosure_id": _disclosure(w, approved=True).pk},
    ),
    "sharing_api:destruction": Url(
        {
            "POST": Elsewhere(
                ("package.destroyed", "export.destroyed"),
                "custos/sharing/tests/test_api.py::test_approve_download_open_and_confirm_destruction",
            )
        },
        api=True,
    ),
    "api:nominal-list": Url({"GET": Call(("matrix.listed",))}, api=True),
    "api:nominal-detail": Url(
        {"GET": Call(("nomination.consulted",))}, api=True, kwargs=lambda w: {"nomination_id": w.proposed.pk}
    ),
    "api:person-list": Url(
        {
            "GET": Call(("people.listed",)),
            "POST": Call(("person.created",), data=lambda w: {"bcu": w.bcu.code, "full_name": "Api Person"}),
        },
        api=True,
    ),
    "api:person-detail": Url({"GET": Call(PERSON)}, api=True, kwargs=lambda w: {"person_id": w.person.pk}),
    "api:intelligence-list": Url(
        {
            "GET": Call(("intelligence.listed",)),
            "POST": Call(("intelligence.added", "score.computed"), data=_item_body),
        },
        api=True,
    ),
    "api:intelligence-detail": Url(
        {"GET": Call(("intelligence.consulted",))}, api=True, kwargs=lambda w: {"item_id": w.item.pk}
    ),
    "api:openapi": Url({"GET": Call(())}, api=True),
}


def url_names() -> set[str]:
    def walk(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or namespace)
            else:
                yield f"{namespace}:{entry.name}" if namespace else str(entry.name)

    return set(walk(get_resolver().url_patterns))


def test_every_url_is_classified() -> None:
    names = url_names()
    assert not names - URLS.keys(), f"classify these URLs in URLS (which events they write): {names - URLS.keys()}"
    assert not URLS.keys() - names, f"these URLs no longer exist: {URLS.keys() - names}"


# --- running a call -----------------------------------------------------------------------------------


def _last_seq() -> int:
    return AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0


def _since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def assert_well_formed(event: AuditEvent, actor: User | None) -> None:
    """Who, what, why, and the BCU of the people consulted."""
    label = f"{event.verb} (#{event.seq})"
    if actor is not None and event.actor_id is not None:
        assert event.actor_id == actor.pk, label
        assert event.actor_username == actor.username, label
        assert event.actor_role == actor.role, label
        assert event.actor_bcu == (actor.bcu_code if actor.role in BCU_SCOPED_ROLES else ""), label
    else:
        assert event.actor_username.startswith("system:"), label
        assert event.actor_role == "system", label
    assert event.verb in Verb.values, label
    assert event.object_type, label
    if event.verb not in NO_REFERENCE:
        assert event.object_ref or event.targets, f"{label} names nothing it was about"
    if event.verb in CONSULTATION_VERBS:
        assert event.purpose.strip(), f"{label} has no purpose"
        if event.targets or event.object_ref.startswith("person:"):
            assert "bcu" in event.detail or "target_bcus" in event.detail, f"{label} does not say whose BCU"


#: Events about no one record: a failed sign-in (the name typed is not kept), the log's own readings, and
#: whole-system ones (set-up, the close of a demo seeding run, whose people each have their own events).
NO_REFERENCE = {
    Verb.USER_SIGN_IN_FAILED,
    Verb.AUDIT_SEARCHED,
    Verb.AUDIT_PATTERNS_REVIEWED,
    Verb.SYSTEM_INITIALISED,
    Verb.DEMO_SEEDED,
}

CASES = [
    pytest.param(name, method, call, id=f"{method} {name}")
    for name, url in sorted(URLS.items())
    for method, call in url.calls.items()
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "call"), CASES)
def test_each_call_writes_exactly_its_events(
    name: str, method: str, call: Call | Elsewhere, world: World, client_for: Callable[[User], Client]
) -> None:
    if isinstance(call, Elsewhere):
        _assert_proof_exists(call.proof)
        return
    url = URLS[name]
    path = reverse(name, kwargs=url.kwargs(world))
    data = call.data(world) if call.data else None
    user = world.user(call.persona)
    if url.api:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="completeness")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CUSTOS_PURPOSE=API_PURPOSE)
        before = _last_seq()
        response = getattr(api, method.lower())(path, data, format="json")
    else:
        client = with_purpose(client_for(user)) if call.signed_in else Client()
        before = _last_seq()
        response = getattr(client, method.lower())(path, data or {})
    assert response.status_code < 400 or (name == "web:login" and response.status_code == 200), (
        f"{method} {path} -> {response.status_code}: {getattr(response, 'content', b'')[:300]!r}"
    )
    events = _since(before)
    assert tuple(e.verb for e in events) == call.verbs, f"{method} {name}"
    for event in events:
        assert_well_formed(event, user if call.signed_in else None)


def _assert_proof_exists(proof: str) -> None:
    path, _, test = proof.partition("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, test, None)), f"{proof} does not exist: prove these events somewhere"


UNLISTED = [
    pytest.param(name, method, id=f"{method} {name}")
    for name, url in sorted(URLS.items())
    for method in ("GET", "POST")
    if method not in url.calls
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), UNLISTED)
def test_a_method_the_table_does_not_list_writes_nothing(
    name: str, method: str, world: World, client_for: Callable[[User], Client]
) -> None:
    url = URLS[name]
    first = next(iter(url.calls.values()))
    persona = first.persona if isinstance(first, Call) else "officer_a"
    user = world.user(persona)
    path = reverse(name, kwargs=url.kwargs(world))
    before = _last_seq()
    if url.api:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="completeness")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CUSTOS_PURPOSE=API_PURPOSE)
        before = _last_seq()
        getattr(api, method.lower())(path, {}, format="json")
    else:
        getattr(with_purpose(client_for(user)), method.lower())(path, {})
    assert [e.verb for e in _since(before)] == []


# --- the command table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What a command's events must be: an exact sequence, or counts, a last verb and the only verbs allowed."""

    exact: tuple[str, ...] | None = None
    counts: Callable[[World], dict[str, int]] | None = None
    last: str = ""
    allowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Run:
    """Run in this process with ``call_command``."""

    args: Callable[[World], list[str]]
    expect: Expect
    fails: bool = False


@dataclass(frozen=True)
class Subprocess:
    """Cannot run here (replaces the database, rewrites the key file): proved by ``test_commands_in_a_subprocess``."""

    expect: Expect


SEEDED = frozenset(
    {
        "user.created",  # the inactive account seed_demo_system, which decisions name when no SPOC exists
        "gang.created",
        "person.created",
        "intelligence.added",
        "score.computed",
        "nomination.proposed",
        "nomination.activated",
        "rag.decided",
        "demo.seeded",
    }
)
IMPORTED = frozenset(
    {"person.created", "intelligence.added", "score.computed", "nomination.proposed", "matrix.imported"}
)

COMMANDS: dict[str, Run | Subprocess | Elsewhere] = {
    "seed_demo": Run(
        lambda w: ["--people", "3", "--seed", "7", "--no-progress"],
        Expect(counts=lambda w: {"person.created": 3, "demo.seeded": 1}, last="demo.seeded", allowed=SEEDED),
    ),
    "seed_scale": Run(
        lambda w: ["--people", "3", "--items-per-person", "2", "--seed", "7", "--no-progress"],
        Expect(
            counts=lambda w: {"person.created": 3, "intelligence.added": 6, "demo.seeded": 1},
            last="demo.seeded",
            allowed=SEEDED,
        ),
    ),
    "rescore": Run(
        lambda w: ["--no-progress"],
        Expect(counts=lambda w: {"score.computed": Person.objects.count()}, allowed=frozenset({"score.computed"})),
    ),
    "import_matrix": Run(
        lambda w: [str(EXAMPLE_MATRIX), "--bcu", "central-east"],
        Expect(last="matrix.imported", allowed=IMPORTED),
    ),
    "demo_users": Run(
        lambda w: ["--password", "demo-password-for-tests-only"],
        Expect(
            counts=lambda w: {"user.created": len(Role), "mfa.enrolled": len(Role)},
            allowed=frozenset({"user.created", "mfa.enrolled", "training.recorded"}),
        ),
    ),
    "api_token": Run(lambda w: ["officer_a", "--label", "nightly export"], Expect(exact=("api_token.issued",))),
    "audit_checkpoint": Run(lambda w: [], Expect(exact=())),
    "audit_verify": Run(lambda w: [], Expect(exact=())),
    "keys_status": Run(lambda w: [], Expect(exact=())),
    "pkcs11_init": Run(lambda w: [], Expect(exact=()), fails=True),  # the local key file is in use: nothing to do
    "init": Subprocess(
        Expect(
            exact=(
                "system.initialised",
                "rubric.loaded",
                "retention_schedule.loaded",
                "action_kinds.loaded",
                "action_policy.loaded",
            )
        )
    ),
    "action_policy": Run(lambda w: [], Expect(exact=())),
    "rotate_keys": Subprocess(Expect(last="keys.rotated", allowed=frozenset({"keys.rotated"}))),
    "backup": Subprocess(Expect(exact=())),
    "restore": Elsewhere(
        ("data_key.shredded",),
        "tests/cli/test_keys_backup.py::test_restoring_an_older_backup_keeps_later_erasures",
    ),
    # nothing due in the test world: only the run itself is recorded
    "retention_sweep": Run(lambda w: ["--no-progress"], Expect(exact=("retention.swept",))),
    "retention_schedule": Run(lambda w: [], Expect(exact=())),
    "erasure_ledger": Run(lambda w: ["--reapply"], Expect(exact=())),
    "access_sweep": Elsewhere(
        ("user.suspended",),
        "custos/accounts/tests/test_governance.py::test_access_sweep_suspends_dormant_and_unattested_accounts",
    ),
    "import_hr": Elsewhere(
        ("user.moved", "user.suspended"),
        "custos/accounts/tests/test_governance.py::test_import_hr_suspends_leavers_and_moves_movers",
    ),
    # The copy scanner's index and a scan of an empty folder (custos.dlp)
    "dlp_index": Run(lambda w: ["--no-progress"], Expect(exact=("dlp.indexed",))),
    "dlp_scan": Run(
        lambda w: [tempfile.mkdtemp(prefix="custos-scan-"), "--no-progress", "--workers", "1"],
        Expect(exact=("dlp.scan_started", "dlp.scanned")),
    ),
    # Expired exports put on task lists (custos.dlp.exports): none in the test world, so only the sweep itself
    "export_sweep": Run(lambda w: [], Expect(exact=("export.swept",))),
    # BCU audits (custos.oversight.audits): scheduled, as system:bcu_audit; breaches past 72 hours: none here
    "bcu_audit": Run(lambda w: ["--bcu", w.bcu.code], Expect(exact=("bcu_audit.run",))),
    "breach_sweep": Run(lambda w: [], Expect(exact=("breach.swept",))),
    # The DPIA pack (custos.oversight.dpia): starting risks (generate/export need the DPO: tests/cli); s.61 record
    "dpia": Run(lambda w: ["--seed-risks"], Expect(exact=("dpia.risks_seeded",))),
    "records_of_processing": Run(lambda w: ["--json"], Expect(exact=("ropa.produced",))),
    # The Annex 1 monthly report (custos.oversight.annex1): as system:annex1_report, HTML only into a temporary folder
    "annex1_report": Run(
        lambda w: [
            "--month",
            timezone.localdate().strftime("%Y-%m"),
            "--out",
            tempfile.mkdtemp(prefix="custos-annex1-"),
            "--format",
            "html",
        ],
        Expect(exact=("annex1.reported",)),
    ),
    # The guidance library (custos.oversight.guidance): the shipped starting text as five drafts
    "guidance": Run(lambda w: ["seed"], Expect(exact=("guidance.drafted",) * 5)),
    # The equality monitor (custos.oversight.equality): a baseline loaded, a quarter published
    "equality_baseline": Elsewhere(
        ("equality.baseline_loaded",),
        "tests/cli/test_oversight_equality.py::test_a_baseline_is_loaded_and_a_quarter_published",
    ),
    "equality_publish": Elsewhere(
        ("equality.published",),
        "tests/cli/test_oversight_equality.py::test_a_baseline_is_loaded_and_a_quarter_published",
    ),
    # Background work (custos.workers): the task list reads no personal data; a worker recovering a task whose
    # worker was killed records it (a worker runs in its own process, its loop closing the connection between tasks)
    "tasks": Run(lambda w: [], Expect(exact=())),
    "worker": Elsewhere(
        ("task.recovered",),
        "tests/cli/test_tasks_cli.py::test_a_worker_killed_mid_task_leaves_no_half_batch_and_its_task_is_run_again",
    ),
    "mfa_reset": Run(lambda w: ["officer_a"], Expect(exact=("mfa.reset",))),
    "user_reinstate": Run(lambda w: [w.suspended.username], Expect(exact=("user.reinstated",))),
    # Agreements and disclosures from the command line (custos.sharing), as the --as-user account
    "isa": Elsewhere(
        ("isa.drafted", "isa.approved", "isa.revoked"),
        "tests/cli/test_sharing_commands.py::test_draft_approve_show_list_and_revoke",
    ),
    "disclosure": Elsewhere(
        ("disclosure.requested", "disclosure.made", "package.downloaded"),
        "tests/cli/test_sharing_commands.py::test_request_approve_package_and_open_it_with_age",
    ),
    # Sharing housekeeping: no agreement past its review date in the test world, so nothing to record
    "sharing_sweep": Run(lambda w: [], Expect(exact=())),
    "seed_sharing_demo": Elsewhere(
        ("isa.drafted", "isa.approved", "sharing_log.imported", "disclosure.requested", "disclosure.made"),
        "tests/cli/test_sharing_demo_cli.py::test_make_demo_shares_under_agreements_and_the_recipient_opens_the_package",
    ),
    "import_sharing_log": Elsewhere(
        ("sharing_log.imported",),
        "tests/cli/test_sharing_review_cli.py::test_a_legacy_log_is_imported_once_and_the_review_covers_it",
    ),
    "sharing_review": Elsewhere(
        ("sharing.reviewed",),
        "tests/cli/test_sharing_review_cli.py::test_a_legacy_log_is_imported_once_and_the_review_covers_it",
    ),
}


def custos_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app.startswith("custos.")}


def test_every_command_is_classified() -> None:
    commands = custos_commands()
    assert not commands - COMMANDS.keys(), f"classify these commands in COMMANDS: {commands - COMMANDS.keys()}"
    assert not COMMANDS.keys() - commands, f"these commands no longer exist: {COMMANDS.keys() - commands}"


def check(verbs: list[str], expect: Expect, world: World | None, label: str) -> None:
    if expect.exact is not None:
        assert tuple(verbs) == expect.exact, label
        return
    assert verbs, f"{label} wrote no events"
    if expect.allowed:
        assert set(verbs) <= expect.allowed, f"{label} wrote {set(verbs) - expect.allowed}"
    if expect.last:
        assert verbs[-1] == expect.last, label
    if expect.counts is not None and world is not None:
        counted = Counter(verbs)
        for verb, n in expect.counts(world).items():
            assert counted[verb] == n, f"{label}: {counted[verb]} x {verb}, expected {n}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if isinstance(c, Run)))
def test_each_command_writes_exactly_its_events(name: str, world: World) -> None:
    spec = COMMANDS[name]
    assert isinstance(spec, Run)
    if name == "demo_users":
        User.objects.filter(username__startswith="demo_").delete()
    before = _last_seq()
    out = io.StringIO()
    if spec.fails:
        with pytest.raises(CommandError):
            call_command(name, *spec.args(world), stdout=out, stderr=out)
    else:
        call_command(name, *spec.args(world), stdout=out, stderr=out)
    events = _since(before)
    check([e.verb for e in events], spec.expect, world, name)
    for event in events:
        assert_well_formed(event, None)
    if name == "import_matrix":
        imported = events[-1]
        assert Counter(e.verb for e in events)["person.created"] == imported.detail["people"]


@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if isinstance(c, Elsewhere)))
def test_commands_proved_elsewhere_are_proved(name: str) -> None:
    spec = COMMANDS[name]
    assert isinstance(spec, Elsewhere)
    _assert_proof_exists(spec.proof)


@pytest.mark.cli
def test_commands_in_a_subprocess() -> None:
    """``init``, ``rotate_keys`` and ``backup`` as an operator runs them, with the events read back."""
    import pyrage

    query = (
        "import json; from custos.audit.models import AuditEvent as E; "
        "print(json.dumps([[e.verb, e.actor_username, e.actor_role, e.object_type] "
        "for e in E.objects.order_by('seq')]))"
    )

    def events(inst: Any) -> list[list[str]]:
        import json

        result = inst.custos("shell", "-v", "0", "-c", query)
        value = json.loads(result.stdout.strip().splitlines()[-1])
        assert isinstance(value, list)
        return value

    with custos_instance(demo_users=False) as inst:
        after_init = events(inst)
        spec = COMMANDS["init"]
        assert isinstance(spec, Subprocess)
        check([e[0] for e in after_init], spec.expect, None, "init")
        assert all(e[1] == "system:init" and e[2] == "system" and e[3] for e in after_init), after_init
        inst.custos("init")  # idempotent: nothing new to record
        assert events(inst) == after_init

        inst.custos("seed_demo", "--people", "2", "--seed", "1", "--no-progress")
        before = len(events(inst))
        inst.custos("rotate_keys")
        rotated = events(inst)[before:]
        spec = COMMANDS["rotate_keys"]
        assert isinstance(spec, Subprocess)
        check([e[0] for e in rotated], spec.expect, None, "rotate_keys")

        before = len(events(inst))
        recipient = str(pyrage.x25519.Identity.generate().to_public())
        inst.custos("backup", str(inst.data_dir / "backup.age"), "--recipient", recipient)
        spec = COMMANDS["backup"]
        assert isinstance(spec, Subprocess)
        check([e[0] for e in events(inst)[before:]], spec.expect, None, "backup")
