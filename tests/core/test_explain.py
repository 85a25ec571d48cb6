"""`explain_schedule`: what `danvan rules explain` prints, for every rule kind, past and future.

Today is 01/03/2026; the years up to 2026 have a confirmed holiday calendar.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache

import pytest

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.occurrences import explain_schedule
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    FixedRule,
    MonthlyDayRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    WindowRule,
)
from tests.core.test_calendar import OVERRIDES_2026

D = dt.date
TODAY = D(2026, 3, 1)
UNCONFIRMED_2027 = "Lịch nghỉ năm 2027 chưa được xác nhận: hạn có thể thay đổi."


@cache
def calendar() -> WorkingCalendar:
    return WorkingCalendar.build(OVERRIDES_2026, confirmed_years=range(2015, 2027))


def explain(rule: Rule, count: int = 2) -> list[str]:
    lines = explain_schedule(rule, calendar(), TODAY, count=count)
    assert all(unicodedata.is_normalized("NFC", line) for line in lines)
    assert not any(line.strip() in ("•", "—", "• — —") or "• —" in line for line in lines)
    return lines


# ---------------------------------------------------------------------------- fixed


def test_fixed_past() -> None:
    assert explain(FixedRule(day=25, month=7, year=2023, mode="by")) == [
        "Chậm nhất ngày 25/7/2023 (gặp ngày nghỉ thì nộp ngày làm việc liền trước).",
        "• Thứ Ba, 25/07/2023 — ngày 25/7/2023 (đã qua)",
    ]


def test_fixed_future() -> None:
    assert explain(FixedRule(day=20, month=11, year=2026, mode="before")) == [
        "Trước ngày 20/11/2026 (nộp chậm nhất ngày làm việc liền trước).",
        "• Thứ Năm, 19/11/2026 — ngày 20/11/2026",
    ]


def test_fixed_in_an_unconfirmed_year() -> None:
    lines = explain(FixedRule(day=15, month=12, year=2027, mode="by"))
    assert lines[1:] == ["• Thứ Tư, 15/12/2027 — ngày 15/12/2027", UNCONFIRMED_2027]


def test_fixed_every_year_last_past_and_next() -> None:
    assert explain(FixedRule(day=20, month=11, mode="before"), count=3) == [
        "Trước ngày 20/11 hằng năm (nộp chậm nhất ngày làm việc liền trước).",
        "• Thứ Tư, 19/11/2025 — năm 2025 (đã qua)",
        "• Thứ Năm, 19/11/2026 — năm 2026",
        "• Thứ Sáu, 19/11/2027 — năm 2027",
        "• Thứ Sáu, 17/11/2028 — năm 2028",
        "Lịch nghỉ các năm 2027 và 2028 chưa được xác nhận: hạn có thể thay đổi.",
    ]


# ---------------------------------------------------------------------------- monthly_day


def test_monthly_day_past_and_future() -> None:
    assert explain(MonthlyDayRule(day=25, mode="before")) == [
        "Trước ngày 25 hằng tháng (nộp chậm nhất ngày làm việc liền trước).",
        "• Thứ Ba, 24/02/2026 — tháng 2/2026 (đã qua)",
        "• Thứ Ba, 24/03/2026 — tháng 3/2026",
        "• Thứ Sáu, 24/04/2026 — tháng 4/2026",
    ]


def test_monthly_day_ended() -> None:
    lines = explain(MonthlyDayRule(day=31, mode="by", valid_until=D(2025, 6, 30)))
    assert lines == [
        "Chậm nhất ngày 31 hằng tháng (gặp ngày nghỉ thì nộp ngày làm việc liền trước; tháng "
        "không có ngày 31 thì tính ngày cuối tháng) (áp dụng đến 30/06/2025).",
        "• Thứ Hai, 30/06/2025 — tháng 6/2025 (đã qua)",
    ]


# ---------------------------------------------------------------------------- periodic


def test_periodic_past_and_future() -> None:
    rule = PeriodicRule(period="month", offset=2)
    assert explain(rule) == [
        "Định kỳ hằng tháng (kỳ báo cáo theo Nghị định 09/2019/NĐ-CP), hạn 2 ngày làm việc "
        "sau ngày chốt số liệu.",
        "• Thứ Ba, 24/02/2026 — tháng 2/2026 (đã qua)",  # Tết: 14/02 cut-off, due after it
        "• Thứ Ba, 17/03/2026 — tháng 3/2026",
        "• Thứ Năm, 16/04/2026 — tháng 4/2026",
    ]


def test_periodic_first_half_in_a_plan_year() -> None:
    rule = PeriodicRule(period="half_year", offset=2, indices=(1,),
                        valid_from=D(2023, 1, 1), valid_until=D(2023, 12, 31))
    lines = explain(rule)
    assert lines[0].startswith("Định kỳ 6 tháng đầu năm (kỳ báo cáo theo Nghị định 09/2019")
    assert lines[0].endswith("(áp dụng từ 01/01/2023 đến 31/12/2023).")
    assert lines[1:] == ["• Thứ Sáu, 16/06/2023 — 6 tháng đầu năm 2023 (đã qua)"]


# ---------------------------------------------------------------------------- every_n_months


def test_every_n_months_past_follows_article_148() -> None:
    rule = EveryNMonthsRule(months=(3, 6), start=D(2023, 3, 31))
    assert explain(rule) == [
        "Sau 3 tháng, 6 tháng kể từ ngày 31/03/2023, gặp ngày nghỉ thì dời sang ngày làm việc "
        "kế tiếp (Bộ luật Dân sự 2015, Điều 148).",
        "• Thứ Sáu, 30/06/2023 — 3 tháng (từ 31/03/2023) (đã qua)",
        "• Thứ Hai, 02/10/2023 — 6 tháng (từ 31/03/2023) (đã qua)",  # 30/09 is a Saturday
    ]


def test_every_n_months_explicit_previous() -> None:
    rule = EveryNMonthsRule(months=(6,), start=D(2023, 3, 31), shift="previous")
    assert explain(rule) == [
        "Sau 6 tháng kể từ ngày 31/03/2023, gặp ngày nghỉ thì nộp ngày làm việc liền trước.",
        "• Thứ Sáu, 29/09/2023 — 6 tháng (từ 31/03/2023) (đã qua)",
    ]


def test_every_n_months_future() -> None:
    rule = EveryNMonthsRule(months=(3, 6), start=D(2026, 1, 31))
    # 30/04 (clamped from 31) and 01/05/2026 are holidays -> Mon 04/05
    assert explain(rule)[1:] == [
        "• Thứ Hai, 04/05/2026 — 3 tháng (từ 31/01/2026)",
        "• Thứ Sáu, 31/07/2026 — 6 tháng (từ 31/01/2026)",
    ]


def test_every_n_months_without_start_shows_an_example_from_today() -> None:
    lines = explain(EveryNMonthsRule(months=(3, 6)))
    assert lines[1] == ("Hạn tính từ ngày bắt đầu thực hiện (ví dụ ngày bắt đầu của từng mô "
                        "hình); ví dụ, nếu bắt đầu ngày 01/03/2026:")
    assert lines[2:] == [
        "• Thứ Hai, 01/06/2026 — 3 tháng (từ 01/03/2026)",
        "• Thứ Năm, 03/09/2026 — 6 tháng (từ 01/03/2026)",  # 01/09 and 02/09 are days off
    ]


# ---------------------------------------------------------------------------- window


def test_window_past() -> None:
    assert explain(WindowRule(start=D(2023, 7, 1), end=D(2023, 7, 31))) == [
        "Từ ngày 01/07/2023 đến ngày 31/07/2023 (hạn là ngày làm việc cuối cùng của khoảng "
        "thời gian đó).",
        "• Thứ Hai, 31/07/2023 — từ 01/07/2023 đến 31/07/2023 (đã qua)",
    ]


def test_window_future_across_the_new_year() -> None:
    lines = explain(WindowRule(start=D(2026, 12, 1), end=D(2027, 1, 31)))
    assert lines[1:] == [
        "• Thứ Sáu, 29/01/2027 — từ 01/12/2026 đến 31/01/2027",  # 31/01/2027 is a Sunday
        UNCONFIRMED_2027,
    ]


def test_window_every_quarter() -> None:
    assert explain(WindowRule(period="quarter"))[1:] == [
        "• Thứ Tư, 31/12/2025 — quý IV/2025 (01/10/2025–31/12/2025) (đã qua)",
        "• Thứ Ba, 31/03/2026 — quý I/2026 (01/01/2026–31/03/2026)",
        "• Thứ Ba, 30/06/2026 — quý II/2026 (01/04/2026–30/06/2026)",
    ]


def test_open_window_is_not_past() -> None:
    rule = WindowRule(start=D(2026, 2, 1), end=D(2026, 3, 31))
    assert explain(rule)[1:] == ["• Thứ Ba, 31/03/2026 — từ 01/02/2026 đến 31/03/2026"]


# ---------------------------------------------------------------------------- no deadline


@pytest.mark.parametrize(
    ("rule", "lines"),
    [
        (ContinuousRule(), ["Thường xuyên: nhiệm vụ không có hạn cụ thể."]),
        (
            ContinuousRule(valid_until=D(2025, 1, 1)),
            ["Thường xuyên: nhiệm vụ không có hạn cụ thể (áp dụng đến 01/01/2025)."],
        ),
        (
            ContinuousRule(valid_from=D(2027, 1, 1)),
            ["Thường xuyên: nhiệm vụ không có hạn cụ thể (áp dụng từ 01/01/2027)."],
        ),
        (OnRequestRule(), ["Khi có yêu cầu: hạn do người điều hành đặt theo từng yêu cầu."]),
        (
            OnRequestRule(valid_until=D(2023, 12, 31)),
            ["Khi có yêu cầu: hạn do người điều hành đặt theo từng yêu cầu (áp dụng đến "
             "31/12/2023)."],
        ),
    ],
)
def test_rules_without_a_due_date(rule: Rule, lines: list[str]) -> None:
    assert explain(rule) == lines
