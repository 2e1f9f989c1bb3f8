"""Builders for sharing tests, going through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from custos.accounts.models import User
from custos.crypto.age import age_identity_new
from custos.sharing.models import Agreement
from custos.sharing.services import AgreementInput, agreement_approve, agreement_draft

PURPOSE = "OP-2207: referral to the youth offending service"
NECESSITY = "Open referral: the service must assess risk before the panel on Friday."
REASONS = "Within the agreement and necessary for the referral; checked."

#: A recipient's key pair, made once per test run (Custos never holds the secret half).
IDENTITY, RECIPIENT = age_identity_new()


def agreement_input(**overrides: Any) -> AgreementInput:
    values: dict[str, Any] = {
        "title": "Youth offending service referrals",
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "parties": ["Metropolitan Police Service", "London Borough of Hackney"],
        "legal_basis": "DPA 2018 s.35(2)(b) and s.31; Crime and Disorder Act 1998 s.115",
        "purpose": "Assessment and support of young people referred by the police.",
        "fields": ["reference", "full_name", "date_of_birth", "postcode", "band", "categories"],
        "categories": ["suspected_offender", "convicted_offender"],
        "bands": ["red", "amber"],
        "onward_sharing": "None without the police's written consent.",
        "retention_days": 30,
        "retention_rules": "Destroy after the panel decision.",
        "security": "OFFICIAL-SENSITIVE; encrypted storage; named staff only.",
        "recipient_key": RECIPIENT,
        "review_date": timezone.localdate() + dt.timedelta(days=365),
        "signatories": [
            {"name": "A. Signer", "role": "Detective Superintendent", "organisation": "Metropolitan Police Service"},
            {"name": "B. Signer", "role": "Head of Youth Justice", "organisation": "London Borough of Hackney"},
        ],
    }
    values.update(overrides)
    return AgreementInput(**values)


def an_agreement(
    drafter: User, approver: User, *, exceptions: dict[str, str] | None = None, **overrides: Any
) -> Agreement:
    """A drafted and approved agreement (statutory recipient, offenders in red and amber, by default)."""
    agreement = agreement_draft(actor=drafter, data=agreement_input(**overrides))
    return agreement_approve(actor=approver, agreement=agreement, exceptions=exceptions or {}, notes="Approved.")
