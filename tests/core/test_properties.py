"""Property tests over 2020–2035 for the calendar and the due-date rules."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from danvan_workflow.core.calendar import CalendarOverride, WorkingCalendar
from danvan_workflow.core.occurrences import due_for_fixed, occurrences
from danvan_workflow.core.rules import FixedRule, PeriodicRule
from tests.core.test_calendar import OVERRIDES_2026

D = dt.date
CAL = WorkingCalendar.build(OVERRIDES_2026, first_year=2019, last_year=2036)

days = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
offsets = st.integers(min_value=1, max_value=40)
fixed_rules = st.builds(
    FixedRule,
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    year=st.none() | st.integers(2020, 2035),
    mode=st.sampled_from(["before", "by"]),
)
periodic_rules = st.builds(
    lambda period, basis, kind, offset: PeriodicRule(
        period=period, basis=basis, offset_kind=kind, offset=None if kind == "cutoff" else offset
    ),
    st.sampled_from(["month", "quarter", "half_year", "nine_months", "year"]),
    st.sampled_from(["nd09", "calendar"]),
    st.sampled_from(["working_days", "calendar_days", "cutoff"]),
    st.integers(0, 15),
)

SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(rule=fixed_rules | periodic_rules, start=days, span=st.integers(0, 400))
def test_every_due_date_is_a_working_day(
    rule: FixedRule | PeriodicRule, start: dt.date, span: int
) -> None:
    end = min(start + dt.timedelta(days=span), D(2035, 12, 31))
    for occ in occurrences(rule, CAL, start, end):
        assert occ.due is not None
        assert start <= occ.due <= end
        assert CAL.is_working_day(occ.due)


@SETTINGS
@given(target=days)
def test_before_is_strictly_before_and_by_is_not_after(target: dt.date) -> None:
    before = due_for_fixed(CAL, target, "before")
    by = due_for_fixed(CAL, target, "by", "previous")
    assert before < target
    assert by <= target
    assert before <= by
    # nothing working strictly between the due date and the target
    assert CAL.working_days_between(before, target - dt.timedelta(days=1)) == 0
    assert (by == target) == CAL.is_working_day(target)
    nxt = due_for_fixed(CAL, target, "by", "next")
    assert nxt >= target and CAL.is_working_day(nxt)


@SETTINGS
@given(start=days, n=st.integers(-40, 40))
def test_add_working_days_counts_exactly(start: dt.date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert CAL.is_working_day(result)
    if n > 0:
        assert result > start
        assert CAL.working_days_between(start, result) == n
    elif n < 0:
        assert result < start
        # |n| working days in [result, start)
        assert len(CAL.working_days_in(result, start - dt.timedelta(days=1))) == -n
    else:
        assert result >= start
        assert CAL.working_days_between(start, result) == (0 if result == start else 1)


@SETTINGS
@given(a=days, b=days)
def test_between_matches_listing(a: dt.date, b: dt.date) -> None:
    lo, hi = min(a, b), max(a, b)
    if (hi - lo).days > 400:
        hi = lo + dt.timedelta(days=400)
    count = len(CAL.working_days_in(lo + dt.timedelta(days=1), hi)) if hi > lo else 0
    assert CAL.working_days_between(lo, hi) == count
    assert CAL.working_days_between(hi, lo) == -count


def _passes_over(start: dt.date, result: dt.date, x: dt.date) -> bool:
    lo, hi = min(start, result), max(start, result)
    return lo <= x <= hi


@settings(max_examples=60, deadline=None)
@given(x=days, starts=st.lists(days, min_size=1, max_size=5), n=st.integers(-15, 15))
def test_day_off_override_changes_only_what_it_touches(
    x: dt.date, starts: list[dt.date], n: int
) -> None:
    extra = CalendarOverride(date=x, kind="day_off", name="Nghỉ đột xuất")
    if any(o.date == x for o in OVERRIDES_2026):
        return
    changed = CAL.with_overrides([extra])
    assert not changed.is_working_day(x)
    for day in (x - dt.timedelta(days=1), x + dt.timedelta(days=1)):
        assert changed.is_working_day(day) == CAL.is_working_day(day)
    for start in starts:
        old = CAL.add_working_days(start, n)
        new = changed.add_working_days(start, n)
        if old != new:
            assert CAL.is_working_day(x)
            assert old == x or _passes_over(start, old, x)
        for mode in ("before", "by"):
            old_due = due_for_fixed(CAL, start, mode)
            new_due = due_for_fixed(changed, start, mode)
            if old_due != new_due:
                assert old_due == x
                assert new_due < x
