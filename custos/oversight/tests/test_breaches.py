"""The breach register: the 72-hour clock, s.67–68 rules, roles, refusals, the sweep and the pages."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from custos.accounts.models import Notification, Role, User
from custos.audit.models import AuditEvent
from custos.dlp.models import Finding, ScanRun
from custos.oversight.breaches import clock, services
from custos.oversight.breaches.models import Breach
from custos.register.services import RuleBroken

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


def _record(actor: User, risk: str = "high", **extra: Any) -> Breach:
    values: dict[str, Any] = {
        "title": "Matrix extract emailed to the wrong address",
        "description": "An extract of 3 people (refs below) went to an external address.",
        "category": "confidentiality",
        "discovered_at": T0,
        "risk": risk,
        "people_affected": 3,
        "people_refs": ["P-1A2B3C4D"],
    }
    return services.breach_record(actor=actor, **{**values, **extra})


def test_the_clock_counts_72_hours_from_discovery(dpo: User) -> None:
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        breach = _record(dpo)
    assert breach.reference == "BR-2026-0001"
    assert breach.notification_due == dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)  # 2 March 09:00 + 72 h
    # 30 h 15 min after discovery: 72 - 30.25 = 41 h 45 min left
    assert clock.clock_text(breach, T0 + dt.timedelta(hours=30, minutes=15)) == "41 hours 45 minutes left"
    assert not clock.is_overdue(breach, T0 + dt.timedelta(hours=72))  # at the deadline, not past it
    assert clock.clock_text(breach, T0 + dt.timedelta(hours=75, minutes=1)) == "Overdue by 3 hours 1 minute"
    assert clock.is_overdue(breach, T0 + dt.timedelta(hours=75))


def test_references_run_per_year(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        assert _record(dpo).reference == "BR-2026-0001"
        assert _record(dpo).reference == "BR-2026-0002"
    with time_machine.travel(dt.datetime(2027, 1, 5, tzinfo=dt.UTC), tick=False):
        assert _record(dpo).reference == "BR-2027-0001"


def test_late_notification_needs_reasons(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        breach = _record(dpo)
    with time_machine.travel(T0 + dt.timedelta(hours=80), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.breach_notify(actor=dpo, breach=breach, ico_reference="ICO-1")
        assert "late_reasons" in exc.value.message_dict
        breach.refresh_from_db()
        assert breach.notified_ico_at is None
        services.breach_notify(
            actor=dpo, breach=breach, ico_reference="ICO-1", late_reasons="The extract was found on day four."
        )
    assert clock.clock_text(breach) == "Notified 80 hours after discovery (late)"


def test_only_a_breach_unlikely_to_risk_rights_is_not_notifiable(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        risky = _record(dpo, risk="low")
        harmless = _record(dpo, risk="none")
        with pytest.raises(RuleBroken):
            services.breach_notify(actor=dpo, breach=risky, not_notifiable_reasons="It was encrypted at rest.")
        services.breach_notify(actor=dpo, breach=harmless, not_notifiable_reasons="It was encrypted at rest.")
    risky.refresh_from_db()
    assert not risky.clock_stopped
    assert harmless.clock_stopped
    assert clock.clock_text(harmless).startswith("Not notifiable")


def test_a_high_risk_breach_is_told_unless_a_ground_applies(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        high = _record(dpo, risk="high")
        low = _record(dpo, risk="low")
        with pytest.raises(RuleBroken):
            services.breach_decide(actor=dpo, breach=high, telling="not_required", reasons="We think it is fine.")
        with pytest.raises(RuleBroken):
            services.breach_decide(actor=dpo, breach=low, telling="measures", reasons="The file was encrypted.")
        services.breach_decide(actor=dpo, breach=high, telling="measures", reasons="The file was age-encrypted.")
        services.breach_decide(actor=dpo, breach=low, telling="not_required", reasons="Not a high risk here.")
    assert high.telling == "measures"
    assert low.telling == "not_required"


def test_closing_needs_every_step_and_then_nothing_changes(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        breach = _record(dpo)
        with pytest.raises(RuleBroken):
            services.breach_close(actor=dpo, breach=breach, reasons="All done and dusted.")
        services.breach_notify(actor=dpo, breach=breach, ico_reference="ICO-9")
        services.breach_decide(actor=dpo, breach=breach, telling="tell", reasons="High risk: tell each person.")
        action = services.breach_action_add(actor=dpo, breach=breach, what="Recall the email", owner="dpo")
        with pytest.raises(RuleBroken):
            services.breach_close(actor=dpo, breach=breach, reasons="All done and dusted.")
        services.breach_action_done(actor=dpo, action=action)
        services.breach_close(actor=dpo, breach=breach, reasons="All done and dusted.")
        before = AuditEvent.objects.count()
        with pytest.raises(RuleBroken):
            services.breach_action_add(actor=dpo, breach=breach, what="Another thing", owner="dpo")
    assert AuditEvent.objects.count() == before
    verbs = list(AuditEvent.objects.filter(object_ref=breach.ref).values_list("verb", flat=True))
    assert verbs == [
        "breach.recorded",
        "breach.notified",
        "breach.decided",
        "breach.action",
        "breach.action",
        "breach.closed",
    ]


@pytest.mark.parametrize("role", [Role.IRU, Role.AUDITOR, Role.SYSADMIN, Role.BCU_SPOC])
def test_other_roles_cannot_record_and_a_refusal_changes_nothing(
    role: str, make_user: Callable[..., User], bcu_a: Any
) -> None:
    user = make_user(f"u_{role}", role, bcu_a if role == Role.BCU_SPOC else None)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        _record(user)
    assert Breach.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_personal_data_is_refused_in_the_references(dpo: User) -> None:
    with pytest.raises(ValidationError) as exc:
        _record(dpo, people_refs=["Jordan Example"])
    assert "people_refs" in exc.value.message_dict


def test_the_sweep_puts_overdue_breaches_on_the_dpo_task_list(dpo: User) -> None:
    with time_machine.travel(T0, tick=False):
        overdue = _record(dpo)
        notified = _record(dpo)
        services.breach_notify(actor=dpo, breach=notified, ico_reference="ICO-2")
    with time_machine.travel(T0 + dt.timedelta(hours=73), tick=False):
        out = io.StringIO()
        call_command("breach_sweep", stdout=out)
    assert "1 breach(es) past the 72-hour deadline" in out.getvalue()
    assert overdue.reference in out.getvalue()
    assert notified.reference not in out.getvalue()
    (notice,) = Notification.objects.filter(recipient=dpo, kind="breach_overdue")
    assert overdue.reference in notice.message
    assert AuditEvent.objects.filter(verb="breach.swept", actor_username="system:breach_sweep").count() == 1


def test_pages_by_role(
    dpo: User,
    central: User,
    auditor: User,
    officer_a: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    breach = _record(dpo, discovered_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    iru = make_user("iru", Role.IRU)
    detail = reverse("web:breaches_detail", args=[breach.pk])
    for user, new in ((dpo, 200), (central, 200), (iru, 403), (auditor, 403)):
        client = client_for(user)
        assert client.get(reverse("web:breaches_list")).status_code == 200
        assert client.get(detail).status_code == 200
        assert client.get(reverse("web:breaches_new")).status_code == new
    officer = client_for(officer_a)
    assert [officer.get(u).status_code for u in (reverse("web:breaches_list"), detail)] == [403, 403]
    page = client_for(dpo).get(reverse("web:breaches_list")).content.decode()
    assert "69 hours" in page
    assert breach.reference in page
    # a reader's POST is refused and changes nothing
    response = client_for(auditor).post(reverse("web:breaches_notify", args=[breach.pk]), {"ico_reference": "X"})
    assert response.status_code == 403
    breach.refresh_from_db()
    assert breach.notified_ico_at is None


def test_the_form_records_and_the_steps_work(dpo: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(dpo)
    response = client.post(
        reverse("web:breaches_new"),
        {
            "title": "Laptop lost",
            "description": "A laptop with a cached extract was lost on the train.",
            "category": "availability",
            "discovered_on_0": "1",
            "discovered_on_1": "3",
            "discovered_on_2": "2026",
            "discovered_time": "10:30",
            "people_affected": "2",
            "people_refs": "",
            "consequences": "",
            "risk": "none",
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302
    assert breach.discovered_at.hour == 10 or breach.discovered_at.minute == 30
    step = client.post(
        reverse("web:breaches_notify", args=[breach.pk]), {"not_notifiable_reasons": "The disk was encrypted."}
    )
    assert step.status_code == 302
    bad = client.post(
        reverse("web:breaches_decide", args=[breach.pk]), {"telling": "measures", "reasons": "The disk was encrypted."}
    )
    assert bad.status_code == 400
    assert "s.68(3)" in bad.content.decode()


def test_a_breach_page_lists_its_findings_and_a_finding_prefills_the_form(
    dpo: User, client_for: Callable[[User], Client]
) -> None:
    breach = _record(dpo, discovered_at=dt.datetime.now(dt.UTC))
    scan = ScanRun.objects.create(started_by="system:test", started_at=breach.discovered_at)
    finding = Finding.objects.create(
        scan=scan,
        kind="register_data",
        path="/x.csv",
        people=2,
        refs=["person:1"],
        breach_ref=breach.reference,
        last_seen_at=breach.discovered_at,
    )
    client = client_for(dpo)
    assert finding.short_ref in client.get(reverse("web:breaches_detail", args=[breach.pk])).content.decode()
    page = client.get(reverse("web:breaches_new") + f"?finding={finding.pk}").content.decode()
    assert finding.short_ref in page
    assert "person:1" in page


def test_a_finding_page_links_to_recording_a_breach_or_to_its_breach(
    dpo: User, client_for: Callable[[User], Client]
) -> None:
    from custos.accounts.tests.helpers import with_purpose

    scan = ScanRun.objects.create(started_by="system:test", started_at=dt.datetime.now(dt.UTC))
    finding = Finding.objects.create(
        scan=scan, kind="register_data", path="/x.csv", people=1, refs=["person:1"], last_seen_at=scan.started_at
    )
    client = with_purpose(client_for(dpo))
    page = client.get(reverse("web:dlp_finding", args=[finding.pk])).content.decode()
    assert f'href="/breaches/new/?finding={finding.pk}"' in page
    Finding.objects.filter(pk=finding.pk).update(breach_ref="BR-2026-0007")
    page = client.get(reverse("web:dlp_finding", args=[finding.pk])).content.decode()
    assert 'href="/breaches/#breach-BR-2026-0007"' in page
