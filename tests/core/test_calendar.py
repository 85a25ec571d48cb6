"""WorkingCalendar, periods and Vietnamese helpers."""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from danvan_workflow.core.calendar import (
    CalendarOverride,
    CalendarRangeError,
    WorkingCalendar,
    overrides_from_mapping,
    vietnam_public_holidays,
)
from danvan_workflow.core.periods import (
    add_months,
    make_period,
    period_from_key,
    periods_of_year,
    periods_overlapping,
)
from danvan_workflow.core.vietnamese import (
    WEEKDAYS,
    days_left_text,
    format_date,
    format_date_long,
    nfc,
    weekday_name,
)

D = dt.date
DOC = "Công văn 12729/VPCP-KGVX"
OVERRIDES_2026 = (
    CalendarOverride(
        date=D(2026, 1, 2), kind="day_off", name="Nghỉ bù Tết Dương lịch", document=DOC
    ),
    CalendarOverride(
        date=D(2026, 1, 10), kind="working_day", name="Làm bù cho ngày 02/01/2026", document=DOC
    ),
)
CONFIG_2026 = Path(__file__).resolve().parents[2] / "config" / "calendar" / "2026.yaml"


@cache
def calendar_2026() -> WorkingCalendar:
    """The calendar with the 2026 overrides in force (shared by the core tests)."""
    return WorkingCalendar.build(OVERRIDES_2026)


@cache
def package_only() -> WorkingCalendar:
    return WorkingCalendar.build(())


# ---------------------------------------------------------------------------- config file


def test_shipped_2026_yaml_matches_the_overrides() -> None:
    data = YAML(typ="safe").load(CONFIG_2026.read_text(encoding="utf-8"))
    assert data["year"] == 2026
    assert set(OVERRIDES_2026) <= set(overrides_from_mapping(data))
    text = CONFIG_2026.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_overrides_from_mapping_rejects_wrong_year_and_keys() -> None:
    with pytest.raises(ValueError, match="không thuộc năm 2026"):
        overrides_from_mapping({"year": 2026, "days_off": [{"date": D(2025, 1, 2), "name": "x"}]})
    with pytest.raises(ValueError, match="Khóa không hợp lệ"):
        overrides_from_mapping({"year": 2026, "holidays": []})


# ---------------------------------------------------------------------------- basic days


def test_2026_new_year_swap() -> None:
    cal = calendar_2026()
    assert not cal.is_working_day(D(2026, 1, 1))
    assert not cal.is_working_day(D(2026, 1, 2))
    assert cal.is_working_day(D(2026, 1, 10))  # a Saturday
    assert cal.is_working_day(D(2026, 1, 5))
    # the package alone does not know this swap
    assert package_only().is_working_day(D(2026, 1, 2))
    assert not package_only().is_working_day(D(2026, 1, 10))


def test_tet_2026_from_the_package() -> None:
    cal = calendar_2026()
    for day in range(14, 23):
        assert not cal.is_working_day(D(2026, 2, day)), day
    assert cal.is_working_day(D(2026, 2, 13))
    assert cal.is_working_day(D(2026, 2, 23))


def test_package_swaps_and_observed_days() -> None:
    cal = calendar_2026()
    assert not cal.is_working_day(D(2026, 4, 27))  # Giỗ Tổ on Sunday 26/4 -> Monday off
    assert not cal.is_working_day(D(2026, 8, 31))  # swapped day off
    assert cal.is_working_day(D(2026, 8, 22))  # the Saturday worked for it
    assert cal.is_working_day(D(2025, 4, 26))
    assert not cal.is_working_day(D(2025, 5, 2))


def test_explain_texts() -> None:
    cal = calendar_2026()
    assert cal.explain(D(2026, 1, 2)) == (
        "Thứ Sáu 02/01/2026: ngày nghỉ (Nghỉ bù Tết Dương lịch — Công văn 12729/VPCP-KGVX)"
    )
    assert cal.explain(D(2026, 1, 10)) == (
        "Thứ Bảy 10/01/2026: ngày làm việc (Làm bù cho ngày 02/01/2026 — Công văn 12729/VPCP-KGVX)"
    )
    assert cal.explain(D(2026, 1, 1)) == "Thứ Năm 01/01/2026: ngày nghỉ (Tết Dương lịch)"
    assert cal.explain(D(2026, 1, 3)) == "Thứ Bảy 03/01/2026: ngày nghỉ (nghỉ cuối tuần)"
    assert cal.explain(D(2026, 1, 5)) == "Thứ Hai 05/01/2026: ngày làm việc"
    assert cal.explain(D(2026, 8, 22)) == (
        "Thứ Bảy 22/08/2026: ngày làm việc (Làm bù cho ngày 31/08/2026)"
    )
    assert "Tết Nguyên Đán" in cal.explain(D(2026, 2, 17))
    for d in (D(2026, 1, 2), D(2026, 2, 17), D(2026, 8, 31)):
        assert unicodedata.is_normalized("NFC", cal.explain(d))


def test_override_always_wins() -> None:
    cal = WorkingCalendar.build(
        [
            CalendarOverride(date=D(2026, 2, 18), kind="working_day", name="Trực Tết"),
            CalendarOverride(date=D(2026, 3, 4), kind="day_off", name="Nghỉ đột xuất"),
        ],
        first_year=2026,
        last_year=2026,
    )
    assert cal.is_working_day(D(2026, 2, 18))
    assert not cal.is_working_day(D(2026, 3, 4))
    assert cal.explain(D(2026, 3, 4)) == "Thứ Tư 04/03/2026: ngày nghỉ (Nghỉ đột xuất)"


def test_conflicting_overrides_rejected() -> None:
    with pytest.raises(ValueError, match="vừa được khai là ngày nghỉ vừa là ngày làm việc"):
        WorkingCalendar.build(
            [
                CalendarOverride(date=D(2026, 3, 4), kind="day_off", name="a"),
                CalendarOverride(date=D(2026, 3, 4), kind="working_day", name="b"),
            ]
        )


def test_override_validation() -> None:
    with pytest.raises(ValueError):
        CalendarOverride(date=D(2026, 3, 4), kind="holiday", name="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CalendarOverride(date=D(2026, 3, 4), kind="day_off", name="  ")


# ---------------------------------------------------------------------------- arithmetic


def test_add_working_days() -> None:
    cal = calendar_2026()
    assert cal.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)
    assert cal.add_working_days(D(2026, 2, 14), 2) == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 10)  # the worked Saturday
    assert cal.add_working_days(D(2026, 1, 5), -1) == D(2025, 12, 31)
    assert cal.add_working_days(D(2026, 2, 23), -1) == D(2026, 2, 13)
    # n == 0: d itself when working, else the next working day
    assert cal.add_working_days(D(2026, 1, 5), 0) == D(2026, 1, 5)
    assert cal.add_working_days(D(2026, 1, 1), 0) == D(2026, 1, 5)


def test_between_and_neighbours() -> None:
    cal = calendar_2026()
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 1, 5)) == 1
    assert cal.working_days_between(D(2026, 1, 5), D(2025, 12, 31)) == -1
    assert cal.working_days_between(D(2026, 1, 5), D(2026, 1, 5)) == 0
    assert cal.previous_working_day(D(2026, 1, 5), inclusive=True) == D(2026, 1, 5)
    assert cal.previous_working_day(D(2026, 1, 5), inclusive=False) == D(2025, 12, 31)
    assert cal.next_working_day(D(2026, 1, 1), inclusive=True) == D(2026, 1, 5)
    assert cal.next_working_day(D(2026, 1, 5), inclusive=False) == D(2026, 1, 6)
    assert cal.working_days_in(D(2026, 1, 1), D(2026, 1, 11)) == [
        D(2026, 1, 5),
        D(2026, 1, 6),
        D(2026, 1, 7),
        D(2026, 1, 8),
        D(2026, 1, 9),
        D(2026, 1, 10),
    ]
    assert cal.working_days_in(D(2026, 1, 11), D(2026, 1, 1)) == []


def test_out_of_range() -> None:
    cal = calendar_2026()
    with pytest.raises(CalendarRangeError, match="nằm ngoài lịch"):
        cal.is_working_day(D(2041, 1, 1))
    with pytest.raises(ValueError, match="nằm ngoài lịch"):
        cal.explain(D(2014, 12, 31))
    with pytest.raises(ValueError, match="nằm ngoài lịch"):
        cal.add_working_days(D(2040, 12, 28), 10)
    with pytest.raises(ValueError, match="nằm ngoài lịch"):
        cal.previous_working_day(D(2015, 1, 1), inclusive=False)


def test_vietnam_public_holidays() -> None:
    h = vietnam_public_holidays(2026)
    assert h[D(2026, 1, 1)] == "Tết Dương lịch"
    assert D(2026, 2, 17) in h
    assert all(d.year == 2026 for d in h)


# ---------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("kind", "year", "index", "key", "label", "start", "end"),
    [
        ("month", 2026, 2, "2026-M02", "tháng 2/2026", D(2026, 1, 15), D(2026, 2, 14)),
        ("month", 2026, 1, "2026-M01", "tháng 1/2026", D(2025, 12, 15), D(2026, 1, 14)),
        ("quarter", 2026, 1, "2026-Q1", "quý I/2026", D(2025, 12, 15), D(2026, 3, 14)),
        ("quarter", 2026, 4, "2026-Q4", "quý IV/2026", D(2026, 9, 15), D(2026, 12, 14)),
        ("half_year", 2024, 1, "2024-H1", "6 tháng đầu năm 2024", D(2023, 12, 15), D(2024, 6, 14)),
        ("half_year", 2024, 2, "2024-H2", "6 tháng cuối năm 2024", D(2024, 6, 15), D(2024, 12, 14)),
        ("nine_months", 2024, 1, "2024-N9", "9 tháng năm 2024", D(2023, 12, 15), D(2024, 9, 14)),
        ("year", 2025, 1, "2025-Y", "năm 2025", D(2024, 12, 15), D(2025, 12, 14)),
    ],
)
def test_nd09_periods(
    kind: str, year: int, index: int, key: str, label: str, start: dt.date, end: dt.date
) -> None:
    p = make_period(kind, "nd09", year, index)  # type: ignore[arg-type]
    assert (p.key, p.label, p.start, p.end) == (key, label, start, end)
    assert period_from_key(key, "nd09") == p


def test_calendar_periods() -> None:
    assert make_period("month", "calendar", 2024, 2).end == D(2024, 2, 29)
    assert make_period("quarter", "calendar", 2026, 3).start == D(2026, 7, 1)
    assert make_period("half_year", "calendar", 2026, 2).end == D(2026, 12, 31)
    assert make_period("year", "calendar", 2026).start == D(2026, 1, 1)


def test_nd09_months_tile_the_year() -> None:
    months = periods_of_year("month", "nd09", 2026)
    for a, b in itertools.pairwise(months):
        assert b.start == a.end + dt.timedelta(days=1)


def test_periods_overlapping() -> None:
    keys = [p.key for p in periods_overlapping("month", "nd09", D(2026, 1, 10), D(2026, 2, 20))]
    assert keys == ["2026-M01", "2026-M02", "2026-M03"]
    keys = [p.key for p in periods_overlapping("year", "nd09", D(2025, 12, 20), D(2025, 12, 21))]
    assert keys == ["2026-Y"]
    assert periods_overlapping("month", "calendar", D(2026, 2, 1), D(2026, 1, 1)) == []


def test_period_key_errors_and_add_months() -> None:
    with pytest.raises(ValueError, match="Mã kỳ báo cáo không hợp lệ"):
        period_from_key("2026-X", "nd09")
    assert add_months(D(2023, 3, 31), 3) == D(2023, 6, 30)
    assert add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert add_months(D(2023, 1, 15), -1) == D(2022, 12, 15)


# ---------------------------------------------------------------------------- vietnamese


def test_vietnamese_helpers() -> None:
    assert WEEKDAYS[0] == "Thứ Hai" and WEEKDAYS[6] == "Chủ nhật"
    assert weekday_name(D(2024, 12, 13)) == "Thứ Sáu"
    assert format_date(D(2024, 12, 13)) == "13/12/2024"
    assert format_date(D(2026, 1, 2)) == "02/01/2026"
    assert format_date_long(D(2024, 12, 13)) == "Thứ Sáu, 13/12/2024"
    decomposed = unicodedata.normalize("NFD", "Thứ Sáu")
    assert nfc(decomposed) == "Thứ Sáu"
    assert all(unicodedata.is_normalized("NFC", w) for w in WEEKDAYS)


def test_days_left_text() -> None:
    cal = calendar_2026()
    assert days_left_text(D(2026, 1, 8), D(2026, 1, 8), cal) == "hạn hôm nay"
    assert days_left_text(D(2026, 1, 8), D(2026, 1, 5), cal) == "còn 3 ngày làm việc"
    assert days_left_text(D(2026, 1, 5), D(2025, 12, 31), cal) == "còn 1 ngày làm việc"
    assert days_left_text(D(2026, 1, 6), D(2026, 1, 8), cal) == "đã quá hạn 2 ngày làm việc"
    assert days_left_text(D(2026, 1, 9), D(2026, 1, 11), cal) == "đã quá hạn 1 ngày làm việc"
    assert days_left_text(D(2026, 1, 10), D(2026, 1, 11), cal) == (
        "đã quá hạn 1 ngày (chưa qua ngày làm việc nào)"
    )
