from __future__ import annotations

import datetime as dt

import pytest

from danvan_workflow.core.deadline_status import (
    OPEN_STATES,
    SUBMITTED_STATES,
    Deadline,
    DeadlineState,
    DeadlineTransitionError,
    assess_submission,
    extend,
    revoke,
    submit,
    waive,
)

ONE = dt.timedelta(days=1)


class FakeCalendar:
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
# Five weekdays of Tết: Monday 12/2/2024 .. Friday 16/2/2024.
TET = FakeCalendar(frozenset(dt.date(2024, 2, 12) + i * ONE for i in range(5)))
FRI_BEFORE_TET = dt.date(2024, 2, 9)
MON_AFTER_TET = dt.date(2024, 2, 19)


def test_late_across_tet_is_one_working_day() -> None:
    assert assess_submission(FRI_BEFORE_TET, MON_AFTER_TET, TET) == (False, 1)
    on_time, late = assess_submission(FRI_BEFORE_TET, MON_AFTER_TET, MON_FRI)
    assert (on_time, late) == (False, 6)


def test_on_time() -> None:
    due = dt.date(2023, 7, 25)
    assert assess_submission(due, due, MON_FRI) == (True, 0)
    assert assess_submission(due, due - ONE, MON_FRI).on_time


def test_received_on_a_day_off_counts_as_next_working_day() -> None:
    friday = dt.date(2024, 3, 15)
    assert assess_submission(friday, friday + ONE, MON_FRI) == (False, 1)  # Saturday
    assert assess_submission(friday, friday + 3 * ONE, MON_FRI) == (False, 1)  # Monday
    assert assess_submission(friday, friday + 8 * ONE, MON_FRI) == (False, 6)  # next Saturday
    # Received during Tết, due before it: counted as the Monday after.
    assert assess_submission(FRI_BEFORE_TET, dt.date(2024, 2, 14), TET) == (False, 1)


def test_submit_states() -> None:
    open_ = Deadline(due=FRI_BEFORE_TET)
    late = submit(open_, MON_AFTER_TET, TET)
    assert late.state is DeadlineState.SUBMITTED_LATE
    assert late.late_working_days == 1 and late.received == MON_AFTER_TET
    ok = submit(open_, FRI_BEFORE_TET, TET)
    assert ok.state is DeadlineState.SUBMITTED_ON_TIME and ok.late_working_days == 0
    assert open_.state is DeadlineState.OPEN  # unchanged
    with pytest.raises(DeadlineTransitionError) as info:
        submit(ok, MON_AFTER_TET, TET)
    assert "Đã nộp đúng hạn" in str(info.value)


def test_extend_then_submit_uses_new_date() -> None:
    d0 = Deadline(due=FRI_BEFORE_TET)
    d1 = extend(d0, MON_AFTER_TET, "Nghỉ Tết Nguyên đán")
    assert d1.state is DeadlineState.EXTENDED and d1.extended_to == MON_AFTER_TET
    assert d1.effective_due == MON_AFTER_TET
    assert submit(d1, MON_AFTER_TET, TET).state is DeadlineState.SUBMITTED_ON_TIME
    d2 = extend(d1, MON_AFTER_TET + ONE, "Thêm một ngày")
    assert d2.extended_to == MON_AFTER_TET + ONE
    with pytest.raises(DeadlineTransitionError, match="phải sau hạn hiện tại"):
        extend(d1, MON_AFTER_TET, "Trùng ngày")
    with pytest.raises(DeadlineTransitionError, match="lý do"):
        extend(d0, MON_AFTER_TET, "  ")


def test_waive() -> None:
    d0 = Deadline(due=FRI_BEFORE_TET)
    w = waive(d0, "Đơn vị đã sáp nhập")
    assert w.state is DeadlineState.WAIVED and w.reason == "Đơn vị đã sáp nhập"
    assert waive(extend(d0, MON_AFTER_TET, "x"), "y").state is DeadlineState.WAIVED
    with pytest.raises(DeadlineTransitionError, match="lý do"):
        waive(d0, None)
    for closed in (w, submit(d0, FRI_BEFORE_TET, TET)):
        with pytest.raises(DeadlineTransitionError):
            waive(closed, "x")
        with pytest.raises(DeadlineTransitionError):
            extend(closed, MON_AFTER_TET, "x")
        with pytest.raises(DeadlineTransitionError):
            submit(closed, FRI_BEFORE_TET, TET)


def test_labels() -> None:
    assert DeadlineState.SUBMITTED_LATE.label == "Đã nộp trễ hạn"
    assert DeadlineState.WAIVED.closed and not DeadlineState.EXTENDED.closed


def test_cancelled_is_neither_open_nor_submitted_and_refuses_every_event() -> None:
    c = DeadlineState.CANCELLED
    assert c == "cancelled" and c.label == "Đã hủy"
    assert c.closed and not c.is_open and not c.submitted
    assert c not in OPEN_STATES and c not in SUBMITTED_STATES
    cancelled = Deadline(due=FRI_BEFORE_TET, state=c)
    with pytest.raises(DeadlineTransitionError, match="Đã hủy"):
        submit(cancelled, FRI_BEFORE_TET, TET)
    with pytest.raises(DeadlineTransitionError):
        waive(cancelled, "x")
    with pytest.raises(DeadlineTransitionError):
        extend(cancelled, MON_AFTER_TET, "x")


def test_state_groups_match_the_stored_strings() -> None:
    assert OPEN_STATES == ("open", "extended")
    assert SUBMITTED_STATES == ("submitted_on_time", "submitted_late")
    assert all(s.is_open for s in OPEN_STATES) and all(s.submitted for s in SUBMITTED_STATES)
    assert {s.value for s in DeadlineState} == {
        "open", "extended", "submitted_on_time", "submitted_late", "waived", "closed",
        "cancelled"}
    assert all(s.label for s in DeadlineState)  # every state has its label


def test_revoke_undoes_the_last_waiver_or_extension() -> None:
    d0 = Deadline(due=FRI_BEFORE_TET)
    ext = extend(d0, MON_AFTER_TET, "Nghỉ Tết")
    back = revoke(ext, "Gia hạn nhầm đơn vị")
    assert back.state is DeadlineState.OPEN and back.extended_to is None
    assert back.effective_due == FRI_BEFORE_TET and back.reason == "Gia hạn nhầm đơn vị"
    assert revoke(waive(d0, "x"), "Miễn nhầm").state is DeadlineState.OPEN
    # a waiver given after an extension: the extension stays
    w = revoke(waive(ext, "x"), "Miễn nhầm")
    assert w.state is DeadlineState.EXTENDED and w.effective_due == MON_AFTER_TET
    # a revoked deadline takes a report like any open one
    assert submit(back, FRI_BEFORE_TET, TET).state is DeadlineState.SUBMITTED_ON_TIME
    with pytest.raises(DeadlineTransitionError, match="lý do"):
        revoke(ext, " ")
    for state in (DeadlineState.OPEN, DeadlineState.SUBMITTED_ON_TIME, DeadlineState.CLOSED,
                  DeadlineState.CANCELLED):
        with pytest.raises(DeadlineTransitionError, match="Chỉ hủy được"):
            revoke(Deadline(due=FRI_BEFORE_TET, state=state), "x")
