"""Vietnamese text helpers: weekday names, date formats, NFC, "days left" wording,
percentages ("85,7%") and obligation titles joined with their period label.

Pure: no I/O. Every string returned here is NFC-normalised Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

__all__ = [
    "WEEKDAYS",
    "WorkingDayCounter",
    "days_left_text",
    "format_date",
    "format_date_long",
    "format_date_short",
    "format_percent",
    "nfc",
    "roman",
    "title_with_period",
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

    'hạn hôm nay', 'còn 3 ngày làm việc', 'đã quá hạn 2 ngày làm việc'. When no
    working day lies between the two dates (a due date on a day off), the wording
    falls back to calendar days, e.g. 'còn 1 ngày (hạn rơi vào ngày nghỉ)'.
    """
    if due == today:
        return "hạn hôm nay"
    if due > today:
        n = cal.working_days_between(today, due)
        if n > 0:
            return f"còn {n} ngày làm việc"
        return f"còn {(due - today).days} ngày (hạn rơi vào ngày nghỉ)"
    n = cal.working_days_between(due, today)
    if n > 0:
        return f"đã quá hạn {n} ngày làm việc"
    return f"đã quá hạn {(today - due).days} ngày (chưa qua ngày làm việc nào)"


def format_percent(value: float | int | Decimal) -> str:
    """'85,7%': one decimal after a comma, dropped when it is zero ('100%', '0%')."""
    d = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if d == 0:
        d = Decimal(0)  # never "-0%"
    text = f"{d:f}"
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", ",") + "%"


# --------------------------------------------------------------------------- titles

# Each shape of period label (core/periods.py, core/occurrences.py) and the undated
# words a plan's obligation title uses for the same period ("năm", "6 tháng",
# "hằng quý"...), optionally followed by a year.
_PERIOD_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^năm (?P<y>\d{4})$"), r"(?:định kỳ )?(?:(?:hằng|mỗi|cả) )?năm"),
    (re.compile(r"^6 tháng (?:đầu|cuối) năm (?P<y>\d{4})$"),
     r"(?:định kỳ )?(?:6|sáu) tháng(?: (?:đầu|cuối) năm| năm)?"),
    (re.compile(r"^9 tháng năm (?P<y>\d{4})$"), r"(?:định kỳ )?(?:9|chín) tháng(?: năm)?"),
    (re.compile(r"^quý [IV]+/(?P<y>\d{4})$"), r"(?:định kỳ )?(?:(?:hằng|mỗi) )?quý"),
    (re.compile(r"^tháng \d{1,2}/(?P<y>\d{4})$"), r"(?:định kỳ )?(?:(?:hằng|mỗi) )?tháng"),
)
# A word before the period word that makes it a duration or another period:
# "3 năm", "sau 6 tháng", "6 tháng đầu năm" (for a yearly label).
_NOT_BEFORE = frozenset({
    "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mấy", "vài",
    "nhiều", "các", "những", "từng", "sau", "trong", "tháng", "đầu", "nửa",
})
# What after the period word makes it dated or relative already ("quý I", "tháng 3",
# "năm tới", "6 tháng kể từ").
_DATED_AFTER = re.compile(r"\s*(?:\d|/|[IVX]+\b)|\s+(?:tới|qua|trước|sau|kể từ)\b")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")
_SPACE = re.compile(r"\s+")


def _lower_first(text: str) -> str:
    """'Theo yêu cầu: …' -> 'theo yêu cầu: …' (an acronym such as 'UBND' is kept)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def title_with_period(title: str, period_label: str) -> str:
    """An obligation title and a deadline's period label as one name, without repetition.

    The plans write titles with an undated period word ("Báo cáo kết quả thực hiện
    dân chủ ở cơ sở năm", "… 6 tháng của Ban Chỉ đạo tỉnh", "… hằng tháng"); the
    period label gives the dated one ("năm 2026", "6 tháng đầu năm 2026",
    "tháng 3/2026"). The last undated period word of the title is replaced by the
    label; a title that already names the period is kept as it is; otherwise the
    label is added at the end (before a closing parenthetical note). A one-off date
    label ("ngày 25/7/2023", the due date itself) adds nothing; other labels (a
    request, a model's self-review) follow the title in brackets, or after a comma
    when brackets would nest.
    """
    title = _SPACE.sub(" ", nfc(title)).strip()
    label = _SPACE.sub(" ", nfc(period_label)).strip()
    if not label or label.casefold() in title.casefold():
        return title
    for shape, words in _PERIOD_SHAPES:
        m = shape.match(label)
        if m is None:
            continue
        year = m.group("y")
        found = None
        for w in re.finditer(rf"(?<!\w)(?:{words})(?:\s+(?P<year>\d{{4}}))?(?!\w)", title):
            before = title[:w.start()].split()
            if before and (before[-1].lower() in _NOT_BEFORE or before[-1].isdigit()):
                continue
            if w.group("year") is None and _DATED_AFTER.match(title, w.end()):
                continue
            if w.group("year") not in (None, year):
                continue
            found = w
        if found is not None:
            return title[:found.start()] + label + title[found.end():]
        if re.search(r"\b\d{4}\b", title):  # dated for another period: show both
            break
        note = _TRAILING_NOTE.search(title)
        if note is not None:
            return f"{title[:note.start()]} {label}{title[note.start():]}"
        return f"{title} {label}"
    if label.startswith("ngày ") or label == "thường xuyên":
        return title
    label = _lower_first(label)
    return f"{title}, {label}" if title.endswith(")") or "(" in label else f"{title} ({label})"

