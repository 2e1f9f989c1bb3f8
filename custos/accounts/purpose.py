"""The declared purpose: why a user is consulting personal data (s.62).

A purpose is an operation or incident reference and a reason, e.g.
``OP-1234: Briefing for the Tuesday tasking meeting``. On the web it is
declared once at ``/purpose/``, kept in the session and passed to every
selector and service until changed or until the session ends; API callers
send it with each request (``X-Custos-Purpose``). It is recorded on every
consultation event and nowhere else: never in application logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

#: Letters, digits and hyphens, starting with a letter or digit: ``OP-1234``, ``CAD-5512-23``.
REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
REFERENCE_MAX = 40
REASON_MIN = 10
REASON_MAX = 300
SESSION_KEY = "custos_purpose"


@dataclass(frozen=True)
class DeclaredPurpose:
    reference: str
    reason: str

    @property
    def text(self) -> str:
        """What the event log records: ``REFERENCE: reason``."""
        return f"{self.reference}: {self.reason}"


def purpose_clean(*, reference: str, reason: str) -> DeclaredPurpose:
    """Normalise and check a purpose; ``ValidationError`` by field otherwise."""
    reference = reference.strip().upper()
    reason = " ".join(reason.split())
    errors: dict[str, list[str]] = {}
    if not reference:
        errors["reference"] = ["Enter the operation or incident reference."]
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = [f"The reference must be {REFERENCE_MAX} characters or fewer."]
    elif not REFERENCE_PATTERN.fullmatch(reference):
        errors["reference"] = ["The reference must contain only letters, numbers and hyphens, like OP-1234."]
    if len(reason) < REASON_MIN:
        errors["reason"] = [f"Say why you need the data, in at least {REASON_MIN} characters."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"The reason must be {REASON_MAX} characters or fewer."]
    if errors:
        raise ValidationError(errors)
    return DeclaredPurpose(reference=reference, reason=reason)


def purpose_text_clean(text: str, *, field: str, example: str, of: str = "") -> str:
    """A purpose given as one string, ``REFERENCE: reason``, checked; ``ValidationError`` on ``field`` otherwise.

    For forms and commands that take the purpose as one value (exports, disclosures): the message says
    what is wanted (``of``, e.g. ``" of the export"``), with ``example`` (e.g. ``"OP-1234: tasking pack"``).
    """
    reference, sep, reason = (text or "").partition(":")
    try:
        if not sep:
            raise ValidationError("no reference")
        return purpose_clean(reference=reference, reason=reason).text
    except ValidationError:
        raise ValidationError(
            {field: f"Declare the purpose{of}: a reference and a reason, like '{example}'."}
        ) from None


def purpose_from_session(session: Mapping[str, Any]) -> DeclaredPurpose | None:
    """The purpose kept in this session, if one was declared."""
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    try:
        return purpose_clean(reference=str(stored.get("reference", "")), reason=str(stored.get("reason", "")))
    except ValidationError:
        return None


def purpose_to_session(session: Any, purpose: DeclaredPurpose) -> None:
    session[SESSION_KEY] = {"reference": purpose.reference, "reason": purpose.reason}
