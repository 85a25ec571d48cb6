"""Rule + calendar + date range -> the occurrences (deadlines) in that range.

Semantics (see docs/configuration.md and the seeds README):

- fixed ``before`` D: the last working day strictly before D.
- fixed ``by`` D: D when it is a working day, otherwise the last working day before
  it (``shift: previous``) or the next working day (``shift: next``). Fixed dates
  get no Điều 148 extension: offices send before the day off.
- periodic: the cut-off is the period's last day.
  ``working_days`` N: the N-th working day after the cut-off (N = 0: the cut-off if
  it is a working day, else the next one). ``calendar_days`` N: cut-off + N days,
  moved to the next working day when that is a day off (Bộ luật Dân sự 2015,
  Điều 148). ``cutoff``: the cut-off day itself, or the previous working day when
  it is a day off (data must be in before the office closes).
- every_n_months: start (the rule's, else `anchor`) + k months for each k, the day
  clamped to the month's end; mode ``by`` with `by_shift`.
- window: each period (or the one start/end span) is an occurrence with
  ``window_start``/``window_end``; its ``due`` is the last working day of the
  window (None when the window has no working day).
- continuous: one occurrence, due None, period_key "continuous".
- on_request: nothing (operators create those occurrences).

An occurrence is kept when its key date — ``due``, or ``window_start`` for windows —
lies in [start, end] and inside the rule's [valid_from, valid_until]. A
continuous rule yields its single occurrence when its validity overlaps the range.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from danvan_workflow.core.calendar import CalendarRangeError, WorkingCalendar
from danvan_workflow.core.periods import Period, add_months, periods_of_year, periods_overlapping
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    FixedRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    Shift,
    WindowRule,
)
from danvan_workflow.core.vietnamese import format_date, format_date_long

__all__ = [
    "Occurrence",
    "due_for_fixed",
    "due_for_period",
    "explain_rule",
    "occurrences",
]

_PERIOD_WORDS = {
    "month": "hằng tháng",
    "quarter": "hằng quý",
    "half_year": "6 tháng",
    "nine_months": "9 tháng",
    "year": "hằng năm",
}
_BASIS_WORDS = {
    "nd09": "kỳ báo cáo theo Nghị định 09/2019/NĐ-CP",
    "calendar": "kỳ theo tháng dương lịch",
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    period_key: str
    period_label: str
    period_start: dt.date | None
    period_end: dt.date | None
    due: dt.date | None
    window_start: dt.date | None
    window_end: dt.date | None
    explanation: str

    @property
    def key_date(self) -> dt.date | None:
        """The date used for range filtering: due, or window start for windows."""
        return self.window_start if self.window_start is not None else self.due


# ---------------------------------------------------------------------------- due dates


def due_for_fixed(
    cal: WorkingCalendar, target: dt.date, mode: str, shift: Shift = "previous"
) -> dt.date:
    """Due date for 'trước ngày target' (before) or 'chậm nhất ngày target' (by)."""
    if mode == "before":
        return cal.previous_working_day(target, inclusive=False)
    if shift == "next":
        return cal.next_working_day(target, inclusive=True)
    return cal.previous_working_day(target, inclusive=True)


def due_for_period(cal: WorkingCalendar, rule: PeriodicRule, cutoff: dt.date) -> dt.date:
    """Due date of a periodic report whose period ends on `cutoff`."""
    if rule.offset_kind == "working_days":
        return cal.add_working_days(cutoff, rule.days)
    if rule.offset_kind == "calendar_days":
        return cal.next_working_day(cutoff + dt.timedelta(days=rule.days), inclusive=True)
    return cal.previous_working_day(cutoff, inclusive=True)


def _offset_text(rule: PeriodicRule) -> str:
    if rule.offset_kind == "working_days":
        return f"{rule.days} ngày làm việc sau ngày chốt số liệu"
    if rule.offset_kind == "calendar_days":
        return (
            f"{rule.days} ngày sau ngày chốt số liệu, gặp ngày nghỉ thì dời sang ngày làm việc "
            "kế tiếp (Bộ luật Dân sự 2015, Điều 148)"
        )
    return "đúng ngày chốt số liệu (gặp ngày nghỉ thì nộp ngày làm việc liền trước)"


# ---------------------------------------------------------------------------- explain


def explain_rule(rule: Rule) -> str:
    """A Vietnamese sentence describing the rule."""
    text = _explain_core(rule)
    if rule.valid_from is not None and rule.valid_until is not None:
        text += f" (áp dụng từ {format_date(rule.valid_from)} đến {format_date(rule.valid_until)})"
    elif rule.valid_from is not None:
        text += f" (áp dụng từ {format_date(rule.valid_from)})"
    elif rule.valid_until is not None:
        text += f" (áp dụng đến {format_date(rule.valid_until)})"
    return text


def _explain_core(rule: Rule) -> str:
    if isinstance(rule, FixedRule):
        when = f"{rule.day}/{rule.month}" + (f"/{rule.year}" if rule.year else " hằng năm")
        if rule.mode == "before":
            return f"Trước ngày {when} (nộp chậm nhất ngày làm việc liền trước)"
        tail = (
            "gặp ngày nghỉ thì dời sang ngày làm việc kế tiếp"
            if rule.shift == "next"
            else "gặp ngày nghỉ thì nộp ngày làm việc liền trước"
        )
        return f"Chậm nhất ngày {when} ({tail})"
    if isinstance(rule, PeriodicRule):
        return (
            f"Định kỳ {_PERIOD_WORDS[rule.period]} ({_BASIS_WORDS[rule.basis]}), "
            f"hạn {_offset_text(rule)}"
        )
    if isinstance(rule, EveryNMonthsRule):
        months = ", ".join(f"{m} tháng" for m in rule.months)
        since = f"ngày {format_date(rule.start)}" if rule.start else "ngày bắt đầu thực hiện"
        return f"Sau {months} kể từ {since}"
    if isinstance(rule, WindowRule):
        if rule.period is not None:
            return f"Trong khoảng thời gian {_PERIOD_WORDS[rule.period]}"
        assert rule.start is not None and rule.end is not None
        return f"Từ ngày {format_date(rule.start)} đến ngày {format_date(rule.end)}"
    if isinstance(rule, ContinuousRule):
        return "Thường xuyên (không có hạn cụ thể)"
    return "Khi có yêu cầu (hạn do người điều hành đặt)"


# ---------------------------------------------------------------------------- occurrences


def occurrences(
    rule: Rule,
    cal: WorkingCalendar,
    start: dt.date,
    end: dt.date,
    *,
    anchor: dt.date | None = None,
    by_shift: Shift = "previous",
) -> list[Occurrence]:
    """Occurrences of `rule` whose due date (window start for windows) is in [start, end].

    `anchor` is the start date for `every_n_months` rules without their own `start`
    (e.g. a model's start date). `by_shift` is how `every_n_months` due dates move
    off a day off. Raises ValueError when `start`/`end` lie outside the calendar.
    """
    if end < start:
        return []
    if not (cal.first_day <= start and end <= cal.last_day):
        raise CalendarRangeError(
            f"Khoảng {format_date(start)}–{format_date(end)} nằm ngoài lịch làm việc đã nạp "
            f"({format_date(cal.first_day)}–{format_date(cal.last_day)})"
        )
    if isinstance(rule, OnRequestRule):
        return []
    if isinstance(rule, ContinuousRule):
        lo = max(start, rule.valid_from) if rule.valid_from else start
        hi = min(end, rule.valid_until) if rule.valid_until else end
        if lo > hi:
            return []
        return [
            Occurrence(
                period_key="continuous",
                period_label="thường xuyên",
                period_start=rule.valid_from,
                period_end=rule.valid_until,
                due=None,
                window_start=None,
                window_end=None,
                explanation="Nhiệm vụ thường xuyên: không có hạn cụ thể.",
            )
        ]
    if isinstance(rule, FixedRule):
        found = _fixed(rule, cal, start, end)
    elif isinstance(rule, PeriodicRule):
        found = _periodic(rule, cal, start, end)
    elif isinstance(rule, EveryNMonthsRule):
        found = _every_n_months(rule, cal, anchor, by_shift)
    else:
        found = _window(rule, cal, start, end)
    out = []
    for occ in found:
        key = occ.key_date
        if key is not None and start <= key <= end and rule.is_valid_on(key):
            out.append(occ)
    out.sort(key=lambda o: (o.key_date or dt.date.min, o.period_key))
    return out


def _fixed(rule: FixedRule, cal: WorkingCalendar, start: dt.date, end: dt.date) -> list[Occurrence]:
    years = [rule.year] if rule.year is not None else list(range(start.year, end.year + 2))
    out: list[Occurrence] = []
    for year in years:
        target = rule.date_in(year)
        try:
            due = due_for_fixed(cal, target, rule.mode, rule.shift)
        except CalendarRangeError:
            continue  # the due date would be outside the calendar, so outside [start, end]
        if rule.year is None:
            key, label = f"{year}", f"năm {year}"
        else:
            key, label = target.isoformat(), f"ngày {target.day}/{target.month}/{target.year}"
        word = "Trước ngày" if rule.mode == "before" else "Chậm nhất ngày"
        expl = f"{word} {format_date(target)} → hạn {format_date_long(due)}"
        if not cal.is_working_day(target):
            expl += f" ({cal.explain(target)})"
        out.append(Occurrence(key, label, None, None, due, None, None, expl))
    return out


def _periodic(
    rule: PeriodicRule, cal: WorkingCalendar, start: dt.date, end: dt.date
) -> list[Occurrence]:
    out: list[Occurrence] = []
    for year in range(start.year - 1, end.year + 2):
        for index, p in enumerate(periods_of_year(rule.period, rule.basis, year), start=1):
            if rule.indices is not None and index not in rule.indices:
                continue
            try:
                due = due_for_period(cal, rule, p.end)
            except CalendarRangeError:
                continue  # due falls outside the calendar, hence outside [start, end]
            expl = (
                f"Báo cáo {p.label} ({format_date(p.start)}–{format_date(p.end)}): "
                f"chốt số liệu {format_date(p.end)}, hạn {_offset_text(rule)} "
                f"→ {format_date_long(due)}"
            )
            out.append(Occurrence(p.key, p.label, p.start, p.end, due, None, None, expl))
    return out


def _every_n_months(
    rule: EveryNMonthsRule, cal: WorkingCalendar, anchor: dt.date | None, by_shift: Shift
) -> list[Occurrence]:
    base = rule.start or anchor
    if base is None:
        raise ValueError(
            "Lịch 'every_n_months' cần ngày bắt đầu: ghi 'start' trong lịch "
            "hoặc truyền ngày mốc (ngày bắt đầu thực hiện)"
        )
    out: list[Occurrence] = []
    for months in rule.months:
        target = add_months(base, months)
        try:
            due = due_for_fixed(cal, target, "by", by_shift)
        except CalendarRangeError:
            continue
        label = f"{months} tháng (từ {format_date(base)})"
        expl = (
            f"Sau {months} tháng kể từ {format_date(base)}: chậm nhất ngày {format_date(target)} "
            f"→ hạn {format_date_long(due)}"
        )
        out.append(
            Occurrence(f"{base.isoformat()}+{months}M", label, base, target, due, None, None, expl)
        )
    return out


def _window(
    rule: WindowRule, cal: WorkingCalendar, start: dt.date, end: dt.date
) -> list[Occurrence]:
    periods: list[Period]
    if rule.period is not None:
        periods = periods_overlapping(rule.period, rule.basis, start, end)
    else:
        assert rule.start is not None and rule.end is not None
        key = f"{rule.start.isoformat()}/{rule.end.isoformat()}"
        label = f"từ {format_date(rule.start)} đến {format_date(rule.end)}"
        periods = [Period(key, label, rule.start, rule.end)]
    out: list[Occurrence] = []
    for p in periods:
        due: dt.date | None
        try:
            due = cal.previous_working_day(p.end, inclusive=True)
        except CalendarRangeError:
            due = None
        if due is not None and due < p.start:
            due = None
        expl = f"Thực hiện trong {p.label} ({format_date(p.start)}–{format_date(p.end)})"
        if due is not None:
            expl += f", ngày làm việc cuối cùng {format_date_long(due)}"
        out.append(Occurrence(p.key, p.label, p.start, p.end, due, p.start, p.end, expl))
    return out
