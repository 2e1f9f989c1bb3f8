"""The equality monitor on a fixed dataset: exact numbers worked out by hand, the role rule, the pages.

The dataset (ages at 30 September 2026):

=====  ====  ============  ========  ===========  ======  =================  ===========
who    BCU   self-defined  observed  age band     gender  nomination / band  activated
=====  ====  ============  ========  ===========  ======  =================  ===========
P1     A     B1 Black      IC3       16–17        male    active, red        2026-07-10
P2     A     B2 Black      IC3       18–24        male    active, red        2026-07-20
P3     A     W1 White      IC1       25+          male    active, amber      2026-08-05
P4     A     A1 Asian      IC4       under 16     female  active, green      2026-08-15
P5     B     W9 White      IC2       unknown      male    under review,amber 2026-09-01
P6     B     M1 Mixed      IC3       18–24 (18)   male    active, red        2026-09-02
P7     B     NS            IC9       25+          n/s     active, no band    2026-09-03
P8     A     B9 Black      IC3       25+          male    proposed (not on the matrix)
=====  ====  ============  ========  ===========  ======  =================  ===========

Actions: enforcement P1 twice (2026-07-15, 2026-08-01), P2 (2026-08-02), P3 (2026-08-03); diversion P4
(2026-08-20), P3 (2026-09-05). Disclosed: P1 and P3 (2026-09-10); a pending disclosure of P2 does not
count. Removals (tallies): 3 in 2026-08 in BCU A (red, 18–24, IC3, B1, male), 1 in 2026-09 in BCU B
(amber, 25+, IC1, W1, female). RAG decisions: P1 2026-07-12, P3 2026-08-06.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent, Verb
from custos.oversight.equality import selectors
from custos.oversight.equality.models import Baseline, EqualityPublication
from custos.oversight.equality.services import baseline_load, equality_publish
from custos.register.models import BCU, Action, ActionKind, Nomination, Person, RagDecision
from custos.register.tests.factories import a_person
from custos.retention.models import RemovalTally
from custos.sharing.models import Disclosure, DisclosureSubject
from custos.sharing.tests.builders import an_agreement

ON = dt.date(2026, 9, 30)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


@pytest.fixture
def world(
    officer_a: User, officer_b: User, spoc_a: User, central: User, make_user: Callable[..., User]
) -> dict[str, Any]:
    people: dict[str, Person] = {}
    spec = [
        ("P1", officer_a, "B1", "IC3", dt.date(2010, 1, 1), "male", "active", "red", dt.date(2026, 7, 10)),
        ("P2", officer_a, "B2", "IC3", dt.date(2005, 3, 1), "male", "active", "red", dt.date(2026, 7, 20)),
        ("P3", officer_a, "W1", "IC1", dt.date(1990, 1, 1), "male", "active", "amber", dt.date(2026, 8, 5)),
        ("P4", officer_a, "A1", "IC4", dt.date(2012, 6, 1), "female", "active", "green", dt.date(2026, 8, 15)),
        ("P5", officer_b, "W9", "IC2", None, "male", "under_review", "amber", dt.date(2026, 9, 1)),
        ("P6", officer_b, "M1", "IC3", dt.date(2008, 9, 30), "male", "active", "red", dt.date(2026, 9, 2)),
        ("P7", officer_b, "NS", "IC9", dt.date(2000, 1, 1), "not_stated", "active", "", dt.date(2026, 9, 3)),
        ("P8", officer_a, "B9", "IC3", dt.date(1980, 1, 1), "male", "proposed", "", None),
    ]
    nominations: dict[str, Nomination] = {}
    for name, officer, self_code, observed, dob, gender, status, band, activated in spec:
        person = a_person(
            officer,
            full_name=f"Person {name}",
            date_of_birth=dob,
            self_defined_ethnicity=self_code,
            observed_ethnicity=observed,
            gender=gender,
        )
        people[name] = person
        nominations[name] = Nomination.objects.create(
            data_key_id=person.data_key_id,
            person=person,
            bcu=person.bcu,
            status=status,
            band=band,
            reasons="Fixed dataset.",
            activated_at=_at(activated) if activated else None,
        )
    enforcement = ActionKind.objects.filter(kind=ActionKind.Kind.ENFORCEMENT).first()
    diversion = ActionKind.objects.filter(kind=ActionKind.Kind.DIVERSION).first()
    assert enforcement is not None
    assert diversion is not None
    for name, kind, day in [
        ("P1", enforcement, dt.date(2026, 7, 15)),
        ("P1", enforcement, dt.date(2026, 8, 1)),
        ("P2", enforcement, dt.date(2026, 8, 2)),
        ("P3", enforcement, dt.date(2026, 8, 3)),
        ("P4", diversion, dt.date(2026, 8, 20)),
        ("P3", diversion, dt.date(2026, 9, 5)),
    ]:
        Action.objects.create(
            data_key_id=people[name].data_key_id,
            nomination=nominations[name],
            person=people[name],
            kind=kind,
            band=nominations[name].band,
            basis=Action.Basis.NOMINAL,
            taken_on=day,
            notes="Fixed dataset.",
            policy_version=1,
            recorded_by=spoc_a,
        )
    agreement = an_agreement(central, make_user("iru_equality", Role.IRU))
    for status, names in [(Disclosure.Status.DISCLOSED, ["P1", "P3"]), (Disclosure.Status.PENDING, ["P2"])]:
        disclosure = Disclosure.objects.create(
            agreement=agreement,
            requested_by=spoc_a,
            requested_at=_at(dt.date(2026, 9, 9)),
            purpose="OP-1: fixed dataset",
            status=status,
            decided_at=_at(dt.date(2026, 9, 10)) if status == Disclosure.Status.DISCLOSED else None,
        )
        for name in names:
            DisclosureSubject.objects.create(
                disclosure=disclosure, person=people[name], data_key_id=people[name].data_key_id, necessity="n"
            )
    RemovalTally.objects.create(
        month="2026-08",
        bcu_code="central-east",
        band="red",
        age_band="18-24",
        observed_ethnicity="IC3",
        self_defined_ethnicity="B1",
        gender="male",
        count=3,
    )
    RemovalTally.objects.create(
        month="2026-09",
        bcu_code="north-area",
        band="amber",
        age_band="25+",
        observed_ethnicity="IC1",
        self_defined_ethnicity="W1",
        gender="female",
        count=1,
    )
    for name, band, day in [("P1", "red", dt.date(2026, 7, 12)), ("P3", "amber", dt.date(2026, 8, 6))]:
        decision = RagDecision.objects.create(
            data_key_id=people[name].data_key_id,
            nomination=nominations[name],
            band=band,
            reasons="Fixed dataset.",
            decided_by=spoc_a,
        )
        RagDecision.objects.filter(pk=decision.pk).update(decided_at=_at(day))
    return {"people": people}


def _by_group(rows: list[selectors.RatioRow]) -> dict[str, selectors.RatioRow]:
    return {row.group: row for row in rows}


# --- figures --------------------------------------------------------------------------------------------


def test_composition_of_the_matrix(world: dict[str, Any], central: User) -> None:
    monitor = selectors.equality_monitor_for(viewer=central, on=ON)
    matrix = monitor.matrix
    # P1–P7 are on the matrix (P5 under review counts), P8 is only proposed.
    assert selectors.count(matrix) == 7
    assert selectors.composition(matrix, "ethnicity") == {
        "Asian": 1,
        "Black": 2,
        "Mixed": 1,
        "Not known": 1,
        "White": 2,
    }
    assert selectors.composition(matrix, "observed") == {"IC1": 1, "IC2": 1, "IC3": 3, "IC4": 1, "IC9": 1}
    assert selectors.composition(matrix, "age_band") == {"": 1, "16-17": 1, "18-24": 2, "25+": 2, "under16": 1}
    assert selectors.composition(matrix, "gender") == {"female": 1, "male": 5, "not_stated": 1}
    assert selectors.composition(matrix, "bcu") == {"central-east": 4, "north-area": 3}
    assert selectors.composition(monitor.at("banding", "red"), "ethnicity") == {"Black": 2, "Mixed": 1}
    assert selectors.composition(monitor.at("banding", ""), "ethnicity") == {"Not known": 1}
    # People with an action of each kind (P1's two enforcement actions are one person).
    assert selectors.composition(monitor.at("actions", "enforcement"), "ethnicity") == {"Black": 2, "White": 1}
    assert selectors.composition(monitor.at("actions", "diversion"), "ethnicity") == {"Asian": 1, "White": 1}
    assert selectors.composition(monitor.at("sharing"), "ethnicity") == {"Black": 1, "White": 1}
    assert selectors.composition(monitor.at("removal"), "ethnicity") == {"Black": 3, "White": 1}
    assert selectors.composition(monitor.at("removal"), "age_band") == {"18-24": 3, "25+": 1}


def test_ratios_at_each_decision_point(world: dict[str, Any], central: User) -> None:
    monitor = selectors.equality_monitor_for(viewer=central, on=ON)
    census = monitor.baseline
    assert census.shares["Black"] == pytest.approx(0.135)  # 13.5 of 100.0 percent
    # Inclusion: 6 people of known group; Black 2 → (2/6)/0.135 = 2.4691 (0.7963–7.6559);
    # White 2 → (2/6)/0.538 = 0.6196 (0.1998–1.9211). No rates: the census gives percentages only.
    inclusion = _by_group(selectors.ratios(monitor.matrix, point="inclusion", matrix=monitor.matrix, baseline=census))
    assert inclusion["Black"].representation.value == pytest.approx(2.469136, abs=1e-6)
    assert inclusion["Black"].representation.low == pytest.approx(0.796333, abs=1e-6)
    assert inclusion["Black"].representation.high == pytest.approx(7.655886, abs=1e-6)
    assert inclusion["White"].representation.value == pytest.approx(0.619579, abs=1e-6)
    assert inclusion["White"].representation.low == pytest.approx(0.199823, abs=1e-6)
    assert not inclusion["Black"].rate_ratio.computable
    assert inclusion["Other"].count == 0
    assert not inclusion["Other"].representation.has_interval

    # Enforcement: Black 2 of 2 on the matrix (1,000 per 1,000), White 1 of 2 (500): RR 2.0 (0.5002–7.9971).
    enforcement = _by_group(
        selectors.ratios(monitor.at("actions", "enforcement"), point="actions", matrix=monitor.matrix, baseline=census)
    )
    assert enforcement["Black"].rate == 1000.0
    assert enforcement["White"].rate == 500.0
    assert enforcement["Black"].rate_ratio.value == 2.0
    assert enforcement["Black"].rate_ratio.low == pytest.approx(0.500183, abs=1e-6)
    assert enforcement["Black"].rate_ratio.high == pytest.approx(7.997080, abs=1e-6)
    # Representation among the 3 people: Black (2/3)/0.135 = 4.9383
    assert enforcement["Black"].representation.value == pytest.approx(4.938272, abs=1e-6)

    # Sharing: Black 1 of 2, White 1 of 2: RR 1.0, interval exp(±1.96·sqrt(1 − 1/2 + 1 − 1/2)) = 0.1409–7.0993.
    sharing = _by_group(
        selectors.ratios(monitor.at("sharing"), point="sharing", matrix=monitor.matrix, baseline=census)
    )
    assert sharing["Black"].rate_ratio.value == 1.0
    assert sharing["Black"].rate_ratio.low == pytest.approx(0.140858, abs=1e-6)
    assert sharing["Black"].rate_ratio.high == pytest.approx(7.099327, abs=1e-6)

    # Red band: White has no one in red, so the reference rate is zero: not computable.
    red = _by_group(
        selectors.ratios(monitor.at("banding", "red"), point="banding", matrix=monitor.matrix, baseline=census)
    )
    assert red["Black"].rate == 1000.0
    assert not red["Black"].rate_ratio.computable

    # Removal: Black 3 against 2 on the matrix → 1,500 per 1,000; White 1 of 2 → 500; RR 3.0 with no
    # interval (more events than people: the log method does not apply).
    removal = _by_group(
        selectors.ratios(monitor.at("removal"), point="removal", matrix=monitor.matrix, baseline=census)
    )
    assert removal["Black"].rate == 1500.0
    assert removal["Black"].rate_ratio.value == 3.0
    assert not removal["Black"].rate_ratio.has_interval

    # Observed codes mapped to groups: IC3 ×3 → Black 3 of 6 known: (3/6)/0.135 = 3.7037
    observed = _by_group(
        selectors.ratios(monitor.matrix, point="inclusion", matrix=monitor.matrix, baseline=census, by="observed")
    )
    assert observed["Black"].count == 3
    assert observed["Black"].representation.value == pytest.approx(3.703704, abs=1e-6)


def test_time_series_by_month(world: dict[str, Any], central: User) -> None:
    monitor = selectors.equality_monitor_for(viewer=central, on=ON)
    series = selectors.series(monitor.entries)
    assert series["activated"] == {
        "2026-07": {"Black": 2},
        "2026-08": {"White": 1, "Asian": 1},
        "2026-09": {"White": 1, "Mixed": 1, "Not known": 1},
    }
    assert series["rag"] == {"2026-07": {"Black": 1}, "2026-08": {"White": 1}}
    assert series["actions"] == {
        "2026-07": {"Black": 1},
        "2026-08": {"Black": 2, "White": 1, "Asian": 1},
        "2026-09": {"White": 1},
    }
    assert series["sharing"] == {"2026-09": {"Black": 1, "White": 1}}
    assert series["removal"] == {"2026-08": {"Black": 3}, "2026-09": {"White": 1}}


def test_a_spoc_sees_only_their_bcu(world: dict[str, Any], spoc_a: User) -> None:
    monitor = selectors.equality_monitor_for(viewer=spoc_a, bcu="north-area", on=ON)
    assert monitor.bcu == "central-east"
    assert selectors.composition(monitor.matrix, "ethnicity") == {"Asian": 1, "Black": 2, "White": 1}
    assert selectors.composition(monitor.at("removal"), "ethnicity") == {"Black": 3}
    assert selectors.composition(monitor.at("sharing"), "ethnicity") == {"Black": 1, "White": 1}


def test_an_age_banded_baseline_gives_ratios_by_age_band(world: dict[str, Any], central: User) -> None:
    text = "group,age_band,count\nBlack,18-24,100\nWhite,18-24,300\nBlack,25+,50\nWhite,25+,450\n"
    baseline_load(actor=central, name="London by age", kind="population", source="Test figures", text=text)
    monitor = selectors.equality_monitor_for(viewer=central, on=ON)
    assert monitor.age_baseline is not None
    by_age = selectors.age_ratios(monitor.matrix, monitor.age_baseline)
    assert set(by_age) == {"18-24", "25+"}
    # 18–24 on the matrix: P2 (Black), P6 (Mixed) → known 2; Black share 1/2 against 100/400 → 2.0
    rows = _by_group(by_age["18-24"])
    assert rows["Black"].representation.value == pytest.approx(2.0)
    assert rows["White"].representation.value == 0.0
    # Against the loaded baseline's counts, inclusion rates become computable: Black 2 per 150 → 13.33 per 1,000;
    # White 2 per 750 → 2.667; RR 5.0
    chosen = selectors.baseline_choose(str(Baseline.objects.get().pk))
    inclusion = _by_group(selectors.ratios(monitor.matrix, point="inclusion", matrix=monitor.matrix, baseline=chosen))
    assert inclusion["Black"].rate == pytest.approx(13.333333, abs=1e-6)
    assert inclusion["Black"].rate_ratio.value == pytest.approx(5.0)


def test_baseline_files_are_checked(central: User, officer_a: User) -> None:
    with pytest.raises(ValidationError, match="group must be one of"):
        baseline_load(actor=central, name="x", kind="population", source="", text="group,count\nPurple,3\n")
    with pytest.raises(ValidationError, match="age band"):
        baseline_load(actor=central, name="x", kind="victim", source="", text="group,age_band,count\nBlack,12-14,3\n")
    with pytest.raises(ValidationError):
        baseline_load(actor=central, name="x", kind="nonsense", source="", text="group,count\nBlack,3\n")
    with pytest.raises(PermissionDenied):
        baseline_load(actor=officer_a, name="x", kind="victim", source="", text="group,count\nBlack,3\n")
    made = baseline_load(
        actor=central, name="Victims 2025", kind="victim", source="S", text="group,percent\nBlack,30\n"
    )
    assert made.rows == [{"group": "Black", "age_band": "", "percent": 30.0}]
    assert AuditEvent.objects.filter(verb=Verb.EQUALITY_BASELINE_LOADED).count() == 1


# --- publication ----------------------------------------------------------------------------------------


def test_publishing_a_quarter_freezes_suppressed_tables(world: dict[str, Any], central: User, dpo: User) -> None:
    made = equality_publish(actor=central, quarter="2026-Q3")
    assert made.data["as_at"] == "2026-09-30"
    tables = {table["key"]: table for table in made.data["tables"]}
    assert set(tables) == {
        "matrix_bcu_band",
        "matrix_ethnicity_band",
        "matrix_age_ethnicity",
        "matrix_gender_band",
        "actions_ethnicity_kind",
        "removals_ethnicity_band",
    }
    # Every figure in the fixed dataset is under 10: every cell, totals included, reads "fewer than 10".
    for table in tables.values():
        assert len(table["cells"]) == len(table["rows"])
        for row in table["cells"]:
            assert set(row) == {"fewer than 10"}
    assert tables["matrix_bcu_band"]["rows"][-1] == "Total"
    assert len(tables["matrix_bcu_band"]["rows"]) == BCU.objects.count() + 1
    assert tables["matrix_ethnicity_band"]["cols"] == ["Red", "Amber", "Green", "No band", "Total"]
    with pytest.raises(ValidationError, match="already published"):
        equality_publish(actor=dpo, quarter="2026-Q3")
    with pytest.raises(ValidationError, match="2026-Q3"):
        equality_publish(actor=dpo, quarter="2026-Q5")
    assert AuditEvent.objects.filter(verb=Verb.EQUALITY_PUBLISHED).count() == 1


def test_only_central_governance_and_the_dpo_publish(auditor: User, spoc_a: User, sysadmin: User) -> None:
    for user in (auditor, spoc_a, sysadmin):
        with pytest.raises(PermissionDenied):
            equality_publish(actor=user, quarter="2026-Q3")
    assert not EqualityPublication.objects.exists()


# --- pages and the role rule ----------------------------------------------------------------------------


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo_equality", Role.DPO)


@pytest.fixture
def iru(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("iru_viewer", Role.IRU)


@pytest.mark.parametrize("persona", ["central", "dpo", "iru", "auditor", "spoc_a"])
def test_the_monitor_is_shown_to_overseers(
    persona: str, request: pytest.FixtureRequest, world: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    response = client.get(reverse("web:equality_monitor"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Equality monitor" in body
    assert "ONS Census 2021" in body
    assert "Person P1" not in body
    assert "P-" not in body
    event = AuditEvent.objects.filter(verb=Verb.EQUALITY_VIEWED).latest("seq")
    assert event.actor_username == user.username
    chart = client.get(reverse("web:equality_ratio_chart", args=["inclusion"]))
    assert chart.status_code == 200
    assert chart["Content-Type"] == "image/svg+xml"
    assert chart.content.lstrip().startswith(b"<?xml")
    series = client.get(reverse("web:equality_series_chart", args=["activated"]))
    assert series.status_code == 200
    assert series["Content-Type"] == "image/svg+xml"
    assert client.get(reverse("web:equality_publications")).status_code == 200


@pytest.mark.parametrize("persona", ["officer_a", "analyst_a", "sysadmin"])
def test_the_monitor_is_refused_to_other_roles(
    persona: str, request: pytest.FixtureRequest, reference_data: None, client_for: Callable[[User], Client]
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for url in (
        reverse("web:equality_monitor"),
        reverse("web:equality_ratio_chart", args=["inclusion"]),
        reverse("web:equality_series_chart", args=["activated"]),
        reverse("web:equality_publications"),
    ):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(verb=Verb.EQUALITY_VIEWED).exists()


def test_the_monitor_filters_by_point_and_bcu(
    world: dict[str, Any], central: User, client_for: Callable[..., Client]
) -> None:
    client = client_for(central)
    body = client.get(reverse("web:equality_monitor"), {"point": "sharing", "bcu": "north-area"}).content.decode()
    assert 'id="point-sharing"' in body
    assert 'id="point-inclusion"' not in body
    assert "You see BCU north-area" in body
    # P3 and P1 disclosed in 2026-09: one White, one Black; P1 is in BCU A, so north-area shows none.
    assert 'id="series-sharing"' not in body
    assert client.get(reverse("web:equality_ratio_chart", args=["nonsense"])).status_code == 404
    assert client.get(reverse("web:equality_series_chart", args=["nonsense"])).status_code == 404
    event = AuditEvent.objects.filter(verb=Verb.EQUALITY_VIEWED).latest("seq")
    assert event.detail["bcu"] == "north-area"
    assert event.detail["point"] == "sharing"


def test_without_an_age_banded_baseline_the_monitor_says_so(
    reference_data: None, central: User, client_for: Callable[..., Client]
) -> None:
    body = client_for(central).get(reverse("web:equality_monitor")).content.decode()
    assert 'id="no-age-baseline"' in body


def test_the_monthly_series_are_tables_too(
    world: dict[str, Any], central: User, client_for: Callable[..., Client]
) -> None:
    body = client_for(central).get(reverse("web:equality_monitor")).content.decode()
    # Removals: 2026-08 Black 3; 2026-09 White 1 (columns Asian, Black, Mixed, White, Other, Not known).
    table = body[body.index('id="series-removal"') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>', table)
    assert cells == ["0", "3", "0", "0", "0", "0", "0", "0", "0", "1", "0", "0"]
