from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from danvan_workflow.core.reminders import (
    DEFAULT_LADDER,
    Ladder,
    Override,
    due_dates_for_day,
    is_escalation,
    resolve_ladder,
    step_for,
    step_label,
    working_day_offset,
)

ONE = dt.timedelta(days=1)


class FakeCalendar:
    """Monday–Friday, minus `holidays`."""

    def __init__(self, holidays: frozenset[dt.date] = frozenset()) -> None:
        self.holidays = holidays

    def is_working_day(self, d: dt.date) -> bool:
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        step = ONE if n >= 0 else -ONE
        while n:
            d += step
            if self.is_working_day(d):
                n -= 1 if n > 0 else -1
        return d

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        count, d = 0, a
        while d < b:
            d += ONE
            count += self.is_working_day(d)
        return count


MON_FRI = FakeCalendar()
# Tết Giáp Thìn 2024 as a block of holidays: Thu 8/2 .. Wed 14/2.
TET = FakeCalendar(frozenset(dt.date(2024, 2, 8) + i * ONE for i in range(7)))
CALENDARS = [MON_FRI, TET]


def d(day: int, month: int, year: int = 2024) -> dt.date:
    return dt.date(year, month, day)


def test_default_steps_on_mon_fri() -> None:
    due = d(15, 3)  # Friday
    assert step_for(due, d(15, 3), MON_FRI) == 0
    assert step_for(due, d(14, 3), MON_FRI) == -1
    assert step_for(due, d(13, 3), MON_FRI) == -2
    assert step_for(due, d(12, 3), MON_FRI) is None
    assert step_for(due, d(8, 3), MON_FRI) == -5
    assert step_for(due, d(1, 3), MON_FRI) == -10
    assert step_for(due, d(18, 3), MON_FRI) == 1
    assert step_for(due, d(19, 3), MON_FRI) is None
    assert step_for(due, d(20, 3), MON_FRI) == 3
    assert step_for(due, d(27, 3), MON_FRI) == 8  # 3 + 5
    assert step_for(due, d(3, 4), MON_FRI) == 13
    assert step_for(due, d(16, 3), MON_FRI) is None  # Saturday: no reminders


def test_ladder_across_tet() -> None:
    due = d(7, 2)  # Wednesday before Tết
    assert step_for(due, d(15, 2), TET) == 1  # first working day after Tết
    assert step_for(due, d(19, 2), TET) == 3
    due_after = d(16, 2)
    assert step_for(due_after, d(7, 2), TET) == -2
    assert step_for(due_after, d(6, 2), TET) is None


def test_due_date_on_a_day_off() -> None:
    saturday = d(16, 3)
    assert working_day_offset(saturday, d(15, 3), MON_FRI) == 0
    assert step_for(saturday, d(15, 3), MON_FRI) == 0
    assert step_for(saturday, d(14, 3), MON_FRI) == -1
    assert step_for(saturday, d(18, 3), MON_FRI) == 1
    hits = due_dates_for_day(d(15, 3), MON_FRI)
    assert hits[d(15, 3)] == hits[d(16, 3)] == hits[d(17, 3)] == 0


def test_due_dates_for_day_examples() -> None:
    hits = due_dates_for_day(d(20, 3), MON_FRI)  # Wednesday
    assert hits[d(21, 3)] == -1
    assert hits[d(22, 3)] == hits[d(23, 3)] == hits[d(24, 3)] == -2
    assert hits[d(15, 3)] == 3
    # A weekend due date behaves like the Friday before it: Wednesday is +3.
    assert hits[d(16, 3)] == hits[d(17, 3)] == 3
    assert hits[d(19, 3)] == 1
    assert d(18, 3) not in hits  # +2 is not a step
    assert due_dates_for_day(d(16, 3), MON_FRI) == {}


def test_max_overdue_stops_repeats() -> None:
    ladder = Ladder(steps=(0, 1), overdue_every=2)
    hits = due_dates_for_day(d(20, 3), MON_FRI, ladder, max_overdue=5)
    assert sorted(set(hits.values())) == [0, 1, 3, 5]
    assert step_for(d(20, 3) - 9 * ONE, d(20, 3), MON_FRI, ladder, max_overdue=5) is None


@settings(max_examples=400, deadline=None)
@given(
    day=st.dates(min_value=d(1, 1), max_value=d(31, 3)),
    delta=st.integers(min_value=-420, max_value=40),
    cal_index=st.sampled_from([0, 1]),
    ladder=st.sampled_from(
        [
            DEFAULT_LADDER,
            Ladder((-5, -1, 0, 1)),
            Ladder((-3, -1), overdue_every=0),
            Ladder((-2, 2, 4), overdue_every=3),
            Ladder((-1,), overdue_every=2),
        ]
    ),
)
def test_step_for_matches_inverse(day: dt.date, delta: int, cal_index: int, ladder: Ladder) -> None:
    cal = CALENDARS[cal_index]
    due = day + delta * ONE
    inverse = due_dates_for_day(day, cal, ladder)
    assert step_for(due, day, cal, ladder) == inverse.get(due)


@settings(max_examples=50, deadline=None)
@given(day=st.dates(min_value=d(1, 1), max_value=d(31, 3)), cal_index=st.sampled_from([0, 1]))
def test_inverse_entries_all_agree(day: dt.date, cal_index: int) -> None:
    cal = CALENDARS[cal_index]
    for due, step in due_dates_for_day(day, cal).items():
        assert step_for(due, day, cal) == step


def test_labels_and_escalation() -> None:
    assert step_label(-5) == "sắp đến hạn"
    assert step_label(0) == "đến hạn hôm nay"
    assert step_label(1) == "quá hạn"
    assert step_label(3) == "báo cáo cấp trên"
    assert step_label(8) == "báo cáo cấp trên"
    assert not is_escalation(1) and is_escalation(3)


def test_resolve_ladder() -> None:
    default = DEFAULT_LADDER
    plan = Ladder((-5, 0))
    obligation = Ladder((-5, -1, 0, 1))
    overrides = [
        Override("26-KH/BCĐ", plan),
        Override("26-KH/BCĐ", obligation, "dvk-2023-mid-year-inspection"),
        Override("19-KH/BCĐ", Ladder((0,)), "dvk-2023-mid-year-inspection"),
    ]
    assert resolve_ladder(default, overrides, "26-KH/BCĐ", "dvk-2023-mid-year-inspection") is (
        obligation
    )
    assert resolve_ladder(default, overrides, "26-KH/BCĐ", "other") is plan
    assert resolve_ladder(default, overrides, "26-KH/BCĐ", None) is plan
    assert resolve_ladder(default, overrides, "X", "dvk-2023-mid-year-inspection") is default
    with pytest.raises(ValueError):
        resolve_ladder(default, [Override("P", plan), Override("P", obligation)], "P", None)


def test_bad_ladders() -> None:
    with pytest.raises(ValueError):
        Ladder(())
    with pytest.raises(ValueError):
        Ladder((0, -1))
    with pytest.raises(ValueError):
        Ladder((0,), overdue_every=-1)


class BoundedCalendar(FakeCalendar):
    """Raises outside 2024, like core.calendar.WorkingCalendar outside its loaded years."""

    def is_working_day(self, d: dt.date) -> bool:
        if d.year != 2024:
            raise ValueError("out of range")
        return super().is_working_day(d)


def test_inverse_stops_at_calendar_range() -> None:
    cal = BoundedCalendar()
    hits = due_dates_for_day(d(3, 1), cal)
    assert min(hits) >= d(1, 1)
    assert hits == {
        d(2, 1): 1,
        d(3, 1): 0,
        d(4, 1): -1,
        d(5, 1): -2,
        d(6, 1): -2,
        d(7, 1): -2,
        d(10, 1): -5,
        d(17, 1): -10,
    }
    for due, step in hits.items():
        assert step_for(due, d(3, 1), cal) == step
    late = due_dates_for_day(d(31, 12), cal)
    assert max(late) <= d(31, 12) and late[d(31, 12)] == 0
