"""Working-day calendar for Vietnamese civil servants.

A day is a working day when it is Monday–Friday and not a public holiday, or when
it is a weekend day the government announced as a working day (a swapped day).
Public holidays and the swaps the `holidays` package knows come from
``holidays.country_holidays("VN")``; explicit `CalendarOverride`s (operator data,
e.g. ``config/calendar/2026.yaml``) always win over the package.

Everything is precomputed into per-day arrays indexed by ordinal, so
`is_working_day` is O(1) and offset/count queries are O(log n) (bisect on a
cumulative count).

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import holidays
from pydantic import BaseModel, ConfigDict, field_validator

from danvan_workflow.core.lunar import lunar_day_before_new_year
from danvan_workflow.core.vietnamese import format_date, nfc, weekday_name

__all__ = [
    "DEFAULT_FIRST_YEAR",
    "DEFAULT_LAST_YEAR",
    "CalendarOverride",
    "CalendarRangeError",
    "OverrideKind",
    "WorkingCalendar",
    "overrides_from_mapping",
    "vietnam_public_holidays",
    "vietnam_weekend_workdays",
]

DEFAULT_FIRST_YEAR = 2015
DEFAULT_LAST_YEAR = 2040

OverrideKind = Literal["day_off", "working_day"]


class CalendarRangeError(ValueError):
    """A date (given or computed) falls outside the years the calendar was built for."""


class CalendarOverride(BaseModel):
    """An announced change to the ordinary calendar. Always wins over the package."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    kind: OverrideKind
    name: str
    document: str | None = None

    @field_validator("name", "document")
    @classmethod
    def _normalise(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = nfc(value).strip()
        if not value:
            raise ValueError("không được để trống")
        return value

    def reason(self) -> str:
        """'Nghỉ bù Tết Dương lịch — Công văn 12729/VPCP-KGVX'."""
        return f"{self.name} — {self.document}" if self.document else self.name


def vietnam_public_holidays(year: int) -> dict[dt.date, str]:
    """Public holidays (and package-known swapped days off) of `year`, Vietnamese names."""
    return _package_holidays(year, year)[0]


def vietnam_weekend_workdays(first_year: int, last_year: int) -> set[dt.date]:
    """Weekend days the package knows were announced as working days, within the years."""
    return _package_holidays(first_year, last_year)[1]


def _package_holidays(first_year: int, last_year: int) -> tuple[dict[dt.date, str], set[dt.date]]:
    vn: Any = holidays.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")
    days_off = {d: nfc(str(name)) for d, name in vn.items() if first_year <= d.year <= last_year}
    _relabel_days_before_tet(days_off)
    # NB: `weekend_workdays` is not filtered by `years`: it lists every swap the package
    # knows (e.g. 27/12/2014 even for years=2026), so filter it here.
    known: set[dt.date] = set(getattr(vn, "weekend_workdays", set()))
    workdays = {d for d in known if first_year <= d.year <= last_year}
    return days_off, workdays


# The package's own name for Tết Nguyên đán (1 tháng Giêng) and for a day off in the
# last days of tháng Chạp ("29 Tết").
_TET_DAY_NAME = "Tết Nguyên Đán"
_DAY_BEFORE_TET = re.compile(r"^(\d{1,2}) Tết$")


def _relabel_days_before_tet(days_off: dict[dt.date, str]) -> None:
    """Name days off before New Year's Eve by their real day of tháng Chạp.

    The package calls the day two days before Tết "29 Tết" every year, but tháng Chạp
    has 29 days in some years (then it is 28 tháng Chạp, e.g. 27/01/2025, 04/02/2027).
    """
    new_years = sorted(d for d, name in days_off.items() if name == _TET_DAY_NAME)
    for d, name in list(days_off.items()):
        if _DAY_BEFORE_TET.match(name) is None:
            continue
        new_year = next((n for n in new_years if dt.timedelta(0) < n - d < dt.timedelta(30)), None)
        if new_year is None:
            continue
        days_off[d] = f"{lunar_day_before_new_year(d, new_year)} Tết"


def _workday_reason(d: dt.date, days_off: Mapping[dt.date, str]) -> str:
    # The package names the swapped day off "Ngày nghỉ (thay cho ngày 22/08/2026)".
    token = format_date(d)
    for off, name in days_off.items():
        if token in name:
            return f"Làm bù cho ngày {format_date(off)}"
    return "Ngày làm bù theo lịch nghỉ lễ của Chính phủ"


def overrides_from_mapping(data: Mapping[str, Any]) -> list[CalendarOverride]:
    """Turn one parsed ``config/calendar/YYYY.yaml`` document into overrides.

    Format: ``{year: 2026, confirmed: true, documents: [...], days_off: [{date, name,
    document}], working_days: [...]}``; `confirmed` and `documents` describe the year
    and are not overrides. Parsing the file itself is the configuration layer's job;
    this only maps keys.
    """
    extra = set(data) - {"year", "confirmed", "documents", "days_off", "working_days"}
    if extra:
        raise ValueError(f"Khóa không hợp lệ trong lịch nghỉ: {', '.join(sorted(extra))}")
    year = data.get("year")
    result: list[CalendarOverride] = []
    for key, kind in (("days_off", "day_off"), ("working_days", "working_day")):
        for item in data.get(key) or []:
            override = CalendarOverride.model_validate({**dict(item), "kind": kind})
            if year is not None and override.date.year != year:
                raise ValueError(
                    f"Ngày {format_date(override.date)} trong '{key}' không thuộc năm {year}"
                )
            result.append(override)
    return result


class WorkingCalendar:
    """Working days between 1 January `first_year` and 31 December `last_year`.

    Build it with `WorkingCalendar.build(overrides)`. Instances are immutable.
    """

    __slots__ = (
        "_base",
        "_confirmed",
        "_first",
        "_last",
        "_overrides",
        "_prefix",
        "_reasons",
        "_working",
    )

    def __init__(
        self,
        first: dt.date,
        last: dt.date,
        working: Sequence[bool],
        reasons: Mapping[dt.date, str],
        overrides: Sequence[CalendarOverride],
        confirmed_years: Iterable[int] = (),
    ) -> None:
        if len(working) != (last - first).days + 1:
            raise ValueError("working-day array does not match the date range")
        self._first = first
        self._last = last
        self._base = first.toordinal()
        self._working: tuple[bool, ...] = tuple(working)
        # _prefix[k] = number of working days among indices [0, k).
        prefix = [0] * (len(working) + 1)
        count = 0
        for i, w in enumerate(working):
            count += w
            prefix[i + 1] = count
        self._prefix: tuple[int, ...] = tuple(prefix)
        self._reasons: dict[dt.date, str] = dict(reasons)
        self._overrides: tuple[CalendarOverride, ...] = tuple(overrides)
        self._confirmed: frozenset[int] = frozenset(confirmed_years)

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        overrides: Sequence[CalendarOverride] = (),
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
        confirmed_years: Iterable[int] = frozenset(),
    ) -> WorkingCalendar:
        """Package holidays for the years, then `overrides` on top (an override always wins).

        `confirmed_years` are the years whose holidays and swaps the government has
        announced and the operator has entered (``confirmed: true`` in the year's file);
        dates in other years may still move. Two overrides on the same date with
        different kinds are an error.
        """
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year")
        first = dt.date(first_year, 1, 1)
        last = dt.date(last_year, 12, 31)
        days_off, weekend_workdays = _package_holidays(first_year, last_year)

        by_date: dict[dt.date, CalendarOverride] = {}
        for o in overrides:
            seen = by_date.get(o.date)
            if seen is not None and seen.kind != o.kind:
                raise ValueError(
                    f"Ngày {format_date(o.date)} vừa được khai là ngày nghỉ vừa là ngày làm việc"
                )
            if not first <= o.date <= last:
                raise CalendarRangeError(
                    f"Ngày {format_date(o.date)} nằm ngoài lịch ({first_year}–{last_year})"
                )
            by_date[o.date] = o

        working: list[bool] = []
        reasons: dict[dt.date, str] = {}
        d = first
        one = dt.timedelta(days=1)
        while d <= last:
            override = by_date.get(d)
            if override is not None:
                working.append(override.kind == "working_day")
                reasons[d] = override.reason()
            elif d in days_off:
                working.append(False)
                reasons[d] = days_off[d]
            elif d in weekend_workdays:
                working.append(True)
                reasons[d] = _workday_reason(d, days_off)
            else:
                working.append(d.weekday() < 5)
            d += one
        return cls(
            first, last, working, reasons, list(by_date.values()), frozenset(confirmed_years)
        )

    def with_overrides(self, extra: Iterable[CalendarOverride]) -> WorkingCalendar:
        """A new calendar with `extra` overrides added (same years)."""
        return WorkingCalendar.build(
            [*self._overrides, *extra],
            self._first.year,
            self._last.year,
            confirmed_years=self._confirmed,
        )

    # ------------------------------------------------------------------ properties

    @property
    def first_day(self) -> dt.date:
        return self._first

    @property
    def last_day(self) -> dt.date:
        return self._last

    @property
    def overrides(self) -> tuple[CalendarOverride, ...]:
        return self._overrides

    @property
    def confirmed_years(self) -> frozenset[int]:
        return self._confirmed

    def is_confirmed(self, year: int) -> bool:
        """Whether `year`'s holidays and swaps were announced and entered (``confirmed: true``).

        Deadlines in an unconfirmed year may move when the government announces its
        holiday calendar.
        """
        return year in self._confirmed

    # ------------------------------------------------------------------ queries

    def _index(self, d: dt.date) -> int:
        i = d.toordinal() - self._base
        if i < 0 or i >= len(self._working):
            raise CalendarRangeError(
                f"Ngày {format_date(d)} nằm ngoài lịch làm việc đã nạp "
                f"({format_date(self._first)}–{format_date(self._last)})"
            )
        return i

    def _date(self, i: int) -> dt.date:
        return dt.date.fromordinal(self._base + i)

    def _nth_working_index(self, k: int, what: str) -> int:
        """Index of the k-th working day of the whole calendar (1-based)."""
        if k < 1 or k > self._prefix[-1]:
            raise CalendarRangeError(
                f"Không tính được {what}: kết quả nằm ngoài lịch làm việc đã nạp "
                f"({format_date(self._first)}–{format_date(self._last)})"
            )
        return bisect_left(self._prefix, k) - 1

    def is_working_day(self, d: dt.date) -> bool:
        return self._working[self._index(d)]

    def reason(self, d: dt.date) -> str | None:
        """Why the day differs from an ordinary one (holiday or override name), if it does."""
        self._index(d)
        return self._reasons.get(d)

    def explain(self, d: dt.date) -> str:
        """'Thứ Sáu 02/01/2026: ngày nghỉ (Nghỉ bù Tết Dương lịch — Công văn 12729/VPCP-KGVX)'."""
        working = self.is_working_day(d)
        reason = self._reasons.get(d)
        if reason is None and not working:
            reason = "nghỉ cuối tuần"
        status = "ngày làm việc" if working else "ngày nghỉ"
        head = f"{weekday_name(d)} {format_date(d)}: {status}"
        return f"{head} ({reason})" if reason else head

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """Move `n` working days from `d`.

        - n > 0: the n-th working day strictly after d;
        - n < 0: the |n|-th working day strictly before d;
        - n == 0: d itself when it is a working day, otherwise the next working day.
        """
        i = self._index(d)
        if n > 0:
            return self._date(self._nth_working_index(self._prefix[i + 1] + n, "ngày làm việc"))
        if n < 0:
            return self._date(self._nth_working_index(self._prefix[i] + n + 1, "ngày làm việc"))
        return self.next_working_day(d, inclusive=True)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Number of working days in (a, b]; negative (−count in (b, a]) when b < a."""
        ia, ib = self._index(a), self._index(b)
        return self._prefix[ib + 1] - self._prefix[ia + 1]

    def previous_working_day(self, d: dt.date, inclusive: bool) -> dt.date:
        """Last working day before d (or d itself when `inclusive` and d is working)."""
        i = self._index(d)
        k = self._prefix[i + 1] if inclusive else self._prefix[i]
        return self._date(self._nth_working_index(k, "ngày làm việc liền trước"))

    def next_working_day(self, d: dt.date, inclusive: bool) -> dt.date:
        """First working day after d (or d itself when `inclusive` and d is working)."""
        i = self._index(d)
        k = (self._prefix[i] if inclusive else self._prefix[i + 1]) + 1
        return self._date(self._nth_working_index(k, "ngày làm việc liền sau"))

    def working_days_in(self, a: dt.date, b: dt.date) -> list[dt.date]:
        """All working days in [a, b], in order (empty when b < a)."""
        ia, ib = self._index(a), self._index(b)
        return [self._date(i) for i in range(ia, ib + 1) if self._working[i]]

    def days_off_in(self, a: dt.date, b: dt.date) -> list[tuple[dt.date, str]]:
        """Non-working weekdays and working weekend days in [a, b], with their reason."""
        ia, ib = self._index(a), self._index(b)
        out: list[tuple[dt.date, str]] = []
        for i in range(ia, ib + 1):
            d = self._date(i)
            if d in self._reasons:
                out.append((d, self._reasons[d]))
        return out
