"""The shipped calendar files (config/calendar/<year>.yaml) against the announcements.

Every announced holiday period of 2023–2026 is listed here with the document that set
it: the calendar built from config/ must have exactly that period off (the working
days either side stay working days), and every announced make-up Saturday must be a
working day. Also: `is_confirmed` follows the files, and Tết days carry their real
day of tháng Chạp.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from holidays.calendars.chinese import VIETNAMESE_CALENDAR, _ChineseLunisolar
from ruamel.yaml import YAML

from danvan_workflow.core.calendar import (
    WorkingCalendar,
    overrides_from_mapping,
    vietnam_public_holidays,
)
from danvan_workflow.core.lunar import last_month_start, lunar_day_before_new_year, new_moon_day

D = dt.date
CALENDAR_DIR = Path(__file__).resolve().parents[2] / "config" / "calendar"

# Documents (short form, as the files cite them).
CV_8056 = "Công văn 8056/VPCP-KGVX"  # 01/12/2022: Tết and Quốc khánh 2023
CV_8662 = "Công văn 8662/VPCP-KGVX"  # 03/11/2023: Tết and Quốc khánh 2024
TB_5015 = "Thông báo 5015/TB-LĐTBXH"  # 22/11/2023: the same, announced
CV_2450 = "Công văn 2450/VPCP-KGVX"  # 12/04/2024: swap for 30/4 – 1/5/2024
CV_8726 = "Công văn 8726/VPCP-KGVX"  # 26/11/2024: Tết and other holidays of 2025
TB_6150 = "Thông báo 6150/TB-BLĐTBXH"  # the same, announced (swap for 30/4 – 1/5/2025)
CV_12729 = "Công văn 12729/VPCP-KGVX"  # 25/12/2025: swap for Tết Dương lịch 2026
BNV_2026 = "Thông báo của Bộ Nội vụ về nghỉ Tết Âm lịch và nghỉ lễ Quốc khánh năm 2026"
LABOUR_CODE = "Bộ luật Lao động 2019, Điều 111–112 (nghỉ bù)"

# (first day off, last day off, what, source): the whole block is off, the days
# just before and after it are working days.
ANNOUNCED_PERIODS: list[tuple[dt.date, dt.date, str, str]] = [
    (D(2022, 12, 31), D(2023, 1, 2), "Tết Dương lịch 2023", LABOUR_CODE),
    (D(2023, 1, 20), D(2023, 1, 26), "Tết Nguyên đán Quý Mão", CV_8056),
    (D(2023, 4, 29), D(2023, 5, 3), "Giỗ Tổ, 30/4, 1/5 năm 2023", LABOUR_CODE),
    (D(2023, 9, 1), D(2023, 9, 4), "Quốc khánh 2023", CV_8056),
    (D(2023, 12, 30), D(2024, 1, 1), "Tết Dương lịch 2024", LABOUR_CODE),
    (D(2024, 2, 8), D(2024, 2, 14), "Tết Nguyên đán Giáp Thìn", f"{CV_8662}, {TB_5015}"),
    (D(2024, 4, 18), D(2024, 4, 18), "Giỗ Tổ Hùng Vương 2024", LABOUR_CODE),
    (D(2024, 4, 27), D(2024, 5, 1), "30/4 và 1/5 năm 2024", CV_2450),
    (D(2024, 8, 31), D(2024, 9, 3), "Quốc khánh 2024", f"{CV_8662}, {TB_5015}"),
    (D(2025, 1, 1), D(2025, 1, 1), "Tết Dương lịch 2025", LABOUR_CODE),
    (D(2025, 1, 25), D(2025, 2, 2), "Tết Nguyên đán Ất Tỵ", f"{CV_8726}, {TB_6150}"),
    (D(2025, 4, 5), D(2025, 4, 7), "Giỗ Tổ Hùng Vương 2025", LABOUR_CODE),
    (D(2025, 4, 30), D(2025, 5, 4), "30/4 và 1/5 năm 2025", f"{CV_8726}, {TB_6150}"),
    (D(2025, 8, 30), D(2025, 9, 2), "Quốc khánh 2025", f"{CV_8726}, {TB_6150}"),
    (D(2026, 1, 1), D(2026, 1, 4), "Tết Dương lịch 2026", CV_12729),
    (D(2026, 2, 14), D(2026, 2, 22), "Tết Nguyên đán Bính Ngọ", BNV_2026),
    (D(2026, 4, 25), D(2026, 4, 27), "Giỗ Tổ Hùng Vương 2026", LABOUR_CODE),
    (D(2026, 4, 30), D(2026, 5, 3), "30/4 và 1/5 năm 2026", LABOUR_CODE),
    (D(2026, 8, 29), D(2026, 9, 2), "Quốc khánh 2026", BNV_2026),
    (D(2026, 11, 24), D(2026, 11, 24), "Ngày Văn hóa Việt Nam", "Nghị quyết 80-NQ/TW"),
]

# Announced swaps: (weekday off, Saturday worked instead, document).
ANNOUNCED_SWAPS: list[tuple[dt.date, dt.date, str]] = [
    (D(2024, 4, 29), D(2024, 5, 4), CV_2450),
    (D(2025, 5, 2), D(2025, 4, 26), TB_6150),
    (D(2026, 1, 2), D(2026, 1, 10), CV_12729),
    (D(2026, 8, 31), D(2026, 8, 22), BNV_2026),
]

SHIPPED_YEARS = (2023, 2024, 2025, 2026)


def _yaml(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def shipped_files() -> dict[int, dict[str, Any]]:
    return {int(p.stem): _yaml(p) for p in sorted(CALENDAR_DIR.glob("*.yaml"))}


@cache
def shipped_calendar() -> WorkingCalendar:
    """The calendar as `danvan config load` builds it from the shipped files."""
    overrides = [o for data in shipped_files().values() for o in overrides_from_mapping(data)]
    confirmed = {data["year"] for data in shipped_files().values() if data.get("confirmed")}
    return WorkingCalendar.build(overrides, first_year=2020, last_year=2030,
                                 confirmed_years=confirmed)


# ---------------------------------------------------------------------------- the files


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_year_file_is_confirmed_and_cites_its_documents(year: int) -> None:
    path = CALENDAR_DIR / f"{year}.yaml"
    assert unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8"))
    data = shipped_files()[year]
    assert data["year"] == year
    assert data["confirmed"] is True
    documents = data["documents"]
    assert documents and all(isinstance(d, str) and d.strip() for d in documents)
    for o in overrides_from_mapping(data):
        assert o.document, f"{o.date} has no document"
        assert any(d.startswith(o.document) for d in documents), o.document


def test_every_announced_swap_is_in_its_year_file() -> None:
    for off, worked, doc in ANNOUNCED_SWAPS:
        assert off.weekday() < 5 and worked.weekday() == 5
        by_date = {o.date: o for o in overrides_from_mapping(shipped_files()[off.year])}
        assert by_date[off].kind == "day_off" and by_date[off].document == doc
        assert by_date[worked].kind == "working_day" and by_date[worked].document == doc


# ---------------------------------------------------------------------------- the calendar


@pytest.mark.parametrize(("first", "last", "what", "source"), ANNOUNCED_PERIODS,
                         ids=[p[2] for p in ANNOUNCED_PERIODS])
def test_announced_period_is_off_exactly(first: dt.date, last: dt.date, what: str,
                                         source: str) -> None:
    cal = shipped_calendar()
    d = first
    while d <= last:
        assert not cal.is_working_day(d), f"{d} should be off ({what}, {source})"
        d += dt.timedelta(days=1)
    assert cal.is_working_day(first - dt.timedelta(days=1)), f"day before {what}"
    assert cal.is_working_day(last + dt.timedelta(days=1)), f"day after {what}"


@pytest.mark.parametrize(("off", "worked", "document"), ANNOUNCED_SWAPS,
                         ids=[str(s[0]) for s in ANNOUNCED_SWAPS])
def test_announced_swap(off: dt.date, worked: dt.date, document: str) -> None:
    cal = shipped_calendar()
    assert not cal.is_working_day(off)
    assert cal.is_working_day(worked)
    assert document in cal.explain(worked)
    assert document in cal.explain(off)


def test_no_other_saturday_is_worked() -> None:
    cal = shipped_calendar()
    worked = [d for d in cal.working_days_in(D(2023, 1, 1), D(2026, 12, 31)) if d.weekday() >= 5]
    assert worked == sorted(w for _, w, _ in ANNOUNCED_SWAPS)


# ---------------------------------------------------------------------------- confirmed years


def test_is_confirmed_follows_the_files() -> None:
    cal = shipped_calendar()
    for year in SHIPPED_YEARS:
        assert cal.is_confirmed(year)
    assert not cal.is_confirmed(2027)
    assert not cal.is_confirmed(2022)
    assert cal.confirmed_years == frozenset(SHIPPED_YEARS)


def test_confirmed_years_default_empty_and_survive_with_overrides() -> None:
    assert not WorkingCalendar.build((), first_year=2026, last_year=2026).is_confirmed(2026)
    cal = WorkingCalendar.build((), first_year=2026, last_year=2027, confirmed_years={2026})
    assert cal.with_overrides(()).is_confirmed(2026)
    assert not cal.with_overrides(()).is_confirmed(2027)


def test_year_keys_are_not_overrides() -> None:
    data = {"year": 2027, "confirmed": False, "documents": ["Công văn 1/VPCP-KGVX"],
            "days_off": [], "working_days": []}
    assert overrides_from_mapping(data) == []


# ---------------------------------------------------------------------------- Tết labels

# Every Tết day off the package adds, with its Vietnamese name (2023–2027). The day
# two days before Tết is 29 tháng Chạp only when tháng Chạp has 30 days.
TET_LABELS: dict[int, dict[dt.date, str]] = {
    2023: {  # tháng Chạp Nhâm Dần: 30 days
        D(2023, 1, 20): "29 Tết",
        D(2023, 1, 21): "Giao thừa Tết Nguyên Đán",
        D(2023, 1, 22): "Tết Nguyên Đán",
        D(2023, 1, 23): "Mùng hai Tết Nguyên Đán",
        D(2023, 1, 24): "Mùng ba Tết Nguyên Đán",
        D(2023, 1, 25): "Mùng bốn Tết Nguyên Đán",
        D(2023, 1, 26): "Mùng năm Tết Nguyên Đán",
    },
    2024: {  # tháng Chạp Quý Mão: 30 days
        D(2024, 2, 8): "29 Tết",
        D(2024, 2, 9): "Giao thừa Tết Nguyên Đán",
        D(2024, 2, 10): "Tết Nguyên Đán",
        D(2024, 2, 11): "Mùng hai Tết Nguyên Đán",
        D(2024, 2, 12): "Mùng ba Tết Nguyên Đán",
        D(2024, 2, 13): "Mùng bốn Tết Nguyên Đán",
        D(2024, 2, 14): "Mùng năm Tết Nguyên Đán",
    },
    2025: {  # tháng Chạp Giáp Thìn: 29 days
        D(2025, 1, 27): "28 Tết",
        D(2025, 1, 28): "Giao thừa Tết Nguyên Đán",
        D(2025, 1, 29): "Tết Nguyên Đán",
        D(2025, 1, 30): "Mùng hai Tết Nguyên Đán",
        D(2025, 1, 31): "Mùng ba Tết Nguyên Đán",
        D(2025, 2, 1): "Mùng bốn Tết Nguyên Đán",
    },
    2026: {  # tháng Chạp Ất Tỵ: 29 days
        D(2026, 2, 16): "Giao thừa Tết Nguyên Đán",
        D(2026, 2, 17): "Tết Nguyên Đán",
        D(2026, 2, 18): "Mùng hai Tết Nguyên Đán",
        D(2026, 2, 19): "Mùng ba Tết Nguyên Đán",
        D(2026, 2, 20): "Mùng bốn Tết Nguyên Đán",
    },
    2027: {  # tháng Chạp Bính Ngọ: 29 days
        D(2027, 2, 4): "28 Tết",
        D(2027, 2, 5): "Giao thừa Tết Nguyên Đán",
        D(2027, 2, 6): "Tết Nguyên Đán",
        D(2027, 2, 7): "Mùng hai Tết Nguyên Đán",
        D(2027, 2, 8): "Mùng ba Tết Nguyên Đán",
        D(2027, 2, 9): "Mùng bốn Tết Nguyên Đán",
        D(2027, 2, 10): "Mùng năm Tết Nguyên Đán",
    },
}


@pytest.mark.parametrize("year", sorted(TET_LABELS))
def test_tet_day_labels(year: int) -> None:
    names = vietnam_public_holidays(year)
    tet = {d: n for d, n in names.items() if "Tết" in n and "Dương lịch" not in n}
    assert tet == TET_LABELS[year]


def test_calendar_explains_28_thang_chap() -> None:
    cal = shipped_calendar()
    assert cal.explain(D(2025, 1, 27)) == "Thứ Hai 27/01/2025: ngày nghỉ (28 Tết)"
    assert cal.explain(D(2027, 2, 4)) == "Thứ Năm 04/02/2027: ngày nghỉ (28 Tết)"
    assert cal.explain(D(2024, 2, 8)) == "Thứ Năm 08/02/2024: ngày nghỉ (29 Tết)"


@pytest.mark.parametrize(("new_year", "chap_start", "length"), [
    (D(2023, 1, 22), D(2022, 12, 23), 30),
    (D(2024, 2, 10), D(2024, 1, 11), 30),
    (D(2025, 1, 29), D(2024, 12, 31), 29),
    (D(2026, 2, 17), D(2026, 1, 19), 29),
    (D(2027, 2, 6), D(2027, 1, 8), 29),
])
def test_thang_chap(new_year: dt.date, chap_start: dt.date, length: int) -> None:
    assert last_month_start(new_year) == chap_start
    assert (new_year - chap_start).days == length
    # New Year's Eve is the last day of tháng Chạp: 29 or 30.
    assert lunar_day_before_new_year(new_year - dt.timedelta(days=1), new_year) == length


def test_announcements_lunar_days() -> None:
    """The announcements' own words: 25/01/2025 is 26 tháng Chạp, 14/02/2026 is 27, ..."""
    assert lunar_day_before_new_year(D(2025, 1, 25), D(2025, 1, 29)) == 26
    assert lunar_day_before_new_year(D(2026, 2, 14), D(2026, 2, 17)) == 27
    assert lunar_day_before_new_year(D(2024, 2, 8), D(2024, 2, 10)) == 29
    assert lunar_day_before_new_year(D(2023, 1, 20), D(2023, 1, 22)) == 29
    with pytest.raises(ValueError):
        lunar_day_before_new_year(D(2025, 1, 29), D(2025, 1, 29))


def test_new_moons_agree_with_the_package() -> None:
    """Tết (1 tháng Giêng) and 1 tháng Ba (Giỗ Tổ is the 10th) are new-moon days."""
    lunisolar = _ChineseLunisolar(VIETNAMESE_CALENDAR)
    for year in range(1995, 2100):
        tet, _ = lunisolar.lunar_new_year_date(year, VIETNAMESE_CALENDAR)
        hung, _ = lunisolar.hung_kings_date(year, VIETNAMESE_CALENDAR)
        assert tet is not None and hung is not None
        for first_day in (tet, hung - dt.timedelta(days=9)):
            near = round((first_day - D(1900, 1, 1)).days / 29.530588853)
            assert first_day in {new_moon_day(k) for k in range(near - 2, near + 3)}, first_day
        last_month_start(tet)  # raises when Tết is not found among the new moons
