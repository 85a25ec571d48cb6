"""Rule + calendar + date range -> the occurrences (deadlines) in that range.

Semantics (see docs/configuration.md and the seeds README):

- fixed ``before`` D: the last working day strictly before D.
- fixed ``by`` D: D when it is a working day, otherwise the last working day before
  it (``shift: previous``) or the next working day (``shift: next``). Fixed dates
  get no Điều 148 extension: offices send before the day off.
- monthly_day D: the same as fixed, every month, with D clamped to the month's
  end (31 -> 30/4); period_key "2026-03", label "tháng 3/2026".
- periodic: the cut-off is the period's last day.
  ``working_days`` N: the N-th working day after the cut-off (N = 0: the cut-off if
  it is a working day, else the next one). ``calendar_days`` N: cut-off + N days,
  moved to the next working day when that is a day off (Bộ luật Dân sự 2015,
  Điều 148). ``cutoff``: the cut-off day itself, or the previous working day when
  it is a day off (data must be in before the office closes).
- every_n_months: start (the rule's, else `anchor`) + k months for each k, the day
  clamped to the month's end; mode ``by``. A period counted in months that ends on
  a day off ends on the next working day (Bộ luật Dân sự 2015, Điều 148 khoản 5),
  so the shift is the rule's `shift` when it sets one, else `by_shift` (default
  ``next``).
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
    MonthlyDayRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    RuleError,
    Shift,
    WindowRule,
)
from danvan_workflow.core.vietnamese import format_date, format_date_long

__all__ = [
    "Occurrence",
    "due_for_fixed",
    "due_for_period",
    "explain_rule",
    "explain_schedule",
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


_LAW_148 = "Bộ luật Dân sự 2015, Điều 148"


def _shift_text(shift: Shift) -> str:
    if shift == "next":
        return "gặp ngày nghỉ thì dời sang ngày làm việc kế tiếp"
    return "gặp ngày nghỉ thì nộp ngày làm việc liền trước"


def _n_months_shift(rule: EveryNMonthsRule, by_shift: Shift) -> Shift:
    """How an every_n_months due date leaves a day off: the rule's own, else `by_shift`."""
    return rule.shift if rule.shift is not None else by_shift


# ---------------------------------------------------------------------------- explain


def explain_rule(rule: Rule, *, by_shift: Shift = "next") -> str:
    """A Vietnamese sentence describing the rule (`by_shift` as for `occurrences`)."""
    text = _explain_core(rule, by_shift)
    if rule.valid_from is not None and rule.valid_until is not None:
        text += f" (áp dụng từ {format_date(rule.valid_from)} đến {format_date(rule.valid_until)})"
    elif rule.valid_from is not None:
        text += f" (áp dụng từ {format_date(rule.valid_from)})"
    elif rule.valid_until is not None:
        text += f" (áp dụng đến {format_date(rule.valid_until)})"
    return text


def _explain_core(rule: Rule, by_shift: Shift) -> str:
    if isinstance(rule, FixedRule):
        when = f"{rule.day}/{rule.month}" + (f"/{rule.year}" if rule.year else " hằng năm")
        if rule.mode == "before":
            return f"Trước ngày {when} (nộp chậm nhất ngày làm việc liền trước)"
        return f"Chậm nhất ngày {when} ({_shift_text(rule.shift)})"
    if isinstance(rule, MonthlyDayRule):
        when = f"ngày {rule.day} hằng tháng"
        clamp = (
            f"; tháng không có ngày {rule.day} thì tính ngày cuối tháng" if rule.day > 28 else ""
        )
        if rule.mode == "before":
            return f"Trước {when} (nộp chậm nhất ngày làm việc liền trước{clamp})"
        return f"Chậm nhất {when} ({_shift_text(rule.shift)}{clamp})"
    if isinstance(rule, PeriodicRule):
        words = _PERIOD_WORDS[rule.period]
        if rule.period == "half_year" and rule.indices in ((1,), (2,)):
            words += " đầu năm" if rule.indices == (1,) else " cuối năm"
        elif rule.indices is not None:
            words += f" (chỉ các kỳ {', '.join(str(i) for i in rule.indices)} trong năm)"
        return f"Định kỳ {words} ({_BASIS_WORDS[rule.basis]}), hạn {_offset_text(rule)}"
    if isinstance(rule, EveryNMonthsRule):
        months = ", ".join(f"{m} tháng" for m in rule.months)
        since = f"ngày {format_date(rule.start)}" if rule.start else "ngày bắt đầu thực hiện"
        shift = _n_months_shift(rule, by_shift)
        law = f" ({_LAW_148})" if shift == "next" else ""
        return f"Sau {months} kể từ {since}, {_shift_text(shift)}{law}"
    if isinstance(rule, WindowRule):
        last = "hạn là ngày làm việc cuối cùng của khoảng thời gian đó"
        if rule.period is not None:
            return f"Trong khoảng thời gian {_PERIOD_WORDS[rule.period]} ({last})"
        assert rule.start is not None and rule.end is not None
        return f"Từ ngày {format_date(rule.start)} đến ngày {format_date(rule.end)} ({last})"
    if isinstance(rule, ContinuousRule):
        return "Thường xuyên: nhiệm vụ không có hạn cụ thể"
    return "Khi có yêu cầu: hạn do người điều hành đặt theo từng yêu cầu"


def _closing(occ: Occurrence) -> dt.date | None:
    """The day after which the occurrence is over: its window's end, else its due date."""
    return occ.window_end or occ.due


def _occurrence_line(occ: Occurrence, today: dt.date) -> str:
    label = occ.period_label
    if occ.window_start is not None and occ.window_end is not None:
        when = format_date_long(occ.due) if occ.due is not None else "không có ngày làm việc"
        span = f"{format_date(occ.window_start)}–{format_date(occ.window_end)}"
        if format_date(occ.window_start) not in label:
            label += f" ({span})"
    else:
        assert occ.due is not None
        when = format_date_long(occ.due)
    closing = _closing(occ)
    past = " (đã qua)" if closing is not None and closing < today else ""
    return f"• {when} — {label}{past}"


def explain_schedule(
    rule: Rule,
    cal: WorkingCalendar,
    today: dt.date,
    *,
    count: int = 5,
    anchor: dt.date | None = None,
    by_shift: Shift = "next",
) -> list[str]:
    """Vietnamese lines describing `rule` and its due dates around `today`.

    A rule with a known set of dates (a dated `fixed`, a `window` with start/end, an
    `every_n_months`) shows them all; a recurring one shows the last past due date
    and the next `count`. Past ones are marked "đã qua". A line warns about each
    year, among the dates still to come, whose holiday calendar is not confirmed.
    An `every_n_months` rule without a start date is shown from `anchor`, else
    from `today` as an example.
    """
    lines = [explain_rule(rule, by_shift=by_shift) + "."]
    if isinstance(rule, ContinuousRule | OnRequestRule):
        return lines
    if isinstance(rule, EveryNMonthsRule) and rule.start is None and anchor is None:
        anchor = today
        lines.append(
            "Hạn tính từ ngày bắt đầu thực hiện (ví dụ ngày bắt đầu của từng mô hình); "
            f"ví dụ, nếu bắt đầu ngày {format_date(today)}:"
        )
    end = min(cal.last_day, dt.date(today.year + 10, 12, 31))
    found = occurrences(rule, cal, cal.first_day, end, anchor=anchor, by_shift=by_shift)
    finite = (
        (isinstance(rule, FixedRule) and rule.year is not None)
        or (isinstance(rule, WindowRule) and rule.period is None)
        or isinstance(rule, EveryNMonthsRule)
    )
    if not finite:
        past: list[Occurrence] = []
        coming: list[Occurrence] = []
        for o in found:
            (past if (_closing(o) or today) < today else coming).append(o)
        found = past[-1:] + coming[: max(count, 0)]
    if not found:
        lines.append("Không có hạn nào trong lịch làm việc đã nạp.")
        return lines
    lines.extend(_occurrence_line(o, today) for o in found)
    years = sorted({d.year for o in found if (d := o.due) is not None and d >= today})
    unconfirmed = [str(y) for y in years if not cal.is_confirmed(y)]
    if len(unconfirmed) == 1:
        lines.append(f"Lịch nghỉ năm {unconfirmed[0]} chưa được xác nhận: hạn có thể thay đổi.")
    elif unconfirmed:
        names = ", ".join(unconfirmed[:-1]) + f" và {unconfirmed[-1]}"
        lines.append(f"Lịch nghỉ các năm {names} chưa được xác nhận: hạn có thể thay đổi.")
    return lines


# ---------------------------------------------------------------------------- occurrences


def occurrences(
    rule: Rule,
    cal: WorkingCalendar,
    start: dt.date,
    end: dt.date,
    *,
    anchor: dt.date | None = None,
    by_shift: Shift = "next",
) -> list[Occurrence]:
    """Occurrences of `rule` whose due date (window start for windows) is in [start, end].

    `anchor` is the start date for `every_n_months` rules without their own `start`
    (e.g. a model's start date). `by_shift` is how `every_n_months` due dates move
    off a day off when the rule sets no `shift` (default: the next working day,
    Bộ luật Dân sự 2015, Điều 148). Raises ValueError when `start`/`end` lie outside
    the calendar, and `RuleError` when an `every_n_months` rule has no start date.
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
    elif isinstance(rule, MonthlyDayRule):
        found = _monthly_day(rule, cal, start, end)
    elif isinstance(rule, PeriodicRule):
        found = _periodic(rule, cal, start, end)
    elif isinstance(rule, EveryNMonthsRule):
        found = _every_n_months(rule, cal, anchor, _n_months_shift(rule, by_shift))
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


def _monthly_day(
    rule: MonthlyDayRule, cal: WorkingCalendar, start: dt.date, end: dt.date
) -> list[Occurrence]:
    # one month either side: a 'before' due may fall in the previous month, a
    # 'by' shifted to the next working day in the next one
    month = add_months(start.replace(day=1), -1)
    last = add_months(end.replace(day=1), 1)
    word = "Trước ngày" if rule.mode == "before" else "Chậm nhất ngày"
    out: list[Occurrence] = []
    while month <= last:
        target = rule.date_in(month.year, month.month)
        month = add_months(month, 1)
        try:
            due = due_for_fixed(cal, target, rule.mode, rule.shift)
        except CalendarRangeError:
            continue
        key, label = f"{target.year}-{target.month:02d}", f"tháng {target.month}/{target.year}"
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
        raise RuleError(
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
        if due != target:
            law = f", {_LAW_148}" if by_shift == "next" else ""
            expl += f" ({cal.explain(target)}; {_shift_text(by_shift)}{law})"
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
