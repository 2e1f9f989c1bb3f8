"""The statutory clock of a data-subject request (DPA 2018 s.54), as a pure function.

- The time limit is one calendar month from receipt: the same day number in
  the next month, or that month's last day when it has no such day (received
  31 January: due 28 February, or 29 in a leap year).
- A notice with reasons given within the first month extends it by one or
  two further months, counted from receipt (31 January + 3 months = 30 April,
  not 28 February + 2 months).
- While the controller waits for clarification it needs, the clock stops:
  every day of a pause moves the due date one day later. A pause that has not
  ended yet is counted up to ``today``, so the days left stay the same while
  it lasts.

Nothing here reads the database or the time: callers pass ``today``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

#: The most an extension may add (s.54: "by up to two further months").
MAX_EXTENSION_MONTHS = 2


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, or that month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Pause:
    started_on: dt.date
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class Clock:
    """Where a request stands against its time limit on ``today``."""

    received_on: dt.date
    first_month_ends: dt.date
    due_on: dt.date
    extension_months: int
    paused_days: int
    paused: bool
    stopped_on: dt.date | None
    today: dt.date

    @property
    def days_left(self) -> int:
        """Days from today (or the day the request was closed) to the due date; negative when overdue."""
        return (self.due_on - (self.stopped_on or self.today)).days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def state(self) -> str:
        """``closed``, ``paused``, ``overdue``, ``due_today``, ``due_soon`` (7 days or fewer) or ``running``."""
        if self.stopped_on is not None:
            return "closed"
        if self.paused:
            return "paused"
        if self.overdue:
            return "overdue"
        if self.days_left == 0:
            return "due_today"
        if self.days_left <= 7:
            return "due_soon"
        return "running"

    @property
    def summary(self) -> str:
        """A short phrase for screens: "12 days left", "3 days overdue", "paused, 9 days left"."""
        left = self.days_left
        if self.stopped_on is not None:
            return "answered in time" if left >= 0 else f"answered {-left} day{'s' if left != -1 else ''} late"
        if left < 0:
            text = f"{-left} day{'s' if left != -1 else ''} overdue"
        elif left == 0:
            text = "due today"
        else:
            text = f"{left} day{'s' if left != 1 else ''} left"
        return f"paused, {text}" if self.paused else text


def paused_days(pauses: Iterable[Pause], today: dt.date) -> int:
    """Days the clock stood still: each pause from its start to its end (or to today, if still running)."""
    total = 0
    for pause in pauses:
        end = pause.ended_on or max(today, pause.started_on)
        total += max(0, (end - pause.started_on).days)
    return total


def clock(
    *,
    received_on: dt.date,
    today: dt.date,
    extension_months: int = 0,
    pauses: Iterable[Pause] = (),
    stopped_on: dt.date | None = None,
) -> Clock:
    """The clock of a request received on ``received_on``, seen on ``today``.

    ``stopped_on`` is the day the request was answered or closed: the clock
    then measures against that day, not today, and open pauses count up to it.
    """
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError("an extension is one or two months")
    pauses = list(pauses)
    until = stopped_on or today
    days = paused_days(pauses, until)
    return Clock(
        received_on=received_on,
        first_month_ends=add_months(received_on, 1) + dt.timedelta(days=days),
        due_on=add_months(received_on, 1 + extension_months) + dt.timedelta(days=days),
        extension_months=extension_months,
        paused_days=days,
        paused=stopped_on is None and any(p.ended_on is None for p in pauses),
        stopped_on=stopped_on,
        today=today,
    )
