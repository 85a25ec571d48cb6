"""Schedule rules: validation and occurrences (with the 2026 overrides in force)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from pydantic import ValidationError

from danvan_workflow.core.occurrences import Occurrence, explain_rule, occurrences
from danvan_workflow.core.phrases import parse_phrase
from danvan_workflow.core.rules import (
    RULE_ADAPTER,
    ContinuousRule,
    EveryNMonthsRule,
    FixedRule,
    MonthlyDayRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    RuleError,
    WindowRule,
    parse_rule,
)
from tests.core.test_calendar import calendar_2026

D = dt.date
FIRST, LAST = D(2016, 1, 1), D(2039, 12, 31)


def _dues(rule: Rule, start: dt.date = FIRST, end: dt.date = LAST) -> list[dt.date | None]:
    return [o.due for o in occurrences(rule, calendar_2026(), start, end)]


def _single_due(phrase: str) -> dt.date | None:
    (rule,) = parse_phrase(phrase)
    (occ,) = occurrences(rule, calendar_2026(), FIRST, LAST)
    return occ.due


# ---------------------------------------------------------------------------- required table


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("trước ngày 20/11/2026", D(2026, 11, 19)),  # Thứ Năm
        ("chậm nhất ngày 15/12/2024", D(2024, 12, 13)),  # Thứ Sáu
        ("chậm nhất ngày 25/7/2023", D(2023, 7, 25)),
        ("trước ngày 31/12/2023", D(2023, 12, 29)),
    ],
)
def test_required_fixed_dates(phrase: str, due: dt.date) -> None:
    assert _single_due(phrase) == due


def test_required_weekdays() -> None:
    cal = calendar_2026()
    assert cal.explain(D(2026, 11, 19)).startswith("Thứ Năm")
    assert cal.explain(D(2024, 12, 13)).startswith("Thứ Sáu")


def test_required_monthly_february_2026_in_tet() -> None:
    rule = PeriodicRule(period="month", basis="nd09", offset_kind="working_days", offset=2)
    occ = [
        o
        for o in occurrences(rule, calendar_2026(), D(2026, 2, 1), D(2026, 3, 31))
        if o.period_key == "2026-M02"
    ]
    assert len(occ) == 1
    assert occ[0].period_end == D(2026, 2, 14)
    assert occ[0].due == D(2026, 2, 24)
    assert occ[0].period_label == "tháng 2/2026"


def test_required_one_working_day_after_new_year() -> None:
    assert calendar_2026().add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)


def test_required_annual_2025_six_calendar_days() -> None:
    rule = PeriodicRule(period="year", basis="nd09", offset_kind="calendar_days", offset=6)
    (occ,) = [
        o
        for o in occurrences(rule, calendar_2026(), D(2025, 1, 1), D(2026, 6, 30))
        if o.period_key == "2025-Y"
    ]
    assert occ.period_end == D(2025, 12, 14)
    assert occ.due == D(2025, 12, 22)  # 20/12 is a Saturday -> Monday (Điều 148)
    assert "Điều 148" in occ.explanation


# ---------------------------------------------------------------------------- occurrences


def test_fixed_every_year() -> None:
    rule = FixedRule(day=20, month=11, mode="before")
    occ = occurrences(rule, calendar_2026(), D(2024, 1, 1), D(2026, 12, 31))
    assert [(o.period_key, o.due) for o in occ] == [
        ("2024", D(2024, 11, 19)),
        ("2025", D(2025, 11, 19)),
        ("2026", D(2026, 11, 19)),
    ]
    assert occ[0].period_label == "năm 2024"


def test_fixed_by_shift_next_and_key() -> None:
    rule = FixedRule(day=15, month=12, year=2024, mode="by", shift="next")
    (occ,) = occurrences(rule, calendar_2026(), FIRST, LAST)
    assert occ.due == D(2024, 12, 16)
    assert occ.period_key == "2024-12-15"


def test_fixed_before_new_year_falls_in_previous_year() -> None:
    rule = FixedRule(day=1, month=1, mode="before")
    occ = occurrences(rule, calendar_2026(), D(2025, 12, 1), D(2025, 12, 31))
    assert [(o.period_key, o.due) for o in occ] == [("2026", D(2025, 12, 31))]


def test_periodic_cutoff_kind_moves_back() -> None:
    rule = PeriodicRule(period="month", offset_kind="cutoff")
    (occ,) = [
        o
        for o in occurrences(rule, calendar_2026(), D(2026, 2, 1), D(2026, 2, 28))
        if o.period_key == "2026-M02"
    ]
    assert occ.due == D(2026, 2, 13)  # 14/02 is a Saturday inside Tết


def test_periodic_range_filter_by_due() -> None:
    rule = PeriodicRule(period="quarter", offset=3)
    occ = occurrences(rule, calendar_2026(), D(2026, 1, 1), D(2026, 12, 31))
    assert [o.period_key for o in occ] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert occ[0].due == D(2026, 3, 18)  # 14/3 Sat -> 16, 17, 18


def test_validity_window() -> None:
    rule = PeriodicRule(
        period="month", offset=2, valid_from=D(2026, 3, 1), valid_until=D(2026, 5, 31)
    )
    occ = occurrences(rule, calendar_2026(), D(2026, 1, 1), D(2026, 12, 31))
    assert [o.period_key for o in occ] == ["2026-M03", "2026-M04", "2026-M05"]


def test_every_n_months() -> None:
    rule = EveryNMonthsRule(months=(3, 6))
    occ = occurrences(rule, calendar_2026(), FIRST, LAST, anchor=D(2023, 3, 31))
    # 30/9/2023 is a Saturday: a period counted in months ends on the next working
    # day (Bộ luật Dân sự 2015, Điều 148 khoản 5)
    assert [o.due for o in occ] == [D(2023, 6, 30), D(2023, 10, 2)]
    assert occ[0].period_key == "2023-03-31+3M"
    assert "Điều 148" in occ[1].explanation and "Điều 148" not in occ[0].explanation
    # a rule may ask for the working day before, explicitly; it wins over by_shift
    previous = EveryNMonthsRule(months=(3, 6), shift="previous")
    occ = occurrences(previous, calendar_2026(), FIRST, LAST, anchor=D(2023, 3, 31),
                      by_shift="next")
    assert occ[1].due == D(2023, 9, 29)
    occ = occurrences(rule, calendar_2026(), FIRST, LAST, anchor=D(2023, 3, 31),
                      by_shift="previous")
    assert occ[1].due == D(2023, 9, 29)
    with_start = EveryNMonthsRule(months=(3,), start=D(2026, 1, 15))
    assert [o.due for o in occurrences(with_start, calendar_2026(), FIRST, LAST)] == [
        D(2026, 4, 15)
    ]
    with pytest.raises(ValueError, match="cần ngày bắt đầu"):
        occurrences(rule, calendar_2026(), FIRST, LAST)


def test_monthly_day_before_and_by() -> None:
    before = MonthlyDayRule(day=25, mode="before")
    occ = occurrences(before, calendar_2026(), D(2026, 4, 1), D(2026, 5, 31))
    # 25/04/2026 is a Saturday -> Fri 24; 25/05/2026 is a Monday -> before it: Fri 22
    assert [(o.period_key, o.period_label, o.due) for o in occ] == [
        ("2026-04", "tháng 4/2026", D(2026, 4, 24)),
        ("2026-05", "tháng 5/2026", D(2026, 5, 22)),
    ]
    assert occ[0].explanation.startswith("Trước ngày 25/04/2026 → hạn Thứ Sáu, 24/04/2026")
    by = MonthlyDayRule(day=5, mode="by")
    (occ5,) = occurrences(by, calendar_2026(), D(2026, 9, 1), D(2026, 9, 30))
    assert occ5.due == D(2026, 9, 4)  # 05/09/2026 is a Saturday
    nxt = MonthlyDayRule(day=5, mode="by", shift="next")
    (occ5,) = occurrences(nxt, calendar_2026(), D(2026, 9, 1), D(2026, 9, 30))
    assert occ5.due == D(2026, 9, 7)


def test_monthly_day_clamped_to_the_months_end() -> None:
    rule = MonthlyDayRule(day=31, mode="by")
    occ = occurrences(rule, calendar_2026(), D(2026, 2, 1), D(2026, 4, 30))
    # 28/02 is a Saturday -> 27; 31/03 a Tuesday; 30/04 and 01/05 holidays -> 29/04
    assert [o.due for o in occ] == [D(2026, 2, 27), D(2026, 3, 31), D(2026, 4, 29)]
    assert MonthlyDayRule(day=31, mode="by").date_in(2024, 2) == D(2024, 2, 29)
    with pytest.raises(RuleError, match="'mode': thiếu trường bắt buộc"):
        parse_rule({"kind": "monthly_day", "day": 5})


def test_monthly_day_range_and_validity() -> None:
    # a 'before' due date falling in the previous month is still found
    rule = MonthlyDayRule(day=1, mode="before")
    occ = occurrences(rule, calendar_2026(), D(2026, 3, 1), D(2026, 3, 31))
    assert [(o.period_key, o.due) for o in occ] == [("2026-04", D(2026, 3, 31))]
    bounded = MonthlyDayRule(day=10, mode="by", valid_from=D(2026, 6, 1),
                             valid_until=D(2026, 8, 31))
    occ = occurrences(bounded, calendar_2026(), D(2026, 1, 1), D(2026, 12, 31))
    assert [o.period_key for o in occ] == ["2026-06", "2026-07", "2026-08"]


def test_window_rules() -> None:
    quarterly = WindowRule(period="quarter")
    occ = occurrences(quarterly, calendar_2026(), D(2026, 1, 1), D(2026, 12, 31))
    assert [(o.window_start, o.window_end) for o in occ][:1] == [(D(2026, 1, 1), D(2026, 3, 31))]
    assert len(occ) == 4
    assert occ[0].due == D(2026, 3, 31)
    span = WindowRule(start=D(2023, 7, 1), end=D(2023, 7, 25))
    (o,) = occurrences(span, calendar_2026(), FIRST, LAST)
    assert (o.window_start, o.window_end, o.due) == (D(2023, 7, 1), D(2023, 7, 25), D(2023, 7, 25))


def test_continuous_and_on_request() -> None:
    (occ,) = occurrences(ContinuousRule(), calendar_2026(), D(2026, 1, 1), D(2026, 12, 31))
    assert occ == Occurrence(
        "continuous", "thường xuyên", None, None, None, None, None, occ.explanation
    )
    ended = ContinuousRule(valid_until=D(2025, 1, 1))
    assert occurrences(ended, calendar_2026(), D(2026, 1, 1), D(2026, 12, 31)) == []
    assert occurrences(OnRequestRule(), calendar_2026(), FIRST, LAST) == []


def test_occurrence_range_checks() -> None:
    rule = FixedRule(day=20, month=11, mode="before")
    assert occurrences(rule, calendar_2026(), D(2026, 12, 31), D(2026, 1, 1)) == []
    with pytest.raises(ValueError, match="nằm ngoài lịch"):
        occurrences(rule, calendar_2026(), D(2010, 1, 1), D(2026, 1, 1))
    # near the end of the calendar: due dates past it are skipped, not an error
    monthly = PeriodicRule(period="month", offset=5)
    occ = occurrences(monthly, calendar_2026(), D(2040, 12, 1), D(2040, 12, 31))
    assert [o.period_key for o in occ] == ["2040-M12"]


def test_explanations_are_vietnamese_nfc() -> None:
    rules: list[Rule] = [
        FixedRule(day=20, month=11, mode="before"),
        FixedRule(day=15, month=12, year=2024, mode="by"),
        PeriodicRule(period="month", offset=2),
        PeriodicRule(period="year", offset_kind="calendar_days", offset=6),
        EveryNMonthsRule(months=(3, 6), valid_from=D(2023, 1, 1)),
        WindowRule(period="quarter"),
        ContinuousRule(),
        OnRequestRule(),
        MonthlyDayRule(day=25, mode="before"),
        MonthlyDayRule(day=31, mode="by", shift="next"),
        EveryNMonthsRule(months=(3, 6), shift="previous"),
    ]
    texts = [explain_rule(r) for r in rules]
    assert texts[0] == "Trước ngày 20/11 hằng năm (nộp chậm nhất ngày làm việc liền trước)"
    assert texts[2].startswith("Định kỳ hằng tháng (kỳ báo cáo theo Nghị định 09/2019/NĐ-CP)")
    assert "áp dụng từ 01/01/2023" in texts[4]
    assert texts[4].startswith("Sau 3 tháng, 6 tháng kể từ ngày bắt đầu thực hiện, gặp ngày nghỉ "
                               "thì dời sang ngày làm việc kế tiếp (Bộ luật Dân sự 2015, Điều 148)")
    assert texts[6] == "Thường xuyên: nhiệm vụ không có hạn cụ thể"
    assert texts[8] == "Trước ngày 25 hằng tháng (nộp chậm nhất ngày làm việc liền trước)"
    assert texts[9] == (
        "Chậm nhất ngày 31 hằng tháng (gặp ngày nghỉ thì dời sang ngày làm việc kế tiếp; "
        "tháng không có ngày 31 thì tính ngày cuối tháng)"
    )
    assert "Điều 148" not in texts[10] and "liền trước" in texts[10]
    assert "Điều 148" not in explain_rule(rules[4], by_shift="previous")
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    occ = occurrences(rules[1], calendar_2026(), FIRST, LAST)
    assert occ[0].explanation.startswith("Chậm nhất ngày 15/12/2024 → hạn Thứ Sáu, 13/12/2024")


# ---------------------------------------------------------------------------- validation


def test_adapter_parses_yaml_shapes() -> None:
    rule = RULE_ADAPTER.validate_python(
        {"kind": "periodic", "period": "month", "basis": "nd09", "offset": 2}
    )
    assert isinstance(rule, PeriodicRule) and rule.offset_kind == "working_days"
    rule = RULE_ADAPTER.validate_python({"kind": "every_n_months", "months": [6, 3]})
    assert isinstance(rule, EveryNMonthsRule) and rule.months == (3, 6)
    rule = RULE_ADAPTER.validate_python(
        {"kind": "fixed", "day": 29, "month": 2, "year": 2024, "mode": "by"}
    )
    assert isinstance(rule, FixedRule)
    assert RULE_ADAPTER.validate_python({"kind": "continuous"}) == ContinuousRule()
    rule = RULE_ADAPTER.validate_python({"kind": "monthly_day", "day": "25", "mode": "before"})
    assert rule == MonthlyDayRule(day=25, mode="before")
    rule = RULE_ADAPTER.validate_python({"kind": "every_n_months", "months": [3, 6],
                                         "shift": "previous"})
    assert isinstance(rule, EveryNMonthsRule) and rule.shift == "previous"
    assert EveryNMonthsRule(months=(3,)).shift is None  # the law decides (Điều 148)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "fixed", "day": 30, "month": 2, "mode": "by"}, "Ngày 30/2 không tồn tại"),
        ({"kind": "fixed", "day": 31, "month": 4, "mode": "by"}, "Ngày 31/4 không tồn tại"),
        ({"kind": "fixed", "day": 29, "month": 2, "mode": "by"}, "29/2 không có ở mọi năm"),
        (
            {"kind": "fixed", "day": 29, "month": 2, "year": 2023, "mode": "by"},
            "Ngày 29/2/2023 không tồn tại",
        ),
        ({"kind": "fixed", "day": 0, "month": 2, "mode": "by"}, "phải từ 1 đến 31"),
        ({"kind": "fixed", "day": 1, "month": 13, "mode": "by"}, "phải từ 1 đến 12"),
        ({"kind": "fixed", "day": 1, "month": 1, "mode": "after"}, "Chế độ (mode)"),
        (
            {"kind": "fixed", "day": 1, "month": 1, "mode": "before", "shift": "next"},
            "chỉ dùng với 'mode: by'",
        ),
        ({"kind": "fixed", "day": 1, "month": 1, "mode": "by", "x": 1}, "khóa không được phép"),
        ({"kind": "periodic", "period": "week", "offset": 1}, "Kỳ báo cáo (period)"),
        ({"kind": "periodic", "period": "month"}, "Thiếu 'offset'"),
        ({"kind": "periodic", "period": "month", "offset": -1}, "phải từ 0 đến 366"),
        (
            {"kind": "periodic", "period": "month", "offset_kind": "cutoff", "offset": 3},
            "không dùng 'offset'",
        ),
        ({"kind": "every_n_months", "months": []}, "danh sách số tháng"),
        ({"kind": "every_n_months", "months": [3, 3]}, "bị lặp"),
        ({"kind": "every_n_months", "months": [3], "shift": "later"}, "Cách dời ngày (shift)"),
        ({"kind": "monthly_day", "day": 32, "mode": "by"}, "phải từ 1 đến 31"),
        ({"kind": "monthly_day", "day": 5, "month": 2, "mode": "by"}, "khóa không được phép"),
        (
            {"kind": "monthly_day", "day": 25, "mode": "before", "shift": "next"},
            "chỉ dùng với 'mode: by'",
        ),
        ({"kind": "window"}, "Cần 'period' hoặc đủ cả 'start' và 'end'"),
        (
            {"kind": "window", "start": "2023-07-25", "end": "2023-07-01"},
            "'end' không được trước 'start'",
        ),
        (
            {"kind": "window", "period": "month", "start": "2023-07-01", "end": "2023-07-25"},
            "không dùng cả hai",
        ),
        (
            {"kind": "continuous", "valid_from": "2024-01-01", "valid_until": "2023-01-01"},
            "'valid_until' không được trước 'valid_from'",
        ),
        ({"kind": "weekly"}, "loại lịch (kind) không hợp lệ"),
        ({"day": 1}, "loại lịch (kind) không hợp lệ"),
    ],
)
def test_rule_validation_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RULE_ADAPTER.validate_python(data)
    with pytest.raises(RuleError) as info:
        parse_rule(data)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert unicodedata.is_normalized("NFC", str(info.value))


def test_rules_are_frozen() -> None:
    rule = FixedRule(day=1, month=1, mode="by")
    with pytest.raises(ValidationError):
        rule.day = 2
