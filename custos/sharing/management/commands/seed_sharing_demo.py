"""custos seed_sharing_demo: example agreements and disclosures on the synthetic demo data."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from custos.accounts.models import User
from custos.crypto.age import age_identity_new
from custos.register.models import Person
from custos.sharing import services
from custos.sharing.importer import log_check, log_import
from custos.sharing.models import Agreement
from custos.sharing.services import AgreementInput, Asked

KEY_FILE = "demo-recipient-age-key.txt"
#: The example legacy share log (docs/sharing-review.md), imported so the sharing review shows shares before Custos.
LEGACY_LOG = Path(settings.BASE_DIR) / "docs" / "examples" / "legacy-sharing-log.csv"
NECESSITY = "Referred to the panel this week: the service must assess the risk before it meets."


def _signatories(recipient: str) -> list[dict[str, str]]:
    return [
        {"name": "D. Superintendent", "role": "Head of Public Protection", "organisation": "Metropolitan Police"},
        {"name": "R. Manager", "role": "Data protection lead", "organisation": recipient},
    ]


class Command(BaseCommand):
    """Two agreements (a statutory youth offending service; a housing association, red band only), one
    disclosure made, one awaiting approval and one refused, for the demo accounts of ``demo_users``; and the
    example legacy share log (``docs/examples/legacy-sharing-log.csv``) imported for the sharing review.

    The recipient's age secret key is written to ``$CUSTOS_DATA_DIR/demo-recipient-age-key.txt`` (0600) so
    a demonstration can open a package as the recipient would: ``age -d -i <that file> D-….age``. For
    synthetic demo data only.
    """

    help = (
        "Create example information sharing agreements and disclosures for the demo accounts (synthetic data "
        "only). Skips if any agreement exists. Writes the demo recipient's age secret key to the data directory."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if Agreement.objects.exists():
            self.stdout.write("Agreements already exist: nothing to do.")
            return
        users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
        needed = ("demo_central_governance", "demo_iru", "demo_officer", "demo_bcu_spoc")
        missing = [name for name in needed if name not in users]
        if missing:
            raise CommandError(f"run 'custos demo_users' first (missing {', '.join(missing)})")
        officer, spoc = users["demo_officer"], users["demo_bcu_spoc"]
        central, iru = users["demo_central_governance"], users["demo_iru"]
        identity, recipient = age_identity_new()
        key_path = Path(settings.DATA_DIR) / KEY_FILE
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"# Demo recipient's age identity (synthetic data only)\n{identity}\n")
        review = timezone.localdate() + dt.timedelta(days=365)
        yos = AgreementInput(
            title="Referrals to the youth offending service",
            recipient_name="Hackney Youth Offending Service",
            recipient_kind="statutory",
            parties=["Metropolitan Police Service", "London Borough of Hackney"],
            legal_basis=(
                "DPA 2018 s.35(2)(b) (necessary for a law enforcement purpose); Crime and Disorder Act 1998 s.115"
            ),
            purpose="Assessment of, and support for, young people in red and amber bands referred by the police.",
            fields=["reference", "full_name", "date_of_birth", "postcode", "band", "categories", "intelligence"],
            categories=["suspected_offender", "convicted_offender"],
            bands=["red", "amber"],
            onward_sharing="None without the written consent of the police.",
            retention_days=30,
            retention_rules="Destroy after the panel's decision; confirm destruction on Custos.",
            security="OFFICIAL-SENSITIVE. Encrypted storage; named case workers only; no copies on removable media.",
            recipient_key=recipient,
            review_date=review,
            signatories=_signatories("London Borough of Hackney"),
        )
        housing = AgreementInput(
            title="Tenancy safeguarding (red band only)",
            recipient_name="Eastside Housing Association",
            recipient_kind="non_statutory",
            parties=["Metropolitan Police Service", "Eastside Housing Association"],
            legal_basis="DPA 2018 s.35(2)(b); Housing Act 1996 s.218A (anti-social behaviour policies)",
            purpose="Safeguarding of tenants where a red-band person is a tenant or household member.",
            fields=["reference", "full_name", "address", "band"],
            categories=["suspected_offender", "convicted_offender"],
            bands=["red"],
            onward_sharing="None.",
            retention_days=14,
            security="Named safeguarding lead only; encrypted storage.",
            recipient_key=recipient,
            review_date=review,
            signatories=_signatories("Eastside Housing Association"),
        )
        agreement = services.agreement_draft(actor=central, data=yos)
        agreement = services.agreement_approve(actor=iru, agreement=agreement, notes="Within the guidance.")
        services.agreement_approve(
            actor=iru, agreement=services.agreement_draft(actor=central, data=housing), notes="Within the guidance."
        )
        people = list(Person.objects.filter(bcu__code=officer.bcu_code, restricted_at__isnull=True)[:400])
        stand = services.standings(people)
        eligible = [
            p
            for p in people
            if stand[p.pk].band in ("red", "amber") and set(stand[p.pk].categories) & set(agreement.categories)
        ]
        legacy = ""
        if LEGACY_LOG.exists():
            report = log_check(LEGACY_LOG)
            if report.valid:
                log_import(actor=iru, report=report)
                legacy = f" Imported {len(report.lines)} lines of the example legacy share log."
        if len(eligible) < 6:
            self.stdout.write("Too few red or amber people in the demo BCU: only the agreements were made.")
            return
        made = services.disclosure_request(
            actor=officer,
            agreement=agreement,
            purpose="YOS-1042: referral panel",
            people=[Asked(p.pk, NECESSITY) for p in eligible[:3]],
        )
        made = services.disclosure_approve(actor=spoc, disclosure=made, reasons="Necessary for the panel.")
        services.disclosure_request(
            actor=officer,
            agreement=agreement,
            purpose="YOS-1043: referral panel",
            people=[Asked(p.pk, NECESSITY) for p in eligible[3:5]],
        )
        refused = services.disclosure_request(
            actor=officer,
            agreement=agreement,
            purpose="YOS-1044: general awareness",
            people=[Asked(eligible[5].pk, "The service asked for a list of everyone on the matrix.")],
        )
        services.disclosure_refuse(
            actor=spoc, disclosure=refused, reasons="Not necessary: a blanket list is not a referral."
        )
        self.stdout.write(
            f"Made 2 agreements and 3 disclosures ({made.short_ref} disclosed). "
            f"The demo recipient's age key is in {key_path}.{legacy}"
        )
