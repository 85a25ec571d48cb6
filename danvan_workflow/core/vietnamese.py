"""Vietnamese text helpers: weekday names, date formats, NFC, "days left" wording.

Pure: no I/O. Every string returned here is NFC-normalised Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Protocol

__all__ = [
    "WEEKDAYS",
    "WorkingDayCounter",
    "days_left_text",
    "format_date",
    "format_date_long",
    "format_date_short",
    "nfc",
    "roman",
    "weekday_name",
]

# Index = date.weekday() (Monday = 0).
WEEKDAYS: tuple[str, ...] = (
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
)

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class WorkingDayCounter(Protocol):
    """The part of `WorkingCalendar` that `days_left_text` needs."""

    def working_days_between(self, a: dt.date, b: dt.date) -> int: ...


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC (composed) form."""
    return unicodedata.normalize("NFC", text)


def weekday_name(d: dt.date) -> str:
    """'Thứ Hai' … 'Chủ nhật'."""
    return WEEKDAYS[d.weekday()]


def format_date(d: dt.date) -> str:
    """'13/12/2024' (day and month zero-padded)."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def format_date_short(d: dt.date) -> str:
    """'25/7/2023' — the unpadded form plans use in running text."""
    return f"{d.day}/{d.month}/{d.year}"


def format_date_long(d: dt.date) -> str:
    """'Thứ Sáu, 13/12/2024'."""
    return f"{weekday_name(d)}, {format_date(d)}"


def roman(n: int) -> str:
    """Roman numeral for a quarter number (1–4)."""
    try:
        return _ROMAN[n]
    except KeyError:
        raise ValueError(f"Số quý không hợp lệ: {n} (chỉ từ 1 đến 4)") from None


def days_left_text(due: dt.date, today: dt.date, cal: WorkingDayCounter) -> str:
    """How far `today` is from `due`, counted in working days.

    'hôm nay là hạn', 'còn 3 ngày làm việc', 'quá hạn 2 ngày làm việc'. When no
    working day lies between the two dates (a due date on a day off), the wording
    falls back to calendar days, e.g. 'còn 1 ngày (hạn rơi vào ngày nghỉ)'.
    """
    if due == today:
        return "hôm nay là hạn"
    if due > today:
        n = cal.working_days_between(today, due)
        if n > 0:
            return f"còn {n} ngày làm việc"
        return f"còn {(due - today).days} ngày (hạn rơi vào ngày nghỉ)"
    n = cal.working_days_between(due, today)
    if n > 0:
        return f"quá hạn {n} ngày làm việc"
    return f"quá hạn {(today - due).days} ngày (chưa qua ngày làm việc nào)"
