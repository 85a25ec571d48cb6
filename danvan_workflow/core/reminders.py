"""Reminder ladder policy: which reminder step, if any, is due on a given day.

A ladder lists working-day offsets relative to the due date (negative = before,
0 = the due day, positive = overdue). After the last step, reminders repeat every
``overdue_every`` working days (with the default ladder: 3, 8, 13, ...), until
``max_overdue`` working days past the due date. Steps at or beyond
``escalate_from`` also go to the superior unit ("báo cáo cấp trên").

Offset of a working day ``day`` for a deadline due on ``due`` (``cal`` a
:class:`WorkingDays`, where ``working_days_between(a, b)`` counts working days in
``(a, b]``)::

    day >  due:  +working_days_between(due, day)
    day == due:  0
    day <  due:  -working_days_between(day, due)

Reminders only go out on working days, so ``day`` must be one (else no step).
When the due date itself is a day off (a fixed "chậm nhất ngày D" falling on a
Sunday), the last working day before it gets offset 0 and the first working day
after it +1: a day-off due date behaves like the preceding working day. Every
working day has exactly one offset, which makes :func:`due_dates_for_day` (used by
the SQL sweep that joins deadlines on due date) the exact inverse of
:func:`step_for`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

ONE_DAY = dt.timedelta(days=1)
DEFAULT_MAX_OVERDUE = 260  # about one year of working days
_MAX_SCAN_DAYS = 4000  # safety net against a calendar without working days


class WorkingDays(Protocol):
    """The part of ``core.calendar.WorkingCalendar`` this module needs."""

    def is_working_day(self, d: dt.date) -> bool: ...

    def add_working_days(self, d: dt.date, n: int) -> dt.date: ...

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in the half-open interval ``(a, b]``."""
        ...


@dataclass(frozen=True)
class Ladder:
    steps: tuple[int, ...] = (-10, -5, -2, -1, 0, 1, 3)
    overdue_every: int = 5  # 0 disables repeating after the last step
    escalate_from: int = 3

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a reminder ladder needs at least one step")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError(f"ladder steps must be strictly increasing: {self.steps}")
        if self.overdue_every < 0:
            raise ValueError("overdue_every must be >= 0")

    @property
    def repeat_anchor(self) -> int:
        """Repeats start after the last step, or after the due day if all steps precede it."""
        return max(self.steps[-1], 0)

    def hits(self, offset: int, max_overdue: int = DEFAULT_MAX_OVERDUE) -> bool:
        """Whether a reminder is due `offset` working days from the due date.

        Listed steps always hit; repeats stop after `max_overdue`.
        """
        if offset in self.steps:
            return True
        anchor = self.repeat_anchor
        return (
            self.overdue_every > 0
            and anchor < offset <= max_overdue
            and (offset - anchor) % self.overdue_every == 0
        )

    def furthest_overdue(self, max_overdue: int = DEFAULT_MAX_OVERDUE) -> int:
        last = self.steps[-1]
        return max(last, max_overdue) if self.overdue_every > 0 else last


DEFAULT_LADDER = Ladder()


def working_day_offset(due: dt.date, day: dt.date, cal: WorkingDays) -> int:
    """Signed working-day distance from `due` to `day` (see the module docstring)."""
    if day > due:
        return cal.working_days_between(due, day)
    if day == due:
        return 0
    return -cal.working_days_between(day, due)


def step_for(
    due: dt.date,
    day: dt.date,
    cal: WorkingDays,
    ladder: Ladder = DEFAULT_LADDER,
    max_overdue: int = DEFAULT_MAX_OVERDUE,
) -> int | None:
    """The ladder step falling on `day` for a deadline due on `due`, or None."""
    if not cal.is_working_day(day):
        return None
    offset = working_day_offset(due, day, cal)
    return offset if ladder.hits(offset, max_overdue) else None


def due_dates_for_day(
    day: dt.date,
    cal: WorkingDays,
    ladder: Ladder = DEFAULT_LADDER,
    max_overdue: int = DEFAULT_MAX_OVERDUE,
) -> dict[dt.date, int]:
    """Every due date whose ladder hits `day`, mapped to the step.

    Exact inverse of :func:`step_for`: ``step_for(d, day) == result.get(d)`` for
    every ``d``. Several due dates can share a step (a due date on a day off and
    the working day before it both have offset 0 on that working day).

    Due dates outside the calendar's loaded range are not returned (``step_for``
    raises for them, as the calendar cannot measure the distance).
    """
    result: dict[dt.date, int] = {}
    if not cal.is_working_day(day):
        return result
    # Offsets <= 0: due dates on or after `day`; n = working days in (day, d].
    furthest_ahead = max(0, -ladder.steps[0])
    d, n, scanned = day, 0, 0
    while True:
        if ladder.hits(-n, max_overdue):
            result[d] = -n
        following = d + ONE_DAY
        working = _probe(cal, following)
        if working is None:
            break  # past the end of the loaded calendar
        n += working
        if n > furthest_ahead:
            break
        d = following
        scanned += 1
        _guard(scanned)
    # Offsets > 0: due dates before `day`; m = working days in (d, day].
    furthest_back = ladder.furthest_overdue(max_overdue)
    d, m, scanned = day, 1, 0  # `day` is a working day
    while m <= furthest_back:
        preceding = d - ONE_DAY
        working = _probe(cal, preceding)
        if working is None:
            break  # before the start of the loaded calendar
        d = preceding
        if ladder.hits(m, max_overdue):
            result[d] = m
        m += working
        scanned += 1
        _guard(scanned)
    return result


def _probe(cal: WorkingDays, d: dt.date) -> bool | None:
    """is_working_day, or None when `d` is outside the calendar's loaded range."""
    try:
        return cal.is_working_day(d)
    except ValueError:  # core.calendar.CalendarRangeError derives from ValueError
        return None


def _guard(scanned: int) -> None:
    if scanned > _MAX_SCAN_DAYS:
        raise ValueError("calendar has no working days in a very long stretch")


# --------------------------------------------------------------------------- labels


class ReminderKind(StrEnum):
    UPCOMING = "upcoming"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATION = "escalation"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS: dict[ReminderKind, str] = {
    ReminderKind.UPCOMING: "sắp đến hạn",
    ReminderKind.DUE_TODAY: "đến hạn hôm nay",
    ReminderKind.OVERDUE: "quá hạn",
    ReminderKind.ESCALATION: "báo cáo cấp trên",
}


def is_escalation(step: int, ladder: Ladder = DEFAULT_LADDER) -> bool:
    return step >= ladder.escalate_from


def reminder_kind(
    step: int, ladder: Ladder = DEFAULT_LADDER, *, escalation: bool | None = None
) -> ReminderKind:
    """The kind of the reminder at offset ``step``. ``escalation``, when known (stored
    with a planned notification), replaces the ladder's ``escalate_from``; then only
    the sign of ``step`` matters."""
    esc = is_escalation(step, ladder) if escalation is None else escalation
    if step > 0 and esc:
        return ReminderKind.ESCALATION
    if step < 0:
        return ReminderKind.UPCOMING
    if step == 0:
        return ReminderKind.DUE_TODAY
    return ReminderKind.OVERDUE


def step_label(step: int, ladder: Ladder = DEFAULT_LADDER) -> str:
    """Vietnamese label of a step ("sắp đến hạn", "đến hạn hôm nay", ...)."""
    return reminder_kind(step, ladder).label


# --------------------------------------------------------------------------- overrides


@dataclass(frozen=True)
class Override:
    """A ladder for a whole plan (``obligation_code=None``) or one of its obligations."""

    plan_code: str
    ladder: Ladder
    obligation_code: str | None = None


def resolve_ladder(
    default: Ladder,
    overrides: Iterable[Override],
    plan_code: str,
    obligation_code: str | None,
) -> Ladder:
    """Most specific wins: obligation override > plan override > default.

    Obligation codes are unique only within a plan, so an obligation override must
    also name the plan. Two overrides for the same target are a configuration error
    (ValueError).
    """
    plan_level: Ladder | None = None
    obligation_level: Ladder | None = None
    for override in overrides:
        if override.plan_code != plan_code:
            continue
        if override.obligation_code is None:
            if plan_level is not None:
                raise ValueError(f"two reminder overrides for plan {plan_code}")
            plan_level = override.ladder
        elif obligation_code is not None and override.obligation_code == obligation_code:
            if obligation_level is not None:
                raise ValueError(
                    f"two reminder overrides for obligation {obligation_code} of {plan_code}"
                )
            obligation_level = override.ladder
    return obligation_level or plan_level or default
