"""custos export_sweep: put expired exports not yet confirmed destroyed on their task lists."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from custos.audit.services import Actor
from custos.dlp.exports import exports_expired_notify

SYSTEM = Actor.system("export_sweep")


class Command(BaseCommand):
    """Chase the destruction of expired exports (docs/dlp.md, "Controlled exports").

    Policy: every export has a destroy-by date (default 7 days, at most 28).
    Once it has passed, the exporter and their BCU's SPOC get a notice on
    their task list, made again if marked done, until the exporter confirms
    on /exports/<id>/destroyed/ that every copy is destroyed. The server's
    copy of an expired file is removed. Run it daily; safe to re-run.
    Audited as system:export_sweep (notification.sent per export told about,
    then export.swept with the counts).
    """

    help = (
        "Put every expired export that is not confirmed destroyed on the task lists of its exporter and their "
        "BCU SPOC, and remove expired files from the server. Run daily; safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        overdue = exports_expired_notify(actor=SYSTEM)
        self.stdout.write(f"{overdue} expired export(s) not yet confirmed destroyed.")
