"""Keeping the fingerprint index in step with the register: the register's signals, received.

No rule lives here: each receiver calls one service of this app, inside
the register's transaction (``custos.register.signals``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from custos.register.models import Person
from custos.register.signals import person_changed, person_erasing


def _changed(sender: Any, *, people: Sequence[Person], created: bool, **kwargs: Any) -> None:
    from custos.dlp.services import fingerprints_write

    fingerprints_write(people=people, replace=not created)


def _erasing(sender: Any, *, people: Sequence[Person], erased_at: dt.datetime, **kwargs: Any) -> None:
    from custos.dlp.services import fingerprints_watch

    fingerprints_watch(people=people, erased_at=erased_at)


def connect() -> None:
    person_changed.connect(_changed, sender=Person, dispatch_uid="custos.dlp.fingerprints")
    person_erasing.connect(_erasing, sender=Person, dispatch_uid="custos.dlp.watchlist")
