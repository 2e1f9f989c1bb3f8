"""The statutory clock (s.54), with dates worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from custos.rights.clock import Pause, add_months, clock

D = dt.date


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (D(2026, 3, 3), 1, D(2026, 4, 3)),  # the same day number next month
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # February has no 31st: its last day
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # ... 29th in a leap year
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 1, 29), 1, D(2026, 2, 28)),
        (D(2028, 1, 29), 1, D(2028, 2, 29)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),  # April has 30 days
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # across the year end
        (D(2026, 12, 31), 1, D(2027, 1, 31)),
        (D(2026, 2, 28), 1, D(2026, 3, 28)),  # the 28th stays the 28th, not the month's end
        (D(2026, 1, 31), 3, D(2026, 4, 30)),  # extended: counted from receipt, not from 28 February
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2027, 11, 30), 3, D(2028, 2, 29)),
        (D(2026, 10, 31), 2, D(2026, 12, 31)),
    ],
)
def test_add_months_by_hand(received: dt.date, months: int, due: dt.date) -> None:
    assert add_months(received, months) == due


def test_one_month_from_receipt_with_days_left() -> None:
    c = clock(received_on=D(2026, 1, 31), today=D(2026, 2, 10))
    assert c.due_on == D(2026, 2, 28)
    assert c.first_month_ends == D(2026, 2, 28)
    assert c.days_left == 18
    assert not c.overdue
    assert c.state == "running"
    assert c.summary == "18 days left"


def test_due_today_then_overdue() -> None:
    assert clock(received_on=D(2026, 3, 3), today=D(2026, 4, 3)).state == "due_today"
    late = clock(received_on=D(2026, 3, 3), today=D(2026, 4, 6))
    assert late.overdue
    assert late.days_overdue == 3
    assert late.state == "overdue"
    assert late.summary == "3 days overdue"
    assert clock(received_on=D(2026, 3, 3), today=D(2026, 4, 4)).summary == "1 day overdue"
    assert clock(received_on=D(2026, 3, 3), today=D(2026, 3, 30)).state == "due_soon"


def test_extension_of_two_months_counts_from_receipt() -> None:
    c = clock(received_on=D(2026, 1, 31), today=D(2026, 2, 10), extension_months=2)
    assert c.first_month_ends == D(2026, 2, 28)
    assert c.due_on == D(2026, 4, 30)
    assert c.days_left == (D(2026, 4, 30) - D(2026, 2, 10)).days


def test_an_ended_pause_moves_the_due_date_by_its_days() -> None:
    # Received 3 March, clarification asked 10 March, received 20 March: 10 days stopped.
    c = clock(received_on=D(2026, 3, 3), today=D(2026, 3, 25), pauses=[Pause(D(2026, 3, 10), D(2026, 3, 20))])
    assert c.paused_days == 10
    assert c.due_on == D(2026, 4, 13)
    assert c.first_month_ends == D(2026, 4, 13)
    assert not c.paused


def test_a_running_pause_freezes_the_days_left() -> None:
    pauses = [Pause(D(2026, 3, 10))]
    on_the_day = clock(received_on=D(2026, 3, 3), today=D(2026, 3, 10), pauses=pauses)
    a_week_later = clock(received_on=D(2026, 3, 3), today=D(2026, 3, 17), pauses=pauses)
    assert on_the_day.days_left == a_week_later.days_left == 24  # 10 March to 3 April
    assert a_week_later.due_on == D(2026, 4, 10)
    assert a_week_later.paused
    assert a_week_later.state == "paused"
    assert a_week_later.summary == "paused, 24 days left"


def test_pauses_and_extension_add_up() -> None:
    c = clock(
        received_on=D(2026, 1, 31),
        today=D(2026, 3, 1),
        extension_months=1,
        pauses=[Pause(D(2026, 2, 2), D(2026, 2, 5)), Pause(D(2026, 2, 10), D(2026, 2, 12))],
    )
    assert c.paused_days == 5
    assert c.first_month_ends == D(2026, 3, 5)  # 28 February + 5
    assert c.due_on == D(2026, 4, 5)  # 31 March + 5


def test_a_closed_request_measures_against_the_day_it_closed() -> None:
    on_time = clock(received_on=D(2026, 3, 3), today=D(2026, 6, 1), stopped_on=D(2026, 4, 1))
    assert on_time.days_left == 2
    assert on_time.state == "closed"
    assert on_time.summary == "answered in time"
    late = clock(received_on=D(2026, 3, 3), today=D(2026, 6, 1), stopped_on=D(2026, 4, 8))
    assert late.overdue
    assert late.summary == "answered 5 days late"


def test_an_extension_beyond_two_months_is_not_a_clock() -> None:
    with pytest.raises(ValueError, match="one or two"):
        clock(received_on=D(2026, 3, 3), today=D(2026, 3, 4), extension_months=3)
