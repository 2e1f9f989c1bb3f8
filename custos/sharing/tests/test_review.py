"""The sharing review on fixed data: disclosures made through the real services, legacy lines, hand-counted."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from custos.accounts.models import User
from custos.audit.models import AuditEvent, Verb
from custos.retention.tests.builders import a_nominal
from custos.sharing import services
from custos.sharing.models import Agreement, Disclosure, LegacyShare
from custos.sharing.review import ReviewFilters, Tally, review_build, review_for
from custos.sharing.services import Asked
from custos.sharing.tests.builders import NECESSITY, PURPOSE, REASONS, an_agreement

pytestmark = pytest.mark.django_db

BASIS_A = "DPA 2018 s.35(2)(b) and s.31; Crime and Disorder Act 1998 s.115"
BASIS_B = "DPA 2018 s.35(2)(b); Housing Act 1996 s.218A"
YOS = "Hackney Youth Offending Service"
HOUSING = "Clarion Housing Group"


def legacy(line: int, shared_on: dt.date, recipient: str, **values: Any) -> LegacyShare:
    defaults: dict[str, Any] = {
        "batch": uuid.UUID(int=1),
        "source_name": "old-log.csv",
        "source_sha256": "a" * 64,
        "line": line,
        "shared_on": shared_on,
        "recipient_name": recipient,
        "imported_at": timezone.now(),
    }
    return LegacyShare.objects.create(**{**defaults, **values})


@pytest.fixture
def shared(officer_a: User, spoc_a: User, central: User, iru: User) -> dict[str, Any]:
    """Two disclosures (ISA-0001 statutory, two people; ISA-0002 non-statutory, one) and three legacy lines."""
    yos = an_agreement(central, iru)
    housing = an_agreement(
        central,
        iru,
        title="Tenancy enforcement",
        recipient_name=HOUSING,
        recipient_kind="non_statutory",
        parties=["Metropolitan Police Service", HOUSING],
        legal_basis=BASIS_B,
        fields=["reference", "full_name", "address", "band"],
    )
    red, amber, other = (a_nominal(officer_a, spoc_a, band=b, name=n) for b, n in
                         (("red", "Red Example"), ("amber", "Amber Example"), ("red", "Other Example")))  # fmt: skip
    first = services.disclosure_request(
        actor=officer_a, agreement=yos, purpose=PURPOSE, people=[Asked(red.pk, NECESSITY), Asked(amber.pk, NECESSITY)]
    )
    first = services.disclosure_approve(actor=spoc_a, disclosure=first, reasons=REASONS)
    second = services.disclosure_request(
        actor=officer_a, agreement=housing, purpose=PURPOSE, people=[Asked(other.pk, NECESSITY)]
    )
    second = services.disclosure_approve(actor=iru, disclosure=second, reasons=REASONS)
    legacy(2, dt.date(2019, 3, 4), YOS, recipient_kind="statutory", isa_code="ISA-0001", agreement=yos,
           legal_basis="DPA 2018 s.35(2)(b)", people_count=3, band_counts={"red": 1, "amber": 2},
           category_counts={"suspected_offender": 3}, fields=["full_name", "band"])  # fmt: skip
    legacy(3, dt.date(2019, 5, 20), "Safer Streets Charity", people_count=4, band_counts={"green": 2, "none": 1},
           category_counts={"suspected_offender": 2, "witness": 2}, fields=["full_name", "intelligence"])  # fmt: skip
    legacy(4, dt.date(2020, 1, 14), "HM Prison Feltham", recipient_kind="statutory", isa_code="ISA-0099",
           legal_basis="DPA 2018 s.35(2)(b)", people_count=2, band_counts={"red": 2},
           category_counts={"convicted_offender": 2}, fields=["full_name"])  # fmt: skip
    return {"yos": yos, "housing": housing, "first": first, "second": second}


def counts(rows: list[Tally]) -> dict[str, tuple[int, int, int, int]]:
    return {row.key: (row.disclosures, row.people, row.legacy_shares, row.legacy_people) for row in rows}


def flags(review: Any) -> list[tuple[str, str]]:
    return [(flag.ref, flag.rule) for flag in review.flags]


def test_the_review_counts_every_section_by_hand(shared: dict[str, Any], iru: User) -> None:
    services.agreement_revoke(actor=iru, agreement=shared["housing"], reasons="Recipient breached the security terms.")
    review = review_build(filters=ReviewFilters())
    assert review.counts() == {"disclosures": 2, "people": 3, "legacy_shares": 3, "legacy_people": 9, "flags": 7}
    assert review.legacy_without_isa == 1
    assert [(r.label, r.extra["kind"]) for r in review.by_recipient] == [
        (YOS, "statutory"),
        ("Safer Streets Charity", "unknown"),
        ("HM Prison Feltham", "statutory"),
        (HOUSING, "non_statutory"),
    ]
    assert list(counts(review.by_recipient).values()) == [(1, 2, 1, 3), (0, 0, 1, 4), (0, 0, 1, 2), (1, 1, 0, 0)]
    assert counts(review.by_isa) == {
        "ISA-0001": (1, 2, 1, 3),
        "ISA-0002": (1, 1, 0, 0),
        "ISA-0099": (0, 0, 1, 2),
        "(none)": (0, 0, 1, 4),
    }
    assert [(r.extra["status"], r.extra["legal_basis"]) for r in review.by_isa] == [
        ("approved", BASIS_A),
        ("revoked", BASIS_B),
        ("unknown", "Not recorded"),
        ("", "Not recorded"),
    ]
    assert counts(review.by_legal_basis) == {
        BASIS_A: (1, 2, 0, 0),
        "DPA 2018 s.35(2)(b)": (0, 0, 2, 5),
        "Not recorded": (0, 0, 1, 4),
        BASIS_B: (1, 1, 0, 0),
    }
    assert counts(review.by_kind) == {
        "statutory": (1, 2, 2, 5),
        "non_statutory": (1, 1, 0, 0),
        "unknown": (0, 0, 1, 4),
    }
    assert counts(review.by_band) == {
        "red": (2, 2, 2, 3),
        "amber": (1, 1, 1, 2),
        "green": (0, 0, 1, 2),
        "none": (0, 0, 1, 1),
        "unrecorded": (0, 0, 1, 1),
    }
    assert counts(review.by_category) == {
        "suspected_offender": (2, 3, 2, 5),
        "convicted_offender": (0, 0, 1, 2),
        "witness": (0, 0, 1, 2),
    }
    this_month = timezone.localdate().strftime("%Y-%m")
    assert counts(review.by_month) == {
        "2019-03": (0, 0, 1, 3),
        "2019-05": (0, 0, 1, 4),
        "2020-01": (0, 0, 1, 2),
        this_month: (2, 3, 0, 0),
    }
    second = shared["second"].short_ref
    assert flags(review) == [
        (second, "isa_revoked"),
        ("old-log.csv line 2", "isa_not_in_force"),
        ("old-log.csv line 3", "intelligence_text"),
        ("old-log.csv line 3", "low_risk"),
        ("old-log.csv line 3", "no_isa"),
        ("old-log.csv line 3", "victims"),
        ("old-log.csv line 4", "unknown_isa"),
    ]
    messages = {(f.ref, f.rule): f.message for f in review.flags}
    assert messages[(second, "isa_revoked")].startswith(f"{second} was made under ISA-0002, since revoked on ")
    assert "ISA-0001 was not yet approved" in messages[("old-log.csv line 2", "isa_not_in_force")]
    assert messages[("old-log.csv line 3", "no_isa")] == (
        "old-log.csv line 3: shared with Safer Streets Charity without an agreement."
    )
    assert "'ISA-0099', which is not in the register" in messages[("old-log.csv line 4", "unknown_isa")]
    for name in ("Red Example", "Amber Example", "Other Example"):
        assert name not in str(review.as_json())


def test_an_expired_agreement_and_a_package_not_destroyed_are_flagged(shared: dict[str, Any]) -> None:
    yos: Agreement = shared["yos"]
    first: Disclosure = shared["first"]
    assert first.expires_on is not None
    assert first.expires_on < yos.review_date
    later = yos.review_date + dt.timedelta(days=1)
    review = review_build(filters=ReviewFilters(date_from=timezone.localdate()), today=later)
    ref = first.short_ref
    found = {(f.ref, f.rule): f.message for f in review.flags}
    assert found[(ref, "isa_expired")] == (
        f"{ref} was made under ISA-0001, which expired on {yos.review_date.isoformat()}."
    )
    assert found[(ref, "package_not_destroyed")].startswith(
        f"{ref}: the package was to be destroyed by {first.expires_on.isoformat()}"
    )
    assert [s for s in review.by_isa if s.key == "ISA-0001"][0].extra["status"] == "expired"
    assert review.legacy_shares == 0  # the period starts today


def test_a_disclosure_the_guidance_would_now_refuse_is_flagged(shared: dict[str, Any]) -> None:
    # An agreement never changes once approved; the rules it is read against can. Narrow both as if they had.
    Agreement.objects.filter(pk=shared["yos"].pk).update(bands=["red"])
    Disclosure.objects.filter(pk=shared["second"].pk).update(fields=["reference", "full_name", "intelligence"])
    review = review_build(filters=ReviewFilters(date_from=timezone.localdate()))
    first, second = shared["first"].short_ref, shared["second"].short_ref
    assert sorted(flags(review)) == sorted([(first, "bands"), (second, "fields"), (second, "intelligence_text")])
    messages = {(f.ref, f.rule): f.message for f in review.flags}
    assert messages[(first, "bands")] == f"{first} shared people in band(s) amber, which ISA-0001 does not cover."
    assert messages[(second, "intelligence_text")] == (
        f"{second}: intelligence text to a recipient with no statutory function, and ISA-0002 records no "
        "exception for it."
    )


def test_filters_by_date_and_kind(shared: dict[str, Any]) -> None:
    legacy_only = review_build(filters=ReviewFilters(date_to=dt.date(2019, 12, 31)))
    assert legacy_only.counts() == {"disclosures": 0, "people": 0, "legacy_shares": 2, "legacy_people": 7, "flags": 5}
    non_statutory = review_build(filters=ReviewFilters(recipient_kind="non_statutory"))
    assert (non_statutory.disclosures, non_statutory.legacy_shares) == (1, 0)
    unknown = review_build(filters=ReviewFilters(recipient_kind="unknown"))
    assert (unknown.disclosures, unknown.legacy_shares, unknown.legacy_people) == (0, 1, 4)


def test_reading_the_review_is_audited_without_personal_data(shared: dict[str, Any], auditor: User) -> None:
    filters = ReviewFilters(date_from=dt.date(2019, 1, 1))
    review_for(viewer=auditor, filters=filters, fmt="html")
    event = AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).get()
    assert event.actor_id == auditor.pk
    assert event.targets == []
    assert event.detail == {
        "filters": {"from": "2019-01-01", "to": "", "recipient_kind": ""},
        "format": "html",
        "disclosures": 2,
        "people": 3,
        "legacy_shares": 3,
        "legacy_people": 9,
        "flags": 6,
    }


def test_an_officer_may_not_read_the_review(officer_a: User) -> None:
    with pytest.raises(PermissionDenied):
        review_for(viewer=officer_a, filters=ReviewFilters())
    assert not AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).exists()


# -- the page and the PDF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["iru", "central", "dpo", "auditor"])
def test_reviewers_see_the_page_with_the_flags_first(
    role: str, request: pytest.FixtureRequest, shared: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    user: User = request.getfixturevalue(role)
    response = client_for(user).get(reverse("web:sharing_review"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index('id="flags-heading"') < page.index('id="review-totals"') < page.index('id="by-recipient"')
    assert "old-log.csv line 3" in page
    assert "ISA-0099" in page
    assert YOS in page
    assert "Red Example" not in page
    event = AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).get()
    assert (event.actor_id, event.detail["format"], event.detail["disclosures"]) == (user.pk, "html", 2)


def test_the_page_filters_by_dates_in_the_query_string(
    shared: dict[str, Any], iru: User, client_for: Callable[[User], Client]
) -> None:
    query = {"date_to_0": "31", "date_to_1": "12", "date_to_2": "2019"}
    page = client_for(iru).get(reverse("web:sharing_review"), query).content.decode()
    assert 'data-total="disclosures">0<' in page
    assert 'data-total="legacy_shares">2<' in page
    event = AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).get()
    assert event.detail["filters"] == {"from": "", "to": "2019-12-31", "recipient_kind": ""}


@pytest.mark.parametrize("role", ["officer_a", "sysadmin"])
def test_others_are_refused_the_page_and_the_pdf(
    role: str, request: pytest.FixtureRequest, client_for: Callable[[User], Client]
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("web:sharing_review")).status_code == 403
    assert client.get(reverse("web:sharing_review_pdf")).status_code == 403
    assert not AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).exists()


def test_the_pdf_is_a_real_pdf_with_the_totals(
    shared: dict[str, Any], dpo: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(dpo).get(reverse("web:sharing_review_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = f"sharing-review-{timezone.localdate().isoformat()}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Sharing review" in text
    assert "Disclosures through Custos 2" in text
    assert "Legacy shares 3" in text
    assert shared["first"].short_ref not in text  # no flag on it
    assert "old-log.csv line 3" in text
    event = AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED).get()
    assert event.detail["format"] == "pdf"


def test_review_json_is_plain_data(shared: dict[str, Any]) -> None:
    data = json.loads(json.dumps(review_build(filters=ReviewFilters()).as_json()))
    assert data["totals"]["legacy_without_isa"] == 1
    assert data["flags"][0] == {
        "ref": "old-log.csv line 2",
        "rule": "isa_not_in_force",
        "message": data["flags"][0]["message"],
        "source": "legacy",
        "on": "2019-03-04",
    }
    assert data["by_isa"][0]["key"] == "ISA-0001"
