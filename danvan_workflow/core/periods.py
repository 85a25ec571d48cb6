"""Reporting periods.

Two bases:

- ``nd09`` — Nghị định 09/2019/NĐ-CP, Điều 12: a month runs from day 15 of the
  previous month to day 14; a quarter from day 15 of the month before the quarter
  to day 14 of its last month; the first half year 15/12 (previous year)–14/6, the
  second 15/6–14/12; nine months 15/12 (previous year)–14/9; a year 15/12
  (previous year)–14/12.
- ``calendar`` — ordinary calendar months, quarters, halves and years.

Keys: "2026-M02", "2026-Q1", "2026-H1", "2026-H2", "2026-N9", "2026-Y". A period
belongs to the year (and month) in which it *ends*.

Pure: no I/O.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

import pendulum

from danvan_workflow.core.vietnamese import roman

__all__ = [
    "Basis",
    "Period",
    "PeriodKind",
    "add_months",
    "make_period",
    "period_from_key",
    "periods_of_year",
    "periods_overlapping",
]

PeriodKind = Literal["month", "quarter", "half_year", "nine_months", "year"]
Basis = Literal["nd09", "calendar"]
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)
BASES: tuple[str, ...] = get_args(Basis)

_KEY_RE = re.compile(r"^(\d{4})-(?:M(\d{2})|Q([1-4])|H([12])|(N9)|(Y))$")


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    label: str
    start: dt.date
    end: dt.date

    def __contains__(self, d: object) -> bool:
        return isinstance(d, dt.date) and self.start <= d <= self.end


def add_months(d: dt.date, months: int) -> dt.date:
    """`d` moved by `months` calendar months, the day clamped to the month's end
    (31/8 + 6 months -> 28/2 or 29/2). The one month arithmetic of the project."""
    moved = pendulum.Date(d.year, d.month, d.day).add(months=months)
    return dt.date(moved.year, moved.month, moved.day)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _stdcal.monthrange(year, month)[1])


def _span(basis: Basis, year: int, first_month: int, last_month: int) -> tuple[dt.date, dt.date]:
    """Start/end of the period covering months first_month..last_month of `year`."""
    if basis == "calendar":
        return dt.date(year, first_month, 1), _month_end(year, last_month)
    start = add_months(dt.date(year, first_month, 15), -1)
    return start, dt.date(year, last_month, 14)


def make_period(kind: PeriodKind, basis: Basis, year: int, index: int = 1) -> Period:
    """One period: `index` is the month (1–12), quarter (1–4) or half (1–2); else ignored."""
    if kind == "month":
        if not 1 <= index <= 12:
            raise ValueError(f"Tháng không hợp lệ: {index}")
        start, end = _span(basis, year, index, index)
        return Period(f"{year}-M{index:02d}", f"tháng {index}/{year}", start, end)
    if kind == "quarter":
        if not 1 <= index <= 4:
            raise ValueError(f"Quý không hợp lệ: {index}")
        start, end = _span(basis, year, 3 * index - 2, 3 * index)
        return Period(f"{year}-Q{index}", f"quý {roman(index)}/{year}", start, end)
    if kind == "half_year":
        if index not in (1, 2):
            raise ValueError(f"Nửa năm không hợp lệ: {index} (chỉ 1 hoặc 2)")
        start, end = _span(basis, year, 6 * index - 5, 6 * index)
        which = "đầu" if index == 1 else "cuối"
        return Period(f"{year}-H{index}", f"6 tháng {which} năm {year}", start, end)
    if kind == "nine_months":
        start, end = _span(basis, year, 1, 9)
        return Period(f"{year}-N9", f"9 tháng năm {year}", start, end)
    if kind == "year":
        start, end = _span(basis, year, 1, 12)
        return Period(f"{year}-Y", f"năm {year}", start, end)
    raise ValueError(f"Loại kỳ báo cáo không hợp lệ: {kind!r}")


def periods_of_year(kind: PeriodKind, basis: Basis, year: int) -> list[Period]:
    """Every period of `kind` that ends in `year`, in order."""
    count = {"month": 12, "quarter": 4, "half_year": 2, "nine_months": 1, "year": 1}[kind]
    return [make_period(kind, basis, year, i) for i in range(1, count + 1)]


def periods_overlapping(
    period: PeriodKind, basis: Basis, start: dt.date, end: dt.date
) -> list[Period]:
    """Periods of kind `period` sharing at least one day with [start, end], in order."""
    if end < start:
        return []
    out: list[Period] = []
    for year in range(start.year, end.year + 2):  # ND09 periods start in the previous year
        for p in periods_of_year(period, basis, year):
            if p.start <= end and p.end >= start:
                out.append(p)
    return out


def period_from_key(key: str, basis: Basis) -> Period:
    """Inverse of `Period.key`."""
    m = _KEY_RE.match(key)
    if m is None:
        raise ValueError(
            f"Mã kỳ báo cáo không hợp lệ: {key!r} "
            "(dạng đúng: 2026-M02, 2026-Q1, 2026-H1, 2026-N9, 2026-Y)"
        )
    year = int(m.group(1))
    if m.group(2):
        return make_period("month", basis, year, int(m.group(2)))
    if m.group(3):
        return make_period("quarter", basis, year, int(m.group(3)))
    if m.group(4):
        return make_period("half_year", basis, year, int(m.group(4)))
    if m.group(5):
        return make_period("nine_months", basis, year)
    return make_period("year", basis, year)
