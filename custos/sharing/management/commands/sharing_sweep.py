"""custos sharing_sweep: end agreements past their review date and remove expired packages from the server."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from custos.audit.services import Actor
from custos.sharing.services import agreements_expire, packages_expired_remove

SYSTEM = Actor.system("sharing_sweep")


class Command(BaseCommand):
    """Daily housekeeping of sharing (docs/sharing.md).

    An approved agreement whose review date has passed already blocks every
    disclosure (``Agreement.in_force``); this records it as expired
    (``isa.expired``) so lists and reports say so. Packages past their
    destroy-by date are removed from the server (the recipient's
    confirmation of destruction is chased by ``custos export_sweep``, since
    every package is registered as an export). Safe to re-run.
    """

    help = (
        "Mark agreements past their review date as expired and remove packages past their destroy-by date "
        "from the server. Run daily; safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ended = agreements_expire(actor=SYSTEM)
        removed = packages_expired_remove()
        self.stdout.write(f"{ended} agreement(s) expired; {removed} expired package(s) removed from the server.")
