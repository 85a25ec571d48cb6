"""When a plan is in force: the span its duties may fall in.

A plan's duties start no earlier than its ``valid_from`` (else its issue date, else
1 January of its year) and end at its ``valid_until`` (else 31 December of its year,
unless the plan ``recurs``: a standing plan whose rules run until changed).

An occurrence belongs to the plan when the day that closes it (the period's last
day, or its due date when it has no period) lies inside that span: a monthly report
for a month that ended before the plan was issued is not the plan's duty, and the
yearly report of the following year is not either.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from danvan_workflow.core.occurrences import Occurrence
from danvan_workflow.core.vietnamese import format_date

__all__ = ["PlanValidity"]


@dataclass(frozen=True, slots=True)
class PlanValidity:
    start: dt.date
    end: dt.date | None  # None: the plan recurs until changed

    @classmethod
    def of(
        cls, *, year: int, issued_on: dt.date | None = None, valid_from: dt.date | None = None,
        valid_until: dt.date | None = None, recurs: bool = False,
    ) -> PlanValidity:
        start = valid_from or issued_on or dt.date(year, 1, 1)
        end = valid_until if valid_until is not None else (
            None if recurs else dt.date(year, 12, 31))
        return cls(start, end)

    @property
    def first_year(self) -> int:
        return self.start.year

    @property
    def last_year(self) -> int | None:
        return self.end.year if self.end is not None else None

    def covers_year(self, year: int) -> bool:
        return self.start.year <= year and (self.end is None or year <= self.end.year)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def keeps(self, occ: Occurrence) -> bool:
        """Whether the occurrence is a duty of the plan (see the module docstring)."""
        if occ.period_key == "continuous":
            return True
        closing = occ.period_end or occ.due or occ.window_end
        return closing is None or self.covers(closing)

    def describe(self) -> str:
        """'từ 24/02/2023 đến 31/12/2023' or 'từ 01/01/2023 (áp dụng nhiều năm)'."""
        if self.end is None:
            return f"từ {format_date(self.start)} (áp dụng nhiều năm, đến khi có kế hoạch mới)"
        return f"từ {format_date(self.start)} đến {format_date(self.end)}"

    def years_text(self) -> str:
        if self.end is None:
            return f"từ năm {self.start.year}"
        if self.end.year == self.start.year:
            return f"năm {self.start.year}"
        return f"các năm {self.start.year}–{self.end.year}"
