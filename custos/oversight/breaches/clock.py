"""The 72-hour clock of s.67, in words."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from custos.oversight.breaches.models import Breach


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def is_overdue(breach: Breach, now: dt.datetime | None = None) -> bool:
    """Past the 72 hours, neither notified nor recorded as not notifiable."""
    now = now or timezone.now()
    return not breach.clock_stopped and now > breach.notification_due


def clock_text(breach: Breach, now: dt.datetime | None = None) -> str:
    """E.g. "41 hours 5 minutes left", "Overdue by 3 hours", "Notified 20 hours 0 minutes after discovery"."""
    now = now or timezone.now()
    if breach.notified_ico_at is not None:
        late = " (late)" if breach.notified_ico_at > breach.notification_due else ""
        return f"Notified {_span(breach.notified_ico_at - breach.discovered_at)} after discovery{late}"
    if breach.not_notifiable_reasons:
        return "Not notifiable: unlikely to result in a risk"
    if now > breach.notification_due:
        return f"Overdue by {_span(now - breach.notification_due)}"
    return f"{_span(breach.notification_due - now)} left"
