"""custos breach_sweep: put breaches past their 72-hour deadline on the DPO's task list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from custos.oversight.breaches.services import breach_sweep


class Command(BaseCommand):
    """Chase the ICO notification of breaches (docs/breaches.md).

    Policy: DPA 2018 s.67: the ICO is told within 72 hours of discovery unless
    the breach is unlikely to result in a risk. Every open breach past that
    without a notification or a not-notifiable reason goes on the task list of
    every DPO. Run daily; safe to re-run (a notice replaces the open one).
    Audited as system:breach_sweep (notification.sent per breach, then breach.swept).
    """

    help = "Put every open breach past its 72-hour ICO deadline on the DPO's task list. Run daily; safe to re-run."

    def handle(self, *args: Any, **options: Any) -> None:
        overdue = breach_sweep()
        self.stdout.write(f"{len(overdue)} breach(es) past the 72-hour deadline without notification.")
        for breach in overdue:
            self.stdout.write(f"  {breach.reference}")
