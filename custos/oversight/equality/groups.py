"""Mapping the register's codes to the baseline's groups, pure (no database).

The baseline (ONS Census 2021, London) uses five high-level groups: Asian,
Black, Mixed, White, Other. Self-defined codes map by their letter (W → White,
M → Mixed, A → Asian including A4 Chinese, as in the 2021 census, B → Black,
O → Other including O2 Arab). Officer-observed codes map IC1/IC2 → White,
IC3 → Black, IC4 → Asian, IC5 (Chinese, Japanese or South East Asian) → Asian,
IC6 (Middle Eastern) → Other; there is no observed code for Mixed, so observed
ratios for Mixed are not comparable. NS, IC9 and missing values are
"Not known" and excluded from ratios (they stay in the tables).
"""

from __future__ import annotations

import datetime as dt

GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
NOT_KNOWN = "Not known"
ALL_GROUPS = (*GROUPS, NOT_KNOWN)
REFERENCE = "White"

AGE_BANDS = ("under16", "16-17", "18-24", "25+")
AGE_LABELS = {"under16": "Under 16", "16-17": "16–17", "18-24": "18–24", "25+": "25 and over", "": "Unknown"}
ALL_AGE_BANDS = (*AGE_BANDS, "")

GENDERS = ("female", "male", "other", "not_stated", "")
GENDER_LABELS = {"female": "Female", "male": "Male", "other": "Other", "not_stated": "Not stated", "": "Unknown"}

_SELF_LETTER = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other"}
_OBSERVED = {"IC1": "White", "IC2": "White", "IC3": "Black", "IC4": "Asian", "IC5": "Asian", "IC6": "Other"}


def self_defined_group(code: str | None) -> str:
    """High-level group of a self-defined code (W1 … O9); NS or missing → Not known."""
    if not code or code == "NS":
        return NOT_KNOWN
    return _SELF_LETTER.get(code[0], NOT_KNOWN)


def observed_group(code: str | None) -> str:
    """High-level group of an officer-observed code (IC1 … IC6); IC9 or missing → Not known."""
    return _OBSERVED.get(code or "", NOT_KNOWN)


def age_band(date_of_birth: dt.date | None, on: dt.date) -> str:
    """Under 16, 16–17, 18–24, 25+ at ``on``; "" when the date of birth is missing."""
    if date_of_birth is None:
        return ""
    years = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    if years < 16:
        return "under16"
    if years < 18:
        return "16-17"
    if years < 25:
        return "18-24"
    return "25+"
